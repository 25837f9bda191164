package controllers

import (
	"context"
	"time"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/schedule"
)

// +kubebuilder:rbac:groups=rpa.dev,resources=robotruns,verbs=delete

// untilDue is how long a scheduled run created ahead of its time still
// waits for it; zero once the time has come. Until then the run controller
// leaves it alone: no status write, no Job.
func untilDue(run *rpav1alpha1.RobotRun, now time.Time) time.Duration {
	if !notYetDue(run, now) {
		return 0
	}
	return run.Spec.Trigger.ScheduledTime.Sub(now)
}

// withdrawIfUnwanted deletes a run created ahead of its time when, at the
// run controller's first look at it once that time has come, the robot's
// schedule no longer has that time: the robot or schedule is suspended, or
// the schedule is gone or edited so that the time is not one of its own.
// The robot controller withdraws such runs before their time (calendars
// included); this covers a change that reached the cache only at the
// instant. A run that is merely late (the operator was down or behind) is
// not withdrawn: like a run created at its time, it starts late. It
// reports whether the run was withdrawn.
func (r *RobotRunReconciler) withdrawIfUnwanted(ctx context.Context, run *rpav1alpha1.RobotRun, robot *rpav1alpha1.Robot) (bool, error) {
	if robot == nil || !createdAheadAndWaiting(run) {
		return false, nil
	}
	why := unwantedBecause(robot, run)
	if why == "" {
		return false, nil
	}
	if err := withdrawRun(ctx, r.Client, r.Recorder, robot, run, why); err != nil {
		return false, err
	}
	return true, nil
}

// unwantedBecause says why the robot's schedules no longer have a
// scheduled run's time, or "" when they still do.
func unwantedBecause(robot *rpav1alpha1.Robot, run *rpav1alpha1.RobotRun) string {
	if robot.Spec.Suspend {
		return "the robot is suspended"
	}
	at := run.Spec.Trigger.ScheduledTime.Time
	for _, sched := range robot.Spec.Schedules {
		if sched.Name != run.Spec.Trigger.Schedule {
			continue
		}
		switch {
		case sched.Suspend:
			return "its schedule is suspended"
		case sched.Calendar != "":
			// A calendar may move a time off the cron's; the robot
			// controller, which reads the calendar, judges those.
			return ""
		}
		parsed, err := schedule.Parse(sched.Cron, sched.TimeZone)
		if err != nil || !parsed.Next(at.Add(-time.Nanosecond)).Equal(at) {
			return "its schedule was edited and no longer has that time"
		}
		return ""
	}
	return "its schedule was removed"
}
