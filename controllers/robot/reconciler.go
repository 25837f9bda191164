// Package robot is the Robot controller: it starts the runs a Robot's
// schedules make due (creating each scheduled RobotRun, ahead of its time
// where it may), prunes run history, and keeps the Robot's status true to
// the world: whether its runs can start and how they went.
package robot

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/kube"
	"github.com/rpa-operator/rpa-operator/controllers/metrics"
	"github.com/rpa-operator/rpa-operator/controllers/refs"
)

// Reconciler reconciles Robots.
type Reconciler struct {
	client.Client
	// APIReader reads from the apiserver, past the cache, where a stale
	// cache could make the controller create a run twice.
	APIReader client.Reader
	Recorder  events.EventRecorder
	Clock     clock.PassiveClock
	Metrics   *metrics.Recorder
	// Workers is how many robots are reconciled at once; one robot is
	// never reconciled by two workers at a time.
	Workers int
	// ScheduleLead is how long before a scheduled time its run is created
	// (docs/schedules.md); zero creates runs at their time.
	ScheduleLead time.Duration
}

// Secrets are watched as metadata only: the operator needs to know that a
// credential exists, never what it holds. RBAC cannot grant list/watch on
// metadata alone, hence the verbs on secrets.
// +kubebuilder:rbac:groups=rpa.dev,resources=robots,verbs=get;list;watch
// +kubebuilder:rbac:groups=rpa.dev,resources=robots/status,verbs=get;patch;update
// +kubebuilder:rbac:groups=rpa.dev,resources=robotruns,verbs=create;delete
// Owning a run with blockOwnerDeletion needs update on the owner's
// finalizers where OwnerReferencesPermissionEnforcement is on.
// +kubebuilder:rbac:groups=rpa.dev,resources=robots/finalizers,verbs=update
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile brings a Robot's schedules and status up to date: it starts the
// runs that are due, prunes run history, and reports whether runs can start
// and how they went. It requeues itself for the next scheduled time.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	robot := &rpav1alpha1.Robot{}
	if err := r.Get(ctx, req.NamespacedName, robot); err != nil {
		if apierrors.IsNotFound(err) {
			r.Metrics.ForgetRobot(req.Namespace, req.Name)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	missingSystems, systemsNotAllowed, err := refs.UnusableTargetSystems(ctx, r.Client, robot)
	if err != nil {
		return ctrl.Result{}, err
	}
	runs, err := refs.RunsOfRobot(ctx, r.Client, robot.Namespace, robot.Name)
	if err != nil {
		return ctrl.Result{}, err
	}
	next := robot.Status.DeepCopy()
	next.ObservedGeneration = robot.Generation
	// The success a run just reported counts before the schedules compute
	// when the next one is due.
	now := r.Clock.Now()
	summarizeRuns(next, runs, now)
	schedules, err := r.reconcileSchedules(ctx, robot, runs, next)
	if err != nil {
		return ctrl.Result{}, err
	}
	runs = append(runs, schedules.created...)
	runs = r.pruneHistory(ctx, robot, runs)
	ready := readyCondition(robot.Generation, problems{
		secrets: runsWaitingForSecrets(runs), schedules: schedules.problems, calendars: schedules.missingCalendars, systems: missingSystems,
		systemsNotAllowed: systemsNotAllowed,
		conflicts:         schedules.conflicts,
	})
	meta.SetStatusCondition(&next.Conditions, ready)
	setStalled(&next.Conditions, ready)
	summarizeRuns(next, runs, now)

	if written, err := r.writeStatus(ctx, robot, next); !written || err != nil {
		return ctrl.Result{RequeueAfter: kube.ConflictRetryDelay}, err
	}
	kube.RecordReadyTransition(r.Recorder, robot, robot.Status.Conditions, ready)
	r.Metrics.SuccessDue(robot, schedules.successDue)
	return ctrl.Result{RequeueAfter: schedules.requeueAfter}, nil
}

// writeStatus writes the Robot's status if it changed; written is also
// true when nothing needed writing. The schedule fields are computed from
// the status as read, so a write based on a stale read is refused and
// recomputed.
func (r *Reconciler) writeStatus(ctx context.Context, robot *rpav1alpha1.Robot, next *rpav1alpha1.RobotStatus) (written bool, err error) {
	if equality.Semantic.DeepEqual(&robot.Status, next) {
		return true, nil
	}
	updated := robot.DeepCopy()
	updated.Status = *next
	if written, err = kube.PatchStatus(ctx, r.Client, robot, updated); written {
		log.FromContext(ctx).V(1).Info("robot status written", "activeRuns", next.ActiveRuns)
	}
	return written, err
}
