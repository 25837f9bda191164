package robotrun

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

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
			if got := tt.run.NotYetDue(tt.now); got != tt.wantWait {
				t.Errorf("notYetDue = %v, want %v", got, tt.wantWait)
			}
			if got := tt.run.OrderTime(); !got.Equal(tt.wantOrder) {
				t.Errorf("orderTime = %v, want %v", got, tt.wantOrder)
			}
			if wait := untilDue(tt.run, tt.now); (wait > 0) != tt.wantWait {
				t.Errorf("untilDue = %v", wait)
			}
		})
	}
}
