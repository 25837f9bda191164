package controllers

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/schedule"
)

// nextClosedDatesShown is how many coming closed dates a calendar's status lists.
const nextClosedDatesShown = 10

// RobotCalendarReconciler shows in a RobotCalendar's status whether it is
// valid and which days it closes next, so people can check it.
type RobotCalendarReconciler struct {
	client.Client
	Recorder events.EventRecorder
	Clock    clock.PassiveClock
}

// +kubebuilder:rbac:groups=rpa.dev,resources=robotcalendars,verbs=get;list;watch
// +kubebuilder:rbac:groups=rpa.dev,resources=robotcalendars/status,verbs=get;patch;update

// Reconcile recomputes the calendar's status and requeues itself for the
// next midnight in the calendar's zone, when the list moves on a day.
func (r *RobotCalendarReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	cal := &rpav1alpha1.RobotCalendar{}
	if err := r.Get(ctx, req.NamespacedName, cal); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	now := r.Clock.Now()
	next := cal.Status.DeepCopy()
	next.ObservedGeneration = cal.Generation
	compiled, err := CompileCalendar(cal)
	ready := metav1.Condition{Type: rpav1alpha1.ConditionReady, ObservedGeneration: cal.Generation}
	var requeue time.Duration
	if err != nil {
		ready.Status, ready.Reason = metav1.ConditionFalse, rpav1alpha1.ReasonInvalidCalendar
		ready.Message = err.Error() + "; schedules using this calendar start no runs until it is fixed"
		next.NextClosedDates = nil
	} else {
		ready.Status, ready.Reason = metav1.ConditionTrue, rpav1alpha1.ReasonReady
		ready.Message = "the calendar is valid"
		next.NextClosedDates = closedDates(compiled.NextClosed(now, nextClosedDatesShown))
		requeue = untilNextMidnight(now, compiled.Location())
	}
	r.recordTransition(cal, ready)
	meta.SetStatusCondition(&next.Conditions, ready)
	if conflict, err := r.patchStatus(ctx, cal, next); conflict || err != nil {
		return ctrl.Result{RequeueAfter: conflictRetryDelay}, err
	}
	return ctrl.Result{RequeueAfter: requeue}, nil
}

// CompileCalendar turns a RobotCalendar into the schedule package's Calendar
// (also for kubectl robot next),
// checking what the CRD schema cannot (a 30 February, an unknown zone).
func CompileCalendar(cal *rpav1alpha1.RobotCalendar) (*schedule.Calendar, error) {
	spec := schedule.CalendarSpec{
		TimeZone:    cal.Spec.TimeZone,
		ExtraClosed: cal.Spec.ExtraClosedDates,
		ExtraOpen:   cal.Spec.ExtraOpenDates,
	}
	if cal.Spec.Holidays != nil {
		spec.Country = cal.Spec.Holidays.Country
	}
	for _, d := range cal.Spec.WorkingDays {
		wd, ok := weekdays[d]
		if !ok {
			return nil, fmt.Errorf("unknown working day %q", d)
		}
		spec.WorkingDays = append(spec.WorkingDays, wd)
	}
	return schedule.NewCalendar(spec)
}

var weekdays = map[rpav1alpha1.Weekday]time.Weekday{
	"Monday": time.Monday, "Tuesday": time.Tuesday, "Wednesday": time.Wednesday, "Thursday": time.Thursday,
	"Friday": time.Friday, "Saturday": time.Saturday, "Sunday": time.Sunday,
}

func closedDates(days []schedule.ClosedDay) []rpav1alpha1.ClosedDate {
	out := make([]rpav1alpha1.ClosedDate, 0, len(days))
	for _, d := range days {
		out = append(out, rpav1alpha1.ClosedDate{Date: d.Date, Reason: d.Reason})
	}
	return out
}

// untilNextMidnight is how long until the next day starts in loc.
func untilNextMidnight(now time.Time, loc *time.Location) time.Duration {
	local := now.In(loc)
	midnight := time.Date(local.Year(), local.Month(), local.Day()+1, 0, 0, 0, 0, loc)
	return midnight.Sub(now) + time.Second
}

// recordTransition emits an Event when Ready changes.
func (r *RobotCalendarReconciler) recordTransition(cal *rpav1alpha1.RobotCalendar, ready metav1.Condition) {
	old := meta.FindStatusCondition(cal.Status.Conditions, ready.Type)
	if old != nil && old.Status == ready.Status && old.Reason == ready.Reason && old.Message == ready.Message {
		return
	}
	eventType := corev1.EventTypeNormal
	if ready.Status != metav1.ConditionTrue {
		eventType = corev1.EventTypeWarning
	}
	r.Recorder.Eventf(cal, nil, eventType, ready.Reason, "Validate", "%s", ready.Message)
}

// patchStatus writes the calendar's status if it changed, refusing to
// overwrite a newer one (conflict is true then).
func (r *RobotCalendarReconciler) patchStatus(ctx context.Context, cal *rpav1alpha1.RobotCalendar,
	next *rpav1alpha1.RobotCalendarStatus) (conflict bool, err error) {
	if equality.Semantic.DeepEqual(&cal.Status, next) {
		return false, nil
	}
	updated := cal.DeepCopy()
	updated.Status = *next
	err = r.Status().Patch(ctx, updated, client.MergeFromWithOptions(cal, client.MergeFromWithOptimisticLock{}))
	switch {
	case apierrors.IsConflict(err):
		return true, nil
	case apierrors.IsNotFound(err):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("patch status of robot calendar %s: %w", cal.Name, err)
	}
	return false, nil
}

// SetupWithManager watches RobotCalendars.
func (r *RobotCalendarReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&rpav1alpha1.RobotCalendar{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Named("robotcalendar").
		Complete(r)
}
