package main

import "fmt"

// The steps of sewer separation (separatkloakering): a varsel (warning)
// that the owner may answer, then, after its answer period, a påbud
// (order). A caseworker chooses the step for each item; the robot checks
// that the property is ready for it.
const (
	stepVarsel = "varsel"
	stepPaabud = "paabud"
)

// Letter templates and the kind of item and document, as Digital Post and
// ESDH know them.
const (
	templateVarsel  = "separatkloakering-varsel"
	templatePaabud  = "separatkloakering-paabud"
	kindProperty    = "sewer-property"
	kindSewerLetter = "sewer-letter"
	classOutgoing   = "udgående brev"
)

// request is an item's payload: {"propertyId": "SK-00003", "step": "paabud"}.
type request struct {
	PropertyID string `json:"propertyId"`
	Step       string `json:"step"`
}

// plan is what one item needs: a letter to send, or the letter an earlier
// attempt sent; and the journal entry, unless it exists.
type plan struct {
	send      *letter
	letterID  string
	journalID string
}

// decide plans the step for p on today (a date, 2006-01-02), or says why
// the robot must not send it: a reason for the caseworker.
func decide(p property, step, today string) (plan, string) {
	if done := p.sent(step); done != nil {
		if done.LetterID == "" {
			return plan{}, fmt.Sprintf("a %s was sent on paper on %s, outside Digital Post: a caseworker journals it", stepName(step), done.Sent)
		}
		// An earlier attempt sent it (and was stopped): finish its work.
		return plan{letterID: done.LetterID, journalID: done.JournalID}, ""
	}
	switch {
	case p.Separated:
		return plan{}, "the property has separated its sewer already: no letter is due"
	case step == stepPaabud && p.Varsel == nil:
		return plan{}, "no varsel was sent: a påbud needs a varsel and its answer period first"
	case step == stepPaabud && today <= p.Varsel.AnswerBy:
		return plan{}, fmt.Sprintf("the owner may answer the varsel until %s: a påbud can be sent from the day after", p.Varsel.AnswerBy)
	case p.Owner.AddressProtected:
		return plan{}, "the owner has name and address protection: a caseworker sends the letter"
	}
	l := letterFor(p, step)
	return plan{send: &l}, ""
}

// letterFor is the step's letter to the property's owner.
func letterFor(p property, step string) letter {
	l := letter{
		RecipientID: p.Owner.ID,
		About:       reference{Kind: kindProperty, ID: p.ID},
		Template:    templateVarsel,
		Subject:     "Varsel om påbud om separatkloakering, " + p.Address,
	}
	if step == stepPaabud {
		l.Template, l.Subject = templatePaabud, "Påbud om separatkloakering, "+p.Address
	}
	return l
}

// entryFor journals the sent letter in the property's case.
func entryFor(p property, step, letterID string) journalEntry {
	title := "Varsel om påbud om separatkloakering"
	if step == stepPaabud {
		title = "Påbud om separatkloakering"
	}
	return journalEntry{
		Document:       reference{Kind: kindSewerLetter, ID: letterID},
		CaseNumber:     p.CaseNumber,
		Title:          title + ", " + p.Address,
		Classification: classOutgoing,
	}
}

// letterKey and journalKey make the step's two writes safe to repeat: one
// letter and one journal entry per property and step, however often the
// item is taken.
func letterKey(r request) string  { return "separatkloakering/" + r.PropertyID + "/" + r.Step }
func journalKey(r request) string { return kindSewerLetter + "/" + r.PropertyID + "/" + r.Step }

func stepName(step string) string {
	if step == stepPaabud {
		return "påbud"
	}
	return step
}
