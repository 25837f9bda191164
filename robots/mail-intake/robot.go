package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rpa-operator/rpa-operator/robots/imapbox"
	"github.com/rpa-operator/rpa-operator/robots/sdk"
)

// robot is the mail-intake robot.
type robot struct {
	// queueOpener opens the WorkQueue by name; sdk.OpenQueue when nil.
	queueOpener func(name string) (*sdk.Queue, error)
}

// mailbox is what the robot does with the IMAP mailbox.
type mailbox interface {
	Waiting(ctx context.Context) ([]imapbox.Mail, error)
	MoveToProcessed(ctx context.Context, uid imapbox.UID) error
}

// work queues each waiting mail, then moves it to Processed.
func (r robot) work(ctx context.Context, run *sdk.Run, log *slog.Logger) (sdk.Result, error) {
	cfg, err := readConfig(run)
	if err != nil {
		return sdk.Result{}, err
	}
	q, err := r.openQueue(cfg.queue)
	if err != nil {
		return sdk.Result{}, err
	}
	box, err := imapbox.Connect(ctx, cfg.imapAddress, cfg.imapTLS, cfg.account.Username, cfg.account.Password.Reveal())
	if err != nil {
		return sdk.Result{}, err
	}
	defer func() { _ = box.Close() }()
	return intake(ctx, box, q, log)
}

func (r robot) openQueue(name string) (*sdk.Queue, error) {
	if r.queueOpener != nil {
		return r.queueOpener(name)
	}
	return sdk.OpenQueue(name, "")
}

// intake is one pass over the inbox. The order of the two steps is the
// point: the item first, then the move, so that a kill in between leaves
// the mail in INBOX for the next run, which finds its item and moves it.
func intake(ctx context.Context, box mailbox, q *sdk.Queue, log *slog.Logger) (sdk.Result, error) {
	mails, err := box.Waiting(ctx)
	if err != nil {
		return sdk.Result{}, err
	}
	log.Info("mails waiting", "count", len(mails))
	again := 0
	loop := sdk.Loop[imapbox.Mail]{
		Log: log,
		Ref: reference,
		Handle: func(ctx context.Context, log *slog.Logger, m imapbox.Mail) error {
			added, err := q.Add(ctx, newItem(m))
			if err != nil {
				return fmt.Errorf("add to queue %s: %w", q.Name, err)
			}
			if added.Existing {
				again++
				log.Info("already queued by an earlier run; moving it now")
			}
			return box.MoveToProcessed(ctx, m.UID)
		},
	}
	items, err := loop.Process(ctx, mails)
	return items.Result(summary(items, again)), err
}

// payload is what mail-sorter needs to find and route the mail: it reads
// the mail itself from Processed by its Message-ID (attachments do not
// fit an item).
type payload struct {
	MessageID string    `json:"messageId,omitempty"`
	From      string    `json:"from"`
	Subject   string    `json:"subject"`
	Received  time.Time `json:"received"`
	Size      int64     `json:"size"`
}

// The sender's words are bounded before they go into an item: an item
// that cannot be added would keep its mail in INBOX for good.
const (
	maxFromBytes    = 320 // an address, 254, and some of a name
	maxSubjectBytes = 998 // RFC 5322's line
)

func newItem(m imapbox.Mail) sdk.NewItem {
	return sdk.NewItem{
		Reference: reference(m),
		Payload: payload{MessageID: m.MessageID, From: bounded(m.From, maxFromBytes),
			Subject: bounded(m.Subject, maxSubjectBytes), Received: m.Received, Size: m.Size},
	}
}

// maxReferenceBytes is the queue's limit on a reference.
const maxReferenceBytes = 256

// reference is the item's unique reference: the Message-ID, which the
// sender's server set and no other mail shares. A mail without one (the
// sandbox gives every mail one; another server may not) is named by its
// place in the inbox, which is stable while it waits there. A Message-ID
// longer than a reference keeps its start and a hash of the whole, so
// that two long ones with the same start stay two mails.
func reference(m imapbox.Mail) string {
	if m.MessageID == "" {
		return fmt.Sprintf("no-message-id/%d/uid-%d", m.Received.Unix(), m.UID)
	}
	if len(m.MessageID) <= maxReferenceBytes {
		return m.MessageID
	}
	sum := sha256.Sum256([]byte(m.MessageID))
	suffix := "#" + hex.EncodeToString(sum[:8]) + ">"
	return bounded(m.MessageID, maxReferenceBytes-len(suffix)) + suffix
}

// bounded cuts s to at most n bytes without splitting a character.
func bounded(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// summary is the run's one line for people.
func summary(items sdk.Tally, again int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s queued", mails(items.Succeeded-int64(again), "new mail"))
	if again > 0 {
		fmt.Fprintf(&b, ", %s queued before a stop and moved now", mails(int64(again), "mail"))
	}
	if items.Failed > 0 {
		fmt.Fprintf(&b, ", %s failed and wait in the inbox", mails(items.Failed, "mail"))
	}
	if items.Remaining > 0 {
		fmt.Fprintf(&b, ", %d left for the next run", items.Remaining)
	}
	return b.String()
}

// mails is "1 mail" or "2 mails".
func mails(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
