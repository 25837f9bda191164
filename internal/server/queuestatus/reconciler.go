// Package queuestatus is rpa-server's WorkQueue controller: it counts each
// queue's items in the database into the WorkQueue's status (which the
// manager's queue triggers and `kubectl get workqueues` read, so neither
// needs the database) and deletes finished items past the queue's
// retention (docs/work-queues.md).
package queuestatus

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/kube"
	"github.com/rpa-operator/rpa-operator/controllers/refs"
	"github.com/rpa-operator/rpa-operator/internal/workqueue"
	"github.com/rpa-operator/rpa-operator/internal/workqueue/store"
)

// Items is what the controller needs of the store.
type Items interface {
	Depth(ctx context.Context, q store.Queue, overdueBefore time.Time) (store.Depth, error)
	DeleteFinished(ctx context.Context, q store.Queue, before time.Time) (int64, error)
}

// DefaultInterval is how often a queue's counts are taken again.
const DefaultInterval = 5 * time.Second

// unavailableRetry is how soon a queue is counted again after the
// database did not answer.
const unavailableRetry = 10 * time.Second

// Reconciler writes WorkQueue status from the database.
type Reconciler struct {
	client.Client
	Items Items
	Clock clock.PassiveClock
	// Interval is how often each queue is counted: the most its status is
	// written, and how late a trigger may see a new item.
	Interval time.Duration
	// Workers is how many queues are counted at once.
	Workers int
}

// Queue is the store's view of a WorkQueue: where its items are and the
// policy the store applies to them.
func Queue(wq *rpav1alpha1.WorkQueue) store.Queue {
	return store.Queue{
		Namespace: wq.Namespace, Name: wq.Name,
		MaxAttempts: int(wq.Spec.MaxAttempts), UniqueReferences: wq.Spec.UniqueReferences,
	}
}

// +kubebuilder:rbac:groups=rpa.dev,resources=workqueues,verbs=get;list;watch
// +kubebuilder:rbac:groups=rpa.dev,resources=workqueues/status,verbs=get;patch;update
// +kubebuilder:rbac:groups=rpa.dev,resources=robotcalendars,verbs=get;list;watch

// Reconcile deletes the queue's finished items past retention, counts the
// rest into its status and looks again after Interval.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	wq := &rpav1alpha1.WorkQueue{}
	if err := r.Get(ctx, req.NamespacedName, wq); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	now := r.Clock.Now()
	next := wq.Status.DeepCopy()
	next.ObservedGeneration = wq.Generation
	requeue := r.Interval
	overdueBefore, problem := r.overdueCutoff(ctx, wq, now)
	switch err := r.count(ctx, wq, overdueBefore, now, next); {
	case err != nil:
		log.FromContext(ctx).Error(err, "count the queue's items")
		setReady(next, wq.Generation, metav1.ConditionFalse, rpav1alpha1.ReasonDatabaseUnavailable,
			"rpa-server cannot reach the work-item database; the counts are from before, and robots cannot take items")
		requeue = unavailableRetry
	case problem != nil:
		setReady(next, wq.Generation, metav1.ConditionFalse, problem.Reason, problem.Message)
	default:
		setReady(next, wq.Generation, metav1.ConditionTrue, rpav1alpha1.ReasonReady, "the counts are current")
	}
	if !equality.Semantic.DeepEqual(&wq.Status, next) {
		updated := wq.DeepCopy()
		updated.Status = *next
		if written, err := kube.PatchStatus(ctx, r.Client, wq, updated); !written || err != nil {
			return ctrl.Result{RequeueAfter: kube.ConflictRetryDelay}, err
		}
	}
	return ctrl.Result{RequeueAfter: requeue}, nil
}

// overdueCutoff is when an item must have been added by to be overdue
// now: the SLA back from now, in the open days of the queue's calendar
// when it names one. A calendar that is missing or invalid is a problem
// to report; the SLA then counts in wall-clock time.
func (r *Reconciler) overdueCutoff(ctx context.Context, wq *rpav1alpha1.WorkQueue, now time.Time) (time.Time, *metav1.Condition) {
	if wq.Spec.SLA == nil || wq.Spec.SLA.Duration <= 0 {
		return time.Time{}, nil
	}
	sla := wq.Spec.SLA.Duration
	if wq.Spec.Calendar == "" {
		return now.Add(-sla), nil
	}
	cal, missing, invalid, err := refs.Calendar(ctx, r.Client, wq.Namespace, wq.Spec.Calendar)
	switch {
	case err != nil:
		log.FromContext(ctx).Error(err, "read the queue's calendar", "calendar", wq.Spec.Calendar)
		fallthrough
	case missing:
		return now.Add(-sla), &metav1.Condition{Reason: rpav1alpha1.ReasonCalendarNotFound, Message: fmt.Sprintf(
			"calendar %q does not exist in this namespace: the SLA counts in wall-clock time until it does; create it or fix spec.calendar", wq.Spec.Calendar)}
	case invalid != nil:
		return now.Add(-sla), &metav1.Condition{Reason: rpav1alpha1.ReasonInvalidCalendar, Message: fmt.Sprintf(
			"calendar %s is invalid (%v): the SLA counts in wall-clock time until it is fixed", wq.Spec.Calendar, invalid)}
	}
	return cal.WorkingCutoff(now, sla), nil
}

// count applies retention and fills in the counts.
func (r *Reconciler) count(ctx context.Context, wq *rpav1alpha1.WorkQueue, overdueBefore, now time.Time, next *rpav1alpha1.WorkQueueStatus) error {
	q := Queue(wq)
	if wq.Spec.Retention != nil {
		deleted, err := r.Items.DeleteFinished(ctx, q, now.Add(-wq.Spec.Retention.Duration))
		if err != nil {
			return err
		}
		if deleted > 0 {
			log.FromContext(ctx).Info("deleted finished items past retention", "items", deleted, "retention", wq.Spec.Retention.Duration)
		}
	}
	depth, err := r.Items.Depth(ctx, q, overdueBefore)
	if err != nil {
		return fmt.Errorf("count the items of queue %s: %w", wq.Name, err)
	}
	next.Items = counts(depth.Counts)
	next.Overdue = int64(depth.Overdue)
	next.OldestNewTime = nil
	if depth.OldestNew != nil {
		next.OldestNewTime = &metav1.Time{Time: *depth.OldestNew}
	}
	return nil
}

func counts(c map[workqueue.State]int) rpav1alpha1.WorkQueueCounts {
	return rpav1alpha1.WorkQueueCounts{
		New: int64(c[workqueue.New]), InProgress: int64(c[workqueue.InProgress]), Done: int64(c[workqueue.Done]),
		BusinessException: int64(c[workqueue.BusinessException]), Failed: int64(c[workqueue.Failed]),
		Handled: int64(c[workqueue.Handled]),
	}
}

// setReady sets Ready and the kstatus conditions that go with it: a queue
// whose database is unreachable is Stalled until someone restores it.
func setReady(status *rpav1alpha1.WorkQueueStatus, generation int64, state metav1.ConditionStatus, reason, message string) {
	meta.SetStatusCondition(&status.Conditions, metav1.Condition{
		Type: rpav1alpha1.ConditionReady, Status: state, Reason: reason, Message: message, ObservedGeneration: generation,
	})
	if state == metav1.ConditionTrue {
		meta.RemoveStatusCondition(&status.Conditions, rpav1alpha1.ConditionStalled)
		return
	}
	meta.SetStatusCondition(&status.Conditions, metav1.Condition{
		Type: rpav1alpha1.ConditionStalled, Status: metav1.ConditionTrue, Reason: reason, Message: message, ObservedGeneration: generation,
	})
}

// SetupWithManager watches WorkQueues; a spec change is counted at once,
// the rest every Interval.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.Interval == 0 {
		r.Interval = DefaultInterval
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&rpav1alpha1.WorkQueue{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Named("workqueue-status").
		WithOptions(controller.Options{MaxConcurrentReconciles: max(r.Workers, 1)}).
		Complete(r)
}
