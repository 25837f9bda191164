package sdk

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// answer is one scripted response.
type answer struct {
	status     int
	retryAfter string
	body       string
}

// scriptedServer answers requests in order from answers (the last one
// repeats) and records what it got.
type scriptedServer struct {
	mu       sync.Mutex
	answers  []answer
	requests []*http.Request
	bodies   []string
}

func (s *scriptedServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	body, _ := io.ReadAll(r.Body)
	s.requests = append(s.requests, r)
	s.bodies = append(s.bodies, string(body))
	a := s.answers[min(len(s.requests), len(s.answers))-1]
	if a.retryAfter != "" {
		w.Header().Set("Retry-After", a.retryAfter)
	}
	w.WriteHeader(a.status)
	_, _ = w.Write([]byte(a.body))
}

func TestClientRetriesPolitely(t *testing.T) {
	tests := []struct {
		name         string
		answers      []answer
		wantAttempts int
		wantWaits    []time.Duration // exact for Retry-After, upper bounds for backoff
		wantErr      string
	}{
		{
			name:         "success at once",
			answers:      []answer{{status: 201, body: `{"id":"J-1"}`}},
			wantAttempts: 1,
		},
		{
			name:         "429 waits as long as Retry-After says",
			answers:      []answer{{status: 429, retryAfter: "2"}, {status: 429, retryAfter: "1"}, {status: 201, body: `{"id":"J-1"}`}},
			wantAttempts: 3,
			wantWaits:    []time.Duration{2 * time.Second, time.Second},
		},
		{
			name:         "503 without Retry-After backs off",
			answers:      []answer{{status: 503}, {status: 502}, {status: 200, body: `{"id":"J-1"}`}},
			wantAttempts: 3,
			wantWaits:    []time.Duration{firstBackoff, 2 * firstBackoff},
		},
		{
			name:         "422 is not retried",
			answers:      []answer{{status: 422, body: `{"error":"recipient has name and address protection"}`}},
			wantAttempts: 1,
			wantErr:      "POST /esdh/journal: 422 Unprocessable Entity: recipient has name and address protection",
		},
		{
			name:         "gives up after MaxAttempts",
			answers:      []answer{{status: 500, body: "database locked"}},
			wantAttempts: 3,
			wantWaits:    []time.Duration{firstBackoff, 2 * firstBackoff},
			wantErr:      "POST /esdh/journal: 500 Internal Server Error: database locked (gave up after 3 attempts)",
		},
		{
			name:         "a Retry-After beyond MaxWait is an error, not a hang",
			answers:      []answer{{status: 429, retryAfter: "3600"}},
			wantAttempts: 1,
			wantErr:      "the system asks to wait 1h0m0s, longer than 1m0s",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server := &scriptedServer{answers: tt.answers}
			ts := httptest.NewServer(server)
			defer ts.Close()
			var waits []time.Duration
			client := &Client{
				BaseURL:     mustParse(t, ts.URL),
				Account:     &Account{Username: "robot-aalborg", Password: NewSecret("s3cret")},
				UserAgent:   "certificate-journal",
				MaxAttempts: 3,
				Sleep: func(_ context.Context, d time.Duration) error {
					waits = append(waits, d)
					return nil
				},
			}
			var out struct{ ID string }
			err := client.Post(context.Background(), "/esdh/journal", "SA-000001", map[string]string{"certificateId": "SA-000001"}, &out)
			if !strings.Contains(errText(err), tt.wantErr) || (tt.wantErr == "" && err != nil) {
				t.Errorf("err = %v, want %q", err, tt.wantErr)
			}
			if last := tt.answers[len(tt.answers)-1].status; tt.wantErr != "" && StatusOf(err) != last && last != 429 {
				t.Errorf("StatusOf(err) = %d, want %d", StatusOf(err), last)
			}
			if tt.wantErr == "" && out.ID != "J-1" {
				t.Errorf("decoded %+v, want the answer's id", out)
			}
			if len(server.requests) != tt.wantAttempts {
				t.Fatalf("%d requests, want %d", len(server.requests), tt.wantAttempts)
			}
			for i, r := range server.requests {
				user, pass, _ := r.BasicAuth()
				if r.Header.Get(IdempotencyKeyHeader) != "SA-000001" || user != "robot-aalborg" || pass != "s3cret" ||
					r.Header.Get("User-Agent") != "certificate-journal" || server.bodies[i] != `{"certificateId":"SA-000001"}` {
					t.Errorf("attempt %d: key %q, user %q, agent %q, body %q: every attempt must be the same request",
						i+1, r.Header.Get(IdempotencyKeyHeader), user, r.Header.Get("User-Agent"), server.bodies[i])
				}
			}
			checkWaits(t, waits, tt.wantWaits, tt.answers)
		})
	}
}

// checkWaits compares waits: exactly when the answer gave Retry-After,
// within the jittered backoff otherwise.
func checkWaits(t *testing.T, got, want []time.Duration, answers []answer) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("waited %v, want %d waits", got, len(want))
	}
	for i := range want {
		exact := answers[min(i, len(answers)-1)].retryAfter != ""
		if exact && got[i] != want[i] || !exact && (got[i] < want[i]/2 || got[i] > want[i]) {
			t.Errorf("wait %d = %s, want %s (exact: %v)", i+1, got[i], want[i], exact)
		}
	}
}

func TestClientRefusesAWriteWithoutIdempotencyKey(t *testing.T) {
	client := &Client{BaseURL: mustParse(t, "http://sandbox.invalid")}
	err := client.Post(context.Background(), "/digital-post/letters", "", map[string]string{}, nil)
	if err == nil || !strings.Contains(err.Error(), "no idempotency key") {
		t.Errorf("err = %v, want a refusal", err)
	}
}

func TestClientStopsWaitingWhenItsContextEnds(t *testing.T) {
	ts := httptest.NewServer(&scriptedServer{answers: []answer{{status: 429, retryAfter: "30"}}})
	defer ts.Close()
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(SIGTERM)
	client := &Client{BaseURL: mustParse(t, ts.URL)}
	err := client.Get(ctx, "/certificates", url.Values{"status": {"pending"}}, nil)
	var stop StopSignal
	if !errors.As(err, &stop) {
		t.Errorf("err = %v, want it to wrap the stop signal", err)
	}
}

func TestRetryAfterReadsSecondsAndDates(t *testing.T) {
	now := time.Date(2025, time.July, 1, 6, 0, 0, 0, time.UTC)
	tests := []struct {
		header string
		want   time.Duration
	}{
		{"", 0},
		{"3", 3 * time.Second},
		{"Tue, 01 Jul 2025 06:00:10 GMT", 10 * time.Second},
		{"Tue, 01 Jul 2025 05:59:00 GMT", 0},
		{"soon", 0},
	}
	for _, tt := range tests {
		if got := retryAfter(tt.header, now); got != tt.want {
			t.Errorf("retryAfter(%q) = %s, want %s", tt.header, got, tt.want)
		}
	}
}

func mustParse(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestATransportErrorNamesNoQuery: a system that cannot be reached makes an
// error that names method and path, never the query, which may hold a CPR
// number.
func TestATransportErrorNamesNoQuery(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	base, _ := url.Parse(closed.URL)
	closed.Close()
	var logged strings.Builder
	c := &Client{BaseURL: base, Log: slog.New(slog.NewTextHandler(&logged, nil)), Sleep: func(context.Context, time.Duration) error { return nil }}
	err := c.Get(context.Background(), "/esdh/cases", url.Values{"cpr": {"010180-1234"}}, nil)
	if err == nil || !strings.Contains(err.Error(), "GET /esdh/cases") {
		t.Fatalf("err = %v, want one naming GET /esdh/cases", err)
	}
	if strings.Contains(err.Error(), "010180") || strings.Contains(logged.String(), "010180") {
		t.Errorf("the query leaked:\nerror: %v\nlog: %s", err, logged.String())
	}
}
