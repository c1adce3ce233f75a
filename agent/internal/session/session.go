// Package session is the endpoint side of remote-support sessions: the
// table of sessions the appliance told the agent about, and the feature
// streams (shell, exec, sysinfo, file_list, file_get, file_put, tunnel) the
// appliance opens for them. The agent is the last line of defence, so every
// rule is enforced here, against what the appliance said about the session
// (agentproto.SessionInfo), never against what a stream's Open claims.
//
// # The table
//
//	MsgSession{prompting} ──Answer (MsgPromptAnswer)──► the appliance decides
//	MsgSession{active}    ──► active: streams are served
//	        │  SetControl(revoked) ⇄ SetControl(restored)   (MsgSessionControl)
//	        ▼
//	MsgSession{ended} │ End (MsgSessionControl{end}) │ Reset │ Close ──► gone:
//	        every stream of the session is closed and its processes killed
//
// Reset (the connection to the appliance was lost) forgets the table: the
// appliance re-sends the sessions that are still active when the agent is
// back, and until then nothing is served. Two decisions of the end user
// outlive a Reset because the appliance may not have heard of them: a
// revoke (the re-sent session stays revoked, and the agent tells the
// appliance again) and an end (the re-sent session is not taken back, and
// the agent repeats the end). The appliance cannot restore control the end
// user revoked: the agent's view is the appliance's control_revoked OR the
// end user's own revoke.
//
// # Streams
//
// Serve answers one stream with an Opened line. It refuses (in this order)
// on a Jumpoint node anything but a tunnel (permission_denied: a node
// serves tunnels to its items' targets and nothing of its own, whatever
// the appliance asks), a stream of a session that is not active here
// (no_session), a feature the session's permissions do not grant
// (permission_denied), and, while
// control is revoked, anything that acts on the endpoint: shell, exec,
// file_put, tunnel (control_revoked). Viewing (sysinfo, file_list,
// file_get) goes on while control is revoked. Open shells and execs keep
// their output flowing but drop stdin and signal frames, and say so once
// with a notice frame; restoring control says so too.
//
// Shells and execs run as the session user (Config.SessionUser; an agent
// running as root switches to it, any other agent refuses). File streams
// run as the agent's own user; relative paths are relative to the session
// user's home. Tunnels of a Jumpoint dial only the host:port pairs of its
// Protocol Tunnel Jumps (agentproto.Config.Tunnels); tunnels of a Jump
// Client or customer client dial only the loopback address.
//
// A shell or exec ends its input with an eof frame, so a peer that closes
// its write side (a yamux FIN) before the exit frame is gone: the process
// is hung up (stdin closed, SIGHUP to its process groups). On a tunnel the
// FIN is a TCP half-close.
package session

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
)

// dialTimeout bounds dialing a tunnel target with the default dialer.
const dialTimeout = 10 * time.Second

// subscriberBuffer is how many session changes a subscriber may fall
// behind by before changes of the same session are coalesced.
const subscriberBuffer = 64

// Config configures a Manager. Every field but Kind and Send may be zero.
type Config struct {
	// Kind is agentproto.KindJumpClient, KindJumpoint or KindCustomer; it
	// decides what a tunnel may dial.
	Kind string
	// SessionUser is the --session-user from the install state: the
	// account shells and execs run as; "" is the agent's own user.
	SessionUser string
	// Log receives the manager's log; nil discards it.
	Log *slog.Logger
	// Send delivers a control message to the appliance (MsgPromptAnswer,
	// MsgSessionControl). It may fail when the agent is offline; nil
	// always fails.
	Send func(agentproto.Control) error
	// Tunnels returns a Jumpoint's current tunnel targets
	// (agentproto.Config.Tunnels); nil for clients.
	Tunnels func() []agentproto.TunnelTarget
	// Dial dials tunnel targets; nil uses a net.Dialer with a 10 s
	// timeout.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Shell is the program of shell streams, started as a login shell;
	// "" is the session user's login shell.
	Shell string
}

// Manager keeps the sessions of one agent and serves their streams. It is
// safe for concurrent use.
type Manager struct {
	cfg Config
	log *slog.Logger

	mu       sync.Mutex
	closed   bool
	seq      uint64
	sessions map[int64]*entry
	// revoked holds the sessions whose control the end user revoked here,
	// with what the appliance was told; it survives Reset (see the package
	// comment).
	revoked map[int64]agentproto.SessionControl
	// ended holds the sessions the end user ended here that the appliance
	// has not reported ended yet; it survives Reset.
	ended map[int64]agentproto.SessionControl
	subs  map[*subscriber]struct{}
	// changed is closed and replaced on every change of the table, for
	// streams waiting for their session to be known.
	changed chan struct{}

	// dropped counts input frames dropped while control was revoked.
	dropped atomic.Int64
	// geteuid is os.Geteuid; tests play an unprivileged agent with it.
	geteuid func() int
}

// entry is one session of the table.
type entry struct {
	info    agentproto.SessionInfo
	seq     uint64
	streams map[*stream]struct{}
}

// New returns a Manager with an empty table.
func New(cfg Config) *Manager {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Dial == nil {
		d := &net.Dialer{Timeout: dialTimeout}
		cfg.Dial = d.DialContext
	}
	return &Manager{
		cfg:      cfg,
		log:      cfg.Log,
		sessions: map[int64]*entry{},
		revoked:  map[int64]agentproto.SessionControl{},
		ended:    map[int64]agentproto.SessionControl{},
		subs:     map[*subscriber]struct{}{},
		changed:  make(chan struct{}),
		geteuid:  os.Geteuid,
	}
}

// Update applies a MsgSession from the appliance: a new prompt, the start,
// a change (time left, control), or the end. A session that is no longer
// active loses its streams.
func (m *Manager) Update(info agentproto.SessionInfo) {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	if info.Status != api.SessionPrompting && info.Status != api.SessionActive {
		delete(m.revoked, info.ID)
		delete(m.ended, info.ID)
		e := m.sessions[info.ID]
		delete(m.sessions, info.ID)
		var streams []*stream
		if e != nil {
			streams = e.detach()
			m.publish(info)
		}
		m.mu.Unlock()
		if e != nil {
			m.log.Info("session ended", "session", info.ID, "reason", info.EndReason)
			terminateAll(streams)
		}
		return
	}
	if c, ok := m.ended[info.ID]; ok {
		// The end user ended it here; the appliance has not heard yet.
		m.mu.Unlock()
		_ = m.send(agentproto.Control{Type: agentproto.MsgSessionControl, SessionControl: &c})
		return
	}
	rc, localRevoke := m.revoked[info.ID]
	tellRevoked := localRevoke && !info.ControlRevoked
	info.ControlRevoked = info.ControlRevoked || localRevoke
	e := m.sessions[info.ID]
	var old agentproto.SessionInfo
	if e == nil {
		m.seq++
		e = &entry{seq: m.seq, streams: map[*stream]struct{}{}}
		m.sessions[info.ID] = e
		m.log.Info("session", "session", info.ID, "status", info.Status, "mode", info.Mode, "representative", info.Representative)
	} else {
		old = e.info
	}
	e.info = info
	var drop []*stream
	if info.Status != api.SessionActive {
		drop = e.detach()
	}
	streams := m.controlChanged(e, old.ControlRevoked != info.ControlRevoked)
	m.publish(info)
	m.mu.Unlock()

	terminateAll(drop)
	notifyControl(streams)
	if tellRevoked {
		_ = m.send(agentproto.Control{Type: agentproto.MsgSessionControl, SessionControl: &rc})
	}
}

// Reset forgets every session: the connection to the appliance was lost,
// and the appliance re-sends the active sessions when the agent is back.
// Open streams are closed and their processes killed (default deny).
func (m *Manager) Reset() {
	m.mu.Lock()
	var streams []*stream
	for _, e := range sortedEntries(m.sessions) {
		streams = append(streams, e.detach()...)
		info := e.info
		info.Status = api.SessionEnded
		info.EndReason = api.EndEndpointGone
		info.Message = "the connection to the appliance was lost"
		m.publish(info)
	}
	m.sessions = map[int64]*entry{}
	m.mu.Unlock()
	terminateAll(streams)
}

// Close closes every open stream, forgets every session and ends every
// subscription. Streams served after Close are refused.
func (m *Manager) Close() {
	m.Reset()
	m.mu.Lock()
	m.closed = true
	for s := range m.subs {
		s.close()
	}
	m.subs = map[*subscriber]struct{}{}
	m.mu.Unlock()
}

// Sessions returns the known sessions that have not ended (prompting or
// active), oldest first.
func (m *Manager) Sessions() []agentproto.SessionInfo {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []agentproto.SessionInfo
	for _, e := range sortedEntries(m.sessions) {
		out = append(out, e.info)
	}
	return out
}

// Errors of the end user's actions.
var (
	// ErrNoSession: no such session is waiting for consent, or active.
	ErrNoSession = errors.New("no such session")
	// ErrNotSent: the action took effect here, but the appliance could not
	// be told (it is told again when it re-sends the session).
	ErrNotSent = errors.New("the appliance could not be told")
)

// Answer answers a pending consent prompt: it sends MsgPromptAnswer. It
// fails with ErrNoSession when session id is not prompting. The session
// becomes active only when the appliance says so.
func (m *Manager) Answer(id int64, accept bool, by string) error {
	m.mu.Lock()
	e := m.sessions[id]
	ok := e != nil && e.info.Status == api.SessionPrompting
	m.mu.Unlock()
	if !ok {
		return fmt.Errorf("%w waiting for consent: %d", ErrNoSession, id)
	}
	m.log.Info("consent answered", "session", id, "accept", accept, "by", by)
	return m.send(agentproto.Control{Type: agentproto.MsgPromptAnswer, Answer: &agentproto.PromptAnswer{
		Session: id, Accept: accept, By: by,
	}})
}

// SetControl revokes (true) or restores (false) the representative's
// control of active session id. It takes effect here at once (open
// shells and execs stop taking input; new acting streams are refused),
// then tells the appliance with MsgSessionControl; an error wrapping
// ErrNotSent means only the second part failed.
func (m *Manager) SetControl(id int64, revoked bool, by string) error {
	m.mu.Lock()
	e := m.sessions[id]
	if e == nil || e.info.Status != api.SessionActive {
		m.mu.Unlock()
		return fmt.Errorf("%w active: %d", ErrNoSession, id)
	}
	c := agentproto.SessionControl{Session: id, Revoked: revoked, By: by}
	if revoked {
		m.revoked[id] = c
	} else {
		delete(m.revoked, id)
	}
	changed := e.info.ControlRevoked != revoked
	e.info.ControlRevoked = revoked
	streams := m.controlChanged(e, changed)
	if changed {
		m.publish(e.info)
	}
	m.mu.Unlock()

	m.log.Info("control changed at the endpoint", "session", id, "revoked", revoked, "by", by)
	notifyControl(streams)
	return m.send(agentproto.Control{Type: agentproto.MsgSessionControl, SessionControl: &c})
}

// End ends session id from the endpoint: its streams are closed and its
// processes killed at once, then the appliance is told with
// MsgSessionControl{end}; an error wrapping ErrNotSent means only the
// second part failed (the end is repeated when the appliance re-sends the
// session).
func (m *Manager) End(id int64, by, reason string) error {
	m.mu.Lock()
	e := m.sessions[id]
	if e == nil {
		m.mu.Unlock()
		return fmt.Errorf("%w: %d", ErrNoSession, id)
	}
	delete(m.sessions, id)
	delete(m.revoked, id)
	c := agentproto.SessionControl{Session: id, End: true, By: by, Reason: reason}
	m.ended[id] = c
	info := e.info
	info.Status = api.SessionEnded
	info.EndReason = api.EndEndUser
	info.Message = reason
	info.Prompt = nil
	streams := e.detach()
	m.publish(info)
	m.mu.Unlock()

	m.log.Info("session ended at the endpoint", "session", id, "by", by, "reason", reason)
	// Tell the appliance before the streams close: a representative whose
	// command ends with its stream would otherwise end the session first,
	// and the session would be recorded as ended by the user rather than by
	// the end user.
	err := m.send(agentproto.Control{Type: agentproto.MsgSessionControl, SessionControl: &c})
	terminateAll(streams)
	return err
}

// send delivers c, wrapping a failure in ErrNotSent.
func (m *Manager) send(c agentproto.Control) error {
	if m.cfg.Send == nil {
		return fmt.Errorf("%w: no connection", ErrNotSent)
	}
	if err := m.cfg.Send(c); err != nil {
		m.log.Warn("could not tell the appliance", "type", c.Type, "err", err)
		return fmt.Errorf("%w: %w", ErrNotSent, err)
	}
	return nil
}

// controlChanged applies e's control state to its streams and returns the
// ones that should hear about the change. Called with m.mu held.
func (m *Manager) controlChanged(e *entry, changed bool) []*stream {
	var out []*stream
	for s := range e.streams {
		s.revoked.Store(e.info.ControlRevoked)
		if changed && s.interactive {
			out = append(out, s)
		}
	}
	return out
}

// notifyControl tells interactive streams that control changed.
func notifyControl(streams []*stream) {
	for _, s := range streams {
		s.noticeControl()
	}
}

// detach takes e's streams away from it. Called with m.mu held.
func (e *entry) detach() []*stream {
	out := make([]*stream, 0, len(e.streams))
	for s := range e.streams {
		out = append(out, s)
	}
	e.streams = map[*stream]struct{}{}
	return out
}

func terminateAll(streams []*stream) {
	for _, s := range streams {
		s.terminate()
	}
}

func sortedEntries(m map[int64]*entry) []*entry {
	out := make([]*entry, 0, len(m))
	for _, e := range m {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b *entry) int { return cmp.Compare(a.seq, b.seq) })
	return out
}

// Subscribe returns a channel that receives every session change (a new
// prompt, the start, control, the end). It is buffered: a slow reader
// misses intermediate states of a session but always gets its latest. The
// channel is closed by cancel and by Close.
func (m *Manager) Subscribe() (<-chan agentproto.SessionInfo, func()) {
	s := &subscriber{ch: make(chan agentproto.SessionInfo, subscriberBuffer)}
	m.mu.Lock()
	if m.closed {
		s.close()
	} else {
		m.subs[s] = struct{}{}
	}
	m.mu.Unlock()
	return s.ch, func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		if _, ok := m.subs[s]; ok {
			delete(m.subs, s)
			s.close()
		}
	}
}

// subscriber is one Subscribe channel. publish and close run with m.mu
// held, so a send never races the close.
type subscriber struct {
	ch     chan agentproto.SessionInfo
	closed bool
}

func (s *subscriber) close() {
	if !s.closed {
		s.closed = true
		close(s.ch)
	}
}

// publish tells every subscriber about info. Called with m.mu held.
func (m *Manager) publish(info agentproto.SessionInfo) {
	close(m.changed)
	m.changed = make(chan struct{})
	for s := range m.subs {
		s.offer(info)
	}
}

// offer queues info without blocking. When the buffer is full it keeps
// only the latest state of each session, so the reader always ends up
// with every session's latest state.
func (s *subscriber) offer(info agentproto.SessionInfo) {
	select {
	case s.ch <- info:
		return
	default:
	}
	var queued []agentproto.SessionInfo
	for len(s.ch) > 0 {
		select {
		case q := <-s.ch:
			queued = append(queued, q)
		default:
		}
	}
	queued = append(queued, info)
	kept := make([]agentproto.SessionInfo, 0, len(queued))
	for i, q := range queued {
		if !slices.ContainsFunc(queued[i+1:], func(later agentproto.SessionInfo) bool { return later.ID == q.ID }) {
			kept = append(kept, q)
		}
	}
	// More distinct sessions than the buffer holds: the oldest go.
	kept = kept[max(0, len(kept)-cap(s.ch)):]
	for _, q := range kept {
		select {
		case s.ch <- q:
		default:
		}
	}
}
