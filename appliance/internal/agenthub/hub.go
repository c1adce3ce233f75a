// Package agenthub holds the agents' connections: it enrolls new agents,
// authenticates each WebSocket at /agent/v1/connect (protocol in
// api/agentproto), keeps one yamux session per agent, records presence,
// statistics and facts, pushes configuration, upgrades and Wake-on-LAN
// requests, and runs the Jump Client lifecycle rules (lost, deleted,
// max offline).
//
// Connection state is batched: connects, disconnects and reports are queued
// in memory and written by one flusher in a single transaction every
// FlushInterval, so that a reconnect storm of every agent costs a few
// transactions, not one per agent. Admission is limited to MaxHandshakes
// handshakes in flight, shared fairly between source addresses (see
// admission); the rest are answered 503 with Retry-After and the agents
// back off with jitter. A peer must authenticate within AuthTimeout.
package agenthub

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/api/sessionproto"
	"github.com/jumpgate/jumpgate/appliance/internal/db"
	"github.com/jumpgate/jumpgate/appliance/internal/jumpclient"
	"github.com/jumpgate/jumpgate/appliance/internal/jumpoint"
	"github.com/jumpgate/jumpgate/appliance/internal/settings"
)

// Config are the hub's collaborators and knobs; zero values are defaults.
type Config struct {
	DB  *db.DB
	Log *slog.Logger
	// Events hears of every Jump Client status change as it happens, for
	// the live status stream; nil tells no one. It must not block.
	Events interface {
		ClientStatus(id int64, status string, at time.Time)
	}
	// SigningKey verifies key info (its public half).
	SigningKey ed25519.PrivateKey
	// Clients is the jump-clients collection (for enrollment).
	Clients *jumpclient.Service
	// Upgrade returns the signed build for a platform, or nil.
	Upgrade func(platform string) *agentproto.Upgrade
	// OpenBuild opens the build of a platform for streaming.
	OpenBuild func(platform string) (io.ReadCloser, error)
	// Registry receives the hub's metrics; nil registers nothing.
	Registry prometheus.Registerer
	// MaxHandshakes bounds handshakes in flight, shared fairly between
	// source addresses (see admission); default 512.
	MaxHandshakes int
	// AuthTimeout bounds the wait for a peer's Auth after Hello: an
	// unauthenticated peer holds a handshake place no longer; default
	// DefaultAuthTimeout.
	AuthTimeout time.Duration
	// FlushInterval is how often queued state is written; default 500ms.
	FlushInterval time.Duration
	// SweepInterval is how often lifecycle rules run; default 1 minute.
	SweepInterval time.Duration
	// SettingsTTL is how long settings are cached; default 2s.
	SettingsTTL time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Instance is this appliance process's instance ID, written as the
	// owner of the presence of the agents connected here (see package
	// instance).
	Instance string
}

type ident struct {
	kind string
	id   int64
}

// SessionHandler is the broker, as the hub sees it: it is told of session
// messages and of agents coming and going, admits customer clients, and
// says what a Jumpoint may dial.
type SessionHandler interface {
	AgentMessage(kind string, id int64, m *agentproto.Control)
	AgentConnected(kind string, id int64, jumpointID int64)
	AgentDisconnected(kind string, id int64, jumpointID int64)
	Join(ctx context.Context, a *agentproto.Auth, remote string) (*agentproto.HandshakeReply, int64, error)
	TunnelTargets(ctx context.Context, jumpointID int64) ([]agentproto.TunnelTarget, error)
}

// DefaultAuthTimeout is how long a peer may take to send Auth after Hello.
// An agent answers at once; the rest of HandshakeTimeout is for the
// appliance's own work.
const DefaultAuthTimeout = 5 * time.Second

// Hub holds every agent connection of this appliance.
type Hub struct {
	cfg Config
	log *slog.Logger
	// sessions is set once, before Start.
	sessions SessionHandler

	admission *admission

	mu    sync.Mutex
	conns map[ident]*agentConn

	qmu     sync.Mutex
	pending map[int64]*clientUpdate
	nodes   map[int64]*nodeUpdate
	flushed chan struct{} // closed and replaced after each flush

	wolMu   sync.Mutex
	wolNext map[int64]time.Time

	setMu    sync.Mutex
	setCache *settings.Record
	setAt    time.Time

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	m metrics
}

type metrics struct {
	connected  *prometheus.GaugeVec
	handshakes *prometheus.CounterVec
	enrolls    *prometheus.CounterVec
	flushes    prometheus.Histogram
}

// New returns a hub; Start runs its background work.
func New(cfg Config) *Hub {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxHandshakes <= 0 {
		cfg.MaxHandshakes = 512
	}
	if cfg.AuthTimeout <= 0 {
		cfg.AuthTimeout = DefaultAuthTimeout
	}
	if cfg.FlushInterval <= 0 {
		cfg.FlushInterval = 500 * time.Millisecond
	}
	if cfg.SweepInterval <= 0 {
		cfg.SweepInterval = time.Minute
	}
	if cfg.SettingsTTL <= 0 {
		cfg.SettingsTTL = 2 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	h := &Hub{
		cfg: cfg, log: cfg.Log,
		admission: newAdmission(cfg.MaxHandshakes),
		conns:     map[ident]*agentConn{},
		pending:   map[int64]*clientUpdate{},
		nodes:     map[int64]*nodeUpdate{},
		flushed:   make(chan struct{}),
		wolNext:   map[int64]time.Time{},
	}
	h.m = metrics{
		connected: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "jumpgate_agents_connected", Help: "Agents holding a connection now, by kind."}, []string{"kind"}),
		handshakes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "jumpgate_agent_handshakes_total",
			Help: "Agent connection handshakes by result (welcome, refused code, busy, evicted, error)."}, []string{"result"}),
		enrolls: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "jumpgate_agent_enrollments_total", Help: "Agent enrollments by kind and result."}, []string{"kind", "result"}),
		flushes: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "jumpgate_agent_state_flush_seconds", Help: "Time to write one batch of agent state.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)}),
	}
	if cfg.Registry != nil {
		cfg.Registry.MustRegister(h.m.connected, h.m.handshakes, h.m.enrolls, h.m.flushes)
	}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	return h
}

// Start marks offline the agents that dead appliance processes had
// connected (ReleaseOrphans; no connection survives its process) and starts
// the flusher and the lifecycle sweeper. Register this process's instance
// first: the presence of live processes' agents is left alone.
func (h *Hub) Start(ctx context.Context) error {
	if err := h.ReleaseOrphans(ctx); err != nil {
		return err
	}
	h.wg.Add(2)
	go h.flushLoop()
	go h.sweepLoop()
	return nil
}

// Close cuts every connection, stops the background work and writes what is
// queued. It blocks until done.
func (h *Hub) Close() {
	h.cancel()
	h.mu.Lock()
	conns := make([]*agentConn, 0, len(h.conns))
	for _, c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	// In parallel: closing a connection waits for its session's goroutines
	// to end, one after another that is seconds with thousands of agents.
	var closing sync.WaitGroup
	for _, c := range conns {
		closing.Go(c.closeNow)
	}
	closing.Wait()
	h.wg.Wait()
	h.flush(context.Background())
}

// SetSessions connects the broker; call it before Start.
func (h *Hub) SetSessions(s SessionHandler) { h.sessions = s }

// Send sends a control message to a connected agent.
func (h *Hub) Send(kind string, id int64, m agentproto.Control) error {
	c := h.lookup(kind, id)
	if c == nil {
		return fmt.Errorf("%s %d is not connected", kind, id)
	}
	return c.send(m)
}

// OpenStream opens a session stream on a connected agent and writes its
// header.
func (h *Hub) OpenStream(ctx context.Context, kind string, id int64, open *sessionproto.Open) (net.Conn, error) {
	c := h.lookup(kind, id)
	if c == nil || c.mux == nil {
		return nil, fmt.Errorf("%s %d is not connected", kind, id)
	}
	type result struct {
		st  net.Conn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		st, err := c.mux.OpenStream()
		if err != nil {
			ch <- result{nil, err}
			return
		}
		_ = st.SetWriteDeadline(time.Now().Add(agentproto.HandshakeTimeout))
		if err := agentproto.WriteStreamHeader(st, agentproto.StreamHeader{Type: agentproto.StreamSession, Open: open}); err != nil {
			st.Close()
			ch <- result{nil, fmt.Errorf("write stream header: %w", err)}
			return
		}
		_ = st.SetWriteDeadline(time.Time{})
		ch <- result{st, nil}
	}()
	select {
	case r := <-ch:
		return r.st, r.err
	case <-ctx.Done():
		go func() {
			if r := <-ch; r.st != nil {
				r.st.Close()
			}
		}()
		return nil, ctx.Err()
	}
}

// JumpointNodes lists the connected nodes of a Jumpoint, by id.
func (h *Hub) JumpointNodes(jumpointID int64) []int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []int64
	for k, c := range h.conns {
		if k.kind == agentproto.KindJumpoint && c.jumpointID == jumpointID {
			out = append(out, k.id)
		}
	}
	slices.Sort(out)
	return out
}

// RefreshTunnels sends every connected Jumpoint node its tunnel targets
// again, after Protocol Tunnel Jumps changed.
func (h *Hub) RefreshTunnels() {
	if h.sessions == nil {
		return
	}
	h.mu.Lock()
	var nodes []*agentConn
	for k, c := range h.conns {
		if k.kind == agentproto.KindJumpoint {
			nodes = append(nodes, c)
		}
	}
	h.mu.Unlock()
	ctx, cancel := context.WithTimeout(h.ctx, 30*time.Second)
	defer cancel()
	for _, c := range nodes {
		cfg, err := h.nodeConfig(ctx, c.jumpointID)
		if err != nil {
			h.log.Warn("could not refresh a jumpoint node's tunnels", "node", c.id, "err", err)
			continue
		}
		_ = c.send(agentproto.Control{Type: agentproto.MsgConfig, Config: &cfg})
	}
}

// nodeConfig is the configuration of a node of Jumpoint jumpointID.
func (h *Hub) nodeConfig(ctx context.Context, jumpointID int64) (agentproto.Config, error) {
	var j jumpoint.Record
	if err := h.cfg.DB.R.WithContext(ctx).Take(&j, jumpointID).Error; err != nil {
		return agentproto.Config{}, err
	}
	cfg := jumpoint.NodeConfig(&j)
	if h.sessions != nil {
		t, err := h.sessions.TunnelTargets(ctx, jumpointID)
		if err != nil {
			return cfg, err
		}
		cfg.Tunnels = t
	}
	return cfg, nil
}

// Connected reports how many agents of kind hold a connection.
func (h *Hub) Connected(kind string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for k := range h.conns {
		if k.kind == kind {
			n++
		}
	}
	return n
}

// IsConnected reports whether (kind, id) holds a connection now.
func (h *Hub) IsConnected(kind string, id int64) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, ok := h.conns[ident{kind, id}]
	return ok
}

func (h *Hub) lookup(kind string, id int64) *agentConn {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.conns[ident{kind, id}]
}

// Retire implements jumpclient.Notifier: it cuts the connection of (kind,
// id), first telling the agent to uninstall itself when uninstall is set.
func (h *Hub) Retire(kind string, id int64, uninstall bool, reason string) {
	c := h.lookup(kind, id)
	if c == nil {
		return
	}
	if uninstall {
		_ = c.send(agentproto.Control{Type: agentproto.MsgUninstall, Reason: reason})
	}
	c.close()
}

// RetireNodes cuts the connections of jumpoint nodes that were deleted or
// removed, first telling each to uninstall itself for reason.
func (h *Hub) RetireNodes(ids []int64, reason string) {
	for _, id := range ids {
		h.Retire(agentproto.KindJumpoint, id, true, reason)
	}
}

// Reconfigure implements jumpclient.Notifier: it sends a connected client
// its configuration again, after an edit.
func (h *Hub) Reconfigure(kind string, id int64) {
	c := h.lookup(kind, id)
	if c == nil || kind != agentproto.KindJumpClient {
		return
	}
	ctx, cancel := context.WithTimeout(h.ctx, 10*time.Second)
	defer cancel()
	var rec jumpclient.Record
	if err := h.cfg.DB.R.WithContext(ctx).Take(&rec, id).Error; err != nil {
		return
	}
	st, err := h.settings(ctx)
	if err != nil {
		return
	}
	c.setRecord(&rec)
	cfg := jumpclient.ConfigFor(&rec, st)
	_ = c.send(agentproto.Control{Type: agentproto.MsgConfig, Config: &cfg})
}

// SettingsChanged drops the cached settings and sends every connected client
// its new configuration, and an upgrade where one is now due.
func (h *Hub) SettingsChanged() {
	h.setMu.Lock()
	h.setCache = nil
	h.setMu.Unlock()
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		ctx, cancel := context.WithTimeout(h.ctx, time.Minute)
		defer cancel()
		st, err := h.settings(ctx)
		if err != nil {
			return
		}
		h.mu.Lock()
		conns := make([]*agentConn, 0, len(h.conns))
		for k, c := range h.conns {
			if k.kind == agentproto.KindJumpClient {
				conns = append(conns, c)
			}
		}
		h.mu.Unlock()
		for _, c := range conns {
			if ctx.Err() != nil {
				return
			}
			cfg := jumpclient.ConfigFor(c.record(), st)
			_ = c.send(agentproto.Control{Type: agentproto.MsgConfig, Config: &cfg})
			if u := h.upgradeFor(c.platform, c.version, st); u != nil {
				c.offerUpgrade(h, u)
			}
		}
	}()
}

// settings returns the jump client settings, cached for SettingsTTL.
func (h *Hub) settings(ctx context.Context) (*settings.Record, error) {
	h.setMu.Lock()
	if h.setCache != nil && h.cfg.Now().Sub(h.setAt) < h.cfg.SettingsTTL {
		s := h.setCache
		h.setMu.Unlock()
		return s, nil
	}
	h.setMu.Unlock()
	s, err := settings.Current(ctx, h.cfg.DB.R)
	if err != nil {
		return nil, err
	}
	h.setMu.Lock()
	h.setCache, h.setAt = s, h.cfg.Now()
	h.setMu.Unlock()
	return s, nil
}
