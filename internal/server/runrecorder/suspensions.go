package runrecorder

import (
	"context"
	"fmt"
	"strings"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/internal/runrecord/store"
)

// RobotChanges is what the suspension recorder needs of the store.
type RobotChanges interface {
	NoteRobotState(ctx context.Context, c store.RobotChange) (added bool, err error)
}

// maxActorBytes bounds who a change names.
const maxActorBytes = 1024

// SuspensionRecorder writes each suspension and resumption of a Robot
// into the records, with who made it (the stamps of the admission policy
// rpa-robot-suspender) and when rpa-server saw it. A change made and
// undone while rpa-server was down is not seen: kube-apiserver's audit
// log has every request.
type SuspensionRecorder struct {
	client.Client
	Changes RobotChanges
}

// +kubebuilder:rbac:groups=rpa.dev,resources=robots,verbs=get;list;watch

// Reconcile notes the Robot's current state.
func (r *SuspensionRecorder) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	robot := &rpav1alpha1.Robot{}
	if err := r.Get(ctx, req.NamespacedName, robot); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	added, err := r.Changes.NoteRobotState(ctx, changeOf(robot))
	if err != nil {
		return ctrl.Result{RequeueAfter: retryAfter}, fmt.Errorf("record the suspension state of robot %s: %w", robot.Name, err)
	}
	if added {
		log.FromContext(ctx).Info("recorded a robot's suspension state", "suspended", robot.Spec.Suspend)
	}
	return ctrl.Result{}, nil
}

// changeOf is the Robot's state as a change: suspended by the one who
// suspended it, or resumed by the one who resumed it.
func changeOf(robot *rpav1alpha1.Robot) store.RobotChange {
	c := store.RobotChange{Namespace: robot.Namespace, Robot: robot.Name, RobotUID: string(robot.UID), Generation: robot.Generation,
		Action: store.ActionResume, Actor: robot.Annotations[rpav1alpha1.AnnotationResumedBy]}
	if robot.Spec.Suspend {
		c.Action, c.Actor = store.ActionSuspend, robot.Annotations[rpav1alpha1.AnnotationSuspendedBy]
	}
	// Stamped by an admission policy, but an annotation all the same:
	// kept within a requester's length (the CRD's for spec.requestedBy).
	if len(c.Actor) > maxActorBytes {
		c.Actor = strings.ToValidUTF8(c.Actor[:maxActorBytes], "")
	}
	return c
}

// SetupWithManager watches Robots for changes of spec (suspend is one)
// and of the stamps.
func (r *SuspensionRecorder) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named("suspensions").
		For(&rpav1alpha1.Robot{}, builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}))).
		Complete(r)
}
