package plugin

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/cli-runtime/pkg/printers"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/schedule"
)

// UpcomingTimes is what `next` reports for a robot (also its -o json/yaml).
type UpcomingTimes struct {
	Robot     string             `json:"robot"`
	Namespace string             `json:"namespace"`
	Suspended bool               `json:"suspended,omitempty"`
	Schedules []ScheduleUpcoming `json:"schedules"`
}

// ScheduleUpcoming is one schedule's next times, as RFC 3339 timestamps
// with the offset of the schedule's time zone at each time.
type ScheduleUpcoming struct {
	Name     string `json:"name"`
	Cron     string `json:"cron"`
	TimeZone string `json:"timeZone,omitempty"`
	// Calendar and CalendarPolicy: the working-day calendar the times
	// honour (docs/calendars.md).
	Calendar       string   `json:"calendar,omitempty"`
	CalendarPolicy string   `json:"calendarPolicy,omitempty"`
	Suspended      bool     `json:"suspended,omitempty"`
	Error          string   `json:"error,omitempty"`
	Next           []string `json:"next,omitempty"`
}

func newNextCommand(connect connectFunc) *cobra.Command {
	var output string
	var count int
	cmd := &cobra.Command{
		Use:   "next ROBOT [--count N] [-o json|yaml]",
		Short: "Show when each of a robot's schedules fires next",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			if count < 1 {
				return fmt.Errorf("--count %d: want at least 1", count)
			}
			env, err := connect()
			if err != nil {
				return err
			}
			return runNext(cmd.Context(), env, args[0], count, output)
		},
	}
	cmd.Flags().IntVar(&count, "count", 1, "how many upcoming times per schedule")
	cmd.Flags().StringVarP(&output, "output", "o", "", "json or yaml")
	return cmd
}

func runNext(ctx context.Context, env *Env, name string, count int, output string) error {
	robot, err := getRobot(ctx, env, name)
	if err != nil {
		return err
	}
	calendars, err := robotCalendars(ctx, env, robot)
	if err != nil {
		return err
	}
	times := upcoming(robot, calendars, env.Clock.Now(), count)
	if output != outputTable {
		return printValue(env.Out, output, times)
	}
	return writeUpcoming(env.Out, times)
}

// calendarResult is a schedule's compiled calendar, or why there is none.
type calendarResult struct {
	cal *schedule.Calendar
	err error
}

// robotCalendars reads and compiles the RobotCalendars the robot's
// schedules name, as the robot controller does.
func robotCalendars(ctx context.Context, env *Env, robot *rpav1alpha1.Robot) (map[string]calendarResult, error) {
	out := map[string]calendarResult{}
	for _, sched := range robot.Spec.Schedules {
		if sched.Calendar == "" {
			continue
		}
		if _, done := out[sched.Calendar]; done {
			continue
		}
		obj := &rpav1alpha1.RobotCalendar{}
		err := env.Client.Get(ctx, client.ObjectKey{Namespace: robot.Namespace, Name: sched.Calendar}, obj)
		switch {
		case apierrors.IsNotFound(err):
			out[sched.Calendar] = calendarResult{err: fmt.Errorf(
				"RobotCalendar %q not found in namespace %q: the schedule starts no runs until it exists", sched.Calendar, robot.Namespace)}
		case err != nil:
			return nil, fmt.Errorf("get robotcalendar %s: %w", sched.Calendar, err)
		default:
			cal, err := schedule.CompileCalendar(obj)
			out[sched.Calendar] = calendarResult{cal: cal, err: err}
		}
	}
	return out, nil
}

// upcoming computes each schedule's next count times after now with
// controllers/schedule, as the robot controller does (schedule.MakePlan
// takes Next(now)), honouring the schedule's calendar: a suspended robot or
// schedule has no next time.
func upcoming(robot *rpav1alpha1.Robot, calendars map[string]calendarResult, now time.Time, count int) UpcomingTimes {
	out := UpcomingTimes{Robot: robot.Name, Namespace: robot.Namespace, Suspended: robot.Spec.Suspend,
		Schedules: []ScheduleUpcoming{}}
	for _, sched := range robot.Spec.Schedules {
		su := ScheduleUpcoming{Name: sched.Name, Cron: sched.Cron, TimeZone: sched.TimeZone,
			Calendar: sched.Calendar, Suspended: robot.Spec.Suspend || sched.Suspend}
		if sched.Calendar != "" {
			su.CalendarPolicy = string(sched.CalendarPolicy)
		}
		times, loc, err := scheduleTimes(sched, calendars)
		switch {
		case err != nil:
			su.Error = err.Error()
		case !su.Suspended:
			su.Next = nextTimes(times, loc, now, count)
		}
		out.Schedules = append(out.Schedules, su)
	}
	return out
}

// scheduleTimes is the schedule with its calendar, if it names one.
func scheduleTimes(sched rpav1alpha1.Schedule, calendars map[string]calendarResult) (schedule.Times, *time.Location, error) {
	s, err := schedule.Parse(sched.Cron, sched.TimeZone)
	if err != nil {
		return nil, nil, err
	}
	if sched.Calendar == "" {
		return s, s.Location(), nil
	}
	c := calendars[sched.Calendar]
	if c.err != nil {
		return nil, nil, c.err
	}
	return s.WithCalendar(c.cal, schedule.Policy(sched.CalendarPolicy)), s.Location(), nil
}

// nextTimes formats the schedule's next count times in its own zone, so
// the offset shows local time (e.g. +01:00 in Copenhagen in winter).
func nextTimes(s schedule.Times, loc *time.Location, now time.Time, count int) []string {
	times := schedule.NextN(s, now, count)
	out := make([]string, 0, len(times))
	for _, t := range times {
		out = append(out, t.In(loc).Format(time.RFC3339))
	}
	return out
}

// writeUpcoming prints one line per upcoming time, or why there is none.
func writeUpcoming(w io.Writer, times UpcomingTimes) error {
	if times.Suspended {
		fmt.Fprintf(w, "robot %s is suspended: no schedule fires until it is resumed\n", times.Robot)
	}
	if len(times.Schedules) == 0 {
		fmt.Fprintf(w, "robot %s has no schedules\n", times.Robot)
		return nil
	}
	tw := printers.GetNewTabWriter(w)
	fmt.Fprintln(tw, "SCHEDULE\tNEXT")
	for _, s := range times.Schedules {
		switch {
		case s.Error != "":
			fmt.Fprintf(tw, "%s\tinvalid: %s\n", s.Name, s.Error)
		case s.Suspended:
			fmt.Fprintf(tw, "%s\tsuspended\n", s.Name)
		case len(s.Next) == 0:
			fmt.Fprintf(tw, "%s\tnever\n", s.Name)
		}
		for _, t := range s.Next {
			fmt.Fprintf(tw, "%s\t%s\n", s.Name, t)
		}
	}
	return tw.Flush()
}
