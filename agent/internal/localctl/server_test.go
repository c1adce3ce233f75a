package localctl_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/agent/internal/localctl"
	"github.com/jumpgate/jumpgate/agent/internal/localctl/localctltest"
	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
)

func skipWindows(t *testing.T) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("no control socket on Windows")
	}
}

// sessions are a prompting and an active session.
// fixtureTime is the clock of the sessions fixture, read once: a fixture
// built twice must be equal, even across a second boundary.
var fixtureTime = time.Now().UTC().Truncate(time.Second)

func sessions() []agentproto.SessionInfo {
	ends := fixtureTime.Add(30 * time.Minute)
	return []agentproto.SessionInfo{
		{ID: 7, Status: api.SessionPrompting, Mode: api.ModeConsent, Representative: "alice",
			Prompt: &agentproto.Prompt{ExpiresAt: fixtureTime.Add(time.Minute), OnTimeout: "deny", Message: "alice asks to connect"}},
		{ID: 9, Status: api.SessionActive, Mode: api.ModeUnattended, Representative: "bob", EndsAt: &ends, Recording: true},
	}
}

// serve starts a server in a temp dir with m and authorize; it stops when
// the test ends, and the test fails if Serve does not return.
func serve(t *testing.T, m localctl.Manager, authorize func(localctl.Peer) error) (*localctl.Server, string) {
	t.Helper()
	skipWindows(t)
	dir := t.TempDir()
	srv, err := localctl.Listen(localctl.Config{Dir: dir, Manager: m, Authorize: authorize})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err)
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return after its context ended")
		}
	})
	return srv, dir
}

func allowAll(localctl.Peer) error { return nil }

func TestServer_Requests(t *testing.T) {
	tests := []struct {
		name    string
		do      func(ctx context.Context, c *localctl.Client) error
		wantErr string
		call    *localctltest.Call
		check   func(t *testing.T, m *localctltest.Manager)
	}{
		{
			name: "accept",
			do:   func(ctx context.Context, c *localctl.Client) error { return c.Answer(ctx, 7, true) },
			call: &localctltest.Call{Op: "answer", Session: 7, Accept: true},
			check: func(t *testing.T, m *localctltest.Manager) {
				assert.Equal(t, api.SessionActive, m.Sessions()[0].Status)
			},
		},
		{
			name: "reject",
			do:   func(ctx context.Context, c *localctl.Client) error { return c.Answer(ctx, 7, false) },
			call: &localctltest.Call{Op: "answer", Session: 7, Accept: false},
			check: func(t *testing.T, m *localctltest.Manager) {
				assert.Len(t, m.Sessions(), 1, "the rejected session is gone")
			},
		},
		{
			name:    "answer of a session not prompting",
			do:      func(ctx context.Context, c *localctl.Client) error { return c.Answer(ctx, 9, true) },
			wantErr: "no session 9 is waiting for consent",
			call:    &localctltest.Call{Op: "answer", Session: 9, Accept: true},
		},
		{
			name: "revoke",
			do:   func(ctx context.Context, c *localctl.Client) error { _, err := c.SetControl(ctx, 9, true); return err },
			call: &localctltest.Call{Op: "control", Session: 9, Revoked: true},
			check: func(t *testing.T, m *localctltest.Manager) {
				assert.True(t, m.Sessions()[1].ControlRevoked)
			},
		},
		{
			name: "end with a reason",
			do: func(ctx context.Context, c *localctl.Client) error {
				_, err := c.End(ctx, 9, "done for today")
				return err
			},
			call: &localctltest.Call{Op: "end", Session: 9, Reason: "done for today"},
		},
		{
			name:    "revoke of a session not active",
			do:      func(ctx context.Context, c *localctl.Client) error { _, err := c.SetControl(ctx, 7, true); return err },
			wantErr: "no session 7 is active",
			call:    &localctltest.Call{Op: "control", Session: 7, Revoked: true},
		},
		{
			name:    "end of an unknown session",
			do:      func(ctx context.Context, c *localctl.Client) error { _, err := c.End(ctx, 12, ""); return err },
			wantErr: "no session 12",
			call:    &localctltest.Call{Op: "end", Session: 12},
		},
		{
			name:    "session id missing",
			do:      func(ctx context.Context, c *localctl.Client) error { _, err := c.End(ctx, 0, ""); return err },
			wantErr: "end needs a session id",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := localctltest.New(sessions()...)
			_, dir := serve(t, m, nil)
			err := tt.do(context.Background(), localctl.NewClient(dir))
			if tt.wantErr != "" {
				assert.EqualError(t, err, tt.wantErr)
			} else {
				assert.NoError(t, err)
			}
			calls := m.Calls()
			if tt.call == nil {
				assert.Empty(t, calls)
			} else if assert.Len(t, calls, 1) {
				// The socket's peer is this test process: root or the
				// agent's own user, which the default policy allows.
				assert.NotEmpty(t, calls[0].By, "the peer's user name is passed as by")
				calls[0].By = ""
				assert.Equal(t, *tt.call, calls[0])
			}
			if tt.check != nil {
				tt.check(t, m)
			}
		})
	}
}

// TestServer_Offline: a revoke or end the appliance cannot be told of
// holds here, so it answers ok with a warning; an answer it cannot deliver
// fails.
func TestServer_Offline(t *testing.T) {
	m := localctltest.New(sessions()...)
	m.SetOffline(errors.New("not connected to the appliance"))
	_, dir := serve(t, m, allowAll)
	c := localctl.NewClient(dir)
	const want = "the appliance could not be told: not connected to the appliance; it will be told when the agent reconnects"

	warning, err := c.SetControl(context.Background(), 9, true)
	assert.NoError(t, err)
	assert.Equal(t, want, warning)
	warning, err = c.End(context.Background(), 9, "")
	assert.NoError(t, err)
	assert.Equal(t, want, warning)
}

func TestServer_List(t *testing.T) {
	t.Run("sessions", func(t *testing.T) {
		_, dir := serve(t, localctltest.New(sessions()...), allowAll)
		got, err := localctl.NewClient(dir).List(context.Background())
		require.NoError(t, err)
		assert.Equal(t, sessions(), got)
	})
	t.Run("none is an empty list", func(t *testing.T) {
		_, dir := serve(t, localctltest.New(), allowAll)
		c := dial(t, localctl.SocketPath(dir))
		assert.JSONEq(t, `{"ok":true,"sessions":[]}`, c.roundTrip(t, `{"op":"list"}`))
	})
}

// rawConn is a raw connection to the socket, for lines the client never
// sends.
type rawConn struct {
	net.Conn
	r *bufio.Reader
}

func dial(t *testing.T, path string) *rawConn {
	t.Helper()
	c, err := net.Dial("unix", path)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.SetDeadline(time.Now().Add(10*time.Second)))
	return &rawConn{Conn: c, r: bufio.NewReader(c)}
}

func (c *rawConn) roundTrip(t *testing.T, line string) string {
	t.Helper()
	_, err := c.Write([]byte(line + "\n"))
	require.NoError(t, err)
	return c.readLine(t)
}

func (c *rawConn) readLine(t *testing.T) string {
	t.Helper()
	s, err := c.r.ReadString('\n')
	require.NoError(t, err)
	return strings.TrimSuffix(s, "\n")
}

func TestServer_MalformedKeepsServing(t *testing.T) {
	_, dir := serve(t, localctltest.New(sessions()...), allowAll)
	c := dial(t, localctl.SocketPath(dir))
	tests := []struct {
		name string
		line string
		want string
	}{
		{name: "not JSON", line: `hello`, want: `malformed request: invalid character`},
		{name: "no op", line: `{"session":7}`, want: `malformed request: no "op"`},
		{name: "unknown op", line: `{"op":"reboot"}`, want: `unknown op "reboot" (want list, answer, control, end or watch)`},
		{name: "wrong type", line: `{"op":"answer","session":"seven"}`, want: `malformed request: json: cannot unmarshal`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var resp localctl.Response
			require.NoError(t, json.Unmarshal([]byte(c.roundTrip(t, tt.line)), &resp))
			assert.False(t, resp.OK)
			assert.Contains(t, resp.Error, tt.want)
		})
	}
	t.Run("the same connection still answers", func(t *testing.T) {
		var resp localctl.Response
		require.NoError(t, json.Unmarshal([]byte(c.roundTrip(t, `{"op":"list"}`)), &resp))
		assert.True(t, resp.OK)
		assert.Len(t, resp.Sessions, 2)
	})
	t.Run("a line too long is refused and the connection closed", func(t *testing.T) {
		c := dial(t, localctl.SocketPath(dir))
		line := `{"op":"list","reason":"` + strings.Repeat("x", localctl.MaxLine) + `"}`
		assert.Contains(t, c.roundTrip(t, line), "request longer than")
		_, err := c.r.ReadString('\n')
		assert.Error(t, err, "closed")
	})
}

func TestServer_Watch(t *testing.T) {
	m := localctltest.New(sessions()...)
	_, dir := serve(t, m, allowAll)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var mu sync.Mutex
	var seen []agentproto.SessionInfo
	got := func() []agentproto.SessionInfo {
		mu.Lock()
		defer mu.Unlock()
		return append([]agentproto.SessionInfo(nil), seen...)
	}
	done := make(chan error, 1)
	go func() {
		done <- localctl.NewClient(dir).Watch(ctx, func(s agentproto.SessionInfo) error {
			mu.Lock()
			seen = append(seen, s)
			mu.Unlock()
			return nil
		})
	}()
	eventually(t, "the current sessions", func() bool { return len(got()) == 2 })
	assert.Equal(t, sessions(), got())
	eventually(t, "the subscription", func() bool { return m.Subscribers() == 1 })

	require.NoError(t, m.SetControl(9, true, "test"))
	m.Put(agentproto.SessionInfo{ID: 7, Status: api.SessionEnded, EndReason: api.RefusedConsentTimedOut})
	eventually(t, "the changes", func() bool { return len(got()) == 4 })
	assert.True(t, got()[2].ControlRevoked)
	assert.Equal(t, api.SessionEnded, got()[3].Status)

	cancel()
	select {
	case err := <-done:
		assert.ErrorIs(t, err, context.Canceled)
	case <-time.After(10 * time.Second):
		t.Fatal("Watch did not return when its context ended")
	}
	eventually(t, "the server drops the subscription when the client hangs up", func() bool { return m.Subscribers() == 0 })
}

func TestServer_WatchEndsWhenTheServerStops(t *testing.T) {
	skipWindows(t)
	m := localctltest.New()
	dir := t.TempDir()
	srv, err := localctl.Listen(localctl.Config{Dir: dir, Manager: m, Authorize: allowAll})
	require.NoError(t, err)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(context.Background()) }()

	watched := make(chan error, 1)
	go func() {
		watched <- localctl.NewClient(dir).Watch(context.Background(), func(agentproto.SessionInfo) error { return nil })
	}()
	eventually(t, "the subscription", func() bool { return m.Subscribers() == 1 })
	require.NoError(t, srv.Close())
	for _, ch := range []chan error{served, watched} {
		select {
		case err := <-ch:
			if ch == served {
				assert.NoError(t, err)
			} else {
				assert.ErrorContains(t, err, "the agent closed the connection")
			}
		case <-time.After(10 * time.Second):
			t.Fatal("not stopped")
		}
	}
	assert.Zero(t, m.Subscribers())
	_, err = os.Lstat(localctl.SocketPath(dir))
	assert.ErrorIs(t, err, os.ErrNotExist, "the socket is removed")
}

func TestServer_RefusedPeer(t *testing.T) {
	m := localctltest.New(sessions()...)
	var peers []localctl.Peer
	var mu sync.Mutex
	_, dir := serve(t, m, func(p localctl.Peer) error {
		mu.Lock()
		peers = append(peers, p)
		mu.Unlock()
		return errors.New("user mallory (uid 1234) may not control the agent's sessions")
	})
	c := localctl.NewClient(dir)
	tests := []struct {
		name string
		do   func() error
	}{
		{name: "list", do: func() error { _, err := c.List(context.Background()); return err }},
		{name: "answer", do: func() error { return c.Answer(context.Background(), 7, true) }},
		{name: "watch", do: func() error {
			return c.Watch(context.Background(), func(agentproto.SessionInfo) error { return nil })
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.EqualError(t, tt.do(), "user mallory (uid 1234) may not control the agent's sessions")
		})
	}
	assert.Empty(t, m.Calls(), "nothing reached the manager")
	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, peers)
	if runtime.GOOS == "linux" || runtime.GOOS == "darwin" {
		assert.Equal(t, os.Geteuid(), peers[0].UID, "the peer's uid comes from the kernel")
	}
}

// TestServer_ReauthorizesEveryRequest: a peer allowed when it connected
// (alice at the seat) who is no longer allowed (she left it, someone else
// sat down) cannot act on the connection she kept open, and her watch is
// cut.
func TestServer_ReauthorizesEveryRequest(t *testing.T) {
	m := localctltest.New(sessions()...)
	var allowed atomic.Bool
	allowed.Store(true)
	_, dir := serve(t, m, func(localctl.Peer) error {
		if allowed.Load() {
			return nil
		}
		return errors.New("user alice (uid 1000) may not control the agent's sessions: only root and the user logged in at this machine's screen and keyboard (its active seat) may")
	})
	path := localctl.SocketPath(dir)

	t.Run("a request", func(t *testing.T) {
		allowed.Store(true)
		c := dial(t, path)
		assert.Contains(t, c.roundTrip(t, `{"op":"list"}`), `"ok":true`)
		allowed.Store(false)
		assert.Contains(t, c.roundTrip(t, `{"op":"answer","session":7,"accept":true}`), "may not control the agent's sessions")
		_, err := c.r.ReadString('\n')
		assert.Error(t, err, "the connection is closed")
		assert.Empty(t, m.Calls(), "nothing reached the manager")
	})
	t.Run("a watch", func(t *testing.T) {
		allowed.Store(true)
		c := dial(t, path)
		require.NoError(t, c.SetDeadline(time.Now().Add(30*time.Second)))
		_, err := c.Write([]byte(`{"op":"watch"}` + "\n"))
		require.NoError(t, err)
		c.readLine(t)
		c.readLine(t)
		eventually(t, "the subscription", func() bool { return m.Subscribers() == 1 })
		allowed.Store(false)
		// Nothing changes: the periodic check cuts the watcher by itself.
		assert.Contains(t, c.readLine(t), "may not control the agent's sessions")
		_, err = c.r.ReadString('\n')
		assert.Error(t, err, "the connection is closed")
		eventually(t, "the subscription ends", func() bool { return m.Subscribers() == 0 })
	})
}

func TestListen_SocketAndDirModes(t *testing.T) {
	_, dir := serve(t, localctltest.New(), allowAll)
	// A root agent's socket is 0600 too, with an ACL naming the end users
	// (nobody holds a seat on the test machine).
	want := os.FileMode(0o600)
	if os.Geteuid() == 0 && runtime.GOOS == "darwin" {
		want = 0o666
	}
	fi, err := os.Lstat(localctl.SocketPath(dir))
	require.NoError(t, err)
	assert.Equal(t, os.ModeSocket, fi.Mode().Type())
	assert.Equal(t, want, fi.Mode().Perm())
	fi, err = os.Stat(filepath.Join(dir, localctl.RunDir))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o755), fi.Mode().Perm())
}

func TestListen_ExistingSocket(t *testing.T) {
	skipWindows(t)
	tests := []struct {
		name    string
		prepare func(t *testing.T, path string)
		wantErr string
	}{
		{
			name: "a stale socket is removed",
			prepare: func(t *testing.T, path string) {
				ln, err := net.Listen("unix", path)
				require.NoError(t, err)
				// An agent that died leaves its socket behind.
				ln.(*net.UnixListener).SetUnlinkOnClose(false)
				require.NoError(t, ln.Close())
			},
		},
		{
			name: "a live socket belongs to another agent",
			prepare: func(t *testing.T, path string) {
				ln, err := net.Listen("unix", path)
				require.NoError(t, err)
				t.Cleanup(func() { ln.Close() })
			},
			wantErr: "another process serves the control socket",
		},
		{
			name: "a file that is not a socket is left alone",
			prepare: func(t *testing.T, path string) {
				require.NoError(t, os.WriteFile(path, []byte("x"), 0o600))
			},
			wantErr: "exists and is not a socket",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := localctl.SocketPath(dir)
			require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
			tt.prepare(t, path)
			srv, err := localctl.Listen(localctl.Config{Dir: dir, Manager: localctltest.New(), Authorize: allowAll})
			if tt.wantErr != "" {
				assert.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			go func() { _ = srv.Serve(context.Background()) }()
			defer srv.Close()
			_, err = localctl.NewClient(dir).List(context.Background())
			assert.NoError(t, err)
		})
	}
}

func TestListen_PathTooLong(t *testing.T) {
	skipWindows(t)
	dir := filepath.Join(t.TempDir(), strings.Repeat("d", 120))
	_, err := localctl.Listen(localctl.Config{Dir: dir, Manager: localctltest.New()})
	assert.ErrorContains(t, err, "install the agent in a shorter directory")
}

func TestClient_NotRunning(t *testing.T) {
	skipWindows(t)
	dir := t.TempDir()
	c := localctl.NewClient(dir)
	_, err := c.List(context.Background())
	assert.ErrorIs(t, err, localctl.ErrNotRunning)
	assert.ErrorContains(t, err, localctl.SocketPath(dir))

	// A socket nobody listens on any more is "not running" too.
	require.NoError(t, os.MkdirAll(filepath.Join(dir, localctl.RunDir), 0o755))
	ln, err := net.Listen("unix", localctl.SocketPath(dir))
	require.NoError(t, err)
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	require.NoError(t, ln.Close())
	_, err = c.List(context.Background())
	assert.ErrorIs(t, err, localctl.ErrNotRunning)
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
