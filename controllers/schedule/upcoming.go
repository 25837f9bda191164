package schedule

import (
	"time"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

// CompiledCalendar is a RobotCalendar compiled, or why there is none (not
// found, invalid): a schedule naming it starts no runs until it is fixed.
type CompiledCalendar struct {
	Calendar *Calendar
	Err      error
}

// Upcoming is one of a robot's schedules and its next times, in the
// schedule's own time zone (so that 07:00 in Copenhagen reads 07:00 in
// winter and in summer).
type Upcoming struct {
	Schedule  rpav1alpha1.Schedule
	Suspended bool
	// Err says why the schedule has no times (a bad cron expression or
	// time zone, or its calendar's error).
	Err  error
	Next []time.Time
}

// RobotUpcoming is each schedule's next count times after now, as the
// robot controller computes them (MakePlan takes Next(now)) with the
// schedule's calendar applied: a suspended robot or schedule has none.
// It is what `kubectl robot next` and the console's robot page show.
func RobotUpcoming(robot *rpav1alpha1.Robot, calendars map[string]CompiledCalendar, now time.Time, count int) []Upcoming {
	out := make([]Upcoming, 0, len(robot.Spec.Schedules))
	for _, sched := range robot.Spec.Schedules {
		u := Upcoming{Schedule: sched, Suspended: robot.Spec.Suspend || sched.Suspend}
		times, loc, err := scheduleTimes(sched, calendars)
		switch {
		case err != nil:
			u.Err = err
		case !u.Suspended:
			for _, t := range NextN(times, now, count) {
				u.Next = append(u.Next, t.In(loc))
			}
		}
		out = append(out, u)
	}
	return out
}

// scheduleTimes is the schedule with its calendar, if it names one.
func scheduleTimes(sched rpav1alpha1.Schedule, calendars map[string]CompiledCalendar) (Times, *time.Location, error) {
	s, err := Parse(sched.Cron, sched.TimeZone)
	if err != nil {
		return nil, nil, err
	}
	if sched.Calendar == "" {
		return s, s.Location(), nil
	}
	c := calendars[sched.Calendar]
	if c.Err != nil {
		return nil, nil, c.Err
	}
	return s.WithCalendar(c.Calendar, Policy(sched.CalendarPolicy)), s.Location(), nil
}
