package console

import (
	"slices"
	"time"

	"github.com/rpa-operator/rpa-operator/controllers/schedule"
)

// nextTimesShown is how many upcoming times the robot page lists.
const nextTimesShown = 10

// NextTime is one upcoming run of a robot: its schedule and when, in the
// schedule's own time zone (the calendar and daylight saving applied).
type NextTime struct {
	Schedule string
	At       time.Time
}

// ScheduleProblem is why a schedule starts no runs (a missing calendar,
// a bad time zone), in the words of the schedule code.
type ScheduleProblem struct {
	Schedule, Problem string
}

// mergeNextTimes is the robot's next n times over all its schedules,
// soonest first, and the schedules that start none and why.
func mergeNextTimes(upcoming []schedule.Upcoming, n int) ([]NextTime, []ScheduleProblem) {
	var times []NextTime
	var problems []ScheduleProblem
	for _, u := range upcoming {
		if u.Err != nil {
			problems = append(problems, ScheduleProblem{Schedule: u.Schedule.Name, Problem: u.Err.Error()})
			continue
		}
		for _, at := range u.Next {
			times = append(times, NextTime{Schedule: u.Schedule.Name, At: at})
		}
	}
	slices.SortStableFunc(times, func(a, b NextTime) int { return a.At.Compare(b.At) })
	return times[:min(len(times), n)], problems
}

// localTime shows a time in its own zone with the zone's abbreviation
// (CET, CEST), as a schedule's times are meant.
func localTime(t time.Time) string {
	return t.Format("2006-01-02 15:04 MST")
}
