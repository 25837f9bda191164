package schedule

import (
	"testing"
	"time"
)

func TestWorkingCutoff(t *testing.T) {
	cal := mustCalendar(t, CalendarSpec{TimeZone: copenhagen, Country: CountryDK})
	cph, err := time.LoadLocation(copenhagen)
	if err != nil {
		t.Fatal(err)
	}
	at := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, cph) }
	tests := []struct {
		name string
		now  time.Time
		d    time.Duration
		want time.Time
	}{
		{"within an open day", at(2026, 11, 24, 14, 0), 2 * time.Hour, at(2026, 11, 24, 12, 0)},
		{"across an open night", at(2026, 11, 24, 10, 0), 24 * time.Hour, at(2026, 11, 23, 10, 0)},
		{"Monday afternoon, 24h back, skips the weekend", at(2026, 11, 30, 15, 0), 24 * time.Hour, at(2026, 11, 27, 15, 0)},
		{"on a Sunday, the weekend does not count", at(2026, 11, 29, 15, 0), 2 * time.Hour, at(2026, 11, 27, 22, 0)},
		{"after Christmas: 25 and 26 December and Sunday closed", at(2026, 12, 28, 9, 0), 10 * time.Hour, at(2026, 12, 24, 23, 0)},
		{"exactly an open day back reaches across the closed days before it", at(2026, 11, 30, 0, 0), 24 * time.Hour, at(2026, 11, 27, 0, 0)},
		{"exactly the open time back reaches to the end of the open day before", at(2026, 11, 30, 9, 0), 9 * time.Hour, at(2026, 11, 28, 0, 0)},
		{"now at midnight", at(2026, 11, 25, 0, 0), time.Hour, at(2026, 11, 24, 23, 0)},
		{"zero on an open day", at(2026, 11, 27, 15, 0), 0, at(2026, 11, 27, 15, 0)},
		{"zero on a closed day reaches back to the last open day's end", at(2026, 11, 29, 15, 0), 0, at(2026, 11, 28, 0, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cal.WorkingCutoff(tt.now, tt.d); !got.Equal(tt.want) {
				t.Errorf("WorkingCutoff(%s, %s) = %s, want %s", tt.now, tt.d, got.In(cph), tt.want)
			}
		})
	}

	// Clocks change on Sundays: with every day open, 29 March 2026 has 23
	// hours and counts 23.
	always := mustCalendar(t, CalendarSpec{TimeZone: copenhagen, WorkingDays: []time.Weekday{
		time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}})
	if got, want := always.WorkingCutoff(at(2026, 3, 30, 1, 0), 25*time.Hour), at(2026, 3, 28, 23, 0); !got.Equal(want) {
		t.Errorf("across the change to summer time: %s, want %s", got.In(cph), want)
	}
}
