package imapbox

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/rpa-operator/rpa-operator/robots/sandbox/mail"
	"github.com/rpa-operator/rpa-operator/robots/sandbox/mail/mailtest"
)

const (
	user     = "kommunen@herning.dk"
	password = "Vinter2026!"
)

// dovecotAddr is the Dovecot TestMain started (hack/dovecot.sh).
var dovecotAddr string

// TestMain starts Debian's Dovecot for the tests, and stops it by the pid
// it recorded.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "imapbox-dovecot-")
	if err == nil {
		err = os.Chmod(dir, 0o711) // Dovecot's own users pass through it
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	script, _ := filepath.Abs("../../hack/dovecot.sh")
	passwordFile := filepath.Join(dir, "password")
	if err := os.WriteFile(passwordFile, []byte(password+"\n"), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out, err := exec.Command(script, "start", filepath.Join(dir, "dovecot"), user, passwordFile).Output()
	if err != nil {
		fmt.Fprintf(os.Stderr, "imapbox: Dovecot did not start (hack/dovecot.sh; as root it installs Debian's dovecot-imapd): %v\n", err)
		os.Exit(1)
	}
	dovecotAddr = strings.TrimSpace(string(out))
	code := m.Run()
	_ = exec.Command(script, "stop", filepath.Join(dir, "dovecot")).Run()
	if code == 0 {
		_ = os.RemoveAll(dir)
	} else {
		fmt.Fprintf(os.Stderr, "imapbox: Dovecot's log is %s\n", filepath.Join(dir, "dovecot", "dovecot.log"))
	}
	os.Exit(code)
}

// peer is an IMAP server the client is tested against, and how mail
// reaches it.
type peer struct {
	name    string
	addr    string
	deliver func(t *testing.T, raw string)
}

// peers are Dovecot (mail put in by IMAP APPEND) and the sandbox's
// mailbox (mail delivered by SMTP), each empty for the test.
func peers(t *testing.T) []peer {
	return []peer{dovecot(t), sandbox(t)}
}

func dovecot(t *testing.T) peer {
	t.Helper()
	c, err := imapclient.DialInsecure(dovecotAddr, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login(user, password).Wait(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	// Empty both folders: the tests share the one Dovecot.
	for _, folder := range []string{Inbox, Processed} {
		sel, err := c.Select(folder, nil).Wait()
		if err != nil {
			t.Fatal(err)
		}
		if sel.NumMessages > 0 {
			var all imap.SeqSet
			all.AddRange(1, sel.NumMessages)
			if err := c.Store(all, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
				t.Fatal(err)
			}
			if err := c.Expunge().Close(); err != nil {
				t.Fatal(err)
			}
		}
	}
	return peer{name: "Dovecot", addr: dovecotAddr, deliver: func(t *testing.T, raw string) {
		t.Helper()
		body := strings.ReplaceAll(raw, "\n", "\r\n")
		cmd := c.Append(Inbox, int64(len(body)), nil)
		if _, err := cmd.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := cmd.Wait(); err != nil {
			t.Fatal(err)
		}
	}}
}

func sandbox(t *testing.T) peer {
	t.Helper()
	cfg := mail.DefaultConfig()
	cfg.Password = password
	box, err := mail.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := mailtest.Serve(t, box)
	return peer{name: "sandbox", addr: s.IMAPAddr, deliver: func(t *testing.T, raw string) {
		t.Helper()
		if err := mailtest.Send(s.SMTPAddr, "afsender@example.dk", user, raw); err != nil {
			t.Fatal(err)
		}
	}}
}

func letter(id, from, subject string) string {
	return fmt.Sprintf("Message-ID: <%s>\nFrom: %s\nTo: %s\nSubject: %s\nDate: Wed, 02 Dec 2026 08:30:00 +0100\n\nHej Herning Kommune.\n", id, from, user, subject)
}

// TestAllWaitingMailIsListed: three mails, and one without a Message-ID
// (Dovecot adds none), are all listed, the last with no id rather than
// an empty one.
func TestAllWaitingMailIsListed(t *testing.T) {
	for _, p := range peers(t) {
		t.Run(p.name, func(t *testing.T) {
			ctx := context.Background()
			for i := range 3 {
				p.deliver(t, letter(fmt.Sprintf("brev-%d@borger.dk", i), "anne@borger.dk", "Brev"))
			}
			p.deliver(t, "From: anne@borger.dk\nSubject: Uden id\n\nHej.\n")
			box, err := Dial(ctx, p.addr, user, password)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = box.Close() }()
			waiting, err := box.Waiting(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(waiting) != 4 || waiting[1].MessageID != "<brev-1@borger.dk>" {
				t.Fatalf("waiting %+v, want 4 mails in order", waiting)
			}
			if id := waiting[3].MessageID; id == "<>" || (p.name == "Dovecot" && id != "") {
				t.Errorf("the mail without a Message-ID is listed as %q", id)
			}
			if _, err := box.Read(ctx, Inbox, "two words"); err == nil {
				t.Error("a Message-ID with a space was searched for")
			}
		})
	}
}

// TestTheIntakeSeesWaitingMailMovesItAndReadsItAgain: against each peer,
// the mails in INBOX are listed with their Message-ID, sender and
// subject; a moved mail is in Processed and no longer waiting, and is
// read back whole by its Message-ID; moving it again is harmless.
func TestTheIntakeSeesWaitingMailMovesItAndReadsItAgain(t *testing.T) {
	for _, p := range peers(t) {
		t.Run(p.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			p.deliver(t, letter("flyt-1@borger.dk", "anne@borger.dk", "Flytning"))
			p.deliver(t, letter("olie-2@firma.dk", "info@firma.dk", "Olietank på Vestergade 3"))

			box, err := Dial(ctx, p.addr, user, password)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = box.Close() }()
			waiting, err := box.Waiting(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(waiting) != 2 || waiting[0].MessageID != "<flyt-1@borger.dk>" || waiting[0].From != "anne@borger.dk" ||
				waiting[0].Subject != "Flytning" || waiting[1].MessageID != "<olie-2@firma.dk>" || waiting[0].Size == 0 {
				t.Fatalf("waiting %+v", waiting)
			}
			if err := box.MoveToProcessed(ctx, waiting[0].UID); err != nil {
				t.Fatal(err)
			}
			if err := box.MoveToProcessed(ctx, waiting[0].UID); err != nil {
				t.Errorf("moving a mail moved already: %v", err)
			}
			left, err := box.Waiting(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(left) != 1 || left[0].MessageID != "<olie-2@firma.dk>" {
				t.Errorf("still waiting %+v", left)
			}
			raw, err := box.Read(ctx, Processed, "flyt-1@borger.dk")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(raw), "Subject: Flytning") || !strings.Contains(string(raw), "Hej Herning Kommune.") {
				t.Errorf("read back %q", raw)
			}
			if _, err := box.Read(ctx, Processed, "<olie-2@firma.dk>"); !errors.Is(err, ErrNotFound) {
				t.Errorf("a mail still in INBOX read from Processed: %v, want ErrNotFound", err)
			}
		})
	}
}

func TestAWrongPasswordIsRefused(t *testing.T) {
	for _, p := range peers(t) {
		t.Run(p.name, func(t *testing.T) {
			if _, err := Dial(context.Background(), p.addr, user, "wrong"); err == nil {
				t.Error("logged in with a wrong password")
			}
		})
	}
}
