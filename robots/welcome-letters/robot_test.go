package main

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/rpa-operator/rpa-operator/robots/sandbox/sandbox"
	"github.com/rpa-operator/rpa-operator/robots/sandbox/sandbox/sandboxtest"
	"github.com/rpa-operator/rpa-operator/robots/sdk"
	"github.com/rpa-operator/rpa-operator/robots/sdk/sdktest"
)

const password = "Velkommen-2025!"

// The sandbox in these tests: 24 move-ins shared by Roskilde, Lejre and
// Køge in turn, so Roskilde has 8, two of them (MI-00007, MI-00019) with
// address protection.
var seed = sandbox.Config{MoveIns: 24}

const (
	roskildeMoveIns = 8
	roskildeLetters = 6
)

func newSandbox(t *testing.T) (*sandboxtest.Sandbox, sdktest.Env) {
	sb := sandboxtest.New(t, seed)
	env := sdktest.Env{
		Robot:          "welcome-letters",
		Trigger:        "Schedule",
		Args:           map[string]string{"sandboxURL": sb.URL, "municipality": "Roskilde"},
		CredentialsDir: sandboxtest.Credentials(t, map[string]map[string]string{"digital-post": {"username": "robot-roskilde", "password": password}}),
	}
	return sb, env
}

func runRobot(t *testing.T, ctx context.Context, sb *sandboxtest.Sandbox, env sdktest.Env) sdktest.Outcome {
	t.Helper()
	return sdktest.Execute(t, ctx, env, robot{sleep: sb.Clock.Sleep}.work)
}

func TestWelcomesEveryNewResidentOnce(t *testing.T) {
	tests := []struct {
		name string
		// prepare plays what goes wrong; it gets a cancel for the run.
		prepare func(sb *sandboxtest.Sandbox, stop context.CancelCauseFunc)
		// runs is how often the robot runs; the last run's outcome counts.
		runs              int
		wantCodes         []int
		wantLastProcessed int64
		wantDuplicates    int
	}{
		{
			name:              "one run does all",
			runs:              1,
			wantCodes:         []int{0},
			wantLastProcessed: roskildeMoveIns,
		},
		{
			name:              "a second run finds nothing left",
			runs:              2,
			wantCodes:         []int{0, 0},
			wantLastProcessed: 0,
		},
		{
			name: "lost answers are retried with the same key",
			prepare: func(sb *sandboxtest.Sandbox, _ context.CancelCauseFunc) {
				sb.LoseAnswers(http.MethodPost, "/digital-post/letters", 2)
			},
			runs:              1,
			wantCodes:         []int{0},
			wantLastProcessed: roskildeMoveIns,
			wantDuplicates:    2,
		},
		{
			name: "SIGTERM mid-batch, then a rerun",
			prepare: func(sb *sandboxtest.Sandbox, stop context.CancelCauseFunc) {
				sb.StopAfter(http.MethodPost, "/digital-post/letters", 3, func() { stop(sdk.SIGTERM) })
			},
			runs:              2,
			wantCodes:         []int{143, 0},
			wantLastProcessed: roskildeMoveIns - 4, // three letters and MI-00007's task came first
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb, env := newSandbox(t)
			ctx, stop := context.WithCancelCause(context.Background())
			defer stop(nil)
			if tt.prepare != nil {
				tt.prepare(sb, stop)
			}
			var last sdktest.Outcome
			for i := range tt.runs {
				if i > 0 {
					sb.Intercept(nil)
					ctx = context.Background()
				}
				last = runRobot(t, ctx, sb, env)
				if last.ExitCode != tt.wantCodes[i] {
					t.Fatalf("run %d exited %d (%s), want %d", i+1, last.ExitCode, last.Result.Summary, tt.wantCodes[i])
				}
			}
			if last.Result.ItemsProcessed != tt.wantLastProcessed {
				t.Errorf("last run processed %d, want %d: %+v", last.Result.ItemsProcessed, tt.wantLastProcessed, last.Result)
			}
			checkEveryoneWelcomedOnce(t, sb)
			if st := sb.State(); st.LetterDuplicates != tt.wantDuplicates || st.TaskDuplicates != 0 || st.IdempotencyConflicts != 0 {
				t.Errorf("duplicates: %d letters (want %d), %d tasks, %d conflicts", st.LetterDuplicates, tt.wantDuplicates, st.TaskDuplicates, st.IdempotencyConflicts)
			}
		})
	}
}

// checkEveryoneWelcomedOnce checks the end state the robot promises: each
// Roskilde move-in has one letter of the right kind, or one task if the
// resident is protected, and nobody else got anything.
func checkEveryoneWelcomedOnce(t *testing.T, sb *sandboxtest.Sandbox) {
	t.Helper()
	letters := map[string][]sandbox.Letter{}
	for _, l := range sb.Letters() {
		letters[l.MoveInID] = append(letters[l.MoveInID], l)
	}
	tasks := map[string]int{}
	for _, task := range sb.Tasks() {
		tasks[task.Reference.ID]++
		if task.Queue != "borgerservice" || task.Reference.Kind != "move-in" {
			t.Errorf("task %+v, want one for borgerservice about a move-in", task)
		}
	}
	for _, m := range sb.MoveIns() {
		switch {
		case m.Municipality != "Roskilde":
			if len(letters[m.ID]) > 0 || tasks[m.ID] > 0 || m.Status != sandbox.MoveInNew {
				t.Errorf("%s moved to %s, not Roskilde, and was touched", m.ID, m.Municipality)
			}
		case m.AddressProtected:
			if len(letters[m.ID]) != 0 || tasks[m.ID] != 1 {
				t.Errorf("protected %s: %d letters, %d tasks; want none and one", m.ID, len(letters[m.ID]), tasks[m.ID])
			}
		default:
			want := map[bool]string{false: "welcome", true: "welcome-children"}[m.HasChildren]
			if len(letters[m.ID]) != 1 || letters[m.ID][0].Template != want || letters[m.ID][0].SentBy != "robot-roskilde" {
				t.Errorf("%s (children %v): letters %+v, want one %s letter sent by robot-roskilde", m.ID, m.HasChildren, letters[m.ID], want)
			}
		}
	}
	if n := len(sb.Letters()); n != roskildeLetters {
		t.Errorf("%d letters sent, want %d", n, roskildeLetters)
	}
}

func TestResultCountsLettersAndHandOvers(t *testing.T) {
	sb, env := newSandbox(t)
	out := runRobot(t, context.Background(), sb, env)
	want := sdk.Result{ItemsProcessed: 8, ItemsSucceeded: 6, BusinessExceptions: 2}
	got := out.Result
	got.Summary = ""
	if got != want {
		t.Errorf("result %+v, want %+v", out.Result, want)
	}
	if !strings.HasPrefix(out.Result.Summary, "Roskilde: 6 welcome letters sent (") || !strings.HasSuffix(out.Result.Summary, "2 handed to borgerservice") {
		t.Errorf("summary %q", out.Result.Summary)
	}
	exceptions := 0
	for _, line := range out.Lines(t, "item finished") {
		if line["outcome"] == sdk.OutcomeBusinessException {
			exceptions++
			if line["run"] != "welcome-letters-test" || line["item"] == nil || !strings.Contains(line["reason"].(string), "name and address protection") {
				t.Errorf("business exception logged as %v", line)
			}
		}
	}
	if exceptions != 2 {
		t.Errorf("%d business exceptions logged, want 2", exceptions)
	}
	if strings.Contains(out.Log, password) {
		t.Error("the password reached the log")
	}
}

func TestDigitalPostDownFailsTheRunForARetry(t *testing.T) {
	sb, env := newSandbox(t)
	sb.Intercept(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		if r.URL.Path == "/digital-post/letters" {
			http.Error(w, "Digital Post is down for maintenance", http.StatusServiceUnavailable)
			return
		}
		next.ServeHTTP(w, r)
	})
	out := runRobot(t, context.Background(), sb, env)
	// MI-00007, protected, needs no letter; its hand-over breaks the first
	// run of failures, so the loop gives up at the third failure after it.
	want := sdk.Result{ItemsProcessed: 6, ItemsFailed: 5, BusinessExceptions: 1}
	got := out.Result
	got.Summary = ""
	if out.ExitCode != sdk.ExitSystemException || got != want || !strings.Contains(out.Result.Summary, "gave up after 3 items in a row failed, 2 left for the next run") {
		t.Errorf("exit %d, result %+v; want 1 and %+v", out.ExitCode, out.Result, want)
	}
	if st := sb.State(); st.LettersSent != 0 || st.MoveInsPending != 24-1 {
		t.Errorf("state %+v: nothing should be sent, only MI-00007 handed over", st)
	}
}

func TestSetupProblemsExitWithUsage(t *testing.T) {
	tests := []struct {
		name     string
		change   func(*sdktest.Env)
		wantText string
	}{
		{"no credential", func(e *sdktest.Env) { e.CredentialsDir = t.TempDir() }, "credential digital-post is not mounted"},
		{"bad sandbox URL", func(e *sdktest.Env) { e.Args["sandboxURL"] = "sandbox:8080" }, "argument sandboxURL (RPA_ARG_SANDBOXURL)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb, env := newSandbox(t)
			tt.change(&env)
			out := runRobot(t, context.Background(), sb, env)
			if out.ExitCode != sdk.ExitUsage || !strings.Contains(out.Result.Summary, tt.wantText) {
				t.Errorf("exit %d, summary %q; want 64 and %q", out.ExitCode, out.Result.Summary, tt.wantText)
			}
		})
	}
}

func TestDryRunSendsNothingAndLeavesEverythingForTheRealRun(t *testing.T) {
	sb, env := newSandbox(t)
	env.Args["dryRun"] = "true"
	out := runRobot(t, context.Background(), sb, env)
	if out.ExitCode != 0 || out.Result.ItemsSucceeded != 6 || out.Result.BusinessExceptions != 2 || !strings.HasPrefix(out.Result.Summary, "dry run, nothing sent: Roskilde: 6 welcome letters") {
		t.Errorf("exit %d, result %+v", out.ExitCode, out.Result)
	}
	if st := sb.State(); st.LettersSent != 0 || st.Tasks != 0 || st.MoveInsPending != 24 {
		t.Errorf("a dry run changed the sandbox: %+v", st)
	}
	if n := len(out.Lines(t, "dry run: letter not sent")); n != 6 {
		t.Errorf("%d letters logged, want 6", n)
	}
}
