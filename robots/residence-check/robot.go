package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/rpa-operator/rpa-operator/robots/sdk"
)

// robot is the residence-check robot.
type robot struct {
	// now is the clock of manual runs; nil is time.Now. Scheduled runs use
	// their scheduled time.
	now func() time.Time
	// sleep replaces the waits between retries; tests move a fake clock.
	sleep func(ctx context.Context, d time.Duration) error
}

// work checks the citizens the batch has not checked yet. Cases for
// caseworkers are business exceptions but do not fail the run: about a
// hundred a quarter is the expected outcome (README.md).
func (r robot) work(ctx context.Context, run *sdk.Run, log *slog.Logger) (sdk.Result, error) {
	now := time.Now
	if r.now != nil {
		now = r.now
	}
	cfg, err := readConfig(run, now())
	if err != nil {
		return sdk.Result{}, err
	}
	sys := newSystems(cfg, log, r.sleep)
	citizens, err := sys.unchecked(ctx, cfg.batch)
	if err != nil {
		return sdk.Result{}, err
	}
	toCheck, left := limited(citizens, cfg.limit)
	log.Info("citizens to check", "batch", cfg.batch, "checkDate", cfg.checkDate.Format(dateLayout), "count", len(toCheck), "leftForLater", left)
	loop := sdk.Loop[citizen]{
		Log: log,
		Ref: citizen.ref,
		Handle: func(ctx context.Context, log *slog.Logger, c citizen) error {
			return checkCitizen(ctx, sys, cfg, c)
		},
	}
	items, err := loop.Process(ctx, toCheck)
	return items.Result(summary(cfg, items, left)), err
}

// checkCitizen decides one citizen and records it; an unclear registration
// gets a caseworker's task first, so that a check is only ever recorded
// with its case open.
func checkCitizen(ctx context.Context, sys systems, cfg config, c citizen) error {
	d := decide(c, cfg.checkDate)
	if d.confirmed {
		return sys.record(ctx, check{Batch: cfg.batch, CitizenID: c.ID, Outcome: outcomeConfirmed})
	}
	if err := sys.openCase(ctx, caseTask(cfg.batch, c, d)); err != nil {
		return err
	}
	if err := sys.record(ctx, check{Batch: cfg.batch, CitizenID: c.ID, Outcome: outcomeCaseOpened, Reason: d.reason()}); err != nil {
		return err
	}
	return sdk.BusinessExceptionf("case opened for %s: %s", queueCaseworkers, d.reason())
}

// limited keeps the first limit citizens (0 keeps all) and says how many
// are left for a later run.
func limited(citizens []citizen, limit int) ([]citizen, int) {
	if limit == 0 || limit >= len(citizens) {
		return citizens, 0
	}
	return citizens[:limit], len(citizens) - limit
}

// summary is the run's one line for people.
func summary(cfg config, items sdk.Tally, left int) string {
	s := fmt.Sprintf("%s: %d residence registrations confirmed, %d cases opened for caseworkers (checked against %s)",
		cfg.batch, items.Succeeded, items.BusinessExceptions, cfg.checkDate.Format(dateLayout))
	if items.Failed > 0 {
		s += fmt.Sprintf(", %d failed", items.Failed)
	}
	if left > 0 {
		s += fmt.Sprintf("; limit %d: %d left for the next run", cfg.limit, left)
	}
	return s
}
