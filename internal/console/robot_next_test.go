package console

import (
	"errors"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/schedule"
)

// TestMergeNextTimes: two schedules' times interleave soonest first and
// are cut at n; a schedule with an error gives no times but its problem;
// a time keeps its own zone (CET before, CEST after the clocks change).
func TestMergeNextTimes(t *testing.T) {
	cph, err := time.LoadLocation("Europe/Copenhagen")
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	at := func(month time.Month, day, hour int) time.Time {
		return time.Date(2027, month, day, hour, 0, 0, 0, cph)
	}
	named := func(name string) rpav1alpha1.Schedule { return rpav1alpha1.Schedule{Name: name} }
	upcoming := []schedule.Upcoming{
		{Schedule: named("morning"), Next: []time.Time{at(time.March, 26, 7), at(time.March, 29, 7)}},
		{Schedule: named("noon"), Next: []time.Time{at(time.March, 26, 12), at(time.March, 29, 12)}},
		{Schedule: named("holidays"), Err: errors.New(`RobotCalendar "lejre" not found`)},
	}
	tests := []struct {
		name         string
		n            int
		wantTimes    []NextTime
		wantProblems []ScheduleProblem
	}{
		{
			name: "all, soonest first",
			n:    10,
			wantTimes: []NextTime{
				{"morning", at(time.March, 26, 7)}, {"noon", at(time.March, 26, 12)},
				{"morning", at(time.March, 29, 7)}, {"noon", at(time.March, 29, 12)},
			},
			wantProblems: []ScheduleProblem{{"holidays", `RobotCalendar "lejre" not found`}},
		},
		{
			name:         "cut at n",
			n:            3,
			wantTimes:    []NextTime{{"morning", at(time.March, 26, 7)}, {"noon", at(time.March, 26, 12)}, {"morning", at(time.March, 29, 7)}},
			wantProblems: []ScheduleProblem{{"holidays", `RobotCalendar "lejre" not found`}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			times, problems := mergeNextTimes(upcoming, tt.n)
			g.Expect(times).To(Equal(tt.wantTimes))
			g.Expect(problems).To(Equal(tt.wantProblems))
		})
	}
	g := NewWithT(t)
	g.Expect(localTime(at(time.March, 26, 7))).To(Equal("2027-03-26 07:00 CET"))
	g.Expect(localTime(at(time.March, 29, 7))).To(Equal("2027-03-29 07:00 CEST"), "after the clocks go forward on 28 March")
}
