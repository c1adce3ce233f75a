package agenthub_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
	"github.com/jumpgate/jumpgate/internal/pgtest"
)

// TestHub_PresenceBelongsToTheConnection moves a Jump Client from one
// appliance process to another on one PostgreSQL database, as an agent does
// when a replica goes away: the first process noticing the old connection
// end afterwards must not mark offline the client that the second now
// holds; the second's disconnect does.
func TestHub_PresenceBelongsToTheConnection(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	a, _, in := setup(t, dsn)
	b := appliancetest.NewServer(t, appliancetest.WithDatabase(dsn), appliancetest.WithDataDir(a.DataDir))
	ha, hb := a.App.Server.Hub, b.App.Server.Hub
	e, key, err := a.Enroll(t, in.KeyInfo, facts("host-r"), agentproto.Overrides{})
	require.NoError(t, err)
	status := func() string {
		c, err := a.Admin.GetJumpClient(ctx, e.ID)
		require.NoError(t, err)
		return c.Status
	}

	onA, refused := dial(t, a, agentproto.KindJumpClient, e.ID, key, agentproto.IntentRun, facts("host-r"))
	require.Nil(t, refused)
	eventually(t, "connected to A", func() bool { return ha.IsConnected(agentproto.KindJumpClient, e.ID) })
	ha.Flush(ctx)
	require.Equal(t, api.ClientOnline, status())

	onB, refused := dial(t, b, agentproto.KindJumpClient, e.ID, key, agentproto.IntentRun, facts("host-r"))
	require.Nil(t, refused)
	eventually(t, "connected to B", func() bool { return hb.IsConnected(agentproto.KindJumpClient, e.ID) })
	hb.Flush(ctx)

	_ = onA.mux.Close()
	eventually(t, "A saw its connection end", func() bool { return !ha.IsConnected(agentproto.KindJumpClient, e.ID) })
	ha.Flush(ctx)
	assert.Equal(t, api.ClientOnline, status(), "A's late disconnect must not hide the connection B holds")

	_ = onB.mux.Close()
	eventually(t, "B saw its connection end", func() bool { return !hb.IsConnected(agentproto.KindJumpClient, e.ID) })
	hb.Flush(ctx)
	assert.Equal(t, api.ClientOffline, status())
}
