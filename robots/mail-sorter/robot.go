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
func (r robot) work(ctx context.Context, run *sdk.Run, log *slog.Logger) (sdk.Result, error) {
	cfg, err := readConfig(run)
	if err != nil {
		return sdk.Result{}, err
	}
	q, err := sdk.QueueFromEnv("")
	if err != nil {
		return sdk.Result{}, err
	}
	box, err := dial(ctx, cfg)
	if err != nil {
		return sdk.Result{}, err
	}
	defer func() { _ = box.Close() }()
	s := sorter{rules: cfg.rules, box: box, esdh: newESDH(cfg, log, r.sleep),
		forward: forwarder{addr: cfg.smtpAddress, from: cfg.mailbox.Username, now: time.Now}}
	items, err := sdk.ProcessQueue(ctx, q, sdk.Loop[*sdk.WorkItem]{Log: log, Handle: s.handle})
	return items.Result(summary(items)), err
}

func dial(ctx context.Context, cfg config) (*imapbox.Box, error) {
	if cfg.imapTLS {
		return imapbox.DialTLS(ctx, cfg.imapAddress, cfg.mailbox.Username, cfg.mailbox.Password.Reveal())
	}
	return imapbox.Dial(ctx, cfg.imapAddress, cfg.mailbox.Username, cfg.mailbox.Password.Reveal())
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
	if errors.Is(err, imapbox.ErrNotFound) {
		return sdk.BusinessExceptionf("the mail is in neither Processed nor INBOX: someone moved or deleted it")
	}
	if err != nil {
		return err
	}
	l, err := readLetter(raw)
	if err != nil {
		return sdk.BusinessExceptionf("the mail cannot be read (%v): open it in the mailbox", err)
	}
	place, err := decide(s.rules, l, func(cpr string) ([]openCase, error) { return s.esdh.openCases(ctx, cpr) })
	if err != nil {
		return err
	}
	out := map[string]any{"rule": place.Rule}
	item.Output = out
	switch {
	case place.Exception != "":
		return sdk.BusinessExceptionf("%s", place.Exception)
	case place.ForwardTo != "":
		if err := s.forward.forward(ctx, raw, place.ForwardTo); err != nil {
			return err
		}
		out["forwardedTo"] = place.ForwardTo
		log.Info("forwarded", "rule", place.Rule, "to", place.ForwardTo)
	default:
		id, err := s.esdh.journal(ctx, p.MessageID, place.JournalOn, l.Subject)
		if err != nil {
			return err
		}
		out["journaledOn"], out["journalId"] = place.JournalOn, id
		log.Info("journaled", "rule", place.Rule, "case", place.JournalOn, "journalId", id)
	}
	return nil
}

// read finds the mail in Processed, or still in INBOX when the intake
// was stopped between queueing it and moving it.
func (s sorter) read(ctx context.Context, messageID string) ([]byte, error) {
	raw, err := s.box.Read(ctx, imapbox.Processed, messageID)
	if errors.Is(err, imapbox.ErrNotFound) {
		return s.box.Read(ctx, imapbox.Inbox, messageID)
	}
	return raw, err
}

// summary is the run's one line for people.
func summary(items sdk.Tally) string {
	s := fmt.Sprintf("%d mails placed, %d handed to a person", items.Succeeded, items.BusinessExceptions)
	if items.Failed > 0 {
		s += fmt.Sprintf(", %d failed and wait in the queue", items.Failed)
	}
	return s
}
