package controllers

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/log"

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
// schedule no longer runs that time: the robot or schedule is suspended,
// the schedule is gone or edited so that the time is not one of its own, a
// later time of the schedule has come (the operator was down past the
// time, and only the most recent time runs), or the time is past the
// robot's starting deadline. These are the times the robot controller
// counts missed or never plans; it also withdraws such runs itself, before
// their time and with calendars, and this covers a change that reached the
// cache only at the instant, or a restart after an outage. It reports
// whether the run was withdrawn.
func (r *RobotRunReconciler) withdrawIfUnwanted(ctx context.Context, run *rpav1alpha1.RobotRun, robot *rpav1alpha1.Robot) (bool, error) {
	if robot == nil || !createdAheadAndWaiting(run) {
		return false, nil
	}
	why := unwantedBecause(robot, run, r.Clock.Now())
	if why == "" {
		return false, nil
	}
	if err := deleteRunExactly(ctx, r.Client, run); err != nil {
		return false, err
	}
	r.Recorder.Eventf(robot, run, corev1.EventTypeNormal, rpav1alpha1.ReasonWithdrawnRun, "Schedule",
		"run %s, created ahead of its time, was withdrawn at that time: %s", run.Name, why)
	log.FromContext(ctx).Info("scheduled run withdrawn at its time", "why", why)
	return true, nil
}

// unwantedBecause says why the robot's schedules no longer run a scheduled
// run's time at now, or "" when they still do.
func unwantedBecause(robot *rpav1alpha1.Robot, run *rpav1alpha1.RobotRun, now time.Time) string {
	if robot.Spec.Suspend {
		return "the robot is suspended"
	}
	at := run.Spec.Trigger.ScheduledTime.Time
	if d := robot.Spec.StartingDeadlineSeconds; d != nil && now.Sub(at) > time.Duration(*d)*time.Second {
		return fmt.Sprintf("the time is past the robot's starting deadline (%ds)", *d)
	}
	for _, sched := range robot.Spec.Schedules {
		if sched.Name != run.Spec.Trigger.Schedule {
			continue
		}
		if sched.Suspend {
			return "its schedule is suspended"
		}
		if sched.Calendar != "" {
			// A calendar may move a time off the cron's; the robot
			// controller, which reads the calendar, judges those.
			return ""
		}
		return unwantedTime(sched, at, now)
	}
	return "its schedule was removed"
}

// unwantedTime says why a schedule without a calendar does not run at
// now the time at: not one of its times, or not its most recent.
func unwantedTime(sched rpav1alpha1.Schedule, at, now time.Time) string {
	parsed, err := schedule.Parse(sched.Cron, sched.TimeZone)
	if err != nil || !parsed.Next(at.Add(-time.Nanosecond)).Equal(at) {
		return "its schedule was edited and no longer has that time"
	}
	if later := parsed.Next(at); !later.After(now) {
		return fmt.Sprintf("a later time of its schedule (%s) has come; after an outage only the most recent time runs",
			later.UTC().Format(time.RFC3339))
	}
	return ""
}
