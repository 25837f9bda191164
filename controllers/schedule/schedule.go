// Package schedule computes when a robot's schedule fires: the next time, the
// most recent time, and how many times fell in a window, in the schedule's
// own time zone and correct across daylight-saving changes. It is pure: the
// caller passes the time. The semantics are in docs/schedules.md.
package schedule

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
)

// maxOverlap bounds how far a change of a zone's offset moves wall-clock
// time: an hour for daylight saving in Europe, but a whole day when a zone
// crosses the date line (Samoa skipped 30 December 2011).
const maxOverlap = 24 * time.Hour

// Schedule is a parsed cron schedule in a time zone.
type Schedule struct {
	// civil matches wall-clock times. It runs in UTC, which has no
	// daylight-saving changes, so it enumerates wall-clock times exactly;
	// Schedule maps them to instants in loc.
	civil *cron.SpecSchedule
	loc   *time.Location
	// fixedHour is true unless the hour field starts with "*": such
	// schedules run once on daylight-saving days (see docs/schedules.md).
	fixedHour bool
}

var parser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// descriptors are the @-forms we accept, with their five-field meaning.
var descriptors = map[string]string{
	"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
	"@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
}

// Parse parses a standard five-field cron expression (or @yearly, @monthly,
// @weekly, @daily, @hourly) in the IANA time zone tz ("" is UTC).
func Parse(expr, tz string) (*Schedule, error) {
	loc, err := loadLocation(tz)
	if err != nil {
		return nil, err
	}
	fields, err := standardFields(expr)
	if err != nil {
		return nil, err
	}
	parsed, err := parser.Parse(fields)
	if err != nil {
		return nil, fmt.Errorf("invalid cron expression %q: %w", expr, err)
	}
	spec, ok := parsed.(*cron.SpecSchedule)
	if !ok {
		return nil, fmt.Errorf("invalid cron expression %q: not a calendar schedule", expr)
	}
	spec.Location = time.UTC
	hour := strings.Fields(fields)[1]
	return &Schedule{civil: spec, loc: loc, fixedHour: !strings.HasPrefix(hour, "*")}, nil
}

func loadLocation(tz string) (*time.Location, error) {
	if tz == "" {
		return time.UTC, nil
	}
	// time.LoadLocation also accepts "Local" and file-system paths; a robot's
	// schedule must mean the same on every node, so only IANA names count.
	if tz == "Local" || strings.HasPrefix(tz, "/") || strings.Contains(tz, "..") {
		return nil, fmt.Errorf("unknown time zone %q: use an IANA name such as Europe/Copenhagen", tz)
	}
	if loc, ok := locations.Load(tz); ok {
		return loc.(*time.Location), nil
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q: use an IANA name such as Europe/Copenhagen", tz)
	}
	locations.Store(tz, loc)
	return loc, nil
}

// locations caches loaded time zones by name: time.LoadLocation reads and
// parses the zone's file on every call, and schedules are parsed on every
// robot reconcile and for every run created ahead at its time. A Location
// never changes once loaded, so sharing one is safe.
var locations sync.Map

// standardFields returns the five fields of expr, expanding descriptors and
// rejecting what the standard syntax does not have.
func standardFields(expr string) (string, error) {
	expr = strings.TrimSpace(expr)
	if strings.HasPrefix(expr, "@") {
		fields, ok := descriptors[expr]
		if !ok {
			return "", fmt.Errorf("invalid cron expression %q: only @yearly, @annually, @monthly, @weekly, @daily, @midnight and @hourly are supported", expr)
		}
		return fields, nil
	}
	if strings.HasPrefix(expr, "TZ=") || strings.HasPrefix(expr, "CRON_TZ=") {
		return "", errors.New("set the time zone in the schedule's timeZone field, not in the cron expression")
	}
	if n := len(strings.Fields(expr)); n != 5 {
		return "", fmt.Errorf("invalid cron expression %q: want 5 fields (minute hour day-of-month month day-of-week), got %d", expr, n)
	}
	return expr, nil
}

// Location is the schedule's time zone.
func (s *Schedule) Location() *time.Location { return s.loc }

// Next returns the first time the schedule fires strictly after t, or the
// zero time if it never fires again within the next five years.
func (s *Schedule) Next(t time.Time) time.Time {
	c := s.civilOf(t)
	overlap := s.overlapNear(t)
	// When the clocks go back near t, a wall-clock time up to the overlap
	// before t's can still fire after t, so the search starts that much
	// earlier and looks that far past the first candidate.
	c = c.Add(-overlap)
	var best time.Time
	for {
		c = s.civil.Next(c)
		if c.IsZero() {
			return best
		}
		if !best.IsZero() && c.After(s.civilOf(best).Add(overlap)) {
			return best
		}
		for _, at := range s.instants(c) {
			if at.After(t) && (best.IsZero() || at.Before(best)) {
				best = at
			}
		}
	}
}

// overlapNear returns by how much the clocks go back within a few hours of
// t, or 0 if they do not.
func (s *Schedule) overlapNear(t time.Time) time.Duration {
	_, before := t.Add(-maxOverlap - time.Hour).In(s.loc).Zone()
	_, after := t.Add(maxOverlap + time.Hour).In(s.loc).Zone()
	if before <= after {
		return 0
	}
	return time.Duration(before-after)*time.Second + time.Minute
}

// civilOf is t's wall-clock time in the schedule's zone, as a UTC time.
func (s *Schedule) civilOf(t time.Time) time.Time {
	local := t.In(s.loc)
	return time.Date(local.Year(), local.Month(), local.Day(), local.Hour(), local.Minute(), local.Second(), local.Nanosecond(), time.UTC)
}

// instants maps a matching wall-clock time to the instants at which the
// schedule fires for it:
//   - a wall-clock time that exists once fires once;
//   - one that exists twice (clocks go back) fires at its first occurrence
//     for a fixed-hour schedule, at both for a wildcard-hour schedule;
//   - one that does not exist (clocks go forward) fires right after the gap
//     for a fixed-hour schedule, and not at all for a wildcard-hour one,
//     whose next time comes the usual real time later.
func (s *Schedule) instants(civil time.Time) []time.Time {
	valid := wallClockInstants(civil, s.loc)
	switch {
	case len(valid) == 0 && s.fixedHour:
		return []time.Time{gapEnd(civil, s.loc)}
	case len(valid) == 2 && s.fixedHour:
		return valid[:1]
	}
	return valid
}

// wallClockInstants returns the instants, in order, whose wall-clock time in
// loc is civil: none in a gap, two in an overlap, otherwise one.
func wallClockInstants(civil time.Time, loc *time.Location) []time.Time {
	var out []time.Time
	before, after := offsetsAround(civil, loc)
	for _, offset := range []int{before, after} {
		at := civil.Add(-time.Duration(offset) * time.Second)
		if local := at.In(loc); sameWallClock(local, civil) && (len(out) == 0 || !out[0].Equal(at)) {
			out = append(out, at)
		}
	}
	if len(out) == 2 && out[1].Before(out[0]) {
		out[0], out[1] = out[1], out[0]
	}
	return out
}

// offsetsAround returns loc's UTC offsets (in seconds) a few hours before and
// after the instant whose wall-clock time is about civil: the offsets on
// either side of any daylight-saving change near it.
func offsetsAround(civil time.Time, loc *time.Location) (before, after int) {
	_, guess := civil.In(loc).Zone()
	approx := civil.Add(-time.Duration(guess) * time.Second)
	_, before = approx.Add(-maxOverlap - time.Hour).In(loc).Zone()
	_, after = approx.Add(maxOverlap + time.Hour).In(loc).Zone()
	return before, after
}

func sameWallClock(local, civil time.Time) bool {
	y, mo, d := local.Date()
	cy, cmo, cd := civil.Date()
	return y == cy && mo == cmo && d == cd && local.Hour() == civil.Hour() && local.Minute() == civil.Minute()
}

// gapEnd returns the instant at which the clocks jumped over civil: the
// first instant after the gap civil falls in.
func gapEnd(civil time.Time, loc *time.Location) time.Time {
	// Reading civil with the offsets in force well before and well after the
	// gap gives two instants that straddle the change; bisect to the second.
	before, after := offsetsAround(civil, loc)
	lo := civil.Add(-time.Duration(after) * time.Second)
	hi := civil.Add(-time.Duration(before) * time.Second)
	_, loOffset := lo.In(loc).Zone()
	for hi.Sub(lo) > time.Second {
		mid := lo.Add(hi.Sub(lo) / 2).Truncate(time.Second)
		if _, o := mid.In(loc).Zone(); o == loOffset {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}
