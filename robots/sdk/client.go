package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// IdempotencyKeyHeader carries the key that makes a write safe to repeat:
// a system that has seen the key answers with what it did the first time
// instead of doing it again.
const IdempotencyKeyHeader = "Idempotency-Key"

// Defaults of a Client.
const (
	DefaultMaxAttempts = 6
	DefaultMaxWait     = time.Minute
	// firstBackoff doubles per attempt up to maxBackoff when the system
	// gives no Retry-After.
	firstBackoff = 250 * time.Millisecond
	maxBackoff   = 10 * time.Second
	// maxResponseBytes bounds what is read of a response.
	maxResponseBytes = 10 << 20
)

// Client calls a system's JSON API the way a robot must: politely and
// exactly once. Every write carries an idempotency key; a request that is
// refused for being too fast (429) or meets a server or network error is
// retried with backoff, waiting as long as the system's Retry-After asks.
// Retrying a write is safe only because of the key: a request whose answer
// was lost may have been done.
type Client struct {
	// BaseURL is the system's address; request paths are relative to it.
	BaseURL *url.URL
	// HTTP does the requests; nil means a client with a 30 s timeout.
	HTTP *http.Client
	// Account, when set, logs in with HTTP basic authentication.
	Account *Account
	// Token, when set, gives the bearer token of each request: read anew
	// every time, since a projected ServiceAccount token is rotated.
	Token func() (string, error)
	// UserAgent names the robot to the system, for its access log.
	UserAgent string
	// MaxAttempts bounds the attempts per request; zero means
	// DefaultMaxAttempts.
	MaxAttempts int
	// MaxWait is the longest the client waits before one retry; a system
	// asking for longer gets an error instead. Zero means DefaultMaxWait.
	MaxWait time.Duration
	// Sleep waits between attempts; nil waits on a timer. Tests replace it
	// to move a fake clock instead of waiting.
	Sleep func(ctx context.Context, d time.Duration) error
	// Log gets a line per retry. Nil logs nothing.
	Log *slog.Logger
}

// HTTPError is an answer that is not a success and not worth retrying, or
// the last of the retries.
type HTTPError struct {
	Method, Path string
	// StatusCode is the HTTP status, such as 422.
	StatusCode int
	// Message is the system's explanation: the "error" field of a JSON
	// body, or the start of the body.
	Message string
	// Reason and Kind are a Kubernetes Status's reason (NotFound,
	// AlreadyExists, Conflict) and the kind its details name, when the
	// answer is one: they tell "no item waits" from "no such queue".
	Reason, Kind string
}

// Error leaves out Method and Path: Client.Do's errors, which wrap it, say
// them first.
func (e *HTTPError) Error() string {
	status := fmt.Sprintf("%d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if e.Message == "" {
		return status
	}
	return status + ": " + e.Message
}

// StatusOf returns the status code of an *HTTPError in err's chain, or 0.
func StatusOf(err error) int {
	var he *HTTPError
	if errors.As(err, &he) {
		return he.StatusCode
	}
	return 0
}

// StatusReasonOf returns the Kubernetes Status reason and kind of an
// *HTTPError in err's chain, or empty strings.
func StatusReasonOf(err error) (reason, kind string) {
	var he *HTTPError
	if errors.As(err, &he) {
		return he.Reason, he.Kind
	}
	return "", ""
}

// Get reads path (with query, which may be nil) into out.
func (c *Client) Get(ctx context.Context, path string, query url.Values, out any) error {
	return c.Do(ctx, http.MethodGet, path, query, "", nil, out)
}

// Post sends in to path as JSON with the idempotency key and reads the
// answer into out (nil ignores it). A POST without a key is refused: it
// could not be retried safely.
func (c *Client) Post(ctx context.Context, path, key string, in, out any) error {
	if key == "" {
		return fmt.Errorf("POST %s: no idempotency key", path)
	}
	return c.Do(ctx, http.MethodPost, path, nil, key, in, out)
}

// Do sends one request, retrying as the Client's doc says. in and out are
// JSON bodies; nil means none.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, key string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("%s %s: encode request: %w", method, path, err)
		}
	}
	target := c.BaseURL.JoinPath(path)
	target.RawQuery = query.Encode()
	for attempt := 1; ; attempt++ {
		data, wait, err := c.attempt(ctx, method, target.String(), key, body)
		if err == nil {
			return decode(method, path, data, out)
		}
		if wait < 0 {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
		if attempt >= c.maxAttempts() {
			return fmt.Errorf("%s %s: %w (gave up after %d attempts)", method, path, err, attempt)
		}
		if wait == 0 {
			wait = backoff(attempt)
		}
		if wait > c.maxWait() {
			return fmt.Errorf("%s %s: the system asks to wait %s, longer than %s: %w", method, path, wait, c.maxWait(), err)
		}
		c.logger().Info("retrying", "method", method, "path", path, "attempt", attempt, "wait", wait.String(), "reason", err.Error())
		if err := c.sleep(ctx, wait); err != nil {
			return fmt.Errorf("%s %s: wait to retry: %w", method, path, err)
		}
	}
}

// attempt sends the request once. On failure, wait says what to do next:
// negative, give up; zero, back off; positive, the Retry-After the system
// asked for.
func (c *Client) attempt(ctx context.Context, method, target, key string, body []byte) (data []byte, wait time.Duration, err error) {
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
	if err != nil {
		return nil, -1, fmt.Errorf("build request: %w", withoutURL(err))
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set(IdempotencyKeyHeader, key)
	}
	if c.UserAgent != "" {
		req.Header.Set("User-Agent", c.UserAgent)
	}
	if c.Account != nil {
		req.SetBasicAuth(c.Account.Username, c.Account.Password.Reveal())
	}
	if c.Token != nil {
		token, err := c.Token()
		if err != nil {
			return nil, -1, fmt.Errorf("read the token: %w", err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, -1, context.Cause(ctx)
		}
		// The request may or may not have arrived; the key makes a repeat
		// harmless.
		return nil, 0, withoutURL(err)
	}
	defer func() { _ = resp.Body.Close() }()
	data, err = io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return nil, 0, fmt.Errorf("read response: %w", err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return data, 0, nil
	}
	herr := &HTTPError{Method: method, Path: req.URL.Path, StatusCode: resp.StatusCode, Message: message(data)}
	herr.Reason, herr.Kind = statusReason(data)
	if !retryable(resp.StatusCode) {
		return nil, -1, herr
	}
	return nil, retryAfter(resp.Header.Get("Retry-After"), time.Now()), herr
}

// withoutURL drops the URL from a *url.Error: its query may hold
// personal data (a CPR number), and the caller names method and path.
func withoutURL(err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return uerr.Err
	}
	return err
}

// retryable says which answers mean "try again later": too many requests,
// and the server errors a busy or restarting system gives.
func retryable(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// retryAfter reads a Retry-After header, seconds or an HTTP date; zero when
// there is none or it cannot be read.
func retryAfter(header string, now time.Time) time.Duration {
	if header == "" {
		return 0
	}
	if secs, err := strconv.Atoi(strings.TrimSpace(header)); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(header); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// backoff is the wait before retry n (1, 2, ...) when the system gives no
// Retry-After: doubling, capped, with jitter so that robots started
// together do not retry together.
func backoff(n int) time.Duration {
	d := firstBackoff << min(n-1, 10)
	d = min(d, maxBackoff)
	return d/2 + rand.N(d/2+1)
}

// message is the system's explanation of an error answer.
func message(data []byte) string {
	var body struct {
		Error string `json:"error"`
		// Message is a Kubernetes Status's.
		Message string `json:"message"`
	}
	if json.Unmarshal(data, &body) == nil && body.Error != "" {
		return body.Error
	}
	if body.Message != "" {
		return body.Message
	}
	s := strings.TrimSpace(string(data))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// statusReason reads a Kubernetes Status's reason and details' kind.
func statusReason(data []byte) (reason, kind string) {
	var status struct {
		Kind    string `json:"kind"`
		Reason  string `json:"reason"`
		Details struct {
			Kind string `json:"kind"`
		} `json:"details"`
	}
	if json.Unmarshal(data, &status) != nil || status.Kind != "Status" {
		return "", ""
	}
	return status.Reason, status.Details.Kind
}

func decode(method, path string, data []byte, out any) error {
	if out == nil || len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: decode response: %w", method, path, err)
	}
	return nil
}

func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	if c.Sleep != nil {
		return c.Sleep(ctx, d)
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return defaultHTTPClient
}

var defaultHTTPClient = &http.Client{Timeout: 30 * time.Second}

func (c *Client) maxAttempts() int {
	if c.MaxAttempts <= 0 {
		return DefaultMaxAttempts
	}
	return c.MaxAttempts
}

func (c *Client) maxWait() time.Duration {
	if c.MaxWait <= 0 {
		return DefaultMaxWait
	}
	return c.MaxWait
}

func (c *Client) logger() *slog.Logger {
	if c.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Log
}
