package robot

import (
	"testing"
	"time"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

func TestRunsCreatedFor(t *testing.T) {
	at := sevenInCopenhagen()
	runs := []rpav1alpha1.RobotRun{
		run("ahead", at.Add(-20*time.Second), "", scheduledFor(at)),
		run("next", at, "", scheduledFor(at.Add(time.Minute))),
		run("evening", at, "", scheduledFor(at.Add(2*time.Minute)), func(r *rpav1alpha1.RobotRun) { r.Spec.Trigger.Schedule = "evening" }),
		run("manual", at, "", func(r *rpav1alpha1.RobotRun) { r.Spec.Trigger = rpav1alpha1.Trigger{Type: rpav1alpha1.TriggerManual} }),
	}
	if got := runsCreatedFor(runs, "morning", at, at.Add(2*time.Minute)); got != 2 {
		t.Errorf("runsCreatedFor = %d, want 2", got)
	}
	if got := runsCreatedFor(runs, "morning", at.Add(time.Second), at.Add(time.Minute)); got != 1 {
		t.Errorf("runsCreatedFor = %d, want 1", got)
	}
}
