package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/rpa-operator/rpa-operator/robots/sdk"
)

// reasonProtected is why a protected resident gets no letter from the
// robot: the letter and the move-in go to a person.
const reasonProtected = "name and address protection: citizen service sends the letter by hand"

// robot is the welcome-letters robot.
type robot struct {
	// sleep replaces the waits between retries; tests move a fake clock.
	sleep func(ctx context.Context, d time.Duration) error
}

// tally counts the letters by kind, for the summary.
type tally struct {
	welcome, children int
}

func (t *tally) count(l letter) {
	if l.Template == templateWelcomeChildren {
		t.children++
	} else {
		t.welcome++
	}
}

// work sends the welcome letters of one run. Business exceptions do not
// fail the run: protected residents are a normal part of every day's
// move-ins, and their task is the hand-over.
func (r robot) work(ctx context.Context, run *sdk.Run, log *slog.Logger) (sdk.Result, error) {
	cfg, err := readConfig(run)
	if err != nil {
		return sdk.Result{}, err
	}
	sys := newSystems(cfg, log, r.sleep)
	moveIns, err := sys.newMoveIns(ctx, cfg.municipality)
	if err != nil {
		return sdk.Result{}, err
	}
	log.Info("move-ins to welcome", "municipality", cfg.municipality, "count", len(moveIns))
	var letters tally
	loop := sdk.Loop[moveIn]{
		Log: log,
		Ref: moveIn.ref,
		Handle: func(ctx context.Context, log *slog.Logger, m moveIn) error {
			if cfg.dryRun {
				return rehearse(log, cfg.municipality, m, &letters)
			}
			return welcome(ctx, sys, cfg.municipality, m, &letters)
		},
	}
	items, err := loop.Process(ctx, moveIns)
	text := summary(cfg.municipality, items, letters)
	if cfg.dryRun {
		text = "dry run, nothing sent: " + text
	}
	return items.Result(text), err
}

// welcome sends the move-in its letter, or hands it to citizen service.
func welcome(ctx context.Context, sys systems, municipality string, m moveIn, letters *tally) error {
	if m.AddressProtected {
		return handOver(ctx, sys, m, reasonProtected)
	}
	l := letterFor(m, municipality)
	err := sys.send(ctx, l)
	var refused *sdk.HTTPError
	if errors.As(err, &refused) && refused.StatusCode == http.StatusUnprocessableEntity {
		// Digital Post refuses the letter for a reason a person must
		// judge, such as protection registered after the move-in.
		return handOver(ctx, sys, m, "Digital Post refused the letter: "+refused.Message)
	}
	if err != nil {
		return err
	}
	letters.count(l)
	return nil
}

// rehearse decides the move-in as welcome would and logs the decision
// instead of acting on it. Nothing is marked done, so the next real run
// handles the same move-ins.
func rehearse(log *slog.Logger, municipality string, m moveIn, letters *tally) error {
	if m.AddressProtected {
		return sdk.BusinessExceptionf("%s (dry run: no task created)", reasonProtected)
	}
	l := letterFor(m, municipality)
	log.Info("dry run: letter not sent", "template", l.Template, "subject", l.Subject)
	letters.count(l)
	return nil
}

// handOver gives the move-in to citizen service and reports it as the
// business exception it is.
func handOver(ctx context.Context, sys systems, m moveIn, reason string) error {
	if err := sys.handOver(ctx, handOverTask(m, reason)); err != nil {
		return err
	}
	return sdk.BusinessExceptionf("%s", reason)
}

// summary is the run's one line for people.
func summary(municipality string, items sdk.Tally, letters tally) string {
	s := fmt.Sprintf("%s: %d welcome letters sent (%d to families with children), %d handed to %s",
		municipality, letters.welcome+letters.children, letters.children, items.BusinessExceptions, queueCitizenService)
	if items.Failed > 0 {
		s += fmt.Sprintf(", %d failed", items.Failed)
	}
	return s
}
