package scheduledrun

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
			Annotations: map[string]string{rpav1alpha1.AnnotationCreatedAhead: "true"}},
		Spec: rpav1alpha1.RobotRunSpec{Trigger: rpav1alpha1.Trigger{
			Type: rpav1alpha1.TriggerSchedule, Schedule: "morning", ScheduledTime: &metav1.Time{Time: at}}},
	}
	if mutate != nil {
		mutate(run)
	}
	return run
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
			if got := UnwantedBecause(tt.robot, run); got != tt.want {
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
	if got := UnwantedBecause(robot, run); got != "" {
		t.Errorf("unwantedBecause = %q, want it wanted", got)
	}
}

func TestNamesDoNotCollideAcrossRobotAndScheduleBoundaries(t *testing.T) {
	at := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)
	a, b := Name("a", "b-c", at), Name("a-b", "c", at)
	if a == b {
		t.Fatalf("robot a/schedule b-c and robot a-b/schedule c share the name %s", a)
	}
	if got, want := Name("welcome-letters", "weekdays", at), "welcome-letters-weekdays-202612010600-e32f15c7"; got != want {
		t.Errorf("Name = %s, want %s (docs/schedules.md shows it)", got, want)
	}
	copenhagen, _ := time.LoadLocation("Europe/Copenhagen")
	if Name("r", "s", at) != Name("r", "s", at.In(copenhagen)) {
		t.Error("the name depends on the time's zone")
	}
}

func TestIsRecognisesOnlyTheRobotsOwnRunForTheTime(t *testing.T) {
	at := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)
	robot := &rpav1alpha1.Robot{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "post", UID: "robot-uid"}}
	robot.Spec.Schedules = []rpav1alpha1.Schedule{{Name: "morning"}}
	own := func(mutate func(*rpav1alpha1.RobotRun)) *rpav1alpha1.RobotRun {
		run := New(robot, robot.Spec.Schedules[0], at, false)
		run.OwnerReferences = []metav1.OwnerReference{{APIVersion: "rpa.dev/v1alpha1", Kind: "Robot", Name: "post",
			UID: "robot-uid", Controller: ptr.To(true)}}
		if mutate != nil {
			mutate(run)
		}
		return run
	}
	tests := []struct {
		name string
		run  *rpav1alpha1.RobotRun
		want bool
	}{
		{"the schedule's run", own(nil), true},
		{"named before names had a hash", own(func(r *rpav1alpha1.RobotRun) { r.Name = "post-morning-202612010600" }), true},
		{"another time", own(func(r *rpav1alpha1.RobotRun) { r.Spec.Trigger.ScheduledTime = &metav1.Time{Time: at.Add(time.Minute)} }), false},
		{"another schedule", own(func(r *rpav1alpha1.RobotRun) { r.Spec.Trigger.Schedule = "evening" }), false},
		{"a manual run", own(func(r *rpav1alpha1.RobotRun) { r.Spec.Trigger.Type = rpav1alpha1.TriggerManual }), false},
		{"not controlled by the robot", own(func(r *rpav1alpha1.RobotRun) { r.OwnerReferences[0].Controller = nil }), false},
		{"another robot's", own(func(r *rpav1alpha1.RobotRun) { r.Spec.RobotName = "other" }), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Is(tt.run, robot, "morning", at); got != tt.want {
				t.Errorf("Is = %v, want %v", got, tt.want)
			}
		})
	}
}
