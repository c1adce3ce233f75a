package server_test

import (
	"context"
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
)

// TestJumpoint_NodeRebind: a host id is no secret (the nodes list shows
// it), so an enrollment with a node's host id never replaces that node on
// its own — not while it is connected, not without a proof signed by the
// node's current key — and a genuine reinstall with that proof keeps the
// node's id, on each supported database.
func TestJumpoint_NodeRebind(t *testing.T) {
	t.Parallel()
	onEachDatabase(t, testJumpointNodeRebind)
}

func testJumpointNodeRebind(t *testing.T, s *appliancetest.Server) {
	ctx := context.Background()
	hub := s.App.Server.Hub
	for _, clustered := range []bool{false, true} {
		j, err := s.Admin.CreateJumpoint(ctx, &api.Jumpoint{Name: "Site", CodeName: uniq("site"), Clustered: clustered})
		require.NoError(t, err)
		ki, err := s.App.Server.JumpointKeyInfo(j.ID)
		require.NoError(t, err)
		node, key, err := s.Enroll(t, ki, nodeFacts("host-a"), agentproto.Overrides{})
		require.NoError(t, err)
		live, refused := dialNode(t, s, node.ID, key)
		require.Nil(t, refused)
		eventually(t, "the node connected", func() bool { return hub.IsConnected(agentproto.KindJumpoint, node.ID) })

		_, _, err = s.Enroll(t, ki, nodeFacts("host-a"), agentproto.Overrides{})
		assertProblem(t, err, api.ErrConflict, "")
		assert.Contains(t, problemDetail(err), "connected now")
		_, _, err = s.EnrollReplacing(t, ki, nodeFacts("host-a"), agentproto.Overrides{}, key, agentproto.KindJumpoint, node.ID)
		assertProblem(t, err, api.ErrConflict, "")
		select {
		case <-live.gone:
			t.Fatal("a refused enrollment cut the live node")
		case <-time.After(200 * time.Millisecond):
		}
		assert.True(t, hub.IsConnected(agentproto.KindJumpoint, node.ID), "the live node stays connected")

		_ = live.mux.Close()
		eventually(t, "the node disconnected", func() bool { return !hub.IsConnected(agentproto.KindJumpoint, node.ID) })
		_, _, err = s.Enroll(t, ki, nodeFacts("host-a"), agentproto.Overrides{})
		assertProblem(t, err, api.ErrConflict, "")
		assert.Contains(t, problemDetail(err), "no proof")
		assert.Contains(t, problemDetail(err), "DELETE /api/v1/jumpoints/"+itoa(j.ID)+"/nodes/"+itoa(node.ID))
		_, stranger, _ := ed25519.GenerateKey(nil)
		_, _, err = s.EnrollReplacing(t, ki, nodeFacts("host-a"), agentproto.Overrides{}, stranger, agentproto.KindJumpoint, node.ID)
		assertProblem(t, err, api.ErrConflict, "")
		got, err := s.Admin.ListJumpointNodes(ctx, j.ID)
		require.NoError(t, err)
		require.Len(t, got, 1, "clustered=%v: no node added", clustered)
		back, refused := dialNode(t, s, node.ID, key)
		require.Nil(t, refused, "the refusals left the node's key alone")
		_ = back.mux.Close()
		eventually(t, "the node disconnected", func() bool { return !hub.IsConnected(agentproto.KindJumpoint, node.ID) })

		again, key2, err := s.EnrollReplacing(t, ki, nodeFacts("host-a"), agentproto.Overrides{}, key, agentproto.KindJumpoint, node.ID)
		require.NoError(t, err)
		assert.Equal(t, node.ID, again.ID, "a reinstall keeps the node")
		assert.True(t, again.Rebound)
		_, refused = dialNode(t, s, node.ID, key)
		require.NotNil(t, refused)
		assert.Equal(t, agentproto.RefusedDeleted, refused.Code, "the replaced key is retired")
		n, refused := dialNode(t, s, node.ID, key2)
		require.Nil(t, refused)
		_ = n.mux.Close()
		eventually(t, "the node disconnected", func() bool { return !hub.IsConnected(agentproto.KindJumpoint, node.ID) })

		// A proven reinstall keeps its node when the host id changed.
		moved, _, err := s.EnrollReplacing(t, ki, nodeFacts("host-a-new-id"), agentproto.Overrides{}, key2, agentproto.KindJumpoint, node.ID)
		require.NoError(t, err)
		assert.Equal(t, node.ID, moved.ID)
		got, err = s.Admin.ListJumpointNodes(ctx, j.ID)
		require.NoError(t, err)
		require.Len(t, got, 1)
		assert.Equal(t, "id-host-a-new-id", got[0].HostID)
	}
}
