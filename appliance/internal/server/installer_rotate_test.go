package server_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/api/keyinfo"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
)

// TestInstaller_RotateKey checks POST /jump-client-installers/{id}/rotate-key
// on each supported database.
func TestInstaller_RotateKey(t *testing.T) {
	t.Parallel()
	onEachDatabase(t, testRotateKey)
}

func testRotateKey(t *testing.T, s *appliancetest.Server) {
	ctx := context.Background()
	c := s.Admin
	g, err := c.CreateJumpGroup(ctx, newJumpGroup())
	require.NoError(t, err)
	in, err := c.CreateJumpClientInstaller(ctx, &api.JumpClientInstaller{JumpGroupID: g.ID, ValidDuration: 60, Tag: "rotated", AllowOverrideTag: true})
	require.NoError(t, err)
	require.NotEmpty(t, in.KeyInfo)
	enroll := func(t *testing.T, key, host string) error {
		t.Helper()
		_, _, err := s.Enroll(t, key, agentproto.Facts{HostID: host, Hostname: host}, agentproto.Overrides{})
		return err
	}

	t.Run("a new installer id, window and key info", func(t *testing.T) {
		before := time.Now().UTC().Truncate(time.Second)
		out, err := c.RotateInstallerKey(ctx, in.ID, api.IfMatch(in.Version))
		require.NoError(t, err)
		assert.Equal(t, in.ID, out.ID)
		assert.Equal(t, in.Version+1, out.Version)
		assert.NotEqual(t, in.InstallerID, out.InstallerID)
		assert.Len(t, out.InstallerID, 16)
		assert.NotEqual(t, in.KeyInfo, out.KeyInfo)
		assert.WithinRange(t, out.ExpiresAt, before.Add(60*time.Minute), time.Now().Add(60*time.Minute))
		// The settings are kept.
		assert.Equal(t, "rotated", out.Tag)
		assert.True(t, out.AllowOverrideTag)
		assert.Equal(t, 60, out.ValidDuration)

		p, _, _, err := keyinfo.Parse(out.KeyInfo)
		require.NoError(t, err)
		assert.Equal(t, out.InstallerID, p.InstallerID)
		assert.Equal(t, out.ExpiresAt.Unix(), p.Expires)
		assert.Equal(t, []string{"tag"}, p.Overrides)

		require.Len(t, out.Downloads, len(api.Platforms))
		for _, d := range out.Downloads {
			assert.Contains(t, d.FileName, out.InstallerID)
		}
		got, err := c.GetJumpClientInstaller(ctx, in.ID)
		require.NoError(t, err)
		assert.Equal(t, out.InstallerID, got.InstallerID)
		assert.Equal(t, out.Version, got.Version)
		assert.Empty(t, got.KeyInfo, "a plain read never carries key info")
		ki, err := c.GetInstallerKeyInfo(ctx, in.ID)
		require.NoError(t, err)
		assert.Equal(t, out.KeyInfo, ki.KeyInfo)

		// The old key info no longer enrolls; the new one does.
		assertProblem(t, enroll(t, in.KeyInfo, "old-key"), api.ErrForbidden, "")
		assert.Contains(t, problemDetail(enroll(t, in.KeyInfo, "old-key")), in.InstallerID)
		require.NoError(t, enroll(t, out.KeyInfo, "new-key"))

		// Clients already installed are not affected by a later rotation.
		clients, err := api.ListAll(ctx, c.ListJumpClients, &api.ListOptions{Filters: map[string]string{"installer_id": out.InstallerID}})
		require.NoError(t, err)
		require.Len(t, clients, 1)
		again, err := c.RotateInstallerKey(ctx, in.ID)
		require.NoError(t, err)
		cl, err := c.GetJumpClient(ctx, clients[0].ID)
		require.NoError(t, err)
		assert.Equal(t, out.InstallerID, cl.InstallerID)
		in = again
	})

	t.Run("audit event rotate_key", func(t *testing.T) {
		evs, err := api.ListAll(ctx, c.ListAuditEvents, &api.ListOptions{Filters: map[string]string{
			"object_type": "jump_client_installer", "object_id": strconv.FormatInt(in.ID, 10), "action": "rotate_key",
		}})
		require.NoError(t, err)
		require.Len(t, evs, 2)
		ev := evs[1]
		assert.Equal(t, "admin", ev.Actor)
		assert.Equal(t, in.InstallerID, ev.ObjectName)
		assert.Equal(t, []string{"expires_at", "installer_id"}, keys(ev.Diff))
		assert.Equal(t, in.InstallerID, ev.Diff["installer_id"].New)
		assert.Equal(t, evs[0].Diff["installer_id"].New, ev.Diff["installer_id"].Old)
		assert.NotContains(t, rawAuditEvents(t, c, map[string]string{"object_type": "jump_client_installer"}), keyinfo.Prefix)
	})

	t.Run("stale If-Match", func(t *testing.T) {
		_, err := c.RotateInstallerKey(ctx, in.ID, api.IfMatch(in.Version-1))
		assertProblem(t, err, api.ErrPreconditionFailed, "")
		got, err := c.GetJumpClientInstaller(ctx, in.ID)
		require.NoError(t, err)
		assert.Equal(t, in.InstallerID, got.InstallerID, "a refused rotation changes nothing")
		assert.Equal(t, in.Version, got.Version)
	})

	t.Run("administrators only", func(t *testing.T) {
		_, user := s.NewUser(t, false)
		_, err := user.RotateInstallerKey(ctx, in.ID)
		assertProblem(t, err, api.ErrForbidden, "")
		got, err := c.GetJumpClientInstaller(ctx, in.ID)
		require.NoError(t, err)
		assert.Equal(t, in.InstallerID, got.InstallerID)
	})

	t.Run("missing installer", func(t *testing.T) {
		_, err := c.RotateInstallerKey(ctx, in.ID+1000)
		assertProblem(t, err, api.ErrNotFound, "")
	})

	t.Run("renews an expired installer", func(t *testing.T) {
		res := s.App.DB.W.Table("jump_client_installers").Where("id = ?", in.ID).
			Update("expires_at", time.Now().UTC().Add(-time.Minute).Truncate(time.Second))
		require.NoError(t, res.Error)
		ki, err := c.GetInstallerKeyInfo(ctx, in.ID)
		require.NoError(t, err)
		assertProblem(t, enroll(t, ki.KeyInfo, "expired"), api.ErrForbidden, "")

		out, err := c.RotateInstallerKey(ctx, in.ID)
		require.NoError(t, err)
		assert.True(t, out.ExpiresAt.After(time.Now()))
		require.NoError(t, enroll(t, out.KeyInfo, "renewed"))
	})
}
