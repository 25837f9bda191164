package robotrun

import (
	"strconv"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/handler"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/kube"
)

// Jobs first: when many runs are due at one instant, their Jobs are what
// starts the robots, and the statuses only report it. So the reconcile
// that creates a run's Job ends there; the Job's event brings the run
// back, behind the other runs waiting to start, to write the status from
// the Job (fillFromJob). Nothing depends on the status naming the Job
// meanwhile: its name is derived from the run's, and admission asks the
// apiserver for a robot's Jobs (docs/benchmarks.md).

// statusAfterJobFallback is when a run whose Job was just created is looked
// at again should the Job's event not have brought it back first.
const statusAfterJobFallback = 10 * time.Second

// statusLater is the result of the reconcile that created the run's Job:
// back at low priority, by the Job's event or after the fallback. A
// fallback at normal priority would lift the Job event's low one (the
// queue keeps the higher) and put the status before other runs' Jobs.
func statusLater() ctrl.Result {
	return ctrl.Result{RequeueAfter: statusAfterJobFallback, Priority: ptr.To(handler.LowPriority)}
}

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
	if gen, err := strconv.ParseInt(job.Annotations[rpav1alpha1.AnnotationRobotGeneration], 10, 64); err == nil {
		next.RobotGeneration = gen
	}
	if next.Image == "" {
		next.Image = job.Annotations[rpav1alpha1.AnnotationImage]
	}
	if robot != nil {
		next.Priority = run.EffectivePriority(robot)
		// The Robot may have changed since the Job was made; its
		// generation above says which one the run had.
		describeAccess(next, robot)
	}
	next.WaitingFor = nil
}

// jobEvents enqueues a Job's run through controller-runtime's owner
// handler. A Job just created goes in at low priority: it only brings the
// run back to write its status (Jobs first). A Job's updates and deletion
// (it started, ended or went away) keep normal priority.
func jobEvents(owner handler.EventHandler) handler.EventHandler {
	return handler.Funcs{
		CreateFunc:  kube.AddingWith(owner, kube.LowPriority).Create,
		UpdateFunc:  owner.Update,
		DeleteFunc:  owner.Delete,
		GenericFunc: owner.Generic,
	}
}
