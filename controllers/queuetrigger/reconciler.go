package queuetrigger

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/kube"
	"github.com/rpa-operator/rpa-operator/controllers/refs"
)

// Reconciler starts runs for WorkQueues with a trigger.
type Reconciler struct {
	client.Client
	Recorder events.EventRecorder
	Clock    clock.PassiveClock

	// created remembers the runs this manager created that its cache may
	// not show yet, so that a reconcile right after another does not start
	// the same runs again.
	created expectations
}

// +kubebuilder:rbac:groups=rpa.dev,resources=workqueues,verbs=get;list;watch
// +kubebuilder:rbac:groups=rpa.dev,resources=workqueues/status,verbs=get;patch;update
// +kubebuilder:rbac:groups=rpa.dev,resources=robotruns,verbs=create
// +kubebuilder:rbac:groups=rpa.dev,resources=robotcalendars,verbs=get;list;watch

// Reconcile starts the runs the queue's waiting items call for and
// reports the trigger's state in the queue's status.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	wq := &rpav1alpha1.WorkQueue{}
	if err := r.Get(ctx, req.NamespacedName, wq); err != nil {
		r.created.forget(req.NamespacedName)
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if wq.Spec.Trigger == nil {
		return ctrl.Result{}, r.writeStatus(ctx, wq, 0, nil)
	}
	robot, err := r.robotOf(ctx, wq)
	if err != nil {
		return ctrl.Result{}, err
	}
	active, err := r.activeRuns(ctx, wq)
	if err != nil {
		return ctrl.Result{}, err
	}
	gate, reopens, err := r.calendarGate(ctx, wq)
	if err != nil {
		return ctrl.Result{}, err
	}
	p := planRuns(wq, robot, active)
	if gate != nil {
		p = plan{triggering: *gate}
	}
	for range p.start {
		if err := r.startRun(ctx, wq, robot); err != nil {
			return ctrl.Result{}, err
		}
		active++
	}
	if err := r.writeStatus(ctx, wq, active, &p.triggering); err != nil {
		return ctrl.Result{}, err
	}
	// Runs already created but not yet seen: look again once the cache
	// has caught up, should no event come.
	if r.created.pending(req.NamespacedName) > 0 {
		return ctrl.Result{RequeueAfter: time.Second}, nil
	}
	return ctrl.Result{RequeueAfter: reopens}, nil
}

// calendarGate keeps the trigger from starting runs while the queue's
// calendar is closed, or missing or invalid (then it says so). reopens is
// how soon to look again: the next midnight in the calendar's zone.
func (r *Reconciler) calendarGate(ctx context.Context, wq *rpav1alpha1.WorkQueue) (*metav1.Condition, time.Duration, error) {
	if wq.Spec.Calendar == "" {
		return nil, 0, nil
	}
	blocked := func(reason, message string) *metav1.Condition {
		c := condition(wq, metav1.ConditionFalse, reason, message)
		return &c
	}
	cal, missing, invalid, err := refs.Calendar(ctx, r.Client, wq.Namespace, wq.Spec.Calendar)
	switch {
	case err != nil:
		return nil, 0, err
	case missing:
		return blocked(rpav1alpha1.ReasonCalendarNotFound, fmt.Sprintf(
			"calendar %q does not exist in this namespace; no runs are started until it does: create it or fix spec.calendar", wq.Spec.Calendar)), 0, nil
	case invalid != nil:
		return blocked(rpav1alpha1.ReasonInvalidCalendar, fmt.Sprintf(
			"calendar %s is invalid (%v); no runs are started until it is fixed", wq.Spec.Calendar, invalid)), 0, nil
	}
	now := r.Clock.Now()
	local := now.In(cal.Location())
	midnight := time.Date(local.Year(), local.Month(), local.Day()+1, 0, 0, 0, 0, cal.Location())
	if reason := cal.ClosedReason(local.Date()); reason != "" {
		return blocked(rpav1alpha1.ReasonCalendarClosed, fmt.Sprintf(
			"calendar %s is closed today (%s); runs start again on its next open day", wq.Spec.Calendar, reason)), midnight.Sub(now), nil
	}
	return nil, midnight.Sub(now), nil
}

func (r *Reconciler) robotOf(ctx context.Context, wq *rpav1alpha1.WorkQueue) (*rpav1alpha1.Robot, error) {
	robot := &rpav1alpha1.Robot{}
	err := r.Get(ctx, client.ObjectKey{Namespace: wq.Namespace, Name: wq.Spec.Trigger.RobotName}, robot)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read robot %s: %w", wq.Spec.Trigger.RobotName, err)
	}
	return robot, nil
}

// activeRuns counts the trigger's runs that have not finished: those in
// the cache, and those created since that the cache does not show yet.
func (r *Reconciler) activeRuns(ctx context.Context, wq *rpav1alpha1.WorkQueue) (int, error) {
	runs, err := refs.RunsOfRobot(ctx, r.Client, wq.Namespace, wq.Spec.Trigger.RobotName)
	if err != nil {
		return 0, err
	}
	key := client.ObjectKeyFromObject(wq)
	seen := map[string]bool{}
	active := 0
	for i := range runs {
		run := &runs[i]
		if run.Spec.Trigger.Type != rpav1alpha1.TriggerQueue || run.Spec.Trigger.Queue != wq.Name {
			continue
		}
		seen[run.Name] = true
		if !run.Status.Phase.Finished() {
			active++
		}
	}
	return active + r.created.unseen(key, seen, r.Clock.Now()), nil
}

// startRun creates one run of the robot for the queue, owned by the robot
// (deleted with it, pruned by its history limits).
func (r *Reconciler) startRun(ctx context.Context, wq *rpav1alpha1.WorkQueue, robot *rpav1alpha1.Robot) error {
	run := &rpav1alpha1.RobotRun{
		ObjectMeta: metav1.ObjectMeta{
			Namespace:    wq.Namespace,
			GenerateName: runNamePrefix(wq.Name),
			Labels:       map[string]string{rpav1alpha1.LabelRobot: robot.Name, rpav1alpha1.LabelQueue: wq.Name},
		},
		Spec: rpav1alpha1.RobotRunSpec{
			RobotName: robot.Name,
			Arguments: wq.Spec.Trigger.Arguments,
			Trigger:   rpav1alpha1.Trigger{Type: rpav1alpha1.TriggerQueue, Queue: wq.Name},
		},
	}
	if err := controllerutil.SetControllerReference(robot, run, r.Scheme()); err != nil {
		return err
	}
	if err := r.Create(ctx, run); err != nil {
		return fmt.Errorf("start a run of robot %s for queue %s: %w", robot.Name, wq.Name, err)
	}
	r.created.add(client.ObjectKeyFromObject(wq), run.Name, r.Clock.Now())
	log.FromContext(ctx).Info("started a run for waiting items", "run", run.Name, "robot", robot.Name, "waiting", wq.Status.Items.New)
	r.Recorder.Eventf(wq, run, corev1.EventTypeNormal, "RunStarted", "Start",
		"started run %s of robot %s: %d items wait", run.Name, robot.Name, wq.Status.Items.New)
	return nil
}

// runNamePrefix keeps generated names within a DNS label's 63 characters.
func runNamePrefix(queue string) string {
	const most = 63 - 6 // GenerateName adds five characters
	if len(queue) > most-1 {
		queue = queue[:most-1]
	}
	return queue + "-"
}

// writeStatus records the trigger's runs and condition; an Event marks a
// trigger that stopped being able to start runs.
func (r *Reconciler) writeStatus(ctx context.Context, wq *rpav1alpha1.WorkQueue, active int, triggering *metav1.Condition) error {
	next := wq.DeepCopy()
	next.Status.TriggeredRuns = int32(active)
	if triggering == nil {
		meta.RemoveStatusCondition(&next.Status.Conditions, rpav1alpha1.ConditionTriggering)
	} else {
		meta.SetStatusCondition(&next.Status.Conditions, *triggering)
	}
	before := meta.FindStatusCondition(wq.Status.Conditions, rpav1alpha1.ConditionTriggering)
	if next.Status.TriggeredRuns == wq.Status.TriggeredRuns && sameCondition(before, triggering) {
		return nil
	}
	if _, err := kube.PatchStatus(ctx, r.Client, wq, next); err != nil {
		return err
	}
	if triggering != nil && triggering.Status == metav1.ConditionFalse && triggering.Reason != rpav1alpha1.ReasonCalendarClosed &&
		!sameCondition(before, triggering) {
		r.Recorder.Eventf(wq, nil, corev1.EventTypeWarning, triggering.Reason, "Trigger", "%s", triggering.Message)
	}
	return nil
}

func sameCondition(a, b *metav1.Condition) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Status == b.Status && a.Reason == b.Reason && a.Message == b.Message && a.ObservedGeneration == b.ObservedGeneration
}

// expectations are the runs created per queue that the cache may not
// show yet; an entry is dropped once the cache shows the run, or after
// expectationTTL (the run was deleted before the cache saw it).
type expectations struct {
	mu   sync.Mutex
	runs map[types.NamespacedName]map[string]time.Time
}

const expectationTTL = time.Minute

func (e *expectations) add(queue types.NamespacedName, run string, now time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.runs == nil {
		e.runs = map[types.NamespacedName]map[string]time.Time{}
	}
	if e.runs[queue] == nil {
		e.runs[queue] = map[string]time.Time{}
	}
	e.runs[queue][run] = now
}

// unseen counts the queue's created runs the cache does not show yet, and
// forgets those it does.
func (e *expectations) unseen(queue types.NamespacedName, seen map[string]bool, now time.Time) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for run, at := range e.runs[queue] {
		if seen[run] || now.Sub(at) > expectationTTL {
			delete(e.runs[queue], run)
			continue
		}
		n++
	}
	return n
}

func (e *expectations) pending(queue types.NamespacedName) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.runs[queue])
}

func (e *expectations) forget(queue types.NamespacedName) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.runs, queue)
}
