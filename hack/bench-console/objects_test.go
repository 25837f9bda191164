package main

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

// now is a Wednesday afternoon in Copenhagen.
var now = time.Date(2026, time.December, 2, 15, 0, 0, 0, copenhagen)

func TestRobotStatusSaysWhatTheRobotsRunsDid(t *testing.T) {
	for _, tt := range []struct {
		name string
		i    int
		// expectations
		runs       int
		lastPhase  rpav1alpha1.RunPhase
		ready      metav1.ConditionStatus
		activeRuns int32
		suspended  bool
	}{
		{name: "ran fine", i: 1, runs: 3, lastPhase: rpav1alpha1.PhaseSucceeded, ready: metav1.ConditionTrue},
		{name: "failed today", i: 3, runs: 3, lastPhase: rpav1alpha1.PhaseFailed, ready: metav1.ConditionTrue},
		{name: "failed earlier today, then succeeded", i: 36, runs: 4, lastPhase: rpav1alpha1.PhaseSucceeded, ready: metav1.ConditionTrue},
		{name: "running now", i: 9, runs: 3, lastPhase: rpav1alpha1.PhaseRunning, ready: metav1.ConditionTrue, activeRuns: 1},
		{name: "cannot start its runs", i: 7, runs: 3, lastPhase: rpav1alpha1.PhaseSucceeded, ready: metav1.ConditionFalse},
		{name: "suspended", i: 40, runs: 3, lastPhase: rpav1alpha1.PhaseSucceeded, ready: metav1.ConditionTrue, suspended: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			robot, runs := robotOf("department-01", tt.i, 3, now)
			if len(runs) != tt.runs {
				t.Fatalf("%d runs, want %d", len(runs), tt.runs)
			}
			last := runs[len(runs)-1]
			if got := robot.Status.LastRun; got == nil || got.Name != last.Name || got.Phase != tt.lastPhase {
				t.Errorf("lastRun %+v, want %s %s", got, last.Name, tt.lastPhase)
			}
			if age := now.Sub(last.Spec.Trigger.ScheduledTime.Time); age < 0 || age > 5*time.Hour+5*time.Minute {
				t.Errorf("the last run was scheduled %s ago, want within five hours", age)
			}
			if c := meta.FindStatusCondition(robot.Status.Conditions, rpav1alpha1.ConditionReady); c == nil || c.Status != tt.ready {
				t.Errorf("Ready %+v, want %s", c, tt.ready)
			}
			if robot.Status.ActiveRuns != tt.activeRuns {
				t.Errorf("activeRuns %d, want %d", robot.Status.ActiveRuns, tt.activeRuns)
			}
			if robot.Spec.Suspend != tt.suspended || (robot.Status.NextScheduleTime == nil) != tt.suspended {
				t.Errorf("suspend %t with next time %v, want suspended %t", robot.Spec.Suspend, robot.Status.NextScheduleTime, tt.suspended)
			}
			overdue := robot.Status.SuccessDueTime != nil && now.After(robot.Status.SuccessDueTime.Time)
			if overdue && tt.lastPhase != rpav1alpha1.PhaseFailed {
				t.Errorf("success due %v, overdue though the last run did not fail", robot.Status.SuccessDueTime)
			}
		})
	}
}

func TestQueuesPastTheirSLACountOverdueItems(t *testing.T) {
	for i := range 10 {
		q := queueOf("department-01", i, now)
		oldest := q.Status.OldestNewTime
		late := oldest != nil && now.Sub(oldest.Time) > q.Spec.SLA.Duration
		if (q.Status.Overdue > 0) != late {
			t.Errorf("queue %d: overdue %d with the oldest new item from %v (SLA %s)", i, q.Status.Overdue, oldest, q.Spec.SLA.Duration)
		}
	}
}

func TestPercentileIsNearestRank(t *testing.T) {
	r := result{}
	for i := 1; i <= 200; i++ {
		r.samples = append(r.samples, sample{took: time.Duration(i) * time.Millisecond})
	}
	for p, want := range map[float64]time.Duration{50: 100 * time.Millisecond, 95: 190 * time.Millisecond, 100: 200 * time.Millisecond} {
		if got := r.percentile(p); got != want {
			t.Errorf("p%.0f = %s, want %s", p, got, want)
		}
	}
}
