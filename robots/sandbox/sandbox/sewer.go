package sandbox

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"
)

// RefSewerProperty is what a letter about a property that must separate
// its sewer names as its kind (LetterRequest.About).
const RefSewerProperty = "sewer-property"

// DocSewerLetter is the kind of journal document that is a letter on sewer
// separation: its id is the Digital Post letter's, and its case the
// property's.
const DocSewerLetter = "sewer-letter"

// Sewer separation (separatkloakering) letters: a varsel (warning) first,
// which the owner may answer within the answer period (partshøring), and
// only then a påbud (order). The letter's template says which it is.
const (
	StepVarsel = "varsel"
	StepPaabud = "paabud"

	TemplateSewerVarsel = "separatkloakering-varsel"
	TemplateSewerPaabud = "separatkloakering-paabud"
)

// varselAnswerPeriod is how long the owner may answer a varsel.
const varselAnswerPeriod = 28 * 24 * time.Hour

// SewerProperty is a property in an area where rainwater and wastewater
// must be separated, with its ESDH case: the work of Herning's Paula.
type SewerProperty struct {
	ID      string `json:"id"`
	Address string `json:"address"`
	Owner   Owner  `json:"owner"`
	// CaseNumber is the property's ESDH case, where its letters are
	// journaled.
	CaseNumber string `json:"caseNumber"`
	// SeparateBy is the area's date in the wastewater plan.
	SeparateBy string `json:"separateBy"`
	// Separated: the owner has separated; no letter is due.
	Separated bool `json:"separated"`
	// Varsel and Paabud are the letters sent, once sent.
	Varsel *SewerLetter `json:"varsel,omitempty"`
	Paabud *SewerLetter `json:"paabud,omitempty"`
	// Due is the letter the property is due for: "varsel", "paabud" (the
	// varsel's answer period is over) or empty.
	Due string `json:"due,omitempty"`
}

// SewerLetter is a varsel or påbud sent to a property's owner.
type SewerLetter struct {
	// LetterID is the Digital Post letter; empty for a letter a caseworker
	// sent on paper before the robot.
	LetterID string `json:"letterId,omitempty"`
	Sent     string `json:"sent"`
	// AnswerBy is a varsel's last day for the owner's answer.
	AnswerBy string `json:"answerBy,omitempty"`
	// JournalID is the letter's journal entry in the property's case, once
	// journaled.
	JournalID string `json:"journalId,omitempty"`
}

// newSewerProperty seeds property i. Which properties are exceptions
// follows the number: every 10th from the 7th has separated already;
// every 3rd had its varsel on paper 35 to 60 days ago (a påbud is due);
// every 8th from the 5th had it 3 to 17 days ago (still in its answer
// period). Of the owners, every 15th from the 11th has no Digital Post
// mailbox and every 25th from the 23rd has name and address protection.
func newSewerProperty(rng *rand.Rand, i int, today time.Time) *SewerProperty {
	address := fmt.Sprintf("%s %d, %s", pick(rng, streets), 1+rng.IntN(120), postcode("Herning"))
	p := &SewerProperty{
		ID:         seqID("SK", i, 5),
		Address:    address,
		CaseNumber: fmt.Sprintf("MIL-2026-%05d", i),
		SeparateBy: today.AddDate(0, 6+rng.IntN(18), 0).Format(dateLayout),
		Separated:  i%10 == 7,
		Owner: Owner{
			ID:               seqID("EJ", 500000+i, 6),
			Name:             pick(rng, firstNames) + " " + pick(rng, lastNames),
			Address:          address,
			DigitalPost:      i%15 != 11,
			AddressProtected: i%25 == 23,
		},
	}
	if p.Owner.AddressProtected {
		p.Owner.Address = ""
	}
	switch {
	case p.Separated:
	case i%3 == 0:
		p.Varsel = varselSent(today.AddDate(0, 0, -35-rng.IntN(26)), "")
	case i%8 == 5:
		p.Varsel = varselSent(today.AddDate(0, 0, -3-rng.IntN(15)), "")
	}
	return p
}

func varselSent(day time.Time, letterID string) *SewerLetter {
	return &SewerLetter{LetterID: letterID, Sent: day.Format(dateLayout), AnswerBy: day.Add(varselAnswerPeriod).Format(dateLayout)}
}

// due is the letter p is due for on today.
func (p *SewerProperty) due(today string) string {
	switch {
	case p.Separated:
		return ""
	case p.Varsel == nil:
		return StepVarsel
	case p.Paabud == nil && p.Varsel.AnswerBy < today:
		return StepPaabud
	}
	return ""
}

// sewerStep is the step a sewer letter's template is, or "".
func sewerStep(template string) string {
	switch template {
	case TemplateSewerVarsel:
		return StepVarsel
	case TemplateSewerPaabud:
		return StepPaabud
	}
	return ""
}

// recordSewerLetter notes a sent letter on its property. s.mu is held.
func (p *SewerProperty) recordSewerLetter(step string, l Letter, today time.Time) {
	switch {
	case step == StepVarsel && p.Varsel == nil:
		p.Varsel = varselSent(today, l.ID)
	case step == StepPaabud && p.Paabud == nil:
		p.Paabud = &SewerLetter{LetterID: l.ID, Sent: today.Format(dateLayout)}
	}
}

// view is the property as the API shows it: what is due today, and the
// journal entries of its letters. s.mu is held.
func (s *Server) sewerView(p *SewerProperty) SewerProperty {
	out := *p
	out.Due = p.due(s.today().Format(dateLayout))
	for _, l := range []**SewerLetter{&out.Varsel, &out.Paabud} {
		if *l == nil {
			continue
		}
		copied := **l
		copied.JournalID = s.journalIDOf(DocSewerLetter, copied.LetterID)
		*l = &copied
	}
	return out
}

// journalIDOf is the journal entry of a document, or "". s.mu is held.
func (s *Server) journalIDOf(kind, id string) string {
	if id == "" {
		return ""
	}
	for _, e := range s.journal.records() {
		if e.Document != nil && e.Document.Kind == kind && e.Document.ID == id {
			return e.ID
		}
	}
	return ""
}

// listSewerProperties answers GET /sewer/properties?due=varsel|paabud:
// the properties, or those due for a letter of that step, the list a
// caseworker makes Paula's queue from.
func (s *Server) listSewerProperties(w http.ResponseWriter, r *http.Request) {
	due := r.URL.Query().Get("due")
	if due != "" && due != StepVarsel && due != StepPaabud {
		writeError(w, http.StatusBadRequest, "due %q: want %s or %s", due, StepVarsel, StepPaabud)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	list := []SewerProperty{}
	for _, p := range s.properties {
		if v := s.sewerView(p); due == "" || v.Due == due {
			list = append(list, v)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"properties": list})
}

// getSewerProperty answers GET /sewer/properties/{id}.
func (s *Server) getSewerProperty(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.sewerProperty(id); p != nil {
		writeJSON(w, http.StatusOK, s.sewerView(p))
		return
	}
	writeError(w, http.StatusNotFound, "no property %q in a sewer separation area", id)
}

// sewerProperty finds a property by id; s.mu is held.
func (s *Server) sewerProperty(id string) *SewerProperty {
	for _, p := range s.properties {
		if p.ID == id {
			return p
		}
	}
	return nil
}

// sewerLetterOnCase says why letter letterID cannot be journaled on
// caseNumber: it must be a sent letter about a sewer property, and the
// case that property's. A zero status means it can.
func (s *Server) sewerLetterOnCase(letterID, caseNumber string) (status int, problem string) {
	l, ok := s.letter(letterID)
	if !ok {
		return http.StatusNotFound, fmt.Sprintf("no letter %s in Digital Post's outbox", letterID)
	}
	if l.About == nil || l.About.Kind != RefSewerProperty {
		return http.StatusUnprocessableEntity, fmt.Sprintf("letter %s is not about a sewer property", letterID)
	}
	p := s.sewerProperty(l.About.ID)
	if p == nil || p.CaseNumber != caseNumber {
		return http.StatusUnprocessableEntity, fmt.Sprintf("letter %s is about property %s, whose case is not %s", letterID, l.About.ID, caseNumber)
	}
	return 0, ""
}

// SewerProperties returns the properties as GET /sewer/properties shows
// them.
func (s *Server) SewerProperties() []SewerProperty {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]SewerProperty, 0, len(s.properties))
	for _, p := range s.properties {
		out = append(out, s.sewerView(p))
	}
	return out
}
