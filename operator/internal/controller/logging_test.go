package controller_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/operator/internal/controller"
)

// logEntry is one captured log line.
type logEntry struct {
	level int // V level; -1 for errors
	msg   string
	err   error
	kv    map[string]any
}

// logCapture is a logr sink that keeps every line (to V(1)) for a test.
type logCapture struct {
	mu      *sync.Mutex
	entries *[]logEntry
	values  []any
}

func newLogCapture() (logr.Logger, *logCapture) {
	c := &logCapture{mu: &sync.Mutex{}, entries: &[]logEntry{}}
	return logr.New(c), c
}

func (c *logCapture) Init(logr.RuntimeInfo)  {}
func (c *logCapture) Enabled(level int) bool { return level <= 1 }
func (c *logCapture) Info(level int, msg string, kv ...any) {
	c.add(logEntry{level: level, msg: msg}, kv)
}
func (c *logCapture) Error(err error, msg string, kv ...any) {
	c.add(logEntry{level: -1, msg: msg, err: err}, kv)
}
func (c *logCapture) WithValues(kv ...any) logr.LogSink {
	n := *c
	n.values = append(append([]any(nil), c.values...), kv...)
	return &n
}
func (c *logCapture) WithName(string) logr.LogSink { return c }

func (c *logCapture) add(e logEntry, kv []any) {
	e.kv = map[string]any{}
	all := append(append([]any(nil), c.values...), kv...)
	for i := 0; i+1 < len(all); i += 2 {
		e.kv[fmt.Sprint(all[i])] = all[i+1]
	}
	c.mu.Lock()
	*c.entries = append(*c.entries, e)
	c.mu.Unlock()
}

// find returns the first entry that match accepts.
func (c *logCapture) find(match func(logEntry) bool) (logEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range *c.entries {
		if match(e) {
			return e, true
		}
	}
	return logEntry{}, false
}

// text is every captured line, for leak checks and failure messages.
func (c *logCapture) text() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b strings.Builder
	for _, e := range *c.entries {
		fmt.Fprintf(&b, "%d %q %v %v\n", e.level, e.msg, e.err, e.kv)
	}
	return b.String()
}

// TestReconciler_Logs: an action is logged at V(1) with the kind, the
// resource's namespace/name and the appliance id; an appliance error at
// error level with the same and the appliance's answer; never the token.
func TestReconciler_Logs(t *testing.T) {
	t.Parallel()
	log, logs := newLogCapture()
	e := newEnv(t, withLogger(log))
	first := publicPortal("first", "first.example.com", "First")
	first.Spec.Default = true
	e.Create(first)
	e.WaitReady(first)
	second := publicPortal("second", "second.example.com", "Second")
	e.Create(second)
	id := e.WaitReady(second)

	created, ok := logs.find(func(l logEntry) bool {
		return l.msg == controller.ActionCreated && l.kv["name"] == "second"
	})
	require.True(t, ok, "no %q line for second:\n%s", controller.ActionCreated, logs.text())
	assert.Equal(t, 1, created.level)
	assert.Equal(t, "PublicPortal", created.kv["kind"])
	assert.Equal(t, e.NS, created.kv["namespace"])
	assert.Equal(t, id, created.kv["applianceID"])
	assert.NotEmpty(t, created.kv["reconcileID"])

	e.Update(second, func() { second.Spec.Default = true }) // the appliance refuses a second default
	var failed logEntry
	e.Eventually(func() error {
		if failed, ok = logs.find(func(l logEntry) bool { return l.level == -1 && l.kv["name"] == "second" }); !ok {
			return fmt.Errorf("no error line for second:\n%s", logs.text())
		}
		return nil
	}, "the appliance error to be logged")
	assert.Equal(t, controller.MsgApplianceError, failed.msg)
	assert.Equal(t, "PublicPortal", failed.kv["kind"])
	assert.Equal(t, e.NS, failed.kv["namespace"])
	assert.Equal(t, id, failed.kv["applianceID"])
	assert.Equal(t, "sync", failed.kv["op"])
	assert.Equal(t, 409, failed.kv["status"])
	assert.Contains(t, failed.kv["detail"], "already the default")
	require.Error(t, failed.err)

	assert.NotContains(t, logs.text(), e.Appliance.AdminToken)
}

// TestReconciler_BackoffPerItem: a resource that keeps failing is retried
// after delays that double from BackoffBase up to BackoffMax; another
// resource that starts failing later starts again from BackoffBase.
func TestReconciler_BackoffPerItem(t *testing.T) {
	t.Parallel()
	const base, maxDelay = 100 * time.Millisecond, 800 * time.Millisecond
	e := newEnv(t, func(c *envConfig) { c.BackoffBase, c.BackoffMax = base, maxDelay })
	first := publicPortal("first", "first.example.com", "First")
	first.Spec.Default = true
	e.Create(first)
	e.WaitReady(first)

	second := publicPortal("second", "second.example.com", "Second")
	second.Spec.Default = true // refused, every time
	e.Create(second)
	// Every reconcile of second fails (adding the finalizer triggers none):
	// delays 0.1, 0.2, 0.4, 0.8, 0.8 … s.
	wantGaps := []time.Duration{base, 2 * base, 4 * base, maxDelay, maxDelay, maxDelay, maxDelay}
	var times []time.Time
	e.Eventually(func() error {
		times = e.ReconcileTimes("PublicPortal", "second")
		if len(times) < len(wantGaps)+1 {
			return fmt.Errorf("%d failed reconciles so far", len(times))
		}
		return nil
	}, "second to fail %d times", len(wantGaps)+1)

	third := publicPortal("third", "third.example.com", "Third")
	third.Spec.Default = true
	e.Create(third)
	var thirdTimes []time.Time
	e.Eventually(func() error {
		if thirdTimes = e.ReconcileTimes("PublicPortal", "third"); len(thirdTimes) < 3 {
			return fmt.Errorf("%d failed reconciles so far", len(thirdTimes))
		}
		return nil
	}, "third to fail 3 times")

	for i, want := range wantGaps {
		gap := times[i+1].Sub(times[i])
		// Never sooner than the limiter's delay (less a little for the
		// clock); later only by the load of the machine, never by the
		// doubling past BackoffMax (the 7th would be 6.4 s).
		assert.GreaterOrEqual(t, gap, want-20*time.Millisecond, "delay before retry %d", i+1)
		assert.Less(t, gap, want+2*time.Second, "delay before retry %d", i+1)
	}
	// third's back-off is its own: its second try comes after BackoffBase,
	// not after second's BackoffMax.
	assert.Less(t, thirdTimes[1].Sub(thirdTimes[0]), maxDelay-100*time.Millisecond, "third inherited second's back-off")
}
