package sandbox

import "fmt"

// State counts what the sandbox holds and what was asked of it; GET /state
// returns it. Duplicates are repeats of a write under a known key, answered
// without doing anything: a robot that retries is fine, one that sends
// twice under two keys shows up in the records instead.
type State struct {
	MoveIns        int `json:"moveIns"`
	MoveInsPending int `json:"moveInsPending"`
	// LettersSent counts letters in the outbox, LetterDuplicates repeats,
	// LettersRejected letters refused for protected recipients and owners
	// without a Digital Post mailbox.
	LettersSent      int `json:"lettersSent"`
	LetterDuplicates int `json:"letterDuplicates"`
	LettersRejected  int `json:"lettersRejected"`

	Certificates        int `json:"certificates"`
	CertificatesPending int `json:"certificatesPending"`
	Journaled           int `json:"journaled"`
	JournalDuplicates   int `json:"journalDuplicates"`
	// Rejected429 counts journal requests refused for being too fast.
	Rejected429 int `json:"rejected429"`

	Tasks          int `json:"tasks"`
	TaskDuplicates int `json:"taskDuplicates"`

	ForeignCitizens          int `json:"foreignCitizens"`
	ResidenceChecks          int `json:"residenceChecks"`
	ResidenceCheckDuplicates int `json:"residenceCheckDuplicates"`

	// Cases counts ESDH's cases (GET /esdh/cases).
	Cases int `json:"cases"`

	// OilTanks counts BBR units with outdated oil tanks, OilTankReminders
	// those whose owner has a reminder letter.
	OilTanks         int `json:"oilTanks"`
	OilTankReminders int `json:"oilTankReminders"`
	// SewerProperties counts properties that must separate; SewerLetters
	// the varsel and påbud letters sent about them, SewerLettersJournaled
	// those journaled in the property's case.
	SewerProperties       int `json:"sewerProperties"`
	SewerLetters          int `json:"sewerLetters"`
	SewerLettersJournaled int `json:"sewerLettersJournaled"`

	// IdempotencyConflicts counts keys reused for a different request.
	IdempotencyConflicts int `json:"idempotencyConflicts"`
	SystemChecks         int `json:"systemChecks"`
}

// State returns the counts.
func (s *Server) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := State{
		MoveIns:                  len(s.moveIns),
		LettersSent:              s.letters.len(),
		LetterDuplicates:         s.letters.duplicates,
		LettersRejected:          s.lettersRejected,
		Certificates:             len(s.certificates),
		Journaled:                s.journal.len(),
		JournalDuplicates:        s.journal.duplicates,
		Rejected429:              s.rejected429,
		Tasks:                    s.tasks.len(),
		TaskDuplicates:           s.tasks.duplicates,
		ForeignCitizens:          len(s.citizens),
		ResidenceChecks:          s.checks.len(),
		ResidenceCheckDuplicates: s.checks.duplicates,
		IdempotencyConflicts:     s.letters.conflicts + s.journal.conflicts + s.tasks.conflicts + s.checks.conflicts,
		SystemChecks:             s.systemChecks,
		Cases:                    len(s.cases),
	}
	for _, m := range s.moveIns {
		if m.Status == MoveInNew {
			st.MoveInsPending++
		}
	}
	for _, c := range s.certificates {
		if !c.Done {
			st.CertificatesPending++
		}
	}
	s.countLetterSubjects(&st)
	return st
}

// The records, for tests to check one by one. Each is a copy.

// MoveIns returns the move-in events with their status.
func (s *Server) MoveIns() []MoveIn { return copyAll(s, s.moveIns) }

// Certificates returns the certificates with their journal and HR state.
func (s *Server) Certificates() []Certificate { return copyAll(s, s.certificates) }

// ForeignCitizens returns the foreign citizens.
func (s *Server) ForeignCitizens() []ForeignCitizen { return copyAll(s, s.citizens) }

// Letters returns the outbox.
func (s *Server) Letters() []Letter { return records(s, &s.letters) }

// Journal returns the ESDH journal.
func (s *Server) Journal() []JournalEntry { return records(s, &s.journal) }

// Tasks returns the tasks handed to people.
func (s *Server) Tasks() []Task { return records(s, &s.tasks) }

// ResidenceChecks returns the recorded checks.
func (s *Server) ResidenceChecks() []ResidenceCheck { return records(s, &s.checks) }

func copyAll[T any](s *Server, items []*T) []T {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]T, 0, len(items))
	for _, it := range items {
		out = append(out, *it)
	}
	return out
}

func records[R any](s *Server, l *ledger[R]) []R {
	s.mu.Lock()
	defer s.mu.Unlock()
	return l.records()
}

// seqID numbers records: DP-000001.
func seqID(prefix string, n, width int) string { return fmt.Sprintf("%s-%0*d", prefix, width, n) }
