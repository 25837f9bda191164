package admission

import (
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/jobs"
)

func sevenInCopenhagen() time.Time { return time.Date(2026, 11, 30, 6, 0, 0, 0, time.UTC) }

func runCreated(name string, created time.Time, mutate ...func(*rpav1alpha1.RobotRun)) rpav1alpha1.RobotRun {
	r := rpav1alpha1.RobotRun{ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID(name + "-uid"), CreationTimestamp: metav1.NewTime(created)}}
	for _, m := range mutate {
		m(&r)
	}
	return r
}

func withPhase(p rpav1alpha1.RunPhase) func(*rpav1alpha1.RobotRun) {
	return func(r *rpav1alpha1.RobotRun) { r.Status.Phase = p }
}

func withJob(r *rpav1alpha1.RobotRun) { r.Status.JobName = jobs.JobName(r.Name) }

func TestEarlierWaitingRun(t *testing.T) {
	seven := sevenInCopenhagen()
	me := runCreated("me", seven)
	tests := []struct {
		name string
		// environment: the robot's other runs and Jobs
		runs []rpav1alpha1.RobotRun
		jobs []string
		// expected
		want string
	}{
		{name: "alone", runs: []rpav1alpha1.RobotRun{me}},
		{
			name: "an earlier run without a Job goes first",
			runs: []rpav1alpha1.RobotRun{me, runCreated("earlier", seven.Add(-time.Minute), withPhase(rpav1alpha1.PhaseQueued))},
			want: "earlier",
		},
		{
			name: "a later run waits behind me, not I behind it",
			runs: []rpav1alpha1.RobotRun{me, runCreated("later", seven.Add(time.Minute))},
		},
		{
			name: "an earlier run whose status names its Job has started",
			runs: []rpav1alpha1.RobotRun{me, runCreated("started", seven.Add(-time.Minute), withPhase(rpav1alpha1.PhaseRunning), withJob)},
		},
		{
			name: "an earlier run whose Job exists has started, before its status says so",
			runs: []rpav1alpha1.RobotRun{me, runCreated("jobs-first", seven.Add(-time.Minute), withPhase(rpav1alpha1.PhaseQueued))},
			jobs: []string{"jobs-first"},
		},
		{
			name: "a finished earlier run is no obstacle",
			runs: []rpav1alpha1.RobotRun{me, runCreated("cancelled", seven.Add(-time.Minute), withPhase(rpav1alpha1.PhaseCancelled))},
		},
		{
			name: "same second: the name decides",
			runs: []rpav1alpha1.RobotRun{me, runCreated("a-first", seven), runCreated("z-last", seven)},
			want: "a-first",
		},
		{
			name: "a run created ahead of a later time is behind me",
			runs: []rpav1alpha1.RobotRun{me, runCreated("ahead", seven.Add(-20*time.Second), func(r *rpav1alpha1.RobotRun) {
				r.Spec.Trigger.ScheduledTime = &metav1.Time{Time: seven.Add(time.Minute)}
			})},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var robotJobs []batchv1.Job
			for _, run := range tt.jobs {
				robotJobs = append(robotJobs, batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: jobs.JobName(run)}})
			}
			if got := EarlierWaitingRun(&me, tt.runs, robotJobs); got != tt.want {
				t.Errorf("EarlierWaitingRun = %q, want %q", got, tt.want)
			}
		})
	}
}
