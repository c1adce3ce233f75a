package join_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/agent/internal/conn/conntest"
	"github.com/jumpgate/jumpgate/agent/internal/join"
	"github.com/jumpgate/jumpgate/agent/internal/localctl/localctltest"
	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/api/sessionproto"
)

// manager is a session manager for the client's tests: localctltest's
// table, which tells the appliance about ends, and refuses every stream.
type manager struct {
	*localctltest.Manager
	send func(agentproto.Control) error

	mu     sync.Mutex
	closed bool
}

func (m *manager) Update(info agentproto.SessionInfo) { m.Put(info) }

func (m *manager) Serve(_ context.Context, st net.Conn, open *sessionproto.Open) {
	defer st.Close()
	_ = sessionproto.WriteLine(st, sessionproto.Refuse(sessionproto.CodePermission, "test manager refuses %s", open.Type))
}

func (m *manager) End(id int64, by, reason string) error {
	if err := m.Manager.End(id, by, reason); err != nil {
		return err
	}
	return m.send(agentproto.Control{Type: agentproto.MsgSessionControl, SessionControl: &agentproto.SessionControl{Session: id, End: true, By: by, Reason: reason}})
}

func (m *manager) Close() {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
}

// syncBuffer is the terminal's output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
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

func config(a *conntest.Appliance, mgr **manager) join.Config {
	return join.Config{
		URL: a.URL, CAPin: a.CAPin, Proxy: "direct", Code: "482913", Name: "Carol",
		Facts: func() agentproto.Facts { return agentproto.Facts{Hostname: "carols-laptop"} },
		NewManager: func(send func(agentproto.Control) error) join.Manager {
			m := &manager{Manager: localctltest.New(), send: send}
			if mgr != nil {
				*mgr = m
			}
			return m
		},
	}
}

func TestRun_Refused(t *testing.T) {
	tests := []struct {
		name    string
		refused *agentproto.Refused // nil: conntest's default for customers
		wantIs  error
		wantErr string
	}{
		{name: "code invalid", wantIs: join.ErrCodeInvalid,
			wantErr: "the access code is not valid: it is unknown, was already used, or expired (codes are valid for 5 minutes and once)"},
		{name: "another refusal", refused: &agentproto.Refused{Code: agentproto.RefusedBusy, Message: "too many", RetryAfterSeconds: 5},
			wantErr: "the appliance refused to join: the appliance refused the connection (busy): too many; retry after 5s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := conntest.New(t)
			if tt.refused != nil {
				a.OnAuth(func(agentproto.Auth) agentproto.HandshakeReply { return agentproto.HandshakeReply{Refused: tt.refused} })
			}
			err := join.Run(context.Background(), config(a, nil))
			if tt.wantIs != nil {
				assert.ErrorIs(t, err, tt.wantIs)
			}
			assert.EqualError(t, err, tt.wantErr)
			auths := a.Auths()
			require.Len(t, auths, 1)
			assert.Equal(t, agentproto.Auth{
				Kind: agentproto.KindCustomer, Intent: agentproto.IntentJoin, Code: "482913", Name: "Carol",
				Version: api.Version, Facts: agentproto.Facts{Hostname: "carols-laptop"},
			}, auths[0])
		})
	}
}

func TestConfig_Validate(t *testing.T) {
	valid := func() join.Config {
		return join.Config{URL: "https://jg.example.com", Code: "1", Name: "Carol",
			NewManager: func(func(agentproto.Control) error) join.Manager { return nil }}
	}
	tests := []struct {
		name    string
		edit    func(c *join.Config)
		wantErr string
	}{
		{name: "valid", edit: func(*join.Config) {}},
		{name: "no url", edit: func(c *join.Config) { c.URL = "" }, wantErr: "--url is required"},
		{name: "http url", edit: func(c *join.Config) { c.URL = "http://jg.example.com" }, wantErr: `--url "http://jg.example.com": want https://host[:port]`},
		{name: "no code", edit: func(c *join.Config) { c.Code = " " }, wantErr: "the access code is required"},
		{name: "no name", edit: func(c *join.Config) { c.Name = "" }, wantErr: "--name is required"},
		{name: "pin and cert", edit: func(c *join.Config) { c.CAPin, c.CACert = "sha256:00", []byte("x") }, wantErr: "give --ca-pin or --ca-cert, not both"},
		{name: "bad pin", edit: func(c *join.Config) { c.CAPin = "md5:00" }, wantErr: `--ca-pin "md5:00": want sha256:<hex>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			tt.edit(&c)
			err := c.Validate()
			if tt.wantErr == "" {
				assert.NoError(t, err)
			} else {
				assert.EqualError(t, err, tt.wantErr)
			}
		})
	}
	t.Run("a CA file without a certificate", func(t *testing.T) {
		c := valid()
		c.CACert = []byte("not PEM")
		assert.EqualError(t, join.Run(context.Background(), c), "--ca-cert holds no PEM certificate")
	})
}

// session is the session the fake appliance welcomes the client into.
func session() *agentproto.SessionInfo {
	ends := time.Now().Add(30*time.Minute + 30*time.Second)
	return &agentproto.SessionInfo{
		ID: 5, Status: api.SessionActive, Mode: api.ModeAccessCode, Representative: "alice",
		Permissions: api.SessionPermissions{Shell: true, FileRead: true}, Recording: true, EndsAt: &ends,
	}
}

// joined runs the client against a fake appliance that welcomes it into
// session(); it returns the appliance's side of the connection, the
// client's terminal and the channel Run's result arrives on.
func joined(t *testing.T, ctx context.Context, mgr **manager) (*conntest.AgentConn, *syncBuffer, io.Writer, <-chan error) {
	t.Helper()
	a := conntest.New(t)
	a.OnAuth(func(agentproto.Auth) agentproto.HandshakeReply {
		return agentproto.HandshakeReply{Welcome: &agentproto.Welcome{Session: session()}}
	})
	cfg := config(a, mgr)
	in, typed := io.Pipe()
	t.Cleanup(func() { typed.Close() })
	out := &syncBuffer{}
	cfg.In, cfg.Out = in, out
	done := make(chan error, 1)
	go func() { done <- join.Run(ctx, cfg) }()
	var ac *conntest.AgentConn
	select {
	case ac = <-a.Conns:
	case <-time.After(10 * time.Second):
		t.Fatal("the client did not connect")
	}
	eventually(t, "the welcome", func() bool { return strings.Contains(out.String(), "Type r + Enter") })
	return ac, out, typed, done
}

func result(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
		return nil
	}
}

func TestRun_Session(t *testing.T) {
	var mgr *manager
	ac, out, typed, done := joined(t, context.Background(), &mgr)
	for _, want := range []string{
		`as "Carol".`,
		"Session 5 with alice (access code)",
		"Recording: on (shell sessions are recorded)",
		"Allowed:   shell, read files",
		"Time left: 30m",
	} {
		assert.Contains(t, out.String(), want)
	}

	t.Run("the appliance's changes are printed", func(t *testing.T) {
		s := session()
		s.ControlRevoked, s.Message = true, "the session ends in 5 minutes"
		require.NoError(t, ac.Control.Send(agentproto.Control{Type: agentproto.MsgSession, Session: s}))
		eventually(t, "the change", func() bool { return strings.Contains(out.String(), "Notice: the session ends in 5 minutes") })
		assert.Contains(t, out.String(), "Control revoked: alice can no longer act on this computer")
		assert.Contains(t, out.String(), "alice · control revoked · recording on · time left")
	})

	t.Run("g gives control back", func(t *testing.T) {
		_, err := typed.Write([]byte("g\n"))
		require.NoError(t, err)
		eventually(t, "the change", func() bool { return strings.Contains(out.String(), "Control given back to alice.") })
		calls := mgr.Calls()
		require.NotEmpty(t, calls)
		assert.Equal(t, localctltest.Call{Op: "control", Session: 5, Revoked: false, By: "Carol"}, calls[len(calls)-1])
	})

	t.Run("unknown commands and help", func(t *testing.T) {
		_, err := typed.Write([]byte("x\n?\n"))
		require.NoError(t, err)
		eventually(t, "the answer", func() bool { return strings.Contains(out.String(), `Unknown command "x". Type ? for help.`) })
		eventually(t, "the help", func() bool { return strings.Count(out.String(), "Type r + Enter") == 2 })
	})

	t.Run("session streams go to the manager", func(t *testing.T) {
		st, err := ac.Mux.OpenStream()
		require.NoError(t, err)
		defer st.Close()
		require.NoError(t, agentproto.WriteStreamHeader(st, agentproto.StreamHeader{Type: agentproto.StreamSession,
			Open: &sessionproto.Open{Type: sessionproto.StreamSysInfo, Session: 5}}))
		var opened sessionproto.Opened
		require.NoError(t, sessionproto.ReadLine(st, &opened))
		assert.Equal(t, "test manager refuses sysinfo", opened.Error)
	})

	t.Run("the end from the appliance ends Run with success", func(t *testing.T) {
		s := session()
		s.Status, s.EndReason = api.SessionEnded, api.EndUser
		require.NoError(t, ac.Control.Send(agentproto.Control{Type: agentproto.MsgSession, Session: s}))
		eventually(t, "the end", func() bool { return strings.Contains(out.String(), "The session ended: the representative ended it.") })
		ac.Close()
		assert.NoError(t, result(t, done))
		mgr.mu.Lock()
		defer mgr.mu.Unlock()
		assert.True(t, mgr.closed)
	})
}

func TestRun_EndedByTheCustomer(t *testing.T) {
	tests := []struct {
		name   string
		end    func(cancel context.CancelFunc, typed io.Writer)
		reason string
	}{
		{name: "e", end: func(_ context.CancelFunc, typed io.Writer) { _, _ = typed.Write([]byte("e\n")) }, reason: "ended by the customer"},
		{name: "interrupt", end: func(cancel context.CancelFunc, _ io.Writer) { cancel() }, reason: "the customer closed the client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			ac, out, typed, done := joined(t, ctx, nil)
			tt.end(cancel, typed)
			// The appliance hears of the end before the connection closes.
			msg, err := ac.Control.Recv()
			require.NoError(t, err)
			assert.Equal(t, agentproto.MsgSessionControl, msg.Type)
			require.NotNil(t, msg.SessionControl)
			assert.Equal(t, agentproto.SessionControl{Session: 5, End: true, By: "Carol", Reason: tt.reason}, *msg.SessionControl)
			ac.Close()
			assert.NoError(t, result(t, done))
			assert.Contains(t, out.String(), "The session ended: ended on this computer")
		})
	}
}

func TestRun_ConnectionLost(t *testing.T) {
	ac, out, _, done := joined(t, context.Background(), nil)
	ac.Close()
	err := result(t, done)
	assert.True(t, errors.Is(err, join.ErrConnectionLost), "%v", err)
	assert.Contains(t, out.String(), "Lost the connection to the appliance.")
}

// TestRun_StatusEveryRefresh prints the time left while nothing happens.
func TestRun_StatusEveryRefresh(t *testing.T) {
	a := conntest.New(t)
	a.OnAuth(func(agentproto.Auth) agentproto.HandshakeReply {
		return agentproto.HandshakeReply{Welcome: &agentproto.Welcome{Session: session()}}
	})
	cfg := config(a, nil)
	out := &syncBuffer{}
	cfg.Out, cfg.Refresh = out, 20*time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- join.Run(ctx, cfg) }()
	eventually(t, "two status lines", func() bool { return strings.Count(out.String(), "· time left 30m") >= 2 })
	cancel()
	assert.NoError(t, result(t, done))
	assert.NotContains(t, out.String(), "Lost the connection")
}
