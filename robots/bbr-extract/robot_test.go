package main

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/rpa-operator/rpa-operator/robots/sandbox/sandbox"
	"github.com/rpa-operator/rpa-operator/robots/sandbox/sandbox/sandboxtest"
	"github.com/rpa-operator/rpa-operator/robots/sdk"
	"github.com/rpa-operator/rpa-operator/robots/sdk/sdktest"
)

const password = "Herning-BBR-2025"

// The sandbox in these tests: 30 BBR units with outdated oil tanks.
const units = 30

func newSandbox(t *testing.T) (*sandboxtest.Sandbox, *sdktest.Queue, sdktest.Env) {
	sb := sandboxtest.New(t, sandbox.Config{OilTanks: units})
	q := sdktest.NewQueue(t, "oil-tanks", sdktest.QueueOptions{UniqueReferences: true})
	env := sdktest.Env{
		Robot:          "bbr-extract",
		Trigger:        "Schedule",
		Args:           map[string]string{"sandboxURL": sb.URL},
		CredentialsDir: sandboxtest.Credentials(t, map[string]map[string]string{"bbr": {"username": "robot-herning-bbr", "password": password}}),
	}
	return sb, q, env
}

// runRobot runs the robot as pod, whose queue calls go through transport
// when it is set.
func runRobot(t *testing.T, ctx context.Context, sb *sandboxtest.Sandbox, q *sdktest.Queue, env sdktest.Env, pod string, transport http.RoundTripper) sdktest.Outcome {
	t.Helper()
	r := robot{sleep: sb.Clock.Sleep, queue: func(name string) (*sdk.Queue, error) {
		if name != q.Name {
			t.Fatalf("opened queue %q, want %q", name, q.Name)
		}
		pq := q.Pod(pod)
		if transport != nil {
			pq.Client.HTTP = &http.Client{Transport: transport}
		}
		return pq, nil
	}}
	return sdktest.Execute(t, ctx, env, r.work)
}

// stopAfter stops the run once n items were added: a SIGTERM mid-extract.
type stopAfter struct {
	mu   sync.Mutex
	n    int
	stop func()
}

func (s *stopAfter) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n--; s.n == 0 {
		s.stop()
	}
	return resp, err
}

func TestExtractQueuesEveryUnitOnce(t *testing.T) {
	tests := []struct {
		name string
		// prepare plays what happens before the runs; it gets a cancel
		// for the first run.
		prepare   func(t *testing.T, sb *sandboxtest.Sandbox, stop context.CancelCauseFunc) http.RoundTripper
		wantCodes []int
		// wantLast is the last run's summary.
		wantLast  string
		wantItems int
	}{
		{
			name:      "one run queues every unit",
			wantCodes: []int{0},
			wantLast:  "30 units with outdated oil tanks: 30 added to oil-tanks, 0 already there",
			wantItems: units,
		},
		{
			name:      "extracting again adds nothing twice",
			wantCodes: []int{0, 0},
			wantLast:  "30 units with outdated oil tanks: 0 added to oil-tanks, 30 already there",
			wantItems: units,
		},
		{
			name: "SIGTERM mid-extract, then a rerun adds the rest",
			prepare: func(_ *testing.T, _ *sandboxtest.Sandbox, stop context.CancelCauseFunc) http.RoundTripper {
				return &stopAfter{n: 12, stop: func() { stop(sdk.SIGTERM) }}
			},
			wantCodes: []int{143, 0},
			wantLast:  "30 units with outdated oil tanks: 18 added to oil-tanks, 12 already there",
			wantItems: units,
		},
		{
			name: "units whose owner has had a reminder are not extracted",
			prepare: func(t *testing.T, sb *sandboxtest.Sandbox, _ context.CancelCauseFunc) http.RoundTripper {
				remind(t, sb, sb.OilTanks()[:5])
				return nil
			},
			wantCodes: []int{0},
			wantLast:  "25 units with outdated oil tanks: 25 added to oil-tanks, 0 already there",
			wantItems: units - 5,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb, q, env := newSandbox(t)
			ctx, stop := context.WithCancelCause(context.Background())
			defer stop(nil)
			var transport http.RoundTripper
			if tt.prepare != nil {
				transport = tt.prepare(t, sb, stop)
			}
			var last sdktest.Outcome
			for i, want := range tt.wantCodes {
				if i > 0 {
					ctx, transport = context.Background(), nil
				}
				last = runRobot(t, ctx, sb, q, env, "bbr-extract-"+string(rune('a'+i)), transport)
				if last.ExitCode != want {
					t.Fatalf("run %d exited %d (%s), want %d", i+1, last.ExitCode, last.Result.Summary, want)
				}
			}
			if last.Result.Summary != tt.wantLast {
				t.Errorf("summary %q, want %q", last.Result.Summary, tt.wantLast)
			}
			items := q.Items()
			perUnit := map[string]int{}
			for _, it := range items {
				perUnit[it.Reference]++
				if it.State != sdktest.StateNew || !strings.Contains(string(it.Payload), `"unitId":"`+it.Reference+`"`) {
					t.Errorf("item %s: %s %s, want New with its unit in the payload", it.Reference, it.State, it.Payload)
				}
			}
			if len(items) != tt.wantItems || len(perUnit) != tt.wantItems {
				t.Errorf("%d items for %d units, want %d, one each", len(items), len(perUnit), tt.wantItems)
			}
			if strings.Contains(last.Log, password) {
				t.Error("the password reached the log")
			}
		})
	}
}

// remind sends the units' owners their reminder, as Olli does.
func remind(t *testing.T, sb *sandboxtest.Sandbox, units []sandbox.OilTank) {
	t.Helper()
	client := &sdk.Client{BaseURL: mustURL(t, sb.URL)}
	for _, u := range units {
		letter := sandbox.LetterRequest{RecipientID: u.Owner.ID, About: &sandbox.Reference{Kind: sandbox.RefOilTank, ID: u.UnitID}, Template: "olietank-paamindelse", Subject: "Din olietank"}
		if err := client.Post(context.Background(), "/digital-post/letters", "olietank/"+u.UnitID, letter, nil); err != nil {
			t.Fatal(err)
		}
	}
}

func TestMissingCredentialExitsWithUsage(t *testing.T) {
	sb, q, env := newSandbox(t)
	env.CredentialsDir = sandboxtest.Credentials(t, map[string]map[string]string{"bbr": {"username": "robot-herning-bbr"}})
	out := runRobot(t, context.Background(), sb, q, env, "bbr-extract-a", nil)
	if out.ExitCode != sdk.ExitUsage || !strings.Contains(out.Result.Summary, "credential bbr has no key password") {
		t.Errorf("exit %d, summary %q", out.ExitCode, out.Result.Summary)
	}
	if len(q.Items()) != 0 {
		t.Error("items were added without a login to BBR")
	}
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
