package controllers

import (
	"context"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
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
// Secrets (a missing one appearing).
func (r *RobotRunReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&rpav1alpha1.RobotRun{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Owns(&batchv1.Job{}).
		Watches(&corev1.Pod{}, handler.EnqueueRequestsFromMapFunc(r.runsForPod)).
		Watches(&rpav1alpha1.RobotRun{}, handler.EnqueueRequestsFromMapFunc(r.waitingRunsOfSameRobot)).
		Watches(&rpav1alpha1.Robot{}, handler.EnqueueRequestsFromMapFunc(r.waitingRunsOfRobot)).
		WatchesMetadata(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.waitingRunsForSecret)).
		Named("robotrun").
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
	waiting, err := r.waitingRuns(ctx, obj.GetNamespace(), obj.GetLabels()[jobs.LabelRobot])
	if err != nil {
		log.FromContext(ctx).Error(err, "list runs of robot", "robot", obj.GetLabels()[jobs.LabelRobot])
	}
	return append(waiting, own)
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
	if err := r.List(ctx, &runs, client.InNamespace(namespace), client.MatchingFields{indexRunRobotName: robot}); err != nil {
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
