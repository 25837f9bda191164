package sdk

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// DefaultFinishWithin is how long the item in hand may still take after
// SIGTERM: Kubernetes' default grace period is 30 s, and the robot still
// has to write its result and exit before SIGKILL.
const DefaultFinishWithin = 20 * time.Second

// DefaultMaxConsecutiveFailures is how many items in a row may fail before
// a Loop gives up.
const DefaultMaxConsecutiveFailures = 3

// Item outcomes, as the "outcome" of each "item finished" log line.
const (
	OutcomeSucceeded         = "succeeded"
	OutcomeBusinessException = "business-exception"
	OutcomeFailed            = "failed"
	OutcomeReleased          = "released"
)

// Loop works through a run's items one at a time, counts how each ended
// and stops cleanly when asked to: the contract's work-item loop
// (docs/robot-contract.md).
type Loop[T any] struct {
	// Log gets one "item finished" line per item, with the item's
	// reference under "item". Nil logs nothing.
	Log *slog.Logger
	// Ref names an item in logs: a case number, an event id.
	Ref func(T) string
	// Handle does one item's work and returns nil when it is done, a
	// *BusinessException when it was handed to people, and any other error
	// when it failed (a system exception; the item is left for a later run).
	// log carries the item's reference. Make Handle safe to repeat: an item
	// may be retried after a crash or a kill, so every write it makes to a
	// system should carry an idempotency key.
	Handle func(ctx context.Context, log *slog.Logger, item T) error
	// FinishWithin is how long the item in hand may take once the loop's
	// context is cancelled (SIGTERM); then the context given to Handle is
	// cancelled too, and an item that Handle gives up on is released: left
	// undone for the next run. Zero means DefaultFinishWithin.
	FinishWithin time.Duration
	// MaxConsecutiveFailures stops the loop after that many system
	// exceptions in a row: the system is probably down, and every further
	// item would fail the same way (and might lock the robot's account).
	// Zero means DefaultMaxConsecutiveFailures; negative never gives up.
	MaxConsecutiveFailures int
	// Limit, when positive, is the most items the loop takes: ProcessQueue
	// takes no more than Limit items from the queue and leaves the rest
	// waiting (a run started with "40 letters when there is time"), and
	// Process handles the first Limit items of its list and counts the
	// others as Remaining. Items that end as business exceptions or
	// failures count, since each was taken. Zero means no limit.
	Limit int
}

// Tally counts how a Loop's items ended.
type Tally struct {
	// Processed counts items that ended one way or another: Succeeded +
	// Failed + BusinessExceptions.
	Processed, Succeeded, Failed, BusinessExceptions int64
	// Remaining counts items not handled: not started because the loop
	// stopped, or released when they could not finish after SIGTERM.
	Remaining int64
}

// Result is the tally as the robot's result, with a summary for people.
func (t Tally) Result(summary string) Result {
	return Result{
		ItemsProcessed:     t.Processed,
		ItemsSucceeded:     t.Succeeded,
		ItemsFailed:        t.Failed,
		BusinessExceptions: t.BusinessExceptions,
		Summary:            summary,
	}
}

// Process handles items in order. Items that fail or are business
// exceptions do not stop it. It stops early, with an error, when ctx is
// cancelled (after finishing or releasing the item in hand; the error wraps
// the StopSignal, so that ExitCode gives 143 for SIGTERM) or after
// MaxConsecutiveFailures failures in a row.
func (l Loop[T]) Process(ctx context.Context, items []T) (Tally, error) {
	tally := Tally{Remaining: int64(len(items))}
	failuresInARow := 0
	if l.Limit > 0 && len(items) > l.Limit {
		items = items[:l.Limit]
	}
	released := false
	for _, item := range items {
		if ctx.Err() != nil {
			return tally, fmt.Errorf("%w after %d items, %d left for the next run", context.Cause(ctx), tally.Processed, tally.Remaining)
		}
		log := l.logger().With(LogKeyItem, l.Ref(item))
		var err error
		if released, err = l.handle(ctx, log, item); released {
			log.Warn("item finished", "outcome", OutcomeReleased, "error", err)
			continue
		}
		tally.Remaining--
		if tally.finished(log, err, &failuresInARow, l.maxFailures()) {
			return tally, fmt.Errorf("gave up after %d items in a row failed, %d left for the next run; the last: %w", failuresInARow, tally.Remaining, err)
		}
	}
	if released {
		// The last item could not finish after the stop.
		return tally, fmt.Errorf("%w after %d items, %d left for the next run", context.Cause(ctx), tally.Processed, tally.Remaining)
	}
	return tally, nil
}

// finished counts how an item ended and logs it; giveUp is true after
// limit system exceptions in a row (limit <= 0: never).
func (t *Tally) finished(log *slog.Logger, err error, failuresInARow *int, limit int) (giveUp bool) {
	t.Processed++
	switch {
	case err == nil:
		t.Succeeded++
		*failuresInARow = 0
		log.Info("item finished", "outcome", OutcomeSucceeded)
	case IsBusinessException(err):
		t.BusinessExceptions++
		*failuresInARow = 0
		log.Warn("item finished", "outcome", OutcomeBusinessException, "reason", err.Error())
	default:
		t.Failed++
		*failuresInARow++
		log.Error("item finished", "outcome", OutcomeFailed, "error", err.Error())
		return limit > 0 && *failuresInARow >= limit
	}
	return false
}

// handle runs Handle for one item with a context that outlives ctx by
// FinishWithin: a stop lets the item in hand finish rather than leave it
// half done. released is true when Handle failed after that context ended.
func (l Loop[T]) handle(ctx context.Context, log *slog.Logger, item T) (released bool, err error) {
	itemCtx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	defer cancel(nil)
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-done:
			return
		case <-ctx.Done():
		}
		timer := time.NewTimer(l.finishWithin())
		defer timer.Stop()
		select {
		case <-done:
		case <-timer.C:
			cancel(fmt.Errorf("%w, and the item in hand did not finish within %s", context.Cause(ctx), l.finishWithin()))
		}
	}()
	err = l.Handle(itemCtx, log, item)
	return err != nil && itemCtx.Err() != nil, err
}

func (l Loop[T]) logger() *slog.Logger {
	if l.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l.Log
}

func (l Loop[T]) finishWithin() time.Duration {
	if l.FinishWithin <= 0 {
		return DefaultFinishWithin
	}
	return l.FinishWithin
}

// limitReached says whether the loop has taken as many items as it may.
func (l Loop[T]) limitReached(taken int) bool { return l.Limit > 0 && taken >= l.Limit }

func (l Loop[T]) maxFailures() int {
	if l.MaxConsecutiveFailures == 0 {
		return DefaultMaxConsecutiveFailures
	}
	return l.MaxConsecutiveFailures
}
