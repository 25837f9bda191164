package robot

import (
	"context"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/kube"
	"github.com/rpa-operator/rpa-operator/controllers/refs"
)

// runEventDelay is how long a run's change waits before it brings its
// Robot back: the queue keeps one entry per robot, so every change of its
// runs within that time makes one reconcile. What happens at a scheduled
// time is not delayed: the queue keeps the earlier of two times.
const runEventDelay = time.Second

// SetupWithManager watches Robots, their RobotRuns, the RobotCalendars and
// TargetSystems they name, and the labels of namespaces (as metadata). Not Secrets: the manager cannot read them
// (docs/rbac.md); a run whose pod waits for one tells.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	onlySpec := builder.WithPredicates(predicate.GenerationChangedPredicate{})
	return ctrl.NewControllerManagedBy(mgr).
		For(&rpav1alpha1.Robot{}, onlySpec).
		Watches(&rpav1alpha1.RobotRun{}, runEvents()).
		// Only creation and deletion matter to a Robot, not slots taken.
		Watches(&rpav1alpha1.TargetSystem{}, r.robotsReferring(refs.RobotSystem, false), onlySpec).
		Watches(&rpav1alpha1.RobotCalendar{}, r.robotsReferring(refs.RobotCalendar, true), onlySpec).
		// A namespace's labels decide which TargetSystems its robots may use.
		WatchesMetadata(&corev1.Namespace{}, r.robotsUsingSystemsIn(), builder.WithPredicates(predicate.LabelChangedPredicate{})).
		Named("robot").
		WithOptions(controller.Options{MaxConcurrentReconciles: r.Workers}).
		Complete(r)
}

// runEvents brings a run's Robot back runEventDelay after any event of the run.
func runEvents() handler.EventHandler {
	return kube.AddingWith(handler.EnqueueRequestsFromMapFunc(robotOfRun), kube.Delayed(runEventDelay))
}

// robotOfRun maps a run to its Robot.
func robotOfRun(_ context.Context, obj client.Object) []reconcile.Request {
	run, ok := obj.(*rpav1alpha1.RobotRun)
	if !ok || run.Spec.RobotName == "" {
		return nil
	}
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: run.Namespace, Name: run.Spec.RobotName}}}
}

// robotsUsingSystemsIn maps a namespace to its robots that name a
// TargetSystem.
func (r *Reconciler) robotsUsingSystemsIn() handler.EventHandler {
	return handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, ns client.Object) []reconcile.Request {
		var robots rpav1alpha1.RobotList
		if err := r.List(ctx, &robots, client.InNamespace(ns.GetName()), client.UnsafeDisableDeepCopy); err != nil {
			log.FromContext(ctx).Error(err, "map to robots", "namespace", ns.GetName())
			return nil
		}
		robots.Items = slices.DeleteFunc(robots.Items, func(robot rpav1alpha1.Robot) bool { return len(robot.Spec.Systems) == 0 })
		return refs.Requests(robots.Items)
	})
}

// robotsReferring maps an object to the Robots whose index field names it,
// in the object's namespace when namespaced is true, else in all.
func (r *Reconciler) robotsReferring(field string, namespaced bool) handler.EventHandler {
	return handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, obj client.Object) []reconcile.Request {
		namespace := ""
		if namespaced {
			namespace = obj.GetNamespace()
		}
		robots, err := refs.RobotsReferring(ctx, r.Client, field, namespace, obj.GetName())
		if err != nil {
			log.FromContext(ctx).Error(err, "map to robots", "object", obj.GetName())
			return nil
		}
		return refs.Requests(robots)
	})
}
