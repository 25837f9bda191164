package schedule

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/aa"
	"github.com/rickar/cal/v2/dk"
)

// CountryDK selects the Danish public holidays.
const CountryDK = "DK"

// maxClosedStretch bounds how many consecutive closed days a calendar may
// have before the next open day; past it a moved run is dropped rather
// than searched for forever (a calendar that closes every day).
const maxClosedStretch = 731

// CalendarSpec is a working-day calendar as the user wrote it (the
// RobotCalendar's spec), without any Kubernetes types.
type CalendarSpec struct {
	// TimeZone is the IANA zone whose dates the calendar speaks of; "" is UTC.
	TimeZone string
	// WorkingDays are the open weekdays; empty means Monday to Friday.
	WorkingDays []time.Weekday
	// Country selects built-in public holidays: "DK" or "" for none.
	Country string
	// ExtraClosed and ExtraOpen are dates as YYYY-MM-DD, or MM-DD for every
	// year. An open date wins over everything else.
	ExtraClosed, ExtraOpen []string
}

// Calendar tells open days from closed ones. Its zero value is not usable;
// build one with NewCalendar.
type Calendar struct {
	loc         *time.Location
	workingDays [7]bool
	country     string
	closed      dateSet
	open        dateSet

	mu       sync.Mutex
	holidays map[int]map[int]string // year -> yyyymmdd -> holiday name
	toOpen   map[int]int            // yyyymmdd -> days to the next open day (0: open)
}

// dateSet holds single dates (yyyymmdd) and yearly ones (mmdd).
type dateSet struct {
	dates, yearly map[int]bool
}

func (s dateSet) has(year int, month time.Month, day int) bool {
	md := int(month)*100 + day
	return s.dates[year*10000+md] || s.yearly[md]
}

var datePattern = regexp.MustCompile(`^(?:([0-9]{4})-)?([0-9]{2})-([0-9]{2})$`)

func parseDates(field string, values []string) (dateSet, error) {
	set := dateSet{dates: map[int]bool{}, yearly: map[int]bool{}}
	for _, v := range values {
		m := datePattern.FindStringSubmatch(v)
		if m == nil {
			return set, fmt.Errorf("%s: %q is not a date: use YYYY-MM-DD, or MM-DD for every year", field, v)
		}
		month, _ := strconv.Atoi(m[2])
		day, _ := strconv.Atoi(m[3])
		if m[1] == "" {
			// 2000 is a leap year, so 02-29 is a valid yearly date.
			if !validDate(2000, month, day) {
				return set, fmt.Errorf("%s: %q is not a day of the year", field, v)
			}
			set.yearly[month*100+day] = true
			continue
		}
		year, _ := strconv.Atoi(m[1])
		if !validDate(year, month, day) {
			return set, fmt.Errorf("%s: %q is not a day of the year", field, v)
		}
		set.dates[year*10000+month*100+day] = true
	}
	return set, nil
}

func validDate(year, month, day int) bool {
	t := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	return t.Year() == year && int(t.Month()) == month && t.Day() == day
}

// NewCalendar checks and compiles a calendar spec.
func NewCalendar(spec CalendarSpec) (*Calendar, error) {
	loc, err := loadLocation(spec.TimeZone)
	if err != nil {
		return nil, err
	}
	c := &Calendar{loc: loc, country: spec.Country, holidays: map[int]map[int]string{}, toOpen: map[int]int{}}
	switch spec.Country {
	case "", CountryDK:
	default:
		return nil, fmt.Errorf("unknown holiday country %q: only %s is built in", spec.Country, CountryDK)
	}
	days := spec.WorkingDays
	if len(days) == 0 {
		days = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	}
	for _, d := range days {
		c.workingDays[d] = true
	}
	if c.closed, err = parseDates("extraClosedDates", spec.ExtraClosed); err != nil {
		return nil, err
	}
	if c.open, err = parseDates("extraOpenDates", spec.ExtraOpen); err != nil {
		return nil, err
	}
	return c, nil
}

// Location is the calendar's time zone.
func (c *Calendar) Location() *time.Location { return c.loc }

// Open reports whether the day of instant t, in the calendar's zone, is
// open.
func (c *Calendar) Open(t time.Time) bool {
	y, m, d := t.In(c.loc).Date()
	return c.openDate(y, m, d)
}

// ClosedReason says why a date is closed ("Juledag", "weekend", "extra
// closed date"), or "" when it is open.
func (c *Calendar) ClosedReason(year int, month time.Month, day int) string {
	switch {
	case c.open.has(year, month, day):
		return ""
	case c.closed.has(year, month, day):
		return "extra closed date"
	}
	if name := c.holiday(year, month, day); name != "" {
		return name
	}
	if !c.workingDays[time.Date(year, month, day, 12, 0, 0, 0, time.UTC).Weekday()] {
		return "not a working day"
	}
	return ""
}

func (c *Calendar) openDate(year int, month time.Month, day int) bool {
	return c.daysToOpen(year, month, day) == 0
}

// daysToOpen returns how many days after the date the next open day is: 0
// for an open date, -1 when none is within maxClosedStretch days. Answers
// are kept, since a per-minute schedule asks about the same day many times.
func (c *Calendar) daysToOpen(year int, month time.Month, day int) int {
	key := year*10000 + int(month)*100 + day
	c.mu.Lock()
	k, ok := c.toOpen[key]
	c.mu.Unlock()
	if ok {
		return k
	}
	k = -1
	date := time.Date(year, month, day, 12, 0, 0, 0, time.UTC)
	for i := 0; i <= maxClosedStretch; i, date = i+1, date.AddDate(0, 0, 1) {
		if c.ClosedReason(date.Date()) == "" {
			k = i
			break
		}
	}
	c.mu.Lock()
	c.toOpen[key] = k
	c.mu.Unlock()
	return k
}

// ClosedDay is a closed date and why it is closed.
type ClosedDay struct {
	// Date is YYYY-MM-DD.
	Date   string
	Reason string
}

// NextClosed returns the first n closed dates from the day of t (in the
// calendar's zone) on, searching at most two years ahead.
func (c *Calendar) NextClosed(t time.Time, n int) []ClosedDay {
	var out []ClosedDay
	y, m, d := t.In(c.loc).Date()
	day := time.Date(y, m, d, 12, 0, 0, 0, time.UTC)
	for i := 0; i < maxClosedStretch && len(out) < n; i, day = i+1, day.AddDate(0, 0, 1) {
		if reason := c.ClosedReason(day.Date()); reason != "" {
			out = append(out, ClosedDay{Date: day.Format(time.DateOnly), Reason: reason})
		}
	}
	return out
}

func (c *Calendar) holiday(year int, month time.Month, day int) string {
	if c.country == "" {
		return ""
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	days, ok := c.holidays[year]
	if !ok {
		days = map[int]string{}
		for _, h := range DanishHolidays(year) {
			days[h.Year*10000+int(h.Month)*100+h.Day] = h.Name
		}
		c.holidays[year] = days
	}
	return days[year*10000+int(month)*100+day]
}

// Holiday is a public holiday on a date.
type Holiday struct {
	Year  int
	Month time.Month
	Day   int
	Name  string
}

// Date is the holiday's date as YYYY-MM-DD.
func (h Holiday) Date() string {
	return fmt.Sprintf("%04d-%02d-%02d", h.Year, h.Month, h.Day)
}

// danishHolidays are the Danish public holidays (helligdage) as
// github.com/rickar/cal/v2 computes them. The dk package's own list is not
// used as it is: it leaves out Påskedag and Pinsedag, which are holidays
// even though they fall on a Sunday (they close a calendar that works on
// Sundays), and it includes Grundlovsdag, which is not a public holiday but
// a day many workplaces close by agreement: a municipality that closes on
// 5 June lists it in extraClosedDates.
//
// Store Bededag: dk.StoreBededag ends with 2023 (EndYear), which is what
// lov nr. 131 af 28/02/2023 (lov om afskaffelse af store bededag som
// helligdag) says: a holiday until 2023, an ordinary working day from 2024.
// TestDanishHolidays checks this against dates written from the law.
var danishHolidays = []*cal.Holiday{
	dk.Nytaarsdag,
	dk.Skaertorsdag,
	dk.Langfredag,
	aa.Easter.Clone(&cal.Holiday{Name: "Påskedag", Type: cal.ObservancePublic}),
	dk.AndenPaaskedag,
	dk.StoreBededag,
	dk.KristiHimmelfartsdag,
	aa.Pentecost.Clone(&cal.Holiday{Name: "Pinsedag", Type: cal.ObservancePublic}),
	dk.AndenPinsedag,
	dk.Juledag,
	dk.AndenJuledag,
}

// DanishHolidays returns the Danish public holidays of a year, in date order.
func DanishHolidays(year int) []Holiday {
	out := make([]Holiday, 0, len(danishHolidays))
	for _, h := range danishHolidays {
		actual, _ := h.Calc(year)
		if actual.IsZero() {
			continue
		}
		y, m, d := actual.Date()
		out = append(out, Holiday{Year: y, Month: m, Day: d, Name: h.Name})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Date() < out[j].Date() })
	return out
}

// Policy says what happens to a scheduled time on a closed day.
type Policy string

const (
	// PolicySkip runs nothing on a closed day.
	PolicySkip Policy = "Skip"
	// PolicyNextWorkingDay moves the run to the same wall-clock time on the
	// next open day, once, however many closed days lie in between.
	PolicyNextWorkingDay Policy = "NextWorkingDay"
)
