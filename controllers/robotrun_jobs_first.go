package controllers

import (
	"context"
	"strconv"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/controller/priorityqueue"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

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

// statusLater is the result of the reconcile that created the run's Job:
// back at low priority, by the Job's event or after the fallback. The
// priority matters for both: the queue keeps the higher of an item's
// priorities, so a fallback queued at normal priority would lift the Job
// event's low one and put the status write before other runs' Jobs.
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

// jobEvents enqueues a Job's run on the Job's events, through
// controller-runtime's owner handler. The event of a Job just created goes
// in at low priority: it only brings the run back to write the status its
// creating reconcile left (Jobs first). A Job's updates and deletion (it
// started, ended or went away) keep the owner handler's normal priority.
func jobEvents(owner handler.EventHandler) handler.EventHandler {
	return handler.Funcs{
		CreateFunc: func(ctx context.Context, e event.CreateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			owner.Create(ctx, e, lowPriorityQueue{q})
		},
		UpdateFunc:  owner.Update,
		DeleteFunc:  owner.Delete,
		GenericFunc: owner.Generic,
	}
}

// lowPriorityQueue adds at low priority what a handler adds to it, where
// the queue has priorities (controller-runtime's default), plainly where it
// does not. It hides the priority queue from the handler, which then calls
// Add instead of choosing a priority itself.
type lowPriorityQueue struct {
	workqueue.TypedRateLimitingInterface[reconcile.Request]
}

func (q lowPriorityQueue) Add(req reconcile.Request) {
	if pq, ok := q.TypedRateLimitingInterface.(priorityqueue.PriorityQueue[reconcile.Request]); ok {
		pq.AddWithOpts(priorityqueue.AddOpts{Priority: ptr.To(handler.LowPriority)}, req)
		return
	}
	q.TypedRateLimitingInterface.Add(req)
}
