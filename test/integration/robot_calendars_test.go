package integration

import (
	"context"
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/dk"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/schedule"
	"github.com/rpa-operator/rpa-operator/controllers/scheduledrun"
)

// Calendar tests use calendars in UTC that are open every day except the
// dates a test closes, so that they pass on any date the suite runs; the
// Danish holidays themselves are table-tested in controllers/schedule.

var everyDay = []rpav1alpha1.Weekday{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}

// createCalendar creates the UTC calendar "kommune", open every day but closed.
func createCalendar(t *testing.T, ns string, closed ...string) *rpav1alpha1.RobotCalendar {
	t.Helper()
	cal := &rpav1alpha1.RobotCalendar{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "kommune"},
		Spec:       rpav1alpha1.RobotCalendarSpec{TimeZone: "UTC", WorkingDays: everyDay, ExtraClosedDates: closed},
	}
	NewWithT(t).Expect(k8sClient.Create(context.Background(), cal)).To(Succeed())
	return cal
}

// nextMidnightUTC is the next UTC midnight after now.
func nextMidnightUTC(now time.Time) time.Time {
	return now.UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
}

// onTheDayOf is a schedule that fires at 00:00 UTC on day's day of the month.
func onTheDayOf(day time.Time, calendar string, policy rpav1alpha1.CalendarPolicy) rpav1alpha1.Schedule {
	return rpav1alpha1.Schedule{Name: "monthly", Cron: fmt.Sprintf("0 0 %d * *", day.Day()), TimeZone: "UTC",
		Calendar: calendar, CalendarPolicy: policy}
}

func TestNextWorkingDayRunsAClosedDaysTimeOnTheNextOpenDayOnce(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	closedDay := clockJustBefore(t, nextMidnightUTC)
	openDay := closedDay.Add(24 * time.Hour)
	createCalendar(t, ns, closedDay.Format(time.DateOnly))
	robot := createRobot(t, ns, "journal", func(r *rpav1alpha1.Robot) {
		r.Spec.Schedules = []rpav1alpha1.Schedule{onTheDayOf(closedDay, "kommune", rpav1alpha1.CalendarNextWorkingDay)}
	})

	g.Eventually(func(g Gomega) {
		status := getRobot(g, robot).Status
		g.Expect(status.NextScheduleTime).NotTo(BeNil())
		g.Expect(status.NextScheduleTime.Time).To(BeTemporally("==", openDay), "the closed day's time, moved")
		g.Expect(readyOf(g, robot).Status).To(Equal(metav1.ConditionTrue))
	}, timeout, interval).Should(Succeed())
	g.Consistently(func(g Gomega) {
		g.Expect(runsOfRobot(g, ns, robot.Name)).To(BeEmpty(), "no run on the closed day")
	}, 4*time.Second, interval).Should(Succeed())

	clockJustBefore(t, func(time.Time) time.Time { return openDay })
	patchRobot(g, robot, func(r *rpav1alpha1.Robot) { r.Spec.Description = "touched to reconcile at the new time" })
	wantName := scheduledrun.Name("journal", "monthly", openDay)
	g.Eventually(func(g Gomega) {
		g.Expect(runNames(runsOfRobot(g, ns, robot.Name))).To(Equal([]string{wantName}))
	}, scheduleTimeout, interval).Should(Succeed())
	run := getRun(g, &rpav1alpha1.RobotRun{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: wantName}})
	g.Expect(run.Spec.Trigger.ScheduledTime.Time).To(BeTemporally("==", openDay))
	g.Consistently(func(g Gomega) {
		g.Expect(runsOfRobot(g, ns, robot.Name)).To(HaveLen(1))
		status := getRobot(g, robot).Status
		g.Expect(status.MissedRuns).To(BeZero())
		g.Expect(status.SkippedRuns).To(BeZero())
	}, 2*time.Second, interval).Should(Succeed())
}

func TestSkipRunsNothingOnAClosedDay(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	closedDay := clockJustBefore(t, nextMidnightUTC)
	createCalendar(t, ns, closedDay.Format(time.DateOnly))
	sched := onTheDayOf(closedDay, "kommune", "") // the default policy is Skip
	robot := createRobot(t, ns, "letters", func(r *rpav1alpha1.Robot) {
		r.Spec.Schedules = []rpav1alpha1.Schedule{sched}
	})
	plain, err := schedule.Parse(sched.Cron, sched.TimeZone)
	g.Expect(err).NotTo(HaveOccurred())

	g.Eventually(func(g Gomega) {
		status := getRobot(g, robot).Status
		g.Expect(status.NextScheduleTime).NotTo(BeNil())
		g.Expect(status.NextScheduleTime.Time).To(BeTemporally("==", plain.Next(closedDay)), "the time after the closed day's")
	}, timeout, interval).Should(Succeed())
	g.Consistently(func(g Gomega) {
		g.Expect(runsOfRobot(g, ns, robot.Name)).To(BeEmpty(), "no run on the closed day")
		status := getRobot(g, robot).Status
		g.Expect(status.MissedRuns).To(BeZero(), "a closed day's time is not missed")
		g.Expect(status.SkippedRuns).To(BeZero())
	}, 4*time.Second, interval).Should(Succeed())
}

func TestMissingCalendarMakesTheRobotNotReadyUntilItExists(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	robot := createRobot(t, ns, "letters", func(r *rpav1alpha1.Robot) {
		r.Spec.Schedules = []rpav1alpha1.Schedule{{Name: "daily", Cron: "0 0 * * *", TimeZone: "UTC", Calendar: "kommune"}}
	})
	g.Eventually(func(g Gomega) {
		ready := readyOf(g, robot)
		g.Expect(ready.Status).To(Equal(metav1.ConditionFalse))
		g.Expect(ready.Reason).To(Equal(rpav1alpha1.ReasonCalendarNotFound))
		g.Expect(ready.Message).To(ContainSubstring(`schedule "daily": RobotCalendar "kommune" not found`))
		g.Expect(getRobot(g, robot).Status.NextScheduleTime).To(BeNil())
	}, timeout, interval).Should(Succeed())
	g.Eventually(func(g Gomega) {
		g.Expect(eventReasons(g, ns, robot.Name)).To(ContainElement(rpav1alpha1.ReasonCalendarNotFound))
	}, timeout, interval).Should(Succeed())

	createCalendar(t, ns)
	g.Eventually(func(g Gomega) {
		g.Expect(readyOf(g, robot).Status).To(Equal(metav1.ConditionTrue))
		g.Expect(getRobot(g, robot).Status.NextScheduleTime).NotTo(BeNil())
	}, timeout, interval).Should(Succeed())
}

func TestEditingTheCalendarChangesTheNextScheduleTime(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	// An hour before midnight, so that midnight does not pass during the test.
	tomorrow := clockJustBefore(t, func(now time.Time) time.Time { return nextMidnightUTC(now).Add(-time.Hour) }).Add(time.Hour)
	cal := createCalendar(t, ns)
	robot := createRobot(t, ns, "letters", func(r *rpav1alpha1.Robot) {
		r.Spec.Schedules = []rpav1alpha1.Schedule{{Name: "daily", Cron: "0 0 * * *", TimeZone: "UTC", Calendar: "kommune"}}
	})
	g.Eventually(func(g Gomega) {
		next := getRobot(g, robot).Status.NextScheduleTime
		g.Expect(next).NotTo(BeNil())
		g.Expect(next.Time).To(BeTemporally("==", tomorrow))
	}, timeout, interval).Should(Succeed())

	g.Eventually(func() error {
		current := &rpav1alpha1.RobotCalendar{}
		if err := k8sClient.Get(ctx, objectKey(cal), current); err != nil {
			return err
		}
		current.Spec.ExtraClosedDates = []string{tomorrow.Format(time.DateOnly)}
		return k8sClient.Update(ctx, current)
	}, timeout, interval).Should(Succeed())
	g.Eventually(func(g Gomega) {
		next := getRobot(g, robot).Status.NextScheduleTime
		g.Expect(next).NotTo(BeNil())
		g.Expect(next.Time).To(BeTemporally("==", tomorrow.Add(24*time.Hour)))
	}, timeout, interval).Should(Succeed())
}

func TestCalendarStatusListsTheNextClosedDates(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	cal := &rpav1alpha1.RobotCalendar{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "kommune"},
		Spec: rpav1alpha1.RobotCalendarSpec{
			Holidays: &rpav1alpha1.CalendarHolidays{Country: "DK"}, ExtraClosedDates: []string{"12-24", "12-31"},
		},
	}
	g.Expect(k8sClient.Create(context.Background(), cal)).To(Succeed())
	got := &rpav1alpha1.RobotCalendar{}
	g.Eventually(func(g Gomega) {
		g.Expect(k8sClient.Get(context.Background(), objectKey(cal), got)).To(Succeed())
		g.Expect(got.Status.ObservedGeneration).To(Equal(got.Generation))
		g.Expect(got.Status.NextClosedDates).To(HaveLen(10))
	}, timeout, interval).Should(Succeed())
	g.Expect(got.Spec.TimeZone).To(Equal("Europe/Copenhagen"), "default")
	g.Expect(got.Spec.WorkingDays).To(Equal(everyDay[:5]), "default")
	copenhagen, err := time.LoadLocation("Europe/Copenhagen")
	g.Expect(err).NotTo(HaveOccurred())
	today := testClock.Now().In(copenhagen).Format(time.DateOnly)
	g.Expect(got.Status.NextClosedDates[0].Date >= today).To(BeTrue(), "from today on")
	for _, d := range got.Status.NextClosedDates {
		day, err := time.Parse(time.DateOnly, d.Date)
		g.Expect(err).NotTo(HaveOccurred())
		// A weekend day is closed as such unless it is also a holiday
		// (2026-12-26, Anden juledag, is a Saturday): then its name wins.
		if weekend := day.Weekday() == time.Saturday || day.Weekday() == time.Sunday; weekend && !isDanishHoliday(day) {
			g.Expect(d.Reason).To(Equal("not a working day"), d.Date)
		}
	}
	g.Expect(readySummary(got.Status.Conditions)).To(Equal("Ready=True"))
}

func TestCalendarWithAnImpossibleDateIsNotReadyAndStopsItsSchedules(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	cal := createCalendar(t, ns, "2027-02-30")
	robot := createRobot(t, ns, "letters", func(r *rpav1alpha1.Robot) {
		r.Spec.Schedules = []rpav1alpha1.Schedule{{Name: "daily", Cron: "0 0 * * *", TimeZone: "UTC", Calendar: "kommune"}}
	})
	g.Eventually(func(g Gomega) {
		got := &rpav1alpha1.RobotCalendar{}
		g.Expect(k8sClient.Get(context.Background(), objectKey(cal), got)).To(Succeed())
		g.Expect(readySummary(got.Status.Conditions)).To(Equal("Ready=False/" + rpav1alpha1.ReasonInvalidCalendar))
	}, timeout, interval).Should(Succeed())
	g.Eventually(func(g Gomega) {
		ready := readyOf(g, robot)
		g.Expect(ready.Reason).To(Equal(rpav1alpha1.ReasonInvalidSchedule))
		g.Expect(ready.Message).To(ContainSubstring(`"2027-02-30" is not a day of the year`))
	}, timeout, interval).Should(Succeed())
}

// readySummary summarizes a Ready condition as "Ready=True" or "Ready=False/Reason".
func readySummary(conditions []metav1.Condition) string {
	for _, c := range conditions {
		if c.Type == rpav1alpha1.ConditionReady {
			if c.Status == metav1.ConditionTrue {
				return "Ready=True"
			}
			return fmt.Sprintf("Ready=%s/%s", c.Status, c.Reason)
		}
	}
	return "no Ready condition"
}

func TestSchemaRejectsInvalidCalendars(t *testing.T) {
	ns := newNamespace(t)
	tests := []struct {
		name    string
		spec    rpav1alpha1.RobotCalendarSpec
		wantErr string
	}{
		{name: "a date in another format", spec: rpav1alpha1.RobotCalendarSpec{ExtraClosedDates: []string{"24/12/2026"}}, wantErr: "spec.extraClosedDates[0]"},
		{name: "month 13", spec: rpav1alpha1.RobotCalendarSpec{ExtraOpenDates: []string{"2026-13-01"}}, wantErr: "spec.extraOpenDates[0]"},
		{name: "a date twice", spec: rpav1alpha1.RobotCalendarSpec{ExtraClosedDates: []string{"12-24", "12-24"}}, wantErr: "Duplicate value"},
		{name: "a date both closed and open", spec: rpav1alpha1.RobotCalendarSpec{ExtraClosedDates: []string{"12-24"}, ExtraOpenDates: []string{"12-24"}},
			wantErr: "a date cannot be both"},
		{name: "an unknown weekday", spec: rpav1alpha1.RobotCalendarSpec{WorkingDays: []rpav1alpha1.Weekday{"Mandag"}}, wantErr: "spec.workingDays[0]"},
		{name: "a weekday twice", spec: rpav1alpha1.RobotCalendarSpec{WorkingDays: []rpav1alpha1.Weekday{"Monday", "Monday"}}, wantErr: "Duplicate value"},
		{name: "an unknown country", spec: rpav1alpha1.RobotCalendarSpec{Holidays: &rpav1alpha1.CalendarHolidays{Country: "SE"}}, wantErr: "spec.holidays.country"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cal := &rpav1alpha1.RobotCalendar{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "invalid"}, Spec: tt.spec}
			err := k8sClient.Create(context.Background(), cal)
			NewWithT(t).Expect(err).To(HaveOccurred())
			NewWithT(t).Expect(err.Error()).To(ContainSubstring(tt.wantErr))
		})
	}
	for _, tt := range []struct {
		name    string
		sched   rpav1alpha1.Schedule
		wantErr string
	}{
		{name: "an unknown policy", sched: rpav1alpha1.Schedule{Name: "d", Cron: "0 7 * * *", Calendar: "k", CalendarPolicy: "Later"},
			wantErr: "spec.schedules[0].calendarPolicy"},
		{name: "a policy without a calendar", sched: rpav1alpha1.Schedule{Name: "d", Cron: "0 7 * * *", CalendarPolicy: rpav1alpha1.CalendarNextWorkingDay},
			wantErr: "calendarPolicy needs a calendar"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			robot := minimalRobot(ns, "invalid")
			robot.Spec.Schedules = []rpav1alpha1.Schedule{tt.sched}
			err := k8sClient.Create(context.Background(), robot)
			NewWithT(t).Expect(err).To(HaveOccurred())
			NewWithT(t).Expect(err.Error()).To(ContainSubstring(tt.wantErr))
		})
	}
}

// isDanishHoliday reports whether day is a Danish public holiday, as the
// calendar library computes them (independently of the controller).
func isDanishHoliday(day time.Time) bool {
	c := cal.NewBusinessCalendar()
	c.AddHoliday(dk.Holidays...)
	actual, observed, _ := c.IsHoliday(day)
	return actual || observed
}
