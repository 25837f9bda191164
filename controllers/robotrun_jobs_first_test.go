package controllers

import (
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/jobs"
)

func TestJobJustCreated(t *testing.T) {
	tests := []struct {
		name string
		run  rpav1alpha1.RobotRunStatus
		next rpav1alpha1.RobotRunStatus
		want bool
	}{
		{"created now", rpav1alpha1.RobotRunStatus{}, rpav1alpha1.RobotRunStatus{JobName: "j", Phase: rpav1alpha1.PhasePending}, true},
		{"was waiting, created now", rpav1alpha1.RobotRunStatus{Phase: rpav1alpha1.PhaseQueued},
			rpav1alpha1.RobotRunStatus{JobName: "j", Phase: rpav1alpha1.PhasePending}, true},
		{"still waiting", rpav1alpha1.RobotRunStatus{}, rpav1alpha1.RobotRunStatus{Phase: rpav1alpha1.PhaseQueued}, false},
		{"rejected", rpav1alpha1.RobotRunStatus{}, rpav1alpha1.RobotRunStatus{Phase: rpav1alpha1.PhaseFailed}, false},
		{"status names the Job already", rpav1alpha1.RobotRunStatus{JobName: "j"}, rpav1alpha1.RobotRunStatus{JobName: "j"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := &rpav1alpha1.RobotRun{Status: tt.run}
			if got := jobJustCreated(run, &tt.next); got != tt.want {
				t.Errorf("jobJustCreated = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFillFromJobWritesWhatTheJobWasBuiltFrom(t *testing.T) {
	robot := minimalRobot("ns", "mail-robot")
	robot.Generation = 7
	robot.Spec.Priority = 3
	run := &rpav1alpha1.RobotRun{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "r1", UID: "u1"},
		Spec: rpav1alpha1.RobotRunSpec{RobotName: robot.Name}}
	job, err := jobs.Build(robot, run, map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	// The Job as the cache holds it: no pod template.
	cached := &batchv1.Job{ObjectMeta: job.ObjectMeta}

	// The robot was edited since: the status reports what the Job runs.
	edited := robot.DeepCopy()
	edited.Generation, edited.Spec.Template.Image = 8, "registry.example/robots/welcome-letters:2.0.0"
	next := &rpav1alpha1.RobotRunStatus{Phase: rpav1alpha1.PhaseQueued, WaitingFor: []string{"TargetSystem/esdh"}}
	fillFromJob(next, run, edited, cached)
	want := rpav1alpha1.RobotRunStatus{Phase: rpav1alpha1.PhaseQueued, JobName: job.Name, RobotGeneration: 7,
		Image: robot.Spec.Template.Image, Priority: 3}
	if next.JobName != want.JobName || next.RobotGeneration != want.RobotGeneration || next.Image != want.Image ||
		next.Priority != want.Priority || next.WaitingFor != nil {
		t.Errorf("status %+v, want %+v", *next, want)
	}

	// A status that names its Job already is left alone.
	done := &rpav1alpha1.RobotRunStatus{JobName: job.Name, RobotGeneration: 5, Priority: 1}
	fillFromJob(done, run, edited, cached)
	if done.RobotGeneration != 5 || done.Priority != 1 {
		t.Errorf("a written status changed: %+v", *done)
	}
}
