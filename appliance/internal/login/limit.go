package login

import (
	"sync"
	"time"

	"github.com/jumpgate/jumpgate/api"
)

// failureWindow is the window the failure limits count in.
const failureWindow = api.LoginFailureWindowMinutes * time.Minute

// maxKeys bounds the limiter's memory: past it, keys without a failure in
// the window are forgotten.
const maxKeys = 100_000

// limiter counts failed sign-ins per key ("u:<username>", "a:<address>")
// within failureWindow, in this process's memory: replicas count apart, and
// a restart forgets.
type limiter struct {
	mu    sync.Mutex
	fails map[string][]time.Time
	// noted is when a refusal of each key was last audited.
	noted map[string]time.Time
}

func newLimiter() *limiter {
	return &limiter{fails: map[string][]time.Time{}, noted: map[string]time.Time{}}
}

// noteEvery is how often the refusals of one key are audited: a flood of
// refused logins writes one audit event a minute, not one per request.
const noteEvery = time.Minute

// note reports whether a refusal of key should be audited now.
func (l *limiter) note(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if t, ok := l.noted[key]; ok && now.Sub(t) < noteEvery {
		return false
	}
	if len(l.noted) >= maxKeys {
		for k, t := range l.noted {
			if now.Sub(t) >= noteEvery {
				delete(l.noted, k)
			}
		}
	}
	if len(l.noted) < maxKeys {
		l.noted[key] = now
	}
	return true
}

// prune drops key's failures older than the window; l.mu is held.
func (l *limiter) prune(key string, now time.Time) []time.Time {
	ts := l.fails[key]
	i := 0
	for i < len(ts) && !now.Before(ts[i].Add(failureWindow)) {
		i++
	}
	ts = ts[i:]
	if len(ts) == 0 {
		delete(l.fails, key)
	} else {
		l.fails[key] = ts
	}
	return ts
}

// wait returns how long until key may try again under limit (0: now).
func (l *limiter) wait(key string, limit int, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	ts := l.prune(key, now)
	if len(ts) < limit {
		return 0
	}
	return ts[len(ts)-limit].Add(failureWindow).Sub(now)
}

// fail records a failure of each key.
func (l *limiter) fail(now time.Time, keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.fails) >= maxKeys {
		for k := range l.fails {
			l.prune(k, now)
		}
	}
	for _, k := range keys {
		if len(l.fails) < maxKeys || l.fails[k] != nil {
			l.fails[k] = append(l.prune(k, now), now)
		}
	}
}

// reset forgets key's failures (a user who signed in).
func (l *limiter) reset(key string) {
	l.mu.Lock()
	delete(l.fails, key)
	l.mu.Unlock()
}
