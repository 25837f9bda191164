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

func TestOilTankExceptionsFollowTheNumberFromTheFirstPlaced(t *testing.T) {
	tests := []struct {
		name          string
		cfg           sandbox.Config
		wantProtected []string
		wantNoMailbox []string
	}{
		{
			name:          "from the first unit",
			cfg:           sandbox.Config{OilTanks: 40},
			wantProtected: []string{"BBR-000009", "BBR-000029"},
			wantNoMailbox: []string{"BBR-000015", "BBR-000035"},
		},
		{
			name:          "placed after unit 20",
			cfg:           sandbox.Config{OilTanks: 40, OilTankExceptionsFrom: 21},
			wantProtected: []string{"BBR-000029"},
			wantNoMailbox: []string{"BBR-000035"},
		},
		{
			name: "placed after the last unit",
			cfg:  sandbox.Config{OilTanks: 40, OilTankExceptionsFrom: 41},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb := sandboxtest.New(t, tt.cfg)
			var protected, noMailbox []string
			owners := map[string]bool{}
			for _, u := range sb.OilTanks() {
				owners[u.Owner.ID] = true
				if u.Owner.AddressProtected {
					protected = append(protected, u.UnitID)
					if u.Owner.Address != "" {
						t.Errorf("%s: a protected owner's address is given out", u.UnitID)
					}
				}
				if !u.Owner.DigitalPost {
					noMailbox = append(noMailbox, u.UnitID)
				}
			}
			if !reflect.DeepEqual(protected, tt.wantProtected) || !reflect.DeepEqual(noMailbox, tt.wantNoMailbox) {
				t.Errorf("protected %v, no mailbox %v; want %v and %v", protected, noMailbox, tt.wantProtected, tt.wantNoMailbox)
			}
			if len(owners) != 40 {
				t.Errorf("%d owners for 40 units, want one each", len(owners))
			}
			if again := sandboxtest.New(t, tt.cfg); !reflect.DeepEqual(again.OilTanks(), sb.OilTanks()) {
				t.Error("the same seed gave different units")
			}
		})
	}
}

func TestLettersToOwnersAreSentOnceOrRefusedForAPerson(t *testing.T) {
	sb := sandboxtest.New(t, sandbox.Config{OilTanks: 16, SewerProperties: 12, MoveIns: 2})
	units := sb.OilTanks()
	ordinary, protected, noMailbox := units[0], units[8], units[14]
	oilLetter := func(u sandbox.OilTank) sandbox.LetterRequest {
		return sandbox.LetterRequest{RecipientID: u.Owner.ID, About: &sandbox.Reference{Kind: sandbox.RefOilTank, ID: u.UnitID},
			Template: "olietank-paamindelse", Subject: "Din olietank"}
	}
	property := sb.SewerProperties()[0]
	varsel := sandbox.LetterRequest{RecipientID: property.Owner.ID, About: &sandbox.Reference{Kind: sandbox.RefSewerProperty, ID: property.ID},
		Template: sandbox.TemplateSewerVarsel, Subject: "Varsel om påbud om separatkloakering"}
	wrongTemplate := varsel
	wrongTemplate.Template = "olietank-paamindelse"
	wrongOwner := oilLetter(ordinary)
	wrongOwner.RecipientID = protected.Owner.ID
	both := oilLetter(ordinary)
	both.MoveInID = sb.MoveIns()[0].ID
	unknownKind := oilLetter(ordinary)
	unknownKind.About = &sandbox.Reference{Kind: "car", ID: "AB 12 345"}
	unknownUnit := oilLetter(ordinary)
	unknownUnit.About = &sandbox.Reference{Kind: sandbox.RefOilTank, ID: "BBR-999999"}

	tests := []struct {
		name         string
		key          string
		body         sandbox.LetterRequest
		wantStatus   int
		wantReplayed bool
		wantError    string
	}{
		{"a reminder to an ordinary owner", "olie/BBR-000001", oilLetter(ordinary), http.StatusCreated, false, ""},
		{"its repeat is answered from the ledger", "olie/BBR-000001", oilLetter(ordinary), http.StatusOK, true, ""},
		{"a protected owner is refused", "olie/BBR-000009", oilLetter(protected), http.StatusUnprocessableEntity, false, "has name and address protection"},
		{"an owner without a mailbox is refused", "olie/BBR-000015", oilLetter(noMailbox), http.StatusUnprocessableEntity, false, "has no Digital Post mailbox"},
		{"the recipient must be the owner", "w", wrongOwner, http.StatusUnprocessableEntity, false, "is not the owner"},
		{"about a move-in and a unit at once", "b", both, http.StatusUnprocessableEntity, false, "not both"},
		{"about something unknown", "k", unknownKind, http.StatusUnprocessableEntity, false, `not "car"`},
		{"about a unit BBR does not have", "u", unknownUnit, http.StatusNotFound, false, "no BBR unit BBR-999999"},
		{"a sewer letter that is no step", "s1", wrongTemplate, http.StatusUnprocessableEntity, false, "a varsel or a påbud"},
		{"a varsel to a property's owner", "sewer/" + property.ID + "/varsel", varsel, http.StatusCreated, false, ""},
	}
	for _, tt := range tests {
		status, replayed, body := call(t, sb, http.MethodPost, "/digital-post/letters", tt.key, tt.body)
		got, _ := body["error"].(string)
		if status != tt.wantStatus || replayed != tt.wantReplayed || !strings.Contains(got, tt.wantError) {
			t.Errorf("%s: %d replayed %v %q, want %d %v %q", tt.name, status, replayed, got, tt.wantStatus, tt.wantReplayed, tt.wantError)
		}
	}
	st := sb.State()
	if st.LettersSent != 2 || st.LetterDuplicates != 1 || st.LettersRejected != 2 || st.OilTankReminders != 1 || st.SewerLetters != 1 || st.OilTanks != 16 {
		t.Errorf("state %+v: want 2 sent, 1 duplicate, 2 rejected, 1 reminder, 1 sewer letter of 16 units", st)
	}
	if u := sb.OilTanks()[0]; u.ReminderLetterID != "DP-000001" {
		t.Errorf("unit %s has reminder %q, want DP-000001", u.UnitID, u.ReminderLetterID)
	}
	_, _, body := call(t, sb, http.MethodGet, "/bbr/oil-tanks?reminded=false", "", nil)
	if n := len(body["oilTanks"].([]any)); n != 15 {
		t.Errorf("%d units without a reminder, want 15", n)
	}
	if status, _, body := call(t, sb, http.MethodGet, "/bbr/oil-tanks/"+protected.UnitID, "", nil); status != http.StatusOK || body["unitId"] != protected.UnitID {
		t.Errorf("GET one unit: %d %v", status, body)
	}
}

// TestADelayedLetterIsSentBeforeItsAnswer: a robot that gives up waiting
// (or is killed) has sent the letter; its retry with the same key is a
// duplicate, not a second letter.
func TestADelayedLetterIsSentBeforeItsAnswer(t *testing.T) {
	sb := sandboxtest.New(t, sandbox.Config{OilTanks: 1, LetterDelay: time.Second})
	u := sb.OilTanks()[0]
	data, _ := json.Marshal(sandbox.LetterRequest{RecipientID: u.Owner.ID, About: &sandbox.Reference{Kind: sandbox.RefOilTank, ID: u.UnitID},
		Template: "olietank-paamindelse", Subject: "Din olietank"})
	send := func(timeout time.Duration) (int, error) {
		req, _ := http.NewRequest(http.MethodPost, sb.URL+"/digital-post/letters", bytes.NewReader(data))
		req.Header.Set(sandbox.IdempotencyKeyHeader, "olie/"+u.UnitID)
		resp, err := (&http.Client{Timeout: timeout}).Do(req)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	if _, err := send(50 * time.Millisecond); err == nil {
		t.Fatal("the answer came before the delay")
	}
	if st := sb.State(); st.LettersSent != 1 {
		t.Fatalf("%d letters sent by the request that gave up, want 1", st.LettersSent)
	}
	if status, err := send(5 * time.Second); err != nil || status != http.StatusOK {
		t.Errorf("the retry: %d %v, want 200 from the ledger", status, err)
	}
	if st := sb.State(); st.LettersSent != 1 || st.LetterDuplicates != 1 {
		t.Errorf("state %+v, want 1 letter and 1 duplicate", st)
	}
}
