package schedule

import (
	"testing"
	"time"
)

// FuzzScheduleTimes checks the rules of docs/schedules.md on any cron
// expression, zone and instant: Next is strictly later and the first such
// time, it is on the cron fields in the zone's wall clock (or, for a fixed
// hour, the end of a spring-forward gap that swallowed a time), a fixed hour
// never runs the same wall-clock time twice, and Last and Count agree with
// stepping through the window one time at a time.
func FuzzScheduleTimes(f *testing.F) {
	// From the table tests: the 2026 changes in Copenhagen (29 March at
	// 01:00 UTC, 25 October at 01:00 UTC), the leap day, day 31, both day
	// fields restricted, descriptors.
	f.Add("30 2 * * *", "Europe/Copenhagen", utc(2026, 3, 28, 1, 30).Unix(), uint32(0), uint32(3*24*3600))
	f.Add("0,30 2,3 * * *", "Europe/Copenhagen", utc(2026, 3, 29, 0, 0).Unix(), uint32(0), uint32(24*3600))
	f.Add("*/15 * * * *", "Europe/Copenhagen", utc(2026, 3, 29, 0, 30).Unix(), uint32(0), uint32(3600))
	f.Add("30 2 * * *", "Europe/Copenhagen", utc(2026, 10, 24, 12, 0).Unix(), uint32(0), uint32(50*3600))
	f.Add("*/20 2 * * *", "Europe/Copenhagen", utc(2026, 10, 25, 0, 10).Unix(), uint32(0), uint32(49*3600))
	f.Add("0 * * * *", "Europe/Copenhagen", utc(2026, 10, 24, 23, 30).Unix(), uint32(500_000_000), uint32(7*24*3600))
	f.Add("0 12 29 2 *", "Europe/Copenhagen", utc(2026, 3, 1, 0, 0).Unix(), uint32(0), uint32(4_000_000))
	f.Add("0 9 31 * *", "Europe/Copenhagen", utc(2026, 4, 1, 0, 0).Unix(), uint32(0), uint32(90*24*3600))
	f.Add("0 8 1 * 1", "Europe/Copenhagen", utc(2026, 11, 25, 0, 0).Unix(), uint32(0), uint32(40*24*3600))
	f.Add("@yearly", "Europe/Copenhagen", utc(2026, 6, 1, 0, 0).Unix(), uint32(0), uint32(400*24*3600))
	f.Add("0 7 * * 1-5", "", utc(2026, 11, 20, 6, 0).Unix(), uint32(1), uint32(0))
	f.Add("0 7 31 2 *", "UTC", utc(2026, 1, 1, 0, 0).Unix(), uint32(0), uint32(3600))
	// Zones whose changes are not an hour at 02:00: Lord Howe moves half an
	// hour, Santiago at midnight.
	f.Add("5 1-4 * * 0", "Australia/Lord_Howe", utc(2026, 4, 4, 14, 0).Unix(), uint32(0), uint32(3*24*3600))
	f.Add("0 0 * * *", "America/Santiago", utc(2026, 9, 5, 0, 0).Unix(), uint32(0), uint32(3*24*3600))
	f.Add("0 0 29 2 *", "Australia/Lord_Howe", int64(1900000000), uint32(0), uint32(0))
	f.Add("* * * * *", "Europe/Copenhagen", utc(2026, 10, 24, 23, 59).Unix(), uint32(999_999_999), uint32(3*24*3600))
	f.Fuzz(func(t *testing.T, cron, tz string, unix int64, nanos, window uint32) {
		s, err := Parse(cron, tz)
		if err != nil {
			return
		}
		// About 1843 to 2096, where the zone database has rules.
		at := time.Unix(unix%4_000_000_000, int64(nanos%1_000_000_000))
		checkNext(t, s, at)
		// Windows of up to 100 days, past the 48 hours Count steps through.
		checkWindow(t, s, at.Add(-time.Duration(window%(100*24*3600))*time.Second), at)
	})
}

func checkNext(t *testing.T, s *Schedule, at time.Time) {
	t.Helper()
	next := s.Next(at)
	if next.IsZero() {
		return
	}
	if !next.After(at) {
		t.Fatalf("Next(%s) = %s is not after it", at, next)
	}
	if onTime := onCronFields(s, next) || s.fixedHour && swallowedByGap(s, next); !onTime {
		t.Fatalf("Next(%s) = %s (%s) is not on the cron fields", at, next, next.In(s.loc))
	}
	// Next is the first time after at: asked from anywhere in [at, next) it
	// gives the same answer.
	for _, from := range []time.Time{at.Add(next.Sub(at) / 2), next.Add(-time.Nanosecond)} {
		if got := s.Next(from); !got.Equal(next) {
			t.Fatalf("Next(%s) = %s, but Next(%s) = %s", at, next, from, got)
		}
	}
	after := s.Next(next)
	if after.IsZero() {
		return
	}
	if !after.After(next) {
		t.Fatalf("Next(%s) = %s is not after it", next, after)
	}
	// A fixed-hour schedule runs a wall-clock time that occurs twice once.
	if s.fixedHour && !s.civilOf(after).After(s.civilOf(next)) {
		t.Fatalf("fixed hour: %s (%s) is followed by %s (%s)", next, next.In(s.loc), after, after.In(s.loc))
	}
}

// onCronFields reports whether t's wall clock in the schedule's zone
// matches every cron field.
func onCronFields(s *Schedule, t time.Time) bool {
	c := s.civilOf(t)
	spec := s.civil
	if c.Nanosecond() != 0 || 1<<uint(c.Second())&spec.Second == 0 ||
		1<<uint(c.Minute())&spec.Minute == 0 || 1<<uint(c.Hour())&spec.Hour == 0 || 1<<uint(c.Month())&spec.Month == 0 {
		return false
	}
	const star = 1 << 63
	dom, dow := 1<<uint(c.Day())&spec.Dom != 0, 1<<uint(c.Weekday())&spec.Dow != 0
	if spec.Dom&star != 0 || spec.Dow&star != 0 {
		return dom && dow
	}
	return dom || dow
}

// swallowedByGap reports whether t is the end of a gap (the clocks went
// forward at t) in which a wall-clock time on the cron fields fell.
func swallowedByGap(s *Schedule, t time.Time) bool {
	_, before := t.Add(-time.Nanosecond).In(s.loc).Zone()
	_, after := t.In(s.loc).Zone()
	if after <= before {
		return false
	}
	gapEnd := s.civilOf(t)
	gapStart := gapEnd.Add(-time.Duration(after-before) * time.Second)
	c := s.civil.Next(gapStart.Add(-time.Second))
	return !c.IsZero() && c.Before(gapEnd)
}

// checkWindow checks Last and Count over (from, to] against Next.
func checkWindow(t *testing.T, s *Schedule, from, to time.Time) {
	t.Helper()
	last, count := s.Last(from, to)
	first := s.Next(from)
	switch {
	case count < 0 || (count == 0) != last.IsZero():
		t.Fatalf("Last(%s, %s) = %s, %d", from, to, last, count)
	case count == 0:
		if !first.IsZero() && !first.After(to) {
			t.Fatalf("Last(%s, %s) found none, but Next(%s) = %s", from, to, from, first)
		}
		return
	case !last.After(from) || last.After(to):
		t.Fatalf("Last(%s, %s) = %s is outside the window", from, to, last)
	case first.IsZero() || first.After(last):
		t.Fatalf("Last(%s, %s) = %s, but the first time in it is %s", from, to, last, first)
	}
	if next := s.Next(last); !next.IsZero() && !next.After(to) {
		t.Fatalf("Last(%s, %s) = %s, but %s is later in the window", from, to, last, next)
	}
	if n := s.Count(from, to); n != count {
		t.Fatalf("Last(%s, %s) counts %d, Count %d", from, to, count, n)
	}
	// Stepping is slow for dense schedules over long windows; compare
	// where it is cheap.
	if count <= 2000 {
		if n := s.countSteps(from, to, true); n != count {
			t.Fatalf("Count(%s, %s) = %d, one by one %d", from, to, count, n)
		}
	}
}
