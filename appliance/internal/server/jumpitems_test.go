package server_test

import (
	"context"
	"fmt"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
)

// TestJumpItems lists Jump Clients and Protocol Tunnel Jumps in one list, on
// each database: a non-admin sees exactly the items of the groups they are a
// member of and of their personal list, filters, search and every sort page
// across both kinds in the order of the whole list, and total counts.
func TestJumpItems(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, s *appliancetest.Server) {
		ctx := context.Background()
		admin := s.Admin
		fx := newFixtures(t, s)
		g1, err := admin.CreateJumpGroup(ctx, newJumpGroup())
		require.NoError(t, err)
		g2, err := admin.CreateJumpGroup(ctx, newJumpGroup())
		require.NoError(t, err)
		u, uc := s.NewUser(t, false)
		_, err = admin.CreateGroupPolicy(ctx, &api.GroupPolicy{Name: uniq("viewers"), Members: []int64{u.ID},
			JumpGroups: []api.GroupPolicyJumpGroup{{JumpGroupID: g1.ID, Role: api.RoleView}}})
		require.NoError(t, err)

		visible := map[string]bool{}
		enroll := func(g *api.JumpGroup, host, tag string) int64 {
			in, err := admin.CreateJumpClientInstaller(ctx, &api.JumpClientInstaller{JumpGroupID: g.ID, Name: "laptop " + host, Tag: tag, ValidDuration: 60})
			require.NoError(t, err)
			resp, _, err := s.Enroll(t, in.KeyInfo, agentproto.Facts{HostID: host, Hostname: host}, agentproto.Overrides{})
			require.NoError(t, err)
			return resp.ID
		}
		tunnel := func(typ string, owner int64, name string) int64 {
			in := fx.newTunnelJump()
			in.Name, in.JumpGroupType, in.JumpGroupID, in.Tag = name, typ, owner, "databases"
			tj, err := admin.CreateProtocolTunnelJump(ctx, in)
			require.NoError(t, err)
			return tj.ID
		}
		key := func(kind string, id int64) string { return fmt.Sprintf("%s/%d", kind, id) }
		prefix := uniq("ji")
		visible[key(api.KindJumpClient, enroll(g1, prefix+"-web-1", "web"))] = true
		visible[key(api.KindJumpClient, enroll(g1, prefix+"-web-2", "web"))] = true
		enroll(g2, prefix+"-secret", "web")
		visible[key(api.KindProtocolTunnelJump, tunnel(api.JumpGroupShared, g1.ID, prefix+" db a"))] = true
		tunnel(api.JumpGroupShared, g2.ID, prefix+" db hidden")
		visible[key(api.KindProtocolTunnelJump, tunnel(api.JumpGroupPersonal, u.ID, prefix+" db mine"))] = true

		all := func(t *testing.T, c *api.Client, o api.ListOptions) []api.JumpItem {
			t.Helper()
			var out []api.JumpItem
			for {
				l, err := c.ListJumpItems(ctx, &o)
				require.NoError(t, err)
				require.NotNil(t, l.Total)
				out = append(out, l.Items...)
				if l.NextCursor == "" {
					assert.Equal(t, int64(len(out)), *l.Total, "total")
					return out
				}
				o.Cursor = l.NextCursor
			}
		}
		keys := func(items []api.JumpItem) []string {
			out := make([]string, len(items))
			for i, it := range items {
				out[i] = key(it.Kind, it.ID)
			}
			return out
		}

		t.Run("a non-admin sees only their items", func(t *testing.T) {
			got := keys(all(t, uc, api.ListOptions{}))
			want := mapKeys(visible)
			sort.Strings(got)
			sort.Strings(want)
			assert.Equal(t, want, got)
			// The admin sees the hidden ones too.
			assert.Len(t, all(t, admin, api.ListOptions{Search: prefix}), 6)
		})

		t.Run("fields", func(t *testing.T) {
			items := all(t, uc, api.ListOptions{Search: prefix + "-web-1"})
			require.Len(t, items, 1)
			it := items[0]
			assert.Equal(t, api.KindJumpClient, it.Kind)
			assert.Equal(t, prefix+"-web-1", it.Hostname)
			assert.Equal(t, g1.ID, it.JumpGroupID)
			assert.Equal(t, api.JumpGroupShared, it.JumpGroupType)
			assert.Equal(t, "web", it.Tag)
			assert.NotEmpty(t, it.Status)
			tj := all(t, uc, api.ListOptions{Search: "db mine"})
			require.Len(t, tj, 1)
			assert.Equal(t, api.KindProtocolTunnelJump, tj[0].Kind)
			assert.Equal(t, api.TunnelOffline, tj[0].Status, "no node of its jumpoint is connected")
			assert.Equal(t, "db.internal", tj[0].Hostname)
			require.NotNil(t, tj[0].JumpointID)
			assert.Equal(t, fx.jumpoint.ID, *tj[0].JumpointID)
		})

		t.Run("filters", func(t *testing.T) {
			for _, tt := range []struct {
				name    string
				filters map[string]string
				search  string
				want    int
			}{
				{"kind", map[string]string{"kind": api.KindJumpClient}, "", 2},
				{"tunnels", map[string]string{"kind": api.KindProtocolTunnelJump}, "", 2},
				{"tag", map[string]string{"tag": "databases"}, "", 2},
				{"group", map[string]string{"jump_group_id": itoa(g1.ID), "jump_group_type": api.JumpGroupShared}, "", 3},
				{"status", map[string]string{"status": api.TunnelOffline}, "", 4},
				{"status online", map[string]string{"status": api.ClientOnline}, "", 0},
				{"search host", nil, "WEB-2", 1},
				{"search wildcard", nil, "%", 0},
				{"jumpoint", map[string]string{"jumpoint_id": itoa(fx.jumpoint.ID)}, "", 2},
			} {
				t.Run(tt.name, func(t *testing.T) {
					assert.Len(t, all(t, uc, api.ListOptions{Filters: tt.filters, Search: tt.search}), tt.want)
				})
			}
		})

		t.Run("every sort pages across kinds", func(t *testing.T) {
			for _, s := range []string{"", "name", "-name", "tag", "-tag", "status", "hostname", "-hostname", "kind", "-kind", "id", "-id"} {
				whole := keys(all(t, admin, api.ListOptions{Sort: s, Search: prefix, Limit: 500}))
				for _, limit := range []int{1, 2, 5} {
					assert.Equal(t, whole, keys(all(t, admin, api.ListOptions{Sort: s, Search: prefix, Limit: limit})), "sort %q limit %d", s, limit)
				}
			}
			names := all(t, admin, api.ListOptions{Sort: "-name", Search: prefix})
			for i := 1; i < len(names); i++ {
				assert.GreaterOrEqual(t, names[i-1].Name, names[i].Name)
			}
		})

		t.Run("refusals", func(t *testing.T) {
			_, err := uc.ListJumpItems(ctx, &api.ListOptions{Sort: "comments"})
			assertProblem(t, err, api.ErrValidation, "sort")
			_, err = uc.ListJumpItems(ctx, &api.ListOptions{Filters: map[string]string{"installer_id": "x"}})
			assertProblem(t, err, api.ErrBadRequest, "installer_id")
			l, err := uc.ListJumpItems(ctx, &api.ListOptions{Limit: 1})
			require.NoError(t, err)
			_, err = uc.ListJumpItems(ctx, &api.ListOptions{Limit: 1, Sort: "tag", Cursor: l.NextCursor})
			assertProblem(t, err, api.ErrValidation, "cursor")
		})
	})
}
