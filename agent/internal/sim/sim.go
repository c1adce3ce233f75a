// Package sim simulates a fleet of jumpgate agents for the scale benchmark
// (make bench): thousands of Jump Clients in one process, each holding its
// session through the agent's real connection code (agent/internal/conn:
// the pinned TLS client, the signed WebSocket handshake, yamux with
// keepalives) and reconnecting the way the agent's run loop does.
//
// A simulated agent's life:
//
//	connect:  conn.Dialer.Connect with Auth{jump_client, id, run}; during the
//	          first connection at most Fleet.Ramp agents of the fleet are in
//	          the handshake at once (a fleet coming online), later ones are
//	          not limited (a reconnect storm is a storm)
//	welcome:  send one report, as the agent does, then read the control
//	          stream until the session ends
//	failure:  wait Backoff.Delay(attempt, err), which honours the Retry-After
//	          of a busy refusal, and connect again; a session that was
//	          welcomed resets attempt, as in the agent
//
// The benchmark runs several fleets in worker processes (see Main), each
// from its own loopback source address (Fleet.LocalAddr), so that one
// process stays under the descriptor limit and one source address does not
// run out of ephemeral ports.
package sim

import (
	"context"
	"crypto/ed25519"
	"errors"
	"net"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jumpgate/jumpgate/agent/internal/conn"
	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
)

// Identity is one enrolled agent: its Jump Client id and the seed of its
// Ed25519 key.
type Identity struct {
	ID int64 `json:"id"`
	// Seed is the ed25519 seed (32 bytes) of the agent's key.
	Seed []byte `json:"seed"`
	// HostID is the host ID the agent enrolled with.
	HostID string `json:"host_id"`
}

// Key returns the agent's private key.
func (i Identity) Key() ed25519.PrivateKey { return ed25519.NewKeyFromSeed(i.Seed) }

// Error kinds of Stats.Errors that are not failures of the appliance.
const (
	// ErrKindDown is a refused TCP connection: nothing listens, the
	// appliance is down (during a restart).
	ErrKindDown = "unreachable: connection refused"
)

// Stats are the counters of a fleet. Counts are cumulative since the fleet
// started, except Connected.
type Stats struct {
	// Agents is the size of the fleet.
	Agents int `json:"agents"`
	// Connected is how many sessions are held now.
	Connected int64 `json:"connected"`
	// Welcomes counts accepted handshakes (TLS handshakes, for a TLSFleet).
	Welcomes int64 `json:"welcomes"`
	// Busy counts busy refusals: the admission limiter's 503 or a Refused
	// with code busy.
	Busy int64 `json:"busy"`
	// Lost counts sessions that ended.
	Lost int64 `json:"lost"`
	// Errors counts failed attempts other than busy refusals, by kind.
	Errors map[string]int64 `json:"errors,omitempty"`
	// FirstErrors are the first few error messages, for diagnosis.
	FirstErrors []string `json:"first_errors,omitempty"`
	// RampDone is when every agent had been welcomed once; zero before.
	RampDone time.Time `json:"ramp_done"`
	// LastWelcome is when the latest handshake was accepted.
	LastWelcome time.Time `json:"last_welcome"`
	// Outages counts, by OutageBucket wide buckets, how long agents were
	// without a session: from a session's end to the next welcome. The
	// last bucket holds every longer outage.
	Outages []int64 `json:"outages,omitempty"`
	// MaxFailures is the most failed attempts in a row before a welcome.
	MaxFailures int `json:"max_failures,omitempty"`
}

// OutageBucket is the width of a Stats.Outages bucket; there are
// outageBuckets of them.
const (
	OutageBucket  = 250 * time.Millisecond
	outageBuckets = 4 * 180
)

// OutagePercentile is the outage that p (0–1) of the recorded outages did
// not exceed, to OutageBucket; false when none was recorded.
func (s *Stats) OutagePercentile(p float64) (time.Duration, bool) {
	var n int64
	for _, c := range s.Outages {
		n += c
	}
	if n == 0 {
		return 0, false
	}
	want := int64(float64(n)*p + 0.5)
	var seen int64
	for i, c := range s.Outages {
		seen += c
		if seen >= max(want, 1) {
			return time.Duration(i+1) * OutageBucket, true
		}
	}
	return time.Duration(len(s.Outages)) * OutageBucket, true
}

// ErrorCount is the sum of Errors, leaving out the kinds given.
func (s *Stats) ErrorCount(except ...string) int64 {
	var n int64
	for k, v := range s.Errors {
		if !contains(except, k) {
			n += v
		}
	}
	return n
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Add adds o's counters to s; times become the later of both (RampDone
// only once both are done).
func (s *Stats) Add(o *Stats) {
	rampDone := !s.RampDone.IsZero() || s.Agents == 0
	s.Agents += o.Agents
	s.Connected += o.Connected
	s.Welcomes += o.Welcomes
	s.Busy += o.Busy
	s.Lost += o.Lost
	for k, v := range o.Errors {
		if s.Errors == nil {
			s.Errors = map[string]int64{}
		}
		s.Errors[k] += v
	}
	for _, e := range o.FirstErrors {
		if len(s.FirstErrors) < maxFirstErrors {
			s.FirstErrors = append(s.FirstErrors, e)
		}
	}
	if rampDone && !o.RampDone.IsZero() {
		s.RampDone = later(s.RampDone, o.RampDone)
	} else {
		s.RampDone = time.Time{}
	}
	s.LastWelcome = later(s.LastWelcome, o.LastWelcome)
	if len(o.Outages) > len(s.Outages) {
		s.Outages = append(s.Outages, make([]int64, len(o.Outages)-len(s.Outages))...)
	}
	for i, c := range o.Outages {
		s.Outages[i] += c
	}
	s.MaxFailures = max(s.MaxFailures, o.MaxFailures)
}

// Sub returns the counters s gained since old, a Stats of the same fleet
// taken earlier; gauges and times are s's.
func (s *Stats) Sub(old *Stats) Stats {
	d := *s
	d.Welcomes -= old.Welcomes
	d.Busy -= old.Busy
	d.Lost -= old.Lost
	d.Errors = nil
	for k, v := range s.Errors {
		if v -= old.Errors[k]; v > 0 {
			if d.Errors == nil {
				d.Errors = map[string]int64{}
			}
			d.Errors[k] = v
		}
	}
	d.Outages = append([]int64(nil), s.Outages...)
	for i, c := range old.Outages {
		if i < len(d.Outages) {
			d.Outages[i] -= c
		}
	}
	return d
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

const maxFirstErrors = 5

// counters are the live counters behind Stats.
type counters struct {
	connected atomic.Int64
	welcomes  atomic.Int64
	busy      atomic.Int64
	lost      atomic.Int64
	ramped    atomic.Int64

	mu          sync.Mutex
	agents      int
	errors      map[string]int64
	firstErrors []string
	rampDone    time.Time
	lastWelcome time.Time
	outages     []int64
	maxFailures int
}

// welcome counts an accepted handshake after failures failed attempts; a
// non-zero lost is when the agent's previous session ended.
func (c *counters) welcome(first bool, failures int, lost time.Time) {
	now := time.Now()
	c.welcomes.Add(1)
	c.connected.Add(1)
	c.mu.Lock()
	c.lastWelcome = later(c.lastWelcome, now)
	if first && c.ramped.Add(1) == int64(c.agents) {
		c.rampDone = now
	}
	c.maxFailures = max(c.maxFailures, failures)
	if !lost.IsZero() {
		if c.outages == nil {
			c.outages = make([]int64, outageBuckets)
		}
		c.outages[min(int(now.Sub(lost)/OutageBucket), outageBuckets-1)]++
	}
	c.mu.Unlock()
}

func (c *counters) start(agents int) {
	c.mu.Lock()
	c.agents = agents
	c.mu.Unlock()
}

func (c *counters) fail(err error) {
	if kind := ErrorKind(err); kind == "busy" {
		c.busy.Add(1)
	} else {
		c.mu.Lock()
		if c.errors == nil {
			c.errors = map[string]int64{}
		}
		c.errors[kind]++
		if len(c.firstErrors) < maxFirstErrors && kind != ErrKindDown {
			c.firstErrors = append(c.firstErrors, err.Error())
		}
		c.mu.Unlock()
	}
}

func (c *counters) stats() Stats {
	s := Stats{Connected: c.connected.Load(), Welcomes: c.welcomes.Load(), Busy: c.busy.Load(), Lost: c.lost.Load()}
	c.mu.Lock()
	defer c.mu.Unlock()
	s.Agents = c.agents
	if len(c.errors) > 0 {
		s.Errors = make(map[string]int64, len(c.errors))
		for k, v := range c.errors {
			s.Errors[k] = v
		}
	}
	s.FirstErrors = append([]string(nil), c.firstErrors...)
	s.RampDone, s.LastWelcome = c.rampDone, c.lastWelcome
	s.MaxFailures = c.maxFailures
	if n := len(c.outages); n > 0 {
		for n > 0 && c.outages[n-1] == 0 {
			n--
		}
		s.Outages = append([]int64(nil), c.outages[:n]...)
	}
	return s
}

// ErrorKind names the kind of a failed connection attempt: "busy" for the
// admission limiter, "refused: <code>" for another refusal,
// "unreachable: <cause>" for a transport failure, "timeout" for a
// handshake that ran out of time, else "other".
func ErrorKind(err error) string {
	var re *conn.RefusedError
	switch {
	case errors.As(err, &re) && re.Refused.Code == agentproto.RefusedBusy:
		return "busy"
	case errors.As(err, &re):
		return "refused: " + re.Refused.Code
	case errors.Is(err, syscall.ECONNREFUSED):
		return ErrKindDown
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "unreachable: connection reset"
	case errors.Is(err, syscall.EADDRNOTAVAIL), errors.Is(err, syscall.EADDRINUSE):
		return "unreachable: no free local port"
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return "timeout"
	case errors.Is(err, conn.ErrUnreachable):
		return "unreachable: other"
	}
	return "other"
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// Fleet runs simulated Jump Clients against one appliance. Set its fields,
// then call Run once.
type Fleet struct {
	// URL and CAPin reach the appliance, as key info names them.
	URL, CAPin string
	// LocalAddr is the source IP of every connection; "" lets the system
	// choose.
	LocalAddr string
	// Agents are the identities to run.
	Agents []Identity
	// Ramp bounds the first connections in flight; 0 means no bound.
	Ramp int
	// Backoff spaces reconnection attempts, as agent.Config.Backoff does;
	// the zero value is the agent's default.
	Backoff conn.Backoff
	// NoReport skips the report an agent sends after each Welcome.
	NoReport bool

	c counters
}

// Stats returns the fleet's counters now. It is safe to call while Run
// runs.
func (f *Fleet) Stats() Stats { return f.c.stats() }

// Run connects every agent and keeps it connected until ctx ends; then it
// closes every session and returns.
func (f *Fleet) Run(ctx context.Context) {
	f.c.start(len(f.Agents))
	var ramp chan struct{}
	if f.Ramp > 0 {
		ramp = make(chan struct{}, f.Ramp)
	}
	var wg sync.WaitGroup
	for _, id := range f.Agents {
		// A Dialer, and so an HTTP transport, per agent, as each agent
		// process has: after a busy refusal the transport keeps the
		// connection, and the retry reuses it without a TLS handshake.
		d := &conn.Dialer{URL: f.URL, CAPin: f.CAPin, Proxy: "direct", LocalAddr: f.LocalAddr, UserAgent: "jumpgate-agent-sim/" + api.Version}
		wg.Go(func() { f.agent(ctx, d, id, ramp) })
	}
	wg.Wait()
}

// agent is one simulated agent's run loop.
func (f *Fleet) agent(ctx context.Context, d *conn.Dialer, id Identity, ramp chan struct{}) {
	// A context of its own: Connect ties the session's WebSocket to it with
	// two contexts and a callback per read, and thousands of sessions on
	// one shared context made cancelling it a convoy on that context's lock
	// (workers took over a minute to stop).
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	key := id.Key()
	auth := agentproto.Auth{Kind: agentproto.KindJumpClient, ID: id.ID, Intent: agentproto.IntentRun, Version: api.Version, Facts: facts(id)}
	first := true
	attempt, failures := 0, 0
	var lost time.Time
	defer d.HTTPClient().CloseIdleConnections()
	for ctx.Err() == nil {
		if first && ramp != nil {
			select {
			case ramp <- struct{}{}:
			case <-ctx.Done():
				return
			}
		}
		s, err := d.Connect(ctx, key, auth)
		if first && ramp != nil {
			<-ramp
		}
		if err == nil {
			f.c.welcome(first, failures, lost)
			first = false
			attempt, failures = 0, 0
			err = f.hold(ctx, s)
			f.c.connected.Add(-1)
			if ctx.Err() != nil {
				return
			}
			f.c.lost.Add(1)
			lost = time.Now()
		} else if ctx.Err() == nil {
			f.c.fail(err)
			failures++
		}
		wait := f.Backoff.Delay(attempt, err)
		attempt++
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// hold serves a session until it ends: one report, then the control
// stream is read (and its messages dropped) until it fails.
func (f *Fleet) hold(ctx context.Context, s *conn.Session) error {
	stop := context.AfterFunc(ctx, func() { s.Close() })
	defer stop()
	defer s.Close()
	if !f.NoReport {
		if err := s.Control.Send(report()); err != nil {
			return err
		}
	}
	for {
		if _, err := s.Control.Recv(); err != nil {
			return err
		}
	}
}

func facts(id Identity) agentproto.Facts {
	return agentproto.Facts{HostID: id.HostID, Hostname: id.HostID, Platform: api.PlatformLinuxAMD64, InstallMode: api.InstallService,
		OS: "Simulated Linux", User: "root", PrivateIP: "10.0.0.5", MACAddress: "02:00:00:00:00:01", DefaultGateway: "10.0.0.1"}
}

func report() agentproto.Control {
	cpu, up := 1.5, int64(3600)
	return agentproto.Control{Type: agentproto.MsgReport, Report: &agentproto.Report{
		Stats:    agentproto.Stats{ReportedAt: time.Now().UTC(), CPUPercent: &cpu, UptimeSeconds: &up},
		Presence: agentproto.Presence{},
	}}
}

// SortedKinds returns the error kinds of m, most frequent first.
func SortedKinds(m map[string]int64) []string {
	kinds := make([]string, 0, len(m))
	for k := range m {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool {
		if m[kinds[i]] != m[kinds[j]] {
			return m[kinds[i]] > m[kinds[j]]
		}
		return strings.Compare(kinds[i], kinds[j]) < 0
	})
	return kinds
}
