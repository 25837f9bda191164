package plugin

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/schedule"
)

func TestUpcomingTimesInTheSchedulesZone(t *testing.T) {
	copenhagen := func(cron string) rpav1alpha1.Schedule {
		return rpav1alpha1.Schedule{Name: "morning", Cron: cron, TimeZone: "Europe/Copenhagen"}
	}
	tests := []struct {
		name     string
		schedule rpav1alpha1.Schedule
		suspend  bool
		now      time.Time
		count    int
		want     ScheduleUpcoming
	}{
		{
			name:     "weekday mornings in winter, from a Sunday",
			schedule: copenhagen("0 7 * * 1-5"),
			now:      time.Date(2026, time.November, 22, 12, 0, 0, 0, time.UTC),
			count:    3,
			want: ScheduleUpcoming{Name: "morning", Cron: "0 7 * * 1-5", TimeZone: "Europe/Copenhagen",
				Next: []string{"2026-11-23T07:00:00+01:00", "2026-11-24T07:00:00+01:00", "2026-11-25T07:00:00+01:00"}},
		},
		{
			name:     "across the spring change the offset becomes +02:00",
			schedule: copenhagen("0 7 * * *"),
			now:      time.Date(2026, time.March, 28, 12, 0, 0, 0, time.UTC),
			count:    2,
			want: ScheduleUpcoming{Name: "morning", Cron: "0 7 * * *", TimeZone: "Europe/Copenhagen",
				Next: []string{"2026-03-29T07:00:00+02:00", "2026-03-30T07:00:00+02:00"}},
		},
		{
			name:     "a time in the spring gap fires right after it, as the controller does",
			schedule: copenhagen("30 2 * * *"),
			now:      time.Date(2026, time.March, 28, 12, 0, 0, 0, time.UTC),
			count:    2,
			want: ScheduleUpcoming{Name: "morning", Cron: "30 2 * * *", TimeZone: "Europe/Copenhagen",
				Next: []string{"2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00"}},
		},
		{
			name:     "a fixed-hour time in the autumn overlap fires once",
			schedule: copenhagen("30 2 * * *"),
			now:      time.Date(2026, time.October, 24, 12, 0, 0, 0, time.UTC),
			count:    2,
			want: ScheduleUpcoming{Name: "morning", Cron: "30 2 * * *", TimeZone: "Europe/Copenhagen",
				Next: []string{"2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"}},
		},
		{
			name:     "suspended schedule has no times",
			schedule: rpav1alpha1.Schedule{Name: "morning", Cron: "0 7 * * *", TimeZone: "Europe/Copenhagen", Suspend: true},
			now:      time.Date(2026, time.November, 22, 12, 0, 0, 0, time.UTC),
			count:    1,
			want:     ScheduleUpcoming{Name: "morning", Cron: "0 7 * * *", TimeZone: "Europe/Copenhagen", Suspended: true},
		},
		{
			name:     "suspended robot suspends its schedules",
			schedule: copenhagen("0 7 * * *"),
			suspend:  true,
			now:      time.Date(2026, time.November, 22, 12, 0, 0, 0, time.UTC),
			count:    1,
			want:     ScheduleUpcoming{Name: "morning", Cron: "0 7 * * *", TimeZone: "Europe/Copenhagen", Suspended: true},
		},
		{
			name:     "no time zone is UTC",
			schedule: rpav1alpha1.Schedule{Name: "morning", Cron: "@daily"},
			now:      time.Date(2026, time.November, 22, 12, 0, 0, 0, time.UTC),
			count:    1,
			want:     ScheduleUpcoming{Name: "morning", Cron: "@daily", Next: []string{"2026-11-23T00:00:00Z"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			robot := &rpav1alpha1.Robot{ObjectMeta: metav1.ObjectMeta{Name: "welcome-letters", Namespace: "aarhus"},
				Spec: rpav1alpha1.RobotSpec{Suspend: tt.suspend, Schedules: []rpav1alpha1.Schedule{tt.schedule}}}
			got := upcoming(robot, nil, tt.now, tt.count)
			g := NewWithT(t)
			g.Expect(got.Suspended).To(Equal(tt.suspend))
			g.Expect(got.Schedules).To(Equal([]ScheduleUpcoming{tt.want}))
		})
	}
}

// TestUpcomingTimesHonourTheCalendar: a once-a-year run on 24 December,
// a closing day of the municipality, moves to the next working day under
// NextWorkingDay; a daily run skips the Christmas days under Skip; a
// calendar that does not exist is said, not ignored.
func TestUpcomingTimesHonourTheCalendar(t *testing.T) {
	cal, err := schedule.CompileCalendar(&rpav1alpha1.RobotCalendar{Spec: rpav1alpha1.RobotCalendarSpec{
		TimeZone:         "Europe/Copenhagen",
		WorkingDays:      []rpav1alpha1.Weekday{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday"},
		Holidays:         &rpav1alpha1.CalendarHolidays{Country: "DK"},
		ExtraClosedDates: []string{"12-24", "12-31"},
	}})
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	calendars := map[string]schedule.CompiledCalendar{"roskilde": {Calendar: cal}}
	withCalendar := func(cron string, policy rpav1alpha1.CalendarPolicy, calendar string) rpav1alpha1.Schedule {
		return rpav1alpha1.Schedule{Name: "letters", Cron: cron, TimeZone: "Europe/Copenhagen", Calendar: calendar, CalendarPolicy: policy}
	}
	now := time.Date(2026, time.December, 23, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		schedule  rpav1alpha1.Schedule
		count     int
		wantNext  []string
		wantError string
	}{
		{
			name:     "24 December moves to Monday 28 December",
			schedule: withCalendar("0 7 24 12 *", rpav1alpha1.CalendarNextWorkingDay, "roskilde"),
			count:    1,
			wantNext: []string{"2026-12-28T07:00:00+01:00"},
		},
		{
			name:     "a daily run skips Christmas, the weekend and New Year's Eve",
			schedule: withCalendar("0 7 * * *", rpav1alpha1.CalendarSkip, "roskilde"),
			count:    4,
			wantNext: []string{"2026-12-28T07:00:00+01:00", "2026-12-29T07:00:00+01:00", "2026-12-30T07:00:00+01:00", "2027-01-04T07:00:00+01:00"},
		},
		{
			name:      "a missing calendar",
			schedule:  withCalendar("0 7 * * *", rpav1alpha1.CalendarSkip, "lejre"),
			count:     1,
			wantError: "lejre",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			results := calendars
			if tt.wantError != "" {
				results = map[string]schedule.CompiledCalendar{"lejre": {Err: errors.New(`RobotCalendar "lejre" not found`)}}
			}
			robot := &rpav1alpha1.Robot{Spec: rpav1alpha1.RobotSpec{Schedules: []rpav1alpha1.Schedule{tt.schedule}}}
			got := upcoming(robot, results, now, tt.count).Schedules[0]
			g.Expect(got.Next).To(Equal(tt.wantNext))
			g.Expect(got.Calendar).To(Equal(tt.schedule.Calendar))
			if tt.wantError != "" {
				g.Expect(got.Error).To(ContainSubstring(tt.wantError))
			}
		})
	}
}

func TestWriteUpcoming(t *testing.T) {
	var out strings.Builder
	err := writeUpcoming(&out, UpcomingTimes{Robot: "welcome-letters", Schedules: []ScheduleUpcoming{
		{Name: "morning", Next: []string{"2026-11-23T07:00:00+01:00", "2026-11-24T07:00:00+01:00"}},
		{Name: "evening", Suspended: true},
	}})
	g := NewWithT(t)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(out.String()).To(Equal(
		"SCHEDULE   NEXT\n" +
			"morning    2026-11-23T07:00:00+01:00\n" +
			"morning    2026-11-24T07:00:00+01:00\n" +
			"evening    suspended\n"))
}

func TestNextPrintsJSONForARobotInTheCluster(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	createRobot(t, ns, "welcome-letters", func(r *rpav1alpha1.Robot) {
		r.Spec.Schedules = []rpav1alpha1.Schedule{{Name: "morning", Cron: "0 7 * * *", TimeZone: "Europe/Copenhagen"}}
	})
	res := kubectlRobot(t, ns, "next", "welcome-letters", "--count", "2", "-o", "json")
	g.Expect(res.err).NotTo(HaveOccurred())
	var got UpcomingTimes
	g.Expect(json.Unmarshal([]byte(res.out), &got)).To(Succeed())
	g.Expect(got.Robot).To(Equal("welcome-letters"))
	g.Expect(got.Schedules).To(HaveLen(1))
	g.Expect(got.Schedules[0].Next).To(HaveLen(2))
	for _, ts := range got.Schedules[0].Next {
		at, err := time.Parse(time.RFC3339, ts)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(at.Hour()).To(Equal(7), "07:00 local, in %s", ts)
	}
}

// TestNextReadsTheSchedulesCalendarFromTheCluster: the times come from the
// RobotCalendar in the robot's namespace, and a missing one is reported.
func TestNextReadsTheSchedulesCalendarFromTheCluster(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	// Closed every day but Wednesday: every time falls on a Wednesday.
	cal := &rpav1alpha1.RobotCalendar{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "wednesdays"},
		Spec:       rpav1alpha1.RobotCalendarSpec{TimeZone: "Europe/Copenhagen", WorkingDays: []rpav1alpha1.Weekday{"Wednesday"}},
	}
	g.Expect(k8sClient.Create(context.Background(), cal)).To(Succeed())
	createRobot(t, ns, "letters", func(r *rpav1alpha1.Robot) {
		r.Spec.Schedules = []rpav1alpha1.Schedule{
			{Name: "daily", Cron: "0 7 * * *", TimeZone: "Europe/Copenhagen", Calendar: "wednesdays", CalendarPolicy: rpav1alpha1.CalendarSkip},
			{Name: "other", Cron: "0 8 * * *", TimeZone: "Europe/Copenhagen", Calendar: "missing"},
		}
	})
	res := kubectlRobot(t, ns, "next", "letters", "--count", "3", "-o", "json")
	g.Expect(res.err).NotTo(HaveOccurred())
	var got UpcomingTimes
	g.Expect(json.Unmarshal([]byte(res.out), &got)).To(Succeed())
	g.Expect(got.Schedules).To(HaveLen(2))
	g.Expect(got.Schedules[0].Next).To(HaveLen(3))
	for _, ts := range got.Schedules[0].Next {
		at, err := time.Parse(time.RFC3339, ts)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(at.Weekday()).To(Equal(time.Wednesday), ts)
	}
	g.Expect(got.Schedules[1].Next).To(BeEmpty())
	g.Expect(got.Schedules[1].Error).To(ContainSubstring(`RobotCalendar "missing" not found`))
}
