package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/rpa-operator/rpa-operator/robots/imapbox"
	"github.com/rpa-operator/rpa-operator/robots/sandbox/mail"
	"github.com/rpa-operator/rpa-operator/robots/sandbox/mail/mailtest"
	"github.com/rpa-operator/rpa-operator/robots/sandbox/sandbox/sandboxtest"
	"github.com/rpa-operator/rpa-operator/robots/sdk"
	"github.com/rpa-operator/rpa-operator/robots/sdk/sdktest"
)

const password = "FAKE-sandbox-mailbox-password"

// testQueue is a WorkQueue with unique references, as incoming-mail is:
// a reference it has seen adds nothing.
type testQueue struct {
	mu    sync.Mutex
	items map[string]sdk.NewItem
	adds  int
}

func (q *testQueue) Add(_ context.Context, item sdk.NewItem) (sdk.Added, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.adds++
	if q.items == nil {
		q.items = map[string]sdk.NewItem{}
	}
	if _, ok := q.items[item.Reference]; ok {
		return sdk.Added{ID: item.Reference, Existing: true}, nil
	}
	q.items[item.Reference] = item
	return sdk.Added{ID: item.Reference}, nil
}

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
	q := &testQueue{}
	r := robot{openQueue: func(name string) (queue, error) {
		if name != "incoming-mail" {
			t.Errorf("opened queue %q", name)
		}
		return q, nil
	}}
	for run, want := range []string{"5 mails queued", "0 mails queued"} {
		out := sdktest.Execute(t, context.Background(), env(t, s), r.work)
		if out.ExitCode != 0 || out.Result.Summary != want {
			t.Fatalf("run %d: exit %d, summary %q, want %q\n%s", run+1, out.ExitCode, out.Result.Summary, want, out.Log)
		}
	}
	if len(q.items) != 5 || q.adds != 5 {
		t.Errorf("%d items from %d adds, want 5 from 5", len(q.items), q.adds)
	}
	it := q.items["<m3@borger.dk>"]
	if p := it.Payload.(payload); p.Subject != "Mail 3" || p.From != "borger@borger.dk" || p.MessageID != "<m3@borger.dk>" {
		t.Errorf("payload %+v", p)
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
	q := &testQueue{}
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
	first, _ := intake(ctx, failingMove{b, waiting[1].UID}, q, "incoming-mail", log)
	if first.ItemsFailed != 1 || counts(t, box)[mail.Inbox] != 1 || len(q.items) != 3 {
		t.Fatalf("first run %+v, folders %v, %d items", first, counts(t, box), len(q.items))
	}
	second, err := intake(ctx, b, q, "incoming-mail", log)
	if err != nil || second.Summary != "1 mails queued (1 of them queued before a stop, moved now)" {
		t.Errorf("second run: %q, %v", second.Summary, err)
	}
	if c := counts(t, box); c[mail.Inbox] != 0 || c[mail.Processed] != 3 || len(q.items) != 3 || q.adds != 4 {
		t.Errorf("folders %v, %d items from %d adds, want 3 in Processed, 3 items from 4 adds", c, len(q.items), q.adds)
	}
}

func TestReference(t *testing.T) {
	long := "<" + string(make([]byte, 300)) + ">"
	tests := []struct {
		name string
		mail imapbox.Mail
		want string
	}{
		{"the Message-ID", imapbox.Mail{UID: 7, MessageID: "<a1@borger.dk>"}, "<a1@borger.dk>"},
		{"no Message-ID: its place in the inbox", imapbox.Mail{UID: 7, Received: time.Unix(1764664200, 0)}, "no-message-id/1764664200/uid-7"},
		{"cut to the queue's limit", imapbox.Mail{MessageID: long}, long[:255] + ">"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := reference(tt.mail); got != tt.want || len(got) > maxReferenceBytes {
				t.Errorf("reference = %q, want %q", got, tt.want)
			}
		})
	}
}
