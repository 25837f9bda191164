package controllers

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

// RobotReconciler keeps a Robot's status true to the world: whether its runs
// can start (and if not, what is missing), and how its runs went.
type RobotReconciler struct {
	client.Client
	// APIReader reads from the apiserver, past the cache, where a stale
	// cache could make the controller create a run twice.
	APIReader client.Reader
	Recorder  events.EventRecorder
	Clock     clock.PassiveClock
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
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile brings a Robot's schedules and status up to date: it starts the
// runs that are due, prunes run history, and reports whether runs can start
// and how they went. It requeues itself for the next scheduled time.
func (r *RobotReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	robot := &rpav1alpha1.Robot{}
	if err := r.Get(ctx, req.NamespacedName, robot); err != nil {
		if apierrors.IsNotFound(err) {
			forgetRobotMetrics(req.Namespace, req.Name)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	missing, err := missingSecrets(ctx, r.Client, robot)
	if err != nil {
		return ctrl.Result{}, err
	}
	missingSystems, err := missingTargetSystems(ctx, r.Client, robot)
	if err != nil {
		return ctrl.Result{}, err
	}
	runs, err := r.runsOf(ctx, robot)
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
	ready := readyCondition(robot.Generation, missing, schedules.problems, schedules.missingCalendars, missingSystems)
	meta.SetStatusCondition(&next.Conditions, ready)
	setRobotStalled(&next.Conditions, ready)
	summarizeRuns(next, runs, now)

	if conflict, err := r.patchStatus(ctx, robot, next); conflict || err != nil {
		return ctrl.Result{RequeueAfter: conflictRetryDelay}, err
	}
	r.recordReadyTransition(robot, ready)
	recordSuccessDue(robot, schedules.successDue)
	return ctrl.Result{RequeueAfter: schedules.requeueAfter}, nil
}

// missingSecrets returns the names of a robot's credential Secrets that do
// not exist, looked up as metadata in the cache.
func missingSecrets(ctx context.Context, c client.Reader, robot *rpav1alpha1.Robot) ([]string, error) {
	var missing []string
	for _, cred := range robot.Spec.Credentials {
		secret := &metav1.PartialObjectMetadata{}
		secret.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
		err := c.Get(ctx, types.NamespacedName{Namespace: robot.Namespace, Name: cred.SecretName}, secret)
		switch {
		case apierrors.IsNotFound(err):
			missing = append(missing, cred.SecretName)
		case err != nil:
			return nil, fmt.Errorf("look up secret %s for credential %s: %w", cred.SecretName, cred.Name, err)
		}
	}
	return missing, nil
}

// runsOf lists the robot's runs from the cache, through the robot-name
// index. The runs are the cache's own objects, not copies (a robot with a
// thousand runs is reconciled on every change of any of them): they are
// only read, never changed.
func (r *RobotReconciler) runsOf(ctx context.Context, robot *rpav1alpha1.Robot) ([]rpav1alpha1.RobotRun, error) {
	var runs rpav1alpha1.RobotRunList
	err := r.List(ctx, &runs, client.InNamespace(robot.Namespace), client.MatchingFields{indexRunRobotName: robot.Name},
		client.UnsafeDisableDeepCopy)
	if err != nil {
		return nil, fmt.Errorf("list runs of robot %s: %w", robot.Name, err)
	}
	return runs.Items, nil
}

// summarizeRuns sets activeRuns, lastRun and lastSuccessfulTime from the
// robot's runs. lastSuccessfulTime never goes back: the run that set it may
// since have been pruned from history. A run created ahead of its time
// counts from that time.
func summarizeRuns(status *rpav1alpha1.RobotStatus, runs []rpav1alpha1.RobotRun, now time.Time) {
	status.ActiveRuns = 0
	var last *rpav1alpha1.RobotRun
	for i := range runs {
		run := &runs[i]
		if notYetDue(run, now) {
			continue
		}
		if !run.Status.Phase.Finished() {
			status.ActiveRuns++
		}
		if last == nil || createdAfter(run, last) {
			last = run
		}
		if run.Status.Phase == rpav1alpha1.PhaseSucceeded && run.Status.CompletionTime != nil &&
			(status.LastSuccessfulTime == nil || status.LastSuccessfulTime.Before(run.Status.CompletionTime)) {
			status.LastSuccessfulTime = run.Status.CompletionTime.DeepCopy()
		}
	}
	if last != nil {
		status.LastRun = &rpav1alpha1.RunReference{
			Name: last.Name, Phase: last.Status.Phase, CompletionTime: last.Status.CompletionTime.DeepCopy(),
		}
		// A run the run controller has not written yet is Pending: it
		// waits to start. Saying so now spares a robot status write when
		// the run controller then writes Pending itself.
		if status.LastRun.Phase == "" {
			status.LastRun.Phase = rpav1alpha1.PhasePending
		}
	}
}

// createdAfter orders runs by creation (orderTime: a run created ahead of
// its time by that time); the name breaks ties of runs created in the same
// second.
func createdAfter(a, b *rpav1alpha1.RobotRun) bool {
	ta, tb := orderTime(a), orderTime(b)
	if !ta.Equal(tb) {
		return tb.Before(ta)
	}
	return a.Name > b.Name
}

// readyCondition says whether runs can start: an invalid schedule, a
// schedule's missing calendar, a missing credential Secret or a missing
// TargetSystem makes the robot not Ready, with every problem named in the
// message.
func readyCondition(generation int64, missingSecrets, scheduleProblems, missingCalendars, missingSystems []string) metav1.Condition {
	cond := metav1.Condition{
		Type:               rpav1alpha1.ConditionReady,
		Status:             metav1.ConditionFalse,
		ObservedGeneration: generation,
	}
	var problems []string
	if len(scheduleProblems) > 0 {
		cond.Reason = rpav1alpha1.ReasonInvalidSchedule
		problems = append(problems, invalidScheduleMessage(scheduleProblems))
	}
	if len(missingCalendars) > 0 {
		if cond.Reason == "" {
			cond.Reason = rpav1alpha1.ReasonCalendarNotFound
		}
		problems = append(problems, strings.Join(missingCalendars, "; ")+
			"; create the calendar, the schedule starts no runs until it exists")
	}
	if len(missingSecrets) > 0 {
		if cond.Reason == "" {
			cond.Reason = rpav1alpha1.ReasonCredentialsNotFound
		}
		problems = append(problems, fmt.Sprintf("credential Secret(s) %s not found in the robot's namespace; create them, runs wait until they exist",
			strings.Join(missingSecrets, ", ")))
	}
	if len(missingSystems) > 0 {
		if cond.Reason == "" {
			cond.Reason = rpav1alpha1.ReasonTargetSystemNotFound
		}
		problems = append(problems, fmt.Sprintf("TargetSystem(s) %s do not exist; create them, runs wait until they exist",
			strings.Join(missingSystems, ", ")))
	}
	if len(problems) > 0 {
		cond.Message = strings.Join(problems, ". ")
		return cond
	}
	cond.Status, cond.Reason = metav1.ConditionTrue, rpav1alpha1.ReasonReady
	cond.Message = "the robot's credentials exist and its schedules are valid; runs can start"
	return cond
}

// recordReadyTransition emits an Event when Ready changes, so that a person
// watching Events sees a credential go missing (or come back) once, not on
// every reconcile. It runs after the status write, so a write refused for a
// conflict does not emit the Event twice. A new robot that is Ready from the
// start gets no Event: that is routine, its condition says it, and a fleet
// applied at once (Argo CD syncing hundreds of robots) would otherwise
// flood the namespace's Events and the apiserver with one each.
func (r *RobotReconciler) recordReadyTransition(robot *rpav1alpha1.Robot, ready metav1.Condition) {
	old := meta.FindStatusCondition(robot.Status.Conditions, ready.Type)
	if old == nil && ready.Status == metav1.ConditionTrue {
		return
	}
	if old != nil && old.Status == ready.Status && old.Reason == ready.Reason && old.Message == ready.Message {
		return
	}
	eventType := corev1.EventTypeNormal
	if ready.Status != metav1.ConditionTrue {
		eventType = corev1.EventTypeWarning
	}
	r.Recorder.Eventf(robot, nil, eventType, ready.Reason, "Validate", "%s", ready.Message)
}

// patchStatus writes the Robot's status if it changed, with a merge patch
// that carries the resourceVersion read: the schedule fields are computed
// from the status as read, so a write based on a stale read is refused
// (conflict is true) and recomputed instead.
func (r *RobotReconciler) patchStatus(ctx context.Context, robot *rpav1alpha1.Robot, next *rpav1alpha1.RobotStatus) (conflict bool, err error) {
	if equality.Semantic.DeepEqual(&robot.Status, next) {
		return false, nil
	}
	updated := robot.DeepCopy()
	updated.Status = *next
	err = r.Status().Patch(ctx, updated, client.MergeFromWithOptions(robot, client.MergeFromWithOptimisticLock{}))
	switch {
	case apierrors.IsConflict(err):
		return true, nil
	case apierrors.IsNotFound(err):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("patch status of robot %s: %w", robot.Name, err)
	}
	log.FromContext(ctx).V(1).Info("robot status written", "activeRuns", next.ActiveRuns)
	return false, nil
}

// SetupWithManager watches Robots, their RobotRuns, the RobotCalendars
// their schedules name, and, as metadata only, the Secrets their
// credentials name.
func (r *RobotReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&rpav1alpha1.Robot{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&rpav1alpha1.RobotRun{}, runEvents()).
		WatchesMetadata(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.robotsForSecret)).
		// Only creation and deletion matter to a Robot, not slots taken.
		Watches(&rpav1alpha1.TargetSystem{}, handler.EnqueueRequestsFromMapFunc(r.robotsForTargetSystem),
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&rpav1alpha1.RobotCalendar{}, handler.EnqueueRequestsFromMapFunc(r.robotsForCalendar),
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Named("robot").
		WithOptions(controller.Options{MaxConcurrentReconciles: r.Workers}).
		Complete(r)
}

// robotsForSecret maps a Secret to the Robots whose credentials name it.
func (r *RobotReconciler) robotsForSecret(ctx context.Context, secret client.Object) []reconcile.Request {
	robots, err := robotsUsingSecret(ctx, r.Client, secret)
	if err != nil {
		log.FromContext(ctx).Error(err, "list robots for secret", "secret", secret.GetName())
		return nil
	}
	requests := make([]reconcile.Request, 0, len(robots))
	for _, robot := range robots {
		requests = append(requests, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&robot)})
	}
	return requests
}

// robotsUsingSecret lists the Robots whose credentials name the Secret.
func robotsUsingSecret(ctx context.Context, c client.Reader, secret client.Object) ([]rpav1alpha1.Robot, error) {
	var robots rpav1alpha1.RobotList
	err := c.List(ctx, &robots, client.InNamespace(secret.GetNamespace()),
		client.MatchingFields{indexRobotSecretName: secret.GetName()})
	return robots.Items, err
}
