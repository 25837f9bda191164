package mail_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/rpa-operator/rpa-operator/robots/sandbox/mail"
	"github.com/rpa-operator/rpa-operator/robots/sandbox/mail/mailtest"
)

var t0 = time.Date(2026, 12, 2, 8, 30, 0, 0, time.UTC)

// serve is a mailbox on loopback ports, stopped when the test ends.
func serve(t *testing.T) (*mail.Mailbox, *mail.Serving) {
	t.Helper()
	cfg := mail.DefaultConfig()
	cfg.Password, cfg.Now = "Vinter2026!", func() time.Time { return t0 }
	box, err := mail.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return box, mailtest.Serve(t, box)
}

func send(t *testing.T, addr, to, message string) error {
	t.Helper()
	return mailtest.Send(addr, "borger@example.dk", to, message)
}

// TestMailSentBySMTPIsReadAndMovedByIMAP: two mails arrive by SMTP, one
// without a Message-ID (the mailbox gives it one, as a receiving server
// does); an IMAP client sees both with their ids and moves one to
// Processed; mail for another address and a wrong password are refused.
func TestMailSentBySMTPIsReadAndMovedByIMAP(t *testing.T) {
	box, s := serve(t)
	if err := send(t, s.SMTPAddr, "kommunen@herning.dk", "Message-ID: <a1@example.dk>\nSubject: Flytning\n\nJeg flytter.\n"); err != nil {
		t.Fatal(err)
	}
	if err := send(t, s.SMTPAddr, "Kommunen@Herning.dk", "Subject: Uden id\n\nHej.\n"); err != nil {
		t.Fatal(err)
	}
	err := send(t, s.SMTPAddr, "someone@herning.dk", "Subject: Forkert\n\nHej.\n")
	if err == nil || !strings.Contains(err.Error(), "550") {
		t.Errorf("mail for another address: %v, want 550", err)
	}

	deliveries := box.Deliveries()
	if len(deliveries) != 2 || deliveries[0].MessageID != "<a1@example.dk>" || deliveries[0].Subject != "Flytning" || !deliveries[0].At.Equal(t0) {
		t.Fatalf("deliveries %+v", deliveries)
	}
	assigned := deliveries[1].MessageID
	if !strings.HasPrefix(assigned, "<sandbox-") || !strings.HasSuffix(assigned, "@herning.dk>") {
		t.Errorf("the mail without an id got %q", assigned)
	}

	c, err := imapclient.DialInsecure(s.IMAPAddr, nil)
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
	if _, err := c.Select(mail.Inbox, nil).Wait(); err != nil {
		t.Fatal(err)
	}
	msgs, err := c.Fetch(imap.SeqSetNum(1, 2), &imap.FetchOptions{Envelope: true, UID: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 || msgs[0].Envelope.MessageID != "a1@example.dk" || msgs[1].Envelope.MessageID != strings.Trim(assigned, "<>") {
		t.Fatalf("fetched %d messages: %+v", len(msgs), msgs)
	}
	if _, err := c.Move(imap.UIDSetNum(msgs[0].UID), mail.Processed).Wait(); err != nil {
		t.Fatal(err)
	}
	counts, err := box.Counts()
	if err != nil {
		t.Fatal(err)
	}
	if counts[mail.Inbox] != 1 || counts[mail.Processed] != 1 {
		t.Errorf("counts %v, want 1 in each folder", counts)
	}

	rec := httptest.NewRecorder()
	box.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/mail/state", nil))
	if got := strings.TrimSpace(rec.Body.String()); got != `{"delivered":2,"folders":{"INBOX":1,"Processed":1},"forwarded":0,"forwardDuplicates":0}` {
		t.Errorf("GET /mail/state: %s", got)
	}
}

func TestAMailboxNeedsAPassword(t *testing.T) {
	if _, err := mail.New(mail.DefaultConfig()); err == nil {
		t.Error("a mailbox without a password was made")
	}
}

// TestADepartmentFilesAForwardedMailOnce: a mail resent to a department
// twice (a robot killed after sending, then retried) is filed once and
// counted as a copy; a resent mail without a Message-ID and an unknown
// department are refused.
func TestADepartmentFilesAForwardedMailOnce(t *testing.T) {
	cfg := mail.DefaultConfig()
	cfg.Password, cfg.Now = "Vinter2026!", func() time.Time { return t0 }
	cfg.Departments = []string{"byg@herning.dk", "borgerservice@herning.dk"}
	box, err := mail.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := mailtest.Serve(t, box)
	resent := "Resent-From: kommunen@herning.dk\nResent-To: byg@herning.dk\nMessage-ID: <b7@arkitekt.dk>\nSubject: Byggetilladelse\n\nTegninger vedlagt.\n"
	for range 2 {
		if err := mailtest.Send(s.SMTPAddr, "kommunen@herning.dk", "Byg@Herning.dk", resent); err != nil {
			t.Fatal(err)
		}
	}
	if err := mailtest.Send(s.SMTPAddr, "kommunen@herning.dk", "byg@herning.dk", "Subject: Uden id\n\nHej.\n"); err == nil || !strings.Contains(err.Error(), "554") {
		t.Errorf("a forward without a Message-ID: %v, want 554", err)
	}
	if err := mailtest.Send(s.SMTPAddr, "kommunen@herning.dk", "teknik@herning.dk", resent); err == nil || !strings.Contains(err.Error(), "550") {
		t.Errorf("an unknown department: %v, want 550", err)
	}
	got := box.Forwards()
	want := []mail.Forward{{MessageID: "<b7@arkitekt.dk>", To: "byg@herning.dk", From: "kommunen@herning.dk", Subject: "Byggetilladelse", Copies: 2, At: t0}}
	if len(got) != 1 || got[0] != want[0] {
		t.Errorf("forwards %+v, want %+v", got, want)
	}
	if len(box.Deliveries()) != 0 {
		t.Errorf("a forward reached the main inbox: %+v", box.Deliveries())
	}
}

// TestMoveDelayHoldsAMoveBack: PUT /mail/faults holds IMAP MOVE back, or
// refuses it, so that a test can stop a robot between two steps; bad
// values are refused.
func TestMoveDelayHoldsAMoveBack(t *testing.T) {
	box, s := serve(t)
	put := func(body string) int {
		rec := httptest.NewRecorder()
		box.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPut, "/mail/faults", strings.NewReader(body)))
		return rec.Code
	}
	for _, bad := range []string{`{"moveDelay":"soon"}`, `{"moveDelay":"-1s"}`, `{"moveDelay":"1h"}`, `[`} {
		if code := put(bad); code != http.StatusBadRequest {
			t.Errorf("PUT %s: %d, want 400", bad, code)
		}
	}
	if code := put(`{"moveDelay":"300ms"}`); code != http.StatusOK {
		t.Fatalf("PUT moveDelay: %d", code)
	}
	if err := send(t, s.SMTPAddr, "kommunen@herning.dk", "Message-ID: <c1@example.dk>\nSubject: Hej\n\nHej.\n"); err != nil {
		t.Fatal(err)
	}
	c, err := imapclient.DialInsecure(s.IMAPAddr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close() }()
	if err := c.Login("kommunen@herning.dk", "Vinter2026!").Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select(mail.Inbox, nil).Wait(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := c.Move(imap.SeqSetNum(1), mail.Processed).Wait(); err != nil {
		t.Fatal(err)
	}
	if held := time.Since(start); held < 300*time.Millisecond {
		t.Errorf("MOVE answered after %v, before the 300ms delay", held)
	}
	if code := put(`{"moveDelay":"0s","failMoves":true}`); code != http.StatusOK {
		t.Fatalf("PUT failMoves: %d", code)
	}
	if err := send(t, s.SMTPAddr, "kommunen@herning.dk", "Message-ID: <c2@example.dk>\nSubject: Hej\n\nHej.\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select(mail.Inbox, nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Move(imap.SeqSetNum(1), mail.Processed).Wait(); err == nil {
		t.Error("a MOVE passed while moves fail")
	}
	if counts, _ := box.Counts(); counts[mail.Inbox] != 1 || counts[mail.Processed] != 1 {
		t.Errorf("folders %v after a refused MOVE, want the mail still in INBOX", counts)
	}
}
