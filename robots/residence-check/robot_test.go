package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rpa-operator/rpa-operator/robots/sandbox/sandbox"
	"github.com/rpa-operator/rpa-operator/robots/sandbox/sandbox/sandboxtest"
	"github.com/rpa-operator/rpa-operator/robots/sdk"
	"github.com/rpa-operator/rpa-operator/robots/sdk/sdktest"
)

// The sandbox in these tests: 60 foreign citizens; FC-00017 and FC-00057
// have expired permits and FC-00029's letters came back: three cases.
var seed = sandbox.Config{ForeignCitizens: 60}

const citizens, cases = 60, 3

// scheduled is the quarterly run's time: 1 July 2025, 06:00 in Herning.
var scheduled = time.Date(2025, time.July, 1, 4, 0, 0, 0, time.UTC)

func newSandbox(t *testing.T) (*sandboxtest.Sandbox, sdktest.Env) {
	sb := sandboxtest.New(t, seed)
	env := sdktest.Env{
		Robot:          "residence-check",
		Trigger:        "Schedule",
		ScheduledTime:  scheduled,
		Args:           map[string]string{"sandboxURL": sb.URL},
		CredentialsDir: sandboxtest.Credentials(t, map[string]map[string]string{"cpr": {"username": "robot-herning-bodil", "password": "x"}}),
	}
	return sb, env
}

func runRobot(t *testing.T, ctx context.Context, sb *sandboxtest.Sandbox, env sdktest.Env) sdktest.Outcome {
	t.Helper()
	// A manual run's clock: a week after the sandbox was seeded.
	now := func() time.Time { return sandboxtest.Start.AddDate(0, 0, 7) }
	return sdktest.Execute(t, ctx, env, robot{now: now, sleep: sb.Clock.Sleep}.work)
}

func TestChecksEveryCitizenOncePerBatch(t *testing.T) {
	tests := []struct {
		name              string
		prepare           func(sb *sandboxtest.Sandbox, env *sdktest.Env, stop context.CancelCauseFunc)
		wantCodes         []int
		wantLastProcessed int64
		wantDuplicates    int
	}{
		{
			name:              "the quarterly run does all",
			wantCodes:         []int{0},
			wantLastProcessed: citizens,
		},
		{
			name:              "a rerun of the quarter finds nothing left",
			wantCodes:         []int{0, 0},
			wantLastProcessed: 0,
		},
		{
			name: "SIGTERM mid-batch, then a rerun",
			prepare: func(sb *sandboxtest.Sandbox, _ *sdktest.Env, stop context.CancelCauseFunc) {
				sb.StopAfter(http.MethodPost, "/cpr/residence-checks", 20, func() { stop(sdk.SIGTERM) })
			},
			wantCodes:         []int{143, 0},
			wantLastProcessed: citizens - 20,
		},
		{
			name: "lost answers when opening cases",
			prepare: func(sb *sandboxtest.Sandbox, _ *sdktest.Env, _ context.CancelCauseFunc) {
				sb.LoseAnswers(http.MethodPost, "/tasks", 2)
			},
			wantCodes:         []int{0},
			wantLastProcessed: citizens,
			wantDuplicates:    2,
		},
		{
			name: "gradual go-live: 25, then 25, then the rest",
			prepare: func(_ *sandboxtest.Sandbox, env *sdktest.Env, _ context.CancelCauseFunc) {
				env.Args["limit"] = "25"
			},
			wantCodes:         []int{0, 0, 0},
			wantLastProcessed: 10,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb, env := newSandbox(t)
			ctx, stop := context.WithCancelCause(context.Background())
			defer stop(nil)
			if tt.prepare != nil {
				tt.prepare(sb, &env, stop)
			}
			var last sdktest.Outcome
			for i, want := range tt.wantCodes {
				if i > 0 {
					sb.Intercept(nil)
					ctx = context.Background()
				}
				last = runRobot(t, ctx, sb, env)
				if last.ExitCode != want {
					t.Fatalf("run %d exited %d (%s), want %d", i+1, last.ExitCode, last.Result.Summary, want)
				}
			}
			if last.Result.ItemsProcessed != tt.wantLastProcessed {
				t.Errorf("last run processed %d, want %d: %+v", last.Result.ItemsProcessed, tt.wantLastProcessed, last.Result)
			}
			checkBatchDone(t, sb, "2025-Q3")
			if st := sb.State(); st.TaskDuplicates+st.ResidenceCheckDuplicates != tt.wantDuplicates || st.IdempotencyConflicts != 0 {
				t.Errorf("state %+v, want %d duplicates and no conflicts", st, tt.wantDuplicates)
			}
		})
	}
}

// checkBatchDone checks the end state: every citizen has exactly one check
// in the batch, and exactly the unclear ones have a case of the batch, one
// each.
func checkBatchDone(t *testing.T, sb *sandboxtest.Sandbox, batch string) {
	t.Helper()
	checks := map[string][]sandbox.ResidenceCheck{}
	for _, c := range sb.ResidenceChecks() {
		if c.Batch == batch {
			checks[c.CitizenID] = append(checks[c.CitizenID], c)
		}
	}
	tasks := map[string]int{}
	for _, task := range sb.Tasks() {
		if strings.HasPrefix(task.Key, "residence-check/"+batch+"/") {
			tasks[task.Reference.ID]++
		}
	}
	opened := 0
	for _, c := range sb.ForeignCitizens() {
		if len(checks[c.ID]) != 1 {
			t.Errorf("%s has %d checks in %s, want 1", c.ID, len(checks[c.ID]), batch)
			continue
		}
		wantTasks := 0
		if checks[c.ID][0].Outcome == sandbox.CheckCaseOpened {
			wantTasks = 1
			opened++
		}
		if tasks[c.ID] != wantTasks {
			t.Errorf("%s (%s): %d tasks, want %d", c.ID, checks[c.ID][0].Outcome, tasks[c.ID], wantTasks)
		}
	}
	if opened != cases {
		t.Errorf("%d cases opened, want %d", opened, cases)
	}
}

func TestBatchArgument(t *testing.T) {
	tests := []struct {
		name        string
		trigger     string
		batch       string
		wantBatch   string
		wantSummary string
	}{
		{"scheduled: the quarter of its scheduled time", "Schedule", "", "2025-Q3", "2025-Q3: 57 residence registrations confirmed, 3 cases opened for caseworkers (checked against 2025-07-01)"},
		{"on demand with a batch", "Manual", "ekstra-2025-07", "ekstra-2025-07", "ekstra-2025-07: 57 residence registrations confirmed, 3 cases opened for caseworkers (checked against 2025-07-08)"},
		{"on demand without a batch: today's quarter", "Manual", "", "2025-Q3", "2025-Q3: 57 residence registrations confirmed, 3 cases opened for caseworkers (checked against 2025-07-08)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb, env := newSandbox(t)
			env.Trigger = tt.trigger
			if tt.trigger != "Schedule" {
				env.ScheduledTime = time.Time{}
			}
			if tt.batch != "" {
				env.Args["batch"] = tt.batch
			}
			out := runRobot(t, context.Background(), sb, env)
			if out.ExitCode != 0 || out.Result.Summary != tt.wantSummary {
				t.Errorf("exit %d, summary %q; want 0, %q", out.ExitCode, out.Result.Summary, tt.wantSummary)
			}
			checkBatchDone(t, sb, tt.wantBatch)
		})
	}
}

func TestANewBatchChecksEveryoneAgain(t *testing.T) {
	sb, env := newSandbox(t)
	runRobot(t, context.Background(), sb, env)
	env.Trigger, env.ScheduledTime = "Manual", time.Time{}
	env.Args["batch"] = "ekstra-1"
	out := runRobot(t, context.Background(), sb, env)
	if out.Result.ItemsProcessed != citizens || out.Result.BusinessExceptions != cases {
		t.Errorf("result %+v, want every citizen checked again", out.Result)
	}
	checkBatchDone(t, sb, "ekstra-1")
	if n := len(sb.Tasks()); n != 2*cases {
		t.Errorf("%d tasks, want one per case per batch", n)
	}
}

func TestBadArgumentsExitWithUsage(t *testing.T) {
	tests := []struct {
		name, param, value, wantText string
	}{
		{"batch with a space", "batch", "2025 Q3", `argument batch (RPA_ARG_BATCH) "2025 Q3": not a batch name`},
		{"batch with a slash", "batch", "2025/Q3", "not a batch name"},
		{"limit not a number", "limit", "ten", `argument limit (RPA_ARG_LIMIT) "ten": not a whole number`},
		{"negative limit", "limit", "-5", `"-5": negative`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb, env := newSandbox(t)
			env.Args[tt.param] = tt.value
			out := runRobot(t, context.Background(), sb, env)
			if out.ExitCode != sdk.ExitUsage || !strings.Contains(out.Result.Summary, tt.wantText) {
				t.Errorf("exit %d, summary %q; want 64 and %q", out.ExitCode, out.Result.Summary, tt.wantText)
			}
		})
	}
}
