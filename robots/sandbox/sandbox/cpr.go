package sandbox

import (
	"net/http"
	"regexp"
)

// Move-in statuses: a move-in is done once it has a letter or was handed
// to a person.
const (
	MoveInNew        = "new"
	MoveInLetterSent = "letter-sent"
	MoveInHandedOver = "handed-over"
)

// MoveIn is a CPR move-in event: someone moved into the municipality.
type MoveIn struct {
	ID           string `json:"id"`
	ResidentID   string `json:"residentId"`
	Name         string `json:"name"`
	Municipality string `json:"municipality"`
	// Address is empty when AddressProtected: the register does not give
	// it out.
	Address string `json:"address,omitempty"`
	MovedIn string `json:"movedIn"`
	// HasChildren: the household has children under 18, who get another
	// welcome letter (schools, day care).
	HasChildren bool `json:"hasChildren"`
	// AddressProtected is name and address protection
	// (navne- og adressebeskyttelse).
	AddressProtected bool   `json:"addressProtected"`
	Status           string `json:"status"`
}

// ForeignCitizen is a registered resident who is not a Danish citizen.
type ForeignCitizen struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Nationality string `json:"nationality"`
	// EUCitizen: registered under EU rules, with no expiry.
	EUCitizen bool   `json:"euCitizen"`
	Address   string `json:"address"`
	// PermitExpires is the residence permit's last day; empty for EU
	// citizens.
	PermitExpires string `json:"permitExpires,omitempty"`
	// MailReturned: letters to the address came back, a sign the citizen
	// has left.
	MailReturned bool `json:"mailReturned"`
	// CheckedInBatch is set in a listing for one batch: whether the batch
	// has a check of this citizen.
	CheckedInBatch bool `json:"checkedInBatch"`
}

// Residence check outcomes.
const (
	CheckConfirmed  = "confirmed"
	CheckCaseOpened = "case-opened"
)

// ResidenceCheckRequest records the check of one citizen in one batch.
type ResidenceCheckRequest struct {
	Batch     string `json:"batch"`
	CitizenID string `json:"citizenId"`
	// Outcome is "confirmed" or "case-opened".
	Outcome string `json:"outcome"`
	Reason  string `json:"reason,omitempty"`
}

// ResidenceCheck is a recorded check.
type ResidenceCheck struct {
	ResidenceCheckRequest
	ID        string `json:"id"`
	Key       string `json:"key"`
	CheckedBy string `json:"checkedBy"`
	CheckedAt string `json:"checkedAt"`
}

// batchName is what a batch may be called: a quarter such as 2025-Q3 or
// any other label of an on-demand round.
var batchName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// listMoveIns answers GET /cpr/move-ins?municipality=&status=.
func (s *Server) listMoveIns(w http.ResponseWriter, r *http.Request) {
	municipality, status := r.URL.Query().Get("municipality"), r.URL.Query().Get("status")
	s.mu.Lock()
	defer s.mu.Unlock()
	list := []MoveIn{}
	for _, m := range s.moveIns {
		if (municipality == "" || m.Municipality == municipality) && (status == "" || m.Status == status) {
			list = append(list, *m)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"moveIns": list})
}

// listCitizens answers GET /cpr/foreign-citizens?batch=&status=unchecked.
func (s *Server) listCitizens(w http.ResponseWriter, r *http.Request) {
	batch, status := r.URL.Query().Get("batch"), r.URL.Query().Get("status")
	if status != "" && status != "unchecked" {
		writeError(w, http.StatusBadRequest, "status %q: only \"unchecked\" is known", status)
		return
	}
	if status != "" && batch == "" {
		writeError(w, http.StatusBadRequest, "status=unchecked needs a batch")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	list := []ForeignCitizen{}
	for _, c := range s.citizens {
		out := *c
		out.CheckedInBatch = batch != "" && s.checked(batch, c.ID)
		if status == "" || !out.CheckedInBatch {
			list = append(list, out)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"citizens": list})
}

// checked reports whether batch has a check of the citizen; s.mu is held.
func (s *Server) checked(batch, citizenID string) bool {
	return s.checkedInBatch[batch+"/"+citizenID]
}

// recordCheck answers POST /cpr/residence-checks. A second check of the
// same citizen in the same batch under another key is refused: a batch
// checks each citizen once.
func (s *Server) recordCheck(w http.ResponseWriter, r *http.Request) {
	key, req, canonical, ok := readWrite[ResidenceCheckRequest](w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if replayOrConflict(w, &s.checks, key, canonical) {
		return
	}
	switch {
	case !batchName.MatchString(req.Batch):
		writeError(w, http.StatusUnprocessableEntity, "batch %q: letters, digits, '.', '_' and '-', at most 64", req.Batch)
		return
	case req.Outcome != CheckConfirmed && req.Outcome != CheckCaseOpened:
		writeError(w, http.StatusUnprocessableEntity, "outcome %q: want %s or %s", req.Outcome, CheckConfirmed, CheckCaseOpened)
		return
	case s.citizen(req.CitizenID) == nil:
		writeError(w, http.StatusNotFound, "no foreign citizen %s", req.CitizenID)
		return
	case s.checked(req.Batch, req.CitizenID):
		writeError(w, http.StatusConflict, "batch %s already has a check of %s", req.Batch, req.CitizenID)
		return
	}
	check := ResidenceCheck{
		ResidenceCheckRequest: req,
		ID:                    seqID("RC", s.checks.len()+1, 6),
		Key:                   key,
		CheckedBy:             actor(r),
		CheckedAt:             s.timestamp(),
	}
	s.checks.add(key, canonical, check)
	s.checkedInBatch[req.Batch+"/"+req.CitizenID] = true
	s.log.Info("residence check recorded", "key", key, "outcome", req.Outcome, "by", check.CheckedBy)
	writeJSON(w, http.StatusCreated, check)
}

// listChecks answers GET /cpr/residence-checks?batch=.
func (s *Server) listChecks(w http.ResponseWriter, r *http.Request) {
	batch := r.URL.Query().Get("batch")
	s.mu.Lock()
	defer s.mu.Unlock()
	list := []ResidenceCheck{}
	for _, c := range s.checks.records() {
		if batch == "" || c.Batch == batch {
			list = append(list, c)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"checks": list})
}

func (s *Server) moveIn(id string) *MoveIn {
	for _, m := range s.moveIns {
		if m.ID == id {
			return m
		}
	}
	return nil
}

func (s *Server) citizen(id string) *ForeignCitizen {
	for _, c := range s.citizens {
		if c.ID == id {
			return c
		}
	}
	return nil
}
