package conn_test

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/agent/internal/conn"
	"github.com/jumpgate/jumpgate/agent/internal/conn/conntest"
	"github.com/jumpgate/jumpgate/api/agentproto"
)

func newKey(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	return k
}

func auth(id int64, intent string) agentproto.Auth {
	return agentproto.Auth{Kind: agentproto.KindJumpClient, ID: id, Intent: intent, Version: "test", Facts: agentproto.Facts{Hostname: "h1"}}
}

// recvConn waits for the appliance side of a welcomed connection.
func recvConn(t *testing.T, a *conntest.Appliance) *conntest.AgentConn {
	t.Helper()
	select {
	case c := <-a.Conns:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("the appliance saw no connection")
		return nil
	}
}

func TestConnect_HandshakeAndControl(t *testing.T) {
	a := conntest.New(t)
	key := newKey(t)
	id := a.Register(key.Public().(ed25519.PublicKey))
	cfg := agentproto.Config{Name: "n1", ConnectionType: "active", StatisticsIntervalSeconds: 30}
	a.SetConfig(cfg)

	s, err := a.Dialer().Connect(t.Context(), key, auth(id, agentproto.IntentRun))
	require.NoError(t, err)
	defer s.Close()
	assert.Equal(t, cfg, s.Welcome.Config)

	srv := recvConn(t, a)
	assert.Equal(t, id, srv.Auth.ID)
	assert.Equal(t, agentproto.IntentRun, srv.Auth.Intent)
	assert.Equal(t, "h1", srv.Auth.Facts.Hostname)

	// agent → appliance
	cpu := 12.5
	require.NoError(t, s.Control.Send(agentproto.Control{Type: agentproto.MsgReport, Report: &agentproto.Report{
		Stats: agentproto.Stats{CPUPercent: &cpu}, ConsoleUser: "alice",
	}}))
	m, err := srv.Control.Recv()
	require.NoError(t, err)
	require.Equal(t, agentproto.MsgReport, m.Type)
	require.NotNil(t, m.Report)
	assert.Equal(t, "alice", m.Report.ConsoleUser)
	assert.InDelta(t, 12.5, *m.Report.Stats.CPUPercent, 0)

	// appliance → agent
	require.NoError(t, srv.Control.Send(agentproto.Control{Type: agentproto.MsgUninstall, Reason: "deleted"}))
	m, err = s.Control.Recv()
	require.NoError(t, err)
	assert.Equal(t, agentproto.MsgUninstall, m.Type)
	assert.Equal(t, "deleted", m.Reason)

	// A stream the appliance opens arrives with its header.
	go func() {
		st, err := srv.Mux.OpenStream()
		if err != nil {
			return
		}
		_, _ = st.Write([]byte(`{"type":"shell"}` + "\nhello"))
	}()
	st, h, err := s.AcceptStream()
	require.NoError(t, err)
	assert.Equal(t, "shell", h.Type)
	b := make([]byte, 5)
	_, err = io.ReadFull(st, b)
	require.NoError(t, err)
	assert.Equal(t, "hello", string(b))

	// Closing the session ends the appliance's side too.
	require.NoError(t, s.Close())
	_, err = srv.Control.Recv()
	assert.Error(t, err)
}

func TestConnect_BuildStream(t *testing.T) {
	a := conntest.New(t)
	key := newKey(t)
	id := a.Register(key.Public().(ed25519.PublicKey))
	build := []byte(strings.Repeat("agent-build ", 50000))
	a.SetBuild("linux-amd64", build)

	s, err := a.Dialer().Connect(t.Context(), key, auth(id, agentproto.IntentRun))
	require.NoError(t, err)
	defer s.Close()
	st, err := s.OpenStream(agentproto.StreamHeader{Type: agentproto.StreamBuild, Platform: "linux-amd64"})
	require.NoError(t, err)
	got, err := io.ReadAll(st)
	require.NoError(t, err)
	assert.Equal(t, build, got)
}

func TestConnect_Refused(t *testing.T) {
	tests := []struct {
		name      string
		register  bool
		reply     *agentproto.Refused
		wantCode  string
		wantRetry int
	}{
		{name: "unknown id is deleted", register: false, wantCode: agentproto.RefusedDeleted},
		{name: "uninstall restricted", register: true, reply: &agentproto.Refused{Code: agentproto.RefusedUninstallRestricted, Message: "no"}, wantCode: agentproto.RefusedUninstallRestricted},
		{name: "disabled with retry", register: true, reply: &agentproto.Refused{Code: agentproto.RefusedDisabled, RetryAfterSeconds: 7}, wantCode: agentproto.RefusedDisabled, wantRetry: 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := conntest.New(t)
			key := newKey(t)
			id := int64(999)
			if tt.register {
				id = a.Register(key.Public().(ed25519.PublicKey))
			}
			if tt.reply != nil {
				a.OnAuth(func(agentproto.Auth) agentproto.HandshakeReply { return agentproto.HandshakeReply{Refused: tt.reply} })
			}
			_, err := a.Dialer().Connect(t.Context(), key, auth(id, agentproto.IntentUninstall))
			var re *conn.RefusedError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, tt.wantCode, re.Refused.Code)
			assert.Equal(t, tt.wantRetry, re.Refused.RetryAfterSeconds)
			assert.Contains(t, err.Error(), tt.wantCode)
			assert.NotErrorIs(t, err, conn.ErrUnreachable)
		})
	}
}

func TestConnect_BadSignatureIsUnauthorized(t *testing.T) {
	a := conntest.New(t)
	id := a.Register(newKey(t).Public().(ed25519.PublicKey))
	_, err := a.Dialer().Connect(t.Context(), newKey(t), auth(id, agentproto.IntentRun))
	var re *conn.RefusedError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, agentproto.RefusedUnauthorized, re.Refused.Code)
}

func TestConnect_BusyBeforeUpgrade(t *testing.T) {
	a := conntest.New(t)
	key := newKey(t)
	id := a.Register(key.Public().(ed25519.PublicKey))
	a.SetBusy(42)
	_, err := a.Dialer().Connect(t.Context(), key, auth(id, agentproto.IntentRun))
	var re *conn.RefusedError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, agentproto.RefusedBusy, re.Refused.Code)
	assert.Equal(t, 42*time.Second, re.RetryAfter())
	assert.GreaterOrEqual(t, conn.Backoff{}.Delay(0, err), 42*time.Second)
}

func TestConnect_WrongPinFailsTLS(t *testing.T) {
	a := conntest.New(t)
	key := newKey(t)
	id := a.Register(key.Public().(ed25519.PublicKey))
	d := &conn.Dialer{URL: a.URL, CAPin: agentproto.Pin([]byte("some other CA")), Proxy: "direct"}
	_, err := d.Connect(t.Context(), key, auth(id, agentproto.IntentRun))
	require.Error(t, err)
	assert.ErrorIs(t, err, conn.ErrUnreachable)
	assert.Contains(t, err.Error(), "pinned CA")
	assert.Empty(t, a.Auths(), "no auth may be sent to an unpinned server")
}

func TestConnect_Unreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	l.Close()
	d := &conn.Dialer{URL: "https://" + addr, CAPin: "sha256:00", Proxy: "direct"}
	_, err = d.Connect(t.Context(), newKey(t), auth(1, agentproto.IntentRun))
	assert.ErrorIs(t, err, conn.ErrUnreachable)
	assert.Contains(t, err.Error(), "cannot reach the appliance at https://"+addr)
}

func TestConnect_Proxies(t *testing.T) {
	tests := []struct {
		name  string
		proxy func(t *testing.T, used *atomic.Int32) string
	}{
		{name: "http CONNECT with basic auth", proxy: func(t *testing.T, used *atomic.Int32) string {
			return "http://u1:p%40ss@" + startConnectProxy(t, used, "u1", "p@ss")
		}},
		{name: "socks5 without auth", proxy: func(t *testing.T, used *atomic.Int32) string {
			return "socks5://" + startSOCKS5(t, used)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := conntest.New(t)
			key := newKey(t)
			id := a.Register(key.Public().(ed25519.PublicKey))
			var used atomic.Int32
			d := &conn.Dialer{URL: a.URL, CAPin: a.CAPin, Proxy: tt.proxy(t, &used)}
			s, err := d.Connect(t.Context(), key, auth(id, agentproto.IntentRun))
			require.NoError(t, err)
			defer s.Close()
			srv := recvConn(t, a)
			require.NoError(t, s.Control.Send(agentproto.Control{Type: agentproto.MsgReport, Report: &agentproto.Report{}}))
			m, err := srv.Control.Recv()
			require.NoError(t, err)
			assert.Equal(t, agentproto.MsgReport, m.Type)
			assert.Equal(t, int32(1), used.Load())
		})
	}
}

func TestDialer_BadProxyFailsClearly(t *testing.T) {
	tests := []struct{ proxy, want string }{
		{"ftp://proxy:21", "scheme must be"},
		{"http://", "names no host"},
		{"http://u:secret@proxy:3128/path", "want scheme://"},
	}
	for _, tt := range tests {
		t.Run(tt.proxy, func(t *testing.T) {
			d := &conn.Dialer{URL: "https://127.0.0.1:1", CAPin: "sha256:00", Proxy: tt.proxy}
			_, err := d.Connect(t.Context(), newKey(t), auth(1, agentproto.IntentRun))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), "secret")
		})
	}
}

func TestControl_RecvBoundsLineLength(t *testing.T) {
	c1, c2 := net.Pipe()
	defer c1.Close()
	defer c2.Close()
	go func() {
		_, _ = c2.Write([]byte(`{"type":"config","config":{"name":"` + strings.Repeat("x", 2000) + `"}}` + "\n"))
		_, _ = c2.Write([]byte(`{"type":"wake","reason":"` + strings.Repeat("y", conn.MaxControlLine) + `"}` + "\n"))
	}()
	ctl := conn.NewControl(c1)
	m, err := ctl.Recv()
	require.NoError(t, err)
	assert.Len(t, m.Config.Name, 2000)
	_, err = ctl.Recv()
	assert.ErrorContains(t, err, "longer than")
}

func TestBackoff(t *testing.T) {
	b := conn.Backoff{Min: time.Second, Max: 8 * time.Second}
	for attempt := range 10 {
		ceil := min(time.Second<<attempt, 8*time.Second)
		for range 50 {
			d := b.Next(attempt)
			assert.GreaterOrEqual(t, d, 100*time.Millisecond)
			assert.LessOrEqual(t, d, ceil)
		}
	}
	assert.LessOrEqual(t, conn.Backoff{}.Next(1000), conn.DefaultBackoffMax)
	refused := fmt.Errorf("wrapped: %w", &conn.RefusedError{Refused: agentproto.Refused{Code: agentproto.RefusedBusy, RetryAfterSeconds: 300}})
	assert.Equal(t, 300*time.Second, b.Delay(0, refused))
	assert.LessOrEqual(t, b.Delay(0, errors.New("other")), time.Second)
}

// startConnectProxy runs an HTTP CONNECT proxy requiring basic auth.
func startConnectProxy(t *testing.T, used *atomic.Int32, user, pass string) string {
	t.Helper()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := parseProxyAuth(r.Header.Get("Proxy-Authorization"))
		if r.Method != http.MethodConnect || !ok || u != user || p != pass {
			http.Error(w, "proxy auth", http.StatusProxyAuthRequired)
			return
		}
		target, err := net.Dial("tcp", r.Host)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		used.Add(1)
		client, brw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			target.Close()
			return
		}
		_, _ = client.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n"))
		splice(client, brw.Reader, target)
	})}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { srv.Close() })
	return l.Addr().String()
}

func parseProxyAuth(h string) (string, string, bool) {
	r := &http.Request{Header: http.Header{"Authorization": {h}}}
	return r.BasicAuth()
}

// startSOCKS5 runs a no-auth SOCKS5 server supporting CONNECT.
func startSOCKS5(t *testing.T, used *atomic.Int32) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				br := bufio.NewReader(c)
				target, err := socks5Handshake(br, c)
				if err != nil {
					c.Close()
					return
				}
				used.Add(1)
				splice(c, br, target)
			}()
		}
	}()
	return l.Addr().String()
}

func socks5Handshake(br *bufio.Reader, w io.Writer) (net.Conn, error) {
	head := make([]byte, 2)
	if _, err := io.ReadFull(br, head); err != nil || head[0] != 5 {
		return nil, errors.New("not socks5")
	}
	methods := make([]byte, head[1])
	if _, err := io.ReadFull(br, methods); err != nil {
		return nil, err
	}
	if _, err := w.Write([]byte{5, 0}); err != nil {
		return nil, err
	}
	req := make([]byte, 4)
	if _, err := io.ReadFull(br, req); err != nil || req[1] != 1 {
		return nil, errors.New("not connect")
	}
	var host string
	switch req[3] {
	case 1:
		ip := make([]byte, 4)
		if _, err := io.ReadFull(br, ip); err != nil {
			return nil, err
		}
		host = net.IP(ip).String()
	case 3:
		n, err := br.ReadByte()
		if err != nil {
			return nil, err
		}
		name := make([]byte, n)
		if _, err := io.ReadFull(br, name); err != nil {
			return nil, err
		}
		host = string(name)
	case 4:
		ip := make([]byte, 16)
		if _, err := io.ReadFull(br, ip); err != nil {
			return nil, err
		}
		host = net.IP(ip).String()
	default:
		return nil, errors.New("bad address type")
	}
	var port uint16
	if err := binary.Read(br, binary.BigEndian, &port); err != nil {
		return nil, err
	}
	target, err := net.Dial("tcp", net.JoinHostPort(host, strconv.Itoa(int(port))))
	if err != nil {
		_, _ = w.Write([]byte{5, 5, 0, 1, 0, 0, 0, 0, 0, 0})
		return nil, err
	}
	if _, err := w.Write([]byte{5, 0, 0, 1, 0, 0, 0, 0, 0, 0}); err != nil {
		target.Close()
		return nil, err
	}
	return target, nil
}

// splice copies both ways until either side closes.
func splice(client net.Conn, clientR io.Reader, target net.Conn) {
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(target, clientR); done <- struct{}{} }()
	go func() { _, _ = io.Copy(client, target); done <- struct{}{} }()
	<-done
	client.Close()
	target.Close()
}

func TestConnect_ContextEndsSession(t *testing.T) {
	a := conntest.New(t)
	key := newKey(t)
	id := a.Register(key.Public().(ed25519.PublicKey))
	ctx, cancel := context.WithCancel(t.Context())
	s, err := a.Dialer().Connect(ctx, key, auth(id, agentproto.IntentRun))
	require.NoError(t, err)
	srv := recvConn(t, a)
	cancel()
	select {
	case <-s.Mux.CloseChan():
	case <-time.After(10 * time.Second):
		t.Fatal("cancelling the context did not end the session")
	}
	_, err = srv.Control.Recv()
	assert.Error(t, err)
}

func TestConnect_UninstallIntentIsOneShot(t *testing.T) {
	a := conntest.New(t)
	key := newKey(t)
	id := a.Register(key.Public().(ed25519.PublicKey))
	a.SetConfig(agentproto.Config{Name: "bye"})
	s, err := a.Dialer().Connect(t.Context(), key, auth(id, agentproto.IntentUninstall))
	require.NoError(t, err)
	assert.Equal(t, "bye", s.Welcome.Config.Name)
	assert.Nil(t, s.Mux)
	assert.NoError(t, s.Close())
	require.Len(t, a.Auths(), 1)
	assert.Equal(t, agentproto.IntentUninstall, a.Auths()[0].Intent)
}
