package controllers

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/schedule"
)

// indexRobotCalendarName indexes Robots by the RobotCalendars their
// schedules name, so that editing a calendar requeues exactly those robots.
const indexRobotCalendarName = "spec.schedules.calendar"

// robotCalendarNames lists the RobotCalendars a Robot's schedules name.
func robotCalendarNames(obj client.Object) []string {
	robot := obj.(*rpav1alpha1.Robot)
	var names []string
	for _, s := range robot.Spec.Schedules {
		if s.Calendar != "" {
			names = append(names, s.Calendar)
		}
	}
	return names
}

// errCalendarNotFound marks a schedule whose RobotCalendar does not exist.
type errCalendarNotFound struct{ name string }

func (e errCalendarNotFound) Error() string {
	return fmt.Sprintf("RobotCalendar %q not found in the robot's namespace", e.name)
}

// scheduleCalendar returns the compiled calendar a schedule names, nil for
// none. A calendar that is missing (errCalendarNotFound) or invalid is the
// user's to fix and comes back as problem; err is for lookups that failed.
func (r *RobotReconciler) scheduleCalendar(ctx context.Context, robot *rpav1alpha1.Robot,
	sched rpav1alpha1.Schedule) (cal *schedule.Calendar, problem, err error) {
	if sched.Calendar == "" {
		return nil, nil, nil
	}
	obj := &rpav1alpha1.RobotCalendar{}
	err = r.Get(ctx, client.ObjectKey{Namespace: robot.Namespace, Name: sched.Calendar}, obj)
	switch {
	case apierrors.IsNotFound(err):
		return nil, errCalendarNotFound{name: sched.Calendar}, nil
	case err != nil:
		return nil, nil, fmt.Errorf("look up calendar %s for schedule %s: %w", sched.Calendar, sched.Name, err)
	}
	cal, problem = CompileCalendar(obj)
	if problem != nil {
		return nil, fmt.Errorf("RobotCalendar %q: %w", sched.Calendar, problem), nil
	}
	return cal, nil, nil
}

// robotsForCalendar maps a RobotCalendar to the Robots whose schedules name it.
func (r *RobotReconciler) robotsForCalendar(ctx context.Context, cal client.Object) []reconcile.Request {
	var robots rpav1alpha1.RobotList
	err := r.List(ctx, &robots, client.InNamespace(cal.GetNamespace()),
		client.MatchingFields{indexRobotCalendarName: cal.GetName()})
	if err != nil {
		log.FromContext(ctx).Error(err, "list robots for calendar", "calendar", cal.GetName())
		return nil
	}
	requests := make([]reconcile.Request, 0, len(robots.Items))
	for i := range robots.Items {
		requests = append(requests, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&robots.Items[i])})
	}
	return requests
}
