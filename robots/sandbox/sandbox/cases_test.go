package sandbox_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rpa-operator/rpa-operator/robots/sandbox/sandbox"
	"github.com/rpa-operator/rpa-operator/robots/sandbox/sandbox/sandboxtest"
)

// TestCasesAboutPersons: the seed gives persons with one open case, two
// (every 10th from the 4th) and only a closed one (every 10th from the
// 8th); a person's cases are found by CPR number, a bad one is refused
// without being echoed, and a mail is journaled only on a case ESDH has.
func TestCasesAboutPersons(t *testing.T) {
	sb := sandboxtest.New(t, sandbox.Config{Cases: 20})
	perPerson := map[string][]sandbox.Case{}
	for _, c := range sb.Cases() {
		perPerson[c.PartyCPR] = append(perPerson[c.PartyCPR], c)
	}
	two, closed := 0, 0
	for _, cases := range perPerson {
		switch {
		case len(cases) == 2 && cases[0].Open && cases[1].Open:
			two++
		case len(cases) == 1 && !cases[0].Open:
			closed++
		}
	}
	if len(sb.Cases()) != 22 || two != 2 || closed != 2 {
		t.Fatalf("%d cases, %d persons with two open, %d with a closed one; want 22, 2, 2", len(sb.Cases()), two, closed)
	}
	first := sb.Cases()[0]
	status, _, out := call(t, sb, http.MethodGet, "/esdh/cases?status=open&cpr="+url.QueryEscape(first.PartyCPR), "", nil)
	if got, _ := out["cases"].([]any); status != http.StatusOK || len(got) != 1 {
		t.Errorf("GET the first person's open cases: %d %v", status, out)
	}
	status, _, out = call(t, sb, http.MethodGet, "/esdh/cases?cpr=0101801234", "", nil)
	if msg, _ := out["error"].(string); status != http.StatusBadRequest || strings.Contains(msg, "0101801234") {
		t.Errorf("a CPR number without its dash: %d %q, want 400 without the number", status, msg)
	}
	entry := map[string]any{"caseNumber": "S-2026-99999", "title": "Mail: x", "document": map[string]string{"kind": "mail", "id": "<a@b>"}}
	if status, _, _ := call(t, sb, http.MethodPost, "/esdh/journal", "mail/<a@b>", entry); status != http.StatusNotFound {
		t.Errorf("a mail journaled on a case ESDH does not have: %d, want 404", status)
	}
	entry["caseNumber"] = first.Number
	if status, _, _ := call(t, sb, http.MethodPost, "/esdh/journal", "mail/<a@b>/2", entry); status != http.StatusCreated {
		t.Errorf("a mail journaled on %s: %d, want 201", first.Number, status)
	}
}
