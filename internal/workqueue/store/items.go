package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rpa-operator/rpa-operator/internal/workqueue"
)

// NewItem is an item to add.
type NewItem struct {
	Reference  string
	Priority   int32
	Payload    json.RawMessage
	DeferUntil *time.Time
	Deadline   *time.Time
}

// Added is what became of one NewItem: the item added, or, for a
// reference the queue has seen (UniqueReferences), the item that has it.
// Existing is true then; Item is nil when retention has deleted that item
// and ExistingID names it.
type Added struct {
	Item       *Item
	Existing   bool
	ExistingID int64
}

// InvalidItemError says which of the items to add is not acceptable; none
// of them was added.
type InvalidItemError struct {
	Index int
	Err   error
}

func (e *InvalidItemError) Error() string { return fmt.Sprintf("item %d: %v", e.Index+1, e.Err) }
func (e *InvalidItemError) Unwrap() error { return e.Err }

// Add adds items to the queue as actor (the authenticated identity), all or
// none: an invalid item refuses the whole batch with an InvalidItemError.
// The results are in the order of items.
func (s *Store) Add(ctx context.Context, q Queue, actor string, items []NewItem) ([]Added, error) {
	for i, it := range items {
		if err := checkNew(it); err != nil {
			return nil, &InvalidItemError{Index: i, Err: err}
		}
	}
	now := s.now()
	results := make([]Added, len(items))
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		for _, i := range s.insertOrder(q, items) {
			added, err := s.addOne(ctx, tx, q, actor, items[i], now)
			if err != nil {
				return fmt.Errorf("add item %d: %w", i+1, err)
			}
			results[i] = added
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

func checkNew(it NewItem) error {
	if err := workqueue.CheckDocument("payload", it.Payload); err != nil {
		return err
	}
	if err := workqueue.CheckPriority(it.Priority); err != nil {
		return err
	}
	return workqueue.CheckReference(it.Reference)
}

// insertOrder is the order a batch is inserted in: by reference hash, so
// two batches sharing references lock them in the same order and cannot
// deadlock.
func (s *Store) insertOrder(q Queue, items []NewItem) []int {
	order := make([]int, len(items))
	hashes := make([][]byte, len(items))
	for i, it := range items {
		order[i] = i
		if q.UniqueReferences && it.Reference != "" {
			hashes[i] = workqueue.ReferenceHash(s.referenceKey, q.Namespace, q.Name, it.Reference)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return bytes.Compare(hashes[a], hashes[b]) })
	return order
}

// addOne claims the reference first, when the queue's references are
// unique: a concurrent add of the same reference waits on that row and
// then finds it taken.
func (s *Store) addOne(ctx context.Context, tx pgx.Tx, q Queue, actor string, it NewItem, now time.Time) (Added, error) {
	var id int64
	if err := tx.QueryRow(ctx, `SELECT nextval('work_items_id_seq')`).Scan(&id); err != nil {
		return Added{}, err
	}
	if q.UniqueReferences && it.Reference != "" {
		existing, taken, err := s.claimReference(ctx, tx, q, it.Reference, id)
		if err != nil || taken {
			return existing, err
		}
	}
	row := tx.QueryRow(ctx, `INSERT INTO work_items (id, namespace, queue, reference, priority, payload, state, defer_until, deadline,
			created_by, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, 'New', $7, $8, $9, $10, $10) RETURNING `+itemColumns,
		id, q.Namespace, q.Name, it.Reference, it.Priority, []byte(it.Payload), it.DeferUntil, it.Deadline, actor, now)
	item, err := scanItem(row)
	if err != nil {
		return Added{}, err
	}
	if err := record(ctx, tx, item, now, actor, "", "Add", "", ""); err != nil {
		return Added{}, err
	}
	return Added{Item: item}, nil
}

// claimReference records the reference for item id; taken is true when the
// queue already had it, and existing then describes that item.
func (s *Store) claimReference(ctx context.Context, tx pgx.Tx, q Queue, reference string, id int64) (existing Added, taken bool, err error) {
	hash := workqueue.ReferenceHash(s.referenceKey, q.Namespace, q.Name, reference)
	tag, err := tx.Exec(ctx, `INSERT INTO work_item_references (namespace, queue, reference_hash, item_id) VALUES ($1, $2, $3, $4)
		ON CONFLICT DO NOTHING`, q.Namespace, q.Name, hash, id)
	if err != nil || tag.RowsAffected() == 1 {
		return Added{}, false, err
	}
	var existingID int64
	if err := tx.QueryRow(ctx, `SELECT item_id FROM work_item_references WHERE namespace = $1 AND queue = $2 AND reference_hash = $3`,
		q.Namespace, q.Name, hash).Scan(&existingID); err != nil {
		return Added{}, false, fmt.Errorf("read the item of a known reference: %w", err)
	}
	item, err := scanItem(tx.QueryRow(ctx, `SELECT `+itemColumns+` FROM work_items WHERE id = $1`, existingID))
	if errors.Is(err, pgx.ErrNoRows) {
		return Added{Existing: true, ExistingID: existingID}, true, nil
	}
	return Added{Item: item, Existing: true, ExistingID: existingID}, true, err
}

// Take gives the holder the queue's next item: the New one of highest
// priority, then the oldest, whose DeferUntil has passed. nil when there
// is none. Rows other takers have locked are skipped, not waited for. A
// pod takes one item of a queue at a time: one that already holds an item
// of the queue gets that item again, so a take whose answer was lost can
// be repeated without taking a second.
func (s *Store) Take(ctx context.Context, q Queue, actor string, holder Holder) (*Item, error) {
	now := s.now()
	var taken *Item
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		held, err := scanItem(tx.QueryRow(ctx, `SELECT `+itemColumns+` FROM work_items
			WHERE namespace = $1 AND queue = $2 AND state = 'InProgress' AND held_by_pod_uid = $3 ORDER BY id LIMIT 1`,
			q.Namespace, q.Name, holder.PodUID))
		if err == nil {
			taken = held
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("find the item pod %s holds: %w", holder.Pod, err)
		}
		row := tx.QueryRow(ctx, `UPDATE work_items SET state = 'InProgress', attempts = attempts + 1, defer_until = NULL,
				held_by_run = $3, held_by_pod = $4, held_by_pod_uid = $5, updated_at = $6
			WHERE id = (SELECT id FROM work_items
				WHERE namespace = $1 AND queue = $2 AND state = 'New' AND (defer_until IS NULL OR defer_until <= $6)
				ORDER BY priority DESC, created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
			RETURNING `+itemColumns,
			q.Namespace, q.Name, holder.Run, holder.Pod, holder.PodUID, now)
		item, err := scanItem(row)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("take an item of queue %s: %w", q.Name, err)
		}
		taken = item
		return record(ctx, tx, item, now, actor, holder.Run, workqueue.ActionTake, workqueue.New, "")
	})
	return taken, err
}

// Outcome is what the holding robot reports for an item.
type Outcome struct {
	// Action is ActionDone, ActionBusinessException or ActionSystemException.
	Action workqueue.Action
	// Output is the robot's result for the item (a JSON object), if any.
	Output json.RawMessage
	// Reason says why, for an exception.
	Reason string
}

// Complete records the outcome the holder reports for item id of the
// queue. A system exception with attempts left puts the item back after a
// backoff (workqueue.Backoff).
func (s *Store) Complete(ctx context.Context, q Queue, id int64, actor string, holder Holder, outcome Outcome) (*Item, error) {
	if err := checkOutcome(outcome); err != nil {
		return nil, err
	}
	outcome.Reason = workqueue.Printable(outcome.Reason)
	now := s.now()
	var done *Item
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		item, err := lockItem(ctx, tx, q, id)
		if err != nil {
			return err
		}
		if item.State == workqueue.InProgress && (item.Holder == nil || item.Holder.PodUID != holder.PodUID) {
			return fmt.Errorf("%w: item %d is held by %s", ErrNotHolder, id, holderName(item.Holder))
		}
		if item.State != workqueue.InProgress {
			if repeated, err := repeatOf(ctx, tx, item, holder, outcome); err != nil || repeated {
				done = item
				return err
			}
		}
		next, err := workqueue.Next(item.State, outcome.Action, item.Attempts, q.MaxAttempts)
		if err != nil {
			return err
		}
		done, err = s.move(ctx, tx, item, next, now, outcome.Output, outcome.Reason)
		if err != nil {
			return err
		}
		return record(ctx, tx, done, now, actor, holder.Run, outcome.Action, item.State, outcome.Reason)
	})
	return done, err
}

// repeatOf reports whether an outcome for an item no longer in progress
// repeats the holder's last change of it (the answer to the first call was
// lost): then it is answered with the item as it is, and changes nothing.
func repeatOf(ctx context.Context, tx pgx.Tx, item *Item, holder Holder, outcome Outcome) (bool, error) {
	var action, run string
	err := tx.QueryRow(ctx, `SELECT action, run FROM work_item_history WHERE item_id = $1 ORDER BY id DESC LIMIT 1`, item.ID).
		Scan(&action, &run)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read the last change of item %d: %w", item.ID, err)
	}
	return action == string(outcome.Action) && run == holder.Run, nil
}

// holderName names the run holding an item, for an error.
func holderName(h *Holder) string {
	if h == nil {
		return "nobody"
	}
	return "run " + h.Run
}

func checkOutcome(o Outcome) error {
	switch o.Action {
	case workqueue.ActionDone, workqueue.ActionBusinessException, workqueue.ActionSystemException:
	default:
		return fmt.Errorf("%w: %s is not an outcome a robot reports", workqueue.ErrIllegalTransition, o.Action)
	}
	if o.Output != nil {
		if err := workqueue.CheckDocument("output", o.Output); err != nil {
			return err
		}
	}
	return workqueue.CheckReason(o.Reason)
}

// lockItem reads the item for update.
func lockItem(ctx context.Context, tx pgx.Tx, q Queue, id int64) (*Item, error) {
	item, err := scanItem(tx.QueryRow(ctx, `SELECT `+itemColumns+` FROM work_items WHERE id = $1 AND namespace = $2 AND queue = $3 FOR UPDATE`,
		id, q.Namespace, q.Name))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%w: no item %d in queue %s of namespace %s", ErrNotFound, id, q.Name, q.Namespace)
	}
	return item, err
}

// move writes the item's new state: back to New (after a backoff when it
// has been tried), or on to a finished state, and never held by anyone
// then. output, when not nil, replaces the item's output.
func (s *Store) move(ctx context.Context, tx pgx.Tx, item *Item, next workqueue.State, now time.Time,
	output json.RawMessage, reason string) (*Item, error) {
	var deferUntil, finishedAt *time.Time
	switch {
	case next == workqueue.New && item.State == workqueue.InProgress:
		at := now.Add(workqueue.Backoff(item.Attempts))
		deferUntil = &at
	case next.Finished():
		finishedAt = &now
	}
	row := tx.QueryRow(ctx, `UPDATE work_items SET state = $2, output = COALESCE($3, output), reason = $4, defer_until = $5,
			finished_at = $6, held_by_run = '', held_by_pod = '', held_by_pod_uid = '', updated_at = $7
		WHERE id = $1 RETURNING `+itemColumns,
		item.ID, string(next), sqlNullable(output), reason, deferUntil, finishedAt, now)
	moved, err := scanItem(row)
	if err != nil {
		return nil, fmt.Errorf("move item %d to %s: %w", item.ID, next, err)
	}
	return moved, nil
}

// Abandon returns the items the stopped pod held: to New at once, for the
// next run to take (the attempt counts), or to Failed when that was the
// last attempt. maxAttempts gives each item's queue policy.
func (s *Store) Abandon(ctx context.Context, podUID, actor string, maxAttempts func(namespace, queue string) int) ([]Item, error) {
	now := s.now()
	var returned []Item
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+itemColumns+` FROM work_items WHERE held_by_pod_uid = $1 AND state = 'InProgress' FOR UPDATE`, podUID)
		if err != nil {
			return err
		}
		held, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*Item, error) { return scanItem(row) })
		if err != nil {
			return fmt.Errorf("read the items pod %s holds: %w", podUID, err)
		}
		for _, item := range held {
			next, err := workqueue.Next(item.State, workqueue.ActionAbandon, item.Attempts, maxAttempts(item.Namespace, item.Queue))
			if err != nil {
				return err
			}
			reason := fmt.Sprintf("the pod %s of run %s stopped while holding the item", item.Holder.Pod, item.Holder.Run)
			moved, err := s.moveAbandoned(ctx, tx, item, next, now, reason)
			if err != nil {
				return err
			}
			if err := record(ctx, tx, moved, now, actor, item.Holder.Run, workqueue.ActionAbandon, item.State, reason); err != nil {
				return err
			}
			returned = append(returned, *moved)
		}
		return nil
	})
	return returned, err
}

// moveAbandoned is move without the backoff: the item did not fail, its
// pod went away, and the next run should have it now.
func (s *Store) moveAbandoned(ctx context.Context, tx pgx.Tx, item *Item, next workqueue.State, now time.Time, reason string) (*Item, error) {
	if next.Finished() {
		return s.move(ctx, tx, item, next, now, nil, reason)
	}
	row := tx.QueryRow(ctx, `UPDATE work_items SET state = 'New', reason = $2, defer_until = NULL,
			held_by_run = '', held_by_pod = '', held_by_pod_uid = '', updated_at = $3
		WHERE id = $1 RETURNING `+itemColumns, item.ID, reason, now)
	return scanItem(row)
}

// Retry puts an item that waits for a person back to New, as actor, with
// the payload edited when payload is not nil; its attempts start again.
func (s *Store) Retry(ctx context.Context, q Queue, id int64, actor string, payload json.RawMessage, comment string) (*Item, error) {
	if payload != nil {
		if err := workqueue.CheckDocument("payload", payload); err != nil {
			return nil, err
		}
	}
	if err := workqueue.CheckReason(comment); err != nil {
		return nil, err
	}
	comment = workqueue.Printable(comment)
	return s.decide(ctx, q, id, actor, workqueue.ActionRetry, comment, func(ctx context.Context, tx pgx.Tx, item *Item, now time.Time) (*Item, error) {
		row := tx.QueryRow(ctx, `UPDATE work_items SET state = 'New', attempts = 0, payload = COALESCE($2, payload), reason = $3,
				defer_until = NULL, finished_at = NULL, updated_at = $4
			WHERE id = $1 RETURNING `+itemColumns, item.ID, sqlNullable(payload), comment, now)
		return scanItem(row)
	}, payloadNote(payload))
}

// payloadNote is what the history says of an edited payload: that it was
// edited, not what it held (the history outlives no retention, but a
// payload is personal data and is kept in one place only).
func payloadNote(payload json.RawMessage) string {
	if payload == nil {
		return ""
	}
	return "payload edited"
}

// Handle closes an item that waits for a person, as actor, with a comment
// saying what they did.
func (s *Store) Handle(ctx context.Context, q Queue, id int64, actor, comment string) (*Item, error) {
	if err := workqueue.CheckReason(comment); err != nil {
		return nil, err
	}
	comment = workqueue.Printable(comment)
	if strings.TrimSpace(comment) == "" {
		return nil, fmt.Errorf("%w: handling an item needs a comment saying what was done", workqueue.ErrInvalidItem)
	}
	return s.decide(ctx, q, id, actor, workqueue.ActionHandle, comment, func(ctx context.Context, tx pgx.Tx, item *Item, now time.Time) (*Item, error) {
		return s.move(ctx, tx, item, workqueue.Handled, now, nil, comment)
	}, "")
}

// decide applies a person's action to an item, if its state allows it.
func (s *Store) decide(ctx context.Context, q Queue, id int64, actor string, action workqueue.Action, comment string,
	write func(context.Context, pgx.Tx, *Item, time.Time) (*Item, error), note string) (*Item, error) {
	now := s.now()
	var decided *Item
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		item, err := lockItem(ctx, tx, q, id)
		if err != nil {
			return err
		}
		if _, err := workqueue.Next(item.State, action, item.Attempts, q.MaxAttempts); err != nil {
			return err
		}
		if decided, err = write(ctx, tx, item, now); err != nil {
			return fmt.Errorf("%s item %d: %w", action, id, err)
		}
		detail := comment
		if note != "" {
			detail = joinDetail(note, comment)
		}
		if err := record(ctx, tx, decided, now, actor, "", action, item.State, detail); err != nil {
			return err
		}
		return keepDecision(ctx, tx, decided, now, actor, action, item.State, note != "")
	})
	return decided, err
}

// keepDecision keeps who decided what of the item beyond its retention,
// in the same transaction as the decision.
func keepDecision(ctx context.Context, tx pgx.Tx, it *Item, at time.Time, actor string, action workqueue.Action,
	from workqueue.State, payloadEdited bool) error {
	_, err := tx.Exec(ctx, `INSERT INTO work_item_decisions (namespace, queue, item_id, action, actor, from_state, to_state, payload_edited, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		it.Namespace, it.Queue, it.ID, string(action), actor, string(from), string(it.State), payloadEdited, at)
	if err != nil {
		return fmt.Errorf("keep the %s decision on item %d: %w", action, it.ID, err)
	}
	return nil
}

func joinDetail(note, comment string) string {
	if comment == "" {
		return note
	}
	return note + ": " + comment
}
