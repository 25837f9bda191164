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

const password = "Herning-Olli-2025"

// The sandbox in these tests: 30 BBR units with outdated oil tanks, in
// the queue as bbr-extract puts them. The owners of BBR-000009 and
// BBR-000029 have name and address protection; the owner of BBR-000015
// has no Digital Post mailbox.
const units = 30

var exceptions = map[string]string{
	"BBR-000009": "name and address protection",
	"BBR-000015": "has no Digital Post mailbox",
	"BBR-000029": "name and address protection",
}

func newSandbox(t *testing.T) (*sandboxtest.Sandbox, *sdktest.Queue) {
	sb := sandboxtest.New(t, sandbox.Config{OilTanks: units})
	q := sdktest.NewQueue(t, "oil-tanks", sdktest.QueueOptions{UniqueReferences: true, Now: sb.Clock.Now})
	for _, u := range sb.OilTanks() {
		q.Add(t, u.UnitID, map[string]string{"unitId": u.UnitID, "ownerId": u.Owner.ID})
	}
	return sb, q
}

func env(t *testing.T, sb *sandboxtest.Sandbox, limit string) sdktest.Env {
	return sdktest.Env{
		Robot:          "olli",
		Args:           map[string]string{"sandboxURL": sb.URL, "limit": limit},
		CredentialsDir: sandboxtest.Credentials(t, map[string]map[string]string{"digital-post": {"username": "robot-herning-olli", "password": password}}),
	}
}

// runOlli runs Olli by hand in pod with limit.
func runOlli(t *testing.T, sb *sandboxtest.Sandbox, q *sdktest.Queue, pod, limit string) sdktest.Outcome {
	t.Helper()
	r := robot{sleep: sb.Clock.Sleep, queue: func(string) (*sdk.Queue, error) { return q.Pod(pod), nil }}
	return sdktest.Execute(t, context.Background(), env(t, sb, limit), r.work)
}

func TestOlliSendsAtMostLimitLettersEachOnce(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(sb *sandboxtest.Sandbox, q *sdktest.Queue)
		// limits are the runs, one pod each; wantCodes their exit codes.
		limits    []string
		wantCodes []int
		wantLast  string
		// wantLetters and wantNew are the end state; wantRetaken the
		// reference taken twice, if any.
		wantLetters, wantNew, wantDuplicates int
		wantRetaken                          string
	}{
		{
			name:      "limit 10 takes ten items and leaves twenty",
			limits:    []string{"10"},
			wantCodes: []int{0},
			wantLast:  "9 reminder letters sent, 1 owners for a person; limit of 10 reached, the rest wait in oil-tanks",
			// BBR-000009 is protected.
			wantLetters: 9, wantNew: 20,
		},
		{
			name:        "a second run takes the next ten",
			limits:      []string{"10", "10"},
			wantCodes:   []int{0, 0},
			wantLast:    "9 reminder letters sent, 1 owners for a person; limit of 10 reached, the rest wait in oil-tanks",
			wantLetters: 18, wantNew: 10,
		},
		{
			name:        "limit 0 takes every waiting item",
			limits:      []string{"0"},
			wantCodes:   []int{0},
			wantLast:    "27 reminder letters sent, 3 owners for a person",
			wantLetters: 27, wantNew: 0,
		},
		{
			name: "killed after a letter went out, the next run retakes the item and sends no second letter",
			prepare: func(sb *sandboxtest.Sandbox, q *sdktest.Queue) {
				// The pod dies once Digital Post has the fifth letter and
				// before the queue hears of it.
				sb.StopAfter(http.MethodPost, "/digital-post/letters", 5, func() { q.StopPod("olli-1") })
			},
			limits:    []string{"10", "10"},
			wantCodes: []int{1, 0},
			// BBR-000005 again (a duplicate), 6-14 but the protected 9.
			wantLast:    "9 reminder letters sent, 1 owners for a person; limit of 10 reached, the rest wait in oil-tanks",
			wantLetters: 13, wantNew: 16, wantDuplicates: 1, wantRetaken: "BBR-000005",
		},
		{
			name: "lost answers are retried with the same key",
			prepare: func(sb *sandboxtest.Sandbox, _ *sdktest.Queue) {
				sb.LoseAnswers(http.MethodPost, "/digital-post/letters", 2)
			},
			limits:      []string{"10"},
			wantCodes:   []int{0},
			wantLast:    "9 reminder letters sent, 1 owners for a person; limit of 10 reached, the rest wait in oil-tanks",
			wantLetters: 9, wantNew: 20, wantDuplicates: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb, q := newSandbox(t)
			if tt.prepare != nil {
				tt.prepare(sb, q)
			}
			var last sdktest.Outcome
			for i, limit := range tt.limits {
				if i > 0 {
					sb.Intercept(nil)
				}
				last = runOlli(t, sb, q, "olli-"+string(rune('1'+i)), limit)
				if last.ExitCode != tt.wantCodes[i] {
					t.Fatalf("run %d exited %d (%s), want %d", i+1, last.ExitCode, last.Result.Summary, tt.wantCodes[i])
				}
			}
			if last.Result.Summary != tt.wantLast {
				t.Errorf("summary %q\nwant    %q", last.Result.Summary, tt.wantLast)
			}
			checkOneLetterPerOwner(t, sb, q)
			st := sb.State()
			if st.LettersSent != tt.wantLetters || q.Count(sdktest.StateNew) != tt.wantNew || st.LetterDuplicates != tt.wantDuplicates || st.IdempotencyConflicts != 0 {
				t.Errorf("%d letters, %d items New, %d duplicates, %d conflicts; want %d, %d, %d, 0",
					st.LettersSent, q.Count(sdktest.StateNew), st.LetterDuplicates, st.IdempotencyConflicts, tt.wantLetters, tt.wantNew, tt.wantDuplicates)
			}
			for _, it := range q.Items() {
				if it.Attempts > 1 && it.Reference != tt.wantRetaken {
					t.Errorf("%s taken %d times", it.Reference, it.Attempts)
				}
				if it.Reference == tt.wantRetaken && (it.Attempts != 2 || it.State != sdktest.StateDone) {
					t.Errorf("the item in hand at the kill: %s after %d attempts, want Done after 2", it.State, it.Attempts)
				}
			}
			if strings.Contains(last.Log, password) {
				t.Error("the password reached the log")
			}
		})
	}
}

// checkOneLetterPerOwner checks the end state Olli promises against the
// sandbox's and the queue's records: at most one letter per unit, to its
// owner, by the robot's user; a Done item has its letter, and an
// exception's item ended as a business exception that says why.
func checkOneLetterPerOwner(t *testing.T, sb *sandboxtest.Sandbox, q *sdktest.Queue) {
	t.Helper()
	owners := map[string]string{}
	for _, u := range sb.OilTanks() {
		owners[u.UnitID] = u.Owner.ID
	}
	perUnit := map[string]int{}
	for _, l := range sb.Letters() {
		perUnit[l.About.ID]++
		if l.RecipientID != owners[l.About.ID] || l.SentBy != "robot-herning-olli" || l.Template != templateReminder {
			t.Errorf("letter %s about %s: to %s by %s, template %s", l.ID, l.About.ID, l.RecipientID, l.SentBy, l.Template)
		}
	}
	for _, it := range q.Items() {
		reason, exception := exceptions[it.Reference]
		switch {
		case perUnit[it.Reference] > 1:
			t.Errorf("%s: %d letters", it.Reference, perUnit[it.Reference])
		case it.State == sdktest.StateDone && (exception || perUnit[it.Reference] != 1 || !strings.Contains(string(it.Output), `"letterId":"DP-`)):
			t.Errorf("%s is Done with %d letters, output %s", it.Reference, perUnit[it.Reference], it.Output)
		case it.State == sdktest.StateBusinessException && (!exception || !strings.Contains(it.Reason, reason) || perUnit[it.Reference] != 0):
			t.Errorf("%s is a business exception (%q) with %d letters", it.Reference, it.Reason, perUnit[it.Reference])
		case it.State == sdktest.StateNew && perUnit[it.Reference] != 0:
			t.Errorf("%s waits but has a letter", it.Reference)
		}
	}
}

func TestOwnersNamesStayOutOfTheLog(t *testing.T) {
	sb, q := newSandbox(t)
	out := runOlli(t, sb, q, "olli-1", "0")
	for _, u := range sb.OilTanks() {
		if strings.Contains(out.Log, u.Owner.Name) || (u.Owner.Address != "" && strings.Contains(out.Log, u.Owner.Address)) {
			t.Errorf("the log names the owner of %s", u.UnitID)
		}
	}
	if want := (sdk.Result{ItemsProcessed: 30, ItemsSucceeded: 27, BusinessExceptions: 3, Summary: "27 reminder letters sent, 3 owners for a person"}); out.Result != want {
		t.Errorf("result %+v, want %+v", out.Result, want)
	}
}

func TestBadLimitExitsWithUsage(t *testing.T) {
	for _, limit := range []string{"-1", "forty"} {
		sb, q := newSandbox(t)
		out := runOlli(t, sb, q, "olli-1", limit)
		if out.ExitCode != sdk.ExitUsage || !strings.Contains(out.Result.Summary, "argument limit") {
			t.Errorf("limit %q: exit %d, summary %q", limit, out.ExitCode, out.Result.Summary)
		}
		if sb.State().LettersSent != 0 || q.Count(sdktest.StateNew) != units {
			t.Errorf("limit %q: the run did something", limit)
		}
	}
}
