package controllers

import (
	"context"

	batchv1 "k8s.io/api/batch/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
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
	"github.com/rpa-operator/rpa-operator/controllers/jobs"
)

// SetupWithManager wires the run controller to everything that can move a
// run forward: the run itself (creation, cancel), its Job and pods, its
// Robot (suspend, resume, creation after the run) and the robot's credential
// Secrets (a missing one appearing), the TargetSystems and credential
// Leases runs wait for (a slot freeing up).
func (r *RobotRunReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&rpav1alpha1.RobotRun{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&batchv1.Job{}, jobEvents(handler.EnqueueRequestForOwner(mgr.GetScheme(), mgr.GetRESTMapper(),
			&rpav1alpha1.RobotRun{}, handler.OnlyControllerOwner()))).
		Watches(&corev1.Pod{}, handler.EnqueueRequestsFromMapFunc(r.runsForPod)).
		Watches(&rpav1alpha1.RobotRun{}, handler.EnqueueRequestsFromMapFunc(r.waitingRunsOfSameRobot)).
		Watches(&rpav1alpha1.Robot{}, handler.EnqueueRequestsFromMapFunc(r.waitingRunsOfRobot)).
		WatchesMetadata(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.waitingRunsForSecret)).
		Watches(&rpav1alpha1.TargetSystem{}, handler.EnqueueRequestsFromMapFunc(r.runsWaitingForSystem)).
		Watches(&coordinationv1.Lease{}, handler.EnqueueRequestsFromMapFunc(r.runsWaitingForCredential)).
		Named("robotrun").
		WithOptions(controller.Options{MaxConcurrentReconciles: r.Workers}).
		Complete(r)
}

// runsForPod maps a robot's pod to its run (through the run-name
// annotation) and to the runs of the same robot that wait for it to stop.
func (r *RobotRunReconciler) runsForPod(ctx context.Context, obj client.Object) []reconcile.Request {
	name, ok := obj.GetAnnotations()[jobs.AnnotationRunName]
	if !ok {
		return nil
	}
	own := reconcile.Request{NamespacedName: types.NamespacedName{Namespace: obj.GetNamespace(), Name: name}}
	if !podStopping(obj.(*corev1.Pod)) {
		// Only a pod that has ended or is going away can let another run
		// start; listing the robot's runs on every pod update would cost
		// a robot with many runs a pass over all of them each time.
		return []reconcile.Request{own}
	}
	waiting, err := r.waitingRuns(ctx, obj.GetNamespace(), obj.GetLabels()[jobs.LabelRobot])
	if err != nil {
		log.FromContext(ctx).Error(err, "list runs of robot", "robot", obj.GetLabels()[jobs.LabelRobot])
	}
	return append(waiting, own)
}

// podStopping reports whether a pod has ended or is being deleted.
func podStopping(pod *corev1.Pod) bool {
	return pod.DeletionTimestamp != nil || pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed
}

// waitingRunsOfSameRobot maps a run to the waiting runs of its robot: when a
// run finishes, the next may start.
func (r *RobotRunReconciler) waitingRunsOfSameRobot(ctx context.Context, obj client.Object) []reconcile.Request {
	run := obj.(*rpav1alpha1.RobotRun)
	if !run.Status.Phase.Finished() {
		return nil
	}
	requests, err := r.waitingRuns(ctx, run.Namespace, run.Spec.RobotName)
	if err != nil {
		log.FromContext(ctx).Error(err, "list runs of robot", "robot", run.Spec.RobotName)
	}
	return requests
}

// waitingRunsOfRobot maps a Robot to its runs that have not started a Job.
func (r *RobotRunReconciler) waitingRunsOfRobot(ctx context.Context, obj client.Object) []reconcile.Request {
	requests, err := r.waitingRuns(ctx, obj.GetNamespace(), obj.GetName())
	if err != nil {
		log.FromContext(ctx).Error(err, "list runs of robot", "robot", obj.GetName())
	}
	return requests
}

// waitingRunsForSecret maps a Secret to the waiting runs of the Robots that
// use it.
func (r *RobotRunReconciler) waitingRunsForSecret(ctx context.Context, secret client.Object) []reconcile.Request {
	robots, err := robotsUsingSecret(ctx, r.Client, secret)
	if err != nil {
		log.FromContext(ctx).Error(err, "list robots for secret", "secret", secret.GetName())
		return nil
	}
	var requests []reconcile.Request
	for _, robot := range robots {
		runs, err := r.waitingRuns(ctx, robot.Namespace, robot.Name)
		if err != nil {
			log.FromContext(ctx).Error(err, "list runs of robot", "robot", robot.Name)
		}
		requests = append(requests, runs...)
	}
	return requests
}

// waitingRuns lists the robot's runs that have no Job yet.
func (r *RobotRunReconciler) waitingRuns(ctx context.Context, namespace, robot string) ([]reconcile.Request, error) {
	var runs rpav1alpha1.RobotRunList
	// Read only: the cache's objects need no copy.
	if err := r.List(ctx, &runs, client.InNamespace(namespace), client.MatchingFields{indexRunRobotName: robot},
		client.UnsafeDisableDeepCopy); err != nil {
		return nil, err
	}
	var requests []reconcile.Request
	for _, run := range runs.Items {
		if run.Status.JobName == "" && !run.Status.Phase.Finished() {
			requests = append(requests, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&run)})
		}
	}
	return requests, nil
}

// runsWaitingForSystem maps a TargetSystem to the runs waiting for one of
// its slots, in any namespace: a slot freed or a limit raised lets the
// first of them start.
func (r *RobotRunReconciler) runsWaitingForSystem(ctx context.Context, obj client.Object) []reconcile.Request {
	return r.runsWaitingFor(ctx, "", waitKindSystem+obj.GetName())
}

// runsWaitingForCredential maps a credential Lease (taken or given back) to
// the runs in its namespace waiting for that credential.
func (r *RobotRunReconciler) runsWaitingForCredential(ctx context.Context, obj client.Object) []reconcile.Request {
	secret, ok := obj.GetAnnotations()[annotationLeaseSecret]
	if !ok {
		return nil
	}
	return r.runsWaitingFor(ctx, obj.GetNamespace(), waitKindCredential+secret)
}

func (r *RobotRunReconciler) runsWaitingFor(ctx context.Context, namespace, what string) []reconcile.Request {
	var runs rpav1alpha1.RobotRunList
	opts := []client.ListOption{client.MatchingFields{indexRunWaitingFor: what}}
	if namespace != "" {
		opts = append(opts, client.InNamespace(namespace))
	}
	if err := r.List(ctx, &runs, opts...); err != nil {
		log.FromContext(ctx).Error(err, "list runs waiting", "for", what)
		return nil
	}
	requests := make([]reconcile.Request, 0, len(runs.Items))
	for i := range runs.Items {
		requests = append(requests, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&runs.Items[i])})
	}
	return requests
}
