package mail

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// session is one IMAP connection to the mailbox's one user: the
// in-memory server's session, with MOVE held back while a test asks.
type session struct {
	*imapmemserver.UserSession // nil until login
	m                          *Mailbox
}

var _ imapserver.SessionIMAP4rev2 = (*session)(nil)

func (s *session) Login(username, password string) error {
	if err := s.m.user.Login(username, password); err != nil {
		return imapserver.ErrAuthFailed
	}
	s.UserSession = imapmemserver.NewUserSession(s.m.user)
	return nil
}

// Move waits out the mailbox's move delay, then moves, or refuses when
// moves fail: a server that timed the command out.
func (s *session) Move(w *imapserver.MoveWriter, numSet imap.NumSet, dest string) error {
	// Decided when the command arrives: a MOVE whose robot was killed
	// while it waited must not move the mail later, after the fault is
	// lifted and another run has moved it.
	fail := s.m.failMoves.Load()
	if d := time.Duration(s.m.moveDelay.Load()); d > 0 {
		time.Sleep(d)
	}
	if fail {
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeUnavailable, Text: "the mailbox is busy: try again later"}
	}
	return s.UserSession.Move(w, numSet, dest)
}

// Faults are the mailbox's injected faults (GET and PUT /mail/faults).
type Faults struct {
	// MoveDelay holds each IMAP MOVE back this long, such as "30s"; "0s"
	// or empty turns it off.
	MoveDelay string `json:"moveDelay"`
	// FailMoves refuses each MOVE (after MoveDelay): with both, a robot
	// killed while it waits leaves its mail in INBOX for certain, as if
	// the server had never got the command.
	FailMoves bool `json:"failMoves"`
}

func (m *Mailbox) faults() Faults {
	return Faults{MoveDelay: time.Duration(m.moveDelay.Load()).String(), FailMoves: m.failMoves.Load()}
}

// maxMoveDelay keeps a forgotten fault from hanging robots for good.
const maxMoveDelay = 10 * time.Minute

func (m *Mailbox) setFaults(w http.ResponseWriter, r *http.Request) {
	var f Faults
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1024)).Decode(&f); err != nil {
		http.Error(w, "want {\"moveDelay\": \"30s\", \"failMoves\": false}: "+err.Error(), http.StatusBadRequest)
		return
	}
	var d time.Duration
	if f.MoveDelay != "" {
		var err error
		if d, err = time.ParseDuration(f.MoveDelay); err != nil || d < 0 || d > maxMoveDelay {
			http.Error(w, "moveDelay: want a duration from 0s to 10m, such as \"30s\"", http.StatusBadRequest)
			return
		}
	}
	m.moveDelay.Store(int64(d))
	m.failMoves.Store(f.FailMoves)
	writeJSON(w, m.faults())
}
