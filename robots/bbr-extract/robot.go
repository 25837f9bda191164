package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/rpa-operator/rpa-operator/robots/sdk"
)

// robot is the bbr-extract robot.
type robot struct {
	// sleep replaces the waits between retries; tests move a fake clock.
	sleep func(ctx context.Context, d time.Duration) error
	// queue opens the WorkQueue by name; sdk.OpenQueue when nil.
	queue func(name string) (*sdk.Queue, error)
}

// work adds every unreminded unit to the queue. A unit the queue has seen
// adds nothing (the queue's uniqueReferences), so a rerun after a kill, or
// next week's extract, only adds what is new.
func (r robot) work(ctx context.Context, run *sdk.Run, log *slog.Logger) (sdk.Result, error) {
	cfg, err := readConfig(run)
	if err != nil {
		return sdk.Result{}, err
	}
	q, err := r.open(cfg.queue)
	if err != nil {
		return sdk.Result{}, err
	}
	units, err := newBBR(cfg, log, r.sleep).unreminded(ctx)
	if err != nil {
		return sdk.Result{}, err
	}
	log.Info("units with outdated oil tanks", "count", len(units), "queue", cfg.queue)
	existing := 0
	loop := sdk.Loop[oilTank]{
		Log: log,
		Ref: oilTank.ref,
		Handle: func(ctx context.Context, log *slog.Logger, t oilTank) error {
			added, err := q.Add(ctx, itemFor(t))
			if err != nil {
				return fmt.Errorf("add unit %s to queue %s: %w", t.UnitID, cfg.queue, err)
			}
			if added.Existing {
				existing++
				log.Info("already queued", "workItem", added.ID)
			}
			return nil
		},
	}
	items, err := loop.Process(ctx, units)
	return items.Result(summary(cfg.queue, items, existing)), err
}

// itemFor is a unit's work item: the unit id as its unique reference.
func itemFor(t oilTank) sdk.NewItem {
	return sdk.NewItem{Reference: t.UnitID, Payload: itemPayload{UnitID: t.UnitID, OwnerID: t.Owner.ID}}
}

func (r robot) open(name string) (*sdk.Queue, error) {
	if r.queue != nil {
		return r.queue(name)
	}
	return sdk.OpenQueue(name, "")
}

// summary is the run's one line for people.
func summary(queue string, items sdk.Tally, existing int) string {
	s := fmt.Sprintf("%d units with outdated oil tanks: %d added to %s, %d already there",
		items.Processed, items.Succeeded-int64(existing), queue, existing)
	if items.Failed > 0 {
		s += fmt.Sprintf(", %d failed", items.Failed)
	}
	return s
}
