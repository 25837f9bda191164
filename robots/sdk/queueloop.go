package sdk

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// reportWithin bounds reporting an item's outcome, which may happen after
// SIGTERM: the outcome of finished work must not be lost to the stop.
const reportWithin = 10 * time.Second

// ProcessQueue is the work-item loop on a WorkQueue: it takes one item at
// a time and hands it to l.Handle until the queue is empty, then reports
// each outcome to the queue: nil is Done (with item.Output), a
// *BusinessException hands the item to people, any other error is a
// system exception (the item is taken again after a backoff while
// attempts are left). A business exception is the item's outcome, not the
// run's: a run that handled its items as designed succeeded.
//
// It stops, with an error, when ctx is cancelled (SIGTERM; the item in hand
// finishes within l.FinishWithin or is left held, and goes back to the
// queue as the pod stops), when taking or reporting fails after the
// Client's retries, or after l.MaxConsecutiveFailures system exceptions in
// a row (the system is probably down: the items wait instead of using up
// their attempts). With l.Limit set it ends, without an error, once it has
// taken that many items. l.Ref is not used: items are named by their
// reference.
func ProcessQueue(ctx context.Context, q *Queue, l Loop[*WorkItem]) (Tally, error) {
	var tally Tally
	failuresInARow := 0
	stopped := func() error {
		return fmt.Errorf("%w after %d items; the rest wait in queue %s", context.Cause(ctx), tally.Processed, q.Name)
	}
	released := false
	for taken := 0; ; taken++ {
		// Within the limit every item taken has ended: a stop during the
		// last one left nothing undone.
		if l.limitReached(taken) && !released {
			return tally, nil
		}
		if ctx.Err() != nil {
			return tally, stopped()
		}
		item, err := q.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return tally, stopped()
			}
			return tally, fmt.Errorf("take the next item of queue %s: %w", q.Name, err)
		}
		if item == nil {
			return tally, nil
		}
		log := l.logger().With(LogKeyItem, itemName(item), "attempt", item.Attempt)
		if released, err = l.handle(ctx, log, item); released {
			log.Warn("item finished", "outcome", OutcomeReleased, "error", err)
			continue
		}
		if rerr := report(ctx, q, item, err); rerr != nil {
			return tally, fmt.Errorf("report item %s to queue %s: %w", item.ID, q.Name, rerr)
		}
		if tally.finished(log, err, &failuresInARow, l.maxFailures()) {
			return tally, fmt.Errorf("gave up after %d items in a row failed; the rest wait in queue %s; the last: %w", failuresInARow, q.Name, err)
		}
	}
}

// report tells the queue how the item ended, even after a stop.
func report(ctx context.Context, q *Queue, item *WorkItem, outcome error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), reportWithin)
	defer cancel()
	var be *BusinessException
	switch {
	case outcome == nil:
		return q.Done(ctx, item, item.Output)
	case errors.As(outcome, &be):
		return q.BusinessException(ctx, item, be.Reason, item.Output)
	default:
		return q.SystemException(ctx, item, outcome)
	}
}

// itemName names an item in logs: its reference, or its id without one.
func itemName(item *WorkItem) string {
	if item.Reference != "" {
		return item.Reference
	}
	return item.ID
}
