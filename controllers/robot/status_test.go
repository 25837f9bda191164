package robot

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/schedule"
)

// Time fixtures, in the style of the CronJob controller's tests.
func sevenInCopenhagen() time.Time { return time.Date(2026, 11, 30, 6, 0, 0, 0, time.UTC) }
func justBeforeSeven() time.Time   { return sevenInCopenhagen().Add(-time.Second) }
func aMinuteAfterSeven() time.Time {
	return sevenInCopenhagen().Add(time.Minute)
}

// run is a run of the fixtures' robot, created at created.
func run(name string, created time.Time, phase rpav1alpha1.RunPhase, mutate ...func(*rpav1alpha1.RobotRun)) rpav1alpha1.RobotRun {
	r := rpav1alpha1.RobotRun{
		ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(created)},
		Spec:       rpav1alpha1.RobotRunSpec{RobotName: "post"},
		Status:     rpav1alpha1.RobotRunStatus{Phase: phase},
	}
	for _, m := range mutate {
		m(&r)
	}
	return r
}

func completedAt(t time.Time) func(*rpav1alpha1.RobotRun) {
	return func(r *rpav1alpha1.RobotRun) { r.Status.CompletionTime = &metav1.Time{Time: t} }
}

func scheduledFor(t time.Time) func(*rpav1alpha1.RobotRun) {
	return func(r *rpav1alpha1.RobotRun) {
		r.Spec.Trigger = rpav1alpha1.Trigger{Type: rpav1alpha1.TriggerSchedule, Schedule: "morning", ScheduledTime: &metav1.Time{Time: t}}
	}
}

func TestSummarizeRuns(t *testing.T) {
	seven := sevenInCopenhagen()
	earlierSuccess := metav1.NewTime(seven.Add(-time.Hour))
	tests := []struct {
		name string
		// status
		lastSuccess *metav1.Time
		runs        []rpav1alpha1.RobotRun
		// now
		now time.Time
		// expected
		wantActive      int32
		wantLast        string
		wantLastPhase   rpav1alpha1.RunPhase
		wantLastSuccess *metav1.Time
	}{
		{
			name: "no runs",
			now:  seven,
		},
		{
			name:          "a new run not yet written by the run controller counts as Pending",
			runs:          []rpav1alpha1.RobotRun{run("r1", seven, "")},
			now:           aMinuteAfterSeven(),
			wantActive:    1,
			wantLast:      "r1",
			wantLastPhase: rpav1alpha1.PhasePending,
		},
		{
			name: "a run created ahead of its time counts nowhere before it",
			runs: []rpav1alpha1.RobotRun{
				run("done", seven.Add(-time.Hour), rpav1alpha1.PhaseSucceeded, completedAt(seven.Add(-50*time.Minute))),
				run("ahead", seven.Add(-30*time.Second), "", scheduledFor(seven)),
			},
			now:             justBeforeSeven(),
			wantLast:        "done",
			wantLastPhase:   rpav1alpha1.PhaseSucceeded,
			wantLastSuccess: &metav1.Time{Time: seven.Add(-50 * time.Minute)},
		},
		{
			name: "at its time the run created ahead is the last run, ordered by its time",
			runs: []rpav1alpha1.RobotRun{
				run("manual", seven.Add(-10*time.Second), rpav1alpha1.PhaseRunning),
				run("ahead", seven.Add(-30*time.Second), "", scheduledFor(seven)),
			},
			now:           seven,
			wantActive:    2,
			wantLast:      "ahead",
			wantLastPhase: rpav1alpha1.PhasePending,
		},
		{
			name:        "the last success never goes back to a pruned run's older one",
			lastSuccess: &metav1.Time{Time: seven},
			runs: []rpav1alpha1.RobotRun{
				run("old", earlierSuccess.Add(-time.Minute), rpav1alpha1.PhaseSucceeded, completedAt(earlierSuccess.Time)),
			},
			now:             aMinuteAfterSeven(),
			wantLast:        "old",
			wantLastPhase:   rpav1alpha1.PhaseSucceeded,
			wantLastSuccess: &metav1.Time{Time: seven},
		},
		{
			name: "runs created in the same second are ordered by name",
			runs: []rpav1alpha1.RobotRun{
				run("b", seven, rpav1alpha1.PhaseFailed, completedAt(seven.Add(time.Second))),
				run("a", seven, rpav1alpha1.PhaseRunning),
			},
			now:           aMinuteAfterSeven(),
			wantActive:    1,
			wantLast:      "b",
			wantLastPhase: rpav1alpha1.PhaseFailed,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status := &rpav1alpha1.RobotStatus{LastSuccessfulTime: tt.lastSuccess}
			summarizeRuns(status, tt.runs, tt.now)
			if status.ActiveRuns != tt.wantActive {
				t.Errorf("activeRuns = %d, want %d", status.ActiveRuns, tt.wantActive)
			}
			switch {
			case tt.wantLast == "" && status.LastRun != nil:
				t.Errorf("lastRun = %+v, want none", status.LastRun)
			case tt.wantLast != "" && (status.LastRun == nil || status.LastRun.Name != tt.wantLast || status.LastRun.Phase != tt.wantLastPhase):
				t.Errorf("lastRun = %+v, want %s %s", status.LastRun, tt.wantLast, tt.wantLastPhase)
			}
			if !status.LastSuccessfulTime.Equal(tt.wantLastSuccess) {
				t.Errorf("lastSuccessfulTime = %v, want %v", status.LastSuccessfulTime, tt.wantLastSuccess)
			}
		})
	}
}

func TestReadyCondition(t *testing.T) {
	tests := []struct {
		name string
		// environment
		problems problems
		// expected
		wantStatus    metav1.ConditionStatus
		wantReason    string
		wantInMessage []string
	}{
		{
			name:          "nothing missing",
			wantStatus:    metav1.ConditionTrue,
			wantReason:    rpav1alpha1.ReasonReady,
			wantInMessage: []string{"runs can start"},
		},
		{
			name:          "a run waiting for a Secret is named, with what to do",
			problems:      problems{secrets: []string{"run r1: Secret(s) esdh-account, dp-account not found"}},
			wantStatus:    metav1.ConditionFalse,
			wantReason:    rpav1alpha1.ReasonCredentialsNotFound,
			wantInMessage: []string{"run r1: Secret(s) esdh-account, dp-account not found", "create the Secrets"},
		},
		{
			name:          "a missing TargetSystem",
			problems:      problems{systems: []string{"sbsys"}},
			wantStatus:    metav1.ConditionFalse,
			wantReason:    rpav1alpha1.ReasonTargetSystemNotFound,
			wantInMessage: []string{"TargetSystem(s) sbsys do not exist"},
		},
		{
			name:          "a TargetSystem the namespace may not use",
			problems:      problems{systemsNotAllowed: []string{"sbsys"}},
			wantStatus:    metav1.ConditionFalse,
			wantReason:    rpav1alpha1.ReasonTargetSystemNotAllowed,
			wantInMessage: []string{"sbsys do not let this namespace's robots use them", "ask the platform team"},
		},
		{
			name:          "a missing calendar",
			problems:      problems{calendars: []string{`schedule "morning": RobotCalendar "roskilde" not found`}},
			wantStatus:    metav1.ConditionFalse,
			wantReason:    rpav1alpha1.ReasonCalendarNotFound,
			wantInMessage: []string{"roskilde", "create the calendar"},
		},
		{
			name: "every problem is named; the reason is the schedule's",
			problems: problems{
				schedules: []string{`schedule "morning": bad cron`}, calendars: []string{"cal"},
				secrets: []string{"esdh-account"}, systems: []string{"sbsys"},
			},
			wantStatus:    metav1.ConditionFalse,
			wantReason:    rpav1alpha1.ReasonInvalidSchedule,
			wantInMessage: []string{"bad cron", "other schedules keep working", "cal", "esdh-account", "sbsys"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := readyCondition(4, tt.problems)
			if got.Type != rpav1alpha1.ConditionReady || got.ObservedGeneration != 4 {
				t.Errorf("condition %s at generation %d, want Ready at 4", got.Type, got.ObservedGeneration)
			}
			if got.Status != tt.wantStatus || got.Reason != tt.wantReason {
				t.Errorf("status %s reason %s, want %s %s", got.Status, got.Reason, tt.wantStatus, tt.wantReason)
			}
			for _, part := range tt.wantInMessage {
				if !strings.Contains(got.Message, part) {
					t.Errorf("message %q does not say %q", got.Message, part)
				}
			}
		})
	}
}

func TestWakeAt(t *testing.T) {
	seven := sevenInCopenhagen()
	tests := []struct {
		name        string
		plan        schedule.Plan
		lead        time.Duration
		aheadExists bool
		want        time.Time
	}{
		{"the plan's wake when nothing was created ahead", schedule.Plan{Wake: seven}, 30 * time.Second, false, seven},
		{"one lead after the time whose run exists ahead", schedule.Plan{Wake: seven, Ahead: seven}, 30 * time.Second, true, seven.Add(30 * time.Second)},
		{"at the time whose run could not be created ahead", schedule.Plan{Wake: seven, Ahead: seven}, 30 * time.Second, false, seven},
		{"no wake: nothing is due again", schedule.Plan{}, 30 * time.Second, false, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := wakeAt(tt.plan, tt.lead, tt.aheadExists); !got.Equal(tt.want) {
				t.Errorf("wakeAt = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRunsWaitingForSecretsAreNamedUpToALimit(t *testing.T) {
	run := func(name string, phase rpav1alpha1.RunPhase, reason string) rpav1alpha1.RobotRun {
		r := rpav1alpha1.RobotRun{ObjectMeta: metav1.ObjectMeta{Name: name}}
		r.Status.Phase, r.Status.Message = phase, "Secret(s) esdh-account not found in the robot's namespace"
		r.Status.Conditions = []metav1.Condition{{Type: rpav1alpha1.ConditionSucceeded, Status: metav1.ConditionUnknown, Reason: reason}}
		return r
	}
	runs := []rpav1alpha1.RobotRun{
		run("r5", rpav1alpha1.PhasePending, rpav1alpha1.ReasonCredentialsNotFound),
		run("r1", rpav1alpha1.PhasePending, rpav1alpha1.ReasonCredentialsNotFound),
		run("failed", rpav1alpha1.PhaseFailed, rpav1alpha1.ReasonCredentialsNotFound),
		run("pulling", rpav1alpha1.PhasePending, rpav1alpha1.ReasonImagePullFailed),
		run("r3", rpav1alpha1.PhasePending, rpav1alpha1.ReasonCredentialsNotFound),
		run("r2", rpav1alpha1.PhasePending, rpav1alpha1.ReasonCredentialsNotFound),
	}
	got := runsWaitingForSecrets(runs)
	want := []string{
		"run r1: Secret(s) esdh-account not found in the robot's namespace",
		"run r2: Secret(s) esdh-account not found in the robot's namespace",
		"run r3: Secret(s) esdh-account not found in the robot's namespace",
		"1 more runs wait the same way",
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := runsWaitingForSecrets(runs[2:4]); len(got) != 0 {
		t.Errorf("a failed run and a run pulling its image wait for no Secret: %q", got)
	}
}

func TestSuccessDueTimeIsWholeSecondsOrNone(t *testing.T) {
	if got := successDueTime(time.Time{}); got != nil {
		t.Errorf("a zero time: %v, want none", got)
	}
	due := time.Date(2026, 12, 2, 7, 10, 1, 500_000_000, time.UTC) // a 1.5s timeout after 07:10:00
	got := successDueTime(due)
	if got == nil || !got.Equal(&metav1.Time{Time: time.Date(2026, 12, 2, 7, 10, 1, 0, time.UTC)}) {
		t.Errorf("successDueTime(%v) = %v, want 07:10:01 as the apiserver stores it", due, got)
	}
}
