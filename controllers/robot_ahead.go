package controllers

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/schedule"
)

// AnnotationCreatedAhead marks a scheduled run created before its time
// (--schedule-lead, docs/schedules.md). Until its time comes and the run
// controller first acts on it, such a run is withdrawn (deleted) when its
// schedule no longer has that time.
const AnnotationCreatedAhead = "rpa.dev/created-ahead"

// notYetDue reports whether run is a scheduled run whose time has not come.
// It waits untouched: no Job, no status, and it counts nowhere yet (not an
// active run, not the robot's last run), so that creating it ahead of its
// time changes nothing anyone reads until that time.
func notYetDue(run *rpav1alpha1.RobotRun, now time.Time) bool {
	at := run.Spec.Trigger.ScheduledTime
	return at != nil && untouched(run) && at.After(now)
}

// untouched reports whether the run controller has not acted on run yet:
// no status, no Job.
func untouched(run *rpav1alpha1.RobotRun) bool {
	return run.Status.Phase == "" && run.Status.JobName == ""
}

// orderTime is when a run joined its robot's queue: its creation, or for a
// scheduled run created before its time, that time. Queue order, slot
// order and the robot's last run follow it, so a run created ahead takes
// the place it would have had if created at its time.
func orderTime(run *rpav1alpha1.RobotRun) time.Time {
	created := run.CreationTimestamp.Time
	if at := run.Spec.Trigger.ScheduledTime; at != nil && at.After(created) {
		return at.Time
	}
	return created
}

// createAhead creates the run for a schedule's next time before that time
// (plan.Ahead), under the name the time gives it, so that when the time
// comes the schedule finds its run instead of creating one, and the run
// controller only has to create the Job: half the writes of a scheduled
// run move out of the busy instant (docs/benchmarks.md). (Forbid robots
// plan no time ahead: leadFor.)
func (r *RobotReconciler) createAhead(ctx context.Context, robot *rpav1alpha1.Robot, sched rpav1alpha1.Schedule,
	at time.Time, runs []rpav1alpha1.RobotRun) error {
	name := ScheduledRunName(robot.Name, sched.Name, at)
	if hasRun(runs, name) {
		return nil
	}
	created, err := r.createScheduledRun(ctx, robot, sched, name, at, true)
	if err != nil || created == nil {
		return err
	}
	log.FromContext(ctx).V(1).Info("scheduled run created ahead of its time", "run", name, "schedule", sched.Name, "scheduledTime", at)
	return nil
}

// withdrawUnwanted deletes the robot's runs that were created ahead and
// whose time has not come, when that time is no longer their schedule's
// next: the robot or the schedule was suspended, the schedule was edited,
// removed or made invalid, or its calendar closed the day. plans holds
// each schedule planned in this reconcile. Once its time has come, a run
// created ahead is a run like any other: it is never withdrawn for being
// late (that would delete work already done, and under load add writes).
func (r *RobotReconciler) withdrawUnwanted(ctx context.Context, robot *rpav1alpha1.Robot, runs []rpav1alpha1.RobotRun,
	plans map[string]schedule.Plan, now time.Time) error {
	for i := range runs {
		run := &runs[i]
		if !notYetDue(run, now) || !createdAheadAndWaiting(run) {
			continue
		}
		if plan, ok := plans[run.Spec.Trigger.Schedule]; ok && plan.Next.Equal(run.Spec.Trigger.ScheduledTime.Time) {
			continue
		}
		why := unwantedBecause(robot, run)
		if why == "" {
			// The schedule has the time, but its calendar has closed the day.
			why = "its calendar no longer has that time"
		}
		if err := withdrawRun(ctx, r.Client, r.Recorder, robot, run, why); err != nil {
			return err
		}
	}
	return nil
}

// createdAheadAndWaiting reports whether run was created ahead of its time
// and the run controller has not acted on it yet.
func createdAheadAndWaiting(run *rpav1alpha1.RobotRun) bool {
	return run.Annotations[AnnotationCreatedAhead] != "" && run.Spec.Trigger.ScheduledTime != nil &&
		untouched(run) && run.DeletionTimestamp == nil
}

// runsCreatedFor counts the runs of a schedule for times in [from, to]:
// times the plan would count missed although their run was created (ahead
// of them) and will start, however late.
func runsCreatedFor(runs []rpav1alpha1.RobotRun, sched string, from, to time.Time) int64 {
	var n int64
	for i := range runs {
		trigger := runs[i].Spec.Trigger
		if trigger.ScheduledTime == nil || trigger.Schedule != sched {
			continue
		}
		if at := trigger.ScheduledTime.Time; !at.Before(from) && !at.After(to) {
			n++
		}
	}
	return n
}

// withdrawRun deletes a run created ahead, this very one (by UID), and
// says why in an Event on the robot. Both controllers withdraw: the robot
// controller before the run's time, the run controller at it.
func withdrawRun(ctx context.Context, c client.Writer, recorder events.EventRecorder, robot *rpav1alpha1.Robot,
	run *rpav1alpha1.RobotRun, why string) error {
	target := &rpav1alpha1.RobotRun{ObjectMeta: metav1.ObjectMeta{Namespace: run.Namespace, Name: run.Name}}
	err := c.Delete(ctx, target, client.Preconditions{UID: &run.UID})
	switch {
	case apierrors.IsNotFound(err) || apierrors.IsConflict(err):
		return nil // gone already, or replaced by a newer run of the name
	case err != nil:
		return fmt.Errorf("withdraw run %s: %w", run.Name, err)
	}
	sched := rpav1alpha1.Schedule{Name: run.Spec.Trigger.Schedule, TimeZone: scheduleTimeZone(robot, run.Spec.Trigger.Schedule)}
	recorder.Eventf(robot, run, corev1.EventTypeNormal, rpav1alpha1.ReasonWithdrawnRun, "Schedule",
		"run %s for %s, created ahead of its time, was withdrawn: %s", run.Name,
		localTime(run.Spec.Trigger.ScheduledTime.Time, sched), why)
	log.FromContext(ctx).Info("scheduled run withdrawn", "run", run.Name, "why", why)
	return nil
}

// scheduleTimeZone is the time zone of the robot's schedule of that name,
// or UTC when the schedule is gone.
func scheduleTimeZone(robot *rpav1alpha1.Robot, name string) string {
	for _, s := range robot.Spec.Schedules {
		if s.Name == name {
			return s.TimeZone
		}
	}
	return "UTC"
}
