package calendar

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

func TestDesiredStatus(t *testing.T) {
	// Monday 30 November 2026, 23:30 in Copenhagen (UTC+1).
	now := time.Date(2026, 11, 30, 22, 30, 0, 0, time.UTC)
	tests := []struct {
		name string
		spec rpav1alpha1.RobotCalendarSpec
		// expected
		wantReady     metav1.ConditionStatus
		wantReason    string
		wantFirst     string
		wantRequeue   time.Duration
		wantInMessage string
	}{
		{
			name:        "Danish holidays: the next closed day is a Saturday, the list moves at local midnight",
			spec:        rpav1alpha1.RobotCalendarSpec{TimeZone: "Europe/Copenhagen", Holidays: &rpav1alpha1.CalendarHolidays{Country: "DK"}},
			wantReady:   metav1.ConditionTrue,
			wantReason:  rpav1alpha1.ReasonReady,
			wantFirst:   "2026-12-05",
			wantRequeue: 30*time.Minute + time.Second,
		},
		{
			name:      "a closing day of the municipality's own comes first",
			spec:      rpav1alpha1.RobotCalendarSpec{TimeZone: "Europe/Copenhagen", ExtraClosedDates: []string{"2026-12-01"}},
			wantReady: metav1.ConditionTrue, wantReason: rpav1alpha1.ReasonReady,
			wantFirst: "2026-12-01", wantRequeue: 30*time.Minute + time.Second,
		},
		{
			name:          "a date that does not exist makes it invalid, with no closed dates",
			spec:          rpav1alpha1.RobotCalendarSpec{TimeZone: "Europe/Copenhagen", ExtraClosedDates: []string{"2026-02-30"}},
			wantReady:     metav1.ConditionFalse,
			wantReason:    rpav1alpha1.ReasonInvalidCalendar,
			wantInMessage: "start no runs until it is fixed",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cal := &rpav1alpha1.RobotCalendar{ObjectMeta: metav1.ObjectMeta{Name: "roskilde", Generation: 3}, Spec: tt.spec}
			next, ready, requeue := desiredStatus(cal, now)
			if ready.Status != tt.wantReady || ready.Reason != tt.wantReason || ready.ObservedGeneration != 3 {
				t.Errorf("Ready %s %s at %d, want %s %s at 3", ready.Status, ready.Reason, ready.ObservedGeneration, tt.wantReady, tt.wantReason)
			}
			if !strings.Contains(ready.Message, tt.wantInMessage) {
				t.Errorf("message %q does not say %q", ready.Message, tt.wantInMessage)
			}
			if requeue != tt.wantRequeue {
				t.Errorf("requeue after %v, want %v", requeue, tt.wantRequeue)
			}
			if tt.wantFirst == "" {
				if len(next.NextClosedDates) != 0 {
					t.Errorf("closed dates %v, want none", next.NextClosedDates)
				}
				return
			}
			if len(next.NextClosedDates) != NextClosedDatesShown || next.NextClosedDates[0].Date != tt.wantFirst {
				t.Errorf("closed dates %v, want %d starting %s", next.NextClosedDates, NextClosedDatesShown, tt.wantFirst)
			}
		})
	}
}
