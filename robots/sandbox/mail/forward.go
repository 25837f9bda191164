package mail

import (
	"bytes"
	"errors"
	"net/mail"
	"strings"
	"time"
)

var errNoMessageID = errors.New("a forwarded mail keeps its Message-ID, and this one has none")

// Forward is a mail a department's mailbox received.
type Forward struct {
	// MessageID is the mail's own Message-ID: a forwarded (resent) mail
	// keeps the one it arrived with.
	MessageID string `json:"messageId"`
	To        string `json:"to"`
	// From is the envelope sender: who forwarded it.
	From    string `json:"from"`
	Subject string `json:"subject"`
	// Copies counts how often it was received; the mailbox files it once.
	Copies int       `json:"copies"`
	At     time.Time `json:"at"`
}

// forwardLedger is what the departments' mailboxes received, by
// recipient and Message-ID.
type forwardLedger struct {
	byKey      map[string]*Forward
	order      []*Forward
	duplicates int
}

// department is the configured department mailbox for address, if any.
func (m *Mailbox) department(address string) (string, bool) {
	for _, d := range m.cfg.Departments {
		if strings.EqualFold(d, address) {
			return d, true
		}
	}
	return "", false
}

// forwardTo records raw as received by each department. A mail without
// a Message-ID is refused: forwarded mail always has the one the
// municipality's server gave it.
func (m *Mailbox) forwardTo(departments []string, from string, raw []byte) error {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return notAMessage(err)
	}
	id := strings.TrimSpace(msg.Header.Get("Message-Id"))
	if id == "" {
		return notAMessage(errNoMessageID)
	}
	at := m.cfg.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.forwards.byKey == nil {
		m.forwards.byKey = map[string]*Forward{}
	}
	for _, to := range departments {
		key := strings.ToLower(to) + " " + id
		if f, ok := m.forwards.byKey[key]; ok {
			f.Copies++
			m.forwards.duplicates++
			continue
		}
		f := &Forward{MessageID: id, To: to, From: truncate(from), Subject: truncate(msg.Header.Get("Subject")), Copies: 1, At: at}
		m.forwards.byKey[key] = f
		m.forwards.order = append(m.forwards.order, f)
	}
	return nil
}

// Forwards are the mails the departments received, in order.
func (m *Mailbox) Forwards() []Forward {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Forward, 0, len(m.forwards.order))
	for _, f := range m.forwards.order {
		out = append(out, *f)
	}
	return out
}

func (m *Mailbox) forwardCounts() (forwarded, duplicates int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.forwards.order), m.forwards.duplicates
}
