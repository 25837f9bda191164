package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/rpa-operator/rpa-operator/robots/imapbox"
	"github.com/rpa-operator/rpa-operator/robots/sdk"
)

// robot is the mail-sorter robot.
type robot struct {
	// sleep replaces the waits between retries; tests move a fake clock.
	sleep func(ctx context.Context, d time.Duration) error
	// queueOpener opens the run's WorkQueue; sdk.QueueFromEnv when nil.
	queueOpener func() (*sdk.Queue, error)
}

// sorter is what one run works with.
type sorter struct {
	rules   Rules
	box     *imapbox.Box
	esdh    esdh
	forward forwarder
}

// work sorts the mail its WorkQueue holds, one item each, until none
// waits. A mail it cannot place is the item's business exception, waiting
// in the queue for a person; the run succeeds when it handled its items.
func (r robot) openQueue() (*sdk.Queue, error) {
	if r.queueOpener != nil {
		return r.queueOpener()
	}
	return sdk.QueueFromEnv("")
}

func (r robot) work(ctx context.Context, run *sdk.Run, log *slog.Logger) (sdk.Result, error) {
	cfg, err := readConfig(run)
	if err != nil {
		return sdk.Result{}, err
	}
	q, err := r.openQueue()
	if err != nil {
		return sdk.Result{}, err
	}
	box, err := imapbox.Connect(ctx, cfg.imapAddress, cfg.imapTLS, cfg.mailbox.Username, cfg.mailbox.Password.Reveal())
	if err != nil {
		return sdk.Result{}, err
	}
	defer func() { _ = box.Close() }()
	s := sorter{rules: cfg.rules, box: box, esdh: newESDH(cfg, log, r.sleep),
		forward: forwarder{addr: cfg.smtpAddress, from: cfg.mailbox.Username, now: time.Now}}
	items, err := sdk.ProcessQueue(ctx, q, sdk.Loop[*sdk.WorkItem]{Log: log, Handle: s.handle})
	return items.Result(summary(items)), err
}

// itemPayload is what mail-intake put in the item.
type itemPayload struct {
	MessageID string `json:"messageId"`
}

// handle places one mail. Each step is safe to repeat: a forward carries
// the mail's Message-ID, which the receiving mailbox files once, and a
// journal entry is keyed by it.
func (s sorter) handle(ctx context.Context, log *slog.Logger, item *sdk.WorkItem) error {
	var p itemPayload
	if err := item.Decode(&p); err != nil || p.MessageID == "" {
		return sdk.BusinessExceptionf("the item names no mail by Message-ID: find the mail in the Processed folder by its sender and subject")
	}
	raw, err := s.read(ctx, p.MessageID)
	switch {
	case errors.Is(err, imapbox.ErrNotFound):
		return sdk.BusinessExceptionf("the mail is in neither Processed nor INBOX: someone moved or deleted it")
	case errors.Is(err, imapbox.ErrTooLarge), errors.Is(err, imapbox.ErrNotAMessageID):
		return sdk.BusinessExceptionf("the robot cannot read this mail (%v): place it from the mailbox", errors.Unwrap(err))
	case err != nil:
		return err
	}
	l, err := readLetter(raw)
	if err != nil {
		return sdk.BusinessExceptionf("the mail is not a mail message the robot can read: place it from the mailbox")
	}
	place, err := decide(s.rules, l, func(cpr string) ([]openCase, error) { return s.esdh.openCases(ctx, cpr) })
	if err != nil {
		return err
	}
	out := map[string]any{"rule": place.Rule}
	item.Output = out
	switch place.Action {
	case forward:
		if err := s.forward.forward(ctx, raw, place.ForwardTo); err != nil {
			return err
		}
		out["forwardedTo"] = place.ForwardTo
		log.Info("forwarded", "rule", place.Rule, "to", place.ForwardTo)
	case journal:
		id, err := s.esdh.journal(ctx, p.MessageID, place.JournalOn, l.subject)
		if err != nil {
			return err
		}
		out["journaledOn"], out["journalId"] = place.JournalOn, id
		log.Info("journaled", "rule", place.Rule, "case", place.JournalOn, "journalId", id)
	default:
		return sdk.BusinessExceptionf("%s", place.Exception)
	}
	return nil
}

// read finds the mail in Processed, or still in INBOX when the intake was
// stopped between queueing it and moving it. Mail only ever moves from
// INBOX to Processed, so Processed is asked again last: a mail moved
// while the robot looked is found there.
func (s sorter) read(ctx context.Context, messageID string) ([]byte, error) {
	var err error
	for _, folder := range []string{imapbox.Processed, imapbox.Inbox, imapbox.Processed} {
		var raw []byte
		if raw, err = s.box.Read(ctx, folder, messageID); !errors.Is(err, imapbox.ErrNotFound) {
			return raw, err
		}
	}
	return nil, err
}

// summary is the run's one line for people.
func summary(items sdk.Tally) string {
	s := fmt.Sprintf("%d mails placed, %d for a person to place", items.Succeeded, items.BusinessExceptions)
	if items.Failed > 0 {
		s += fmt.Sprintf(", %d failed and wait in the queue", items.Failed)
	}
	return s
}
