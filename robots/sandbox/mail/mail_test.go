package mail

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-smtp"
)

var t0 = time.Date(2026, 12, 2, 8, 30, 0, 0, time.UTC)

// serving is a mailbox on loopback ports, stopped when the test ends.
type serving struct {
	box                *Mailbox
	smtpAddr, imapAddr string
}

func serve(t *testing.T) serving {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Password, cfg.Now = "Vinter2026!", func() time.Time { return t0 }
	box, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	smtpListener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	imapListener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	smtpServer, imapServer := box.SMTPServer("mx.herning.dk"), box.IMAPServer()
	done := make(chan error, 1)
	go func() { done <- Serve(smtpServer, smtpListener, imapServer, imapListener) }()
	t.Cleanup(func() {
		_ = smtpServer.Close()
		_ = imapServer.Close()
		if err := <-done; err != nil {
			t.Errorf("the mailbox stopped: %v", err)
		}
	})
	return serving{box: box, smtpAddr: smtpListener.Addr().String(), imapAddr: imapListener.Addr().String()}
}

// send delivers message by SMTP, in plain text as inside the cluster.
func send(t *testing.T, addr, to, message string) error {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer func() { _ = c.Close() }()
	if err := c.SendMail("borger@example.dk", []string{to}, strings.NewReader(strings.ReplaceAll(message, "\n", "\r\n"))); err != nil {
		return err
	}
	return c.Quit()
}

// TestMailSentBySMTPIsReadAndMovedByIMAP: two mails arrive by SMTP, one
// without a Message-ID (the mailbox gives it one, as a receiving server
// does); an IMAP client sees both with their ids and moves one to
// Processed; mail for another address and a wrong password are refused.
func TestMailSentBySMTPIsReadAndMovedByIMAP(t *testing.T) {
	s := serve(t)
	if err := send(t, s.smtpAddr, "kommunen@herning.dk", "Message-ID: <a1@example.dk>\nSubject: Flytning\n\nJeg flytter.\n"); err != nil {
		t.Fatal(err)
	}
	if err := send(t, s.smtpAddr, "Kommunen@Herning.dk", "Subject: Uden id\n\nHej.\n"); err != nil {
		t.Fatal(err)
	}
	err := send(t, s.smtpAddr, "someone@herning.dk", "Subject: Forkert\n\nHej.\n")
	if err == nil || !strings.Contains(err.Error(), "550") {
		t.Errorf("mail for another address: %v, want 550", err)
	}

	deliveries := s.box.Deliveries()
	if len(deliveries) != 2 || deliveries[0].MessageID != "<a1@example.dk>" || deliveries[0].Subject != "Flytning" || !deliveries[0].At.Equal(t0) {
		t.Fatalf("deliveries %+v", deliveries)
	}
	assigned := deliveries[1].MessageID
	if !strings.HasPrefix(assigned, "<sandbox-") || !strings.HasSuffix(assigned, "@herning.dk>") {
		t.Errorf("the mail without an id got %q", assigned)
	}

	c, err := imapclient.DialInsecure(s.imapAddr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close() }()
	if err := c.Login("kommunen@herning.dk", "wrong").Wait(); err == nil {
		t.Error("a wrong password was accepted")
	}
	if err := c.Login("kommunen@herning.dk", "Vinter2026!").Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select(Inbox, nil).Wait(); err != nil {
		t.Fatal(err)
	}
	msgs, err := c.Fetch(imap.SeqSetNum(1, 2), &imap.FetchOptions{Envelope: true, UID: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 || msgs[0].Envelope.MessageID != "a1@example.dk" || msgs[1].Envelope.MessageID != strings.Trim(assigned, "<>") {
		t.Fatalf("fetched %d messages: %+v", len(msgs), msgs)
	}
	if _, err := c.Move(imap.UIDSetNum(msgs[0].UID), Processed).Wait(); err != nil {
		t.Fatal(err)
	}
	counts, err := s.box.Counts()
	if err != nil {
		t.Fatal(err)
	}
	if counts[Inbox] != 1 || counts[Processed] != 1 {
		t.Errorf("counts %v, want 1 in each folder", counts)
	}

	rec := httptest.NewRecorder()
	s.box.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/mail/state", nil))
	if got := strings.TrimSpace(rec.Body.String()); got != `{"delivered":2,"folders":{"INBOX":1,"Processed":1}}` {
		t.Errorf("GET /mail/state: %s", got)
	}
}

func TestAMailboxNeedsAPassword(t *testing.T) {
	if _, err := New(DefaultConfig()); err == nil {
		t.Error("a mailbox without a password was made")
	}
}
