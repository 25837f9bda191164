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

const password = "Aalborg-ESDH-2025"

// The sandbox in these tests: 16 certificates, SA-000003 and SA-000011 not
// clean, and an ESDH that takes one journal entry a second, two at once:
// the robot meets 429 at its third certificate.
var seed = sandbox.Config{Certificates: 16, JournalRate: 1, JournalBurst: 2}

const certificates, notClean = 16, 2

func newSandbox(t *testing.T) (*sandboxtest.Sandbox, sdktest.Env) {
	sb := sandboxtest.New(t, seed)
	env := sdktest.Env{
		Robot:          "certificate-journal",
		Trigger:        "Schedule",
		Args:           map[string]string{"sandboxURL": sb.URL},
		CredentialsDir: sandboxtest.Credentials(t, map[string]map[string]string{"esdh": {"username": "robot-aalborg-hr", "password": password}}),
	}
	return sb, env
}

func runRobot(t *testing.T, ctx context.Context, sb *sandboxtest.Sandbox, env sdktest.Env) sdktest.Outcome {
	t.Helper()
	return sdktest.Execute(t, ctx, env, robot{sleep: sb.Clock.Sleep}.work)
}

func TestJournalsEveryCertificateOnce(t *testing.T) {
	tests := []struct {
		name              string
		prepare           func(sb *sandboxtest.Sandbox, stop context.CancelCauseFunc)
		wantCodes         []int
		wantLastProcessed int64
		wantDuplicates    int
	}{
		{
			name:              "one run does all and ends as a business exception",
			wantCodes:         []int{3},
			wantLastProcessed: certificates,
		},
		{
			name:              "a rerun finds nothing left and succeeds",
			wantCodes:         []int{3, 0},
			wantLastProcessed: 0,
		},
		{
			name: "lost answers are retried with the same key",
			prepare: func(sb *sandboxtest.Sandbox, _ context.CancelCauseFunc) {
				sb.LoseAnswers(http.MethodPost, "/esdh/journal", 3)
			},
			wantCodes:         []int{3},
			wantLastProcessed: certificates,
			wantDuplicates:    3,
		},
		{
			name: "SIGTERM mid-batch, then a rerun",
			prepare: func(sb *sandboxtest.Sandbox, stop context.CancelCauseFunc) {
				sb.StopAfter(http.MethodPost, "/esdh/journal", 5, func() { stop(sdk.SIGTERM) })
			},
			wantCodes:         []int{143, 3},
			wantLastProcessed: certificates - 5,
		},
		{
			name: "HR's queue down after journaling, then a rerun",
			prepare: func(sb *sandboxtest.Sandbox, _ context.CancelCauseFunc) {
				sb.Intercept(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
					if r.URL.Path == "/tasks" {
						http.Error(w, "queue unavailable", http.StatusServiceUnavailable)
						return
					}
					next.ServeHTTP(w, r)
				})
			},
			// Both non-clean certificates are journaled but not flagged:
			// the run fails for a retry, which only flags them.
			wantCodes:         []int{1, 3},
			wantLastProcessed: notClean,
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
			checkJournaledOnce(t, sb)
			if st := sb.State(); st.JournalDuplicates != tt.wantDuplicates || st.TaskDuplicates != 0 || st.IdempotencyConflicts != 0 {
				t.Errorf("duplicates: %d journal (want %d), %d tasks, %d conflicts", st.JournalDuplicates, tt.wantDuplicates, st.TaskDuplicates, st.IdempotencyConflicts)
			}
			if strings.Contains(last.Log, password) {
				t.Error("the password reached the log")
			}
		})
	}
}

// checkJournaledOnce checks the end state the robot promises: one journal
// entry per certificate, by the robot's user, in the employee's case; one
// HR task per certificate that is not clean, none for the others.
func checkJournaledOnce(t *testing.T, sb *sandboxtest.Sandbox) {
	t.Helper()
	entries := map[string]int{}
	for _, e := range sb.Journal() {
		entries[e.CertificateID]++
		if e.JournaledBy != "robot-aalborg-hr" {
			t.Errorf("%s journaled by %q, want the robot's user", e.CertificateID, e.JournaledBy)
		}
	}
	tasks := map[string]int{}
	for _, task := range sb.Tasks() {
		tasks[task.Reference.ID]++
	}
	for _, c := range sb.Certificates() {
		wantTasks := 0
		if len(c.Offences) > 0 {
			wantTasks = 1
		}
		if entries[c.ID] != 1 || tasks[c.ID] != wantTasks || !c.Done {
			t.Errorf("%s: %d journal entries, %d HR tasks, done %v; want 1, %d, done", c.ID, entries[c.ID], tasks[c.ID], c.Done, wantTasks)
		}
	}
}

func TestRespectsESDHRateLimit(t *testing.T) {
	sb, env := newSandbox(t)
	out := runRobot(t, context.Background(), sb, env)
	st := sb.State()
	if st.Rejected429 == 0 {
		t.Fatal("ESDH never answered 429: the test does not test the rate limit")
	}
	for _, d := range sb.Clock.Slept() {
		if d < time.Second {
			t.Errorf("waited %s after a 429 whose Retry-After was at least 1 s", d)
		}
	}
	// At one entry a second after a burst of two, 16 entries take at
	// least 14 s of the sandbox's clock: the robot did wait.
	if elapsed := sb.Clock.Now().Sub(sandboxtest.Start); elapsed < 14*time.Second {
		t.Errorf("the run took %s of ESDH's time, want at least 14 s", elapsed)
	}
	if retries := len(out.Lines(t, "retrying")); retries != st.Rejected429 {
		t.Errorf("%d retries logged, %d requests refused", retries, st.Rejected429)
	}
}

func TestResultAndLogForHR(t *testing.T) {
	sb, env := newSandbox(t)
	env.BusinessExceptionExitCode = 7
	out := runRobot(t, context.Background(), sb, env)
	if out.ExitCode != 7 {
		t.Errorf("exit %d, want the Robot's business exception code 7", out.ExitCode)
	}
	want := sdk.Result{ItemsProcessed: 16, ItemsSucceeded: 14, BusinessExceptions: 2,
		Summary: "16 certificates journaled, 2 of them flagged for HR; business exception: 2 not clean, flagged for HR: SA-000003, SA-000011"}
	if out.Result != want {
		t.Errorf("result %+v\nwant   %+v", out.Result, want)
	}
	// Names and offences are sensitive personal data: never in the log.
	for _, c := range sb.Certificates() {
		for _, private := range append([]string{c.Name}, c.Offences...) {
			if strings.Contains(out.Log, private) {
				t.Errorf("the log names %q", private)
			}
		}
	}
}

func TestMissingCredentialExitsWithUsage(t *testing.T) {
	sb, env := newSandbox(t)
	env.CredentialsDir = sandboxtest.Credentials(t, map[string]map[string]string{"esdh": {"username": "robot-aalborg-hr"}})
	out := runRobot(t, context.Background(), sb, env)
	if out.ExitCode != sdk.ExitUsage || !strings.Contains(out.Result.Summary, "credential esdh has no key password") {
		t.Errorf("exit %d, summary %q", out.ExitCode, out.Result.Summary)
	}
}
