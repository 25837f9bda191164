package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// MaxLogBytesPerRun bounds the logs kept of one run, every attempt
// together: a robot that loops printing cannot fill the database.
const MaxLogBytesPerRun = 1 << 20

// Log is one attempt's container log, as the kubelet gave it.
type Log struct {
	RunUID, Namespace string
	// Pod is the attempt's pod; Attempt counts from 1 in pod creation order.
	Pod     string
	Attempt int
	Content []byte
	// Truncated means the log went on past what was kept.
	Truncated bool
	// Complete means the container had ended when the log was fetched: a
	// later fetch cannot add to it.
	Complete bool
	// Note says why there is no log or only part of one (the pod was gone,
	// the kubelet did not answer).
	Note      string
	FetchedAt time.Time
}

// PutLog keeps an attempt's log. A later fetch of a pod replaces an
// earlier one (it saw more of the log) unless the earlier was complete:
// then nothing changes, so the replicas and restarts that fetch the same
// ended attempt again keep the first.
func (s *Store) PutLog(ctx context.Context, l Log) error {
	if l.RunUID == "" || l.Namespace == "" || l.Pod == "" {
		return errors.New("a run's log needs the run's UID, namespace and pod")
	}
	if len(l.Content) > MaxLogBytesPerRun {
		return fmt.Errorf("the log of pod %s is %d bytes, more than the %d kept per run", l.Pod, len(l.Content), MaxLogBytesPerRun)
	}
	content := l.Content
	if content == nil {
		content = []byte{}
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO run_record_logs (run_uid, namespace, pod, attempt, content, truncated, complete, note, fetched_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (run_uid, pod) DO UPDATE SET attempt = EXCLUDED.attempt, content = EXCLUDED.content,
			truncated = EXCLUDED.truncated, complete = EXCLUDED.complete, note = EXCLUDED.note, fetched_at = EXCLUDED.fetched_at
		WHERE NOT run_record_logs.complete`,
		l.RunUID, l.Namespace, l.Pod, l.Attempt, content, l.Truncated, l.Complete, l.Note, s.clock.Now())
	if err != nil {
		return fmt.Errorf("keep the log of pod %s/%s: %w", l.Namespace, l.Pod, err)
	}
	return nil
}

// Logs returns the run's logs, by attempt.
func (s *Store) Logs(ctx context.Context, namespace, runUID string) ([]Log, error) {
	rows, err := s.pool.Query(ctx, `SELECT run_uid, namespace, pod, attempt, content, truncated, complete, note, fetched_at
		FROM run_record_logs WHERE run_uid = $1 AND namespace = $2 ORDER BY attempt, pod`, runUID, namespace)
	if err != nil {
		return nil, fmt.Errorf("read the logs of run %s: %w", runUID, err)
	}
	logs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Log, error) {
		var l Log
		err := row.Scan(&l.RunUID, &l.Namespace, &l.Pod, &l.Attempt, &l.Content, &l.Truncated, &l.Complete, &l.Note, &l.FetchedAt)
		return l, err
	})
	if err != nil {
		return nil, fmt.Errorf("read the logs of run %s: %w", runUID, err)
	}
	return logs, nil
}
