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

// zone is where the varsel's answer period ends at midnight.
var zone = mustZone("Europe/Copenhagen")

// triggerQueue is the trigger of a run a WorkQueue started.
const triggerQueue = "Queue"

// robot is Paula.
type robot struct {
	// sleep replaces the waits between retries; tests move a fake clock.
	sleep func(ctx context.Context, d time.Duration) error
	// now is the clock that says which day it is; time.Now when nil.
	now func() time.Time
	// queue opens the WorkQueue by name; nil opens the trigger's queue,
	// or the queue parameter's for a run started by hand.
	queue func(name string) (*sdk.Queue, error)
}

// work handles the queue's items one at a time. Business exceptions are
// the items' outcomes, waiting for a caseworker; the run succeeds when it
// handled what it took.
func (r robot) work(ctx context.Context, run *sdk.Run, log *slog.Logger) (sdk.Result, error) {
	cfg, err := readConfig(run)
	if err != nil {
		return sdk.Result{}, err
	}
	q, err := r.open(run, cfg)
	if err != nil {
		return sdk.Result{}, err
	}
	sys := newSystems(cfg, log, r.sleep)
	items, err := sdk.ProcessQueue(ctx, q, sdk.Loop[*sdk.WorkItem]{
		Log: log,
		Handle: func(ctx context.Context, log *slog.Logger, item *sdk.WorkItem) error {
			return handle(ctx, sys, log, item, r.today())
		},
	})
	return items.Result(summary(items)), err
}

// handle sends one item's letter and journals it. Each write is keyed,
// and a step an earlier attempt did is not done again.
func handle(ctx context.Context, sys systems, log *slog.Logger, item *sdk.WorkItem, today string) error {
	req, err := requestOf(item)
	if err != nil {
		return err
	}
	p, err := sys.property(ctx, req.PropertyID)
	if sdk.StatusOf(err) == http.StatusNotFound {
		return sdk.BusinessExceptionf("property %s is in no sewer separation area", req.PropertyID)
	}
	if err != nil {
		return err
	}
	pl, refusal := decide(p, req.Step, today)
	if refusal != "" {
		return sdk.BusinessExceptionf("%s", refusal)
	}
	letterID := pl.letterID
	if pl.send == nil {
		log.Info("letter sent by an earlier attempt", "letterId", letterID)
	} else if letterID, err = sys.send(ctx, letterKey(req), *pl.send); err != nil {
		var refused *sdk.HTTPError
		if errors.As(err, &refused) && refused.StatusCode == http.StatusUnprocessableEntity {
			return sdk.BusinessExceptionf("Digital Post refused the %s: %s", stepName(req.Step), refused.Message)
		}
		return err
	}
	journalID := pl.journalID
	if journalID == "" {
		if journalID, err = sys.journal(ctx, journalKey(req), entryFor(p, req.Step, letterID)); err != nil {
			return err
		}
	}
	item.Output = map[string]string{"letterId": letterID, "journalId": journalID}
	return nil
}

// requestOf reads an item's payload.
func requestOf(item *sdk.WorkItem) (request, error) {
	var r request
	if err := item.Decode(&r); err != nil || r.PropertyID == "" || (r.Step != stepVarsel && r.Step != stepPaabud) {
		return request{}, sdk.BusinessExceptionf(`the item's payload is not a letter to send: want {"propertyId": "...", "step": "varsel" or "paabud"}`)
	}
	return r, nil
}

func (r robot) open(run *sdk.Run, cfg config) (*sdk.Queue, error) {
	switch {
	case r.queue != nil:
		return r.queue(cfg.queue)
	case run.Trigger.Type == triggerQueue:
		return sdk.QueueFromEnv("")
	}
	return sdk.OpenQueue(cfg.queue, "")
}

// today is the date in Herning.
func (r robot) today() string {
	now := time.Now
	if r.now != nil {
		now = r.now
	}
	return now().In(zone).Format(time.DateOnly)
}

// summary is the run's one line for people.
func summary(items sdk.Tally) string {
	s := fmt.Sprintf("%d sewer separation letters sent and journaled, %d for a caseworker", items.Succeeded, items.BusinessExceptions)
	if items.Failed > 0 {
		s += fmt.Sprintf(", %d failed", items.Failed)
	}
	return s
}

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}
