// Package mail is the sandbox's mailbox: the municipality's main address
// (kommunen@herning.dk), which mail reaches by SMTP and robots read by
// IMAP, as they would Exchange's. It is a real SMTP server (go-smtp) and a
// real IMAP server (go-imap v2) over one in-memory mailbox with the
// folders INBOX and Processed, and a ledger of every delivery, so that a
// test can check that each mail ends in one place, once. The departments'
// mailboxes, where the mail robot forwards mail, are ledgers only: who got
// which mail, once.
package mail

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/mail"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-smtp"
)

// The mailbox's folders: mail arrives in Inbox; the intake robot moves
// each mail to Processed once its work item exists.
const (
	Inbox     = "INBOX"
	Processed = "Processed"
)

// Config is the mailbox's.
type Config struct {
	// Address is the mailbox's address and IMAP user name.
	Address string
	// Password is the IMAP password (from a Secret: never a flag).
	Password string
	// Departments are the other mailboxes the SMTP server accepts mail
	// for (departments, caseworkers): it records what each received, and
	// files a mail it already has (by Message-ID) only once, as Exchange's
	// duplicate detection does.
	Departments []string
	// MaxMessageBytes bounds one mail, as a mail server does.
	MaxMessageBytes int64
	// Now is the clock deliveries are stamped with.
	Now func() time.Time
}

// DefaultConfig is Herning's main address, as the sample robots expect.
func DefaultConfig() Config {
	return Config{Address: "kommunen@herning.dk", MaxMessageBytes: 10 << 20, Now: time.Now}
}

// Delivery is one mail as the SMTP server accepted it.
type Delivery struct {
	MessageID string    `json:"messageId"`
	From      string    `json:"from"`
	Subject   string    `json:"subject"`
	At        time.Time `json:"at"`
}

// Mailbox is the sandbox's mailbox and its two servers.
type Mailbox struct {
	cfg  Config
	user *imapmemserver.User

	// moveDelay holds each IMAP MOVE back (PUT /mail/faults), so that a
	// test can kill the intake robot between adding a mail and moving it.
	moveDelay atomic.Int64
	failMoves atomic.Bool

	mu         sync.Mutex
	deliveries []Delivery
	assigned   int
	forwards   forwardLedger
}

// New makes the mailbox with its folders.
func New(cfg Config) (*Mailbox, error) {
	if cfg.Address == "" || cfg.Password == "" {
		return nil, errors.New("mail: an address and a password are needed")
	}
	if a, err := mail.ParseAddress(cfg.Address); err != nil || a.Address != cfg.Address {
		return nil, fmt.Errorf("mail: %q is not a mail address such as kommunen@herning.dk", cfg.Address)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxMessageBytes <= 0 {
		cfg.MaxMessageBytes = DefaultConfig().MaxMessageBytes
	}
	for _, d := range cfg.Departments {
		if a, err := mail.ParseAddress(d); err != nil || a.Address != d {
			return nil, fmt.Errorf("mail: department mailbox %q is not a mail address such as byg@herning.dk", d)
		}
	}
	m := &Mailbox{cfg: cfg, user: imapmemserver.NewUser(cfg.Address, cfg.Password)}
	for _, folder := range []string{Inbox, Processed} {
		if err := m.user.Create(folder, nil); err != nil {
			return nil, fmt.Errorf("mail: create %s: %w", folder, err)
		}
	}
	return m, nil
}

// Deliveries are the mails accepted so far, oldest first.
func (m *Mailbox) Deliveries() []Delivery {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Delivery(nil), m.deliveries...)
}

func (m *Mailbox) delivered() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.deliveries)
}

// Counts are how many mails each folder holds now.
func (m *Mailbox) Counts() (map[string]uint32, error) {
	counts := map[string]uint32{}
	for _, folder := range []string{Inbox, Processed} {
		status, err := m.user.Status(folder, &imap.StatusOptions{NumMessages: true})
		if err != nil {
			return nil, err
		}
		counts[folder] = *status.NumMessages
	}
	return counts, nil
}

// IMAPServer serves the mailbox by IMAP (IMAP4rev1 and rev2, with MOVE
// and UIDPLUS). Plain-text login is allowed: the sandbox is reached
// inside the cluster, and stands in for a server that would speak TLS.
func (m *Mailbox) IMAPServer() *imapserver.Server {
	return imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return &session{m: m}, nil, nil
		},
		Caps: imap.CapSet{
			imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}, imap.CapMove: {}, imap.CapUIDPlus: {},
		},
		InsecureAuth: true,
	})
}

// SMTPServer accepts mail for the mailbox's address only, as the
// municipality's mail server would for it.
func (m *Mailbox) SMTPServer(domain string) *smtp.Server {
	s := smtp.NewServer(smtpBackend{m})
	s.Domain = domain
	s.MaxMessageBytes = m.cfg.MaxMessageBytes
	s.MaxRecipients = 50
	s.ReadTimeout, s.WriteTimeout = time.Minute, time.Minute
	return s
}

// Serving is the mailbox's SMTP and IMAP servers, listening.
type Serving struct {
	// SMTPAddr and IMAPAddr are where they listen (host:port).
	SMTPAddr, IMAPAddr string
	smtp               *smtp.Server
	imap               *imapserver.Server
	finished           chan struct{}
	err                error
}

// Listen starts the SMTP server (as domain) on smtpAddr and the IMAP
// server on imapAddr; ":0" ports are chosen by the system.
func (m *Mailbox) Listen(smtpAddr, imapAddr, domain string) (*Serving, error) {
	smtpListener, err := net.Listen("tcp", smtpAddr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", smtpAddr, err)
	}
	imapListener, err := net.Listen("tcp", imapAddr)
	if err != nil {
		_ = smtpListener.Close()
		return nil, fmt.Errorf("listen on %s: %w", imapAddr, err)
	}
	s := &Serving{SMTPAddr: smtpListener.Addr().String(), IMAPAddr: imapListener.Addr().String(),
		smtp: m.SMTPServer(domain), imap: m.IMAPServer(), finished: make(chan struct{})}
	go func() {
		s.err = serve(s.smtp, smtpListener, s.imap, imapListener)
		close(s.finished)
	}()
	return s, nil
}

// Done is closed once a server has stopped: by Close, or by failing.
func (s *Serving) Done() <-chan struct{} { return s.finished }

// Err waits for Done and says why: nil after Close.
func (s *Serving) Err() error {
	<-s.finished
	return s.err
}

// Close stops both servers and waits for them.
func (s *Serving) Close() error {
	_ = s.smtp.Close()
	_ = s.imap.Close()
	return s.Err()
}

// serve serves SMTP and IMAP on the listeners until one of them stops:
// nil when it was closed, its error when it failed.
func serve(smtpServer *smtp.Server, smtpListener net.Listener, imapServer *imapserver.Server, imapListener net.Listener) error {
	errs := make(chan error, 2)
	go func() {
		err := smtpServer.Serve(smtpListener)
		if errors.Is(err, smtp.ErrServerClosed) {
			err = nil
		}
		errs <- err
	}()
	go func() { errs <- imapServer.Serve(imapListener) }() // nil once closed
	return <-errs
}

// deliver files one mail in the inbox, giving it a Message-ID when it
// has none (as a receiving server does), and records it.
func (m *Mailbox) deliver(from string, raw []byte) error {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return notAMessage(err)
	}
	now := m.cfg.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	id := strings.TrimSpace(msg.Header.Get("Message-Id"))
	if id == "" {
		m.assigned++
		id = fmt.Sprintf("<sandbox-%d.%d@%s>", now.Unix(), m.assigned, domainOf(m.cfg.Address))
		raw = append([]byte("Message-ID: "+id+"\r\n"), raw...)
	}
	if _, err := m.user.Append(Inbox, bytes.NewReader(raw), &imap.AppendOptions{Time: now}); err != nil {
		return fmt.Errorf("file the mail: %w", err)
	}
	// The sender's words, bounded as a header line is: the ledger keeps them.
	m.deliveries = append(m.deliveries, Delivery{MessageID: id, From: truncate(from), Subject: truncate(msg.Header.Get("Subject")), At: now})
	return nil
}

// notAMessage refuses a mail the server cannot file.
func notAMessage(err error) error {
	return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "not a mail message: " + err.Error()}
}

// maxHeaderBytes is RFC 5322's line limit.
const maxHeaderBytes = 998

// truncate cuts s to maxHeaderBytes without splitting a character.
func truncate(s string) string {
	if len(s) <= maxHeaderBytes {
		return s
	}
	cut := maxHeaderBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

func domainOf(address string) string {
	if _, domain, ok := strings.Cut(address, "@"); ok {
		return domain
	}
	return "sandbox"
}

type smtpBackend struct{ m *Mailbox }

func (b smtpBackend) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSession{m: b.m}, nil }

// smtpSession is one SMTP conversation: a sender, recipients, a body.
type smtpSession struct {
	m    *Mailbox
	from string
	// inbox: the main address is a recipient; departments are the others.
	inbox       bool
	departments []string
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	switch dept, ok := s.m.department(to); {
	case strings.EqualFold(to, s.m.cfg.Address):
		s.inbox = true
	case ok:
		s.departments = append(s.departments, dept)
	default:
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox here: " + to}
	}
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	if !s.inbox && len(s.departments) == 0 {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 5, 1}, Message: "no valid recipients"}
	}
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if len(s.departments) > 0 {
		if err := s.m.forwardTo(s.departments, s.from, raw); err != nil {
			return err
		}
	}
	if s.inbox {
		return s.m.deliver(s.from, raw)
	}
	return nil
}

func (s *smtpSession) Reset() { s.from, s.inbox, s.departments = "", false, nil }

func (s *smtpSession) Logout() error { return nil }

// State is what GET /mail/state answers: the deliveries and where the
// mail is now, for people and the e2e checkers.
type State struct {
	Delivered int               `json:"delivered"`
	Folders   map[string]uint32 `json:"folders"`
	// Forwarded counts the mails the departments' mailboxes received,
	// ForwardDuplicates the copies they had already (filed once).
	Forwarded         int `json:"forwarded"`
	ForwardDuplicates int `json:"forwardDuplicates"`
}

// Handler serves GET /mail/state and GET /mail/deliveries (JSON).
func (m *Mailbox) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /mail/state", func(w http.ResponseWriter, _ *http.Request) {
		counts, err := m.Counts()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		forwarded, duplicates := m.forwardCounts()
		writeJSON(w, State{Delivered: m.delivered(), Folders: counts, Forwarded: forwarded, ForwardDuplicates: duplicates})
	})
	mux.HandleFunc("GET /mail/deliveries", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, m.Deliveries())
	})
	mux.HandleFunc("GET /mail/forwards", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, m.Forwards())
	})
	mux.HandleFunc("GET /mail/faults", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, m.faults()) })
	mux.HandleFunc("PUT /mail/faults", m.setFaults)
	return mux
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
