// Package robotrun is the RobotRun controller: it carries out a run once
// admission lets it start, creates its Job, follows the Job and its pods,
// and reports the outcome in the run's status, once and truthfully.
package robotrun

import (
	"context"
	"errors"
	"fmt"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/admission"
	"github.com/rpa-operator/rpa-operator/controllers/jobs"
	"github.com/rpa-operator/rpa-operator/controllers/kube"
	"github.com/rpa-operator/rpa-operator/controllers/metrics"
)

// Reconciler reconciles RobotRuns.
type Reconciler struct {
	client.Client
	// APIReader reads from the apiserver, past the cache, where a stale
	// cache could make the controller act twice.
	APIReader client.Reader
	Recorder  events.EventRecorder
	Clock     clock.PassiveClock
	Metrics   *metrics.Recorder
	// Admission decides whether a run may start now.
	Admission *admission.Admitter

	// PodStartDeadline is how long a pod may fail to start its container.
	PodStartDeadline time.Duration
	// CredentialWait is how long a pod may wait for a missing Secret.
	CredentialWait time.Duration
	// OrphanRunTTL is how long a finished run of a Robot that does not
	// exist is kept: no Robot's history limits prune it.
	OrphanRunTTL time.Duration
	// Workers is how many runs are reconciled at once.
	Workers int
}

// +kubebuilder:rbac:groups=rpa.dev,resources=robotruns,verbs=get;list;watch;patch;update;delete
// +kubebuilder:rbac:groups=rpa.dev,resources=robotruns/status,verbs=get;patch;update
// +kubebuilder:rbac:groups=rpa.dev,resources=robotruns/finalizers,verbs=update
// +kubebuilder:rbac:groups=batch,resources=jobs,verbs=get;list;watch;create;delete
// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=events,verbs=list
// +kubebuilder:rbac:groups=rpa.dev,resources=targetsystems,verbs=get;list;watch
// +kubebuilder:rbac:groups=rpa.dev,resources=targetsystems/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=coordination.k8s.io,resources=leases,verbs=get;list;watch;create;update;delete

// Reconcile moves one run forward. Each step is idempotent: a restart or a
// conflict at any point leads to the same Job and the same final status.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	run := &rpav1alpha1.RobotRun{}
	if err := r.Get(ctx, req.NamespacedName, run); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if run.Status.Phase.Finished() {
		return r.finished(ctx, run)
	}
	if run.DeletionTimestamp != nil {
		return r.deletedBeforeFinishing(ctx, run)
	}
	if wait := untilDue(run, r.Clock.Now()); wait > 0 {
		return ctrl.Result{RequeueAfter: wait}, nil
	}
	robot, err := r.robotOf(ctx, run)
	if err != nil {
		return ctrl.Result{}, err
	}
	if withdrawn, err := r.withdrawIfUnwanted(ctx, run, robot); err != nil || withdrawn {
		return ctrl.Result{}, err
	}
	next := run.Status.DeepCopy()
	requeueAfter, started, err := r.advance(ctx, run, robot, next)
	var taken errJobNameTaken
	switch {
	case errors.As(err, &taken):
		return r.waitForJobName(ctx, run, taken)
	case err != nil:
		return ctrl.Result{}, err
	case started && jobJustCreated(run, next):
		// Jobs first (job_events.go): the Job's event brings the run back
		// to write its status.
		return statusLater(), nil
	}
	// A run created without its robot as owner (kubectl create) is adopted
	// here, after its Job: the Job is what the run waits for.
	if err := r.ensureOwnedByRobot(ctx, run, robot); apierrors.IsConflict(err) {
		return ctrl.Result{RequeueAfter: kube.ConflictRetryDelay}, nil
	} else if err != nil {
		return ctrl.Result{}, err
	}
	return r.writeStatus(ctx, run, next, requeueAfter)
}

// advance computes the run's next status from its Job: it follows the Job
// that exists, fails a run whose Job was lost, or starts the run (started
// is true then).
func (r *Reconciler) advance(ctx context.Context, run *rpav1alpha1.RobotRun, robot *rpav1alpha1.Robot,
	next *rpav1alpha1.RobotRunStatus) (requeueAfter time.Duration, started bool, err error) {
	job, err := r.jobOf(ctx, run)
	switch {
	case err != nil:
		return 0, false, err
	case job != nil:
		fillFromJob(next, run, robot, job)
		requeueAfter, err = r.followJob(ctx, run, job, next)
		return requeueAfter, false, err
	case run.Status.JobName != "":
		r.jobLost(run, next)
		return 0, false, nil
	default:
		requeueAfter, err = r.startRun(ctx, run, robot, next)
		return requeueAfter, true, err
	}
}

// robotOf returns the run's Robot, or nil when it does not exist.
func (r *Reconciler) robotOf(ctx context.Context, run *rpav1alpha1.RobotRun) (*rpav1alpha1.Robot, error) {
	robot := &rpav1alpha1.Robot{}
	found, err := kube.GetConfirmed(ctx, r.Client, nil, client.ObjectKey{Namespace: run.Namespace, Name: run.Spec.RobotName}, robot)
	if err != nil || !found {
		return nil, err
	}
	return robot, nil
}

// ensureOwnedByRobot makes the run a dependent of its Robot, so that
// deleting a Robot removes its history and tools show runs under robots.
func (r *Reconciler) ensureOwnedByRobot(ctx context.Context, run *rpav1alpha1.RobotRun, robot *rpav1alpha1.Robot) error {
	if robot == nil {
		return nil
	}
	for _, ref := range run.OwnerReferences {
		if ref.UID == robot.UID {
			return nil
		}
	}
	base := run.DeepCopy()
	if err := controllerutil.SetOwnerReference(robot, run, r.Scheme()); err != nil {
		return fmt.Errorf("set owner of run %s: %w", run.Name, err)
	}
	if err := r.Patch(ctx, run, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("set owner of run %s: %w", run.Name, err)
	}
	log.FromContext(ctx).V(1).Info("run now owned by its robot")
	return nil
}

// jobOf returns the run's Job, or nil when it does not exist. When the run
// says it has a Job and the cache does not have it, the apiserver is asked:
// the cache may simply lag behind a Job created a moment ago.
func (r *Reconciler) jobOf(ctx context.Context, run *rpav1alpha1.RobotRun) (*batchv1.Job, error) {
	var confirm client.Reader
	name := jobs.JobName(run.Name)
	if run.Status.JobName != "" {
		// The recorded name, not a recomputed one: a run started by an
		// operator version that shortened names differently keeps its Job.
		confirm, name = r.APIReader, run.Status.JobName
	}
	job := &batchv1.Job{}
	found, err := kube.GetConfirmed(ctx, r.Client, confirm, client.ObjectKey{Namespace: run.Namespace, Name: name}, job)
	if err != nil || !found {
		return nil, err
	}
	if !metav1.IsControlledBy(job, run) {
		return nil, errJobNameTaken{job: job.Name}
	}
	return job, nil
}

// errJobNameTaken: a Job the run does not control has its Job's name.
type errJobNameTaken struct{ job string }

func (e errJobNameTaken) Error() string {
	return fmt.Sprintf("Job %s exists but does not belong to this run", e.job)
}

// jobNameRecheck is how often a run whose Job name is taken looks again:
// the foreign Job's deletion is no event of the run's.
const jobNameRecheck = 10 * time.Second

// waitForJobName keeps a run Pending, with a reason a person can act on,
// while a Job it does not own holds its Job's name: creating another Job
// is impossible, and adopting that one could run someone else's pod.
func (r *Reconciler) waitForJobName(ctx context.Context, run *rpav1alpha1.RobotRun, taken errJobNameTaken) (ctrl.Result, error) {
	next := run.Status.DeepCopy()
	next.Phase = rpav1alpha1.PhasePending
	setOutcome(next, rpav1alpha1.ReasonJobNameTaken, fmt.Sprintf("%s; delete that Job and the run starts", taken.Error()))
	return r.writeStatus(ctx, run, next, jobNameRecheck)
}

// deletedBeforeFinishing ends a run that was deleted while it waited or
// ran and that a finalizer keeps (the run record's): it must not start
// now, and its Job stops, as it would have with the run gone.
func (r *Reconciler) deletedBeforeFinishing(ctx context.Context, run *rpav1alpha1.RobotRun) (ctrl.Result, error) {
	next := run.Status.DeepCopy()
	finish(next, rpav1alpha1.PhaseCancelled, rpav1alpha1.ReasonRunDeleted,
		"the run was deleted before it finished (it or its Robot); it was stopped, and is kept until it is recorded", r.Clock.Now())
	return r.writeStatus(ctx, run, next, 0)
}

// finished releases what a finished run holds and prunes it when its
// Robot does not exist and OrphanRunTTL has passed since it finished. A
// Robot's own runs are pruned by the Robot controller (history limits),
// and deleted with it.
func (r *Reconciler) finished(ctx context.Context, run *rpav1alpha1.RobotRun) (ctrl.Result, error) {
	result, err := r.release(ctx, run)
	if err != nil || result.RequeueAfter > 0 {
		return result, err
	}
	robot, err := r.robotOf(ctx, run)
	if err != nil || robot != nil || run.Status.CompletionTime == nil {
		return ctrl.Result{}, err
	}
	if keep := run.Status.CompletionTime.Add(r.OrphanRunTTL).Sub(r.Clock.Now()); keep > 0 {
		return ctrl.Result{RequeueAfter: keep}, nil
	}
	err = r.Delete(ctx, run, client.PropagationPolicy(metav1.DeletePropagationBackground), client.Preconditions{UID: &run.UID})
	if client.IgnoreNotFound(err) != nil {
		return ctrl.Result{}, fmt.Errorf("prune run %s of a robot that does not exist: %w", run.Name, err)
	}
	log.FromContext(ctx).Info("pruned a finished run whose robot does not exist", "robot", run.Spec.RobotName)
	return ctrl.Result{}, nil
}

// release stops a finished run's Job if it is still going (the run was
// cancelled, or its pod could not start) and gives back what it holds once
// its pods have stopped;
// on every reconcile of a finished run, so that a restart between writing
// the final status and releasing loses nothing.
func (r *Reconciler) release(ctx context.Context, run *rpav1alpha1.RobotRun) (ctrl.Result, error) {
	if err := r.stopUnfinishedJob(ctx, run); err != nil {
		return ctrl.Result{}, err
	}
	requeueAfter, err := r.Admission.Release(ctx, run)
	return ctrl.Result{RequeueAfter: requeueAfter}, err
}

// writeStatus patches the run's status if it changed, then emits the Event
// and metrics of a transition. A status computed from a stale cache is
// refused and recomputed instead of being written twice.
func (r *Reconciler) writeStatus(ctx context.Context, run *rpav1alpha1.RobotRun, next *rpav1alpha1.RobotRunStatus,
	requeueAfter time.Duration) (ctrl.Result, error) {
	next.ObservedGeneration = run.Generation
	stampConditions(&run.Status, next, run.Generation, r.Clock.Now())
	setDuration(next)
	if equality.Semantic.DeepEqual(&run.Status, next) {
		return ctrl.Result{RequeueAfter: requeueAfter}, nil
	}
	updated := run.DeepCopy()
	updated.Status = *next
	if written, err := kube.PatchStatus(ctx, r.Client, run, updated); !written || err != nil {
		return ctrl.Result{RequeueAfter: kube.ConflictRetryDelay}, err
	}
	r.recordTransition(ctx, run, updated)
	if updated.Status.Phase.Finished() {
		return r.release(ctx, updated)
	}
	return ctrl.Result{RequeueAfter: requeueAfter}, nil
}
