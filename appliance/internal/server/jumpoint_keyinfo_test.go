package server_test

import (
	"context"
	"crypto/ed25519"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/api/keyinfo"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
	"github.com/jumpgate/jumpgate/appliance/internal/dist"
)

// TestJumpoint_KeyInfo checks GET /jumpoints/{id}/key-info on each
// supported database.
func TestJumpoint_KeyInfo(t *testing.T) {
	t.Parallel()
	onEachDatabase(t, testJumpointKeyInfo)
}

func testJumpointKeyInfo(t *testing.T, s *appliancetest.Server) {
	ctx := context.Background()
	c := s.Admin
	j, err := c.CreateJumpoint(ctx, &api.Jumpoint{Name: "Cluster", CodeName: uniq("cluster"), Clustered: true})
	require.NoError(t, err)

	t.Run("fresh key info of kind jumpoint that enrolls nodes", func(t *testing.T) {
		before := time.Now()
		got, err := c.GetJumpointKeyInfo(ctx, j.ID)
		require.NoError(t, err)
		assert.Equal(t, j.ID, got.JumpointID)
		assert.WithinDuration(t, before.Add(dist.JumpointKeyValidity), got.ExpiresAt, 5*time.Second)

		p, err := keyinfo.Verify(got.KeyInfo, s.App.Material.SigningKey.Public().(ed25519.PublicKey), time.Now())
		require.NoError(t, err)
		assert.Equal(t, keyinfo.KindJumpoint, p.Kind)
		assert.Equal(t, strconv.FormatInt(j.ID, 10), p.InstallerID)
		assert.Equal(t, s.URL, p.URL)
		assert.Equal(t, s.App.Material.CAPin, p.CAPin)
		assert.Empty(t, p.Overrides)
		assert.Equal(t, got.ExpiresAt.Unix(), p.Expires, "expires_at is the key info's own expiry")

		for _, host := range []string{"node-a", "node-b"} {
			resp, _, err := s.Enroll(t, got.KeyInfo, agentproto.Facts{HostID: host, Hostname: host}, agentproto.Overrides{})
			require.NoError(t, err)
			assert.Equal(t, agentproto.KindJumpoint, resp.Kind)
			assert.Equal(t, j.Name, resp.Name)
		}

		again, err := c.GetJumpointKeyInfo(ctx, j.ID)
		require.NoError(t, err)
		assert.False(t, again.ExpiresAt.Before(got.ExpiresAt), "every call issues key info valid for 24 hours from then")
	})

	t.Run("audit event key_info without the key info", func(t *testing.T) {
		evs, err := api.ListAll(ctx, c.ListAuditEvents, &api.ListOptions{Filters: map[string]string{
			"object_type": "jumpoint", "object_id": strconv.FormatInt(j.ID, 10), "action": "key_info",
		}})
		require.NoError(t, err)
		require.Len(t, evs, 2)
		ev := evs[0]
		assert.Equal(t, "admin", ev.Actor)
		assert.Equal(t, j.CodeName, ev.ObjectName)
		assert.Equal(t, []string{"expires_at"}, keys(ev.Diff))
		assert.NotContains(t, rawAuditEvents(t, c, map[string]string{"object_type": "jumpoint"}), keyinfo.Prefix)
	})

	t.Run("refusals", func(t *testing.T) {
		disabled, err := c.CreateJumpoint(ctx, &api.Jumpoint{Name: "Off", CodeName: uniq("off"), Enabled: api.Bool(false)})
		require.NoError(t, err)
		_, user := s.NewUser(t, false)
		_, admin := s.NewUser(t, true)
		tests := []struct {
			name   string
			client *api.Client
			id     int64
			want   error
			detail string
		}{
			{"no token", s.Client(t, ""), j.ID, api.ErrUnauthorized, ""},
			{"unknown token", s.Client(t, "jgt_unknown"), j.ID, api.ErrUnauthorized, ""},
			{"not an administrator", user, j.ID, api.ErrForbidden, ""},
			{"not an administrator, unknown jumpoint", user, 999999, api.ErrForbidden, ""},
			{"unknown jumpoint", c, 999999, api.ErrNotFound, "jumpoint 999999 does not exist"},
			{"disabled jumpoint", c, disabled.ID, api.ErrConflict,
				`jumpoint "` + disabled.CodeName + `" is disabled; set enabled to true before issuing key info for its nodes`},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := tt.client.GetJumpointKeyInfo(ctx, tt.id)
				assert.Nil(t, got)
				assertProblem(t, err, tt.want, "")
				assert.Contains(t, problemDetail(err), tt.detail)
			})
		}
		_, err = admin.GetJumpointKeyInfo(ctx, j.ID)
		require.NoError(t, err, "any administrator may")
		resp, body := raw(t, s, http.MethodGet, "/api/v1/jumpoints/"+itoa(j.ID)+"/key-info", "Bearer "+s.AdminToken, "")
		require.Equal(t, http.StatusOK, resp.StatusCode, body)
		assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"), "key info is not cached")

		evs, err := api.ListAll(ctx, c.ListAuditEvents, &api.ListOptions{Filters: map[string]string{"action": "key_info"}})
		require.NoError(t, err)
		assert.Len(t, evs, 4, "refusals write no audit event")
	})
}
