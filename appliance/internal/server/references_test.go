package server_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
)

// TestPublicPortal_UsedByJumpClient: a Jump Client keeps the public portal
// of the installer it enrolled with, after the installer is gone, and that
// portal cannot be deleted under it: the client would name a portal that
// no longer exists, and no edit of it could be saved.
func TestPublicPortal_UsedByJumpClient(t *testing.T) {
	t.Parallel()
	onEachDatabase(t, testPortalUsedByClient)
}

func testPortalUsedByClient(t *testing.T, s *appliancetest.Server) {
	ctx := context.Background()
	c := s.Admin
	g, err := c.CreateJumpGroup(ctx, newJumpGroup())
	require.NoError(t, err)
	p, err := c.CreatePublicPortal(ctx, newPortal())
	require.NoError(t, err)
	in, err := c.CreateJumpClientInstaller(ctx, &api.JumpClientInstaller{JumpGroupID: g.ID, PublicPortalID: &p.ID, Name: "laptop"})
	require.NoError(t, err)
	enrolled, _, err := s.Enroll(t, in.KeyInfo, agentproto.Facts{HostID: "portal-host", Hostname: "portal-host"}, agentproto.Overrides{})
	require.NoError(t, err)
	require.NoError(t, c.DeleteJumpClientInstaller(ctx, in.ID))

	err = c.DeletePublicPortal(ctx, p.ID)
	assertProblem(t, err, api.ErrConflict, "")
	assert.Equal(t, `public portal "`+p.Hostname+`" is still used by 1 jump client`, problemDetail(err))

	require.NoError(t, c.DeleteJumpClient(ctx, enrolled.ID))
	require.NoError(t, c.DeletePublicPortal(ctx, p.ID))
	require.NoError(t, c.DeleteJumpGroup(ctx, g.ID))
}
