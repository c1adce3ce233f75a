package session

import (
	"bytes"
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/api/sessionproto"
)

// echoServer listens on addr ("127.0.0.1:0", "[::1]:0") and answers every
// connection, once the client half-closed it, with "echo:" and all it
// read, then half-closes its side. It returns the port.
func echoServer(t *testing.T, addr string) int {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				b, err := io.ReadAll(c)
				if err != nil {
					return
				}
				_, _ = c.Write(append([]byte("echo:"), b...))
				_ = c.(*net.TCPConn).CloseWrite()
				// Wait for the agent to close its side.
				_, _ = io.Copy(io.Discard, c)
			}()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

// closedPort is a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

// roundTrip writes msg into the tunnel, half-closes it, and reads all
// that comes back until the agent half-closes.
func (p *peer) roundTrip(msg []byte) []byte {
	p.t.Helper()
	go func() {
		_, _ = p.conn.Write(msg)
		p.conn.Close() // a yamux FIN: the write side only
	}()
	require.NoError(p.t, p.conn.SetReadDeadline(time.Now().Add(waitFor)))
	b, err := io.ReadAll(p.conn)
	require.NoError(p.t, err)
	return b
}

func tunnelOpen(host string, port int, item int64) sessionproto.Open {
	return sessionproto.Open{Type: sessionproto.StreamTunnel, Session: sessionID, Host: host, Port: port, Item: item, Peer: "127.0.0.1:50000"}
}

func TestTunnel_Jumpoint(t *testing.T) {
	port := echoServer(t, "127.0.0.1:0")
	other := echoServer(t, "127.0.0.1:0")
	targets := []agentproto.TunnelTarget{
		{Item: 5, Host: "127.0.0.1", Ports: []int{22, port}},
		{Item: 6, Host: "db.internal", Ports: []int{other}},
	}
	tests := []struct {
		name string
		open sessionproto.Open
		code string
		msg  string
	}{
		{"allowed", tunnelOpen("127.0.0.1", port, 5), "", ""},
		{"another host", tunnelOpen("localhost", port, 5), sessionproto.CodeRefused, "allows host 127.0.0.1 only"},
		{"another port", tunnelOpen("127.0.0.1", other, 5), sessionproto.CodeRefused, "allows ports"},
		{"another item's port", tunnelOpen("127.0.0.1", other, 6), sessionproto.CodeRefused, "allows host db.internal only"},
		{"unknown item", tunnelOpen("127.0.0.1", port, 9), sessionproto.CodeRefused, "item 9 is not"},
		{"no item", tunnelOpen("127.0.0.1", port, 0), sessionproto.CodeRefused, "item 0 is not"},
		{"not a port", tunnelOpen("127.0.0.1", 70000, 5), sessionproto.CodeBadRequest, "not a TCP port"},
		{"allowed but down", tunnelOpen("127.0.0.1", 22, 5), sessionproto.CodeRefused, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "allowed but down" {
				if c, err := net.Dial("tcp", "127.0.0.1:22"); err == nil {
					c.Close()
					t.Skip("something listens on port 22")
				}
			}
			m, _ := newManager(t, Config{Kind: agentproto.KindJumpoint, Tunnels: func() []agentproto.TunnelTarget { return targets }}, &allowAll)
			p := serve(t, m, tt.open)
			o := p.opened()
			if tt.code != "" {
				assert.False(t, o.OK)
				assert.Equal(t, tt.code, o.Code, o.Error)
				assert.Contains(t, o.Error, tt.msg)
				return
			}
			require.True(t, o.OK, o.Error)
			msg := randomBytes(t, 1<<20)
			got := p.roundTrip(msg)
			assert.True(t, bytes.Equal(append([]byte("echo:"), msg...), got), "got %d bytes", len(got))
			p.wait()
		})
	}
}

func TestTunnel_JumpClientOnlyLoopback(t *testing.T) {
	port := echoServer(t, "127.0.0.1:0")
	tests := []struct {
		name string
		kind string
		host string
		port int
		code string
	}{
		{"empty host", agentproto.KindJumpClient, "", port, ""},
		{"localhost", agentproto.KindJumpClient, "localhost", port, ""},
		{"127.0.0.1", agentproto.KindJumpClient, "127.0.0.1", port, ""},
		{"::1 dials 127.0.0.1 first", agentproto.KindJumpClient, "::1", port, ""},
		{"customer client", agentproto.KindCustomer, "", port, ""},
		{"another address", agentproto.KindJumpClient, "10.1.2.3", port, sessionproto.CodeRefused},
		{"another loopback address", agentproto.KindJumpClient, "127.0.0.2", port, sessionproto.CodeRefused},
		{"a name", agentproto.KindJumpClient, "example.com", port, sessionproto.CodeRefused},
		{"customer to another address", agentproto.KindCustomer, "192.168.1.1", port, sessionproto.CodeRefused},
		{"unknown kind", "", "10.1.2.3", port, sessionproto.CodeRefused},
		{"nothing listening", agentproto.KindJumpClient, "", closedPort(t), sessionproto.CodeRefused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := newManager(t, Config{Kind: tt.kind}, &allowAll)
			p := serve(t, m, tunnelOpen(tt.host, tt.port, 0))
			o := p.opened()
			if tt.code != "" {
				assert.False(t, o.OK)
				assert.Equal(t, tt.code, o.Code, o.Error)
				return
			}
			require.True(t, o.OK, o.Error)
			assert.Equal(t, []byte("echo:hello"), p.roundTrip([]byte("hello")))
		})
	}
}

func TestTunnel_FallsBackToIPv6Loopback(t *testing.T) {
	port := echoServer(t, "[::1]:0")
	if c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
		c.Close()
		t.Skip("the port is taken on 127.0.0.1")
	}
	m, _ := newManager(t, Config{Kind: agentproto.KindJumpClient}, &allowAll)
	p := serve(t, m, tunnelOpen("", port, 0))
	require.True(t, p.mustOpen().OK)
	assert.Equal(t, []byte("echo:v6"), p.roundTrip([]byte("v6")))
}

func TestTunnel_SessionEndClosesIt(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	m, _ := newManager(t, Config{Kind: agentproto.KindJumpClient}, &allowAll)
	p := serve(t, m, tunnelOpen("", ln.Addr().(*net.TCPAddr).Port, 0))
	p.mustOpen()
	var server net.Conn
	select {
	case server = <-accepted:
	case <-time.After(waitFor):
		t.Fatal("not dialled")
	}
	defer server.Close()

	m.Update(agentproto.SessionInfo{ID: sessionID, Status: api.SessionEnded})
	p.wait()
	require.NoError(t, server.SetReadDeadline(time.Now().Add(waitFor)))
	_, err = server.Read(make([]byte, 1))
	assert.ErrorIs(t, err, io.EOF, "the target's connection is closed")
}

// BenchmarkTunnel measures the splice: one tunnel, 1 MiB writes through a
// yamux stream to a TCP sink.
func BenchmarkTunnel(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(b, err)
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				_, _ = io.Copy(io.Discard, c)
				c.Close()
			}()
		}
	}()
	m := New(Config{Kind: agentproto.KindJumpClient})
	defer m.Close()
	m.Update(activeSession(sessionID, allowAll))
	appliance, agent := muxPair(b)
	c, err := appliance.OpenStream()
	require.NoError(b, err)
	st, err := agent.AcceptStream()
	require.NoError(b, err)
	open := tunnelOpen("", ln.Addr().(*net.TCPAddr).Port, 0)
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.Serve(b.Context(), st, &open)
	}()
	var o sessionproto.Opened
	require.NoError(b, sessionproto.ReadLine(c, &o))
	require.True(b, o.OK)
	chunk := make([]byte, 1<<20)
	b.SetBytes(int64(len(chunk)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := c.Write(chunk); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	c.Close()
	_, _ = io.Copy(io.Discard, c)
	<-done
}
