package main

import (
	"context"
	"fmt"
	"log/slog"
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
}

// work journals the pending certificates. When any was flagged for HR, the
// run ends as a business exception once every certificate is handled, so
// that the RobotRun itself says "HR has work" (README.md says why).
func (r robot) work(ctx context.Context, run *sdk.Run, log *slog.Logger) (sdk.Result, error) {
	cfg, err := readConfig(run)
	if err != nil {
		return sdk.Result{}, err
	}
	sys := newSystems(cfg, log, r.sleep)
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
