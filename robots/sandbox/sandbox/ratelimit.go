package sandbox

import (
	"math"
	"time"
)

// tokenBucket plays ESDH's protection against clients that are too fast:
// the integration problem Aalborg's certificate robot met first.
type tokenBucket struct {
	rate   float64 // tokens per second
	burst  float64
	tokens float64
	last   time.Time
}

func newTokenBucket(rate float64, burst int, now time.Time) *tokenBucket {
	return &tokenBucket{rate: rate, burst: float64(burst), tokens: float64(burst), last: now}
}

// take spends a token if there is one; otherwise it says how long until
// there is, in whole seconds as Retry-After gives it (at least 1).
func (b *tokenBucket) take(now time.Time) (ok bool, retryAfter int) {
	if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
		b.tokens = math.Min(b.burst, b.tokens+elapsed*b.rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, max(1, int(math.Ceil((1-b.tokens)/b.rate)))
}
