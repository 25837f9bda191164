package controllers

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

// runEventDelay is how long a run's change waits before it brings its
// Robot back. The queue keeps one entry per robot, so every change of the
// robot's runs within that time is handled by one reconcile: a robot with
// a thousand runs changing at once lists and counts them a few times, not
// a thousand. What the robot does on a run's change (its status summary,
// pruning history) can trail by a second; what it does at a scheduled
// time is not delayed, because the queue keeps the earlier of two times.
const runEventDelay = time.Second

// runEvents enqueues a run's Robot runEventDelay after any event of the run:
// controller-runtime's map handler, on a queue that delays what it adds.
func runEvents() handler.EventHandler {
	return delayed{handler.EnqueueRequestsFromMapFunc(robotOfRun)}
}

// robotOfRun maps a run to its Robot.
func robotOfRun(_ context.Context, obj client.Object) []reconcile.Request {
	run, ok := obj.(*rpav1alpha1.RobotRun)
	if !ok || run.Spec.RobotName == "" {
		return nil
	}
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: run.Namespace, Name: run.Spec.RobotName}}}
}

// delayed passes every event on to its handler with a delayedQueue.
type delayed struct{ handler.EventHandler }

func (h delayed) Create(ctx context.Context, e event.CreateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	h.EventHandler.Create(ctx, e, delayedQueue{q})
}

func (h delayed) Update(ctx context.Context, e event.UpdateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	h.EventHandler.Update(ctx, e, delayedQueue{q})
}

func (h delayed) Delete(ctx context.Context, e event.DeleteEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	h.EventHandler.Delete(ctx, e, delayedQueue{q})
}

func (h delayed) Generic(ctx context.Context, e event.GenericEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	h.EventHandler.Generic(ctx, e, delayedQueue{q})
}

// delayedQueue adds what a handler adds to it runEventDelay later. Like
// lowPriorityQueue it hides a priority queue from the handler, which then
// calls Add; the priority queue keeps the earlier of two times for a robot.
type delayedQueue struct {
	workqueue.TypedRateLimitingInterface[reconcile.Request]
}

func (q delayedQueue) Add(req reconcile.Request) {
	q.AddAfter(req, runEventDelay)
}
