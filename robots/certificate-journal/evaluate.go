package main

import "fmt"

// Classifications the journal entry gets.
const (
	classClean   = "clean"
	classRemarks = "remarks"
)

// queueHR is the team that handles certificates that are not clean.
const queueHR = "hr"

// verdict is what the robot makes of a certificate.
type verdict struct {
	clean          bool
	classification string
}

// evaluate reads a certificate: clean when it records no offence. Judging
// an offence against the job is HR's work, never the robot's.
func evaluate(c certificate) verdict {
	if len(c.Offences) == 0 {
		return verdict{clean: true, classification: classClean}
	}
	return verdict{clean: false, classification: classRemarks}
}

// journalEntryFor is the certificate's entry in the employee's personnel
// case.
func journalEntryFor(c certificate, v verdict) journalEntry {
	return journalEntry{
		CertificateID:  c.ID,
		CaseNumber:     "P-" + c.EmployeeID,
		Title:          fmt.Sprintf("%s, %s, modtaget %s", title(c.Kind), c.Position, c.Received),
		Classification: v.classification,
	}
}

// hrTask is the task that hands a certificate that is not clean to HR.
func hrTask(c certificate) task {
	return task{
		Queue:     queueHR,
		Title:     fmt.Sprintf("%s med anmærkninger: vurdér ansættelsen", title(c.Kind)),
		Reason:    fmt.Sprintf("the certificate records %d offence(s); journaled in case P-%s", len(c.Offences), c.EmployeeID),
		Reference: reference{Kind: "certificate", ID: c.ID},
	}
}

func title(kind string) string {
	switch kind {
	case "børneattest":
		return "Børneattest"
	default:
		return "Straffeattest"
	}
}
