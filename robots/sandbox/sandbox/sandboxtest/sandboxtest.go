// Package sandboxtest runs the sandbox inside a robot's tests: an httptest
// server on a fake clock that the robot's waits move forward, so that a
// test of rate limits and Retry-After takes milliseconds, and helpers that
// play what goes wrong in a cluster (a lost answer, a SIGTERM mid-batch).
package sandboxtest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rpa-operator/rpa-operator/robots/sandbox/sandbox"
)

// Start is the moment sandboxes in tests are seeded at: a Tuesday morning
// in Roskilde, 2025-07-01 07:00 Europe/Copenhagen.
var Start = time.Date(2025, time.July, 1, 5, 0, 0, 0, time.UTC)

// Clock is a fake clock: Sleep moves it forward at once.
type Clock struct {
	mu    sync.Mutex
	now   time.Time
	slept []time.Duration
}

// NewClock returns a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Sleep moves the clock forward by d, unless ctx has ended; it has the
// signature of sdk.Client.Sleep.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return context.Cause(ctx)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.slept = append(c.slept, d)
	return nil
}

// Slept returns every wait so far.
func (c *Clock) Slept() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.slept...)
}

// Sandbox is a running sandbox for one test.
type Sandbox struct {
	*sandbox.Server
	// URL is the address robots get as their sandboxURL argument.
	URL   string
	Clock *Clock
	// wrap, when set, sits in front of the sandbox.
	mu   sync.Mutex
	wrap func(w http.ResponseWriter, r *http.Request, next http.Handler)
}

// New starts a sandbox seeded from cfg on a fake clock at Start; it stops
// when the test ends.
func New(t testing.TB, cfg sandbox.Config) *Sandbox {
	t.Helper()
	sb := &Sandbox{Clock: NewClock(Start)}
	cfg.Now = sb.Clock.Now
	sb.Server = sandbox.New(cfg)
	ts := httptest.NewServer(http.HandlerFunc(sb.serve))
	t.Cleanup(ts.Close)
	sb.URL = ts.URL
	return sb
}

func (sb *Sandbox) serve(w http.ResponseWriter, r *http.Request) {
	sb.mu.Lock()
	wrap := sb.wrap
	sb.mu.Unlock()
	if wrap == nil {
		sb.ServeHTTP(w, r)
		return
	}
	wrap(w, r, sb.Server)
}

// Intercept puts f in front of the sandbox: it sees each request and may
// pass it on to next, or not. nil removes it.
func (sb *Sandbox) Intercept(f func(w http.ResponseWriter, r *http.Request, next http.Handler)) {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	sb.wrap = f
}

// LoseAnswers makes the sandbox do requests to method and path as usual
// but answer the first n that succeed with 502 instead, as when a proxy
// drops the connection after the work was done: the robot cannot know the
// work was done, and must retry with the same key.
func (sb *Sandbox) LoseAnswers(method, path string, n int) {
	var mu sync.Mutex
	lost := 0
	sb.Intercept(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		if r.Method != method || r.URL.Path != path {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		mu.Lock()
		lose := succeeded(rec.Code) && lost < n
		if lose {
			lost++
		}
		mu.Unlock()
		if lose {
			http.Error(w, "bad gateway", http.StatusBadGateway)
			return
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}

// StopAfter calls stop once the n-th successful request to method and path
// has been answered: a SIGTERM arriving while the robot is mid-batch.
func (sb *Sandbox) StopAfter(method, path string, n int, stop func()) {
	var mu sync.Mutex
	seen := 0
	sb.Intercept(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		if r.Method != method || r.URL.Path != path || !succeeded(sw.status) {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if seen++; seen == n {
			stop()
		}
	})
}

func succeeded(status int) bool { return status >= 200 && status < 300 }

// statusWriter remembers the status of an answer.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}

// Credentials writes credentials as the operator mounts them, one
// directory per credential and one file per key, and returns the directory
// for RPA_CREDENTIALS_DIR.
func Credentials(t testing.TB, creds map[string]map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, keys := range creds {
		if err := os.MkdirAll(filepath.Join(dir, name), 0o700); err != nil {
			t.Fatal(err)
		}
		for key, value := range keys {
			if err := os.WriteFile(filepath.Join(dir, name, key), []byte(value+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}
