package sandbox

import (
	"fmt"
	"net/http"
	"time"
)

// documentOnCase says why a document (not a certificate) cannot be
// journaled on caseNumber; a zero status means it can. Each kind has its
// own rule for which cases are its: a mail goes on any of ESDH's cases
// about persons, a sewer letter only on its property's case. s.mu is held.
func (s *Server) documentOnCase(doc Reference, caseNumber string) (status int, problem string) {
	switch doc.Kind {
	case DocMail:
		if s.esdhCase(caseNumber) == nil {
			return http.StatusNotFound, fmt.Sprintf("no case %s", caseNumber)
		}
		return 0, ""
	case DocSewerLetter:
		return s.sewerLetterOnCase(doc.ID, caseNumber)
	}
	return http.StatusUnprocessableEntity, fmt.Sprintf("document kind %q: want %q or %q", doc.Kind, DocMail, DocSewerLetter)
}

// letter finds a sent letter by its id. s.mu is held.
func (s *Server) letter(id string) (Letter, bool) {
	for _, l := range s.letters.records() {
		if l.ID == id {
			return l, true
		}
	}
	return Letter{}, false
}

// today is the sandbox's date, as the seed counts days.
func (s *Server) today() time.Time { return s.cfg.Now().UTC().Truncate(24 * time.Hour) }

// countLetterSubjects counts the oil tanks and sewer properties and their
// letters into st. s.mu is held.
func (s *Server) countLetterSubjects(st *State) {
	st.OilTanks, st.SewerProperties = len(s.oilTanks), len(s.properties)
	for _, t := range s.oilTanks {
		if t.ReminderLetterID != "" {
			st.OilTankReminders++
		}
	}
	for _, p := range s.properties {
		for _, l := range []*SewerLetter{p.Varsel, p.Paabud} {
			if l == nil || l.LetterID == "" {
				continue
			}
			st.SewerLetters++
			if s.journalIDOf(DocSewerLetter, l.LetterID) != "" {
				st.SewerLettersJournaled++
			}
		}
	}
}
