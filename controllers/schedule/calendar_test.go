package schedule

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

const copenhagen = "Europe/Copenhagen"

// easterSunday is Påskedag per year, written from an almanac (not computed).
var easterSunday = map[int]string{
	2023: "2023-04-09",
	2024: "2024-03-31",
	2025: "2025-04-20",
	2026: "2026-04-05",
	2027: "2027-03-28",
	2028: "2028-04-16",
	2029: "2029-04-01",
	2030: "2030-04-21",
}

// lawHolidays lists the Danish public holidays of a year as the law names
// them (helligdagsloven, and lov nr. 131 af 28/02/2023 for Store Bededag,
// a holiday until 2023): fixed dates, and days counted from Easter Sunday.
func lawHolidays(t *testing.T, year int) []string {
	t.Helper()
	easter, err := time.Parse(time.DateOnly, easterSunday[year])
	if err != nil {
		t.Fatalf("no Easter date for %d", year)
	}
	fromEaster := func(days int, name string) string {
		return easter.AddDate(0, 0, days).Format(time.DateOnly) + " " + name
	}
	days := []string{
		fmt.Sprintf("%d-01-01 Nytårsdag", year),
		fromEaster(-3, "Skærtorsdag"),
		fromEaster(-2, "Langfredag"),
		fromEaster(0, "Påskedag"),
		fromEaster(1, "Anden påskedag"),
	}
	if year <= 2023 {
		days = append(days, fromEaster(26, "Store bededag"))
	}
	return append(days,
		fromEaster(39, "Kristi Himmelfartsdag"),
		fromEaster(49, "Pinsedag"),
		fromEaster(50, "Anden Pinsedag"),
		fmt.Sprintf("%d-12-25 Juledag", year),
		fmt.Sprintf("%d-12-26 Anden juledag", year),
	)
}

func TestDanishHolidaysMatchTheLaw2023To2030(t *testing.T) {
	for year := 2023; year <= 2030; year++ {
		t.Run(fmt.Sprint(year), func(t *testing.T) {
			var got []string
			for _, h := range DanishHolidays(year) {
				got = append(got, h.Date()+" "+h.Name)
			}
			want := lawHolidays(t, year)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("DanishHolidays(%d):\n%s\nwant (from the law):\n%s", year, strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

func TestStoreBededagIsAHolidayUntil2023Only(t *testing.T) {
	cal := mustCalendar(t, CalendarSpec{TimeZone: copenhagen, Country: CountryDK})
	tests := []struct {
		name string
		date string
		want string
	}{
		{name: "2023, a holiday", date: "2023-05-05", want: "Store bededag"},
		{name: "2024, a working day (lov nr. 131 af 28/02/2023)", date: "2024-04-26", want: ""},
		{name: "2025, a working day", date: "2025-05-16", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, _ := time.Parse(time.DateOnly, tt.date)
			if got := cal.ClosedReason(d.Date()); got != tt.want {
				t.Errorf("ClosedReason(%s) = %q, want %q", tt.date, got, tt.want)
			}
		})
	}
}

func mustCalendar(t testing.TB, spec CalendarSpec) *Calendar {
	t.Helper()
	c, err := NewCalendar(spec)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// municipality is a Danish municipality's calendar: Monday to Friday, the
// public holidays, and closed on 24 and 31 December and Grundlovsdag.
func municipality(t testing.TB) *Calendar {
	return mustCalendar(t, CalendarSpec{TimeZone: copenhagen, Country: CountryDK,
		ExtraClosed: []string{"12-24", "12-31", "06-05"}})
}

func TestCalendarOpenDays(t *testing.T) {
	cal := mustCalendar(t, CalendarSpec{TimeZone: copenhagen, Country: CountryDK,
		ExtraClosed: []string{"12-24", "2026-11-27"}, ExtraOpen: []string{"2026-11-28", "2026-12-26"}})
	tests := []struct {
		name string
		at   time.Time
		want bool
	}{
		{name: "an ordinary Monday", at: utc(2026, 11, 23, 8, 0), want: true},
		{name: "a Sunday", at: utc(2026, 11, 29, 8, 0), want: false},
		{name: "an extra closed date", at: utc(2026, 11, 27, 8, 0), want: false},
		{name: "an extra open Saturday", at: utc(2026, 11, 28, 8, 0), want: true},
		{name: "a yearly closed date", at: utc(2027, 12, 24, 8, 0), want: false},
		{name: "an extra open date wins over a holiday", at: utc(2026, 12, 26, 8, 0), want: true},
		{name: "the day is Copenhagen's: 23:30 UTC on Friday is Saturday there", at: utc(2026, 11, 20, 23, 30), want: false},
		{name: "Juledag", at: utc(2030, 12, 25, 8, 0), want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cal.Open(tt.at); got != tt.want {
				t.Errorf("Open(%s) = %v, want %v", tt.at, got, tt.want)
			}
		})
	}
}

func TestNewCalendarRefusesInvalidDates(t *testing.T) {
	tests := []struct {
		name string
		spec CalendarSpec
	}{
		{name: "no such day", spec: CalendarSpec{ExtraClosed: []string{"2026-02-30"}}},
		{name: "no such yearly day", spec: CalendarSpec{ExtraOpen: []string{"13-01"}}},
		{name: "not a date", spec: CalendarSpec{ExtraClosed: []string{"24/12"}}},
		{name: "unknown zone", spec: CalendarSpec{TimeZone: "Europe/Kobenhavn"}},
		{name: "unknown country", spec: CalendarSpec{Country: "SE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewCalendar(tt.spec); err == nil {
				t.Error("NewCalendar succeeded, want an error")
			}
		})
	}
}

func TestNextClosedListsUpcomingClosedDates(t *testing.T) {
	got := municipality(t).NextClosed(utc(2026, 12, 20, 12, 0), 6)
	want := []ClosedDay{
		{Date: "2026-12-20", Reason: "not a working day"},
		{Date: "2026-12-24", Reason: "extra closed date"},
		{Date: "2026-12-25", Reason: "Juledag"},
		{Date: "2026-12-26", Reason: "Anden juledag"},
		{Date: "2026-12-27", Reason: "not a working day"},
		{Date: "2026-12-31", Reason: "extra closed date"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("NextClosed = %v, want %v", got, want)
	}
}

func TestNextWithCalendar(t *testing.T) {
	alwaysOpenExcept := func(dates ...string) *Calendar {
		return mustCalendar(t, CalendarSpec{TimeZone: copenhagen, ExtraClosed: dates, WorkingDays: []time.Weekday{
			time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}})
	}
	tests := []struct {
		name   string
		cron   string
		cal    *Calendar
		policy Policy
		after  time.Time
		want   []time.Time
	}{
		{
			name: "daily over the Christmas week, Skip: only open days run",
			cron: "0 7 * * *", cal: municipality(t), policy: PolicySkip, after: utc(2026, 12, 23, 6, 0),
			want: []time.Time{utc(2026, 12, 28, 6, 0), utc(2026, 12, 29, 6, 0), utc(2026, 12, 30, 6, 0), utc(2027, 1, 4, 6, 0), utc(2027, 1, 5, 6, 0)},
		},
		{
			name: "daily over the Christmas week, NextWorkingDay: 24-27 December run once on Monday 28th, not doubled",
			cron: "0 7 * * *", cal: municipality(t), policy: PolicyNextWorkingDay, after: utc(2026, 12, 23, 6, 0),
			want: []time.Time{utc(2026, 12, 28, 6, 0), utc(2026, 12, 29, 6, 0), utc(2026, 12, 30, 6, 0), utc(2027, 1, 4, 6, 0), utc(2027, 1, 5, 6, 0)},
		},
		{
			name: "asked on a closed day, NextWorkingDay finds the moved run",
			cron: "0 7 * * *", cal: municipality(t), policy: PolicyNextWorkingDay, after: utc(2026, 12, 26, 12, 0),
			want: []time.Time{utc(2026, 12, 28, 6, 0)},
		},
		{
			name: "weekdays with Christmas Eve closed: Thursday 24th and Friday 25th run once, on Monday 28th",
			cron: "0 7 * * 1-5", cal: mustCalendar(t, CalendarSpec{TimeZone: copenhagen, Country: CountryDK, ExtraClosed: []string{"12-24"}}),
			policy: PolicyNextWorkingDay, after: utc(2026, 12, 23, 6, 0),
			want: []time.Time{utc(2026, 12, 28, 6, 0), utc(2026, 12, 29, 6, 0)},
		},
		{
			name: "asked on the open day after Christmas, before the moved Christmas Eve 16:00 run of that day",
			cron: "0 16 24 12 *", cal: municipality(t), policy: PolicyNextWorkingDay, after: utc(2026, 12, 28, 8, 0),
			want: []time.Time{utc(2026, 12, 28, 15, 0), utc(2027, 12, 27, 15, 0)},
		},
		{
			name: "Thursday robot at Easter, Skip: Skærtorsdag is closed, next Thursday runs",
			cron: "0 7 * * 4", cal: municipality(t), policy: PolicySkip, after: utc(2026, 3, 30, 0, 0),
			want: []time.Time{utc(2026, 4, 9, 5, 0)},
		},
		{
			name: "Thursday robot at Easter, NextWorkingDay: past Langfredag and 2. påskedag to Tuesday",
			cron: "0 7 * * 4", cal: municipality(t), policy: PolicyNextWorkingDay, after: utc(2026, 3, 30, 0, 0),
			want: []time.Time{utc(2026, 4, 7, 5, 0), utc(2026, 4, 9, 5, 0)},
		},
		{
			name: "first of the month at New Year, Skip: Nytårsdag 2027 is not run",
			cron: "0 6 1 * *", cal: municipality(t), policy: PolicySkip, after: utc(2026, 12, 15, 0, 0),
			want: []time.Time{utc(2027, 2, 1, 5, 0)},
		},
		{
			name: "first of the month at New Year, NextWorkingDay: Monday 4 January",
			cron: "0 6 1 * *", cal: municipality(t), policy: PolicyNextWorkingDay, after: utc(2026, 12, 15, 0, 0),
			want: []time.Time{utc(2027, 1, 4, 5, 0), utc(2027, 2, 1, 5, 0)},
		},
		{
			name: "weekdays over Store Bededag 2023: Friday 5 May is closed",
			cron: "0 7 * * 1-5", cal: municipality(t), policy: PolicySkip, after: utc(2023, 5, 4, 5, 0),
			want: []time.Time{utc(2023, 5, 8, 5, 0)},
		},
		{
			name: "weekdays over the former Store Bededag 2024: Friday 26 April runs",
			cron: "0 7 * * 1-5", cal: municipality(t), policy: PolicySkip, after: utc(2024, 4, 25, 5, 0),
			want: []time.Time{utc(2024, 4, 26, 5, 0)},
		},
		{
			name: "moved onto spring-forward day, 02:30 runs once right after the gap with that day's own time",
			cron: "30 2 * * *", cal: alwaysOpenExcept("2026-03-28"), policy: PolicyNextWorkingDay, after: utc(2026, 3, 27, 12, 0),
			want: []time.Time{utc(2026, 3, 29, 1, 0), utc(2026, 3, 30, 0, 30)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustParse(t, tt.cron, copenhagen).WithCalendar(tt.cal, tt.policy)
			got := NextN(s, tt.after, len(tt.want))
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("NextN:\n got %v\nwant %v", got, tt.want)
			}
		})
	}
}

func TestCalendarLastAndCountAgreeWithNext(t *testing.T) {
	from, to := utc(2026, 12, 1, 0, 0), utc(2027, 5, 1, 0, 0)
	for _, cron := range []string{"0 7 * * *", "0 7 * * 1-5", "*/30 * * * *", "0 6 1 * *", "30 2 * * *"} {
		for _, policy := range []Policy{PolicySkip, PolicyNextWorkingDay} {
			t.Run(cron+" "+string(policy), func(t *testing.T) {
				s := mustParse(t, cron, copenhagen).WithCalendar(municipality(t), policy)
				var want int64
				var wantLast time.Time
				for at := s.Next(from); !at.IsZero() && !at.After(to); at = s.Next(at) {
					want++
					wantLast = at
				}
				last, count := s.Last(from, to)
				if count != want || !last.Equal(wantLast) || s.Count(from, to) != want {
					t.Errorf("Last = %s, %d and Count = %d; stepping with Next gives %s, %d", last, count, s.Count(from, to), wantLast, want)
				}
			})
		}
	}
}

func TestWithoutCalendarTheScheduleIsUnchanged(t *testing.T) {
	s := mustParse(t, "0 7 * * *", copenhagen)
	if s.WithCalendar(nil, PolicyNextWorkingDay) != Times(s) {
		t.Error("WithCalendar(nil) is not the schedule itself")
	}
}

func TestMakePlanWithCalendar(t *testing.T) {
	const daily = "0 7 * * *"
	seen := State{Cron: daily, TimeZone: copenhagen, HandledUntil: utc(2026, 12, 23, 6, 0)}
	tests := []struct {
		name       string
		policy     Policy
		now        time.Time
		wantDue    time.Time
		wantMissed int64
		wantNext   time.Time
	}{
		{
			name: "on a closed day nothing is due and the next time is the next open day",
			now:  utc(2026, 12, 24, 6, 0).Add(time.Second), policy: PolicySkip,
			wantNext: utc(2026, 12, 28, 6, 0),
		},
		{
			name: "the moved run is due on the next working day, named for when it runs; closed days are not missed",
			now:  utc(2026, 12, 28, 6, 0).Add(time.Second), policy: PolicyNextWorkingDay,
			wantDue: utc(2026, 12, 28, 6, 0), wantNext: utc(2026, 12, 29, 6, 0),
		},
		{
			name: "after an outage over Christmas, only open days' times count as missed",
			now:  utc(2026, 12, 30, 6, 0).Add(time.Second), policy: PolicySkip,
			wantDue: utc(2026, 12, 30, 6, 0), wantMissed: 2, wantNext: utc(2027, 1, 4, 6, 0),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, err := MakePlan(Input{Cron: daily, TimeZone: copenhagen, Previous: seen, Now: tt.now,
				Calendar: municipality(t), Policy: tt.policy})
			if err != nil {
				t.Fatal(err)
			}
			if !plan.Due.Equal(tt.wantDue) || plan.Missed != tt.wantMissed || !plan.Next.Equal(tt.wantNext) {
				t.Errorf("plan: due %s, missed %d, next %s; want due %s, missed %d, next %s",
					plan.Due, plan.Missed, plan.Next, tt.wantDue, tt.wantMissed, tt.wantNext)
			}
		})
	}
}

// With a calendar, Last steps through the schedule's times one by one
// (about 90 ms for a per-minute robot down for 30 days, against 5 ms
// without): calendar robots run daily or so, where this costs nothing.
func BenchmarkLastWithCalendarAfterThirtyDayOutagePerMinute(b *testing.B) {
	s := mustParse(b, "* * * * *", copenhagen).WithCalendar(municipality(b), PolicyNextWorkingDay)
	from, to := utc(2026, 12, 1, 0, 0), utc(2026, 12, 31, 0, 0)
	for b.Loop() {
		s.Last(from, to)
	}
}

// Next on the first day after a closed stretch looks at every time of the
// stretch, since any of them may have moved onto that day.
func BenchmarkNextWithCalendarAfterChristmasPerMinute(b *testing.B) {
	s := mustParse(b, "* * * * *", copenhagen).WithCalendar(municipality(b), PolicyNextWorkingDay)
	at := utc(2026, 12, 28, 12, 0)
	for b.Loop() {
		s.Next(at)
	}
}
