package robotrun

import (
	"context"
	"fmt"

	batchv1 "k8s.io/api/batch/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
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
	"github.com/rpa-operator/rpa-operator/controllers/refs"
)

// SetupWithManager wires the run controller to everything that can move a
// run forward: the run itself (creation, cancel), its Job and pods, its
// Robot (suspend, resume, creation after the run), the TargetSystems and
// credential Leases runs wait for (a slot freeing up), and namespace labels
// (a TargetSystem's namespaceSelector). A Secret that
// appears shows as the pod starting.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&rpav1alpha1.RobotRun{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&batchv1.Job{}, jobEvents(handler.EnqueueRequestForOwner(mgr.GetScheme(), mgr.GetRESTMapper(),
			&rpav1alpha1.RobotRun{}, handler.OnlyControllerOwner()))).
		Watches(&corev1.Pod{}, r.mapping(r.runsForPod)).
		Watches(&rpav1alpha1.RobotRun{}, r.mapping(r.waitingRunsOfSameRobot)).
		Watches(&rpav1alpha1.Robot{}, r.mapping(r.waitingRunsOfRobot)).
		Watches(&rpav1alpha1.TargetSystem{}, r.mapping(r.runsWaitingForSystem)).
		// A namespace newly allowed by a TargetSystem's namespaceSelector.
		WatchesMetadata(&corev1.Namespace{}, r.mapping(r.runsNotAllowedIn), builder.WithPredicates(predicate.LabelChangedPredicate{})).
		Watches(&coordinationv1.Lease{}, r.mapping(r.runsWaitingForCredential)).
		Named("robotrun").
		WithOptions(controller.Options{MaxConcurrentReconciles: r.Workers}).
		Complete(r)
}

// mapFunc maps an object to the runs it concerns; an error is logged and
// the requests found so far are still enqueued.
type mapFunc func(ctx context.Context, obj client.Object) ([]reconcile.Request, error)

func (r *Reconciler) mapping(f mapFunc) handler.EventHandler {
	return handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, obj client.Object) []reconcile.Request {
		requests, err := f(ctx, obj)
		if err != nil {
			log.FromContext(ctx).Error(err, "map to runs", "object", obj.GetNamespace()+"/"+obj.GetName())
		}
		return requests
	})
}

// runsForPod maps a robot's pod to its run (through the run-name
// annotation) and, once the pod stops, to the runs of the same robot that
// wait for it: listing them on every pod update would cost a robot with
// many runs a pass over all of them each time.
func (r *Reconciler) runsForPod(ctx context.Context, obj client.Object) ([]reconcile.Request, error) {
	name, ok := obj.GetAnnotations()[rpav1alpha1.AnnotationRunName]
	if !ok {
		return nil, nil
	}
	own := reconcile.Request{NamespacedName: types.NamespacedName{Namespace: obj.GetNamespace(), Name: name}}
	if !podStopping(obj.(*corev1.Pod)) {
		return []reconcile.Request{own}, nil
	}
	waiting, err := r.waitingRuns(ctx, obj.GetNamespace(), obj.GetLabels()[rpav1alpha1.LabelRobot])
	return append(waiting, own), err
}

// podStopping reports whether a pod has ended or is being deleted.
func podStopping(pod *corev1.Pod) bool {
	return pod.DeletionTimestamp != nil || pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed
}

// waitingRunsOfSameRobot maps a finished run to the waiting runs of its
// robot: the next may start.
func (r *Reconciler) waitingRunsOfSameRobot(ctx context.Context, obj client.Object) ([]reconcile.Request, error) {
	run := obj.(*rpav1alpha1.RobotRun)
	if !run.Status.Phase.Finished() {
		return nil, nil
	}
	return r.waitingRuns(ctx, run.Namespace, run.Spec.RobotName)
}

// waitingRunsOfRobot maps a Robot to its runs that have not started a Job.
func (r *Reconciler) waitingRunsOfRobot(ctx context.Context, obj client.Object) ([]reconcile.Request, error) {
	return r.waitingRuns(ctx, obj.GetNamespace(), obj.GetName())
}

// waitingRuns lists the robot's runs that have no Job yet.
func (r *Reconciler) waitingRuns(ctx context.Context, namespace, robot string) ([]reconcile.Request, error) {
	runs, err := refs.RunsOfRobot(ctx, r.Client, namespace, robot)
	if err != nil {
		return nil, err
	}
	var requests []reconcile.Request
	for i := range runs {
		if run := &runs[i]; run.Status.JobName == "" && !run.Status.Phase.Finished() {
			requests = append(requests, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(run)})
		}
	}
	return requests, nil
}

// runsWaitingForSystem maps a TargetSystem to the runs waiting for one of
// its slots, in any namespace: a slot freed or a limit raised lets the
// first of them start.
// runsNotAllowedIn maps a namespace to its runs that wait because a
// TargetSystem's namespaceSelector leaves the namespace out.
func (r *Reconciler) runsNotAllowedIn(ctx context.Context, ns client.Object) ([]reconcile.Request, error) {
	var runs rpav1alpha1.RobotRunList
	if err := r.List(ctx, &runs, client.InNamespace(ns.GetName()), client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("list runs of namespace %s: %w", ns.GetName(), err)
	}
	var requests []reconcile.Request
	for i := range runs.Items {
		run := &runs.Items[i]
		if c := meta.FindStatusCondition(run.Status.Conditions, rpav1alpha1.ConditionSucceeded); c != nil &&
			c.Reason == rpav1alpha1.ReasonTargetSystemNotAllowed && run.Status.JobName == "" {
			requests = append(requests, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(run)})
		}
	}
	return requests, nil
}

func (r *Reconciler) runsWaitingForSystem(ctx context.Context, obj client.Object) ([]reconcile.Request, error) {
	runs, err := refs.RunsWaitingFor(ctx, r.Client, "", rpav1alpha1.WaitingForTargetSystem+obj.GetName())
	return refs.Requests(runs), err
}

// runsWaitingForCredential maps a credential Lease (taken or given back) to
// the runs in its namespace waiting for that credential.
func (r *Reconciler) runsWaitingForCredential(ctx context.Context, obj client.Object) ([]reconcile.Request, error) {
	secret, ok := obj.GetAnnotations()[rpav1alpha1.AnnotationCredentialSecret]
	if !ok {
		return nil, nil
	}
	runs, err := refs.RunsWaitingFor(ctx, r.Client, obj.GetNamespace(), rpav1alpha1.WaitingForCredential+secret)
	return refs.Requests(runs), err
}
