package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/rpa-operator/rpa-operator/robots/imapbox"
	"github.com/rpa-operator/rpa-operator/robots/sdk"
)

// queue is where the robot adds the mails: the run's WorkQueue
// (sdk.Queue), or a test's.
type queue interface {
	Add(ctx context.Context, item sdk.NewItem) (sdk.Added, error)
}

// robot is the mail-intake robot.
type robot struct {
	// openQueue opens the queue by name; sdk.OpenQueue when nil.
	openQueue func(name string) (queue, error)
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
	q, err := r.open(cfg.queue)
	if err != nil {
		return sdk.Result{}, err
	}
	box, err := dial(ctx, cfg)
	if err != nil {
		return sdk.Result{}, err
	}
	defer func() { _ = box.Close() }()
	return intake(ctx, box, q, cfg.queue, log)
}

func (r robot) open(name string) (queue, error) {
	if r.openQueue != nil {
		return r.openQueue(name)
	}
	return sdk.OpenQueue(name, "")
}

func dial(ctx context.Context, cfg config) (*imapbox.Box, error) {
	if cfg.imapTLS {
		return imapbox.DialTLS(ctx, cfg.imapAddress, cfg.account.Username, cfg.account.Password.Reveal())
	}
	return imapbox.Dial(ctx, cfg.imapAddress, cfg.account.Username, cfg.account.Password.Reveal())
}

// intake is one pass over the inbox. The order of the two steps is the
// point: the item first, then the move, so that a kill in between leaves
// the mail in INBOX for the next run, which finds its item and moves it.
func intake(ctx context.Context, box mailbox, q queue, queueName string, log *slog.Logger) (sdk.Result, error) {
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
				return fmt.Errorf("add to queue %s: %w", queueName, err)
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

func newItem(m imapbox.Mail) sdk.NewItem {
	return sdk.NewItem{
		Reference: reference(m),
		Payload:   payload{MessageID: m.MessageID, From: m.From, Subject: m.Subject, Received: m.Received, Size: m.Size},
	}
}

// maxReferenceBytes is the queue's limit on a reference.
const maxReferenceBytes = 256

// reference is the item's unique reference: the Message-ID, which the
// sender's server set and no other mail shares. A mail without one (the
// sandbox gives every mail one; another server may not) is named by its
// place in the inbox, which is stable while it waits there.
func reference(m imapbox.Mail) string {
	if m.MessageID == "" {
		return fmt.Sprintf("no-message-id/%d/uid-%d", m.Received.Unix(), m.UID)
	}
	if len(m.MessageID) > maxReferenceBytes {
		return m.MessageID[:maxReferenceBytes-1] + ">"
	}
	return m.MessageID
}

// summary is the run's one line for people.
func summary(items sdk.Tally, again int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d mails queued", items.Succeeded)
	if again > 0 {
		fmt.Fprintf(&b, " (%d of them queued before a stop, moved now)", again)
	}
	if items.Failed > 0 {
		fmt.Fprintf(&b, ", %d failed and wait in the inbox", items.Failed)
	}
	if items.Remaining > 0 {
		fmt.Fprintf(&b, ", %d left for the next run", items.Remaining)
	}
	return b.String()
}
