package controllers

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

func scheduledAt(created, at time.Time, mutate func(*rpav1alpha1.RobotRun)) *rpav1alpha1.RobotRun {
	run := &rpav1alpha1.RobotRun{
		ObjectMeta: metav1.ObjectMeta{Name: "r", CreationTimestamp: metav1.NewTime(created),
			Annotations: map[string]string{AnnotationCreatedAhead: "true"}},
		Spec: rpav1alpha1.RobotRunSpec{Trigger: rpav1alpha1.Trigger{
			Type: rpav1alpha1.TriggerSchedule, Schedule: "morning", ScheduledTime: &metav1.Time{Time: at}}},
	}
	if mutate != nil {
		mutate(run)
	}
	return run
}

func TestNotYetDueAndOrderTime(t *testing.T) {
	at := time.Date(2026, 11, 30, 6, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		run       *rpav1alpha1.RobotRun
		now       time.Time
		wantWait  bool
		wantOrder time.Time
	}{
		{"created ahead, before its time", scheduledAt(at.Add(-20*time.Second), at, nil), at.Add(-time.Second), true, at},
		{"created ahead, at its time", scheduledAt(at.Add(-20*time.Second), at, nil), at, false, at},
		{"created at its time", scheduledAt(at, at, nil), at.Add(time.Second), false, at},
		{"created late: ordered by creation", scheduledAt(at.Add(5*time.Second), at, nil), at.Add(6 * time.Second), false, at.Add(5 * time.Second)},
		{"manual", scheduledAt(at, at, func(r *rpav1alpha1.RobotRun) { r.Spec.Trigger = rpav1alpha1.Trigger{Type: rpav1alpha1.TriggerManual} }),
			at.Add(-time.Hour), false, at},
		{"before its time but already written by the run controller (cannot happen; never skipped)",
			scheduledAt(at.Add(-20*time.Second), at, func(r *rpav1alpha1.RobotRun) { r.Status.Phase = rpav1alpha1.PhasePending }),
			at.Add(-time.Second), false, at},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := notYetDue(tt.run, tt.now); got != tt.wantWait {
				t.Errorf("notYetDue = %v, want %v", got, tt.wantWait)
			}
			if got := orderTime(tt.run); !got.Equal(tt.wantOrder) {
				t.Errorf("orderTime = %v, want %v", got, tt.wantOrder)
			}
			if wait := untilDue(tt.run, tt.now); (wait > 0) != tt.wantWait {
				t.Errorf("untilDue = %v", wait)
			}
		})
	}
}

func TestUnwantedBecause(t *testing.T) {
	at := time.Date(2026, 11, 30, 6, 0, 0, 0, time.UTC) // 07:00 in Copenhagen, a Monday
	run := scheduledAt(at.Add(-20*time.Second), at, nil)
	robotWith := func(mutate func(*rpav1alpha1.Robot)) *rpav1alpha1.Robot {
		robot := &rpav1alpha1.Robot{Spec: rpav1alpha1.RobotSpec{Schedules: []rpav1alpha1.Schedule{
			{Name: "morning", Cron: "0 7 * * 1-5", TimeZone: "Europe/Copenhagen"},
		}}}
		if mutate != nil {
			mutate(robot)
		}
		return robot
	}
	tests := []struct {
		name  string
		robot *rpav1alpha1.Robot
		want  string
	}{
		{"unchanged", robotWith(nil), ""},
		{"robot suspended", robotWith(func(r *rpav1alpha1.Robot) { r.Spec.Suspend = true }), "the robot is suspended"},
		{"schedule suspended", robotWith(func(r *rpav1alpha1.Robot) { r.Spec.Schedules[0].Suspend = true }), "its schedule is suspended"},
		{"edited to another hour", robotWith(func(r *rpav1alpha1.Robot) { r.Spec.Schedules[0].Cron = "0 8 * * 1-5" }),
			"its schedule was edited and no longer has that time"},
		{"edited to another zone", robotWith(func(r *rpav1alpha1.Robot) { r.Spec.Schedules[0].TimeZone = "UTC" }),
			"its schedule was edited and no longer has that time"},
		{"edited, still has the time", robotWith(func(r *rpav1alpha1.Robot) { r.Spec.Schedules[0].Cron = "0 7,12 * * *" }), ""},
		{"edited to an invalid cron", robotWith(func(r *rpav1alpha1.Robot) { r.Spec.Schedules[0].Cron = "0 25 * * *" }),
			"its schedule was edited and no longer has that time"},
		{"calendar: left to the robot controller", robotWith(func(r *rpav1alpha1.Robot) {
			r.Spec.Schedules[0].Cron, r.Spec.Schedules[0].Calendar = "0 8 * * *", "danish-holidays"
		}), ""},
		{"removed", robotWith(func(r *rpav1alpha1.Robot) { r.Spec.Schedules[0].Name = "evening" }), "its schedule was removed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := unwantedBecause(tt.robot, run); got != tt.want {
				t.Errorf("unwantedBecause = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestALateRunCreatedAheadIsNotUnwanted(t *testing.T) {
	at := time.Date(2026, 11, 30, 6, 0, 0, 0, time.UTC)
	run := scheduledAt(at.Add(-20*time.Second), at, nil)
	robot := &rpav1alpha1.Robot{Spec: rpav1alpha1.RobotSpec{
		StartingDeadlineSeconds: ptr.To[int64](60),
		Schedules:               []rpav1alpha1.Schedule{{Name: "morning", Cron: "*/5 * * * *", TimeZone: "UTC"}},
	}}
	// However late the run controller comes to it (later times have come,
	// the starting deadline has passed), the run exists and starts, as a
	// run created at its time would.
	if got := unwantedBecause(robot, run); got != "" {
		t.Errorf("unwantedBecause = %q, want it wanted", got)
	}
}

func TestRunsCreatedFor(t *testing.T) {
	at := time.Date(2026, 11, 30, 6, 0, 0, 0, time.UTC)
	runs := []rpav1alpha1.RobotRun{
		*scheduledAt(at.Add(-20*time.Second), at, nil),
		*scheduledAt(at, at.Add(time.Minute), nil),
		*scheduledAt(at, at.Add(2*time.Minute), func(r *rpav1alpha1.RobotRun) { r.Spec.Trigger.Schedule = "evening" }),
		*scheduledAt(at, at, func(r *rpav1alpha1.RobotRun) { r.Spec.Trigger = rpav1alpha1.Trigger{Type: rpav1alpha1.TriggerManual} }),
	}
	if got := runsCreatedFor(runs, "morning", at, at.Add(2*time.Minute)); got != 2 {
		t.Errorf("runsCreatedFor = %d, want 2", got)
	}
	if got := runsCreatedFor(runs, "morning", at.Add(time.Second), at.Add(time.Minute)); got != 1 {
		t.Errorf("runsCreatedFor = %d, want 1", got)
	}
}
