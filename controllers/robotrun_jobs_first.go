package controllers

import (
	"strconv"
	"time"

	batchv1 "k8s.io/api/batch/v1"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/jobs"
)

// Jobs first: when many runs are due at one instant, their Jobs are what
// starts the robots, and the statuses only report it. So a reconcile that
// creates a run's Job ends there, without writing the run's status; the
// Job's watch event brings the run back, behind the other runs already
// waiting to start, and that reconcile writes the status from the Job
// (fillFromJob). The Jobs of an instant then do not share the apiserver
// with their runs' status writes (docs/benchmarks.md). Nothing depends on
// the status naming the Job meanwhile: the Job's name is derived from the
// run's, a second create finds it (AlreadyExists), and admission asks the
// apiserver for a robot's Jobs.

// statusAfterJobFallback is when a run whose Job was just created is looked
// at again should the Job's watch event not have brought it back first.
const statusAfterJobFallback = 10 * time.Second

// jobJustCreated reports whether this reconcile created the run's Job (or
// found it created by an earlier one whose status was not written yet).
func jobJustCreated(run *rpav1alpha1.RobotRun, next *rpav1alpha1.RobotRunStatus) bool {
	return run.Status.JobName == "" && next.JobName != "" && !next.Phase.Finished()
}

// fillFromJob completes a status that does not name the run's Job yet from
// the Job: its name, and the Robot generation and image it was built from;
// the run no longer waits for anything, at the priority it started with.
func fillFromJob(next *rpav1alpha1.RobotRunStatus, run *rpav1alpha1.RobotRun, robot *rpav1alpha1.Robot, job *batchv1.Job) {
	if next.JobName != "" {
		return
	}
	next.JobName = job.Name
	if gen, err := strconv.ParseInt(job.Annotations[jobs.AnnotationRobotGeneration], 10, 64); err == nil {
		next.RobotGeneration = gen
	}
	if next.Image == "" {
		next.Image = job.Annotations[jobs.AnnotationImage]
	}
	if robot != nil {
		next.Priority = effectivePriority(run, robot)
	}
	next.WaitingFor = nil
}
