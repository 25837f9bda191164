package sandbox_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rpa-operator/rpa-operator/robots/sandbox/sandbox"
	"github.com/rpa-operator/rpa-operator/robots/sandbox/sandbox/sandboxtest"
)

// call sends a request to the sandbox and returns the status, the
// Idempotency-Replayed header and the body decoded into a map.
func call(t *testing.T, sb *sandboxtest.Sandbox, method, path, key string, body any) (int, bool, map[string]any) {
	t.Helper()
	var buf bytes.Buffer
	if body != nil {
		if err := json.NewEncoder(&buf).Encode(body); err != nil {
			t.Fatal(err)
		}
	}
	req, err := http.NewRequest(method, sb.URL+path, &buf)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set(sandbox.IdempotencyKeyHeader, key)
	}
	req.SetBasicAuth("robot-roskilde", "any password")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, resp.Header.Get(sandbox.ReplayedHeader) == "true", out
}

func TestSeedIsDeterministicAndHasExceptions(t *testing.T) {
	cfg := sandbox.Config{MoveIns: 24, Certificates: 16, ForeignCitizens: 60}
	a, b := sandboxtest.New(t, cfg), sandboxtest.New(t, cfg)
	if !reflect.DeepEqual(a.MoveIns(), b.MoveIns()) || !reflect.DeepEqual(a.Certificates(), b.Certificates()) ||
		!reflect.DeepEqual(a.ForeignCitizens(), b.ForeignCitizens()) {
		t.Fatal("the same seed gave different data")
	}
	cfg.Seed = 2
	if c := sandboxtest.New(t, cfg); reflect.DeepEqual(a.MoveIns(), c.MoveIns()) {
		t.Error("another seed gave the same data")
	}
	var protected, children, unclean, expired int
	for _, m := range a.MoveIns() {
		if m.AddressProtected {
			protected++
			if m.Address != "" {
				t.Errorf("%s is protected but its address is given out", m.ID)
			}
		}
		if m.HasChildren {
			children++
		}
	}
	for _, c := range a.Certificates() {
		if len(c.Offences) > 0 {
			unclean++
		}
	}
	for _, c := range a.ForeignCitizens() {
		if c.PermitExpires != "" && c.PermitExpires < sandboxtest.Start.Format(time.DateOnly) {
			expired++
			if c.EUCitizen {
				t.Errorf("%s is an EU citizen with an expired permit", c.ID)
			}
		}
	}
	if protected != 2 || children == 0 || unclean != 2 || expired != 2 {
		t.Errorf("protected %d (want 2), children %d (want some), unclean %d (want 2), expired %d (want 2)", protected, children, unclean, expired)
	}
}

func TestLettersAreSentOnceByKey(t *testing.T) {
	sb := sandboxtest.New(t, sandbox.Config{MoveIns: 8})
	moveIns := sb.MoveIns()
	first, protected := moveIns[0], moveIns[6]
	letter := sandbox.LetterRequest{RecipientID: first.ResidentID, MoveInID: first.ID, Template: "welcome", Subject: "Velkommen til Roskilde"}
	key := first.ResidentID + "/" + first.ID

	tests := []struct {
		name         string
		key          string
		body         any
		wantStatus   int
		wantReplayed bool
	}{
		{"first send", key, letter, http.StatusCreated, false},
		{"repeat answered from the ledger", key, letter, http.StatusOK, true},
		{"key reused for another letter", key, sandbox.LetterRequest{RecipientID: first.ResidentID, MoveInID: first.ID, Template: "welcome-children", Subject: "x"}, http.StatusUnprocessableEntity, false},
		{"no key", "", letter, http.StatusBadRequest, false},
		{"protected resident refused", "p", sandbox.LetterRequest{RecipientID: protected.ResidentID, MoveInID: protected.ID, Template: "welcome", Subject: "x"}, http.StatusUnprocessableEntity, false},
		{"resident and move-in do not match", "m", sandbox.LetterRequest{RecipientID: "R-000000", MoveInID: first.ID, Template: "welcome", Subject: "x"}, http.StatusUnprocessableEntity, false},
		{"unknown move-in", "u", sandbox.LetterRequest{RecipientID: "R-000000", MoveInID: "MI-99999", Template: "welcome", Subject: "x"}, http.StatusNotFound, false},
	}
	for _, tt := range tests {
		status, replayed, body := call(t, sb, "POST", "/digital-post/letters", tt.key, tt.body)
		if status != tt.wantStatus || replayed != tt.wantReplayed {
			t.Errorf("%s: status %d replayed %v (%v), want %d %v", tt.name, status, replayed, body, tt.wantStatus, tt.wantReplayed)
		}
	}
	st := sb.State()
	if st.LettersSent != 1 || st.LetterDuplicates != 1 || st.LettersRejected != 1 || st.IdempotencyConflicts != 1 || st.MoveInsPending != 7 {
		t.Errorf("state %+v, want 1 letter, 1 duplicate, 1 rejected, 1 conflict, 7 move-ins pending", st)
	}
	if got := sb.Letters()[0].SentBy; got != "robot-roskilde" {
		t.Errorf("letter sent by %q, want the robot's user", got)
	}
	_, _, body := call(t, sb, "GET", "/cpr/move-ins?status=new", "", nil)
	if n := len(body["moveIns"].([]any)); n != 7 {
		t.Errorf("%d new move-ins listed, want 7", n)
	}
}

func TestJournalIsRateLimited(t *testing.T) {
	sb := sandboxtest.New(t, sandbox.Config{Certificates: 5, JournalRate: 1, JournalBurst: 2})
	journal := func(id string) (int, string) {
		t.Helper()
		req := sandbox.JournalRequest{CertificateID: id, CaseNumber: "P-1", Title: "Straffeattest", Classification: "clean"}
		body, _ := json.Marshal(req)
		r, _ := http.NewRequest("POST", sb.URL+"/esdh/journal", bytes.NewReader(body))
		r.Header.Set(sandbox.IdempotencyKeyHeader, id)
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Retry-After")
	}
	steps := []struct {
		advance        time.Duration
		id             string
		wantStatus     int
		wantRetryAfter string
	}{
		{0, "SA-000001", 201, ""},
		{0, "SA-000002", 201, ""},
		{0, "SA-000003", 429, "1"},
		{0, "SA-000003", 429, "1"},
		{time.Second, "SA-000003", 201, ""},
		{0, "SA-000001", 429, "1"},
		{time.Second, "SA-000001", 200, ""},
	}
	for i, s := range steps {
		_ = sb.Clock.Sleep(t.Context(), s.advance)
		status, retryAfter := journal(s.id)
		if status != s.wantStatus || retryAfter != s.wantRetryAfter {
			t.Errorf("step %d (%s): %d Retry-After %q, want %d %q", i+1, s.id, status, retryAfter, s.wantStatus, s.wantRetryAfter)
		}
	}
	if st := sb.State(); st.Journaled != 3 || st.Rejected429 != 3 || st.JournalDuplicates != 1 {
		t.Errorf("state %+v, want 3 journaled, 3 rejected, 1 duplicate", st)
	}
}

func TestTasksMarkTheirItemsDone(t *testing.T) {
	sb := sandboxtest.New(t, sandbox.Config{MoveIns: 8, Certificates: 4})
	unclean := sb.Certificates()[2]
	call(t, sb, "POST", "/esdh/journal", unclean.ID, sandbox.JournalRequest{CertificateID: unclean.ID, CaseNumber: "P-1", Title: "Straffeattest", Classification: "remarks"})
	if c := sb.Certificates()[2]; c.Done || c.JournalID == "" {
		t.Fatalf("a journaled non-clean certificate: %+v; want journaled, not done before HR has it", c)
	}
	tests := []struct {
		ref        sandbox.Reference
		wantStatus int
	}{
		{sandbox.Reference{Kind: sandbox.RefMoveIn, ID: "MI-00007"}, http.StatusCreated},
		{sandbox.Reference{Kind: sandbox.RefCertificate, ID: unclean.ID}, http.StatusCreated},
		{sandbox.Reference{Kind: sandbox.RefCertificate, ID: "SA-999999"}, http.StatusNotFound},
	}
	for _, tt := range tests {
		status, _, body := call(t, sb, "POST", "/tasks", tt.ref.Kind+"/"+tt.ref.ID, sandbox.TaskRequest{Queue: "hr", Title: "Se på", Reason: "test", Reference: tt.ref})
		if status != tt.wantStatus {
			t.Errorf("task about %v: %d %v, want %d", tt.ref, status, body, tt.wantStatus)
		}
	}
	if m := sb.MoveIns()[6]; m.Status != sandbox.MoveInHandedOver {
		t.Errorf("move-in status %q, want handed-over", m.Status)
	}
	if c := sb.Certificates()[2]; !c.Done || !c.FlaggedForHR {
		t.Errorf("certificate %+v, want flagged and done", c)
	}
}

func TestResidenceChecksArePerBatch(t *testing.T) {
	sb := sandboxtest.New(t, sandbox.Config{ForeignCitizens: 3})
	check := func(key, batch, citizen string) int {
		status, _, _ := call(t, sb, "POST", "/cpr/residence-checks", key, sandbox.ResidenceCheckRequest{Batch: batch, CitizenID: citizen, Outcome: sandbox.CheckConfirmed})
		return status
	}
	steps := []struct {
		key, batch, citizen string
		want                int
	}{
		{"2025-Q3/FC-00001", "2025-Q3", "FC-00001", http.StatusCreated},
		{"2025-Q3/FC-00001", "2025-Q3", "FC-00001", http.StatusOK},
		{"other-key", "2025-Q3", "FC-00001", http.StatusConflict},
		{"2025-Q4/FC-00001", "2025-Q4", "FC-00001", http.StatusCreated},
		{"bad", "2025 Q3", "FC-00002", http.StatusUnprocessableEntity},
		{"x", "2025-Q3", "FC-99999", http.StatusNotFound},
	}
	for i, s := range steps {
		if got := check(s.key, s.batch, s.citizen); got != s.want {
			t.Errorf("step %d: %d, want %d", i+1, got, s.want)
		}
	}
	_, _, body := call(t, sb, "GET", "/cpr/foreign-citizens?batch=2025-Q3&status=unchecked", "", nil)
	if n := len(body["citizens"].([]any)); n != 2 {
		t.Errorf("%d unchecked in 2025-Q3, want 2", n)
	}
}

func TestSystemHealthFollowsTheSystemsState(t *testing.T) {
	sb := sandboxtest.New(t, sandbox.Config{Systems: []sandbox.System{{Name: "sbsys", Up: true}}})
	steps := []struct {
		method, path string
		body         any
		want         int
	}{
		{"GET", "/systems/sbsys/health", nil, http.StatusOK},
		{"GET", "/systems/nope/health", nil, http.StatusNotFound},
		{"PUT", "/systems/sbsys", map[string]any{"up": false, "latency": "1ms"}, http.StatusOK},
		{"GET", "/systems/sbsys/health", nil, http.StatusServiceUnavailable},
		{"PUT", "/systems/sbsys", map[string]any{"up": true, "latency": "soon"}, http.StatusBadRequest},
	}
	for i, s := range steps {
		if status, _, body := call(t, sb, s.method, s.path, "", s.body); status != s.want {
			t.Errorf("step %d %s %s: %d %v, want %d", i+1, s.method, s.path, status, body, s.want)
		}
	}
}

func TestStateEndpointCounts(t *testing.T) {
	sb := sandboxtest.New(t, sandbox.Config{MoveIns: 3, Certificates: 2, ForeignCitizens: 4})
	status, _, body := call(t, sb, "GET", "/state", "", nil)
	if status != http.StatusOK || body["moveIns"] != 3.0 || body["certificates"] != 2.0 || body["foreignCitizens"] != 4.0 || body["rejected429"] != 0.0 {
		t.Errorf("GET /state: %d %v", status, body)
	}
	if _, _, body := call(t, sb, "GET", "/healthz", "", nil); !strings.Contains(body["status"].(string), "ok") {
		t.Errorf("GET /healthz: %v", body)
	}
}

func TestACertificateIsReadByItsID(t *testing.T) {
	sb := sandboxtest.New(t, sandbox.Config{Certificates: 3})
	want := sb.Certificates()[1]
	status, _, body := call(t, sb, http.MethodGet, "/certificates/"+want.ID, "", nil)
	if status != http.StatusOK || body["id"] != want.ID || body["employeeId"] != want.EmployeeID {
		t.Errorf("GET /certificates/%s = %d %v, want the certificate", want.ID, status, body)
	}
	if status, _, body := call(t, sb, http.MethodGet, "/certificates/C-missing", "", nil); status != http.StatusNotFound ||
		!strings.Contains(body["error"].(string), "C-missing") {
		t.Errorf("a missing certificate: %d %v, want 404 naming it", status, body)
	}
}
