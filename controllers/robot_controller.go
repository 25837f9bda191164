package controllers

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

// RobotReconciler keeps a Robot's status true to the world: whether its runs
// can start, and if not, what is missing.
type RobotReconciler struct {
	client.Client
	Recorder events.EventRecorder
}

// Secrets are watched as metadata only: the operator needs to know that a
// credential exists, never what it holds. RBAC cannot grant list/watch on
// metadata alone, hence the verbs on secrets.
// +kubebuilder:rbac:groups=rpa.dev,resources=robots,verbs=get;list;watch
// +kubebuilder:rbac:groups=rpa.dev,resources=robots/status,verbs=get;patch;update
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile computes the Robot's Ready condition from the credential Secrets
// that exist and writes it to status.
func (r *RobotReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	robot := &rpav1alpha1.Robot{}
	if err := r.Get(ctx, req.NamespacedName, robot); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	missing, err := r.missingSecrets(ctx, robot)
	if err != nil {
		return ctrl.Result{}, err
	}
	ready := readyCondition(robot.Generation, missing)
	r.recordReadyTransition(robot, ready)
	return ctrl.Result{}, r.patchStatus(ctx, robot, ready)
}

// missingSecrets returns the names of credential Secrets that do not exist.
func (r *RobotReconciler) missingSecrets(ctx context.Context, robot *rpav1alpha1.Robot) ([]string, error) {
	var missing []string
	for _, cred := range robot.Spec.Credentials {
		secret := &metav1.PartialObjectMetadata{}
		secret.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
		err := r.Get(ctx, types.NamespacedName{Namespace: robot.Namespace, Name: cred.SecretName}, secret)
		switch {
		case apierrors.IsNotFound(err):
			missing = append(missing, cred.SecretName)
		case err != nil:
			return nil, fmt.Errorf("look up secret %s for credential %s: %w", cred.SecretName, cred.Name, err)
		}
	}
	return missing, nil
}

// readyCondition says whether runs can start given the missing Secrets.
func readyCondition(generation int64, missingSecrets []string) metav1.Condition {
	if len(missingSecrets) > 0 {
		return metav1.Condition{
			Type:               rpav1alpha1.ConditionReady,
			Status:             metav1.ConditionFalse,
			ObservedGeneration: generation,
			Reason:             rpav1alpha1.ReasonCredentialsNotFound,
			Message: fmt.Sprintf("credential Secret(s) %s not found in the robot's namespace; create them, runs wait until they exist",
				strings.Join(missingSecrets, ", ")),
		}
	}
	return metav1.Condition{
		Type:               rpav1alpha1.ConditionReady,
		Status:             metav1.ConditionTrue,
		ObservedGeneration: generation,
		Reason:             rpav1alpha1.ReasonReady,
		Message:            "the robot's credentials exist; runs can start",
	}
}

// recordReadyTransition emits an Event when Ready changes, so that a person
// watching Events sees a credential go missing (or come back) once, not on
// every reconcile.
func (r *RobotReconciler) recordReadyTransition(robot *rpav1alpha1.Robot, ready metav1.Condition) {
	old := meta.FindStatusCondition(robot.Status.Conditions, ready.Type)
	if old != nil && old.Status == ready.Status && old.Reason == ready.Reason && old.Message == ready.Message {
		return
	}
	eventType := corev1.EventTypeNormal
	if ready.Status != metav1.ConditionTrue {
		eventType = corev1.EventTypeWarning
	}
	r.Recorder.Eventf(robot, nil, eventType, ready.Reason, "Validate", "%s", ready.Message)
}

// patchStatus writes the Robot's status with a merge patch computed from the
// object as read, so that a concurrent writer's fields are not overwritten.
func (r *RobotReconciler) patchStatus(ctx context.Context, robot *rpav1alpha1.Robot, ready metav1.Condition) error {
	base := robot.DeepCopy()
	meta.SetStatusCondition(&robot.Status.Conditions, ready)
	robot.Status.ObservedGeneration = robot.Generation
	if err := r.Status().Patch(ctx, robot, client.MergeFrom(base)); err != nil {
		return fmt.Errorf("patch status of robot %s: %w", robot.Name, err)
	}
	log.FromContext(ctx).V(1).Info("robot status written", "ready", ready.Status, "reason", ready.Reason)
	return nil
}

// SetupWithManager watches Robots and, as metadata only, the Secrets their
// credentials name.
func (r *RobotReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&rpav1alpha1.Robot{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		WatchesMetadata(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.robotsForSecret)).
		Named("robot").
		Complete(r)
}

// robotsForSecret maps a Secret to the Robots whose credentials name it.
func (r *RobotReconciler) robotsForSecret(ctx context.Context, secret client.Object) []reconcile.Request {
	var robots rpav1alpha1.RobotList
	err := r.List(ctx, &robots, client.InNamespace(secret.GetNamespace()),
		client.MatchingFields{indexRobotSecretName: secret.GetName()})
	if err != nil {
		log.FromContext(ctx).Error(err, "list robots for secret", "secret", secret.GetName())
		return nil
	}
	requests := make([]reconcile.Request, 0, len(robots.Items))
	for _, robot := range robots.Items {
		requests = append(requests, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&robot)})
	}
	return requests
}
