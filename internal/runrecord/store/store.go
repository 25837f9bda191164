// Package store keeps run records in PostgreSQL: what each finished
// RobotRun was, who asked for it, with which image and account, how it
// ended, kept after the run itself is pruned (docs/design/run-records.md).
// It shares rpa-server's database with the work items, in tables and a
// migration history of its own.
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
)

//go:embed migrations/*.sql
var migrations embed.FS

// versionTable is goose's record of this package's migrations, apart from
// the work items'.
const versionTable = "goose_run_records_version"

// ErrNotFound means no record of that run exists in that namespace.
var ErrNotFound = errors.New("run record not found")

// Store is the run records of every namespace.
type Store struct {
	pool  *pgxpool.Pool
	clock clock.PassiveClock
}

// Open connects to PostgreSQL at url, applies the migrations (one server
// at a time, under an advisory lock) and returns the Store.
func Open(ctx context.Context, url string, clk clock.PassiveClock) (*Store, error) {
	if clk == nil {
		clk = clock.RealClock{}
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	if err := pgmigrate.Up(ctx, pool, migrations, "migrations", versionTable, "run-record"); err != nil {
		pool.Close()
		return nil, err
	}
	return &Store{pool: pool, clock: clk}, nil
}

// Close closes the connections.
func (s *Store) Close() { s.pool.Close() }

// Record is a finished run as recorded. It holds names and identities,
// never a Secret's value: credentials are the Secrets' names and the
// account's declared user name.
type Record struct {
	UID              string
	Namespace, Robot string
	Run              string
	Trigger          Trigger
	RequestedBy      string
	CancelledBy      string
	Arguments        map[string]string
	Image, ImageID   string
	Credentials      []Credential
	Systems          []string
	CreatedAt        time.Time
	StartedAt        *time.Time
	FinishedAt       time.Time
	Phase, Reason    string
	Message          string
	Attempts         int
	ExitCode         *int32
	Result           json.RawMessage
	// WorkItems are the ids of the work items the run took or added.
	WorkItems  []int64
	RecordedAt time.Time
}

// Trigger is what started the run.
type Trigger struct {
	Type          string     `json:"type"`
	Schedule      string     `json:"schedule,omitempty"`
	ScheduledTime *time.Time `json:"scheduledTime,omitempty"`
	Queue         string     `json:"queue,omitempty"`
}

// Credential is a credential the run was given: the Secret's name and the
// account it declares, never its data.
type Credential struct {
	Name       string `json:"name"`
	SecretName string `json:"secretName"`
	Account    string `json:"account,omitempty"`
}

// Add records a finished run. A run is recorded once: adding a record of
// a UID already recorded (a second replica, a restart) changes nothing
// and reports added false.
func (s *Store) Add(ctx context.Context, r Record) (added bool, err error) {
	if err := check(r); err != nil {
		return false, err
	}
	encoded, err := encodeJSON(r)
	if err != nil {
		return false, err
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO run_records (uid, namespace, robot, run, trigger, requested_by, cancelled_by,
			arguments, image, image_id, credentials, systems, created_at, started_at, finished_at, phase, reason, message,
			attempts, exit_code, result, work_items, recorded_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)
		ON CONFLICT (uid) DO NOTHING`,
		r.UID, r.Namespace, r.Robot, r.Run, encoded.trigger, r.RequestedBy, r.CancelledBy, encoded.arguments, r.Image, r.ImageID,
		encoded.credentials, encoded.systems, r.CreatedAt, r.StartedAt, r.FinishedAt, r.Phase, r.Reason, r.Message,
		r.Attempts, r.ExitCode, nullJSON(r.Result), workItemIDs(r.WorkItems), s.clock.Now())
	if err != nil {
		return false, fmt.Errorf("record run %s/%s: %w", r.Namespace, r.Run, err)
	}
	return tag.RowsAffected() == 1, nil
}

func check(r Record) error {
	switch {
	case r.UID == "" || r.Namespace == "" || r.Robot == "" || r.Run == "":
		return errors.New("a run record needs the run's UID, namespace, robot and name")
	case r.Phase == "" || r.FinishedAt.IsZero():
		return fmt.Errorf("run %s/%s has not finished: only finished runs are recorded", r.Namespace, r.Run)
	case len(r.Result) > 0 && !json.Valid(r.Result):
		return fmt.Errorf("run %s/%s: the result is not JSON", r.Namespace, r.Run)
	}
	return nil
}

type encodedRecord struct{ trigger, arguments, credentials, systems []byte }

func encodeJSON(r Record) (encodedRecord, error) {
	var e encodedRecord
	var err error
	args := r.Arguments
	if args == nil {
		args = map[string]string{}
	}
	creds, systems := r.Credentials, r.Systems
	if creds == nil {
		creds = []Credential{}
	}
	if systems == nil {
		systems = []string{}
	}
	for _, f := range []struct {
		into *[]byte
		v    any
	}{{&e.trigger, r.Trigger}, {&e.arguments, args}, {&e.credentials, creds}, {&e.systems, systems}} {
		if *f.into, err = json.Marshal(f.v); err != nil {
			return e, fmt.Errorf("encode run record: %w", err)
		}
	}
	return e, nil
}

func workItemIDs(ids []int64) []int64 {
	if ids == nil {
		return []int64{}
	}
	return ids
}

func nullJSON(raw json.RawMessage) any {
	if len(raw) == 0 {
		return nil
	}
	return []byte(raw)
}

const recordColumns = `uid, namespace, robot, run, trigger, requested_by, cancelled_by, arguments, image, image_id,
	credentials, systems, created_at, started_at, finished_at, phase, reason, message, attempts, exit_code, result, work_items,
	recorded_at`

func scanRecord(row pgx.Row) (Record, error) {
	var r Record
	var trigger, args, creds, systems, result []byte
	err := row.Scan(&r.UID, &r.Namespace, &r.Robot, &r.Run, &trigger, &r.RequestedBy, &r.CancelledBy, &args, &r.Image, &r.ImageID,
		&creds, &systems, &r.CreatedAt, &r.StartedAt, &r.FinishedAt, &r.Phase, &r.Reason, &r.Message, &r.Attempts, &r.ExitCode,
		&result, &r.WorkItems, &r.RecordedAt)
	if err != nil {
		return r, err
	}
	for _, f := range []struct {
		from []byte
		into any
	}{{trigger, &r.Trigger}, {args, &r.Arguments}, {creds, &r.Credentials}, {systems, &r.Systems}} {
		if err := json.Unmarshal(f.from, f.into); err != nil {
			return r, fmt.Errorf("decode run record %s: %w", r.UID, err)
		}
	}
	if len(result) > 0 {
		r.Result = json.RawMessage(result)
	}
	if len(r.WorkItems) == 0 {
		r.WorkItems = nil
	}
	return r, nil
}

// Get returns the record of the run with that UID in the namespace.
func (s *Store) Get(ctx context.Context, namespace, uid string) (Record, error) {
	r, err := scanRecord(s.pool.QueryRow(ctx, `SELECT `+recordColumns+` FROM run_records WHERE uid = $1 AND namespace = $2`, uid, namespace))
	if errors.Is(err, pgx.ErrNoRows) {
		return Record{}, ErrNotFound
	}
	return r, err
}

// Latest returns the newest record of a run by its name: names come back
// (a run deleted and created again), UIDs do not.
func (s *Store) Latest(ctx context.Context, namespace, run string) (Record, error) {
	r, err := scanRecord(s.pool.QueryRow(ctx, `SELECT `+recordColumns+` FROM run_records
		WHERE namespace = $1 AND run = $2 ORDER BY finished_at DESC, uid DESC LIMIT 1`, namespace, run))
	if errors.Is(err, pgx.ErrNoRows) {
		return Record{}, ErrNotFound
	}
	return r, err
}

// ListOptions select records of a namespace.
type ListOptions struct {
	Namespace string
	// Robot and Phase narrow the list when set; FinishedFrom and
	// FinishedBefore bound when the runs finished (a month's report).
	Robot, Phase                 string
	FinishedFrom, FinishedBefore time.Time
	// Limit bounds a page (at most MaxListLimit); After continues after
	// the record with that finish time and UID (the previous page's last).
	Limit int
	After *Cursor
}

// Cursor is where a page ended.
type Cursor struct {
	FinishedAt time.Time
	UID        string
}

// MaxListLimit is the most records one List returns.
const MaxListLimit = 1000

// List returns the records selected, newest finish first.
func (s *Store) List(ctx context.Context, o ListOptions) ([]Record, error) {
	if o.Namespace == "" {
		return nil, errors.New("list run records: a namespace is required")
	}
	limit := o.Limit
	if limit <= 0 || limit > MaxListLimit {
		limit = MaxListLimit
	}
	var afterTime *time.Time
	afterUID := ""
	if o.After != nil {
		afterTime, afterUID = &o.After.FinishedAt, o.After.UID
	}
	rows, err := s.pool.Query(ctx, `SELECT `+recordColumns+` FROM run_records
		WHERE namespace = $1 AND ($2 = '' OR robot = $2) AND ($3 = '' OR phase = $3)
			AND ($4::timestamptz IS NULL OR finished_at >= $4) AND ($5::timestamptz IS NULL OR finished_at < $5)
			AND ($6::timestamptz IS NULL OR (finished_at, uid) < ($6, $7))
		ORDER BY finished_at DESC, uid DESC LIMIT $8`,
		o.Namespace, o.Robot, o.Phase, timeOrNil(o.FinishedFrom), timeOrNil(o.FinishedBefore), afterTime, afterUID, limit)
	if err != nil {
		return nil, fmt.Errorf("list run records: %w", err)
	}
	records, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Record, error) { return scanRecord(row) })
	if err != nil {
		return nil, fmt.Errorf("list run records: %w", err)
	}
	return records, nil
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// DeleteFinishedBefore deletes the namespace's records of runs finished
// before the time, with their logs, and its robot changes seen before
// then: retention. It returns how many run records went.
func (s *Store) DeleteFinishedBefore(ctx context.Context, namespace string, before time.Time) (int64, error) {
	var deleted int64
	err := s.pool.QueryRow(ctx, `WITH gone AS (
			DELETE FROM run_records WHERE namespace = $1 AND finished_at < $2 RETURNING uid
		), logs AS (
			DELETE FROM run_record_logs WHERE run_uid IN (SELECT uid FROM gone)
		), changes AS (
			DELETE FROM robot_changes WHERE namespace = $1 AND observed_at < $2
		)
		SELECT count(*) FROM gone`, namespace, before).Scan(&deleted)
	if err != nil {
		return 0, fmt.Errorf("delete run records of %s: %w", namespace, err)
	}
	return deleted, nil
}

// Namespaces are the namespaces that have records, for retention.
func (s *Store) Namespaces(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT namespace FROM run_records UNION SELECT namespace FROM robot_changes ORDER BY namespace`)
	if err != nil {
		return nil, fmt.Errorf("list namespaces with run records: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list namespaces with run records: %w", err)
	}
	return names, nil
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }
