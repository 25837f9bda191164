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

// runEvents enqueues a run's Robot runEventDelay after any event of the run.
func runEvents() handler.EventHandler {
	return handler.Funcs{
		CreateFunc: func(_ context.Context, e event.CreateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			addRobotOfRun(q, e.Object)
		},
		UpdateFunc: func(_ context.Context, e event.UpdateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			addRobotOfRun(q, e.ObjectNew)
		},
		DeleteFunc: func(_ context.Context, e event.DeleteEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			addRobotOfRun(q, e.Object)
		},
		GenericFunc: func(_ context.Context, e event.GenericEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			addRobotOfRun(q, e.Object)
		},
	}
}

// addRobotOfRun queues the Robot a run belongs to, runEventDelay from now.
func addRobotOfRun(q workqueue.TypedRateLimitingInterface[reconcile.Request], obj client.Object) {
	run, ok := obj.(*rpav1alpha1.RobotRun)
	if !ok || run.Spec.RobotName == "" {
		return
	}
	q.AddAfter(reconcile.Request{NamespacedName: types.NamespacedName{Namespace: run.Namespace, Name: run.Spec.RobotName}}, runEventDelay)
}
