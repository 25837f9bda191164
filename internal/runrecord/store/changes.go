package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Actions of a robot change.
const (
	ActionSuspend = "Suspend"
	ActionResume  = "Resume"
)

// RobotChange is a suspension or resumption of a Robot, by whom, and when
// rpa-server saw it.
type RobotChange struct {
	ID               int64
	Namespace, Robot string
	RobotUID         string
	Generation       int64
	Action, Actor    string
	ObservedAt       time.Time
}

// NoteRobotState records a change when the Robot's state (suspended or
// not, and who made it so) differs from the last one recorded of it: a
// Robot never suspended has none; one seen again in the same state by
// the same actor adds nothing, so restarts and replicas record a change
// once.
func (s *Store) NoteRobotState(ctx context.Context, c RobotChange) (added bool, err error) {
	if c.RobotUID == "" || c.Namespace == "" || c.Robot == "" || (c.Action != ActionSuspend && c.Action != ActionResume) {
		return false, errors.New("a robot change needs the robot's namespace, name and UID, and Suspend or Resume")
	}
	var lastAction, lastActor string
	err = s.pool.QueryRow(ctx, `SELECT action, actor FROM robot_changes WHERE robot_uid = $1 ORDER BY id DESC LIMIT 1`, c.RobotUID).
		Scan(&lastAction, &lastActor)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		if c.Action == ActionResume {
			return false, nil // never suspended, as far as anyone saw
		}
	case err != nil:
		return false, fmt.Errorf("read the changes of robot %s/%s: %w", c.Namespace, c.Robot, err)
	case lastAction == c.Action && lastActor == c.Actor:
		return false, nil
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO robot_changes (namespace, robot, robot_uid, generation, action, actor, observed_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (robot_uid, generation, action) DO NOTHING`,
		c.Namespace, c.Robot, c.RobotUID, c.Generation, c.Action, c.Actor, s.clock.Now())
	if err != nil {
		return false, fmt.Errorf("record a change of robot %s/%s: %w", c.Namespace, c.Robot, err)
	}
	return tag.RowsAffected() == 1, nil
}

// ChangeListOptions select a namespace's robot changes.
type ChangeListOptions struct {
	Namespace string
	// Robot narrows to one robot; From and Before bound when they were seen.
	Robot        string
	From, Before time.Time
	// Limit bounds a page (at most MaxListLimit); AfterID continues after
	// the previous page's last.
	Limit   int
	AfterID int64
}

// RobotChanges lists the namespace's robot changes, oldest first.
func (s *Store) RobotChanges(ctx context.Context, o ChangeListOptions) ([]RobotChange, error) {
	if o.Namespace == "" {
		return nil, errors.New("list robot changes: a namespace is required")
	}
	limit := o.Limit
	if limit <= 0 || limit > MaxListLimit {
		limit = MaxListLimit
	}
	rows, err := s.pool.Query(ctx, `SELECT id, namespace, robot, robot_uid, generation, action, actor, observed_at FROM robot_changes
		WHERE namespace = $1 AND ($2 = '' OR robot = $2) AND ($3::timestamptz IS NULL OR observed_at >= $3)
			AND ($4::timestamptz IS NULL OR observed_at < $4) AND id > $5
		ORDER BY id LIMIT $6`, o.Namespace, o.Robot, timeOrNil(o.From), timeOrNil(o.Before), o.AfterID, limit)
	if err != nil {
		return nil, fmt.Errorf("list robot changes: %w", err)
	}
	changes, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (RobotChange, error) {
		var c RobotChange
		err := row.Scan(&c.ID, &c.Namespace, &c.Robot, &c.RobotUID, &c.Generation, &c.Action, &c.Actor, &c.ObservedAt)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("list robot changes: %w", err)
	}
	return changes, nil
}
