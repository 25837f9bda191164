package v1alpha1

import "time"

// OrderTime is when a run joined its robot's queue: its creation, or for a
// scheduled run created before its time, that time. Queue order, slot
// order and the robot's last run follow it, so a run created ahead takes
// the place it would have had if created at its time.
func (r *RobotRun) OrderTime() time.Time {
	created := r.CreationTimestamp.Time
	if at := r.Spec.Trigger.ScheduledTime; at != nil && at.After(created) {
		return at.Time
	}
	return created
}

// CreatedAfter orders runs by OrderTime; the name breaks ties of runs
// created in the same second.
func (r *RobotRun) CreatedAfter(other *RobotRun) bool {
	a, b := r.OrderTime(), other.OrderTime()
	if !a.Equal(b) {
		return b.Before(a)
	}
	return r.Name > other.Name
}

// FinishedAfter orders runs newest first by completion, then creation.
func (r *RobotRun) FinishedAfter(other *RobotRun) bool {
	a, b := r.Status.CompletionTime, other.Status.CompletionTime
	if a != nil && b != nil && !a.Equal(b) {
		return b.Before(a)
	}
	return r.CreatedAfter(other)
}

// Untouched reports whether the run controller has not acted on the run
// yet: no status, no Job.
func (r *RobotRun) Untouched() bool {
	return r.Status.Phase == "" && r.Status.JobName == ""
}

// NotYetDue reports whether the run is a scheduled run whose time has not
// come. Such a run counts nowhere yet (not active, not the robot's last
// run), so creating it ahead changes nothing anyone reads until its time.
func (r *RobotRun) NotYetDue(now time.Time) bool {
	at := r.Spec.Trigger.ScheduledTime
	return at != nil && r.Untouched() && at.After(now)
}

// CreatedAheadAndWaiting reports whether the run was created ahead of its
// time and the run controller has not acted on it yet.
func (r *RobotRun) CreatedAheadAndWaiting() bool {
	return r.Annotations[AnnotationCreatedAhead] != "" && r.Spec.Trigger.ScheduledTime != nil &&
		r.Untouched() && r.DeletionTimestamp == nil
}

// EffectivePriority is the run's own priority, or else its robot's.
func (r *RobotRun) EffectivePriority(robot *Robot) int32 {
	if r.Spec.Priority != nil {
		return *r.Spec.Priority
	}
	return robot.Spec.Priority
}

// HolderIndex is the index of the run with that UID among the
// TargetSystem's holders, or -1.
func (s *TargetSystemStatus) HolderIndex(uid string) int {
	for i := range s.Holders {
		if s.Holders[i].UID == uid {
			return i
		}
	}
	return -1
}
