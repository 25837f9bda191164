package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/rpa-operator/rpa-operator/robots/sdk"
)

// maxNamed bounds the certificate ids the summary names.
const maxNamed = 10

// robot is the certificate-journal robot.
type robot struct {
	// sleep replaces the waits between retries; tests move a fake clock.
	sleep func(ctx context.Context, d time.Duration) error
	// queue opens the run's WorkQueue; sdk.QueueFromEnv when nil.
	queue func() (*sdk.Queue, error)
}

// triggerQueue is the trigger of a run a WorkQueue started.
const triggerQueue = "Queue"

// work journals the pending certificates. When any was flagged for HR, the
// run ends as a business exception once every certificate is handled, so
// that the RobotRun itself says "HR has work" (README.md says why). A run
// started by a WorkQueue takes its certificates from the queue instead.
func (r robot) work(ctx context.Context, run *sdk.Run, log *slog.Logger) (sdk.Result, error) {
	cfg, err := readConfig(run)
	if err != nil {
		return sdk.Result{}, err
	}
	sys := newSystems(cfg, log, r.sleep)
	if run.Trigger.Type == triggerQueue {
		return r.workQueue(ctx, sys, log)
	}
	certs, err := sys.pending(ctx)
	if err != nil {
		return sdk.Result{}, err
	}
	log.Info("certificates to journal", "count", len(certs))
	var flagged []string
	loop := sdk.Loop[certificate]{
		Log: log,
		Ref: certificate.ref,
		Handle: func(ctx context.Context, log *slog.Logger, c certificate) error {
			err := handle(ctx, sys, log, c)
			if sdk.IsBusinessException(err) {
				flagged = append(flagged, c.ID)
			}
			return err
		},
	}
	items, err := loop.Process(ctx, certs)
	result := items.Result(summary(items))
	if err == nil && len(flagged) > 0 {
		err = sdk.BusinessExceptionf("%d not clean, flagged for HR: %s", len(flagged), names(flagged))
	}
	return result, err
}

// workQueue journals the certificates the run's WorkQueue holds, one item
// each (payload {"certificateId": "..."}). A certificate flagged for HR is
// the item's business exception, waiting in the queue for a person; the
// run succeeds when it handled its items.
func (r robot) workQueue(ctx context.Context, sys systems, log *slog.Logger) (sdk.Result, error) {
	open := r.queue
	if open == nil {
		open = func() (*sdk.Queue, error) { return sdk.QueueFromEnv("") }
	}
	q, err := open()
	if err != nil {
		return sdk.Result{}, err
	}
	loop := sdk.Loop[*sdk.WorkItem]{
		Log: log,
		Handle: func(ctx context.Context, log *slog.Logger, item *sdk.WorkItem) error {
			c, err := certificateOf(ctx, sys, item)
			if err != nil {
				return err
			}
			if item.Attempt > 1 {
				log.Info("taken again after an attempt that did not finish; skipping what it did", "journalId", c.JournalID)
			}
			item.Output = map[string]any{"journaled": true, "flaggedForHR": !evaluate(c).clean}
			return handle(ctx, sys, log, c)
		},
	}
	items, err := sdk.ProcessQueue(ctx, q, loop)
	return items.Result(summary(items)), err
}

// certificateOf reads the certificate an item names.
func certificateOf(ctx context.Context, sys systems, item *sdk.WorkItem) (certificate, error) {
	var p struct {
		CertificateID string `json:"certificateId"`
	}
	if err := item.Decode(&p); err != nil || p.CertificateID == "" {
		return certificate{}, sdk.BusinessExceptionf(`the item's payload names no certificate: want {"certificateId": "..."}`)
	}
	c, err := sys.certificate(ctx, p.CertificateID)
	if sdk.StatusOf(err) == http.StatusNotFound {
		return certificate{}, sdk.BusinessExceptionf("certificate %s is not in the mailbox", p.CertificateID)
	}
	return c, err
}

// handle journals one certificate and, if it is not clean, flags it for HR.
// Each step is skipped when a previous run did it, and keyed so that a
// repeat after a lost answer does nothing twice.
func handle(ctx context.Context, sys systems, log *slog.Logger, c certificate) error {
	v := evaluate(c)
	if c.JournalID == "" {
		if err := sys.journal(ctx, journalEntryFor(c, v)); err != nil {
			return err
		}
	} else {
		log.Info("already journaled", "journalId", c.JournalID)
	}
	if v.clean {
		return nil
	}
	if !c.FlaggedForHR {
		if err := sys.flag(ctx, hrTask(c)); err != nil {
			return err
		}
	}
	return sdk.BusinessExceptionf("not clean: journaled, and flagged for %s", queueHR)
}

// summary is the run's one line for people.
func summary(items sdk.Tally) string {
	s := fmt.Sprintf("%d certificates journaled, %d of them flagged for HR", items.Succeeded+items.BusinessExceptions, items.BusinessExceptions)
	if items.Failed > 0 {
		s += fmt.Sprintf(", %d failed", items.Failed)
	}
	return s
}

// names lists ids for the summary, at most maxNamed of them.
func names(ids []string) string {
	if len(ids) <= maxNamed {
		return strings.Join(ids, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(ids[:maxNamed], ", "), len(ids)-maxNamed)
}
