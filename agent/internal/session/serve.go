package session

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/api/sessionproto"
)

// Notices on shell and exec streams when the end user changes control.
const (
	noticeRevoked  = "input blocked: the end user revoked control"
	noticeRestored = "input restored: the end user gave control back"
)

// feature is what a stream type needs.
type feature struct {
	// permission is the api.SessionPermissions JSON name that grants it.
	permission string
	granted    func(api.SessionPermissions) bool
	// acts: the stream changes the endpoint, so it needs control.
	acts bool
	// interactive: the stream takes input and hears about control.
	interactive bool
}

var features = map[string]feature{
	sessionproto.StreamShell:    {"shell", func(p api.SessionPermissions) bool { return p.Shell }, true, true},
	sessionproto.StreamExec:     {"shell", func(p api.SessionPermissions) bool { return p.Shell }, true, true},
	sessionproto.StreamSysInfo:  {"system_info", func(p api.SessionPermissions) bool { return p.SystemInfo }, false, false},
	sessionproto.StreamFileList: {"file_read", func(p api.SessionPermissions) bool { return p.FileRead }, false, false},
	sessionproto.StreamFileGet:  {"file_read", func(p api.SessionPermissions) bool { return p.FileRead }, false, false},
	sessionproto.StreamFilePut:  {"file_write", func(p api.SessionPermissions) bool { return p.FileWrite }, true, false},
	sessionproto.StreamTunnel:   {"tunnel", func(p api.SessionPermissions) bool { return p.Tunnel }, true, false},
}

// Serve handles one StreamSession stream whose header carried open: it
// checks the stream against the session table, writes the Opened line and
// the body, and closes st. It blocks until the stream ends; ending ctx, or
// the session, ends it early (processes killed, connections closed).
func (m *Manager) Serve(ctx context.Context, st net.Conn, open *sessionproto.Open) {
	s := &stream{conn: st, m: m}
	defer s.finish()
	if open == nil {
		s.refuse(sessionproto.Refuse(sessionproto.CodeBadRequest, "the session stream carries no open request"))
		return
	}
	s.session, s.typ = open.Session, open.Type
	if ref := m.admit(s, open); ref != nil {
		m.log.Info("session stream refused", "session", open.Session, "type", open.Type, "code", ref.Code, "err", ref.Error)
		s.refuse(*ref)
		return
	}
	defer m.release(s)
	stopped := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(stopped)
		s.terminate()
	})
	defer func() {
		if !stop() {
			<-stopped
		}
	}()

	m.log.Debug("session stream", "session", open.Session, "type", open.Type)
	switch open.Type {
	case sessionproto.StreamShell, sessionproto.StreamExec:
		m.serveProcess(s, open)
	case sessionproto.StreamSysInfo:
		m.serveSysInfo(s)
	case sessionproto.StreamFileList:
		m.serveFileList(s, open)
	case sessionproto.StreamFileGet:
		m.serveFileGet(s, open)
	case sessionproto.StreamFilePut:
		m.serveFilePut(s, open)
	case sessionproto.StreamTunnel:
		m.serveTunnel(ctx, s, open)
	}
}

// admitWait bounds how long a stream waits for its session's message.
const admitWait = 3 * time.Second

// admit checks open against the table and, when it may go ahead, adds s to
// its session so that an end or a control change reaches it. The check and
// the registration are one step: a session that ends meanwhile cannot miss
// the stream.
func (m *Manager) admit(s *stream, open *sessionproto.Open) *sessionproto.Opened {
	f, ok := features[open.Type]
	if !ok {
		r := sessionproto.Refuse(sessionproto.CodeBadRequest, "unknown session stream type %q", open.Type)
		return &r
	}
	// A Jumpoint node carries tunnels to its items' targets and nothing
	// else, whatever the appliance says the session may do: no shell,
	// exec, files or system information of the node itself.
	if m.cfg.Kind == agentproto.KindJumpoint && open.Type != sessionproto.StreamTunnel {
		r := sessionproto.Refuse(sessionproto.CodePermission, "this is a jumpoint node: it serves tunnel streams to its items' targets only, not %s", open.Type)
		return &r
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		r := sessionproto.Refuse(sessionproto.CodeNoSession, "the agent is shutting down")
		return &r
	}
	e := m.sessions[open.Session]
	// The appliance tells the agent of a session (or its start after a
	// prompt) on the control stream and may open the session's first
	// stream right after: wait a moment for that message, never for
	// longer, and never let a stream in on anything but an active session.
	deadline := time.Now().Add(admitWait)
	for (e == nil || e.info.Status == api.SessionPrompting) && !m.closed {
		left := time.Until(deadline)
		if left <= 0 {
			break
		}
		ch := m.changed
		m.mu.Unlock()
		t := time.NewTimer(left)
		select {
		case <-ch:
		case <-t.C:
		}
		t.Stop()
		m.mu.Lock()
		e = m.sessions[open.Session]
	}
	if m.closed {
		r := sessionproto.Refuse(sessionproto.CodeNoSession, "the agent is shutting down")
		return &r
	}
	if e == nil || e.info.Status != api.SessionActive {
		r := sessionproto.Refuse(sessionproto.CodeNoSession, "session %d is not active on this endpoint", open.Session)
		return &r
	}
	if !f.granted(e.info.Permissions) {
		r := sessionproto.Refuse(sessionproto.CodePermission, "the session's policy does not allow %s (permission %s)", open.Type, f.permission)
		return &r
	}
	if f.acts && e.info.ControlRevoked {
		r := sessionproto.Refuse(sessionproto.CodeRevoked, "the end user revoked control: %s is not allowed until it is given back", open.Type)
		return &r
	}
	s.entry = e
	s.interactive = f.interactive
	s.revoked.Store(e.info.ControlRevoked)
	s.noticed = e.info.ControlRevoked
	e.streams[s] = struct{}{}
	return nil
}

// release removes s from its session.
func (m *Manager) release(s *stream) {
	m.mu.Lock()
	delete(s.entry.streams, s)
	m.mu.Unlock()
}

// stream is one served session stream.
type stream struct {
	conn        net.Conn
	m           *Manager
	session     int64
	typ         string
	entry       *entry
	interactive bool
	// revoked mirrors the session's control state.
	revoked atomic.Bool

	// wmu serialises writes: every frame and line is one Write.
	wmu sync.Mutex

	mu sync.Mutex
	// killed: the session ended or ctx was cancelled; done: Serve is
	// finishing. Either stops new helpers and notices.
	killed, done bool
	kills        map[int]func()
	nextKill     int
	// aux counts notice writers, which finish waits for.
	aux sync.WaitGroup

	// noticeMu orders notices; noticed is the control state the peer was
	// last told.
	noticeMu sync.Mutex
	noticed  bool
}

// Write writes p in one Write on the stream, never interleaved with
// another frame or line.
func (s *stream) Write(p []byte) (int, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	return s.conn.Write(p)
}

// Read reads the stream's input.
func (s *stream) Read(p []byte) (int, error) { return s.conn.Read(p) }

func (s *stream) refuse(o sessionproto.Opened) { _ = sessionproto.WriteLine(s, o) }

func (s *stream) opened(o sessionproto.Opened) error {
	o.OK = true
	return sessionproto.WriteLine(s, o)
}

func (s *stream) frame(typ byte, payload []byte) error {
	return sessionproto.WriteFrame(s, typ, payload)
}

func (s *stream) jsonFrame(typ byte, v any) error {
	return sessionproto.WriteJSONFrame(s, typ, v)
}

// fail ends a stream whose body started: an error frame, then the close.
func (s *stream) fail(msg string) {
	_ = s.frame(sessionproto.FrameError, []byte(msg))
}

// onKill registers f to run when the session ends or ctx ends, and returns
// a function that unregisters it. When that already happened, f runs at
// once.
func (s *stream) onKill(f func()) (remove func()) {
	s.mu.Lock()
	if s.killed {
		s.mu.Unlock()
		f()
		return func() {}
	}
	if s.kills == nil {
		s.kills = map[int]func(){}
	}
	id := s.nextKill
	s.nextKill++
	s.kills[id] = f
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		delete(s.kills, id)
		s.mu.Unlock()
	}
}

// isKilled reports whether the session (or ctx) ended the stream.
func (s *stream) isKilled() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.killed
}

// terminate ends the stream now: what it started is killed and the stream
// closed both ways.
func (s *stream) terminate() {
	s.mu.Lock()
	if s.killed {
		s.mu.Unlock()
		return
	}
	s.killed = true
	kills := s.kills
	s.kills = nil
	s.mu.Unlock()
	for _, k := range kills {
		k()
	}
	hardClose(s.conn)
}

// closeConn closes the stream after the body: the peer reads the body to
// its end, and our own readers stop waiting for input (a yamux Close only
// closes the write side).
func (s *stream) closeConn() {
	s.conn.Close()
	_ = s.conn.SetReadDeadline(time.Now())
}

// finish closes the stream when Serve returns and waits for the notice
// writers.
func (s *stream) finish() {
	s.mu.Lock()
	s.done = true
	kills := s.kills
	s.kills = nil
	s.mu.Unlock()
	for _, k := range kills {
		k()
	}
	s.closeConn()
	s.aux.Wait()
}

// noticeControl tells the peer of an interactive stream that control
// changed. The write happens aside, so that a peer that does not read
// cannot hold up the end user's action; each writer tells the state at
// the time it writes, so notices never arrive out of order.
func (s *stream) noticeControl() {
	s.mu.Lock()
	if s.killed || s.done {
		s.mu.Unlock()
		return
	}
	s.aux.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.aux.Done()
		s.noticeMu.Lock()
		defer s.noticeMu.Unlock()
		now := s.revoked.Load()
		if now == s.noticed {
			return
		}
		s.noticed = now
		msg := noticeRestored
		if now {
			msg = noticeRevoked
		}
		_ = s.frame(sessionproto.FrameNotice, []byte(msg))
	}()
}

// hardClose closes c both ways at once, also releasing blocked reads and
// writes of a yamux stream (whose Close only half-closes).
func hardClose(c net.Conn) {
	_ = c.SetDeadline(time.Now())
	c.Close()
}
