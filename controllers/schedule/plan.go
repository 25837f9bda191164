package schedule

import "time"

// State is what the operator recorded about a schedule at its last
// reconcile (the Robot's status.schedules entry).
type State struct {
	// Cron and TimeZone the schedule had; empty for a schedule never seen.
	Cron, TimeZone string
	// HandledUntil: every time up to here was run, skipped or missed.
	HandledUntil time.Time
	// Suspended: the schedule (or its robot) was suspended.
	Suspended bool
	// ActiveSince is when the schedule as it was took effect; zero if
	// never recorded (a status written before the field existed).
	ActiveSince time.Time
}

// Input is everything a plan depends on.
type Input struct {
	Cron, TimeZone string
	// Suspended is true when the schedule or its robot is suspended now.
	Suspended bool
	// Previous is the recorded state; its zero value means a new schedule.
	Previous State
	// Start is where a new schedule's times begin: the robot's creation for
	// a new robot, otherwise now (an added schedule does not run the past).
	Start time.Time
	// StartingDeadline, if set, is how late a time may still be run.
	StartingDeadline *time.Duration
	// Calendar, if set, closes days on which Policy skips or moves the
	// schedule's times (docs/calendars.md).
	Calendar *Calendar
	Policy   Policy
	Now      time.Time
	// LastSuccess is when the robot last succeeded; zero for never.
	LastSuccess time.Time
	// SuccessGrace is how long after a scheduled time its run may take to
	// succeed: the robot's timeout, which bounds a run with its retries.
	SuccessGrace time.Duration
	// Lead is how long before a scheduled time its run may be created;
	// zero creates runs at their time.
	Lead time.Duration
}

// Plan says what to do with a schedule now.
type Plan struct {
	// Due is the scheduled time to create a run for; zero for none.
	Due time.Time
	// Missed counts times that are not run: all but the most recent of the
	// times since the last reconcile, and that one too when it is past the
	// starting deadline.
	Missed int64
	// MissedFrom and MissedTo bound the missed times, for the Event.
	MissedFrom, MissedTo time.Time
	// Latest is the latest time in the window (Due, or missed); zero for none.
	Latest time.Time
	// Next is the schedule's next time; zero while suspended or never.
	Next time.Time
	// HandledUntil is the new state's HandledUntil: the latest time handled
	// now, or where handling starts. It moves only when something was
	// handled, so that a reconcile with nothing due changes no status.
	HandledUntil time.Time
	// ActiveSince is when the schedule as it is now took effect: the
	// robot's creation, the schedule's addition, its last edit or its
	// resume. Zero while suspended.
	ActiveSince time.Time
	// SuccessDue is when the robot should, by this schedule, have
	// succeeded again: its first time after the later of ActiveSince and
	// the last success, plus SuccessGrace. Zero while suspended or when
	// the schedule has no further times. The operator exports it for the
	// RobotNoRecentSuccess alert (docs/runbook.md).
	SuccessDue time.Time
	// Ahead is the schedule's next time when it is at most Lead away: its
	// run may be created now, to start at that time (docs/schedules.md,
	// "Runs created ahead of their time"). Zero for none. It does not move
	// HandledUntil: the time is handled when it comes, as any other.
	Ahead time.Time
	// Wake is when the schedule needs planning again: Lead before Next
	// (to create its run ahead), else Next. Zero while suspended or never.
	Wake time.Time
}

// MakePlan decides, for one schedule at in.Now, which scheduled time (if
// any) gets a run and how many are missed, following docs/schedules.md:
// at most one run per reconcile, for the most recent time; an edited or
// resumed schedule starts from now; a suspended one does nothing.
func MakePlan(in Input) (Plan, error) {
	parsed, err := Parse(in.Cron, in.TimeZone)
	if err != nil {
		return Plan{}, err
	}
	s := parsed.WithCalendar(in.Calendar, in.Policy)
	if in.Suspended {
		// Times passed while suspended are never run: resuming starts from
		// the moment of resuming (see baseline), so nothing moves.
		handled := in.Previous.HandledUntil
		if handled.IsZero() {
			handled = in.Now
		}
		return Plan{HandledUntil: handled}, nil
	}
	from := baseline(in)
	plan := Plan{HandledUntil: from, Next: s.Next(in.Now), ActiveSince: activeSince(in)}
	plan.SuccessDue = successDue(s, plan.ActiveSince, in.LastSuccess, in.SuccessGrace)
	plan.Ahead, plan.Wake = ahead(plan.Next, in.Now, in.Lead)
	last, count := s.Last(from, in.Now)
	if count == 0 {
		return plan, nil
	}
	plan.Latest, plan.HandledUntil = last, last
	if in.StartingDeadline != nil && in.Now.Sub(last) > *in.StartingDeadline {
		plan.Missed = count
	} else {
		plan.Due, plan.Missed = last, count-1
	}
	if plan.Missed > 0 {
		plan.MissedFrom = s.Next(from)
		plan.MissedTo = last
		if !plan.Due.IsZero() {
			plan.MissedTo = lastBefore(s, from, last)
		}
	}
	return plan, nil
}

// ahead returns the next time if its run may be created now, and when to
// plan again: at the next time, or Lead before it.
func ahead(next, now time.Time, lead time.Duration) (time.Time, time.Time) {
	switch {
	case next.IsZero():
		return time.Time{}, time.Time{}
	case lead > 0 && next.Sub(now) <= lead:
		return next, next
	case lead > 0:
		return time.Time{}, next.Add(-lead)
	}
	return time.Time{}, next
}

// baseline is the instant after which the schedule's times are still to be
// handled.
func baseline(in Input) time.Time {
	prev := in.Previous
	switch {
	case prev.Cron == "":
		return in.Start
	case prev.Cron != in.Cron || prev.TimeZone != in.TimeZone:
		// An edited schedule takes effect from its next time.
		return in.Now
	case prev.Suspended:
		// Resuming does not run the times passed while suspended.
		return in.Now
	}
	return prev.HandledUntil
}

// activeSince is when the schedule as it is now took effect. Like baseline
// it restarts on an addition, an edit or a resume; unlike baseline it does
// not move as times are handled.
func activeSince(in Input) time.Time {
	prev := in.Previous
	switch {
	case prev.Cron == "":
		return in.Start
	case prev.Cron != in.Cron || prev.TimeZone != in.TimeZone, prev.Suspended, prev.ActiveSince.IsZero():
		// A status from before ActiveSince existed starts counting now, so
		// that upgrading the operator raises no alert.
		return in.Now
	}
	return prev.ActiveSince
}

// successDue is when a run should have succeeded again: the schedule's
// first time after both activation and the last success, plus grace.
func successDue(s Times, active, lastSuccess time.Time, grace time.Duration) time.Time {
	from := active
	if lastSuccess.After(from) {
		from = lastSuccess
	}
	next := s.Next(from)
	if next.IsZero() {
		return next
	}
	return next.Add(grace)
}

// lastBefore returns the latest time in (from, before), or zero.
func lastBefore(s Times, from, before time.Time) time.Time {
	last, _ := s.Last(from, before.Add(-time.Nanosecond))
	return last
}
