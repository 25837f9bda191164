// Package targetsystem is the TargetSystem controller. It keeps each
// TargetSystem's ledger true: it drops holders whose run has finished or
// was deleted (runs give slots back themselves; this catches a run deleted
// while holding one, or an operator stopped in between), and counts the
// runs waiting. It never adds holders: only admission admits runs.
package targetsystem

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
	"github.com/rpa-operator/rpa-operator/controllers/kube"
	"github.com/rpa-operator/rpa-operator/controllers/metrics"
	"github.com/rpa-operator/rpa-operator/controllers/refs"
)

// Reconciler reconciles TargetSystems.
type Reconciler struct {
	client.Client
	APIReader client.Reader
	Metrics   *metrics.Recorder
}

// +kubebuilder:rbac:groups=rpa.dev,resources=targetsystems,verbs=get;list;watch
// +kubebuilder:rbac:groups=rpa.dev,resources=targetsystems/status,verbs=get;update;patch

// Reconcile brings one TargetSystem's status up to date.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	ts := &rpav1alpha1.TargetSystem{}
	if err := r.Get(ctx, req.NamespacedName, ts); err != nil {
		if apierrors.IsNotFound(err) {
			r.Metrics.ForgetTargetSystem(req.Name)
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
	waiting, err := r.countWaiting(ctx, ts.Name)
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
	r.Metrics.TargetSystem(ts.Name, ts.Spec.MaxConcurrentRuns, next.Active, next.Waiting)
	if equalStatus(&ts.Status, next) {
		return ctrl.Result{}, nil
	}
	ts.Status = *next
	// Update carries the resourceVersion read: a slot taken meanwhile makes
	// this a conflict, never a lost holder.
	if err := r.Status().Update(ctx, ts); apierrors.IsConflict(err) {
		return ctrl.Result{RequeueAfter: kube.ConflictRetryDelay}, nil
	} else if err != nil {
		return ctrl.Result{}, fmt.Errorf("update status of TargetSystem %s: %w", ts.Name, err)
	}
	return ctrl.Result{}, nil
}

// liveHolders keeps the holders whose run exists under the same UID and has
// not finished, or whose pod is still stopping. A holder is dropped only
// after the apiserver confirms it: the cache may not have a run created a
// moment ago.
func (r *Reconciler) liveHolders(ctx context.Context, holders []rpav1alpha1.SlotHolder) ([]rpav1alpha1.SlotHolder, error) {
	var live []rpav1alpha1.SlotHolder
	for _, h := range holders {
		active, err := holderActive(ctx, r.Client, h)
		if err == nil && !active {
			active, err = holderActive(ctx, r.APIReader, h)
		}
		if err == nil && !active {
			active, err = refs.RunHasLivePods(ctx, r.APIReader, h.Namespace, h.Name)
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

func holderActive(ctx context.Context, reader client.Reader, h rpav1alpha1.SlotHolder) (bool, error) {
	run := &rpav1alpha1.RobotRun{}
	found, err := kube.GetConfirmed(ctx, reader, nil, client.ObjectKey{Namespace: h.Namespace, Name: h.Name}, run)
	if err != nil || !found {
		return false, err
	}
	return string(run.UID) == h.UID && !run.Status.Phase.Finished(), nil
}

// countWaiting counts the unfinished runs waiting for a slot of the system.
func (r *Reconciler) countWaiting(ctx context.Context, system string) (int, error) {
	runs, err := refs.RunsWaitingFor(ctx, r.Client, "", rpav1alpha1.WaitingForTargetSystem+system)
	if err != nil {
		return 0, err
	}
	n := 0
	for i := range runs {
		if !runs[i].Status.Phase.Finished() && runs[i].Status.JobName == "" {
			n++
		}
	}
	return n, nil
}

// equalStatus compares statuses ignoring condition transition times,
// which SetStatusCondition keeps when nothing else changed.
func equalStatus(a, b *rpav1alpha1.TargetSystemStatus) bool {
	return a.ObservedGeneration == b.ObservedGeneration && a.Active == b.Active && a.Waiting == b.Waiting &&
		slices.EqualFunc(a.Holders, b.Holders, func(x, y rpav1alpha1.SlotHolder) bool { return x.UID == y.UID }) &&
		slices.EqualFunc(a.Conditions, b.Conditions, func(x, y metav1.Condition) bool {
			return x.Type == y.Type && x.Status == y.Status && x.Reason == y.Reason && x.Message == y.Message &&
				x.ObservedGeneration == y.ObservedGeneration
		})
}

// SetupWithManager watches TargetSystems and the runs that hold or wait for
// their slots.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&rpav1alpha1.TargetSystem{}).
		Watches(&rpav1alpha1.RobotRun{}, handler.EnqueueRequestsFromMapFunc(r.systemsOfRun)).
		Named("targetsystem").
		Complete(r)
}

// systemsOfRun maps a run to the TargetSystems it waits for or holds a
// slot of: its waiting, finishing or deletion changes their counts.
func (r *Reconciler) systemsOfRun(ctx context.Context, obj client.Object) []reconcile.Request {
	run := obj.(*rpav1alpha1.RobotRun)
	names := map[string]bool{}
	for _, w := range run.Status.WaitingFor {
		if name, ok := strings.CutPrefix(w, rpav1alpha1.WaitingForTargetSystem); ok {
			names[name] = true
		}
	}
	var systems rpav1alpha1.TargetSystemList
	if err := r.List(ctx, &systems); err != nil {
		log.FromContext(ctx).Error(err, "list TargetSystems")
	}
	for i := range systems.Items {
		if systems.Items[i].Status.HolderIndex(string(run.UID)) >= 0 {
			names[systems.Items[i].Name] = true
		}
	}
	requests := make([]reconcile.Request, 0, len(names))
	for name := range names {
		requests = append(requests, reconcile.Request{NamespacedName: types.NamespacedName{Name: name}})
	}
	return requests
}
