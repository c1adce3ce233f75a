package server_test

import (
	"context"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/keyinfo"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
	"github.com/jumpgate/jumpgate/appliance/internal/app"
	"github.com/jumpgate/jumpgate/internal/pgtest"
)

func TestRestart_SQLite(t *testing.T) {
	t.Parallel()
	testRestart(t)
}

func TestRestart_Postgres(t *testing.T) {
	t.Parallel()
	testRestart(t, appliancetest.WithDatabase(pgtest.NewDatabase(t)))
}

// testRestart stops an appliance and starts another on the same data:
// configuration, credentials, key material and the audit trail survive,
// and the first-start bootstrap does not run again.
func testRestart(t *testing.T, opts ...appliancetest.Option) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	opts = append(opts, appliancetest.WithDataDir(dir))

	var (
		adminToken, userToken string
		caPEM                 []byte
		group                 *api.JumpGroup
		gpol                  *api.GroupPolicy
		tunnel                *api.ProtocolTunnelJump
		installer             *api.JumpClientInstaller
		settings              *api.JumpClientSettings
		user                  *api.User
		events                int
	)
	// The first appliance runs in a subtest, so it stops when the subtest ends.
	t.Run("first start", func(t *testing.T) {
		s := appliancetest.NewServer(t, opts...)
		require.NotEmpty(t, s.App.AdminToken, "the first start bootstraps an admin")
		c := s.Admin
		adminToken, caPEM = s.AdminToken, s.CAPEM
		var uc *api.Client
		user, uc = s.NewUser(t, false)
		userToken = bearerOf(t, s, uc)[len("Bearer "):]
		var err error
		gpol, err = c.CreateGroupPolicy(ctx, &api.GroupPolicy{Name: "restarters", Members: []int64{user.ID}})
		require.NoError(t, err)
		group, err = c.CreateJumpGroup(ctx, &api.JumpGroup{Name: "Persistent", CodeName: "persistent",
			Memberships: []api.JumpGroupMembership{{GroupPolicyID: gpol.ID, Role: api.RoleStart}}})
		require.NoError(t, err)
		gpol, err = c.GetGroupPolicy(ctx, gpol.ID)
		require.NoError(t, err)
		jpt, err := c.CreateJumpoint(ctx, &api.Jumpoint{Name: "DC", CodeName: "dc", ProtocolTunnelEnabled: true})
		require.NoError(t, err)
		tunnel, err = c.CreateProtocolTunnelJump(ctx, &api.ProtocolTunnelJump{Name: "db", JumpointID: jpt.ID, Hostname: "db.internal",
			TunnelDefinitions: []api.TunnelDefinition{{LocalPort: 5432, RemotePort: 5432}}, JumpGroupID: group.ID})
		require.NoError(t, err)
		installer, err = c.CreateJumpClientInstaller(ctx, &api.JumpClientInstaller{JumpGroupID: group.ID, ValidDuration: 600})
		require.NoError(t, err)
		cur, err := c.GetJumpClientSettings(ctx)
		require.NoError(t, err)
		cur.UpgradeMode = api.UpgradeThisVersion
		settings, err = c.UpdateJumpClientSettings(ctx, cur)
		require.NoError(t, err)
		events = countAuditEvents(t, c)
	})
	require.False(t, t.Failed())

	s := appliancetest.NewServer(t, opts...)
	c := s.Admin

	t.Run("no second bootstrap", func(t *testing.T) {
		assert.Empty(t, s.App.AdminToken)
		assert.Equal(t, adminToken, s.AdminToken)
		saved, err := os.ReadFile(filepath.Join(dir, app.AdminTokenFile))
		require.NoError(t, err)
		assert.Equal(t, adminToken+"\n", string(saved))
		admins, err := c.ListUsers(ctx, &api.ListOptions{Filters: map[string]string{"admin": "true"}})
		require.NoError(t, err)
		if assert.Len(t, admins.Items, 1) {
			assert.Equal(t, "admin", admins.Items[0].Username)
		}
		all, err := api.ListAll(ctx, c.ListUsers, nil)
		require.NoError(t, err)
		assert.Len(t, all, 2)
	})

	t.Run("credentials survive", func(t *testing.T) {
		me, err := c.WhoAmI(ctx)
		require.NoError(t, err)
		assert.Equal(t, "admin", me.Username)
		me, err = s.Client(t, userToken).WhoAmI(ctx)
		require.NoError(t, err)
		assert.Equal(t, user.Username, me.Username)
		assert.Equal(t, caPEM, s.CAPEM, "the CA is kept, so clients keep trusting the appliance")
	})

	t.Run("configuration survives", func(t *testing.T) {
		g, err := c.GetJumpGroup(ctx, group.ID)
		require.NoError(t, err)
		assert.Equal(t, bodyOf(t, group), bodyOf(t, g))
		gp, err := c.GetGroupPolicy(ctx, gpol.ID)
		require.NoError(t, err)
		assert.Equal(t, bodyOf(t, gpol), bodyOf(t, gp))
		tj, err := c.GetProtocolTunnelJump(ctx, tunnel.ID)
		require.NoError(t, err)
		assert.Equal(t, bodyOf(t, tunnel), bodyOf(t, tj))
		in, err := c.GetJumpClientInstaller(ctx, installer.ID)
		require.NoError(t, err)
		want := clone(t, installer)
		want.KeyInfo = ""
		// Download URLs carry the appliance's address, which the restart
		// changed (a new test port).
		want.Downloads, in.Downloads = nil, nil
		assert.Equal(t, bodyOf(t, want), bodyOf(t, in))
		st, err := c.GetJumpClientSettings(ctx)
		require.NoError(t, err)
		assert.Equal(t, bodyOf(t, settings), bodyOf(t, st))
		assert.Equal(t, events, countAuditEvents(t, c), "the audit trail survives")
	})

	t.Run("installer key info still verifies", func(t *testing.T) {
		pub := s.App.Material.SigningKey.Public().(ed25519.PublicKey)
		p, err := keyinfo.Verify(installer.KeyInfo, pub, time.Now())
		require.NoError(t, err, "the signing key is kept")
		assert.Equal(t, installer.InstallerID, p.InstallerID)
	})

	t.Run("writes continue from the stored versions", func(t *testing.T) {
		out, err := c.PatchJumpGroup(ctx, group.ID, map[string]any{"comments": "after restart"}, api.IfMatch(group.Version))
		require.NoError(t, err)
		assert.Equal(t, group.Version+1, out.Version)
		assert.Equal(t, group.Memberships, out.Memberships)
		_, err = c.CreateJumpGroup(ctx, &api.JumpGroup{Name: "Persistent", CodeName: "persistent"})
		assertProblem(t, err, api.ErrConflict, "")
		vis, err := s.Client(t, userToken).ListJumpGroups(ctx, nil)
		require.NoError(t, err)
		if assert.Len(t, vis.Items, 1) {
			assert.Equal(t, group.ID, vis.Items[0].ID)
		}
	})
}
