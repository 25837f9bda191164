// Package calendar is the RobotCalendar controller: it shows in a
// calendar's status whether it is valid and which days it closes next, so
// people can check it before schedules follow it (docs/calendars.md).
package calendar

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/kube"
	"github.com/rpa-operator/rpa-operator/controllers/schedule"
)

// NextClosedDatesShown is how many coming closed dates a calendar's status lists.
const NextClosedDatesShown = 10

// Reconciler reconciles RobotCalendars.
type Reconciler struct {
	client.Client
	Recorder events.EventRecorder
	Clock    clock.PassiveClock
}

// +kubebuilder:rbac:groups=rpa.dev,resources=robotcalendars,verbs=get;list;watch
// +kubebuilder:rbac:groups=rpa.dev,resources=robotcalendars/status,verbs=get;patch;update

// Reconcile recomputes the calendar's status and requeues itself for the
// next midnight in the calendar's zone, when the list moves on a day.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	cal := &rpav1alpha1.RobotCalendar{}
	if err := r.Get(ctx, req.NamespacedName, cal); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	next, ready, requeue := desiredStatus(cal, r.Clock.Now())
	if !equality.Semantic.DeepEqual(&cal.Status, next) {
		updated := cal.DeepCopy()
		updated.Status = *next
		if written, err := kube.PatchStatus(ctx, r.Client, cal, updated); !written || err != nil {
			return ctrl.Result{RequeueAfter: kube.ConflictRetryDelay}, err
		}
	}
	kube.RecordReadyTransition(r.Recorder, cal, cal.Status.Conditions, ready)
	return ctrl.Result{RequeueAfter: requeue}, nil
}

// desiredStatus is the calendar's status at now, its Ready condition, and
// how long until the status changes by itself (the next midnight).
func desiredStatus(cal *rpav1alpha1.RobotCalendar, now time.Time) (*rpav1alpha1.RobotCalendarStatus, metav1.Condition, time.Duration) {
	next := cal.Status.DeepCopy()
	next.ObservedGeneration = cal.Generation
	ready := metav1.Condition{Type: rpav1alpha1.ConditionReady, ObservedGeneration: cal.Generation}
	var requeue time.Duration
	compiled, err := schedule.CompileCalendar(cal)
	if err != nil {
		ready.Status, ready.Reason = metav1.ConditionFalse, rpav1alpha1.ReasonInvalidCalendar
		ready.Message = err.Error() + "; schedules using this calendar start no runs until it is fixed"
		next.NextClosedDates = nil
	} else {
		ready.Status, ready.Reason = metav1.ConditionTrue, rpav1alpha1.ReasonReady
		ready.Message = "the calendar is valid"
		next.NextClosedDates = closedDates(compiled.NextClosed(now, NextClosedDatesShown))
		requeue = untilNextMidnight(now, compiled.Location())
	}
	meta.SetStatusCondition(&next.Conditions, ready)
	return next, ready, requeue
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

// SetupWithManager watches RobotCalendars.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&rpav1alpha1.RobotCalendar{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Named("robotcalendar").
		Complete(r)
}
