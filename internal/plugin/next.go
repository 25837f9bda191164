package plugin

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/printers"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/schedule"
	"github.com/rpa-operator/rpa-operator/internal/robotcalendars"
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
	calendars, err := robotcalendars.Read(ctx, env.Client, robot)
	if err != nil {
		return err
	}
	times := upcoming(robot, calendars, env.Clock.Now(), count)
	if output != outputTable {
		return printValue(env.Out, output, times)
	}
	return writeUpcoming(env.Out, times)
}

// upcoming is each schedule's next count times after now
// (schedule.RobotUpcoming), as RFC 3339 timestamps with the offset of the
// schedule's own zone (e.g. +01:00 in Copenhagen in winter).
func upcoming(robot *rpav1alpha1.Robot, calendars map[string]schedule.CompiledCalendar, now time.Time, count int) UpcomingTimes {
	out := UpcomingTimes{Robot: robot.Name, Namespace: robot.Namespace, Suspended: robot.Spec.Suspend,
		Schedules: []ScheduleUpcoming{}}
	for _, u := range schedule.RobotUpcoming(robot, calendars, now, count) {
		sched := u.Schedule
		su := ScheduleUpcoming{Name: sched.Name, Cron: sched.Cron, TimeZone: sched.TimeZone,
			Calendar: sched.Calendar, Suspended: u.Suspended}
		if sched.Calendar != "" {
			su.CalendarPolicy = string(sched.CalendarPolicy)
		}
		if u.Err != nil {
			su.Error = u.Err.Error()
		}
		for _, t := range u.Next {
			su.Next = append(su.Next, t.Format(time.RFC3339))
		}
		out.Schedules = append(out.Schedules, su)
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
