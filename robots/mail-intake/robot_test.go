package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rpa-operator/rpa-operator/robots/imapbox"
	"github.com/rpa-operator/rpa-operator/robots/sandbox/mail"
	"github.com/rpa-operator/rpa-operator/robots/sandbox/mail/mailtest"
	"github.com/rpa-operator/rpa-operator/robots/sandbox/sandbox/sandboxtest"
	"github.com/rpa-operator/rpa-operator/robots/sdk"
	"github.com/rpa-operator/rpa-operator/robots/sdk/sdktest"
)

const password = "FAKE-sandbox-mailbox-password"

// newMailbox is the sandbox's mailbox with n mails in INBOX.
func newMailbox(t *testing.T, n int) (*mail.Mailbox, *mail.Serving) {
	t.Helper()
	cfg := mail.DefaultConfig()
	cfg.Password = password
	box, err := mail.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := mailtest.Serve(t, box)
	for i := range n {
		msg := fmt.Sprintf("Message-ID: <m%d@borger.dk>\nFrom: borger@borger.dk\nSubject: Mail %d\n\nHej.\n", i, i)
		if err := mailtest.Send(s.SMTPAddr, "borger@borger.dk", "kommunen@herning.dk", msg); err != nil {
			t.Fatal(err)
		}
	}
	return box, s
}

func env(t *testing.T, s *mail.Serving) sdktest.Env {
	return sdktest.Env{
		Robot:          "mail-intake",
		Trigger:        "Schedule",
		Args:           map[string]string{"imapAddress": s.IMAPAddr},
		CredentialsDir: sandboxtest.Credentials(t, map[string]map[string]string{"mailbox": {"username": "kommunen@herning.dk", "password": password}}),
	}
}

func counts(t *testing.T, box *mail.Mailbox) map[string]uint32 {
	t.Helper()
	c, err := box.Counts()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestEachMailIsQueuedOnceThenMoved: a run queues every waiting mail with
// its Message-ID as reference and moves it; a second run finds nothing.
func TestEachMailIsQueuedOnceThenMoved(t *testing.T) {
	box, s := newMailbox(t, 5)
	q := sdktest.NewQueue(t, "incoming-mail", sdktest.QueueOptions{UniqueReferences: true})
	r := robot{queueOpener: func(name string) (*sdk.Queue, error) {
		if name != "incoming-mail" {
			t.Errorf("opened queue %q", name)
		}
		return q.Pod("mail-intake-1"), nil
	}}
	for run, want := range []string{"5 new mails queued", "0 new mails queued"} {
		out := sdktest.Execute(t, context.Background(), env(t, s), r.work)
		if out.ExitCode != 0 || out.Result.Summary != want {
			t.Fatalf("run %d: exit %d, summary %q, want %q\n%s", run+1, out.ExitCode, out.Result.Summary, want, out.Log)
		}
	}
	items := q.Items()
	if len(items) != 5 || q.Count(sdktest.StateNew) != 5 {
		t.Fatalf("items %+v, want 5 New", items)
	}
	var p payload
	if err := json.Unmarshal(items[3].Payload, &p); err != nil || items[3].Reference != "<m3@borger.dk>" ||
		p.Subject != "Mail 3" || p.From != "borger@borger.dk" || p.MessageID != "<m3@borger.dk>" {
		t.Errorf("item %s: payload %s (%v)", items[3].Reference, items[3].Payload, err)
	}
	if c := counts(t, box); c[mail.Inbox] != 0 || c[mail.Processed] != 5 {
		t.Errorf("folders %v, want all 5 in Processed", c)
	}
}

// failingMove loses the connection when moving one mail: what a kill
// between adding the item and moving the mail leaves behind.
type failingMove struct {
	*imapbox.Box
	fail imapbox.UID
}

func (f failingMove) MoveToProcessed(ctx context.Context, uid imapbox.UID) error {
	if uid == f.fail {
		return errors.New("connection reset by peer")
	}
	return f.Box.MoveToProcessed(ctx, uid)
}

// TestAMailQueuedButNotMovedIsMovedByTheNextRun: the item exists, the mail
// is still in INBOX; the next run adds it again, gets the existing item,
// and moves it: one item, no mail left behind.
func TestAMailQueuedButNotMovedIsMovedByTheNextRun(t *testing.T) {
	box, s := newMailbox(t, 3)
	q := sdktest.NewQueue(t, "incoming-mail", sdktest.QueueOptions{UniqueReferences: true})
	log := slog.New(slog.DiscardHandler)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := imapbox.Dial(ctx, s.IMAPAddr, "kommunen@herning.dk", password)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = b.Close() }()
	waiting, err := b.Waiting(ctx)
	if err != nil || len(waiting) != 3 {
		t.Fatalf("waiting %v, %v", waiting, err)
	}
	first, _ := intake(ctx, failingMove{b, waiting[1].UID}, q.Pod("mail-intake-1"), log)
	if first.ItemsFailed != 1 || counts(t, box)[mail.Inbox] != 1 || len(q.Items()) != 3 {
		t.Fatalf("first run %+v, folders %v, %d items", first, counts(t, box), len(q.Items()))
	}
	second, err := intake(ctx, b, q.Pod("mail-intake-2"), log)
	if err != nil || second.Summary != "0 new mails queued, 1 mail queued before a stop and moved now" {
		t.Errorf("second run: %q, %v", second.Summary, err)
	}
	if c := counts(t, box); c[mail.Inbox] != 0 || c[mail.Processed] != 3 || len(q.Items()) != 3 {
		t.Errorf("folders %v, %d items, want 3 in Processed and 3 items", c, len(q.Items()))
	}
}

func TestReference(t *testing.T) {
	long := "<" + strings.Repeat("x", 300) + "@scanner.herning.dk>"
	longToo := "<" + strings.Repeat("x", 300) + "@printer.herning.dk>"
	tests := []struct {
		name string
		mail imapbox.Mail
		want string
	}{
		{"the Message-ID", imapbox.Mail{UID: 7, MessageID: "<a1@borger.dk>"}, "<a1@borger.dk>"},
		{"no Message-ID: its place in the inbox", imapbox.Mail{UID: 7, Received: time.Unix(1764664200, 0)}, "no-message-id/1764664200/uid-7"},
		{"a long one: its start and a hash of the whole", imapbox.Mail{MessageID: long}, long[:238] + "#" + hexOf(long) + ">"},
		{"another long one with the same start", imapbox.Mail{MessageID: longToo}, longToo[:238] + "#" + hexOf(longToo) + ">"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := reference(tt.mail); got != tt.want || len(got) > maxReferenceBytes {
				t.Errorf("reference = %q (%d bytes), want %q", got, len(got), tt.want)
			}
		})
	}
	if reference(imapbox.Mail{MessageID: long}) == reference(imapbox.Mail{MessageID: longToo}) {
		t.Error("two long Message-IDs with the same start got one reference")
	}
}

func hexOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}

// TestTheSendersWordsAreBounded: a subject of any length still makes an
// item the queue takes (64 KiB at most), cut at a character.
func TestTheSendersWordsAreBounded(t *testing.T) {
	m := imapbox.Mail{MessageID: "<a@b>", Subject: strings.Repeat("æ", 40000), From: strings.Repeat("ø", 400) + "@x.dk"}
	p := newItem(m).Payload.(payload)
	if len(p.Subject) > maxSubjectBytes || len(p.From) > maxFromBytes || !utf8.ValidString(p.Subject) || !utf8.ValidString(p.From) {
		t.Errorf("subject %d bytes, from %d bytes, valid %v %v", len(p.Subject), len(p.From), utf8.ValidString(p.Subject), utf8.ValidString(p.From))
	}
}
