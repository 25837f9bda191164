package sandbox_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/rpa-operator/rpa-operator/robots/sandbox/sandbox"
	"github.com/rpa-operator/rpa-operator/robots/sandbox/sandbox/sandboxtest"
)

func TestSewerPropertiesAreDueForTheirNextLetter(t *testing.T) {
	sb := sandboxtest.New(t, sandbox.Config{SewerProperties: 30})
	due := map[string][]string{}
	for _, p := range sb.SewerProperties() {
		due[p.Due] = append(due[p.Due], p.ID)
	}
	tests := []struct {
		due  string
		want string
	}{
		// Every 10th from the 7th has separated; every 8th from the 5th is
		// in its answer period (5, 13, 29; 21 is a 3rd).
		{"", "SK-00005 SK-00007 SK-00013 SK-00017 SK-00027 SK-00029"},
		{sandbox.StepPaabud, "SK-00003 SK-00006 SK-00009 SK-00012 SK-00015 SK-00018 SK-00021 SK-00024 SK-00030"},
	}
	for _, tt := range tests {
		if got := strings.Join(due[tt.due], " "); got != tt.want {
			t.Errorf("due %q: %s, want %s", tt.due, got, tt.want)
		}
	}
	if n := len(due[sandbox.StepVarsel]); n != 30-6-9 {
		t.Errorf("%d due for a varsel, want 15", n)
	}
	_, _, body := call(t, sb, http.MethodGet, "/sewer/properties?due=paabud", "", nil)
	if n := len(body["properties"].([]any)); n != 9 {
		t.Errorf("GET ?due=paabud lists %d, want 9", n)
	}
	if status, _, _ := call(t, sb, http.MethodGet, "/sewer/properties?due=soon", "", nil); status != http.StatusBadRequest {
		t.Errorf("an unknown step: %d, want 400", status)
	}
}

// TestSewerLettersAreJournaledOnTheirPropertysCase: a sent varsel is
// journaled once, on its property's case only, under the one rate limit
// every journal request shares.
func TestSewerLettersAreJournaledOnTheirPropertysCase(t *testing.T) {
	sb := sandboxtest.New(t, sandbox.Config{SewerProperties: 4, OilTanks: 1, Certificates: 1, Cases: 2, JournalBurst: 20})
	p, other := sb.SewerProperties()[0], sb.SewerProperties()[1]
	status, _, letter := call(t, sb, http.MethodPost, "/digital-post/letters", "sewer/"+p.ID+"/varsel", sandbox.LetterRequest{
		RecipientID: p.Owner.ID, About: &sandbox.Reference{Kind: sandbox.RefSewerProperty, ID: p.ID},
		Template: sandbox.TemplateSewerVarsel, Subject: "Varsel om påbud om separatkloakering",
	})
	if status != http.StatusCreated {
		t.Fatalf("send the varsel: %d %v", status, letter)
	}
	u := sb.OilTanks()[0]
	_, _, oilLetter := call(t, sb, http.MethodPost, "/digital-post/letters", "olie", sandbox.LetterRequest{
		RecipientID: u.Owner.ID, About: &sandbox.Reference{Kind: sandbox.RefOilTank, ID: u.UnitID}, Template: "olietank-paamindelse", Subject: "x",
	})
	letterID := letter["id"].(string)
	entry := func(id, caseNumber string) sandbox.JournalRequest {
		return sandbox.JournalRequest{Document: &sandbox.Reference{Kind: sandbox.DocSewerLetter, ID: id}, CaseNumber: caseNumber,
			Title: "Varsel om påbud om separatkloakering", Classification: "udgående brev"}
	}
	tests := []struct {
		name       string
		key        string
		body       sandbox.JournalRequest
		wantStatus int
		wantError  string
	}{
		{"on another property's case", "a", entry(letterID, other.CaseNumber), http.StatusUnprocessableEntity, "whose case is not " + other.CaseNumber},
		{"a letter that is not about a property", "b", entry(oilLetter["id"].(string), p.CaseNumber), http.StatusUnprocessableEntity, "not about a sewer property"},
		{"a letter never sent", "c", entry("DP-999999", p.CaseNumber), http.StatusNotFound, "no letter DP-999999"},
		{"a document of no known kind", "d", sandbox.JournalRequest{Document: &sandbox.Reference{Kind: "fax", ID: "1"}, CaseNumber: p.CaseNumber, Title: "x"}, http.StatusUnprocessableEntity, `kind "fax"`},
		{"on its property's case", "sewer-letter/" + p.ID + "/varsel", entry(letterID, p.CaseNumber), http.StatusCreated, ""},
		{"its repeat", "sewer-letter/" + p.ID + "/varsel", entry(letterID, p.CaseNumber), http.StatusOK, ""},
		{"a mail still goes on a person's case", "mail", sandbox.JournalRequest{Document: &sandbox.Reference{Kind: sandbox.DocMail, ID: "<m@x>"}, CaseNumber: sb.Cases()[0].Number, Title: "Mail"}, http.StatusCreated, ""},
	}
	for _, tt := range tests {
		status, _, body := call(t, sb, http.MethodPost, "/esdh/journal", tt.key, tt.body)
		got, _ := body["error"].(string)
		if status != tt.wantStatus || !strings.Contains(got, tt.wantError) {
			t.Errorf("%s: %d %q, want %d %q", tt.name, status, got, tt.wantStatus, tt.wantError)
		}
	}
	journaled := sb.SewerProperties()[0]
	if journaled.Varsel == nil || journaled.Varsel.LetterID != letterID || journaled.Varsel.JournalID == "" || journaled.Due != "" {
		t.Errorf("property after its varsel: %+v %+v, want the letter journaled and nothing due", journaled, journaled.Varsel)
	}
	if journaled.Varsel.AnswerBy != "2025-07-29" {
		t.Errorf("answer by %s, want 28 days after 2025-07-01", journaled.Varsel.AnswerBy)
	}
	if st := sb.State(); st.SewerLetters != 1 || st.SewerLettersJournaled != 1 || st.Journaled != 2 || st.JournalDuplicates != 1 {
		t.Errorf("state %+v, want 1 sewer letter journaled once, 2 entries, 1 duplicate", st)
	}
}

// TestSewerLettersShareTheJournalRateLimit: a certificate and a sewer
// letter drain the same bucket.
func TestSewerLettersShareTheJournalRateLimit(t *testing.T) {
	sb := sandboxtest.New(t, sandbox.Config{SewerProperties: 1, Certificates: 1, JournalRate: 1, JournalBurst: 1})
	p := sb.SewerProperties()[0]
	_, _, letter := call(t, sb, http.MethodPost, "/digital-post/letters", "v", sandbox.LetterRequest{
		RecipientID: p.Owner.ID, About: &sandbox.Reference{Kind: sandbox.RefSewerProperty, ID: p.ID}, Template: sandbox.TemplateSewerVarsel, Subject: "x",
	})
	cert := sandbox.JournalRequest{CertificateID: sb.Certificates()[0].ID, CaseNumber: "P-1", Title: "Straffeattest"}
	sewer := sandbox.JournalRequest{Document: &sandbox.Reference{Kind: sandbox.DocSewerLetter, ID: letter["id"].(string)}, CaseNumber: p.CaseNumber, Title: "Varsel"}
	if status, _, _ := call(t, sb, http.MethodPost, "/esdh/journal", "cert", cert); status != http.StatusCreated {
		t.Fatalf("the certificate: %d", status)
	}
	if status, _, _ := call(t, sb, http.MethodPost, "/esdh/journal", "sewer", sewer); status != http.StatusTooManyRequests {
		t.Errorf("the sewer letter right after: %d, want 429", status)
	}
	if st := sb.State(); st.Rejected429 != 1 {
		t.Errorf("%d refused, want 1", st.Rejected429)
	}
}
