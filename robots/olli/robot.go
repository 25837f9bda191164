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

// Letter template and the kind of item a letter is about, as Digital Post
// knows them.
const (
	templateReminder = "olietank-paamindelse"
	kindOilTank      = "oil-tank"
)

// reasonProtected is why a protected owner gets no letter from the robot.
const reasonProtected = "the owner has name and address protection: a person sends the reminder"

// robot is Olli.
type robot struct {
	// sleep replaces the waits between retries; tests move a fake clock.
	sleep func(ctx context.Context, d time.Duration) error
	// queue opens the WorkQueue by name; sdk.OpenQueue when nil.
	queue func(name string) (*sdk.Queue, error)
}

// work sends the reminders of at most cfg.limit items. Business
// exceptions are the items' outcomes, waiting in the queue for a person;
// the run succeeds when it handled what it took.
func (r robot) work(ctx context.Context, run *sdk.Run, log *slog.Logger) (sdk.Result, error) {
	cfg, err := readConfig(run)
	if err != nil {
		return sdk.Result{}, err
	}
	q, err := r.open(cfg.queue)
	if err != nil {
		return sdk.Result{}, err
	}
	sys := newSystems(cfg, log, r.sleep)
	log.Info("sending reminders", "queue", cfg.queue, "limit", cfg.limit)
	items, err := sdk.ProcessQueue(ctx, q, sdk.Loop[*sdk.WorkItem]{
		Log:   log,
		Limit: cfg.limit,
		Handle: func(ctx context.Context, log *slog.Logger, item *sdk.WorkItem) error {
			return remind(ctx, sys, log, item)
		},
	})
	return items.Result(summary(cfg, items)), err
}

// remind sends one item's reminder. The unit is read anew from BBR, so
// that an owner who changed or was protected since the extract counts.
func remind(ctx context.Context, sys systems, log *slog.Logger, item *sdk.WorkItem) error {
	var p struct {
		UnitID string `json:"unitId"`
	}
	if err := item.Decode(&p); err != nil || p.UnitID == "" {
		return sdk.BusinessExceptionf(`the item's payload names no BBR unit: want {"unitId": "..."}`)
	}
	if item.Attempt > 1 {
		// The letter may have gone out before the kill: its key makes the
		// repeat a duplicate Digital Post answers from its ledger.
		log.Info("taken again after an attempt that did not finish; sending with the same key")
	}
	unit, err := sys.unit(ctx, p.UnitID)
	if sdk.StatusOf(err) == http.StatusNotFound {
		return sdk.BusinessExceptionf("BBR has no outdated oil tank at unit %s any more: nothing to remind of", p.UnitID)
	}
	if err != nil {
		return err
	}
	l, refusal := reminderFor(unit)
	if refusal != "" {
		return sdk.BusinessExceptionf("%s", refusal)
	}
	id, err := sys.send(ctx, l)
	var refused *sdk.HTTPError
	if errors.As(err, &refused) && refused.StatusCode == http.StatusUnprocessableEntity {
		// Digital Post cannot deliver (no mailbox, protection registered
		// since): a person sends the letter on paper.
		return sdk.BusinessExceptionf("Digital Post refused the reminder: %s", refused.Message)
	}
	if err != nil {
		return err
	}
	item.Output = map[string]string{"letterId": id, "ownerId": unit.Owner.ID}
	return nil
}

// reminderFor is the reminder about unit, or why the robot must not send
// it.
func reminderFor(unit oilTank) (l letter, refusal string) {
	if unit.Owner.AddressProtected {
		return letter{}, reasonProtected
	}
	return letter{
		RecipientID: unit.Owner.ID,
		About:       reference{Kind: kindOilTank, ID: unit.UnitID},
		Template:    templateReminder,
		Subject:     fmt.Sprintf("Din olietank fra %d skal sløjfes eller tjekkes", unit.Installed),
	}, ""
}

func (r robot) open(name string) (*sdk.Queue, error) {
	if r.queue != nil {
		return r.queue(name)
	}
	return sdk.OpenQueue(name, "")
}

// summary is the run's one line for people.
func summary(cfg config, items sdk.Tally) string {
	s := fmt.Sprintf("%d reminder letters sent, %d owners for a person", items.Succeeded, items.BusinessExceptions)
	if items.Failed > 0 {
		s += fmt.Sprintf(", %d failed", items.Failed)
	}
	if cfg.limit > 0 && items.Processed >= int64(cfg.limit) {
		s += fmt.Sprintf("; limit of %d reached, the rest wait in %s", cfg.limit, cfg.queue)
	}
	return s
}
