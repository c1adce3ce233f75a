package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/agent/agenttest"
	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/api/sessionproto"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
)

// jumpointWorld is an appliance with a Jumpoint whose nodes are installed
// and connected, and a Protocol Tunnel Jump through it.
type jumpointWorld struct {
	s     *appliancetest.Server
	jp    *api.Jumpoint
	item  *api.ProtocolTunnelJump
	e     *endpoint
	nodes []string // install dirs
	// endpoints are the nodes' machines, in the order of nodes.
	endpoints []*endpoint
	admin     *rep
}

func newJumpointWorld(t *testing.T, nodes int, host string, defs []api.TunnelDefinition) *jumpointWorld {
	t.Helper()
	ctx := context.Background()
	s := newAppliance(t, agenttest.AgentDir(t, "e2e-1"))
	jp, err := s.Admin.CreateJumpoint(ctx, &api.Jumpoint{Name: "Lab", CodeName: "lab", ProtocolTunnelEnabled: true, Clustered: nodes > 1})
	require.NoError(t, err)
	g := mustGroup(t, s)
	item, err := s.Admin.CreateProtocolTunnelJump(ctx, &api.ProtocolTunnelJump{Name: "web", JumpointID: jp.ID, Hostname: host,
		TunnelDefinitions: defs, JumpGroupID: g})
	require.NoError(t, err)
	file := download(t, s, fmt.Sprintf("%s/%d/download/%s", api.PathJumpoints, jp.ID, agenttest.HostPlatform()))
	w := &jumpointWorld{s: s, jp: jp, item: item, admin: newRep(t, s, s.AdminToken)}
	for i := range nodes {
		// Each node is a machine of its own, as a cluster's nodes are.
		w.e = newEndpoint(t, fmt.Sprintf("JUMPGATE_AGENT_HOST_ID=e2e-node-%d", i))
		dir := filepath.Join(w.e.home, fmt.Sprintf("jp%d", i))
		w.e.started(file, dir)
		w.nodes = append(w.nodes, dir)
		w.endpoints = append(w.endpoints, w.e)
	}
	eventually(t, 20*time.Second, "jumpoint nodes connected", func() (bool, string) {
		got, err := s.Admin.GetJumpoint(ctx, jp.ID)
		if err != nil {
			return false, err.Error()
		}
		return len(got.ConnectedNodes) == nodes, fmt.Sprintf("%d nodes", len(got.ConnectedNodes))
	})
	return w
}

var tunnelLine = regexp.MustCompile(`(?m)^(127\.\d+\.\d+\.\d+):(\d+) -> (\S+):(\d+)$`)

// openTunnel runs `jumpgate tunnel` and returns the local address of each
// tunnel line, by remote port.
func openTunnel(t *testing.T, r *rep, args ...string) (map[int]string, *syncBuffer) {
	t.Helper()
	_, out, errb := r.start(append([]string{"tunnel"}, args...)...)
	addrs := map[int]string{}
	eventually(t, 30*time.Second, "tunnel listening", func() (bool, string) {
		for _, m := range tunnelLine.FindAllStringSubmatch(out.String(), -1) {
			port, _ := strconv.Atoi(m[4])
			addrs[port] = m[1] + ":" + m[2]
		}
		return len(addrs) > 0, out.String() + errb.String()
	})
	return addrs, errb
}

// TestTunnel_ThroughJumpoint is the README's path: a Jumpoint installed
// with its installer, a Protocol Tunnel Jump to a local web server, and
// `jumpgate tunnel`, through which an HTTP client fetches the page. Then the
// statistics, the tunnel log and the audit trail.
func TestTunnel_ThroughJumpoint(t *testing.T) {
	web := newHTTPServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello through the tunnel, %s", r.URL.Path)
	}))
	_, webPort, _ := net.SplitHostPort(strings.TrimPrefix(web, "http://"))
	port, _ := strconv.Atoi(webPort)
	w := newJumpointWorld(t, 1, "127.0.0.1", []api.TunnelDefinition{{LocalPort: 0, RemotePort: port}})

	addrs, _ := openTunnel(t, w.admin, fmt.Sprintf("tunnel:%d", w.item.ID))
	local := addrs[port]
	require.NotEmpty(t, local)
	// A connection per request, so that each one's close is counted.
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for i := range 3 {
		resp, err := hc.Get(fmt.Sprintf("http://%s/page%d", local, i))
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, fmt.Sprintf("hello through the tunnel, /page%d", i), string(body))
	}

	ss := sessionsOf(t, w.s, api.ItemProtocolTunnelJump, w.item.ID)
	require.Len(t, ss, 1)
	sess := ss[0]
	assert.Equal(t, api.SessionActive, sess.Status)
	eventually(t, 10*time.Second, "statistics", func() (bool, string) {
		s, err := w.s.Admin.Do(context.Background(), http.MethodGet, fmt.Sprintf("sessions/%d", sess.ID), nil, nil, &sess)
		_ = s
		if err != nil || len(sess.Tunnels) != 1 {
			return false, fmt.Sprint(err, sess.Tunnels)
		}
		st := sess.Tunnels[0]
		return st.ConnectionsTotal >= 1 && st.ConnectionsOpen == 0 && st.BytesIn > 0 && st.BytesOut > 0, fmt.Sprintf("%+v", st)
	})
	acts, evs := auditOf(t, w.s, sess.ID)
	assert.Contains(t, acts, "session.tunnel_opened")
	for _, e := range evs {
		if e.Action == "session.tunnel_closed" {
			assert.Equal(t, fmt.Sprintf("127.0.0.1:%d", port), e.Details["target"])
			assert.NotEmpty(t, e.Details["peer"])
			assert.NotZero(t, e.Details["bytes_in"])
		}
	}
}

// TestTunnel_JumpointRefusesOtherTargets asks a Jumpoint node, through the
// appliance's own hub (as a compromised or buggy broker would), for a host
// and a port its item does not name: the node refuses both.
func TestTunnel_JumpointRefusesOtherTargets(t *testing.T) {
	echo := echoServer(t)
	_, p, _ := net.SplitHostPort(echo)
	port, _ := strconv.Atoi(p)
	w := newJumpointWorld(t, 1, "127.0.0.1", []api.TunnelDefinition{{RemotePort: port}})
	ctx := context.Background()
	sess, err := w.s.Admin.StartSession(ctx, &api.SessionRequest{ItemType: api.ItemProtocolTunnelJump, ItemID: w.item.ID})
	require.NoError(t, err)
	hub := w.s.App.Server.Hub
	nodes := hub.JumpointNodes(w.jp.ID)
	require.Len(t, nodes, 1)
	ask := func(host string, port int, item int64) sessionproto.Opened {
		t.Helper()
		var o sessionproto.Opened
		eventually(t, 10*time.Second, "node answers", func() (bool, string) {
			st, err := hub.OpenStream(ctx, agentproto.KindJumpoint, nodes[0], &sessionproto.Open{Type: sessionproto.StreamTunnel,
				Session: sess.ID, Host: host, Port: port, Item: item})
			if err != nil {
				return false, err.Error()
			}
			defer st.Close()
			o = sessionproto.Opened{}
			if err := sessionproto.ReadLine(st, &o); err != nil {
				return false, err.Error()
			}
			// The node learns of the session from the appliance's message,
			// which may trail the request's answer by a moment.
			return o.Code != sessionproto.CodeNoSession, o.Error
		})
		return o
	}
	assert.True(t, ask("127.0.0.1", port, w.item.ID).OK, "the item's own target is dialled")
	o := ask("127.0.0.2", port, w.item.ID)
	assert.False(t, o.OK)
	assert.Equal(t, sessionproto.CodeRefused, o.Code, o.Error)
	o = ask("127.0.0.1", port+1, w.item.ID)
	assert.False(t, o.OK)
	assert.Equal(t, sessionproto.CodeRefused, o.Code, o.Error)
	o = ask("127.0.0.1", port, w.item.ID+100)
	assert.False(t, o.OK)
	assert.Equal(t, sessionproto.CodeRefused, o.Code, o.Error)
	o = ask("127.0.0.1", port, 0)
	assert.False(t, o.OK, "a stream without its item is refused too")
}

// echoServer echoes every connection until the test ends.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	return ln.Addr().String()
}

// TestTunnel_ConnectionLimit holds 256 connections open through one
// tunnel session; the 257th is refused (and closed at once), and once one
// closes a new one gets through.
func TestTunnel_ConnectionLimit(t *testing.T) {
	echo := echoServer(t)
	_, p, _ := net.SplitHostPort(echo)
	port, _ := strconv.Atoi(p)
	w := newJumpointWorld(t, 1, "127.0.0.1", []api.TunnelDefinition{{RemotePort: port}})
	addrs, errb := openTunnel(t, w.admin, fmt.Sprintf("tunnel:%d", w.item.ID))
	local := addrs[port]

	dial := func() (net.Conn, error) {
		c, err := net.DialTimeout("tcp", local, 5*time.Second)
		if err != nil {
			return nil, err
		}
		_ = c.SetDeadline(time.Now().Add(20 * time.Second))
		if _, err := c.Write([]byte("ping\n")); err != nil {
			c.Close()
			return nil, err
		}
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil || line != "ping\n" {
			c.Close()
			return nil, fmt.Errorf("no echo: %q %v", line, err)
		}
		_ = c.SetDeadline(time.Time{})
		return c, nil
	}
	var mu sync.Mutex
	var conns []net.Conn
	var wg sync.WaitGroup
	errs := make(chan error, api.MaxTunnelConnections)
	for range api.MaxTunnelConnections {
		wg.Go(func() {
			c, err := dial()
			if err != nil {
				errs <- err
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("one of the first 256 connections failed: %v", err)
	}
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	require.Len(t, conns, api.MaxTunnelConnections)

	_, err := dial()
	assert.Error(t, err, "the 257th connection is refused")
	eventually(t, 10*time.Second, "the refusal is logged by the CLI", func() (bool, string) {
		return strings.Contains(errb.String(), "limit"), errb.String()
	})
	ss := sessionsOf(t, w.s, api.ItemProtocolTunnelJump, w.item.ID)
	require.Len(t, ss, 1)
	acts, _ := auditOf(t, w.s, ss[0].ID)
	assert.Contains(t, acts, "session.tunnel_refused")

	conns[0].Close()
	eventually(t, 10*time.Second, "a slot frees up", func() (bool, string) {
		c, err := dial()
		if err != nil {
			return false, err.Error()
		}
		c.Close()
		return true, ""
	})
}

// TestTunnel_ClusteredJumpoint spreads connections over two nodes and goes
// on through one when the other stops.
func TestTunnel_ClusteredJumpoint(t *testing.T) {
	echo := echoServer(t)
	_, p, _ := net.SplitHostPort(echo)
	port, _ := strconv.Atoi(p)
	w := newJumpointWorld(t, 2, "127.0.0.1", []api.TunnelDefinition{{RemotePort: port}})
	addrs, _ := openTunnel(t, w.admin, fmt.Sprintf("tunnel:%d", w.item.ID))
	local := addrs[port]
	roundTrip := func() error {
		c, err := net.DialTimeout("tcp", local, 5*time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.Write([]byte("x\n")); err != nil {
			return err
		}
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil || line != "x\n" {
			return fmt.Errorf("echo %q: %v", line, err)
		}
		return nil
	}
	for range 6 {
		require.NoError(t, roundTrip())
	}
	// Both nodes carried connections.
	sid := sessionsOf(t, w.s, api.ItemProtocolTunnelJump, w.item.ID)[0].ID
	eventually(t, 10*time.Second, "connections spread over both nodes", func() (bool, string) {
		_, evs := auditOf(t, w.s, sid)
		nodes := map[any]int{}
		for _, e := range evs {
			if e.Action == "session.tunnel_closed" {
				nodes[e.Details["jumpoint_node"]]++
			}
		}
		return len(nodes) == 2, fmt.Sprint(nodes)
	})

	out, code := w.endpoints[0].run(filepath.Join(w.nodes[0], "init-script"), "stop")
	require.Equal(t, 0, code, out)
	eventually(t, 20*time.Second, "one node left", func() (bool, string) {
		return len(w.s.App.Server.Hub.JumpointNodes(w.jp.ID)) == 1, ""
	})
	for range 4 {
		require.NoError(t, roundTrip(), "the tunnel goes on through the remaining node")
	}
}
