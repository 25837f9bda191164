package schedule

import (
	"math/bits"
	"time"
)

// shortWindow is the longest window counted one schedule time at a time;
// long windows are counted a day at a time instead.
const shortWindow = 48 * time.Hour

// Last returns the latest time the schedule fired in (from, to], and how
// many times it fired there in all. It does not step through the window
// minute by minute: a per-minute robot that was down for a month is
// accounted for in about as many steps as the month has days.
func (s *Schedule) Last(from, to time.Time) (last time.Time, count int64) {
	if !to.After(from) {
		return time.Time{}, 0
	}
	last = s.latest(from, to)
	if last.IsZero() {
		return time.Time{}, 0
	}
	return last, s.Count(from, last)
}

// latest finds the latest time in (from, to] by looking back over growing
// windows: an hour, a day, 24 days, about 1.6 years, then all of it.
func (s *Schedule) latest(from, to time.Time) time.Time {
	for window := time.Hour; ; window *= 24 {
		start := to.Add(-window)
		if !start.After(from) {
			start = from
		}
		if found := s.lastFrom(start, to); !found.IsZero() || start.Equal(from) {
			return found
		}
	}
}

// lastFrom steps from start to the last time in (start, to].
func (s *Schedule) lastFrom(start, to time.Time) time.Time {
	var last time.Time
	for t := s.Next(start); !t.IsZero() && !t.After(to); t = s.Next(t) {
		last = t
	}
	return last
}

// Count returns how many times the schedule fires in (from, to].
func (s *Schedule) Count(from, to time.Time) int64 {
	if !to.After(from) {
		return 0
	}
	if to.Sub(from) <= shortWindow {
		return s.countSteps(from, to, true)
	}
	firstDay := s.civilOf(from).Truncate(24 * time.Hour).Add(24 * time.Hour)
	lastDay := s.civilOf(to).Truncate(24 * time.Hour)
	dayStart := s.dayStart(firstDay)
	count := s.countSteps(from, dayStart, false)
	for day := firstDay; day.Before(lastDay); day = day.Add(24 * time.Hour) {
		next := s.dayStart(day.Add(24 * time.Hour))
		count += s.countDay(day, dayStart, next)
		dayStart = next
	}
	return count + s.countSteps(dayStart.Add(-time.Nanosecond), to, true)
}

// countSteps counts times in (from, to], or (from, to) without includeEnd,
// one by one.
func (s *Schedule) countSteps(from, to time.Time, includeEnd bool) int64 {
	var n int64
	for t := s.Next(from); !t.IsZero() && (t.Before(to) || includeEnd && t.Equal(to)); t = s.Next(t) {
		n++
	}
	return n
}

// countDay counts the times in the wall-clock day starting at civil midnight
// day, which runs from the instant start to the instant end. An ordinary day
// is counted from the cron fields; a day with a daylight-saving change, one
// step at a time.
func (s *Schedule) countDay(day, start, end time.Time) int64 {
	if end.Sub(start) != 24*time.Hour {
		return s.countChangeDay(day, start, end)
	}
	first := s.civil.Next(day.Add(-time.Second))
	if first.IsZero() || !first.Before(day.Add(24*time.Hour)) {
		return 0
	}
	// On a matching day every combination of a matching hour and minute fires.
	const hours, minutes = 1<<24 - 1, 1<<60 - 1
	return int64(bits.OnesCount64(s.civil.Hour&hours) * bits.OnesCount64(s.civil.Minute&minutes))
}

// countChangeDay counts the distinct instants that the day's matching
// wall-clock times map to (several gap times map to one instant).
func (s *Schedule) countChangeDay(day, start, end time.Time) int64 {
	seen := map[int64]bool{}
	for c := s.civil.Next(day.Add(-time.Second)); !c.IsZero() && c.Before(day.Add(24*time.Hour)); c = s.civil.Next(c) {
		for _, at := range s.instants(c) {
			if !at.Before(start) && at.Before(end) {
				seen[at.Unix()] = true
			}
		}
	}
	return int64(len(seen))
}

// dayStart is the first instant of the wall-clock day that starts at civil
// midnight day (after the gap, in zones whose clocks jump at midnight).
func (s *Schedule) dayStart(day time.Time) time.Time {
	if valid := wallClockInstants(day, s.loc); len(valid) > 0 {
		return valid[0]
	}
	return gapEnd(day, s.loc)
}
