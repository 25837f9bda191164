package main

import (
	"fmt"
	"strings"
	"time"
)

// Outcomes of a check, as recorded in CPR.
const (
	outcomeConfirmed  = "confirmed"
	outcomeCaseOpened = "case-opened"
)

// queueCaseworkers takes the cases the robot opens.
const queueCaseworkers = "borgerservice"

const dateLayout = "2006-01-02"

// decision is what the check of one citizen found.
type decision struct {
	confirmed bool
	// reasons say, for the caseworker, why the registration is unclear.
	reasons []string
}

func (d decision) reason() string { return strings.Join(d.reasons, "; ") }

// decide checks a citizen's registration on checkDate. EU citizens are
// registered without expiry; others need a permit valid on the day. Letters
// returned from the address suggest the citizen has left, whatever the
// permit says.
func decide(c citizen, checkDate time.Time) decision {
	var d decision
	if !c.EUCitizen {
		switch expires, err := time.ParseInLocation(dateLayout, c.PermitExpires, checkDate.Location()); {
		case c.PermitExpires == "":
			d.reasons = append(d.reasons, "no residence permit registered")
		case err != nil:
			d.reasons = append(d.reasons, fmt.Sprintf("permit expiry %q cannot be read", c.PermitExpires))
		case expires.Before(checkDate):
			d.reasons = append(d.reasons, "residence permit expired on "+c.PermitExpires)
		}
	}
	if c.MailReturned {
		d.reasons = append(d.reasons, "letters to the registered address were returned")
	}
	d.confirmed = len(d.reasons) == 0
	return d
}

// caseTask is the caseworker's task about a citizen in a batch.
func caseTask(batch string, c citizen, d decision) task {
	return task{
		Queue:     queueCaseworkers,
		Title:     "Opholdskontrol " + batch + ": afklar bopæl",
		Reason:    d.reason(),
		Reference: reference{Kind: "foreign-citizen", ID: c.ID},
		batch:     batch,
	}
}
