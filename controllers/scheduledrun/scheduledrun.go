// Package scheduledrun is what the Robot and RobotRun controllers both need
// to know about the runs a schedule creates: their deterministic names,
// their shape, and when one created ahead of its time is no longer wanted
// and is withdrawn (docs/schedules.md).
package scheduledrun

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
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

// Name is the name of the run a schedule creates for a time: robot,
// schedule, the time in UTC to the minute (so that the two 02:30s of a
// fall-back night differ) and a short hash of robot and schedule, so that
// robot "a" with schedule "b-c" and robot "a-b" with schedule "c" never
// share a name. A second attempt finds the run by its name.
func Name(robot, sched string, at time.Time) string {
	sum := sha256.Sum256([]byte(robot + "/" + sched))
	return fmt.Sprintf("%s-%s-%s-%s", robot, sched, at.UTC().Format("200601021504"), hex.EncodeToString(sum[:4]))
}

// Of returns the robot's run for the schedule's time among runs, or nil: a
// run the robot controls whose trigger is that schedule and time, whatever
// its name (runs created before names carried the hash count too).
func Of(runs []rpav1alpha1.RobotRun, robot *rpav1alpha1.Robot, sched string, at time.Time) *rpav1alpha1.RobotRun {
	for i := range runs {
		if Is(&runs[i], robot, sched, at) {
			return &runs[i]
		}
	}
	return nil
}

// Is reports whether run is the robot's scheduled run for sched at at.
func Is(run *rpav1alpha1.RobotRun, robot *rpav1alpha1.Robot, sched string, at time.Time) bool {
	t := run.Spec.Trigger
	return t.Type == rpav1alpha1.TriggerSchedule && t.Schedule == sched && t.ScheduledTime != nil &&
		t.ScheduledTime.Equal(&metav1.Time{Time: at}) && run.Spec.RobotName == robot.Name && metav1.IsControlledBy(run, robot)
}

// New is the run a schedule creates for a time; ahead marks it created
// before that time.
func New(robot *rpav1alpha1.Robot, sched rpav1alpha1.Schedule, at time.Time, ahead bool) *rpav1alpha1.RobotRun {
	run := &rpav1alpha1.RobotRun{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: robot.Namespace,
			Name:      Name(robot.Name, sched.Name, at),
			Labels: map[string]string{
				rpav1alpha1.LabelRobot:    robot.Name,
				rpav1alpha1.LabelSchedule: sched.Name,
			},
		},
		Spec: rpav1alpha1.RobotRunSpec{
			RobotName: robot.Name,
			Arguments: sched.Arguments,
			Trigger: rpav1alpha1.Trigger{
				Type:          rpav1alpha1.TriggerSchedule,
				Schedule:      sched.Name,
				ScheduledTime: &metav1.Time{Time: at},
			},
		},
	}
	if ahead {
		run.Annotations = map[string]string{rpav1alpha1.AnnotationCreatedAhead: "true"}
	}
	return run
}

// UnwantedBecause says why the robot's schedules no longer have a
// scheduled run's time, or "" when they still do. A schedule with a
// calendar is judged by the Robot controller, which reads the calendar.
func UnwantedBecause(robot *rpav1alpha1.Robot, run *rpav1alpha1.RobotRun) string {
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

// Withdraw deletes a run created ahead, this very one (by UID), and says
// why in an Event on the robot. The Robot controller withdraws before the
// run's time, the RobotRun controller at it.
func Withdraw(ctx context.Context, c client.Writer, recorder events.EventRecorder, robot *rpav1alpha1.Robot,
	run *rpav1alpha1.RobotRun, why string) error {
	target := &rpav1alpha1.RobotRun{ObjectMeta: metav1.ObjectMeta{Namespace: run.Namespace, Name: run.Name}}
	err := c.Delete(ctx, target, client.Preconditions{UID: &run.UID})
	switch {
	case apierrors.IsNotFound(err) || apierrors.IsConflict(err):
		return nil // gone already, or replaced by a newer run of the name
	case err != nil:
		return fmt.Errorf("withdraw run %s: %w", run.Name, err)
	}
	sched := rpav1alpha1.Schedule{Name: run.Spec.Trigger.Schedule, TimeZone: timeZoneOf(robot, run.Spec.Trigger.Schedule)}
	recorder.Eventf(robot, run, corev1.EventTypeNormal, rpav1alpha1.ReasonWithdrawnRun, "Schedule",
		"run %s for %s, created ahead of its time, was withdrawn: %s", run.Name,
		LocalTime(run.Spec.Trigger.ScheduledTime.Time, sched), why)
	log.FromContext(ctx).Info("scheduled run withdrawn", "run", run.Name, "why", why)
	return nil
}

// timeZoneOf is the time zone of the robot's schedule of that name, or
// UTC when the schedule is gone.
func timeZoneOf(robot *rpav1alpha1.Robot, name string) string {
	for _, s := range robot.Spec.Schedules {
		if s.Name == name {
			return s.TimeZone
		}
	}
	return "UTC"
}

// LocalTime renders a scheduled time in its schedule's zone, as people
// there read it.
func LocalTime(t time.Time, sched rpav1alpha1.Schedule) string {
	loc, err := time.LoadLocation(sched.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	return t.In(loc).Format("2006-01-02 15:04 MST")
}
