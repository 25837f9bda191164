package schedule

import "time"

// Times is what a schedule's times are asked for: a plain Schedule, or one
// that honours a working-day calendar (Schedule.WithCalendar).
type Times interface {
	// Next returns the first time strictly after t, or zero if none.
	Next(t time.Time) time.Time
	// Last returns the latest time in (from, to] and how many there are.
	Last(from, to time.Time) (time.Time, int64)
	// Count returns how many times fall in (from, to].
	Count(from, to time.Time) int64
}

// NextN returns the first n times strictly after t (fewer if the schedule
// ends). It is what `kubectl robot next` shows, calendar included when s
// came from Schedule.WithCalendar; see docs/calendars.md.
func NextN(s Times, t time.Time, n int) []time.Time {
	out := make([]time.Time, 0, n)
	for len(out) < n {
		t = s.Next(t)
		if t.IsZero() {
			break
		}
		out = append(out, t)
	}
	return out
}

// horizon is how far ahead a calendar-aware search looks, like the cron
// library's own five years.
const horizon = 5 * 366 * 24 * time.Hour

// calendared is a schedule whose times on closed days are skipped or moved
// to the next open day (docs/calendars.md).
type calendared struct {
	s      *Schedule
	cal    *Calendar
	policy Policy
}

// WithCalendar returns the schedule's times as the calendar and policy make
// them ("" is PolicySkip). With a nil calendar it returns s itself.
func (s *Schedule) WithCalendar(cal *Calendar, policy Policy) Times {
	if cal == nil {
		return s
	}
	if policy == "" {
		policy = PolicySkip
	}
	return &calendared{s: s, cal: cal, policy: policy}
}

// effective is the instant at which the schedule's time o runs: o itself on
// an open day; on a closed day nothing (Skip) or the same wall-clock time on
// the next open day (NextWorkingDay). Zero means no run.
func (c *calendared) effective(o time.Time) time.Time {
	if c.cal.Open(o) {
		return o
	}
	if c.policy != PolicyNextWorkingDay {
		return time.Time{}
	}
	k := c.cal.daysToOpen(o.In(c.cal.loc).Date())
	if k < 0 {
		return time.Time{}
	}
	// The wall-clock time in the schedule's zone, k days later. A time that
	// does not exist that day (spring forward) runs right after the gap;
	// one that exists twice runs at its first occurrence.
	local := o.In(c.s.loc)
	civil := time.Date(local.Year(), local.Month(), local.Day()+k, local.Hour(), local.Minute(), 0, 0, time.UTC)
	if valid := wallClockInstants(civil, c.s.loc); len(valid) > 0 {
		return valid[0]
	}
	return gapEnd(civil, c.s.loc)
}

// scanStart is where the search for times after t begins: for
// NextWorkingDay, the start of the run of closed days right before t's day,
// since times on those days may have moved past t.
func (c *calendared) scanStart(t time.Time) time.Time {
	if c.policy != PolicyNextWorkingDay {
		return t
	}
	y, m, d := t.In(c.cal.loc).Date()
	day := time.Date(y, m, d, 0, 0, 0, 0, c.cal.loc)
	for i := 0; i < maxClosedStretch; i++ {
		prev := day.AddDate(0, 0, -1)
		if c.cal.Open(prev) {
			break
		}
		day = prev
	}
	return day.Add(-time.Nanosecond)
}

// nextOrigin returns the schedule's next own time to look at after o. Under
// Skip the rest of a closed day is passed over at once; an open-day time at
// or before after needs no look either, since nothing moves onto it that
// was not seen already, so the search goes on from after.
func (c *calendared) nextOrigin(o, after time.Time) time.Time {
	if c.policy == PolicySkip && !c.cal.Open(o) {
		y, m, d := o.In(c.cal.loc).Date()
		o = time.Date(y, m, d+1, 0, 0, 0, 0, c.cal.loc).Add(-time.Nanosecond)
	} else if !o.After(after) && c.cal.Open(o) {
		o = after
	}
	return c.s.Next(o)
}

// Next returns the first time strictly after t at which a run starts.
func (c *calendared) Next(t time.Time) time.Time {
	var best time.Time
	for o := c.s.Next(c.scanStart(t)); !o.IsZero() && o.Sub(t) < horizon; o = c.nextOrigin(o, t) {
		// Moved times are never earlier than their own, so no later own
		// time can beat the best found.
		if !best.IsZero() && o.After(best) {
			break
		}
		if e := c.effective(o); e.After(t) && (best.IsZero() || e.Before(best)) {
			best = e
		}
	}
	return best
}

// Last returns the latest time in (from, to] at which a run starts, and how
// many distinct such times there are: moved times that coincide with each
// other or with an open day's own time count once.
func (c *calendared) Last(from, to time.Time) (last time.Time, count int64) {
	if !to.After(from) {
		return time.Time{}, 0
	}
	seen := map[int64]bool{}
	for o := c.s.Next(c.scanStart(from)); !o.IsZero() && !o.After(to); o = c.nextOrigin(o, from) {
		e := c.effective(o)
		if !e.After(from) || e.After(to) || seen[e.UnixNano()] {
			continue
		}
		seen[e.UnixNano()] = true
		count++
		if e.After(last) {
			last = e
		}
	}
	return last, count
}

// Count returns how many times in (from, to] a run starts.
func (c *calendared) Count(from, to time.Time) int64 {
	_, n := c.Last(from, to)
	return n
}
