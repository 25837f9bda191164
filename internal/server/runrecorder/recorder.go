// Package runrecorder writes every finished RobotRun into the run records
// before it can be pruned (docs/audit.md): each attempt's log when the
// attempt ends, then the record, then it removes the finalizer
// rpa.dev/run-record that holds the run until then. While the database
// does not answer, the run keeps its finalizer and a Recorded=False
// condition says why; nothing is lost and, recorded by UID, nothing is
// recorded twice.
package runrecorder

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/internal/runrecord/store"
)

// Records is what the recorder needs of the run-record store.
type Records interface {
	Add(ctx context.Context, r store.Record) (added bool, err error)
	PutLog(ctx context.Context, l store.Log) error
	Logs(ctx context.Context, namespace, runUID string) ([]store.Log, error)
}

// WorkItems names the work items a run touched.
type WorkItems interface {
	ItemsOfRun(ctx context.Context, namespace, run string) ([]int64, error)
}

const (
	// DefaultStopWait bounds how long a finished run's record waits for a
	// pod still stopping (a cancelled run's, in its grace period), so that
	// its log is whole.
	DefaultStopWait = 2 * time.Minute
	// stopPoll is how often a run waiting for a stopping pod looks again.
	stopPoll = 2 * time.Second
	// retryAfter is how soon a record the database refused is tried
	// again: soon, not the controller's growing backoff, so that runs
	// are recorded and released within seconds of the database's return.
	retryAfter = 10 * time.Second
)

// Reconciler records finished runs.
type Reconciler struct {
	client.Client
	Records Records
	Items   WorkItems
	Logs    PodLogs
	Clock   clock.PassiveClock
	Events  events.EventRecorder
	// StopWait is how long a record waits for stopping pods; zero takes
	// DefaultStopWait.
	StopWait time.Duration
}

// +kubebuilder:rbac:groups=rpa.dev,resources=robotruns,verbs=get;list;watch;patch;update
// +kubebuilder:rbac:groups=rpa.dev,resources=robotruns/status,verbs=get;patch;update
// +kubebuilder:rbac:groups="",resources=pods/log,verbs=get
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile keeps the logs of the run's ended attempts and, once the run
// has finished, records it and lets it go.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	run := &rpav1alpha1.RobotRun{}
	if err := r.Get(ctx, req.NamespacedName, run); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !controllerutil.ContainsFinalizer(run, rpav1alpha1.FinalizerRunRecord) {
		return ctrl.Result{}, nil
	}
	pods, err := r.podsOf(ctx, run)
	if err != nil {
		return ctrl.Result{}, err
	}
	finished := run.Status.Phase.Finished()
	if err := r.keepLogs(ctx, run, pods, finished); err != nil {
		return r.pending(ctx, run, err)
	}
	if !finished {
		// A run deleted before it finished is ended by the manager first.
		return ctrl.Result{}, nil
	}
	if wait := r.untilStopped(run, pods); wait > 0 {
		return ctrl.Result{RequeueAfter: wait}, nil
	}
	if err := r.record(ctx, run); err != nil {
		return r.pending(ctx, run, err)
	}
	return r.release(ctx, run)
}

// podsOf lists the run's pods from the cache (the operator's pods only).
func (r *Reconciler) podsOf(ctx context.Context, run *rpav1alpha1.RobotRun) ([]corev1.Pod, error) {
	var pods corev1.PodList
	if err := r.List(ctx, &pods, client.InNamespace(run.Namespace), client.MatchingFields{podRunIndex: run.Name}); err != nil {
		return nil, fmt.Errorf("list the pods of run %s: %w", run.Name, err)
	}
	return pods.Items, nil
}

// keepLogs fetches and keeps the logs logsToFetch picks.
func (r *Reconciler) keepLogs(ctx context.Context, run *rpav1alpha1.RobotRun, pods []corev1.Pod, finished bool) error {
	kept, err := r.Records.Logs(ctx, run.Namespace, string(run.UID))
	if err != nil {
		return err
	}
	for _, f := range logsToFetch(pods, kept, finished) {
		l := fetchLog(ctx, r.Logs, string(run.UID), f)
		if err := r.Records.PutLog(ctx, l); err != nil {
			return err
		}
		log.FromContext(ctx).V(1).Info("kept an attempt's log", "pod", l.Pod, "attempt", l.Attempt, "bytes", len(l.Content),
			"complete", l.Complete, "truncated", l.Truncated)
	}
	return nil
}

// untilStopped is how long to wait for the run's pods to stop, within
// StopWait of the run's end.
func (r *Reconciler) untilStopped(run *rpav1alpha1.RobotRun, pods []corev1.Pod) time.Duration {
	stopping := false
	for i := range pods {
		stopping = stopping || !containerEnded(&pods[i])
	}
	if !stopping {
		return 0
	}
	stopWait := r.StopWait
	if stopWait == 0 {
		stopWait = DefaultStopWait
	}
	if r.Clock.Since(finishedAt(run, r.Clock.Now())) >= stopWait {
		return 0
	}
	return stopPoll
}

// record writes the run's record; one already written stays as it is.
func (r *Reconciler) record(ctx context.Context, run *rpav1alpha1.RobotRun) error {
	items, err := r.Items.ItemsOfRun(ctx, run.Namespace, run.Name)
	if err != nil {
		return err
	}
	rec, err := recordOf(run, items, r.Clock.Now())
	if err != nil {
		return err
	}
	added, err := r.Records.Add(ctx, rec)
	if err != nil {
		return err
	}
	log.FromContext(ctx).Info("recorded a finished run", "robot", rec.Robot, "phase", rec.Phase, "firstTime", added)
	return nil
}

// release marks a run whose record had waited as recorded, then removes
// the finalizer, so that pruning and garbage collection can delete it.
func (r *Reconciler) release(ctx context.Context, run *rpav1alpha1.RobotRun) (ctrl.Result, error) {
	if c := meta.FindStatusCondition(run.Status.Conditions, rpav1alpha1.ConditionRecorded); c != nil && c.Status != metav1.ConditionTrue {
		written, err := r.setRecorded(ctx, run, metav1.ConditionTrue, rpav1alpha1.ReasonRecorded, "the run is in the run records")
		if err != nil || !written {
			return ctrl.Result{RequeueAfter: time.Second}, err
		}
		r.Events.Eventf(run, nil, corev1.EventTypeNormal, rpav1alpha1.ReasonRecorded, "Record", "the run is in the run records")
	}
	base := run.DeepCopy()
	controllerutil.RemoveFinalizer(run, rpav1alpha1.FinalizerRunRecord)
	err := r.Patch(ctx, run, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{}))
	switch {
	case apierrors.IsConflict(err):
		return ctrl.Result{RequeueAfter: time.Second}, nil
	case apierrors.IsNotFound(err):
		return ctrl.Result{}, nil
	case err != nil:
		return ctrl.Result{}, fmt.Errorf("remove the run-record finalizer of run %s: %w", run.Name, err)
	}
	return ctrl.Result{}, nil
}

// pending says on the run, once, that its record waits, and tries again
// soon. The database's error goes to the log only: it may name hosts.
func (r *Reconciler) pending(ctx context.Context, run *rpav1alpha1.RobotRun, cause error) (ctrl.Result, error) {
	log.FromContext(ctx).Error(cause, "could not record the run yet; trying again", "after", retryAfter)
	if !run.Status.Phase.Finished() {
		return ctrl.Result{RequeueAfter: retryAfter}, nil
	}
	if c := meta.FindStatusCondition(run.Status.Conditions, rpav1alpha1.ConditionRecorded); c != nil && c.Status == metav1.ConditionFalse {
		return ctrl.Result{RequeueAfter: retryAfter}, nil
	}
	message := "rpa-server could not write the run's record (the run-record database does not answer); " +
		"it tries again, and the run is kept until it is recorded. rpa-server's log has the error"
	written, err := r.setRecorded(ctx, run, metav1.ConditionFalse, rpav1alpha1.ReasonRecordPending, message)
	if err != nil {
		return ctrl.Result{}, err
	}
	if written {
		r.Events.Eventf(run, nil, corev1.EventTypeWarning, rpav1alpha1.ReasonRecordPending, "Record", "%s", message)
	}
	return ctrl.Result{RequeueAfter: retryAfter}, nil
}

// setRecorded writes the Recorded condition, refusing a stale copy.
func (r *Reconciler) setRecorded(ctx context.Context, run *rpav1alpha1.RobotRun, status metav1.ConditionStatus, reason, message string) (bool, error) {
	updated := run.DeepCopy()
	meta.SetStatusCondition(&updated.Status.Conditions, metav1.Condition{
		Type: rpav1alpha1.ConditionRecorded, Status: status, Reason: reason, Message: message,
		ObservedGeneration: run.Generation, LastTransitionTime: metav1.NewTime(r.Clock.Now()),
	})
	err := r.Status().Patch(ctx, updated, client.MergeFromWithOptions(run, client.MergeFromWithOptimisticLock{}))
	switch {
	case apierrors.IsConflict(err) || apierrors.IsNotFound(err):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("write the Recorded condition of run %s: %w", run.Name, err)
	}
	run.ResourceVersion, run.Status = updated.ResourceVersion, updated.Status
	return true, nil
}

// podRunIndex indexes the operator's cached pods by their run's full name.
const podRunIndex = "rpa.dev/run-name"

// SetupWithManager watches runs that hold the finalizer and the pods of
// runs: a pod whose container ended brings its run back for the log.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), &corev1.Pod{}, podRunIndex, func(obj client.Object) []string {
		if run := obj.GetAnnotations()[rpav1alpha1.AnnotationRunName]; run != "" {
			return []string{run}
		}
		return nil
	}); err != nil {
		return fmt.Errorf("index pods by run: %w", err)
	}
	holdsFinalizer := predicate.NewPredicateFuncs(func(obj client.Object) bool {
		return controllerutil.ContainsFinalizer(obj, rpav1alpha1.FinalizerRunRecord)
	})
	return ctrl.NewControllerManagedBy(mgr).
		Named("runrecorder").
		For(&rpav1alpha1.RobotRun{}, builder.WithPredicates(holdsFinalizer)).
		Watches(&corev1.Pod{}, handler.EnqueueRequestsFromMapFunc(runOfPod)).
		Complete(r)
}

// runOfPod is the request for a pod's run.
func runOfPod(_ context.Context, pod client.Object) []reconcile.Request {
	run := pod.GetAnnotations()[rpav1alpha1.AnnotationRunName]
	if run == "" {
		return nil
	}
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: pod.GetNamespace(), Name: run}}}
}
