// Package store keeps work items in PostgreSQL. Every change is one
// transaction that checks the change against package workqueue's rules,
// writes the item and appends to its history; taking an item locks it with
// FOR UPDATE SKIP LOCKED, so two robots never hold one item. The schema is
// migrated at Open, under an advisory lock, from the embedded migrations.
package store

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"k8s.io/utils/clock"

	"github.com/rpa-operator/rpa-operator/internal/pgmigrate"
	"github.com/rpa-operator/rpa-operator/internal/workqueue"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Errors a caller maps to what it tells a person or a robot.
var (
	// ErrNotFound means no item with that id exists in that namespace.
	ErrNotFound = errors.New("work item not found")
	// ErrNotHolder means the caller reports an outcome for an item another
	// pod holds, or none.
	ErrNotHolder = errors.New("the item is not held by this pod")
	// ErrHeld means a person asked to erase an item a robot holds.
	ErrHeld = errors.New("the item is held by a robot")
)

// Store is the work items of every queue.
type Store struct {
	pool         *pgxpool.Pool
	clock        clock.PassiveClock
	referenceKey []byte
}

// Options configure a Store.
type Options struct {
	// Clock stamps every change; tests inject one.
	Clock clock.PassiveClock
	// ReferenceKey keys the hashes that unique references leave behind
	// (workqueue.ReferenceHash). At least 32 bytes; changing it lets
	// references of deleted items be added again.
	ReferenceKey []byte
}

// MinReferenceKeyBytes is the shortest ReferenceKey Open accepts.
const MinReferenceKeyBytes = 32

// Open connects to PostgreSQL at url, applies the schema migrations (one
// server at a time, under an advisory lock) and returns the Store.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	if len(opts.ReferenceKey) < MinReferenceKeyBytes {
		return nil, fmt.Errorf("the reference key has %d bytes; it needs at least %d", len(opts.ReferenceKey), MinReferenceKeyBytes)
	}
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	if err := pgmigrate.Up(ctx, pool, migrations, "migrations", "", "work-item"); err != nil {
		pool.Close()
		return nil, err
	}
	return &Store{pool: pool, clock: opts.Clock, referenceKey: opts.ReferenceKey}, nil
}

// Close closes the connections.
func (s *Store) Close() { s.pool.Close() }

// Ping reports whether the database answers: the server is not ready
// while it does not.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// Queue is a work queue and the policy its WorkQueue object sets.
type Queue struct {
	Namespace, Name string
	// MaxAttempts is how many times an item is taken before a system
	// exception fails it.
	MaxAttempts int
	// UniqueReferences makes adding a reference the queue has seen return
	// the item that has it, even after retention deleted that item.
	UniqueReferences bool
}

// Holder is the robot pod holding an item, and its run.
type Holder struct {
	Run, Pod, PodUID string
}

// Item is a work item as stored.
type Item struct {
	ID               int64
	Namespace, Queue string
	Reference        string
	Priority         int32
	Payload, Output  json.RawMessage
	State            workqueue.State
	Attempts         int
	Reason           string
	DeferUntil       *time.Time
	Deadline         *time.Time
	CreatedBy        string
	// Holder is set while the item is InProgress.
	Holder               *Holder
	CreatedAt, UpdatedAt time.Time
	FinishedAt           *time.Time
}

// HistoryEntry is one change of an item.
type HistoryEntry struct {
	At         time.Time
	Actor, Run string
	Action     workqueue.Action
	From, To   workqueue.State
	Attempt    int
	Detail     string
}

// itemColumns are the columns scanItem reads, in its order.
const itemColumns = `id, namespace, queue, reference, priority, payload, output, state, attempts, reason,
	defer_until, deadline, created_by, held_by_run, held_by_pod, held_by_pod_uid, created_at, updated_at, finished_at`

func scanItem(row pgx.Row) (*Item, error) {
	var it Item
	var holder Holder
	var output []byte
	err := row.Scan(&it.ID, &it.Namespace, &it.Queue, &it.Reference, &it.Priority, &it.Payload, &output, &it.State,
		&it.Attempts, &it.Reason, &it.DeferUntil, &it.Deadline, &it.CreatedBy, &holder.Run, &holder.Pod, &holder.PodUID,
		&it.CreatedAt, &it.UpdatedAt, &it.FinishedAt)
	if err != nil {
		return nil, err
	}
	if output != nil {
		it.Output = output
	}
	if holder.PodUID != "" {
		it.Holder = &holder
	}
	return &it, nil
}

// inTx runs f in a transaction, committed when f returns nil.
func (s *Store) inTx(ctx context.Context, f func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, f)
}

// record appends a change to the item's history.
func record(ctx context.Context, tx pgx.Tx, it *Item, at time.Time, actor, run string, action workqueue.Action,
	from workqueue.State, detail string) error {
	_, err := tx.Exec(ctx, `INSERT INTO work_item_history (item_id, at, actor, run, action, from_state, to_state, attempt, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		it.ID, at, actor, run, string(action), string(from), string(it.State), it.Attempts, detail)
	if err != nil {
		return fmt.Errorf("record %s of item %d: %w", action, it.ID, err)
	}
	return nil
}

// now is the store's clock, at the microsecond PostgreSQL keeps.
func (s *Store) now() time.Time { return s.clock.Now().UTC().Truncate(time.Microsecond) }

// sqlNullable turns an optional document into what pgx writes as NULL.
func sqlNullable(doc json.RawMessage) any {
	if doc == nil {
		return nil
	}
	return []byte(doc)
}
