package agenthub

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/gin-gonic/gin"
	"github.com/hashicorp/yamux"
	"gorm.io/gorm"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/api/wsmux"
	"github.com/jumpgate/jumpgate/appliance/internal/agentid"
	"github.com/jumpgate/jumpgate/appliance/internal/jumpclient"
	"github.com/jumpgate/jumpgate/appliance/internal/jumpoint"
	"github.com/jumpgate/jumpgate/appliance/internal/settings"
)

// agentConn is one authenticated agent connection.
type agentConn struct {
	ident
	// jumpointID is the Jumpoint of a node.
	jumpointID int64
	mux        *yamux.Session
	ws         *websocket.Conn
	platform   string
	version    string
	publicIP   string

	mu       sync.Mutex // guards ctl writes and the fields below
	ctl      net.Conn
	gateway  string
	rec      jumpclient.Record
	upgrades bool // a build-stream acceptor runs

	closeOnce sync.Once
}

func (c *agentConn) send(m agentproto.Control) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ctl == nil {
		return errors.New("agent has no control stream")
	}
	_ = c.ctl.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, err = c.ctl.Write(b)
	return err
}

// close ends the connection with the WebSocket close handshake, so that
// what was just sent (an uninstall) reaches the agent first.
func (c *agentConn) close() { c.shut(false) }

// closeNow ends the connection without the close handshake, for when
// nothing remains to be delivered: the session ended, the hub is closing,
// or a newer connection replaced this one. Agents treat every end of a
// session alike.
func (c *agentConn) closeNow() { c.shut(true) }

func (c *agentConn) shut(now bool) {
	c.closeOnce.Do(func() {
		if now {
			_ = c.ws.CloseNow()
		}
		if c.mux != nil {
			_ = c.mux.Close()
		}
		_ = c.ws.CloseNow()
	})
}

func (c *agentConn) setRecord(r *jumpclient.Record) {
	c.mu.Lock()
	c.rec = *r
	c.mu.Unlock()
}

func (c *agentConn) record() *jumpclient.Record {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.rec
	return &r
}

func (c *agentConn) network() (gateway string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gateway
}

// offerUpgrade sends u and accepts the agent's build stream for a while.
func (c *agentConn) offerUpgrade(h *Hub, u *agentproto.Upgrade) {
	if err := c.send(agentproto.Control{Type: agentproto.MsgUpgrade, Upgrade: u}); err != nil {
		return
	}
	c.acceptBuilds(h)
}

// acceptBuilds serves build streams for a few minutes after an upgrade was
// offered; otherwise nothing accepts agent-opened streams, which costs
// nothing per idle connection.
func (c *agentConn) acceptBuilds(h *Hub) {
	c.mu.Lock()
	if c.upgrades || h.cfg.OpenBuild == nil {
		c.mu.Unlock()
		return
	}
	c.upgrades = true
	c.mu.Unlock()
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		defer func() {
			c.mu.Lock()
			c.upgrades = false
			c.mu.Unlock()
		}()
		ctx, cancel := context.WithTimeout(h.ctx, 5*time.Minute)
		defer cancel()
		for {
			st, err := c.mux.AcceptStreamWithContext(ctx)
			if err != nil {
				return
			}
			h.serveBuild(c, st)
		}
	}()
}

func (h *Hub) serveBuild(c *agentConn, st *yamux.Stream) {
	defer st.Close()
	_ = st.SetDeadline(time.Now().Add(5 * time.Minute))
	hdr, err := agentproto.ReadStreamHeader(st)
	if err != nil || hdr.Type != agentproto.StreamBuild || hdr.Platform != c.platform {
		return
	}
	f, err := h.cfg.OpenBuild(hdr.Platform)
	if err != nil {
		h.log.Warn("agent build unavailable for upgrade", "platform", hdr.Platform, "err", err)
		return
	}
	defer f.Close()
	if _, err := io.Copy(st, f); err != nil {
		h.log.Info("agent build download interrupted", "kind", c.kind, "id", c.id, "err", err)
	}
}

// idleConn closes a connection that has received nothing for timeout: the
// agent's keepalives arrive every agentproto.KeepAliveInterval, so silence
// means the agent (or the path to it) is gone. It costs no goroutine.
type idleConn struct {
	net.Conn
	timeout time.Duration
}

func (c *idleConn) Read(p []byte) (int, error) {
	_ = c.Conn.SetReadDeadline(time.Now().Add(c.timeout))
	return c.Conn.Read(p)
}

var yamuxConfig = func() *yamux.Config {
	c := yamux.DefaultConfig()
	// Session streams (tunnels, file transfers) need windows that cover
	// bandwidth × delay; a window costs memory for data received and not
	// yet read, which a representative who stops reading leaves here: the
	// appliance's window bounds it (wsmux.ApplianceWindow).
	c.MaxStreamWindowSize = wsmux.ApplianceWindow
	// The agent pings; the appliance notices silence through idleConn.
	c.EnableKeepAlive = false
	c.ConnectionWriteTimeout = 15 * time.Second
	c.StreamOpenTimeout = 30 * time.Second
	c.LogOutput = io.Discard
	// The backlog is allocated per session up front (256 pointers by
	// default); the appliance accepts only the control stream and, during
	// an upgrade, one build stream at a time.
	c.AcceptBacklog = 32
	return c
}()

// handleConnect serves GET /agent/v1/connect.
func (h *Hub) handleConnect(c *gin.Context) {
	remote := c.ClientIP()
	hctx, cancel := context.WithCancel(h.ctx)
	defer cancel()
	t := h.admission.admit(remote, cancel)
	if t == nil {
		h.m.handshakes.WithLabelValues("busy").Inc()
		retry := 1 + mrand.IntN(5)
		c.Header("Retry-After", strconv.Itoa(retry))
		c.JSON(http.StatusServiceUnavailable, &api.Problem{Type: api.ProblemTypeBase + "unavailable", Title: "Service unavailable",
			Status: http.StatusServiceUnavailable, Detail: "too many agent handshakes in flight; retry after " + strconv.Itoa(retry) + " s"})
		return
	}
	defer t.release()

	ws, err := websocket.Accept(c.Writer, c.Request, &websocket.AcceptOptions{
		Subprotocols: []string{agentproto.Subprotocol}, CompressionMode: websocket.CompressionDisabled,
	})
	if err != nil {
		h.m.handshakes.WithLabelValues("error").Inc()
		return
	}
	if ws.Subprotocol() != agentproto.Subprotocol {
		h.m.handshakes.WithLabelValues("error").Inc()
		_ = ws.Close(websocket.StatusPolicyViolation, "subprotocol "+agentproto.Subprotocol+" required")
		return
	}
	ws.SetReadLimit(agentproto.MaxMessage)
	ac, intent, err := h.handshake(hctx, ws, remote, t)
	if err != nil {
		if t.wasEvicted() {
			h.m.handshakes.WithLabelValues("evicted").Inc()
		}
		h.log.Debug("agent handshake failed", "remote", remote, "err", err)
		_ = ws.CloseNow()
		return
	}
	if ac == nil {
		return // refused or a one-shot intent fully handled
	}
	t.release()
	// Serve on a goroutine of its own and let this handler return: the
	// WebSocket took the connection over, so returning does not close it,
	// and an idle agent then keeps neither the request and router state nor
	// the stack this goroutine grew in the handshake (JSON, Ed25519, the
	// database). That is a third of an idle agent's memory.
	h.mu.Lock()
	if h.ctx.Err() != nil {
		h.mu.Unlock()
		_ = ws.CloseNow()
		return // Close has begun: it no longer waits for new connections
	}
	h.wg.Add(1)
	h.mu.Unlock()
	go func() {
		defer h.wg.Done()
		h.serve(ac, ws, intent)
	}()
}

// handshake runs Hello → Auth → reply. It returns the connection to serve,
// or nil when the agent was refused or the intent needs no session.
//
// ctx is cancelled when the admission evicts the handshake. The peer has
// AuthTimeout to send its Auth; from then on the handshake is past the
// cheap part for an attacker (it cannot be evicted) and HandshakeTimeout
// bounds the whole.
func (h *Hub) handshake(ctx context.Context, ws *websocket.Conn, remote string, t *ticket) (*agentConn, string, error) {
	hctx, cancel := context.WithTimeout(ctx, agentproto.HandshakeTimeout)
	defer cancel()
	nonce := make([]byte, 32)
	_, _ = rand.Read(nonce)
	if err := wsjson.Write(hctx, ws, agentproto.Hello{Nonce: nonce, ServerTime: h.cfg.Now().UTC()}); err != nil {
		return nil, "", err
	}
	var a agentproto.Auth
	actx, acancel := context.WithTimeout(hctx, h.cfg.AuthTimeout)
	err := wsjson.Read(actx, ws, &a)
	acancel()
	if err != nil {
		h.m.handshakes.WithLabelValues("error").Inc()
		return nil, "", err
	}
	t.authenticated()
	reply, ac, err := h.authenticate(hctx, &a, nonce, remote)
	if err != nil {
		h.m.handshakes.WithLabelValues("error").Inc()
		return nil, "", err
	}
	if err := wsjson.Write(hctx, ws, reply); err != nil {
		return nil, "", err
	}
	if reply.Refused != nil {
		h.m.handshakes.WithLabelValues(reply.Refused.Code).Inc()
		_ = ws.Close(websocket.StatusPolicyViolation, reply.Refused.Code)
		return nil, "", nil
	}
	h.m.handshakes.WithLabelValues("welcome").Inc()
	if a.Intent == agentproto.IntentUninstall {
		_ = ws.Close(websocket.StatusNormalClosure, "uninstalled")
		return nil, "", nil
	}
	ac.ws = ws
	return ac, a.Intent, nil
}

func refuse(code, format string, args ...any) *agentproto.HandshakeReply {
	r := &agentproto.Refused{Code: code, Message: fmt.Sprintf(format, args...)}
	if code == agentproto.RefusedDisabled {
		r.RetryAfterSeconds = 300
	}
	return &agentproto.HandshakeReply{Refused: r}
}

// authenticate checks an Auth and builds the reply.
func (h *Hub) authenticate(ctx context.Context, a *agentproto.Auth, nonce []byte, remote string) (*agentproto.HandshakeReply, *agentConn, error) {
	msg := agentproto.AuthMessage(nonce, a.Kind, a.ID, a.Intent)
	if a.Kind == agentproto.KindCustomer {
		if a.Intent != agentproto.IntentJoin || h.sessions == nil {
			return refuse(agentproto.RefusedUnauthorized, "a customer client may only join a session"), nil, nil
		}
		reply, sid, err := h.sessions.Join(ctx, a, remote)
		if err != nil || reply.Refused != nil {
			return reply, nil, err
		}
		return reply, &agentConn{ident: ident{agentproto.KindCustomer, sid}, platform: a.Facts.Platform, version: a.Version, publicIP: remote}, nil
	}
	switch a.Intent {
	case agentproto.IntentRun, agentproto.IntentCheckIn, agentproto.IntentUninstall:
	default:
		return refuse(agentproto.RefusedUnauthorized, "unknown intent %q", a.Intent), nil, nil
	}
	now := h.cfg.Now().UTC()
	switch a.Kind {
	case agentproto.KindJumpClient:
		var rec jumpclient.Record
		err := h.cfg.DB.R.WithContext(ctx).Take(&rec, a.ID).Error
		if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, nil, err
		}
		if err != nil || !ed25519.Verify(rec.PublicKey, msg, a.Signature) {
			return h.unknown(ctx, a, msg)
		}
		status, err := h.clientStatus(ctx, rec.ID)
		if err != nil {
			return nil, nil, err
		}
		if status == api.ClientUninstalled {
			return refuse(agentproto.RefusedDeleted, "jump client %d is marked uninstalled", rec.ID), nil, nil
		}
		st, err := h.settings(ctx)
		if err != nil {
			return nil, nil, err
		}
		if a.Intent == agentproto.IntentUninstall {
			if st.RestrictLocalUninstall {
				return refuse(agentproto.RefusedUninstallRestricted, "local uninstall is restricted by the appliance's jump client settings (restrict_local_uninstall)"), nil, nil
			}
			if err := h.markUninstalled(ctx, &rec, st, "uninstalled at the endpoint"); err != nil {
				return nil, nil, err
			}
			return &agentproto.HandshakeReply{Welcome: &agentproto.Welcome{Config: jumpclient.ConfigFor(&rec, st)}}, nil, nil
		}
		ac := &agentConn{ident: ident{a.Kind, rec.ID}, platform: rec.Platform, version: a.Version, publicIP: remote, gateway: a.Facts.DefaultGateway, rec: rec}
		w := &agentproto.Welcome{Config: jumpclient.ConfigFor(&rec, st), Upgrade: h.upgradeFor(rec.Platform, a.Version, st)}
		facts := a.Facts
		h.queueClient(rec.ID, func(u *clientUpdate) {
			u.seen(now)
			u.facts, u.publicIP, u.version = &facts, remote, a.Version
		})
		return &agentproto.HandshakeReply{Welcome: w}, ac, nil

	case agentproto.KindJumpoint:
		var row struct {
			ID         int64
			PublicKey  []byte
			Platform   string
			Enabled    bool
			Name       string
			Clustered  bool
			JumpointID int64
		}
		err := h.cfg.DB.R.WithContext(ctx).Table("jumpoint_nodes n").
			Select("n.id, n.public_key, n.platform, j.enabled, j.name, j.clustered, n.jumpoint_id").
			Joins("JOIN jumpoints j ON j.id = n.jumpoint_id").Where("n.id = ?", a.ID).Take(&row).Error
		if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, nil, err
		}
		if err != nil || !ed25519.Verify(row.PublicKey, msg, a.Signature) {
			return h.unknown(ctx, a, msg)
		}
		if a.Intent == agentproto.IntentUninstall {
			if err := h.cfg.DB.W.WithContext(ctx).Delete(&jumpoint.Node{}, row.ID).Error; err != nil {
				return nil, nil, err
			}
			return &agentproto.HandshakeReply{Welcome: &agentproto.Welcome{}}, nil, nil
		}
		if !row.Enabled {
			return refuse(agentproto.RefusedDisabled, "the jumpoint is disabled"), nil, nil
		}
		st, err := h.settings(ctx)
		if err != nil {
			return nil, nil, err
		}
		ac := &agentConn{ident: ident{a.Kind, row.ID}, jumpointID: row.JumpointID, platform: row.Platform, version: a.Version, publicIP: remote}
		cfg, err := h.nodeConfig(ctx, row.JumpointID)
		if err != nil {
			return nil, nil, err
		}
		return &agentproto.HandshakeReply{Welcome: &agentproto.Welcome{Config: cfg, Upgrade: h.upgradeFor(row.Platform, a.Version, st)}}, ac, nil
	}
	return refuse(agentproto.RefusedUnauthorized, "unknown agent kind %q", a.Kind), nil, nil
}

func (h *Hub) clientStatus(ctx context.Context, id int64) (string, error) {
	var s []string
	if err := h.cfg.DB.R.WithContext(ctx).Model(&jumpclient.State{}).Where("client_id = ?", id).Limit(1).Pluck("status", &s).Error; err != nil {
		return "", err
	}
	if len(s) == 0 {
		return "", nil
	}
	return s[0], nil
}

// unknown answers an identity that does not verify: a retired key is told
// to uninstall, anything else is refused as unauthorized.
func (h *Hub) unknown(ctx context.Context, a *agentproto.Auth, msg []byte) (*agentproto.HandshakeReply, *agentConn, error) {
	buried, reason, err := agentid.Buried(ctx, h.cfg.DB.R, a.Kind, a.ID, msg, a.Signature)
	if err != nil {
		return nil, nil, err
	}
	if buried {
		return refuse(agentproto.RefusedDeleted, "this agent's identity was retired (%s)", reason), nil, nil
	}
	return refuse(agentproto.RefusedUnauthorized, "unknown agent or bad signature"), nil, nil
}

func (h *Hub) upgradeFor(platform, version string, st *settings.Record) *agentproto.Upgrade {
	if h.cfg.Upgrade == nil || platform == "" {
		return nil
	}
	u := h.cfg.Upgrade(platform)
	if u == nil || u.Version == version || !st.UpgradesAllowed(u.Version, api.Version) {
		return nil
	}
	return u
}

// serve holds an authenticated connection until it ends.
//
// The connection is not tied to h.ctx: NetConn hangs two contexts and a
// callback per read on its context, and cancelling h.ctx with thousands of
// agents connected set off a convoy of closes on that context's lock
// (closing the hub took up to 10 s with 2,000 agents). Close closes every
// registered connection itself; until it registers, a connection is bounded
// by the handshake timeout.
func (h *Hub) serve(ac *agentConn, ws *websocket.Conn, intent string) {
	ctx := h.ctx
	nc := websocket.NetConn(context.Background(), ws, websocket.MessageBinary)
	mux, err := yamux.Server(wsmux.Coalesce(&idleConn{Conn: nc, timeout: agentproto.IdleTimeout}), yamuxConfig)
	if err != nil {
		_ = ws.CloseNow()
		return
	}
	ac.mux = mux
	// When the session ends nothing remains to be delivered.
	defer ac.closeNow()
	actx, cancel := context.WithTimeout(ctx, agentproto.HandshakeTimeout)
	st, err := mux.AcceptStreamWithContext(actx)
	cancel()
	if err != nil {
		return
	}
	_ = st.SetReadDeadline(time.Now().Add(agentproto.HandshakeTimeout))
	hdr, err := agentproto.ReadStreamHeader(st)
	if err != nil || hdr.Type != agentproto.StreamControl {
		return
	}
	_ = st.SetReadDeadline(time.Time{})
	ac.mu.Lock()
	ac.ctl = st
	ac.mu.Unlock()

	if !h.register(ac) {
		return
	}
	defer h.unregister(ac)
	if s, err := h.settings(ctx); err == nil {
		if u := h.upgradeFor(ac.platform, ac.version, s); u != nil {
			ac.acceptBuilds(h)
		}
	}
	if intent == agentproto.IntentCheckIn {
		// A standby check-in reports, takes what is pending (an upgrade) and
		// closes; bound it in case it does not.
		_ = st.SetReadDeadline(time.Now().Add(5 * time.Minute))
	}
	r := bufio.NewReaderSize(st, 512)
	for {
		line, err := readBoundedLine(r, agentproto.MaxMessage)
		if err != nil {
			return
		}
		var m agentproto.Control
		if err := json.Unmarshal(line, &m); err != nil {
			h.log.Info("bad control message from agent", "kind", ac.kind, "id", ac.id, "err", err)
			return
		}
		h.handleControl(ac, &m)
	}
}

func readBoundedLine(r *bufio.Reader, max int) ([]byte, error) {
	var out []byte
	for {
		part, isPrefix, err := r.ReadLine()
		if err != nil {
			return nil, err
		}
		out = append(out, part...)
		if len(out) > max {
			return nil, errors.New("control message too long")
		}
		if !isPrefix {
			return out, nil
		}
	}
}

func (h *Hub) handleControl(ac *agentConn, m *agentproto.Control) {
	if (m.Type == agentproto.MsgPromptAnswer || m.Type == agentproto.MsgSessionControl) && h.sessions != nil {
		h.sessions.AgentMessage(ac.kind, ac.id, m)
		return
	}
	if m.Type != agentproto.MsgReport || m.Report == nil {
		return
	}
	now := h.cfg.Now().UTC()
	if ac.kind != agentproto.KindJumpClient {
		return
	}
	rep := m.Report
	st, _ := h.settings(h.ctx)
	stats := rep.Stats
	pres := &api.JumpClientPresence{UserLoggedIn: rep.Presence.UserLoggedIn, ScreenLocked: rep.Presence.ScreenLocked, ScreenSaver: rep.Presence.ScreenSaver}
	pres.Present = pres.UserLoggedIn
	if st != nil && st.PresenceUsesScreenState {
		pres.Present = pres.UserLoggedIn && !isTrue(pres.ScreenLocked) && !isTrue(pres.ScreenSaver)
	}
	console := rep.ConsoleUser
	h.queueClient(ac.id, func(u *clientUpdate) {
		u.seen(now)
		u.stats, u.presence = &stats, pres
		u.consoleUser = &console
	})
}

func isTrue(b *bool) bool { return b != nil && *b }

// register makes ac the connection of its identity, cutting an older one.
// It refuses once Close has begun, which closes only the connections
// registered before.
func (h *Hub) register(ac *agentConn) bool {
	now := h.cfg.Now().UTC()
	h.mu.Lock()
	if h.ctx.Err() != nil {
		h.mu.Unlock()
		return false
	}
	old := h.conns[ac.ident]
	h.conns[ac.ident] = ac
	h.mu.Unlock()
	if old != nil {
		old.closeNow()
	} else {
		h.m.connected.WithLabelValues(ac.kind).Inc()
	}
	switch ac.kind {
	case agentproto.KindJumpClient:
		h.queueClient(ac.id, func(u *clientUpdate) {
			u.status, u.claim = api.ClientOnline, true
			u.connectAt = &now
			u.seen(now)
		})
		h.tellStatus(ac.id, api.ClientOnline, now)
	case agentproto.KindJumpoint:
		h.queueNode(ac.id, func(u *nodeUpdate) {
			u.connected, u.at, u.remote, u.version = true, now, ac.publicIP, ac.version
		})
	}
	if h.sessions != nil {
		h.sessions.AgentConnected(ac.kind, ac.id, ac.jumpointID)
	}
	return true
}

// unregister forgets ac unless a newer connection replaced it.
func (h *Hub) unregister(ac *agentConn) {
	now := h.cfg.Now().UTC()
	h.mu.Lock()
	cur := h.conns[ac.ident]
	mine := cur == ac
	if mine {
		delete(h.conns, ac.ident)
	}
	h.mu.Unlock()
	if !mine {
		return
	}
	h.m.connected.WithLabelValues(ac.kind).Dec()
	switch ac.kind {
	case agentproto.KindJumpClient:
		h.queueClient(ac.id, func(u *clientUpdate) {
			u.status = api.ClientOffline
			u.disconnectAt = &now
			u.seen(now)
		})
		h.tellStatus(ac.id, api.ClientOffline, now)
	case agentproto.KindJumpoint:
		h.queueNode(ac.id, func(u *nodeUpdate) { u.connected, u.at = false, now })
	}
	if h.sessions != nil {
		h.sessions.AgentDisconnected(ac.kind, ac.id, ac.jumpointID)
	}
}

// tellStatus tells the live status stream of a Jump Client's new status.
func (h *Hub) tellStatus(id int64, status string, at time.Time) {
	if h.cfg.Events != nil {
		h.cfg.Events.ClientStatus(id, status, at)
	}
}
