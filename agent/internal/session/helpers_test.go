package session

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/yamux"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/api/sessionproto"
)

// waitFor bounds every wait of these tests.
const waitFor = 10 * time.Second

// allowAll grants every feature a session stream can ask for.
var allowAll = api.SessionPermissions{Shell: true, FileRead: true, FileWrite: true, Tunnel: true, SystemInfo: true}

// sessionID is the session the tests use.
const sessionID = 7

// sent records the control messages a Manager sends.
type sent struct {
	mu   sync.Mutex
	msgs []agentproto.Control
	fail error
}

func (s *sent) send(c agentproto.Control) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	s.msgs = append(s.msgs, c)
	return nil
}

func (s *sent) all() []agentproto.Control {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]agentproto.Control(nil), s.msgs...)
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(bytes.TrimSpace(p)))
	return len(p), nil
}

// newManager returns a Manager logging to t, with one active session of
// perms (unless perms is nil), closed when the test ends.
func newManager(t *testing.T, cfg Config, perms *api.SessionPermissions) (*Manager, *sent) {
	t.Helper()
	rec := &sent{}
	if cfg.Send == nil {
		cfg.Send = rec.send
	}
	cfg.Log = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if cfg.Shell == "" {
		// Not the test user's own login shell: its profile is the
		// machine's business (a slow or locked pyenv, say), not the test's.
		cfg.Shell = "/bin/sh"
	}
	m := New(cfg)
	t.Cleanup(m.Close)
	if perms != nil {
		m.Update(activeSession(sessionID, *perms))
	}
	return m, rec
}

func activeSession(id int64, perms api.SessionPermissions) agentproto.SessionInfo {
	return agentproto.SessionInfo{ID: id, Status: api.SessionActive, Mode: api.ModeUnattended, Representative: "rep", Permissions: perms}
}

// muxPair returns the two ends of a yamux connection over a loopback TCP
// connection, as the agent and the appliance have.
func muxPair(t testing.TB) (client, server *yamux.Session) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	a, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	b := <-accepted
	require.NotNil(t, b)
	cfg := yamux.DefaultConfig()
	cfg.LogOutput = io.Discard
	client, err = yamux.Client(a, cfg)
	require.NoError(t, err)
	server, err = yamux.Server(b, cfg)
	require.NoError(t, err)
	t.Cleanup(func() {
		client.Close()
		server.Close()
	})
	return client, server
}

// peer is the appliance's end of one served stream.
type peer struct {
	t    *testing.T
	conn net.Conn
	fr   *sessionproto.FrameReader
	done chan struct{}
}

// serve opens a stream, hands the agent's end to m.Serve with open, and
// returns the appliance's end.
func serve(t *testing.T, m *Manager, open sessionproto.Open) *peer {
	t.Helper()
	return serveCtx(t, context.Background(), m, open)
}

func serveCtx(t *testing.T, ctx context.Context, m *Manager, open sessionproto.Open) *peer {
	t.Helper()
	appliance, agent := muxPair(t)
	accepted := make(chan net.Conn, 1)
	go func() {
		st, _ := agent.AcceptStream()
		accepted <- st
	}()
	c, err := appliance.OpenStream()
	require.NoError(t, err)
	var st net.Conn
	select {
	case st = <-accepted:
	case <-time.After(waitFor):
		t.Fatal("stream not accepted")
	}
	require.NotNil(t, st)
	p := &peer{t: t, conn: c, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		m.Serve(ctx, st, &open)
	}()
	t.Cleanup(func() {
		c.Close()
		p.wait()
	})
	return p
}

// opened reads the Opened line.
func (p *peer) opened() sessionproto.Opened {
	p.t.Helper()
	require.NoError(p.t, p.conn.SetReadDeadline(time.Now().Add(waitFor)))
	var o sessionproto.Opened
	require.NoError(p.t, sessionproto.ReadLine(p.conn, &o))
	return o
}

// mustOpen reads the Opened line and requires it to be OK.
func (p *peer) mustOpen() sessionproto.Opened {
	p.t.Helper()
	o := p.opened()
	require.True(p.t, o.OK, "refused: %s: %s", o.Code, o.Error)
	return o
}

// next reads one frame.
func (p *peer) next() (byte, []byte) {
	p.t.Helper()
	typ, b, err := p.nextErr()
	require.NoError(p.t, err)
	return typ, b
}

func (p *peer) nextErr() (byte, []byte, error) {
	if p.fr == nil {
		p.fr = sessionproto.NewFrameReader(p.conn)
	}
	_ = p.conn.SetReadDeadline(time.Now().Add(waitFor))
	typ, b, err := p.fr.Next()
	return typ, append([]byte(nil), b...), err
}

func (p *peer) send(typ byte, payload []byte) {
	p.t.Helper()
	require.NoError(p.t, sessionproto.WriteFrame(p.conn, typ, payload))
}

func (p *peer) sendJSON(typ byte, v any) {
	p.t.Helper()
	require.NoError(p.t, sessionproto.WriteJSONFrame(p.conn, typ, v))
}

// output gathers a process's frames.
type output struct {
	stdout, stderr strings.Builder
	notices        []string
	exit           *sessionproto.Exit
	errMsg         string
}

// readUntil reads frames until the stdout so far contains want, and
// returns everything read.
func (p *peer) readUntil(out *output, want string) {
	p.t.Helper()
	for !strings.Contains(out.stdout.String(), want) {
		require.Nil(p.t, out.exit, "exited before %q; stdout %q", want, out.stdout.String())
		p.readFrame(out)
	}
}

// readExit reads frames until the exit frame.
func (p *peer) readExit(out *output) sessionproto.Exit {
	p.t.Helper()
	for out.exit == nil {
		p.readFrame(out)
	}
	return *out.exit
}

func (p *peer) readFrame(out *output) {
	p.t.Helper()
	typ, b, err := p.nextErr()
	require.NoError(p.t, err, "stdout so far %q", out.stdout.String())
	switch typ {
	case sessionproto.FrameData:
		out.stdout.Write(b)
	case sessionproto.FrameStderr:
		out.stderr.Write(b)
	case sessionproto.FrameNotice:
		out.notices = append(out.notices, string(b))
	case sessionproto.FrameExit:
		var e sessionproto.Exit
		require.NoError(p.t, json.Unmarshal(b, &e))
		out.exit = &e
	case sessionproto.FrameError:
		out.errMsg = string(b)
		p.t.Fatalf("error frame: %s", b)
	default:
		p.t.Fatalf("unexpected frame %q", typ)
	}
}

// readDoc reads the JSON document after an OK Opened line.
func (p *peer) readDoc(v any) {
	p.t.Helper()
	require.NoError(p.t, p.conn.SetReadDeadline(time.Now().Add(waitFor)))
	require.NoError(p.t, json.NewDecoder(p.conn).Decode(v))
}

// wait waits for Serve to return.
func (p *peer) wait() {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(waitFor):
		p.t.Fatal("Serve did not return")
	}
}

// eventually polls cond until it holds.
func eventually(t *testing.T, cond func() bool, msg string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf(msg, args...)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
