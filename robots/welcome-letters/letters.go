package main

import "fmt"

// Letter templates: households with children get the letter about schools,
// day care and the health visitor.
const (
	templateWelcome         = "welcome"
	templateWelcomeChildren = "welcome-children"
)

// queueCitizenService is where move-ins the robot must not handle go.
const queueCitizenService = "borgerservice"

// letterFor is the welcome letter for a move-in into municipality.
func letterFor(m moveIn, municipality string) letter {
	l := letter{
		RecipientID: m.ResidentID,
		MoveInID:    m.ID,
		Template:    templateWelcome,
		Subject:     fmt.Sprintf("Velkommen til %s Kommune", municipality),
	}
	if m.HasChildren {
		l.Template = templateWelcomeChildren
		l.Subject = fmt.Sprintf("Velkommen til %s Kommune – til jer med børn", municipality)
	}
	return l
}

// handOverTask is the task for a move-in a person must handle, and why.
func handOverTask(m moveIn, reason string) task {
	return task{
		Queue:     queueCitizenService,
		Title:     "Velkomstbrev sendes manuelt",
		Reason:    reason,
		Reference: reference{Kind: "move-in", ID: m.ID},
	}
}
