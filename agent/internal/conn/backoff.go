package conn

import (
	"errors"
	"math/rand/v2"
	"time"
)

// Default backoff bounds.
const (
	DefaultBackoffMin = time.Second
	DefaultBackoffMax = 60 * time.Second
)

// Backoff spaces reconnection attempts: full-jitter exponential backoff, so
// that thousands of agents cut off at once do not come back at once. The
// zero value uses DefaultBackoffMin and DefaultBackoffMax.
type Backoff struct {
	// Min is the base delay; 0 means DefaultBackoffMin.
	Min time.Duration
	// Max caps the delay; 0 means DefaultBackoffMax.
	Max time.Duration
}

// Next returns the delay before attempt (0 for the first retry): uniformly
// random up to min(Max, Min·2^attempt), and never below Min/10, so that a
// failing appliance is not hammered in a tight loop.
func (b Backoff) Next(attempt int) time.Duration {
	lo, hi := b.bounds()
	ceil := hi
	if attempt < 32 {
		if c := lo << max(attempt, 0); c > 0 && c < hi {
			ceil = c
		}
	}
	return max(rand.N(ceil+1), lo/10)
}

// Delay is Next(attempt), but at least what err asks for: a *RefusedError
// with RetryAfterSeconds (the admission limiter, a disabled jumpoint) is
// honoured even beyond Max.
func (b Backoff) Delay(attempt int, err error) time.Duration {
	d := b.Next(attempt)
	var re *RefusedError
	if errors.As(err, &re) {
		d = max(d, re.RetryAfter())
	}
	return d
}

func (b Backoff) bounds() (time.Duration, time.Duration) {
	lo, hi := b.Min, b.Max
	if lo <= 0 {
		lo = DefaultBackoffMin
	}
	if hi <= 0 {
		hi = DefaultBackoffMax
	}
	return lo, max(lo, hi)
}
