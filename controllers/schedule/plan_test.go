package schedule

import (
	"testing"
	"time"
)

func TestMakePlan(t *testing.T) {
	const weekdays, tz = "0 7 * * 1-5", "Europe/Copenhagen"
	monday7 := utc(2026, 11, 23, 6, 0) // 07:00 CET
	tenMinutes := 10 * time.Minute
	seen := State{Cron: weekdays, TimeZone: tz, HandledUntil: monday7.Add(-time.Hour)}
	tests := []struct {
		name       string
		in         Input
		wantDue    time.Time
		wantMissed int64
		wantLatest time.Time
		wantNext   time.Time
	}{
		{
			name:     "nothing due yet",
			in:       Input{Cron: weekdays, TimeZone: tz, Previous: seen, Now: monday7.Add(-time.Minute)},
			wantNext: monday7,
		},
		{
			name:    "due at its time",
			in:      Input{Cron: weekdays, TimeZone: tz, Previous: seen, Now: monday7.Add(200 * time.Millisecond)},
			wantDue: monday7, wantLatest: monday7, wantNext: utc(2026, 11, 24, 6, 0),
		},
		{
			name:    "a new robot's first time since its creation",
			in:      Input{Cron: weekdays, TimeZone: tz, Start: monday7.Add(-time.Second), Now: monday7.Add(time.Second)},
			wantDue: monday7, wantLatest: monday7, wantNext: utc(2026, 11, 24, 6, 0),
		},
		{
			name:     "a schedule added to an old robot does not run the past",
			in:       Input{Cron: weekdays, TimeZone: tz, Start: monday7.Add(time.Hour), Now: monday7.Add(time.Hour)},
			wantNext: utc(2026, 11, 24, 6, 0),
		},
		{
			name: "an edited schedule takes effect from its next time",
			in: Input{Cron: "30 6 * * 1-5", TimeZone: tz, Now: monday7.Add(time.Hour),
				Previous: State{Cron: weekdays, TimeZone: tz, HandledUntil: monday7.Add(-2 * time.Hour)}},
			wantNext: utc(2026, 11, 24, 5, 30),
		},
		{
			name:     "a suspended schedule does nothing and has no next time",
			in:       Input{Cron: weekdays, TimeZone: tz, Suspended: true, Previous: seen, Now: monday7.Add(time.Minute)},
			wantNext: time.Time{},
		},
		{
			name: "resuming does not run the times passed while suspended",
			in: Input{Cron: weekdays, TimeZone: tz, Now: monday7.Add(48 * time.Hour),
				Previous: State{Cron: weekdays, TimeZone: tz, HandledUntil: monday7.Add(-time.Hour), Suspended: true}},
			wantNext: utc(2026, 11, 26, 6, 0),
		},
		{
			name: "after a week down, the most recent time runs and the rest are missed",
			in: Input{Cron: weekdays, TimeZone: tz, Now: monday7.Add(7*24*time.Hour + time.Minute),
				Previous: seen},
			wantDue: utc(2026, 11, 30, 6, 0), wantMissed: 5, wantLatest: utc(2026, 11, 30, 6, 0), wantNext: utc(2026, 12, 1, 6, 0),
		},
		{
			name: "past the starting deadline nothing runs late",
			in: Input{Cron: weekdays, TimeZone: tz, StartingDeadline: &tenMinutes, Now: monday7.Add(11 * time.Minute),
				Previous: seen},
			wantMissed: 1, wantLatest: monday7, wantNext: utc(2026, 11, 24, 6, 0),
		},
		{
			name: "within the starting deadline a late time still runs",
			in: Input{Cron: weekdays, TimeZone: tz, StartingDeadline: &tenMinutes, Now: monday7.Add(9 * time.Minute),
				Previous: seen},
			wantDue: monday7, wantLatest: monday7, wantNext: utc(2026, 11, 24, 6, 0),
		},
		{
			name: "a per-minute robot down for 30 days recovers at once",
			in: Input{Cron: "* * * * *", TimeZone: tz, Now: utc(2026, 12, 23, 6, 0).Add(30 * time.Second),
				Previous: State{Cron: "* * * * *", TimeZone: tz, HandledUntil: monday7}},
			wantDue: utc(2026, 12, 23, 6, 0), wantMissed: 30*24*60 - 1, wantLatest: utc(2026, 12, 23, 6, 0), wantNext: utc(2026, 12, 23, 6, 1),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, err := MakePlan(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if !plan.Due.Equal(tt.wantDue) || plan.Missed != tt.wantMissed || !plan.Latest.Equal(tt.wantLatest) || !plan.Next.Equal(tt.wantNext) {
				t.Errorf("plan = due %s missed %d latest %s next %s; want due %s missed %d latest %s next %s",
					plan.Due.UTC(), plan.Missed, plan.Latest.UTC(), plan.Next.UTC(), tt.wantDue.UTC(), tt.wantMissed, tt.wantLatest.UTC(), tt.wantNext.UTC())
			}
			wantHandled := tt.wantLatest
			if wantHandled.IsZero() {
				wantHandled = baseline(tt.in)
			}
			if tt.in.Suspended {
				wantHandled = tt.in.Previous.HandledUntil
			}
			if !plan.HandledUntil.Equal(wantHandled) {
				t.Errorf("handled until %s, want %s", plan.HandledUntil.UTC(), wantHandled.UTC())
			}
		})
	}
}

func TestMakePlanWithNothingDueChangesNothing(t *testing.T) {
	prev := State{Cron: "0 7 * * *", TimeZone: "UTC", HandledUntil: utc(2026, 11, 23, 7, 0)}
	for _, now := range []time.Time{utc(2026, 11, 23, 7, 0), utc(2026, 11, 23, 12, 0), utc(2026, 11, 24, 6, 59)} {
		plan, err := MakePlan(Input{Cron: "0 7 * * *", TimeZone: "UTC", Previous: prev, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		if !plan.HandledUntil.Equal(prev.HandledUntil) || !plan.Next.Equal(utc(2026, 11, 24, 7, 0)) {
			t.Errorf("at %s: handled until %s, next %s; want them unchanged", now, plan.HandledUntil, plan.Next)
		}
	}
}

func TestMakePlanNamesTheMissedWindow(t *testing.T) {
	plan, err := MakePlan(Input{Cron: "0 7 * * *", TimeZone: "Europe/Copenhagen", Now: utc(2026, 11, 25, 6, 30),
		Previous: State{Cron: "0 7 * * *", TimeZone: "Europe/Copenhagen", HandledUntil: utc(2026, 11, 21, 12, 0)}})
	if err != nil {
		t.Fatal(err)
	}
	if plan.Missed != 3 || !plan.MissedFrom.Equal(utc(2026, 11, 22, 6, 0)) || !plan.MissedTo.Equal(utc(2026, 11, 24, 6, 0)) {
		t.Errorf("missed %d from %s to %s", plan.Missed, plan.MissedFrom, plan.MissedTo)
	}
}

func TestMakePlanReportsInvalidSchedules(t *testing.T) {
	if _, err := MakePlan(Input{Cron: "0 25 * * *", TimeZone: "UTC", Now: utc(2026, 1, 1, 0, 0)}); err == nil {
		t.Error("hour 25 accepted")
	}
	if _, err := MakePlan(Input{Cron: "0 7 * * *", TimeZone: "Europe/Kobenhavn", Now: utc(2026, 1, 1, 0, 0)}); err == nil {
		t.Error("unknown zone accepted")
	}
}

func TestMakePlanSuccessDue(t *testing.T) {
	const weekdays, tz = "0 7 * * 1-5", "Europe/Copenhagen"
	monday7 := utc(2026, 11, 23, 6, 0) // 07:00 CET
	wednesdayNoon := utc(2026, 11, 25, 11, 0)
	since := monday7.Add(-24 * time.Hour)
	active := State{Cron: weekdays, TimeZone: tz, HandledUntil: monday7, ActiveSince: since}
	danish, err := NewCalendar(CalendarSpec{TimeZone: tz, Country: CountryDK})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		in         Input
		wantActive time.Time
		wantDue    time.Time
	}{
		{
			name:       "the next weekday's time after a success, plus the timeout",
			in:         Input{Previous: active, LastSuccess: monday7.Add(10 * time.Minute), Now: wednesdayNoon.Add(-48 * time.Hour)},
			wantActive: since, wantDue: utc(2026, 11, 24, 7, 0),
		},
		{
			name:       "a Friday success is next due on Monday",
			in:         Input{Previous: active, LastSuccess: utc(2026, 11, 27, 6, 10), Now: utc(2026, 11, 28, 12, 0)},
			wantActive: since, wantDue: utc(2026, 11, 30, 7, 0),
		},
		{
			name:       "a robot that never succeeded is due at its first time after creation",
			in:         Input{Start: monday7.Add(-30 * time.Second), Now: monday7.Add(-20 * time.Second)},
			wantActive: monday7.Add(-30 * time.Second), wantDue: monday7.Add(time.Hour),
		},
		{
			name: "a resumed robot counts from its resume, not from its old success",
			in: Input{Previous: State{Cron: weekdays, TimeZone: tz, HandledUntil: monday7, Suspended: true},
				LastSuccess: monday7.Add(-30 * 24 * time.Hour), Now: wednesdayNoon},
			wantActive: wednesdayNoon, wantDue: utc(2026, 11, 26, 7, 0),
		},
		{
			name: "an edited schedule counts from its edit",
			in: Input{Previous: State{Cron: "0 6 * * 1-5", TimeZone: tz, HandledUntil: monday7, ActiveSince: since},
				LastSuccess: monday7.Add(-30 * 24 * time.Hour), Now: wednesdayNoon},
			wantActive: wednesdayNoon, wantDue: utc(2026, 11, 26, 7, 0),
		},
		{
			name: "a status written before activeSince existed counts from now",
			in: Input{Previous: State{Cron: weekdays, TimeZone: tz, HandledUntil: monday7},
				LastSuccess: monday7.Add(-30 * 24 * time.Hour), Now: wednesdayNoon},
			wantActive: wednesdayNoon, wantDue: utc(2026, 11, 26, 7, 0),
		},
		{
			name: "a robot that keeps failing stays due where it was",
			in: Input{Previous: active, LastSuccess: monday7.Add(-24*time.Hour + 10*time.Minute),
				Now: wednesdayNoon.Add(24 * time.Hour)},
			wantActive: since, wantDue: monday7.Add(time.Hour),
		},
		{
			name:       "suspended: nothing is due",
			in:         Input{Previous: active, Suspended: true, LastSuccess: monday7, Now: wednesdayNoon},
			wantActive: time.Time{}, wantDue: time.Time{},
		},
		{
			name: "Easter closes Thursday to Monday: due Tuesday, in summer time",
			in: Input{Previous: State{Cron: weekdays, TimeZone: tz, HandledUntil: utc(2027, 3, 24, 6, 0), ActiveSince: since},
				Calendar: danish, LastSuccess: utc(2027, 3, 24, 6, 10), Now: utc(2027, 3, 26, 12, 0)},
			wantActive: since, wantDue: utc(2027, 3, 30, 6, 0),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.Cron, tt.in.TimeZone, tt.in.SuccessGrace = weekdays, tz, time.Hour
			plan, err := MakePlan(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if !plan.ActiveSince.Equal(tt.wantActive) || !plan.SuccessDue.Equal(tt.wantDue) {
				t.Errorf("active since %s, success due %s; want %s and %s",
					plan.ActiveSince.UTC(), plan.SuccessDue.UTC(), tt.wantActive.UTC(), tt.wantDue.UTC())
			}
		})
	}
}

func TestMakePlanAhead(t *testing.T) {
	const weekdays, tz = "0 7 * * 1-5", "Europe/Copenhagen"
	monday7 := utc(2026, 11, 23, 6, 0) // 07:00 CET
	lead := 30 * time.Second
	seen := State{Cron: weekdays, TimeZone: tz, HandledUntil: monday7.Add(-24 * time.Hour)}
	tests := []struct {
		name                   string
		in                     Input
		wantAhead, wantWake    time.Time
		wantDue, wantHandledTo time.Time
	}{
		{
			name:     "more than the lead before the time: wake the lead before it",
			in:       Input{Cron: weekdays, TimeZone: tz, Previous: seen, Now: monday7.Add(-time.Hour), Lead: lead},
			wantWake: monday7.Add(-lead), wantHandledTo: seen.HandledUntil,
		},
		{
			name:      "within the lead: the next time may be created now, and is not handled yet",
			in:        Input{Cron: weekdays, TimeZone: tz, Previous: seen, Now: monday7.Add(-lead), Lead: lead},
			wantAhead: monday7, wantWake: monday7, wantHandledTo: seen.HandledUntil,
		},
		{
			name:      "a second before the time",
			in:        Input{Cron: weekdays, TimeZone: tz, Previous: seen, Now: monday7.Add(-time.Second), Lead: lead},
			wantAhead: monday7, wantWake: monday7, wantHandledTo: seen.HandledUntil,
		},
		{
			name:    "at the time it is due and handled as without a lead",
			in:      Input{Cron: weekdays, TimeZone: tz, Previous: seen, Now: monday7, Lead: lead},
			wantDue: monday7, wantHandledTo: monday7, wantWake: utc(2026, 11, 24, 6, 0).Add(-lead),
		},
		{
			name:          "no lead: wake at the time",
			in:            Input{Cron: weekdays, TimeZone: tz, Previous: seen, Now: monday7.Add(-time.Second)},
			wantWake:      monday7,
			wantHandledTo: seen.HandledUntil,
		},
		{
			name: "suspended: nothing ahead, no wake",
			in: Input{Cron: weekdays, TimeZone: tz, Suspended: true, Previous: seen, Now: monday7.Add(-time.Second),
				Lead: lead},
			wantHandledTo: seen.HandledUntil,
		},
		{
			name: "an edited schedule's first time may be created ahead",
			in: Input{Cron: "0 8 * * 1-5", TimeZone: tz, Previous: seen, Now: monday7.Add(time.Hour - 10*time.Second),
				Lead: lead},
			wantAhead: monday7.Add(time.Hour), wantWake: monday7.Add(time.Hour),
			wantHandledTo: monday7.Add(time.Hour - 10*time.Second),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, err := MakePlan(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if !plan.Ahead.Equal(tt.wantAhead) || !plan.Wake.Equal(tt.wantWake) {
				t.Errorf("ahead %v, wake %v; want %v, %v", plan.Ahead, plan.Wake, tt.wantAhead, tt.wantWake)
			}
			if !plan.Due.Equal(tt.wantDue) || !plan.HandledUntil.Equal(tt.wantHandledTo) {
				t.Errorf("due %v, handled until %v; want %v, %v", plan.Due, plan.HandledUntil, tt.wantDue, tt.wantHandledTo)
			}
		})
	}
}
