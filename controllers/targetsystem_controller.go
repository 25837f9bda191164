package controllers

import (
	"context"
	"fmt"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

// TargetSystemReconciler keeps each TargetSystem's ledger true: it drops
// holders whose run has finished or was deleted (the run controller gives
// slots back itself; this catches a run deleted while it held one, or an
// operator stopped between a run finishing and giving back), and counts the
// runs waiting. It never adds holders: only the run controller admits runs.
type TargetSystemReconciler struct {
	client.Client
	APIReader client.Reader
}

// +kubebuilder:rbac:groups=rpa.dev,resources=targetsystems,verbs=get;list;watch
// +kubebuilder:rbac:groups=rpa.dev,resources=targetsystems/status,verbs=get;update;patch

// Reconcile brings one TargetSystem's status up to date.
func (r *TargetSystemReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	ts := &rpav1alpha1.TargetSystem{}
	if err := r.Get(ctx, req.NamespacedName, ts); err != nil {
		if apierrors.IsNotFound(err) {
			forgetSystemMetrics(req.Name)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	next := ts.Status.DeepCopy()
	holders, err := r.liveHolders(ctx, ts.Status.Holders)
	if err != nil {
		return ctrl.Result{}, err
	}
	next.Holders = holders
	next.Active = int32(len(holders))
	waiting, err := r.waitingRuns(ctx, ts.Name)
	if err != nil {
		return ctrl.Result{}, err
	}
	next.Waiting = int32(waiting)
	next.ObservedGeneration = ts.Generation
	meta.SetStatusCondition(&next.Conditions, metav1.Condition{
		Type: rpav1alpha1.ConditionReady, Status: metav1.ConditionTrue, Reason: rpav1alpha1.ReasonReady,
		ObservedGeneration: ts.Generation,
		Message:            fmt.Sprintf("%d of %d slots in use, %d runs waiting", next.Active, ts.Spec.MaxConcurrentRuns, next.Waiting),
	})
	recordSystemMetrics(ts.Name, ts.Spec.MaxConcurrentRuns, next.Active, next.Waiting)
	if equalSystemStatus(&ts.Status, next) {
		return ctrl.Result{}, nil
	}
	ts.Status = *next
	// Update carries the resourceVersion read: a slot taken meanwhile makes
	// this a conflict, never a lost holder.
	if err := r.Status().Update(ctx, ts); apierrors.IsConflict(err) {
		return ctrl.Result{RequeueAfter: conflictRetryDelay}, nil
	} else if err != nil {
		return ctrl.Result{}, fmt.Errorf("update status of TargetSystem %s: %w", ts.Name, err)
	}
	return ctrl.Result{}, nil
}

// liveHolders keeps the holders whose run exists under the same UID and has
// not finished. A holder is dropped only after the apiserver confirms it:
// the cache may not have a run created a moment ago.
func (r *TargetSystemReconciler) liveHolders(ctx context.Context, holders []rpav1alpha1.SlotHolder) ([]rpav1alpha1.SlotHolder, error) {
	var live []rpav1alpha1.SlotHolder
	for _, h := range holders {
		active, err := r.holderActive(ctx, r.Client, h)
		if err == nil && !active {
			active, err = r.holderActive(ctx, r.APIReader, h)
		}
		if err != nil {
			return nil, err
		}
		if active {
			live = append(live, h)
		} else {
			log.FromContext(ctx).Info("dropping a slot holder that finished or is gone", "run", h.Namespace+"/"+h.Name)
		}
	}
	return live, nil
}

func (r *TargetSystemReconciler) holderActive(ctx context.Context, reader client.Reader, h rpav1alpha1.SlotHolder) (bool, error) {
	run := &rpav1alpha1.RobotRun{}
	err := reader.Get(ctx, client.ObjectKey{Namespace: h.Namespace, Name: h.Name}, run)
	switch {
	case apierrors.IsNotFound(err):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("get run %s/%s: %w", h.Namespace, h.Name, err)
	}
	return string(run.UID) == h.UID && !run.Status.Phase.Finished(), nil
}

// waitingRuns counts the unfinished runs waiting for a slot of the system.
func (r *TargetSystemReconciler) waitingRuns(ctx context.Context, system string) (int, error) {
	var runs rpav1alpha1.RobotRunList
	if err := r.List(ctx, &runs, client.MatchingFields{indexRunWaitingFor: waitKindSystem + system}); err != nil {
		return 0, fmt.Errorf("list runs waiting for %s: %w", system, err)
	}
	n := 0
	for i := range runs.Items {
		if !runs.Items[i].Status.Phase.Finished() && runs.Items[i].Status.JobName == "" {
			n++
		}
	}
	return n, nil
}

// equalSystemStatus compares statuses ignoring condition transition times,
// which SetStatusCondition keeps when nothing else changed.
func equalSystemStatus(a, b *rpav1alpha1.TargetSystemStatus) bool {
	return a.ObservedGeneration == b.ObservedGeneration && a.Active == b.Active && a.Waiting == b.Waiting &&
		slices.EqualFunc(a.Holders, b.Holders, func(x, y rpav1alpha1.SlotHolder) bool { return x.UID == y.UID }) &&
		slices.EqualFunc(a.Conditions, b.Conditions, func(x, y metav1.Condition) bool {
			return x.Type == y.Type && x.Status == y.Status && x.Reason == y.Reason && x.Message == y.Message && x.ObservedGeneration == y.ObservedGeneration
		})
}

// SetupWithManager watches TargetSystems and the runs that hold or wait for
// their slots.
func (r *TargetSystemReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&rpav1alpha1.TargetSystem{}).
		Watches(&rpav1alpha1.RobotRun{}, handler.EnqueueRequestsFromMapFunc(r.systemsOfRun)).
		Named("targetsystem").
		Complete(r)
}

// systemsOfRun maps a run to the TargetSystems it waits for or holds a
// slot of: its waiting, finishing or deletion changes their counts.
func (r *TargetSystemReconciler) systemsOfRun(ctx context.Context, obj client.Object) []reconcile.Request {
	run := obj.(*rpav1alpha1.RobotRun)
	names := map[string]bool{}
	for _, w := range run.Status.WaitingFor {
		if name, ok := strings.CutPrefix(w, waitKindSystem); ok {
			names[name] = true
		}
	}
	var systems rpav1alpha1.TargetSystemList
	if err := r.List(ctx, &systems); err != nil {
		log.FromContext(ctx).Error(err, "list TargetSystems")
	}
	for i := range systems.Items {
		if holderIndex(systems.Items[i].Status.Holders, string(run.UID)) >= 0 {
			names[systems.Items[i].Name] = true
		}
	}
	requests := make([]reconcile.Request, 0, len(names))
	for name := range names {
		requests = append(requests, reconcile.Request{NamespacedName: types.NamespacedName{Name: name}})
	}
	return requests
}
