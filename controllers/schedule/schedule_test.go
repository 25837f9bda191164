package schedule

import (
	"strings"
	"testing"
	"time"
)

// utc is an instant, written in UTC; comments give Copenhagen's wall clock.
func utc(y int, mo time.Month, d, h, mi int) time.Time {
	return time.Date(y, mo, d, h, mi, 0, 0, time.UTC)
}

func mustParse(t testing.TB, expr, tz string) *Schedule {
	t.Helper()
	s, err := Parse(expr, tz)
	if err != nil {
		t.Fatalf("Parse(%q, %q): %v", expr, tz, err)
	}
	return s
}

// In 2026 Copenhagen springs forward on 29 March at 01:00 UTC (02:00 CET
// becomes 03:00 CEST) and falls back on 25 October at 01:00 UTC (03:00 CEST
// becomes 02:00 CET).
func TestNext(t *testing.T) {
	tests := []struct {
		name  string
		cron  string
		tz    string
		after time.Time
		want  []time.Time // successive times after `after`
	}{
		{
			name: "weekday mornings skip the weekend", cron: "0 7 * * 1-5", tz: "Europe/Copenhagen",
			after: utc(2026, 11, 20, 6, 0), // Friday 07:00 CET
			want:  []time.Time{utc(2026, 11, 23, 6, 0), utc(2026, 11, 24, 6, 0)},
		},
		{
			name: "UTC is the default zone", cron: "0 7 * * *", tz: "",
			after: utc(2026, 11, 22, 12, 0),
			want:  []time.Time{utc(2026, 11, 23, 7, 0)},
		},
		{
			name: "spring forward: a fixed time in the gap runs once right after it", cron: "30 2 * * *", tz: "Europe/Copenhagen",
			after: utc(2026, 3, 28, 1, 30), // 02:30 CET on the day before
			want:  []time.Time{utc(2026, 3, 29, 1, 0), utc(2026, 3, 30, 0, 30)},
		},
		{
			name: "spring forward: times in the gap and right after it are not doubled", cron: "0,30 2,3 * * *", tz: "Europe/Copenhagen",
			after: utc(2026, 3, 29, 0, 0), // 01:00 CET
			want:  []time.Time{utc(2026, 3, 29, 1, 0), utc(2026, 3, 29, 1, 30), utc(2026, 3, 30, 0, 0)},
		},
		{
			name: "date line: a fixed time on the day Samoa skipped runs once right after it", cron: "0 12 * * *", tz: "Pacific/Apia",
			after: utc(2011, 12, 29, 22, 0), // 12:00 on 29 December at UTC-10; 30 December never came
			want:  []time.Time{utc(2011, 12, 30, 10, 0), utc(2011, 12, 30, 22, 0)},
		},
		{
			name: "fall back: a fixed time that occurs twice runs at the first", cron: "30 2 * * *", tz: "Europe/Copenhagen",
			after: utc(2026, 10, 24, 12, 0),
			want:  []time.Time{utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)},
		},
		{
			name: "spring forward: every 15 minutes continues 15 real minutes later", cron: "*/15 * * * *", tz: "Europe/Copenhagen",
			after: utc(2026, 3, 29, 0, 30), // 01:30 CET
			want:  []time.Time{utc(2026, 3, 29, 0, 45), utc(2026, 3, 29, 1, 0), utc(2026, 3, 29, 1, 15)},
		},
		{
			name: "fall back: every 15 minutes runs through both 02:00 hours", cron: "*/15 * * * *", tz: "Europe/Copenhagen",
			after: utc(2026, 10, 25, 0, 30), // 02:30 CEST
			want:  []time.Time{utc(2026, 10, 25, 0, 45), utc(2026, 10, 25, 1, 0), utc(2026, 10, 25, 1, 15), utc(2026, 10, 25, 1, 30)},
		},
		{
			name: "fall back: hourly follows real hours", cron: "0 * * * *", tz: "Europe/Copenhagen",
			after: utc(2026, 10, 24, 23, 30), // 01:30 CEST
			want:  []time.Time{utc(2026, 10, 25, 0, 0), utc(2026, 10, 25, 1, 0), utc(2026, 10, 25, 2, 0)},
		},
		{
			name: "fall back: a fixed hour with every minute runs only in the first hour", cron: "*/20 2 * * *", tz: "Europe/Copenhagen",
			after: utc(2026, 10, 25, 0, 10), // 02:10 CEST
			want:  []time.Time{utc(2026, 10, 25, 0, 20), utc(2026, 10, 25, 0, 40), utc(2026, 10, 26, 1, 0)},
		},
		{
			name: "leap day waits for the next leap year", cron: "0 12 29 2 *", tz: "Europe/Copenhagen",
			after: utc(2026, 3, 1, 0, 0),
			want:  []time.Time{utc(2028, 2, 29, 11, 0)},
		},
		{
			name: "@yearly is midnight on New Year in the zone", cron: "@yearly", tz: "Europe/Copenhagen",
			after: utc(2026, 6, 1, 0, 0),
			want:  []time.Time{utc(2026, 12, 31, 23, 0), utc(2027, 12, 31, 23, 0)},
		},
		{
			name: "day 31 skips months without it", cron: "0 9 31 * *", tz: "Europe/Copenhagen",
			after: utc(2026, 4, 1, 0, 0),
			want:  []time.Time{utc(2026, 5, 31, 7, 0), utc(2026, 7, 31, 7, 0)},
		},
		{
			name: "quarterly, as municipalities run residence checks", cron: "0 6 1 1,4,7,10 *", tz: "Europe/Copenhagen",
			after: utc(2026, 11, 22, 0, 0),
			want:  []time.Time{utc(2027, 1, 1, 5, 0), utc(2027, 4, 1, 4, 0)},
		},
		{
			name: "day of month or day of week when both are restricted", cron: "0 8 1 * 1", tz: "Europe/Copenhagen",
			after: utc(2026, 11, 25, 0, 0), // Wednesday
			want:  []time.Time{utc(2026, 11, 30, 7, 0), utc(2026, 12, 1, 7, 0), utc(2026, 12, 7, 7, 0)},
		},
		{
			name: "strictly after: a time on the schedule is not returned again", cron: "0 7 * * *", tz: "Europe/Copenhagen",
			after: utc(2026, 11, 23, 6, 0),
			want:  []time.Time{utc(2026, 11, 24, 6, 0)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustParse(t, tt.cron, tt.tz)
			at := tt.after
			for i, want := range tt.want {
				got := s.Next(at)
				if !got.Equal(want) {
					t.Fatalf("time %d after %s: got %s (%s), want %s (%s)", i+1, at.UTC(), got.UTC(), got.In(s.Location()), want.UTC(), want.In(s.Location()))
				}
				at = got
			}
		})
	}
}

func TestParseRejectsWhatIsNotAStandardSchedule(t *testing.T) {
	tests := []struct{ cron, tz, wantErr string }{
		{"61 * * * *", "", "invalid cron expression"},
		{"* * *", "", "want 5 fields"},
		{"0 0 * * * *", "", "want 5 fields"},
		{"@every 5m", "", "only @yearly"},
		{"@reboot", "", "only @yearly"},
		{"CRON_TZ=Europe/Copenhagen 0 7 * * *", "", "timeZone field"},
		{"TZ=UTC 0 7 * * *", "", "timeZone field"},
		{"0 7 * * *", "Mars/Olympus_Mons", `unknown time zone "Mars/Olympus_Mons"`},
		{"0 7 * * *", "Local", "unknown time zone"},
		{"0 7 * * *", "../../etc/passwd", "unknown time zone"},
		{"0 7 31 2 *", "", ""}, // valid syntax that never fires: Next returns zero
	}
	for _, tt := range tests {
		_, err := Parse(tt.cron, tt.tz)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("Parse(%q, %q): unexpected error %v", tt.cron, tt.tz, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("Parse(%q, %q) = %v, want error containing %q", tt.cron, tt.tz, err, tt.wantErr)
		}
	}
	if next := mustParse(t, "0 7 31 2 *", "").Next(utc(2026, 1, 1, 0, 0)); !next.IsZero() {
		t.Errorf("31 February fired at %s", next)
	}
}

func TestLast(t *testing.T) {
	tests := []struct {
		name      string
		cron, tz  string
		from, to  time.Time
		wantLast  time.Time
		wantCount int64
	}{
		{
			name: "nothing due", cron: "0 7 * * *", tz: "Europe/Copenhagen",
			from: utc(2026, 11, 23, 6, 0), to: utc(2026, 11, 23, 12, 0),
		},
		{
			name: "the weekend between two weekday runs", cron: "0 7 * * 1-5", tz: "Europe/Copenhagen",
			from: utc(2026, 11, 20, 7, 0), to: utc(2026, 11, 23, 7, 0),
			wantLast: utc(2026, 11, 23, 6, 0), wantCount: 1,
		},
		{
			name: "the end of the window counts", cron: "0 7 * * *", tz: "Europe/Copenhagen",
			from: utc(2026, 11, 22, 6, 0), to: utc(2026, 11, 23, 6, 0),
			wantLast: utc(2026, 11, 23, 6, 0), wantCount: 1,
		},
		{
			name: "a month of a per-minute robot through the fall-back night", cron: "* * * * *", tz: "Europe/Copenhagen",
			from: utc(2026, 10, 1, 0, 0), to: utc(2026, 10, 31, 0, 0).Add(30 * time.Second),
			wantLast: utc(2026, 10, 31, 0, 0), wantCount: 30 * 24 * 60,
		},
		{
			name: "a daily fixed-hour robot over the spring-forward month runs every day once", cron: "30 2 * * *", tz: "Europe/Copenhagen",
			from: utc(2026, 3, 1, 0, 0), to: utc(2026, 4, 1, 0, 0),
			wantLast: utc(2026, 3, 31, 0, 30), wantCount: 31,
		},
		{
			name: "a year of quarterly runs", cron: "0 6 1 1,4,7,10 *", tz: "Europe/Copenhagen",
			from: utc(2025, 11, 22, 0, 0), to: utc(2026, 11, 22, 0, 0),
			wantLast: utc(2026, 10, 1, 4, 0), wantCount: 4,
		},
		{
			name: "thirty days of an hourly robot after a long outage", cron: "@hourly", tz: "Europe/Copenhagen",
			from: utc(2026, 11, 1, 0, 0), to: utc(2026, 12, 1, 0, 0),
			wantLast: utc(2026, 12, 1, 0, 0), wantCount: 30 * 24,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustParse(t, tt.cron, tt.tz)
			last, count := s.Last(tt.from, tt.to)
			if !last.Equal(tt.wantLast) || count != tt.wantCount {
				t.Errorf("Last = %s, %d; want %s, %d", last.UTC(), count, tt.wantLast.UTC(), tt.wantCount)
			}
		})
	}
}

// TestCountAgreesWithCountingOneByOne checks the day-at-a-time count against
// stepping through every time, over windows that cross both 2026 changes.
func TestCountAgreesWithCountingOneByOne(t *testing.T) {
	crons := []string{"* * * * *", "*/15 * * * *", "30 2 * * *", "0,30 2,3 * * *", "*/20 2 * * *", "0 7 * * 1-5", "0 * * * *", "5 1-4 * * 0"}
	zones := []string{"Europe/Copenhagen", "UTC", "America/Santiago", "Australia/Lord_Howe"}
	starts := []time.Time{utc(2026, 3, 25, 13, 17), utc(2026, 10, 21, 22, 59), utc(2026, 9, 1, 0, 0), utc(2026, 4, 1, 3, 0)}
	for _, cron := range crons {
		for _, zone := range zones {
			s := mustParse(t, cron, zone)
			for _, from := range starts {
				to := from.Add(9*24*time.Hour + 7*time.Hour + 3*time.Minute)
				if got, want := s.Count(from, to), s.countSteps(from, to, true); got != want {
					t.Errorf("%q in %s from %s: Count = %d, counting one by one = %d", cron, zone, from, got, want)
				}
			}
		}
	}
}

func TestNextNeverRepeatsOrGoesBack(t *testing.T) {
	for _, cron := range []string{"*/15 * * * *", "30 2 * * *", "0,30 2,3 * * *", "0 * * * *"} {
		for _, zone := range []string{"Europe/Copenhagen", "America/Santiago", "Australia/Lord_Howe"} {
			s := mustParse(t, cron, zone)
			at := utc(2026, 1, 1, 0, 0)
			for range 3000 {
				next := s.Next(at)
				if !next.After(at) {
					t.Fatalf("%q in %s: Next(%s) = %s", cron, zone, at, next)
				}
				at = next
			}
		}
	}
}

func FuzzParseAndNext(f *testing.F) {
	f.Add("0 7 * * 1-5", "Europe/Copenhagen", int64(1790000000))
	f.Add("@yearly", "", int64(0))
	f.Add("*/0 * * * *", "UTC", int64(-1))
	f.Add("0 0 29 2 *", "Australia/Lord_Howe", int64(1900000000))
	f.Fuzz(func(t *testing.T, cron, tz string, unix int64) {
		s, err := Parse(cron, tz)
		if err != nil {
			return
		}
		at := time.Unix(unix%4_000_000_000, 0)
		next := s.Next(at)
		if !next.IsZero() && !next.After(at) {
			t.Errorf("Next(%s) = %s is not after it", at, next)
		}
		last, count := s.Last(at.Add(-72*time.Hour), at)
		if count < 0 || (count > 0) == last.IsZero() {
			t.Errorf("Last = %s, %d", last, count)
		}
	})
}

func BenchmarkNext(b *testing.B) {
	s := mustParse(b, "0 7 * * 1-5", "Europe/Copenhagen")
	at := utc(2026, 11, 22, 12, 0)
	for b.Loop() {
		s.Next(at)
	}
}

func BenchmarkLastAfterThirtyDayOutagePerMinute(b *testing.B) {
	s := mustParse(b, "* * * * *", "Europe/Copenhagen")
	from, to := utc(2026, 10, 1, 0, 0), utc(2026, 10, 31, 0, 0)
	for b.Loop() {
		s.Last(from, to)
	}
}
