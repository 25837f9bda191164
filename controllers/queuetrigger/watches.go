package queuetrigger

import (
	"context"

	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/refs"
)

// SetupWithManager watches WorkQueues (their counts change in status), the
// runs their triggers started (one finishing frees a place), the Robots
// they start (created, suspended, resumed) and their calendars.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&rpav1alpha1.WorkQueue{}).
		Watches(&rpav1alpha1.RobotRun{}, handler.EnqueueRequestsFromMapFunc(queueOfRun)).
		Watches(&rpav1alpha1.Robot{}, handler.EnqueueRequestsFromMapFunc(r.queuesStarting),
			builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, predicate.LabelChangedPredicate{}))).
		Watches(&rpav1alpha1.RobotCalendar{}, handler.EnqueueRequestsFromMapFunc(r.queuesOfCalendar),
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Named("queuetrigger").
		Complete(r)
}

// queueOfRun maps a run a trigger started to its WorkQueue.
func queueOfRun(_ context.Context, obj client.Object) []reconcile.Request {
	run, ok := obj.(*rpav1alpha1.RobotRun)
	if !ok || run.Spec.Trigger.Type != rpav1alpha1.TriggerQueue || run.Spec.Trigger.Queue == "" {
		return nil
	}
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: run.Namespace, Name: run.Spec.Trigger.Queue}}}
}

// queuesStarting maps a Robot to the WorkQueues whose trigger starts it.
func (r *Reconciler) queuesStarting(ctx context.Context, robot client.Object) []reconcile.Request {
	var queues rpav1alpha1.WorkQueueList
	if err := r.List(ctx, &queues, client.InNamespace(robot.GetNamespace()), client.MatchingFields{refs.QueueRobot: robot.GetName()},
		client.UnsafeDisableDeepCopy); err != nil {
		log.FromContext(ctx).Error(err, "map a robot to its queues", "robot", robot.GetName())
		return nil
	}
	return refs.Requests(queues.Items)
}

// queuesOfCalendar maps a RobotCalendar to the WorkQueues that name it.
func (r *Reconciler) queuesOfCalendar(ctx context.Context, cal client.Object) []reconcile.Request {
	var queues rpav1alpha1.WorkQueueList
	if err := r.List(ctx, &queues, client.InNamespace(cal.GetNamespace()), client.MatchingFields{refs.QueueCalendar: cal.GetName()},
		client.UnsafeDisableDeepCopy); err != nil {
		log.FromContext(ctx).Error(err, "map a calendar to its queues", "calendar", cal.GetName())
		return nil
	}
	return refs.Requests(queues.Items)
}
