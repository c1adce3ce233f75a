package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/agent/internal/state"
	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
)

// TestRun_KeyInfoFile_ReplacedPod replaces the one pod of a jumpoint that is
// not clustered, as a rollout with an emptyDir and no stable host id does:
// the new pod's enrollment is refused while the old pod's node, now
// offline, holds the only place, with a message naming the request that
// frees it. Once an administrator removes the old node the new pod
// enrolls; removing the new pod's node while it is connected makes its
// agent empty its dir and exit, and its key stops working.
func TestRun_KeyInfoFile_ReplacedPod(t *testing.T) {
	e := newEndpoint(t)
	s := appliancetest.NewServer(t)
	ctx := context.Background()
	j, err := s.Admin.CreateJumpoint(ctx, &api.Jumpoint{Name: "Single", CodeName: "single"})
	require.NoError(t, err)
	ki, err := s.Admin.GetJumpointKeyInfo(ctx, j.ID)
	require.NoError(t, err)
	secret := filepath.Join(t.TempDir(), "key-info")
	require.NoError(t, os.WriteFile(secret, []byte(ki.KeyInfo), 0o600))
	nodes := func() []api.JumpointNodeInfo {
		t.Helper()
		got, err := s.Admin.ListJumpointNodes(ctx, j.ID)
		require.NoError(t, err)
		return got
	}

	dirA := filepath.Join(t.TempDir(), "pod-a")
	a := e.startRun([]string{"JUMPGATE_AGENT_HOST_ID=pod-a"}, "--dir", dirA, "--key-info-file", secret)
	eventually(t, 30*time.Second, "pod-a connects", func() bool { return len(connectedNodes(t, s, j.ID)) == 1 })
	assert.Equal(t, 0, a.stop(t), "%s", a.stderr)
	var old api.JumpointNodeInfo
	eventually(t, 10*time.Second, "pod-a's node is offline", func() bool {
		n := nodes()
		if len(n) != 1 || n[0].Connected {
			return false
		}
		old = n[0]
		return true
	})
	assert.Equal(t, "pod-a", old.HostID)
	assert.NotNil(t, old.LastSeenAt)

	// The replacement has a new volume and another host id.
	dirB := filepath.Join(t.TempDir(), "pod-b")
	refused := e.startRun([]string{"JUMPGATE_AGENT_HOST_ID=pod-b"}, "--dir", dirB, "--key-info-file", secret)
	select {
	case <-refused.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("the refused pod did not exit:\n%s", refused.stderr)
	}
	assert.Equal(t, 1, refused.stop(t))
	assert.Contains(t, refused.stderr.String(), `the appliance refused the enrollment: jumpoint "single" is not clustered and already has a node (node `+
		itoa(old.ID)+` on "`+old.Hostname+`", not connected since `)
	assert.Contains(t, refused.stderr.String(), "remove that node with DELETE /api/v1/jumpoints/"+itoa(j.ID)+"/nodes/"+itoa(old.ID))
	assertGone(t, dirB)

	require.NoError(t, s.Admin.DeleteJumpointNode(ctx, j.ID, old.ID))
	b := e.startRun([]string{"JUMPGATE_AGENT_HOST_ID=pod-b"}, "--dir", dirB, "--key-info-file", secret)
	var cur api.JumpointNodeInfo
	eventually(t, 30*time.Second, "pod-b enrolls and connects", func() bool {
		n := nodes()
		if len(n) != 1 || !n[0].Connected {
			return false
		}
		cur = n[0]
		return true
	})
	assert.Equal(t, "pod-b", cur.HostID)
	assert.NotEqual(t, old.ID, cur.ID)
	st, err := state.Load(dirB)
	require.NoError(t, err)

	require.NoError(t, s.Admin.DeleteJumpointNode(ctx, j.ID, cur.ID))
	select {
	case <-b.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("the removed node's agent did not exit:\n%s", b.stderr)
	}
	assert.Equal(t, 0, b.stop(t), "%s", b.stderr)
	assert.Contains(t, b.stderr.String(), "the node was removed from the jumpoint on the appliance")
	entries, err := os.ReadDir(dirB)
	require.NoError(t, err, "the volume's mount point stays")
	assert.Empty(t, entries, "the agent emptied its dir")
	assert.Empty(t, nodes())

	// The removed node's key is retired: put its state back, as a copy of
	// the volume would, and the appliance tells it to uninstall rather
	// than let it in.
	require.NoError(t, st.Save(dirB))
	p := e.startRun([]string{"JUMPGATE_AGENT_HOST_ID=pod-b"}, "--dir", dirB)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("an agent with the removed key kept running:\n%s", p.stderr)
	}
	assert.Contains(t, p.stderr.String(), `msg=uninstalling reason="the appliance deleted this jumpoint"`)
	assert.Empty(t, nodes(), "nothing enrolled")
	entries, err = os.ReadDir(dirB)
	require.NoError(t, err)
	assert.Empty(t, entries)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
