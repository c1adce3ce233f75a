package agent

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/agent/internal/conn/conntest"
	"github.com/jumpgate/jumpgate/agent/internal/session"
	"github.com/jumpgate/jumpgate/agent/internal/state"
	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/api/sessionproto"
)

// openSession opens a session stream on the agent's connection, as the
// appliance does, and reads the agent's Opened line.
func openSession(t *testing.T, c *conntest.AgentConn, open sessionproto.Open) (net.Conn, sessionproto.Opened) {
	t.Helper()
	st, err := c.Mux.OpenStream()
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	require.NoError(t, agentproto.WriteStreamHeader(st, agentproto.StreamHeader{Type: agentproto.StreamSession, Open: &open}))
	require.NoError(t, st.SetReadDeadline(time.Now().Add(waitFor)))
	var o sessionproto.Opened
	require.NoError(t, sessionproto.ReadLine(st, &o))
	return st, o
}

func sendSession(t *testing.T, c *conntest.AgentConn, info agentproto.SessionInfo) {
	t.Helper()
	require.NoError(t, c.Control.Send(agentproto.Control{Type: agentproto.MsgSession, Session: &info}))
}

func TestRun_ServesSessions(t *testing.T) {
	a := conntest.New(t)
	dir, _ := install(t, a, func(st *state.State) {
		enrolled(a, agentproto.Config{ConnectionType: "active"})(st)
		st.Install.Headless = true
	})
	managers := make(chan *session.Manager, 2)
	cfg := testConfig(t, dir)
	cfg.OnManager = func(m *session.Manager) { managers <- m }
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(t.Context())
	wait := startRun(t, ctx, cfg)

	var m *session.Manager
	select {
	case m = <-managers:
	case <-time.After(waitFor):
		t.Fatal("OnManager was not called")
	}
	c := nextConn(t, a)
	assert.True(t, c.Auth.Facts.Headless, "the facts say the install is headless")
	recvType(t, c, agentproto.MsgReport)

	// A stream before the appliance announced its session is refused.
	_, o := openSession(t, c, sessionproto.Open{Type: sessionproto.StreamSysInfo, Session: 1})
	assert.Equal(t, sessionproto.CodeNoSession, o.Code)

	sendSession(t, c, agentproto.SessionInfo{ID: 1, Status: api.SessionActive, Mode: api.ModeUnattended, Permissions: api.SessionPermissions{SystemInfo: true}})
	eventually(t, func() bool { return len(m.Sessions()) == 1 }, "the session was not taken")
	st, o := openSession(t, c, sessionproto.Open{Type: sessionproto.StreamSysInfo, Session: 1})
	require.True(t, o.OK, o.Error)
	var si sessionproto.SysInfo
	require.NoError(t, json.NewDecoder(st).Decode(&si))
	assert.Equal(t, api.Version, si.AgentVersion)

	_, o = openSession(t, c, sessionproto.Open{Type: sessionproto.StreamShell, Session: 1})
	assert.Equal(t, sessionproto.CodePermission, o.Code, "the session's permissions hold")

	// Streams that are not session streams are closed.
	other, err := c.Mux.OpenStream()
	require.NoError(t, err)
	require.NoError(t, agentproto.WriteStreamHeader(other, agentproto.StreamHeader{Type: agentproto.StreamBuild}))
	require.NoError(t, other.SetReadDeadline(time.Now().Add(waitFor)))
	_, err = other.Read(make([]byte, 1))
	assert.ErrorIs(t, err, io.EOF)

	// The end user's actions reach the appliance.
	require.NoError(t, m.SetControl(1, true, "alice"))
	msg := recvType(t, c, agentproto.MsgSessionControl)
	assert.Equal(t, agentproto.SessionControl{Session: 1, Revoked: true, By: "alice"}, *msg.SessionControl)
	sendSession(t, c, agentproto.SessionInfo{ID: 2, Status: api.SessionPrompting, Mode: api.ModeConsent, Prompt: &agentproto.Prompt{Message: "?"}})
	eventually(t, func() bool { return len(m.Sessions()) == 2 }, "the prompt was not taken")
	require.NoError(t, m.Answer(2, false, "alice"))
	msg = recvType(t, c, agentproto.MsgPromptAnswer)
	assert.Equal(t, agentproto.PromptAnswer{Session: 2, Accept: false, By: "alice"}, *msg.Answer)

	// A lost connection forgets the sessions; the appliance re-sends them.
	require.NoError(t, c.Close())
	eventually(t, func() bool { return len(m.Sessions()) == 0 }, "sessions outlived the connection")
	c = nextConn(t, a)
	recvType(t, c, agentproto.MsgReport)
	_, o = openSession(t, c, sessionproto.Open{Type: sessionproto.StreamSysInfo, Session: 1})
	assert.Equal(t, sessionproto.CodeNoSession, o.Code)

	cancel()
	require.NoError(t, wait())
	assert.Len(t, managers, 0, "OnManager is called once")
	assert.ErrorIs(t, m.Answer(2, true, "alice"), session.ErrNoSession)
	eventually(t, func() bool { return runtime.NumGoroutine() <= before }, "goroutines outlived Run")
}

func TestRun_SessionEndsWithTheConnection(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("watches the process in /proc")
	}
	a := conntest.New(t)
	dir, _ := install(t, a, enrolled(a, agentproto.Config{ConnectionType: "active"}))
	ctx, cancel := context.WithCancel(t.Context())
	wait := startRun(t, ctx, testConfig(t, dir))
	c := nextConn(t, a)
	recvType(t, c, agentproto.MsgReport)
	sendSession(t, c, agentproto.SessionInfo{ID: 3, Status: api.SessionActive, Permissions: api.SessionPermissions{Shell: true}})

	var st net.Conn
	var o sessionproto.Opened
	// The session message and the stream travel separately: retry until
	// the session is known.
	eventually(t, func() bool {
		st, o = openSession(t, c, sessionproto.Open{Type: sessionproto.StreamExec, Session: 3, Command: []string{"sh", "-c", "echo $$; exec sleep 1000"}})
		return o.OK
	}, "exec refused")
	fr := sessionproto.NewFrameReader(st)
	typ, b, err := fr.Next()
	require.NoError(t, err)
	require.Equal(t, sessionproto.FrameData, typ)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	require.NoError(t, err)
	require.True(t, running(pid), "the exec runs")

	require.NoError(t, c.Close())
	eventually(t, func() bool { return !running(pid) }, "the exec outlived the connection")
	nextConn(t, a)
	cancel()
	require.NoError(t, wait())
}

// running reports whether pid runs (a zombie does not).
func running(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(f) > 0 && f[0] != "Z"
}

// TestRun_JumpointServesTunnelsOnly drives a Jumpoint node directly, as a
// modified appliance would: it announces a session whose permissions grant
// everything and opens every kind of stream. The node refuses all but a
// tunnel to one of its items' targets, and nothing runs on it.
func TestRun_JumpointServesTunnelsOnly(t *testing.T) {
	target, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { target.Close() })
	go func() {
		for {
			c, err := target.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte("hello from the target"))
			c.Close()
		}
	}()
	port := target.Addr().(*net.TCPAddr).Port

	a := conntest.New(t)
	cfg := agentproto.Config{ConnectionType: "active", Tunnels: []agentproto.TunnelTarget{{Item: 7, Host: "127.0.0.1", Ports: []int{port}}}}
	a.SetConfig(cfg)
	dir, _ := install(t, a, func(st *state.State) {
		st.Kind = agentproto.KindJumpoint
		enrolled(a, cfg)(st)
	})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	wait := startRun(t, ctx, testConfig(t, dir))
	c := nextConn(t, a)
	recvType(t, c, agentproto.MsgReport)
	all := api.SessionPermissions{Shell: true, FileRead: true, FileWrite: true, Tunnel: true, SystemInfo: true}
	sendSession(t, c, agentproto.SessionInfo{ID: 9, Status: api.SessionActive, Mode: api.ModeUnattended, Permissions: all})

	marker := t.TempDir() + "/pwned"
	// The session message and the first stream travel separately: wait
	// until the tunnel goes through, which also proves the session is known.
	var st net.Conn
	var o sessionproto.Opened
	eventually(t, func() bool {
		st, o = openSession(t, c, sessionproto.Open{Type: sessionproto.StreamTunnel, Session: 9, Item: 7, Host: "127.0.0.1", Port: port})
		return o.OK
	}, "the tunnel to the item's own target was refused")
	got, err := io.ReadAll(st)
	require.NoError(t, err)
	assert.Equal(t, "hello from the target", string(got))

	for _, open := range []sessionproto.Open{
		{Type: sessionproto.StreamExec, Command: []string{"sh", "-c", "id > " + marker}},
		{Type: sessionproto.StreamShell},
		{Type: sessionproto.StreamFileGet, Path: dir + "/" + state.File},
		{Type: sessionproto.StreamFileList, Path: "/"},
		{Type: sessionproto.StreamFilePut, Path: marker, Size: 1, SHA256: strings.Repeat("0", 64)},
		{Type: sessionproto.StreamSysInfo},
	} {
		open.Session = 9
		_, o := openSession(t, c, open)
		assert.False(t, o.OK, "%s is refused by a jumpoint node", open.Type)
		assert.Equal(t, sessionproto.CodePermission, o.Code, "%s: %s", open.Type, o.Error)
		assert.Contains(t, o.Error, "tunnel streams", open.Type)
	}
	// Tunnels go only to the items' targets.
	for _, open := range []sessionproto.Open{
		{Type: sessionproto.StreamTunnel, Item: 7, Host: "127.0.0.1", Port: port + 1},
		{Type: sessionproto.StreamTunnel, Item: 7, Host: "localhost", Port: port},
		{Type: sessionproto.StreamTunnel, Item: 8, Host: "127.0.0.1", Port: port},
	} {
		open.Session = 9
		_, o := openSession(t, c, open)
		assert.Equal(t, sessionproto.CodeRefused, o.Code, "%+v: %s", open, o.Error)
	}
	_, err = os.Stat(marker)
	assert.True(t, os.IsNotExist(err), "nothing ran on the node")
	cancel()
	require.NoError(t, wait())
}
