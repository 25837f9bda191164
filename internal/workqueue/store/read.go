package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rpa-operator/rpa-operator/internal/workqueue"
)

// Get returns item id of the namespace.
func (s *Store) Get(ctx context.Context, namespace string, id int64) (*Item, error) {
	item, err := scanItem(s.pool.QueryRow(ctx, `SELECT `+itemColumns+` FROM work_items WHERE id = $1 AND namespace = $2`, id, namespace))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%w: no item %d in namespace %s", ErrNotFound, id, namespace)
	}
	return item, err
}

// ListOptions select items; the zero value lists none (Namespace is
// required).
type ListOptions struct {
	Namespace string
	// Queue, States and Reference narrow the list when set; Reference
	// finds a citizen's or a case's items across the namespace's queues.
	Queue     string
	States    []workqueue.State
	Reference string
	// Run narrows the list to the items the run took, whatever became of
	// them since (a run's page lists what it handled).
	Run string
	// AfterID and Limit page through the list in id order.
	AfterID int64
	Limit   int
}

// MaxListLimit is the most items one List returns.
const MaxListLimit = 1000

// List returns the items selected, in id order.
func (s *Store) List(ctx context.Context, opts ListOptions) ([]Item, error) {
	if opts.Namespace == "" {
		return nil, errors.New("list work items: a namespace is required")
	}
	limit := opts.Limit
	if limit <= 0 || limit > MaxListLimit {
		limit = MaxListLimit
	}
	states := make([]string, 0, len(opts.States))
	for _, st := range opts.States {
		states = append(states, string(st))
	}
	args := []any{opts.Namespace, opts.Queue, states, opts.AfterID, limit, opts.Reference}
	byRun := ""
	if opts.Run != "" {
		// Driven from the history's run index (work_item_history_by_run):
		// under an OR the planner would read every item of the namespace.
		byRun = `id IN (SELECT item_id FROM work_item_history WHERE run = $7 AND run <> '') AND `
		args = append(args, opts.Run)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+itemColumns+` FROM work_items
		WHERE `+byRun+`namespace = $1 AND ($2 = '' OR queue = $2) AND (cardinality($3::text[]) = 0 OR state = ANY($3)) AND id > $4
			AND ($6 = '' OR reference = $6)
		ORDER BY id LIMIT $5`, args...)
	if err != nil {
		return nil, fmt.Errorf("list work items: %w", err)
	}
	items, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Item, error) {
		it, err := scanItem(row)
		if err != nil {
			return Item{}, err
		}
		return *it, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list work items: %w", err)
	}
	return items, nil
}

// History returns every change of item id of the namespace, oldest first.
func (s *Store) History(ctx context.Context, namespace string, id int64) ([]HistoryEntry, error) {
	rows, err := s.pool.Query(ctx, `SELECT h.at, h.actor, h.run, h.action, h.from_state, h.to_state, h.attempt, h.detail
		FROM work_item_history h JOIN work_items i ON i.id = h.item_id
		WHERE h.item_id = $1 AND i.namespace = $2 ORDER BY h.id`, id, namespace)
	if err != nil {
		return nil, fmt.Errorf("read the history of item %d: %w", id, err)
	}
	entries, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (HistoryEntry, error) {
		var e HistoryEntry
		err := row.Scan(&e.At, &e.Actor, &e.Run, &e.Action, &e.From, &e.To, &e.Attempt, &e.Detail)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("read the history of item %d: %w", id, err)
	}
	return entries, nil
}

// Depth is what a WorkQueue's status reports of its items.
type Depth struct {
	Counts map[workqueue.State]int
	// OldestNew is when the oldest item waiting to be taken was added.
	OldestNew *time.Time
	// Overdue is how many New or InProgress items were added before the
	// cutoff Depth was given.
	Overdue int
}

// Depth counts the queue's items by state, and the unfinished ones added
// before overdueBefore (none when it is zero): the caller works it out
// from the SLA, in working time when the queue has a calendar.
func (s *Store) Depth(ctx context.Context, q Queue, overdueBefore time.Time) (Depth, error) {
	d := Depth{Counts: map[workqueue.State]int{}}
	rows, err := s.pool.Query(ctx, `SELECT state, count(*) FROM work_items WHERE namespace = $1 AND queue = $2 GROUP BY state`,
		q.Namespace, q.Name)
	if err != nil {
		return d, fmt.Errorf("count the items of queue %s: %w", q.Name, err)
	}
	var state string
	var n int
	if _, err := pgx.ForEachRow(rows, []any{&state, &n}, func() error {
		d.Counts[workqueue.State(state)] = n
		return nil
	}); err != nil {
		return d, fmt.Errorf("count the items of queue %s: %w", q.Name, err)
	}
	err = s.pool.QueryRow(ctx, `SELECT min(created_at) FILTER (WHERE state = 'New'),
			count(*) FILTER (WHERE $3 AND created_at < $4)
		FROM work_items WHERE namespace = $1 AND queue = $2 AND state IN ('New', 'InProgress')`,
		q.Namespace, q.Name, !overdueBefore.IsZero(), overdueBefore).Scan(&d.OldestNew, &d.Overdue)
	if err != nil {
		return d, fmt.Errorf("find the oldest items of queue %s: %w", q.Name, err)
	}
	return d, nil
}

// DeleteFinished deletes the queue's items that finished before the
// cutoff, with their history (retention: a payload is personal data). The
// hashes of their references stay, so a unique reference is still refused.
func (s *Store) DeleteFinished(ctx context.Context, q Queue, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM work_items WHERE namespace = $1 AND queue = $2 AND finished_at < $3`,
		q.Namespace, q.Name, before)
	if err != nil {
		return 0, fmt.Errorf("delete finished items of queue %s: %w", q.Name, err)
	}
	return tag.RowsAffected(), nil
}

// Erase deletes item id of the namespace now, with its payload, output
// and history: a person erasing a citizen's data before retention would.
// A unique reference's keyed hash stays, so the reference is still refused
// and nothing of it can be read back. An item a robot holds is refused
// (ErrHeld): the robot would report it again.
func (s *Store) Erase(ctx context.Context, namespace string, id int64) (*Item, error) {
	it, err := scanItem(s.pool.QueryRow(ctx, `DELETE FROM work_items WHERE id = $1 AND namespace = $2 AND state <> 'InProgress'
		RETURNING `+itemColumns, id, namespace))
	if !errors.Is(err, pgx.ErrNoRows) {
		if err != nil {
			return nil, fmt.Errorf("erase item %d: %w", id, err)
		}
		return it, nil
	}
	var pod string
	switch err := s.pool.QueryRow(ctx, `SELECT held_by_pod FROM work_items WHERE id = $1 AND namespace = $2`, id, namespace).Scan(&pod); {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, ErrNotFound
	case err != nil:
		return nil, fmt.Errorf("erase item %d: %w", id, err)
	}
	return nil, fmt.Errorf("%w: pod %s is working on item %d; erase it once its run has reported it, or cancel the run", ErrHeld, pod, id)
}

// Holders lists the pods (by UID) that hold items now: rpa-server checks
// them against the pods that exist, and returns what a vanished pod held.
func (s *Store) Holders(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT held_by_pod_uid FROM work_items WHERE state = 'InProgress'`)
	if err != nil {
		return nil, fmt.Errorf("list the pods holding items: %w", err)
	}
	uids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list the pods holding items: %w", err)
	}
	return uids, nil
}

// ItemsOfRun returns the ids of the namespace's items that the run took,
// finished or abandoned, for its run record.
func (s *Store) ItemsOfRun(ctx context.Context, namespace, run string) ([]int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT h.item_id FROM work_item_history h JOIN work_items i ON i.id = h.item_id
		WHERE h.run = $1 AND i.namespace = $2 ORDER BY h.item_id`, run, namespace)
	if err != nil {
		return nil, fmt.Errorf("read the items of run %s/%s: %w", namespace, run, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("read the items of run %s/%s: %w", namespace, run, err)
	}
	return ids, nil
}
