package server_test

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/hashicorp/yamux"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
)

// TestJumpoint_Nodes checks the nodes field of jumpoints and
// GET|DELETE /jumpoints/{id}/nodes[/{node_id}] on each supported database.
func TestJumpoint_Nodes(t *testing.T) {
	t.Parallel()
	onEachDatabase(t, testJumpointNodesAPI)
}

func testJumpointNodesAPI(t *testing.T, s *appliancetest.Server) {
	ctx := context.Background()
	c := s.Admin
	hub := s.App.Server.Hub
	j, err := c.CreateJumpoint(ctx, &api.Jumpoint{Name: "Site", CodeName: uniq("site")})
	require.NoError(t, err)
	ki, err := s.App.Server.JumpointKeyInfo(j.ID)
	require.NoError(t, err)
	// nodes reads the jumpoint after writing queued connection state.
	nodes := func(t *testing.T, id int64) []api.JumpointNodeInfo {
		t.Helper()
		hub.Flush(ctx)
		got, err := c.GetJumpoint(ctx, id)
		require.NoError(t, err)
		require.NotNil(t, got.Nodes, "nodes is [] rather than null")
		return got.Nodes
	}

	before := time.Now()
	enrolled, key, err := s.Enroll(t, ki, nodeFacts("host-a"), agentproto.Overrides{})
	require.NoError(t, err)

	t.Run("an enrolled node is listed while it is not connected", func(t *testing.T) {
		got, err := c.GetJumpoint(ctx, j.ID)
		require.NoError(t, err)
		require.Len(t, got.Nodes, 1)
		n := got.Nodes[0]
		assert.Equal(t, enrolled.ID, n.ID)
		assert.Equal(t, "host-a", n.Hostname)
		assert.Equal(t, "id-host-a", n.HostID)
		assert.Equal(t, api.PlatformLinuxARM64, n.Platform)
		assert.Equal(t, "test", n.Version)
		assert.Equal(t, "127.0.0.1", n.RemoteAddr)
		assert.False(t, n.Connected)
		assert.Nil(t, n.ConnectedAt)
		assert.Nil(t, n.LastSeenAt, "never connected")
		assert.WithinDuration(t, before, n.CreatedAt, 10*time.Second)
		assert.False(t, got.Connected)
		assert.Empty(t, got.ConnectedNodes)

		listed, err := c.ListJumpointNodes(ctx, j.ID)
		require.NoError(t, err)
		assert.Equal(t, got.Nodes, listed, "the list route answers the field")
		l, err := c.ListJumpoints(ctx, &api.ListOptions{Filters: map[string]string{"code_name": j.CodeName}})
		require.NoError(t, err)
		require.Len(t, l.Items, 1)
		assert.Equal(t, got.Nodes, l.Items[0].Nodes, "lists carry nodes too")

		resp, body := raw(t, s, http.MethodGet, "/api/v1/jumpoints/"+itoa(j.ID)+"/nodes", "Bearer "+s.AdminToken, "")
		require.Equal(t, http.StatusOK, resp.StatusCode, body)
		var page map[string]any
		require.NoError(t, json.Unmarshal([]byte(body), &page))
		assert.ElementsMatch(t, []string{"items", "next_cursor"}, mapKeys(page))
		item := page["items"].([]any)[0].(map[string]any)
		assert.ElementsMatch(t, []string{"id", "hostname", "host_id", "platform", "version", "remote_addr", "connected", "created_at"},
			mapKeys(item), "connected_at and last_seen_at are left out when they do not hold")
	})

	t.Run("connected, then last seen", func(t *testing.T) {
		a, refused := dialNode(t, s, enrolled.ID, key)
		require.Nil(t, refused)
		var n api.JumpointNodeInfo
		eventually(t, "the node shows connected", func() bool {
			n = nodes(t, j.ID)[0]
			return n.Connected
		})
		require.NotNil(t, n.ConnectedAt)
		assert.Nil(t, n.LastSeenAt, "seen now")
		got, err := c.GetJumpoint(ctx, j.ID)
		require.NoError(t, err)
		assert.True(t, got.Connected)
		require.Len(t, got.ConnectedNodes, 1)
		assert.Equal(t, api.JumpointNode{ID: n.ID, Hostname: n.Hostname, RemoteAddr: n.RemoteAddr, Version: n.Version, ConnectedAt: *n.ConnectedAt},
			got.ConnectedNodes[0], "connected_nodes keeps its shape")

		a.close()
		connectedAt := *n.ConnectedAt
		eventually(t, "the node shows disconnected", func() bool {
			n = nodes(t, j.ID)[0]
			return !n.Connected
		})
		assert.Nil(t, n.ConnectedAt)
		require.NotNil(t, n.LastSeenAt)
		assert.False(t, n.LastSeenAt.Before(connectedAt), "the connection ended after it began")
		assert.WithinDuration(t, time.Now(), *n.LastSeenAt, 10*time.Second)
	})

	t.Run("a full jumpoint names the request that removes its node", func(t *testing.T) {
		_, _, err := s.Enroll(t, ki, nodeFacts("host-b"), agentproto.Overrides{})
		assertProblem(t, err, api.ErrConflict, "")
		d := problemDetail(err)
		assert.Contains(t, d, `jumpoint "`+j.CodeName+`" is not clustered and already has a node (node `+itoa(enrolled.ID)+` on "host-a", not connected since `)
		assert.Contains(t, d, "set clustered to true, or remove that node with DELETE /api/v1/jumpoints/"+itoa(j.ID)+"/nodes/"+itoa(enrolled.ID))
	})

	t.Run("nodes in a write are ignored", func(t *testing.T) {
		cur, err := c.GetJumpoint(ctx, j.ID)
		require.NoError(t, err)
		in := clone(t, cur)
		in.Nodes = []api.JumpointNodeInfo{{ID: 999999, Hostname: "fake", Connected: true}, {ID: 999998}}
		out, err := c.UpdateJumpoint(ctx, j.ID, in)
		require.NoError(t, err)
		assert.Equal(t, cur.Version, out.Version, "nothing changed")
		assert.Equal(t, cur.Nodes, out.Nodes)
		out, err = c.PatchJumpoint(ctx, j.ID, map[string]any{"nodes": []any{}})
		require.NoError(t, err)
		assert.Equal(t, cur.Version, out.Version)
		assert.Equal(t, cur.Nodes, out.Nodes)
		created, err := c.CreateJumpoint(ctx, &api.Jumpoint{Name: "Other", CodeName: uniq("ro"), Nodes: in.Nodes})
		require.NoError(t, err)
		assert.Empty(t, created.Nodes)
		assert.Equal(t, cur.Nodes, nodes(t, j.ID))
	})

	other, err := c.CreateJumpoint(ctx, &api.Jumpoint{Name: "Other site", CodeName: uniq("other")})
	require.NoError(t, err)
	otherKI, err := s.App.Server.JumpointKeyInfo(other.ID)
	require.NoError(t, err)
	otherNode, _, err := s.Enroll(t, otherKI, nodeFacts("host-other"), agentproto.Overrides{})
	require.NoError(t, err)

	t.Run("refusals", func(t *testing.T) {
		_, user := s.NewUser(t, false)
		tests := []struct {
			name           string
			client         *api.Client
			jumpoint, node int64
			want           error
			detail         string
		}{
			{"no token", s.Client(t, ""), j.ID, enrolled.ID, api.ErrUnauthorized, ""},
			{"unknown token", s.Client(t, "jgt_unknown"), j.ID, enrolled.ID, api.ErrUnauthorized, ""},
			{"not an administrator", user, j.ID, enrolled.ID, api.ErrForbidden, "only administrators may"},
			{"not an administrator, unknown jumpoint", user, 999999, 1, api.ErrForbidden, "only administrators may"},
			{"unknown jumpoint", c, 999999, enrolled.ID, api.ErrNotFound, "jumpoint 999999 does not exist"},
			{"unknown node", c, j.ID, 999999, api.ErrNotFound, `jumpoint "` + j.CodeName + `" has no node 999999`},
			{"a node of another jumpoint", c, j.ID, otherNode.ID, api.ErrNotFound, `jumpoint "` + j.CodeName + `" has no node ` + itoa(otherNode.ID)},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := tt.client.DeleteJumpointNode(ctx, tt.jumpoint, tt.node)
				assertProblem(t, err, tt.want, "")
				assert.Contains(t, problemDetail(err), tt.detail)
			})
		}
		for _, tt := range []struct {
			name     string
			client   *api.Client
			jumpoint int64
			want     error
		}{
			{"list, no token", s.Client(t, ""), j.ID, api.ErrUnauthorized},
			{"list, not an administrator", user, j.ID, api.ErrForbidden},
			{"list, not an administrator, unknown jumpoint", user, 999999, api.ErrForbidden},
			{"list, unknown jumpoint", c, 999999, api.ErrNotFound},
		} {
			t.Run(tt.name, func(t *testing.T) {
				got, err := tt.client.ListJumpointNodes(ctx, tt.jumpoint)
				assert.Nil(t, got)
				assertProblem(t, err, tt.want, "")
			})
		}
		for _, path := range []string{"/nodes/abc", "/nodes/0", "/nodes/-1"} {
			resp, body := raw(t, s, http.MethodDelete, "/api/v1/jumpoints/"+itoa(j.ID)+path, "Bearer "+s.AdminToken, "")
			assert.Equal(t, http.StatusNotFound, resp.StatusCode, "%s: %s", path, body)
		}
		assert.Len(t, nodes(t, j.ID), 1, "still enrolled")
		assert.Len(t, nodes(t, other.ID), 1, "the other jumpoint's node is untouched")
		assert.Empty(t, removeEvents(t, c, 0), "refusals write no audit event")
	})

	t.Run("removing a node that is not connected frees its place", func(t *testing.T) {
		require.NoError(t, c.DeleteJumpointNode(ctx, j.ID, enrolled.ID))
		assert.Empty(t, nodes(t, j.ID))

		evs := removeEvents(t, c, j.ID)
		require.Len(t, evs, 1)
		ev := evs[0]
		assert.Equal(t, "admin", ev.Actor)
		assert.Equal(t, "jumpoint", ev.ObjectType)
		assert.Equal(t, j.CodeName, ev.ObjectName)
		assert.Equal(t, map[string]api.FieldChange{"node": {Old: map[string]any{
			"id": float64(enrolled.ID), "hostname": "host-a", "host_id": "id-host-a",
		}}}, ev.Diff)

		_, refused := dialNode(t, s, enrolled.ID, key)
		require.NotNil(t, refused, "the removed node's key no longer authenticates")
		assert.Equal(t, agentproto.RefusedDeleted, refused.Code, "it is told to uninstall")
		assert.Contains(t, refused.Message, "removed from the jumpoint")

		err := c.DeleteJumpointNode(ctx, j.ID, enrolled.ID)
		assertProblem(t, err, api.ErrNotFound, "")
		assert.Len(t, removeEvents(t, c, j.ID), 1)
	})

	var second *agentproto.EnrollResponse
	var secondKey ed25519.PrivateKey
	t.Run("another host enrolls in the freed place", func(t *testing.T) {
		second, secondKey, err = s.Enroll(t, ki, nodeFacts("host-b"), agentproto.Overrides{})
		require.NoError(t, err)
		got := nodes(t, j.ID)
		require.Len(t, got, 1)
		assert.Equal(t, second.ID, got[0].ID)
		assert.NotEqual(t, enrolled.ID, second.ID, "a new node")
	})
	require.NotNil(t, second)

	t.Run("removing a connected node disconnects it", func(t *testing.T) {
		a, refused := dialNode(t, s, second.ID, secondKey)
		require.Nil(t, refused)
		eventually(t, "the node shows connected", func() bool { return nodes(t, j.ID)[0].Connected })

		require.NoError(t, c.DeleteJumpointNode(ctx, j.ID, second.ID))
		reason := a.uninstallReason(t)
		assert.Contains(t, reason, "removed from the jumpoint")
		select {
		case <-a.gone:
		case <-time.After(10 * time.Second):
			t.Fatal("the connection was not cut")
		}
		eventually(t, "the hub forgot the node", func() bool { return !hub.IsConnected(agentproto.KindJumpoint, second.ID) })

		_, refused = dialNode(t, s, second.ID, secondKey)
		require.NotNil(t, refused, "it cannot reconnect")
		assert.Equal(t, agentproto.RefusedDeleted, refused.Code)

		hub.Flush(ctx)
		got, err := c.GetJumpoint(ctx, j.ID)
		require.NoError(t, err)
		assert.Empty(t, got.Nodes, "the disconnect written after the removal does not bring it back")
		assert.False(t, got.Connected)
		assert.Empty(t, got.ConnectedNodes)
		assert.Len(t, removeEvents(t, c, j.ID), 2)

		_, _, err = s.Enroll(t, ki, nodeFacts("host-c"), agentproto.Overrides{})
		require.NoError(t, err, "room again")
	})

	t.Run("a full cluster frees one of ten places", func(t *testing.T) {
		cl, err := c.CreateJumpoint(ctx, &api.Jumpoint{Name: "Cluster", CodeName: uniq("cluster"), Clustered: true})
		require.NoError(t, err)
		cki, err := s.App.Server.JumpointKeyInfo(cl.ID)
		require.NoError(t, err)
		var ids []int64
		for i := range api.MaxJumpointNodes {
			e, _, err := s.Enroll(t, cki, nodeFacts("pod-"+strconv.Itoa(i)), agentproto.Overrides{})
			require.NoError(t, err)
			ids = append(ids, e.ID)
		}
		_, _, err = s.Enroll(t, cki, nodeFacts("pod-new"), agentproto.Overrides{})
		assertProblem(t, err, api.ErrConflict, "")
		assert.Contains(t, problemDetail(err), "already has 10 nodes, the most a cluster may have; remove a node that is gone with DELETE /api/v1/jumpoints/"+itoa(cl.ID)+"/nodes/{node_id}")
		_, err = c.PatchJumpoint(ctx, cl.ID, map[string]any{"clustered": false})
		assertProblem(t, err, api.ErrValidation, "clustered")
		var p *api.Problem
		require.ErrorAs(t, err, &p)
		require.Len(t, p.Errors, 1)
		assert.Equal(t, "cannot be false while 10 nodes are enrolled; remove nodes first (DELETE /api/v1/jumpoints/"+itoa(cl.ID)+"/nodes/{node_id})", p.Errors[0].Detail)

		// Concurrent removals of one node: one removes it, the others find
		// nothing, and one audit event is written.
		var wg sync.WaitGroup
		errs := make([]error, 5)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = c.DeleteJumpointNode(ctx, cl.ID, ids[3])
			}()
		}
		wg.Wait()
		var ok int
		for _, err := range errs {
			if err == nil {
				ok++
				continue
			}
			assertProblem(t, err, api.ErrNotFound, "")
		}
		assert.Equal(t, 1, ok, "%v", errs)
		assert.Len(t, removeEvents(t, c, cl.ID), 1)
		assert.Len(t, nodes(t, cl.ID), api.MaxJumpointNodes-1)

		_, _, err = s.Enroll(t, cki, nodeFacts("pod-new"), agentproto.Overrides{})
		require.NoError(t, err)
	})
}

func nodeFacts(host string) agentproto.Facts {
	return agentproto.Facts{HostID: "id-" + host, Hostname: host, Platform: api.PlatformLinuxARM64}
}

// removeEvents lists the remove_node audit events of a jumpoint (of every
// jumpoint for 0).
func removeEvents(t *testing.T, c *api.Client, jumpointID int64) []api.AuditEvent {
	t.Helper()
	f := map[string]string{"action": "remove_node"}
	if jumpointID != 0 {
		f["object_type"], f["object_id"] = "jumpoint", itoa(jumpointID)
	}
	evs, err := api.ListAll(context.Background(), c.ListAuditEvents, &api.ListOptions{Filters: f})
	require.NoError(t, err)
	return evs
}

// eventually polls cond until it holds, failing the test after 10 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s: not within 10s", what)
}

// nodeConn is a jumpoint node's connection, made from agentproto alone (as
// the agent hub's tests do), so that the appliance is tested on its own.
type nodeConn struct {
	mux  *yamux.Session
	r    *bufio.Reader
	ctl  interface{ SetReadDeadline(time.Time) error }
	gone chan struct{}
}

// dialNode connects as jumpoint node id with key, or returns the refusal.
func dialNode(t *testing.T, s *appliancetest.Server, id int64, key ed25519.PrivateKey) (*nodeConn, *agentproto.Refused) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, strings.Replace(s.URL, "https", "wss", 1)+agentproto.PathConnect, &websocket.DialOptions{
		HTTPClient: s.HTTPClient(t), Subprotocols: []string{agentproto.Subprotocol},
	})
	require.NoError(t, err)
	var hello agentproto.Hello
	require.NoError(t, wsjson.Read(ctx, ws, &hello))
	kind, intent := agentproto.KindJumpoint, agentproto.IntentRun
	require.NoError(t, wsjson.Write(ctx, ws, agentproto.Auth{Kind: kind, ID: id, Intent: intent, Version: "test",
		Facts: nodeFacts("connected"), Signature: ed25519.Sign(key, agentproto.AuthMessage(hello.Nonce, kind, id, intent))}))
	var reply agentproto.HandshakeReply
	require.NoError(t, wsjson.Read(ctx, ws, &reply))
	if reply.Refused != nil {
		_ = ws.CloseNow()
		return nil, reply.Refused
	}
	require.NotNil(t, reply.Welcome)
	cfg := yamux.DefaultConfig()
	cfg.LogOutput = discard{}
	mux, err := yamux.Client(websocket.NetConn(context.Background(), ws, websocket.MessageBinary), cfg)
	require.NoError(t, err)
	ctl, err := mux.Open()
	require.NoError(t, err)
	require.NoError(t, agentproto.WriteStreamHeader(ctl, agentproto.StreamHeader{Type: agentproto.StreamControl}))
	n := &nodeConn{mux: mux, r: bufio.NewReader(ctl), ctl: ctl, gone: make(chan struct{})}
	go func() {
		<-mux.CloseChan()
		close(n.gone)
	}()
	t.Cleanup(n.close)
	return n, nil
}

func (n *nodeConn) close() { _ = n.mux.Close() }

// uninstallReason reads control messages until the appliance says to
// uninstall, and returns its reason.
func (n *nodeConn) uninstallReason(t *testing.T) string {
	t.Helper()
	_ = n.ctl.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		line, err := n.r.ReadBytes('\n')
		require.NoError(t, err, "the connection ended without an uninstall message")
		var m agentproto.Control
		require.NoError(t, json.Unmarshal(line, &m))
		if m.Type == agentproto.MsgUninstall {
			return m.Reason
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
