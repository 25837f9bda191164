package console

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

func TestWhatARobotNeeds(t *testing.T) {
	ended := metav1.NewTime(time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC))
	last := func(phase rpav1alpha1.RunPhase) *rpav1alpha1.RunReference {
		return &rpav1alpha1.RunReference{Name: "run-1", Phase: phase, CompletionTime: &ended}
	}
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	dueBefore, dueAfter := metav1.NewTime(now.Add(-time.Minute)), metav1.NewTime(now.Add(time.Minute))
	notReady := []metav1.Condition{{Type: rpav1alpha1.ConditionReady, Status: metav1.ConditionFalse, Reason: "CredentialsNotFound"}}
	for _, tt := range []struct {
		name   string
		robot  rpav1alpha1.Robot
		need   Need
		health string
		reason string
	}{
		{"never ran", rpav1alpha1.Robot{}, NeedsNothing, "health.neverRun", ""},
		{"last run succeeded", rpav1alpha1.Robot{Status: rpav1alpha1.RobotStatus{LastRun: last(rpav1alpha1.PhaseSucceeded)}}, NeedsNothing, "health.ok", ""},
		{"running", rpav1alpha1.Robot{Status: rpav1alpha1.RobotStatus{ActiveRuns: 1, LastRun: last(rpav1alpha1.PhaseSucceeded)}}, NeedsNothing, "health.running", ""},
		{"last run failed", rpav1alpha1.Robot{Status: rpav1alpha1.RobotStatus{LastRun: last(rpav1alpha1.PhaseFailed)}}, NeedsPerson, "health.lastRunFailed", "Failed"},
		{"last run timed out", rpav1alpha1.Robot{Status: rpav1alpha1.RobotStatus{LastRun: last(rpav1alpha1.PhaseTimedOut)}}, NeedsPerson, "health.lastRunFailed", "TimedOut"},
		{"cannot run", rpav1alpha1.Robot{Status: rpav1alpha1.RobotStatus{Conditions: notReady, LastRun: last(rpav1alpha1.PhaseSucceeded)}}, NeedsPerson, "health.notReady", "CredentialsNotFound"},
		{"suspended, whatever else", rpav1alpha1.Robot{Spec: rpav1alpha1.RobotSpec{Suspend: true}, Status: rpav1alpha1.RobotStatus{Conditions: notReady}}, NeedsWatching, "health.suspended", ""},
		{"success overdue", rpav1alpha1.Robot{Status: rpav1alpha1.RobotStatus{LastRun: last(rpav1alpha1.PhaseSucceeded), SuccessDueTime: &dueBefore}},
			NeedsPerson, "health.successOverdue", ""},
		{"success due later", rpav1alpha1.Robot{Status: rpav1alpha1.RobotStatus{LastRun: last(rpav1alpha1.PhaseSucceeded), SuccessDueTime: &dueAfter}},
			NeedsNothing, "health.ok", ""},
		{"a failed last run says more than an overdue success", rpav1alpha1.Robot{Status: rpav1alpha1.RobotStatus{LastRun: last(rpav1alpha1.PhaseFailed), SuccessDueTime: &dueBefore}},
			NeedsPerson, "health.lastRunFailed", "Failed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			row := robotRow(&tt.robot, now)
			if row.Need != tt.need || row.Health != tt.health || row.Reason != tt.reason {
				t.Errorf("need %v %q (%q), want %v %q (%q)", row.Need, row.Health, row.Reason, tt.need, tt.health, tt.reason)
			}
		})
	}
}

func TestWhatAQueueNeedsAndTheOrder(t *testing.T) {
	q := func(name string, counts rpav1alpha1.WorkQueueCounts, overdue int64) rpav1alpha1.WorkQueue {
		return rpav1alpha1.WorkQueue{ObjectMeta: metav1.ObjectMeta{Namespace: "hr", Name: name},
			Status: rpav1alpha1.WorkQueueStatus{Items: counts, Overdue: overdue}}
	}
	queues := []rpav1alpha1.WorkQueue{
		q("empty", rpav1alpha1.WorkQueueCounts{}, 0),
		q("working", rpav1alpha1.WorkQueueCounts{New: 4, InProgress: 1}, 0),
		q("late", rpav1alpha1.WorkQueueCounts{New: 4}, 2),
		q("exceptions", rpav1alpha1.WorkQueueCounts{BusinessException: 1}, 0),
	}
	rows := make([]QueueRow, 0, len(queues))
	for i := range queues {
		rows = append(rows, queueRow(&queues[i]))
	}
	sortQueues(rows)
	got := make([]string, 0, len(rows))
	for _, r := range rows {
		got = append(got, r.Name+":"+r.Health)
	}
	want := []string{"exceptions:queue.waitsForPerson", "late:queue.overdue", "empty:queue.empty", "working:queue.working"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("order %v, want %v", got, want)
		}
	}
}

func TestFailuresTodayAreCountedFromLocalMidnight(t *testing.T) {
	copenhagen, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		t.Fatal(err)
	}
	// 08:00 in Copenhagen is 07:00 UTC; the day began at 23:00 UTC.
	now := time.Date(2026, 12, 2, 7, 0, 0, 0, time.UTC)
	dayStart := startOfDay(now, copenhagen)
	if want := time.Date(2026, 12, 1, 23, 0, 0, 0, time.UTC); !dayStart.Equal(want) {
		t.Fatalf("the day began %v, want %v", dayStart.UTC(), want)
	}
	endedAt := func(robot string, phase rpav1alpha1.RunPhase, at time.Time) overviewRun {
		var run overviewRun
		ended := metav1.NewTime(at)
		run.Spec.RobotName, run.Status.Phase, run.Status.CompletionTime = robot, phase, &ended
		return run
	}
	failedAt := func(robot string, at time.Time) overviewRun { return endedAt(robot, rpav1alpha1.PhaseFailed, at) }
	rows := []RobotRow{
		{Namespace: "hr", Name: "letters", Need: NeedsNothing, Health: "health.ok"},
		{Namespace: "hr", Name: "journal", Need: NeedsPerson, Health: "health.lastRunFailed"},
		{Namespace: "hr", Name: "quiet", Need: NeedsNothing, Health: "health.ok"},
	}
	counts := failuresToday{}
	var running overviewRun
	running.Spec.RobotName = "quiet" // no completion time yet
	counts.add([]overviewRun{
		failedAt("letters", time.Date(2026, 12, 1, 23, 30, 0, 0, time.UTC)), // 00:30 today in Copenhagen
		failedAt("letters", time.Date(2026, 12, 1, 22, 30, 0, 0, time.UTC)), // 23:30 yesterday
		failedAt("journal", time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)),
		endedAt("journal", rpav1alpha1.PhaseTimedOut, time.Date(2026, 12, 2, 6, 30, 0, 0, time.UTC)),
		endedAt("quiet", rpav1alpha1.PhaseCancelled, time.Date(2026, 12, 2, 6, 30, 0, 0, time.UTC)), // a person's choice, no failure
		running,
	}, dayStart)
	counts.markRows(rows)
	got := map[string][2]int{}
	for _, r := range rows {
		got[r.Name] = [2]int{r.FailuresToday, int(r.Need)}
	}
	want := map[string][2]int{
		"letters": {1, int(NeedsWatching)}, // works now, failed earlier today
		"journal": {2, int(NeedsPerson)},
		"quiet":   {0, int(NeedsNothing)},
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s: failures today, need %v; want %v", name, got[name], w)
		}
	}
}

// TestTheOverviewDecodesWhatItShowsOfARobot: the slim decoding keeps every
// field robotRow reads, so a row is the same as from the whole Robot.
func TestTheOverviewDecodesWhatItShowsOfARobot(t *testing.T) {
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	due := metav1.NewTime(now.Add(-time.Minute))
	next := metav1.NewTime(now.Add(time.Hour))
	ended := metav1.NewTime(now.Add(-2 * time.Hour))
	whole := rpav1alpha1.Robot{
		ObjectMeta: metav1.ObjectMeta{Namespace: "hr", Name: "journal", Labels: map[string]string{"team": "hr"}},
		Spec: rpav1alpha1.RobotSpec{Description: "journals certificates", Suspend: true,
			Template: rpav1alpha1.RobotTemplate{Image: "registry.example/robots/journal:1.0"}},
		Status: rpav1alpha1.RobotStatus{
			ActiveRuns: 1, NextScheduleTime: &next, SuccessDueTime: &due,
			LastRun:    &rpav1alpha1.RunReference{Name: "journal-1", Phase: rpav1alpha1.PhaseFailed, CompletionTime: &ended},
			Conditions: []metav1.Condition{{Type: rpav1alpha1.ConditionReady, Status: metav1.ConditionFalse, Reason: "CredentialsNotFound"}},
		},
	}
	raw, err := json.Marshal(whole)
	if err != nil {
		t.Fatal(err)
	}
	var slim overviewRobot
	if err := json.Unmarshal(raw, &slim); err != nil {
		t.Fatal(err)
	}
	for _, suspended := range []bool{true, false} {
		whole.Spec.Suspend, slim.Spec.Suspend = suspended, suspended
		// As printed: times decoded from JSON have another *Location.
		want, got := fmt.Sprintf("%+v", robotRow(&whole, now)), fmt.Sprintf("%+v", robotRow(slim.robot(), now))
		if got != want {
			t.Errorf("suspend %v: the slim robot's row %+v, want %+v", suspended, got, want)
		}
	}
}
