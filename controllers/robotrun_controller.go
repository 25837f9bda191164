package controllers

import (
	"context"
	"errors"
	"fmt"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/jobs"
	"github.com/rpa-operator/rpa-operator/controllers/runstatus"
)

// conflictRetryDelay is how soon a run whose status write conflicted is
// reconciled again; the informer has the newer version by then.
const conflictRetryDelay = 200 * time.Millisecond

// RobotRunReconciler carries out RobotRuns: it checks the run can start,
// creates its Job, follows the Job and its pods, and reports the outcome in
// the run's status, once and truthfully.
type RobotRunReconciler struct {
	client.Client
	// APIReader reads from the apiserver, past the cache, where a stale
	// cache could make the controller act twice.
	APIReader client.Reader
	Recorder  events.EventRecorder
	Clock     clock.PassiveClock

	// StartDeadline is how long a run waits for a missing credential.
	StartDeadline time.Duration
	// PodStartDeadline is how long a pod may fail to start its container.
	PodStartDeadline time.Duration
	// Workers is how many runs are reconciled at once.
	Workers int

	admission robotLocks
}

// +kubebuilder:rbac:groups=rpa.dev,resources=robotruns,verbs=get;list;watch;patch;update
// +kubebuilder:rbac:groups=rpa.dev,resources=robotruns/status,verbs=get;patch;update
// +kubebuilder:rbac:groups=rpa.dev,resources=robotruns/finalizers,verbs=update
// +kubebuilder:rbac:groups=batch,resources=jobs,verbs=get;list;watch;create;delete
// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list;watch
// +kubebuilder:rbac:groups=rpa.dev,resources=targetsystems,verbs=get;list;watch
// +kubebuilder:rbac:groups=rpa.dev,resources=targetsystems/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=coordination.k8s.io,resources=leases,verbs=get;list;watch;create;update;delete

// Reconcile moves one run forward. Each step is idempotent: a restart or a
// conflict at any point leads to the same Job and the same final status.
func (r *RobotRunReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	run := &rpav1alpha1.RobotRun{}
	if err := r.Get(ctx, req.NamespacedName, run); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if run.Status.Phase.Finished() {
		return r.release(ctx, run)
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
	job, err := r.jobOf(ctx, run)
	if err != nil {
		return ctrl.Result{}, err
	}

	next := run.Status.DeepCopy()
	var requeueAfter time.Duration
	switch {
	case job != nil:
		fillFromJob(next, run, robot, job)
		requeueAfter, err = r.followJob(ctx, run, job, next)
	case run.Status.JobName != "":
		r.jobLost(run, next)
	default:
		requeueAfter, err = r.startRun(ctx, run, robot, next)
		if err == nil && jobJustCreated(run, next) {
			// Jobs first (robotrun_jobs_first.go): the Job's event brings
			// the run back to write its status.
			return statusLater(), nil
		}
	}
	if err != nil {
		return ctrl.Result{}, err
	}
	// A run created without its robot as owner (kubectl create) is adopted
	// here, after its Job: the Job is what the run waits for.
	if err := r.ensureOwnedByRobot(ctx, run, robot); apierrors.IsConflict(err) {
		return ctrl.Result{RequeueAfter: conflictRetryDelay}, nil
	} else if err != nil {
		return ctrl.Result{}, err
	}
	return r.writeStatus(ctx, run, next, requeueAfter)
}

// robotOf returns the run's Robot, or nil when it does not exist.
func (r *RobotRunReconciler) robotOf(ctx context.Context, run *rpav1alpha1.RobotRun) (*rpav1alpha1.Robot, error) {
	robot := &rpav1alpha1.Robot{}
	err := r.Get(ctx, client.ObjectKey{Namespace: run.Namespace, Name: run.Spec.RobotName}, robot)
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("get robot %s: %w", run.Spec.RobotName, err)
	}
	return robot, nil
}

// ensureOwnedByRobot makes the run a dependent of its Robot, so that
// deleting a Robot removes its history and tools show runs under robots.
func (r *RobotRunReconciler) ensureOwnedByRobot(ctx context.Context, run *rpav1alpha1.RobotRun, robot *rpav1alpha1.Robot) error {
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
func (r *RobotRunReconciler) jobOf(ctx context.Context, run *rpav1alpha1.RobotRun) (*batchv1.Job, error) {
	job := &batchv1.Job{}
	key := client.ObjectKey{Namespace: run.Namespace, Name: jobs.JobName(run.Name)}
	err := r.Get(ctx, key, job)
	if apierrors.IsNotFound(err) && run.Status.JobName != "" {
		err = r.APIReader.Get(ctx, key, job)
	}
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("get job of run %s: %w", run.Name, err)
	}
	if !metav1.IsControlledBy(job, run) {
		return nil, fmt.Errorf("job %s exists but does not belong to run %s (uid %s)", job.Name, run.Name, run.UID)
	}
	return job, nil
}

// startRun checks that the run can start and creates its Job. Problems a
// person must fix end the run or keep it waiting with a reason; they are not
// returned as errors, which would only retry the same failure.
func (r *RobotRunReconciler) startRun(ctx context.Context, run *rpav1alpha1.RobotRun, robot *rpav1alpha1.Robot,
	next *rpav1alpha1.RobotRunStatus) (time.Duration, error) {
	now := r.Clock.Now()
	robot, args, err := r.runnable(ctx, run, robot, next, now)
	if err != nil || robot == nil {
		return 0, err
	}
	if robot.Spec.ConcurrencyPolicy != rpav1alpha1.ConcurrencyAllow {
		defer r.admission.lock(run.Namespace, robot.Name)()
	}
	if waitFor, err := r.admit(ctx, run, robot); err != nil || waitFor != "" {
		queue(next, rpav1alpha1.ReasonWaitingForRun, waitFor)
		return 0, err
	}
	if waitFor, err := r.awaitCredentials(ctx, run, robot, next, now); err != nil || waitFor > 0 || next.Phase.Finished() {
		return waitFor, err
	}
	next.Priority = effectivePriority(run, robot)
	if wait, err := r.acquireSlots(ctx, run, robot, next.Priority); err != nil || wait != nil {
		return waitForSlots(next, wait, err)
	}
	if err := r.createJob(ctx, run, robot, args, next); err != nil {
		return 0, err
	}
	if next.JobName != "" {
		recordQueuedTime(run, now)
		next.WaitingFor = nil
	}
	return 0, nil
}

// runnable returns the run's robot and resolved arguments when the run may
// go on to admission. A nil robot means the run has ended or waits, as
// next now says: it was cancelled, its robot does not exist or is
// suspended, or its arguments do not fit the robot's parameters.
func (r *RobotRunReconciler) runnable(ctx context.Context, run *rpav1alpha1.RobotRun, cached *rpav1alpha1.Robot,
	next *rpav1alpha1.RobotRunStatus, now time.Time) (*rpav1alpha1.Robot, map[string]string, error) {
	if run.Spec.Cancel {
		reason, message := cancelOutcome(run, "the run was cancelled before it started")
		finish(next, rpav1alpha1.PhaseCancelled, reason, message, now)
		return nil, nil, nil
	}
	robot, args, err := r.confirmRobot(ctx, run, cached)
	switch {
	case err != nil:
		return nil, nil, err
	case robot == nil:
		finish(next, rpav1alpha1.PhaseFailed, rpav1alpha1.ReasonRobotNotFound,
			fmt.Sprintf("robot %q does not exist in namespace %s", run.Spec.RobotName, run.Namespace), now)
		return nil, nil, nil
	case args == nil:
		_, argErr := jobs.ResolveArguments(robot.Spec.Parameters, run.Spec.Arguments)
		finish(next, rpav1alpha1.PhaseFailed, rpav1alpha1.ReasonInvalidArguments, argErr.Error(), now)
		return nil, nil, nil
	}
	if robot.Spec.Suspend {
		wait(next, rpav1alpha1.ReasonRobotSuspended, "the robot is suspended; the run starts when it is resumed")
		return nil, nil, nil
	}
	return robot, args, nil
}

// waitForSlots records what the run waits for. A ledger that changed
// under it is no error: the run decides again at once.
func waitForSlots(next *rpav1alpha1.RobotRunStatus, wait *slotWait, err error) (time.Duration, error) {
	if errors.Is(err, errSlotConflict) {
		return conflictRetryDelay, nil
	}
	if err != nil {
		return 0, err
	}
	next.Phase = wait.phase
	next.WaitingFor = wait.what
	setOutcome(next, wait.reason, wait.message)
	return 0, nil
}

// release stops a finished run's Job if it is still going (the run was
// cancelled, or its pod could not start) and gives back the slots it holds;
// on every reconcile of a finished run, so that a restart between writing
// the final status and releasing loses nothing.
func (r *RobotRunReconciler) release(ctx context.Context, run *rpav1alpha1.RobotRun) (ctrl.Result, error) {
	if err := r.stopUnfinishedJob(ctx, run); err != nil {
		return ctrl.Result{}, err
	}
	if err := r.releaseSlots(ctx, run); errors.Is(err, errSlotConflict) {
		return ctrl.Result{RequeueAfter: conflictRetryDelay}, nil
	} else if err != nil {
		return ctrl.Result{}, err
	}
	return ctrl.Result{}, nil
}

// confirmRobot returns the run's robot and resolved arguments. RobotNotFound
// and InvalidArguments end a run for good, so before either is decided the
// robot is read again from the apiserver: a robot created or edited a moment
// before the run may not be in the cache yet. A nil robot means it does not
// exist; nil arguments mean they do not fit its parameters.
func (r *RobotRunReconciler) confirmRobot(ctx context.Context, run *rpav1alpha1.RobotRun,
	cached *rpav1alpha1.Robot) (*rpav1alpha1.Robot, map[string]string, error) {
	if cached != nil {
		if args, err := jobs.ResolveArguments(cached.Spec.Parameters, run.Spec.Arguments); err == nil {
			return cached, args, nil
		}
	}
	live := &rpav1alpha1.Robot{}
	err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: run.Namespace, Name: run.Spec.RobotName}, live)
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil, nil
	case err != nil:
		return nil, nil, fmt.Errorf("get robot %s: %w", run.Spec.RobotName, err)
	}
	args, err := jobs.ResolveArguments(live.Spec.Parameters, run.Spec.Arguments)
	if err != nil {
		return live, nil, nil
	}
	return live, args, nil
}

// awaitCredentials keeps the run Pending while a credential Secret is
// missing, and fails it once StartDeadline has passed since its creation.
// It returns how long until that deadline when waiting.
func (r *RobotRunReconciler) awaitCredentials(ctx context.Context, run *rpav1alpha1.RobotRun, robot *rpav1alpha1.Robot,
	next *rpav1alpha1.RobotRunStatus, now time.Time) (time.Duration, error) {
	missing, err := missingSecrets(ctx, r.Client, robot)
	if err != nil || len(missing) == 0 {
		return 0, err
	}
	msg := credentialsMessage(missing)
	remaining := orderTime(run).Add(r.StartDeadline).Sub(now)
	if remaining <= 0 {
		finish(next, rpav1alpha1.PhaseFailed, rpav1alpha1.ReasonCredentialsNotFound,
			fmt.Sprintf("%s, still after %s", msg, r.StartDeadline), now)
		return 0, nil
	}
	wait(next, rpav1alpha1.ReasonCredentialsNotFound,
		fmt.Sprintf("%s; the run starts when they exist, or fails after %s", msg, r.StartDeadline))
	return remaining, nil
}

// createJob creates the run's Job. The name is derived from the run's, so
// AlreadyExists means an earlier reconcile created it: that is success.
func (r *RobotRunReconciler) createJob(ctx context.Context, run *rpav1alpha1.RobotRun, robot *rpav1alpha1.Robot,
	args map[string]string, next *rpav1alpha1.RobotRunStatus) error {
	job, err := jobs.Build(robot, run, args)
	if err != nil {
		return fmt.Errorf("build job for run %s: %w", run.Name, err)
	}
	err = r.Create(ctx, job)
	switch {
	case apierrors.IsInvalid(err) || apierrors.IsForbidden(err):
		finish(next, rpav1alpha1.PhaseFailed, rpav1alpha1.ReasonJobRejected,
			fmt.Sprintf("the apiserver rejected the run's Job: %v", err), r.Clock.Now())
		return nil
	case err != nil && !apierrors.IsAlreadyExists(err):
		return fmt.Errorf("create job for run %s: %w", run.Name, err)
	}
	log.FromContext(ctx).Info("job created", "job", job.Name, "robotGeneration", robot.Generation)
	next.Phase, next.JobName = rpav1alpha1.PhasePending, job.Name
	next.RobotGeneration, next.Image = robot.Generation, robot.Spec.Template.Image
	setOutcome(next, rpav1alpha1.ReasonJobCreated, "the Job was created; waiting for its pod")
	return nil
}

// followJob reports the Job's progress, stops it when the run is cancelled
// or cannot start, and says when to look again if nothing else will trigger
// a reconcile.
func (r *RobotRunReconciler) followJob(ctx context.Context, run *rpav1alpha1.RobotRun, job *batchv1.Job,
	next *rpav1alpha1.RobotRunStatus) (time.Duration, error) {
	pods, err := r.podsOf(ctx, job)
	if err != nil {
		return 0, err
	}
	opts := runstatus.Options{PodStartDeadline: r.PodStartDeadline}
	obs := runstatus.Observe(job, pods, r.Clock.Now(), opts)
	applyObservation(next, obs)
	// The Job of a run that ends here (cancelled, or its pod cannot start)
	// is deleted after the final status is written (release): deleted
	// first, a conflict on the status write would leave a run whose Job
	// is gone and report JobDeleted instead of the real reason.
	if run.Spec.Cancel && !obs.Phase.Finished() {
		reason, message := cancelOutcome(run, "the run was cancelled; the robot was sent SIGTERM and its grace period")
		finish(next, rpav1alpha1.PhaseCancelled, reason, message, r.Clock.Now())
		return 0, nil
	}
	if at, ok := runstatus.NeedsRecheckAt(pods, obs, opts); ok {
		return max(at.Sub(r.Clock.Now()), time.Second), nil
	}
	return 0, nil
}

// jobLost fails a run whose Job was deleted by someone else before it
// finished: creating a second Job could run the robot twice.
func (r *RobotRunReconciler) jobLost(run *rpav1alpha1.RobotRun, next *rpav1alpha1.RobotRunStatus) {
	if run.Spec.Cancel {
		reason, message := cancelOutcome(run, "the run was cancelled")
		finish(next, rpav1alpha1.PhaseCancelled, reason, message, r.Clock.Now())
		return
	}
	finish(next, rpav1alpha1.PhaseFailed, rpav1alpha1.ReasonJobDeleted,
		fmt.Sprintf("the run's Job %s was deleted before it finished; the run is not restarted, to avoid running the robot twice", run.Status.JobName),
		r.Clock.Now())
}

// podsOf lists the Job's pods from the cache, through the owner index.
func (r *RobotRunReconciler) podsOf(ctx context.Context, job *batchv1.Job) ([]corev1.Pod, error) {
	var pods corev1.PodList
	if err := r.List(ctx, &pods, client.InNamespace(job.Namespace), client.MatchingFields{indexPodJob: job.Name}); err != nil {
		return nil, fmt.Errorf("list pods of job %s: %w", job.Name, err)
	}
	return pods.Items, nil
}

// stopUnfinishedJob deletes the run's Job unless it has completed or
// failed: those stay, with their pods, as the run's history.
func (r *RobotRunReconciler) stopUnfinishedJob(ctx context.Context, run *rpav1alpha1.RobotRun) error {
	if run.Status.JobName == "" {
		return nil
	}
	job, err := r.jobOf(ctx, run)
	if err != nil || job == nil || jobFinished(job) || job.DeletionTimestamp != nil {
		return err
	}
	log.FromContext(ctx).Info("stopping the job of a finished run", "job", job.Name, "phase", run.Status.Phase)
	return r.stopJob(ctx, job)
}

// stopJob deletes the Job; its pods are deleted gracefully (SIGTERM, then
// the grace period) by the garbage collector.
func (r *RobotRunReconciler) stopJob(ctx context.Context, job *batchv1.Job) error {
	err := r.Delete(ctx, job, client.PropagationPolicy(metav1.DeletePropagationBackground))
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete job %s: %w", job.Name, err)
	}
	return nil
}

// writeStatus patches the run's status if it changed, then emits the Event
// and metrics of a transition. The patch carries the resourceVersion read,
// so a status computed from a stale cache is refused and recomputed instead
// of being written twice.
func (r *RobotRunReconciler) writeStatus(ctx context.Context, run *rpav1alpha1.RobotRun, next *rpav1alpha1.RobotRunStatus,
	requeueAfter time.Duration) (ctrl.Result, error) {
	next.ObservedGeneration = run.Generation
	stampConditions(&run.Status, next, run.Generation, r.Clock.Now())
	setDuration(next)
	if statusEqual(&run.Status, next) {
		return ctrl.Result{RequeueAfter: requeueAfter}, nil
	}
	updated := run.DeepCopy()
	updated.Status = *next
	err := r.Status().Patch(ctx, updated, client.MergeFromWithOptions(run, client.MergeFromWithOptimisticLock{}))
	switch {
	case apierrors.IsConflict(err):
		// Someone wrote the run since it was read; recompute from fresh state.
		return ctrl.Result{RequeueAfter: conflictRetryDelay}, nil
	case apierrors.IsNotFound(err):
		return ctrl.Result{}, nil
	case err != nil:
		return ctrl.Result{}, fmt.Errorf("patch status of run %s: %w", run.Name, err)
	}
	r.recordTransition(ctx, run, updated)
	if updated.Status.Phase.Finished() {
		return r.release(ctx, updated)
	}
	return ctrl.Result{RequeueAfter: requeueAfter}, nil
}

// routineProgress reports whether a reason is a run's ordinary progress
// (its Job was created, its pod runs). Those are in the run's status
// conditions with their times, and the Job and pod have Events of their
// own; an Event each would be two more writes per run, for every robot on
// every schedule (docs/benchmarks.md). Waiting, warnings and outcomes
// still get an Event.
func routineProgress(reason string) bool {
	return reason == rpav1alpha1.ReasonJobCreated || reason == rpav1alpha1.ReasonRunning
}

// recordTransition emits an Event when the run's phase or reason changed,
// and counts the run in the metrics when it has just started or finished.
func (r *RobotRunReconciler) recordTransition(ctx context.Context, before, after *rpav1alpha1.RobotRun) {
	if after.Status.StartTime != nil && before.Status.StartTime == nil {
		recordStarted(after)
	}
	oldReason, newReason := succeededReason(&before.Status), succeededReason(&after.Status)
	if before.Status.Phase == after.Status.Phase && oldReason == newReason {
		return
	}
	log.FromContext(ctx).Info("run transition", "from", before.Status.Phase, "to", after.Status.Phase, "reason", newReason)
	if !routineProgress(newReason) {
		eventType := corev1.EventTypeNormal
		if isWarning(after.Status.Phase, newReason) {
			eventType = corev1.EventTypeWarning
		}
		r.Recorder.Eventf(after, nil, eventType, newReason, string(after.Status.Phase), "%s", after.Status.Message)
	}
	if after.Status.Phase.Finished() && !before.Status.Phase.Finished() {
		recordFinishedRun(after, newReason)
	}
}
