package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Decision is a person's retry or handling of an item, as kept for
// supervision after the item is gone: who, what, when; never the payload
// or the comment (personal data, deleted with the item).
type Decision struct {
	ID            int64
	Namespace     string
	Queue         string
	ItemID        int64
	Action        string
	Actor         string
	From, To      string
	PayloadEdited bool
	At            time.Time
}

// DecisionListOptions select a namespace's decisions.
type DecisionListOptions struct {
	Namespace string
	// Queue narrows to one queue; From and Before bound when they were made.
	Queue        string
	From, Before time.Time
	// Limit bounds a page (at most MaxListLimit); AfterID continues after
	// the previous page's last.
	Limit   int
	AfterID int64
}

// Decisions lists the namespace's decisions, oldest first.
func (s *Store) Decisions(ctx context.Context, o DecisionListOptions) ([]Decision, error) {
	if o.Namespace == "" {
		return nil, errors.New("list decisions: a namespace is required")
	}
	limit := o.Limit
	if limit <= 0 || limit > MaxListLimit {
		limit = MaxListLimit
	}
	rows, err := s.pool.Query(ctx, `SELECT id, namespace, queue, item_id, action, actor, from_state, to_state, payload_edited, at
		FROM work_item_decisions
		WHERE namespace = $1 AND ($2 = '' OR queue = $2) AND ($3::timestamptz IS NULL OR at >= $3)
			AND ($4::timestamptz IS NULL OR at < $4) AND id > $5
		ORDER BY id LIMIT $6`, o.Namespace, o.Queue, timeOrNil(o.From), timeOrNil(o.Before), o.AfterID, limit)
	if err != nil {
		return nil, fmt.Errorf("list decisions: %w", err)
	}
	decisions, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Decision, error) {
		var d Decision
		err := row.Scan(&d.ID, &d.Namespace, &d.Queue, &d.ItemID, &d.Action, &d.Actor, &d.From, &d.To, &d.PayloadEdited, &d.At)
		d.At = d.At.UTC()
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("list decisions: %w", err)
	}
	return decisions, nil
}

// DecisionNamespaces are the namespaces that have decisions, for retention.
func (s *Store) DecisionNamespaces(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT namespace FROM work_item_decisions ORDER BY namespace`)
	if err != nil {
		return nil, fmt.Errorf("list namespaces with decisions: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list namespaces with decisions: %w", err)
	}
	return names, nil
}

// DeleteDecisionsBefore deletes the namespace's decisions made before the
// time: the run records' retention.
func (s *Store) DeleteDecisionsBefore(ctx context.Context, namespace string, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM work_item_decisions WHERE namespace = $1 AND at < $2`, namespace, before)
	if err != nil {
		return 0, fmt.Errorf("delete decisions of %s: %w", namespace, err)
	}
	return tag.RowsAffected(), nil
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
