// Package robotcalendars reads the RobotCalendars a robot's schedules
// name, as whoever asks (the kubectl plugin's user, the console's), and
// compiles them as the robot controller does.
package robotcalendars

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/schedule"
)

// Read compiles each calendar the robot's schedules name once. A calendar
// that is missing or invalid is a result with its error, not a failure:
// the schedule then shows why it starts no runs. Any other error (no
// access, the apiserver down) is returned.
func Read(ctx context.Context, reader client.Reader, robot *rpav1alpha1.Robot) (map[string]schedule.CompiledCalendar, error) {
	out := map[string]schedule.CompiledCalendar{}
	for _, sched := range robot.Spec.Schedules {
		if sched.Calendar == "" {
			continue
		}
		if _, done := out[sched.Calendar]; done {
			continue
		}
		obj := &rpav1alpha1.RobotCalendar{}
		err := reader.Get(ctx, client.ObjectKey{Namespace: robot.Namespace, Name: sched.Calendar}, obj)
		switch {
		case apierrors.IsNotFound(err):
			out[sched.Calendar] = schedule.CompiledCalendar{Err: fmt.Errorf(
				"RobotCalendar %q not found in namespace %q: the schedule starts no runs until it exists", sched.Calendar, robot.Namespace)}
		case err != nil:
			return nil, fmt.Errorf("get robotcalendar %s: %w", sched.Calendar, err)
		default:
			cal, err := schedule.CompileCalendar(obj)
			out[sched.Calendar] = schedule.CompiledCalendar{Calendar: cal, Err: err}
		}
	}
	return out, nil
}
