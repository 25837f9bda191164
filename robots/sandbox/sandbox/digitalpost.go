package sandbox

import "net/http"

// LetterRequest sends a Digital Post letter about a move-in.
type LetterRequest struct {
	RecipientID string `json:"recipientId"`
	MoveInID    string `json:"moveInId"`
	// Template names the letter, such as "welcome" or "welcome-children".
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
// residents with name and address protection: those go to a person.
func (s *Server) sendLetter(w http.ResponseWriter, r *http.Request) {
	key, req, canonical, ok := readWrite[LetterRequest](w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if replayOrConflict(w, &s.letters, key, canonical) {
		return
	}
	m := s.moveIn(req.MoveInID)
	switch {
	case m == nil:
		writeError(w, http.StatusNotFound, "no move-in %s", req.MoveInID)
		return
	case m.ResidentID != req.RecipientID:
		writeError(w, http.StatusUnprocessableEntity, "move-in %s is not about resident %s", req.MoveInID, req.RecipientID)
		return
	case m.AddressProtected:
		s.lettersRejected++
		writeError(w, http.StatusUnprocessableEntity, "resident %s has name and address protection: a person must handle the letter", req.RecipientID)
		return
	case req.Template == "" || req.Subject == "":
		writeError(w, http.StatusUnprocessableEntity, "a letter needs a template and a subject")
		return
	}
	letter := Letter{LetterRequest: req, ID: seqID("DP", s.letters.len()+1, 6), Key: key, SentBy: actor(r), SentAt: s.timestamp()}
	s.letters.add(key, canonical, letter)
	if m.Status == MoveInNew {
		m.Status = MoveInLetterSent
	}
	s.log.Info("letter sent", "key", key, "template", req.Template, "by", letter.SentBy)
	writeJSON(w, http.StatusCreated, letter)
}

// listOutbox answers GET /digital-post/outbox.
func (s *Server) listOutbox(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"letters": s.letters.records()})
}
