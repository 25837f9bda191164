package sandbox

import (
	"fmt"
	"net/http"
	"time"
)

// LetterRequest sends a Digital Post letter: about a move-in (MoveInID),
// or about another item of the sandbox (About: a BBR unit with an
// outdated oil tank, a property that must separate its sewer), to its
// owner.
type LetterRequest struct {
	RecipientID string `json:"recipientId"`
	MoveInID    string `json:"moveInId,omitempty"`
	// About is what a letter that is not about a move-in is about:
	// {"kind": "oil-tank", "id": "<BBR unit id>"} or {"kind":
	// "sewer-property", "id": "<property id>"}.
	About *Reference `json:"about,omitempty"`
	// Template names the letter, such as "welcome" or "welcome-children";
	// for a sewer property it says the step: "separatkloakering-varsel" or
	// "separatkloakering-paabud".
	Template string `json:"template"`
	Subject  string `json:"subject"`
}

// Letter is a sent letter.
type Letter struct {
	LetterRequest
	ID     string `json:"id"`
	Key    string `json:"key"`
	SentBy string `json:"sentBy"`
	SentAt string `json:"sentAt"`
}

// sendLetter answers POST /digital-post/letters. It refuses letters to
// recipients with name and address protection, and to owners without a
// Digital Post mailbox: those go to a person. A letter accepted is
// answered after Config.LetterDelay, so that a robot stopped while it
// waits has sent a letter it never heard about.
func (s *Server) sendLetter(w http.ResponseWriter, r *http.Request) {
	answer := &heldAnswer{header: w.Header()}
	if s.acceptLetter(answer, r) && s.cfg.LetterDelay > 0 {
		timer := time.NewTimer(s.cfg.LetterDelay)
		select {
		case <-timer.C:
		case <-r.Context().Done():
		}
		timer.Stop()
	}
	answer.send(w)
}

// acceptLetter checks and records a letter; true when it was sent now.
func (s *Server) acceptLetter(w http.ResponseWriter, r *http.Request) (sent bool) {
	key, req, canonical, ok := readWrite[LetterRequest](w, r)
	if !ok {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if replayOrConflict(w, &s.letters, key, canonical) {
		return false
	}
	var record func(Letter)
	if req.About != nil {
		record, ok = s.checkLetterAbout(w, req)
	} else {
		record, ok = s.checkMoveInLetter(w, req)
	}
	if !ok {
		return false
	}
	if req.Template == "" || req.Subject == "" {
		writeError(w, http.StatusUnprocessableEntity, "a letter needs a template and a subject")
		return false
	}
	letter := Letter{LetterRequest: req, ID: seqID("DP", s.letters.len()+1, 6), Key: key, SentBy: actor(r), SentAt: s.timestamp()}
	s.letters.add(key, canonical, letter)
	record(letter)
	s.log.Info("letter sent", "key", key, "template", req.Template, "by", letter.SentBy)
	writeJSON(w, http.StatusCreated, letter)
	return true
}

// checkMoveInLetter checks a welcome letter and returns what sending it
// changes: the move-in is done. It answers a refusal itself.
func (s *Server) checkMoveInLetter(w http.ResponseWriter, req LetterRequest) (record func(Letter), ok bool) {
	m := s.moveIn(req.MoveInID)
	switch {
	case m == nil:
		writeError(w, http.StatusNotFound, "no move-in %s", req.MoveInID)
		return nil, false
	case m.ResidentID != req.RecipientID:
		writeError(w, http.StatusUnprocessableEntity, "move-in %s is not about resident %s", req.MoveInID, req.RecipientID)
		return nil, false
	case m.AddressProtected:
		s.lettersRejected++
		writeError(w, http.StatusUnprocessableEntity, "resident %s has name and address protection: a person must handle the letter", req.RecipientID)
		return nil, false
	}
	return func(Letter) {
		if m.Status == MoveInNew {
			m.Status = MoveInLetterSent
		}
	}, true
}

// checkLetterAbout checks a letter to the owner of a BBR unit or a sewer
// property and returns what sending it records on the item. It answers a
// refusal itself.
func (s *Server) checkLetterAbout(w http.ResponseWriter, req LetterRequest) (record func(Letter), ok bool) {
	if req.MoveInID != "" {
		writeError(w, http.StatusUnprocessableEntity, "a letter is about a move-in or about another item, not both")
		return nil, false
	}
	owner, record, status, problem := s.letterSubject(*req.About, req.Template)
	if status == 0 {
		status, problem = s.ownerRefusal(owner, req.RecipientID)
	}
	if status != 0 {
		writeError(w, status, "%s", problem)
		return nil, false
	}
	return record, true
}

// letterSubject finds the owner a letter about ref goes to, and what
// sending it records: the oil tank's reminder, the property's varsel or
// påbud. A non-zero status says why there is none. s.mu is held.
func (s *Server) letterSubject(ref Reference, template string) (owner *Owner, record func(Letter), status int, problem string) {
	switch ref.Kind {
	case RefOilTank:
		t := s.oilTank(ref.ID)
		if t == nil {
			return nil, nil, http.StatusNotFound, fmt.Sprintf("no BBR unit %s with an outdated oil tank", ref.ID)
		}
		return &t.Owner, func(l Letter) {
			if t.ReminderLetterID == "" {
				t.ReminderLetterID = l.ID
			}
		}, 0, ""
	case RefSewerProperty:
		p := s.sewerProperty(ref.ID)
		step := sewerStep(template)
		switch {
		case p == nil:
			return nil, nil, http.StatusNotFound, fmt.Sprintf("no property %s in a sewer separation area", ref.ID)
		case step == "":
			return nil, nil, http.StatusUnprocessableEntity,
				fmt.Sprintf("a letter about a sewer property is a varsel or a påbud: template %q or %q", TemplateSewerVarsel, TemplateSewerPaabud)
		}
		return &p.Owner, func(l Letter) { p.recordSewerLetter(step, l, s.today()) }, 0, ""
	}
	return nil, nil, http.StatusUnprocessableEntity, fmt.Sprintf("a letter is about %q or %q, not %q", RefOilTank, RefSewerProperty, ref.Kind)
}

// ownerRefusal says why Digital Post cannot deliver to owner as recipient;
// a zero status means it can. Refusals for the owner's sake are counted.
func (s *Server) ownerRefusal(owner *Owner, recipient string) (status int, problem string) {
	switch {
	case owner.ID != recipient:
		return http.StatusUnprocessableEntity, fmt.Sprintf("%s is not the owner: the letter goes to %s", recipient, owner.ID)
	case owner.AddressProtected:
		s.lettersRejected++
		return http.StatusUnprocessableEntity, fmt.Sprintf("owner %s has name and address protection: a person must handle the letter", recipient)
	case !owner.DigitalPost:
		s.lettersRejected++
		return http.StatusUnprocessableEntity,
			fmt.Sprintf("owner %s has no Digital Post mailbox (exempt from Digital Post): a person must send the letter on paper", recipient)
	}
	return 0, ""
}

// heldAnswer keeps an answer until it is sent, so that the sandbox can
// record a letter, let go of its lock, and answer later.
type heldAnswer struct {
	header http.Header
	status int
	body   []byte
}

func (a *heldAnswer) Header() http.Header { return a.header }

func (a *heldAnswer) WriteHeader(status int) { a.status = status }

func (a *heldAnswer) Write(p []byte) (int, error) {
	a.body = append(a.body, p...)
	return len(p), nil
}

func (a *heldAnswer) send(w http.ResponseWriter) {
	if a.status == 0 {
		a.status = http.StatusOK
	}
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
}

// listOutbox answers GET /digital-post/outbox.
func (s *Server) listOutbox(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"letters": s.letters.records()})
}
