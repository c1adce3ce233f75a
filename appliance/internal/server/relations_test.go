package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
	"github.com/jumpgate/jumpgate/appliance/internal/jumpoint"
)

// testConflicts checks the 409s: unique clashes, a second default portal,
// and deleting objects that others still use.
func testConflicts(t *testing.T, s *appliancetest.Server, fx *fixtures) {
	ctx := context.Background()
	c := s.Admin

	t.Run("unique clash on update", func(t *testing.T) {
		g, err := c.CreateJumpGroup(ctx, newJumpGroup())
		require.NoError(t, err)
		_, err = c.PatchJumpGroup(ctx, g.ID, map[string]any{"code_name": fx.group.CodeName})
		assertProblem(t, err, api.ErrConflict, "")
		assert.Contains(t, problemDetail(err), "code_name")
		// Keeping one's own unique value is no clash.
		_, err = c.PatchJumpGroup(ctx, g.ID, map[string]any{"code_name": g.CodeName, "comments": "same code name"})
		require.NoError(t, err)
		require.NoError(t, c.DeleteJumpGroup(ctx, g.ID))

		u, err := c.CreateUser(ctx, newUser())
		require.NoError(t, err)
		_, err = c.PatchUser(ctx, u.ID, map[string]any{"username": "admin"})
		assertProblem(t, err, api.ErrConflict, "")
		require.NoError(t, c.DeleteUser(ctx, u.ID))
	})

	t.Run("username clash ignoring case", func(t *testing.T) {
		u := newUser()
		_, err := c.CreateUser(ctx, u)
		require.NoError(t, err)
		other := newUser()
		other.Username = strings.ToUpper(u.Username)
		_, err = c.CreateUser(ctx, other)
		assertProblem(t, err, api.ErrConflict, "")
		assert.Contains(t, problemDetail(err), "ignoring case")
	})

	t.Run("capability still relied on", func(t *testing.T) {
		// fx.jumpoint serves fx.tunnelJump; fx.proxyJumpoint is no installer's proxy yet.
		_, err := c.PatchJumpoint(ctx, fx.jumpoint.ID, map[string]any{"protocol_tunnel_enabled": false})
		assertProblem(t, err, api.ErrConflict, "")
		assert.Contains(t, problemDetail(err), "protocol tunnel jump")
		got, err := c.GetJumpoint(ctx, fx.jumpoint.ID)
		require.NoError(t, err)
		assert.True(t, got.ProtocolTunnelEnabled, "nothing changed")

		inst := fx.newInstaller()
		inst.JumpointProxyID = &fx.proxyJumpoint.ID
		in, err := c.CreateJumpClientInstaller(ctx, inst)
		require.NoError(t, err)
		_, err = c.PatchJumpoint(ctx, fx.proxyJumpoint.ID, map[string]any{"jump_zone_proxy": map[string]any{"enabled": false}})
		assertProblem(t, err, api.ErrConflict, "")
		assert.Contains(t, problemDetail(err), "jumpoint proxy")
		require.NoError(t, c.DeleteJumpClientInstaller(ctx, in.ID))
		// With nothing relying on it, the switch is allowed.
		j, err := c.CreateJumpoint(ctx, newJumpoint())
		require.NoError(t, err)
		_, err = c.PatchJumpoint(ctx, j.ID, map[string]any{"protocol_tunnel_enabled": false})
		require.NoError(t, err)
	})

	t.Run("second default public portal", func(t *testing.T) {
		first := newPortal()
		first.Default = true
		p1, err := c.CreatePublicPortal(ctx, first)
		require.NoError(t, err)
		second := newPortal()
		second.Default = true
		_, err = c.CreatePublicPortal(ctx, second)
		assertProblem(t, err, api.ErrConflict, "")
		assert.Contains(t, problemDetail(err), p1.Hostname, "the conflict names the current default")

		second.Default = false
		p2, err := c.CreatePublicPortal(ctx, second)
		require.NoError(t, err)
		_, err = c.PatchPublicPortal(ctx, p2.ID, map[string]any{"default": true})
		assertProblem(t, err, api.ErrConflict, "")
		l, err := c.ListPublicPortals(ctx, &api.ListOptions{Filters: map[string]string{"default": "true"}})
		require.NoError(t, err)
		if assert.Len(t, l.Items, 1) {
			assert.Equal(t, p1.ID, l.Items[0].ID)
		}
		// Moving the default is two writes: unset, then set.
		_, err = c.PatchPublicPortal(ctx, p1.ID, map[string]any{"default": false})
		require.NoError(t, err)
		_, err = c.PatchPublicPortal(ctx, p2.ID, map[string]any{"default": true})
		require.NoError(t, err)
		require.NoError(t, c.DeletePublicPortal(ctx, p2.ID))
		require.NoError(t, c.DeletePublicPortal(ctx, p1.ID))
	})

	t.Run("objects in use cannot be deleted", func(t *testing.T) {
		jp, err := c.CreateJumpPolicy(ctx, newJumpPolicy())
		require.NoError(t, err)
		sp, err := c.CreateSessionPolicy(ctx, newSessionPolicy())
		require.NoError(t, err)
		jpt, err := c.CreateJumpoint(ctx, newJumpoint())
		require.NoError(t, err)
		proxyIn := newJumpoint()
		proxyIn.JumpZoneProxy = api.JumpZoneProxy{Enabled: true, Hostname: "jzp.example.com"}
		proxy, err := c.CreateJumpoint(ctx, proxyIn)
		require.NoError(t, err)
		portalIn := newPortal()
		portalIn.SessionPolicyID = &sp.ID
		portal, err := c.CreatePublicPortal(ctx, portalIn)
		require.NoError(t, err)
		gpol, err := c.CreateGroupPolicy(ctx, newGroupPolicy())
		require.NoError(t, err)
		gIn := newJumpGroup()
		gIn.Memberships = []api.JumpGroupMembership{{GroupPolicyID: gpol.ID, Role: api.RoleStart, JumpPolicyID: &jp.ID}}
		g, err := c.CreateJumpGroup(ctx, gIn)
		require.NoError(t, err)

		tjIn := fx.newTunnelJump()
		tjIn.JumpGroupID, tjIn.JumpointID, tjIn.JumpPolicyID, tjIn.SessionPolicyID = g.ID, jpt.ID, &jp.ID, &sp.ID
		tj, err := c.CreateProtocolTunnelJump(ctx, tjIn)
		require.NoError(t, err)
		inIn := fx.newInstaller()
		inIn.JumpGroupID, inIn.JumpPolicyID, inIn.AttendedSessionPolicyID = g.ID, &jp.ID, &sp.ID
		inIn.PublicPortalID, inIn.JumpointProxyID = &portal.ID, &proxy.ID
		installer, err := c.CreateJumpClientInstaller(ctx, inIn)
		require.NoError(t, err)

		tests := []struct {
			name    string
			del     func() error
			get     func() error
			reasons []string
		}{
			{name: "jump group holding items",
				del: func() error { return c.DeleteJumpGroup(ctx, g.ID) }, get: func() error { _, err := c.GetJumpGroup(ctx, g.ID); return err },
				reasons: []string{g.CodeName, "still holds 1 protocol tunnel jump and 1 jump client installer;"}},
			{name: "jump policy in use",
				del: func() error { return c.DeleteJumpPolicy(ctx, jp.ID) }, get: func() error { _, err := c.GetJumpPolicy(ctx, jp.ID); return err },
				reasons: []string{jp.CodeName, "still used by 1 protocol tunnel jump, 1 jump client installer and 1 jump group membership"}},
			{name: "session policy in use",
				del: func() error { return c.DeleteSessionPolicy(ctx, sp.ID) }, get: func() error { _, err := c.GetSessionPolicy(ctx, sp.ID); return err },
				reasons: []string{sp.CodeName, "still used by 1 protocol tunnel jump, 1 public portal and 1 jump client installer (attended)"}},
			{name: "jumpoint in use",
				del: func() error { return c.DeleteJumpoint(ctx, jpt.ID) }, get: func() error { _, err := c.GetJumpoint(ctx, jpt.ID); return err },
				reasons: []string{jpt.CodeName, "still used by 1 protocol tunnel jump"}},
			{name: "jump zone proxy in use",
				del: func() error { return c.DeleteJumpoint(ctx, proxy.ID) }, get: func() error { _, err := c.GetJumpoint(ctx, proxy.ID); return err },
				reasons: []string{proxy.CodeName, "1 jump client installer (as jumpoint proxy)"}},
			{name: "public portal in use",
				del: func() error { return c.DeletePublicPortal(ctx, portal.ID) }, get: func() error { _, err := c.GetPublicPortal(ctx, portal.ID); return err },
				reasons: []string{portal.Hostname, "still used by 1 jump client installer"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := tt.del()
				assertProblem(t, err, api.ErrConflict, "")
				for _, r := range tt.reasons {
					assert.Contains(t, problemDetail(err), r)
				}
				assert.NoError(t, tt.get(), "a refused delete must keep the object")
			})
		}

		// With one holder gone the reason shrinks; with none the deletes work.
		require.NoError(t, c.DeleteProtocolTunnelJump(ctx, tj.ID))
		err = c.DeleteJumpGroup(ctx, g.ID)
		assertProblem(t, err, api.ErrConflict, "")
		assert.NotContains(t, problemDetail(err), "protocol tunnel jump")
		assert.Contains(t, problemDetail(err), "still holds 1 jump client installer;")
		require.NoError(t, c.DeleteJumpClientInstaller(ctx, installer.ID))
		require.NoError(t, c.DeleteJumpGroup(ctx, g.ID))
		gp, err := c.GetGroupPolicy(ctx, gpol.ID)
		require.NoError(t, err)
		assert.Empty(t, gp.JumpGroups, "deleting a jump group removes its memberships")
		require.NoError(t, c.DeleteJumpPolicy(ctx, jp.ID), "the memberships that used the policy went with the group")
		require.NoError(t, c.DeleteJumpoint(ctx, jpt.ID))
		require.NoError(t, c.DeleteJumpoint(ctx, proxy.ID))
		err = c.DeleteSessionPolicy(ctx, sp.ID)
		assertProblem(t, err, api.ErrConflict, "")
		require.NoError(t, c.DeletePublicPortal(ctx, portal.ID))
		require.NoError(t, c.DeleteSessionPolicy(ctx, sp.ID))
		require.NoError(t, c.DeleteGroupPolicy(ctx, gpol.ID))
	})

	t.Run("user with a personal list", func(t *testing.T) {
		u, uc := s.NewUser(t, false)
		in := fx.newTunnelJump()
		in.JumpGroupType, in.JumpGroupID = api.JumpGroupPersonal, u.ID
		tj, err := c.CreateProtocolTunnelJump(ctx, in)
		require.NoError(t, err)
		err = c.DeleteUser(ctx, u.ID)
		assertProblem(t, err, api.ErrConflict, "")
		assert.Contains(t, problemDetail(err), "personal list")
		require.NoError(t, c.DeleteProtocolTunnelJump(ctx, tj.ID))
		require.NoError(t, c.DeleteUser(ctx, u.ID))
		_, err = uc.WhoAmI(ctx)
		assertProblem(t, err, api.ErrUnauthorized, "")
	})

	t.Run("user who approves jumps", func(t *testing.T) {
		u, err := c.CreateUser(ctx, newUser())
		require.NoError(t, err)
		in := newJumpPolicy()
		in.ApprovalRequired, in.ApprovalUserIDs = true, []int64{fx.adminID, u.ID}
		jp, err := c.CreateJumpPolicy(ctx, in)
		require.NoError(t, err)
		err = c.DeleteUser(ctx, u.ID)
		assertProblem(t, err, api.ErrConflict, "")
		assert.Contains(t, problemDetail(err), jp.CodeName)
		// The policy stays as stored, and valid: writing it back works.
		_, err = c.UpdateJumpPolicy(ctx, jp.ID, jp)
		require.NoError(t, err)
		_, err = c.PatchJumpPolicy(ctx, jp.ID, map[string]any{"approval_user_ids": []any{fx.adminID}})
		require.NoError(t, err)
		require.NoError(t, c.DeleteUser(ctx, u.ID))
		require.NoError(t, c.DeleteJumpPolicy(ctx, jp.ID))
	})

	t.Run("delete yourself", func(t *testing.T) {
		err := c.DeleteUser(ctx, fx.adminID)
		assertProblem(t, err, api.ErrConflict, "")
		assert.Contains(t, problemDetail(err), "your own user")
		_, err = c.WhoAmI(ctx)
		require.NoError(t, err)
	})
}

// testLastAdmin checks that the appliance always keeps an enabled
// administrator. It needs an appliance of its own, to count admins.
func testLastAdmin(t *testing.T, s *appliancetest.Server) {
	ctx := context.Background()
	c := s.Admin
	me, err := c.WhoAmI(ctx)
	require.NoError(t, err)

	for _, tt := range []struct {
		name  string
		patch map[string]any
	}{
		{"demote the last admin", map[string]any{"admin": false}},
		{"disable the last admin", map[string]any{"enabled": false}},
		{"demote and disable the last admin", map[string]any{"admin": false, "enabled": false}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.PatchUser(ctx, me.UserID, tt.patch)
			assertProblem(t, err, api.ErrConflict, "")
			assert.Contains(t, problemDetail(err), "last enabled administrator")
		})
	}
	err = c.DeleteUser(ctx, me.UserID)
	assertProblem(t, err, api.ErrConflict, "")

	// A disabled administrator does not count.
	dis, err := c.CreateUser(ctx, &api.User{Username: "dormant", Admin: true, Enabled: api.Bool(false)})
	require.NoError(t, err)
	_, err = c.PatchUser(ctx, me.UserID, map[string]any{"admin": false})
	assertProblem(t, err, api.ErrConflict, "")

	// With a second enabled admin, the first may go.
	u2, c2 := s.NewUser(t, true)
	_, err = c2.PatchUser(ctx, me.UserID, map[string]any{"admin": false})
	require.NoError(t, err)
	_, err = c.CreateJumpGroup(ctx, newJumpGroup())
	assertProblem(t, err, api.ErrForbidden, "")
	_, err = c2.PatchUser(ctx, u2.ID, map[string]any{"admin": false})
	assertProblem(t, err, api.ErrConflict, "")
	_, err = c2.PatchUser(ctx, dis.ID, map[string]any{"enabled": true})
	require.NoError(t, err)
	_, err = c2.PatchUser(ctx, u2.ID, map[string]any{"admin": false})
	require.NoError(t, err, "another enabled admin exists now")
	admins, err := s.Client(t, s.AdminToken).ListUsers(ctx, &api.ListOptions{Filters: map[string]string{"admin": "true"}})
	assertProblem(t, err, api.ErrForbidden, "")
	assert.Nil(t, admins)
}

// testMemberships checks that the membership relation is one relation,
// written and read from both the jump group and the group policy side.
func testMemberships(t *testing.T, s *appliancetest.Server, fx *fixtures) {
	ctx := context.Background()
	c := s.Admin
	gp1, err := c.CreateGroupPolicy(ctx, newGroupPolicy())
	require.NoError(t, err)
	gp2, err := c.CreateGroupPolicy(ctx, newGroupPolicy())
	require.NoError(t, err)
	g2, err := c.CreateJumpGroup(ctx, newJumpGroup())
	require.NoError(t, err)

	gIn := newJumpGroup()
	gIn.Memberships = []api.JumpGroupMembership{
		{GroupPolicyID: gp2.ID, Role: api.RoleEdit, JumpPolicyID: &fx.jumpPolicy.ID},
		{GroupPolicyID: gp1.ID, Role: api.RoleView},
	}
	g, err := c.CreateJumpGroup(ctx, gIn)
	require.NoError(t, err)
	want := []api.JumpGroupMembership{
		{GroupPolicyID: gp1.ID, Role: api.RoleView},
		{GroupPolicyID: gp2.ID, Role: api.RoleEdit, JumpPolicyID: &fx.jumpPolicy.ID},
	}
	assert.Equal(t, want, g.Memberships)

	groupSide := func(t *testing.T, id int64) []api.JumpGroupMembership {
		t.Helper()
		g, err := c.GetJumpGroup(ctx, id)
		require.NoError(t, err)
		return g.Memberships
	}
	policySide := func(t *testing.T, id int64) []api.GroupPolicyJumpGroup {
		t.Helper()
		gp, err := c.GetGroupPolicy(ctx, id)
		require.NoError(t, err)
		return gp.JumpGroups
	}

	t.Run("visible from the group policy side", func(t *testing.T) {
		assert.Equal(t, []api.GroupPolicyJumpGroup{{JumpGroupID: g.ID, Role: api.RoleView}}, policySide(t, gp1.ID))
		assert.Equal(t, []api.GroupPolicyJumpGroup{{JumpGroupID: g.ID, Role: api.RoleEdit, JumpPolicyID: &fx.jumpPolicy.ID}}, policySide(t, gp2.ID))
	})

	t.Run("null leaves them unchanged", func(t *testing.T) {
		in := clone(t, g)
		in.Memberships, in.Comments = nil, "null memberships"
		out, err := c.UpdateJumpGroup(ctx, g.ID, in)
		require.NoError(t, err)
		assert.Equal(t, want, out.Memberships)
		body := with(t, bodyOf(t, out), "memberships", nil, "comments", "no memberships member")
		_, err = c.Do(ctx, http.MethodPut, itemPath(api.PathJumpGroups, g.ID), nil, body, nil)
		require.NoError(t, err)
		assert.Equal(t, want, groupSide(t, g.ID))
		_, err = c.PatchJumpGroup(ctx, g.ID, map[string]any{"comments": "patched"})
		require.NoError(t, err)
		assert.Equal(t, want, groupSide(t, g.ID))

		gp, err := c.GetGroupPolicy(ctx, gp1.ID)
		require.NoError(t, err)
		gp.JumpGroups, gp.Description = nil, "null jump groups"
		_, err = c.UpdateGroupPolicy(ctx, gp1.ID, gp)
		require.NoError(t, err)
		assert.Equal(t, want, groupSide(t, g.ID))
	})

	t.Run("written from the jump group side", func(t *testing.T) {
		out, err := c.PatchJumpGroup(ctx, g.ID, map[string]any{"memberships": []any{map[string]any{"group_policy_id": gp1.ID, "role": "start"}}})
		require.NoError(t, err)
		assert.Equal(t, []api.JumpGroupMembership{{GroupPolicyID: gp1.ID, Role: api.RoleStart}}, out.Memberships)
		assert.Equal(t, []api.GroupPolicyJumpGroup{{JumpGroupID: g.ID, Role: api.RoleStart}}, policySide(t, gp1.ID))
		assert.Empty(t, policySide(t, gp2.ID))
	})

	t.Run("written from the group policy side", func(t *testing.T) {
		gp, err := c.GetGroupPolicy(ctx, gp2.ID)
		require.NoError(t, err)
		gp.JumpGroups = []api.GroupPolicyJumpGroup{{JumpGroupID: g2.ID, Role: api.RoleEdit}, {JumpGroupID: g.ID, Role: api.RoleView}}
		out, err := c.UpdateGroupPolicy(ctx, gp2.ID, gp)
		require.NoError(t, err)
		assert.Equal(t, []api.GroupPolicyJumpGroup{{JumpGroupID: g.ID, Role: api.RoleView}, {JumpGroupID: g2.ID, Role: api.RoleEdit}}, sortByGroup(out.JumpGroups, g.ID))
		assert.Equal(t, []api.JumpGroupMembership{{GroupPolicyID: gp1.ID, Role: api.RoleStart}, {GroupPolicyID: gp2.ID, Role: api.RoleView}}, groupSide(t, g.ID))
		assert.Equal(t, []api.JumpGroupMembership{{GroupPolicyID: gp2.ID, Role: api.RoleEdit}}, groupSide(t, g2.ID))
	})

	t.Run("empty list clears them", func(t *testing.T) {
		out, err := c.PatchJumpGroup(ctx, g.ID, map[string]any{"memberships": []any{}})
		require.NoError(t, err)
		assert.Empty(t, out.Memberships)
		assert.NotNil(t, out.Memberships)
		assert.Empty(t, policySide(t, gp1.ID))
		assert.Equal(t, []api.GroupPolicyJumpGroup{{JumpGroupID: g2.ID, Role: api.RoleEdit}}, policySide(t, gp2.ID))

		gp, err := c.GetGroupPolicy(ctx, gp2.ID)
		require.NoError(t, err)
		gp.JumpGroups = []api.GroupPolicyJumpGroup{}
		_, err = c.UpdateGroupPolicy(ctx, gp2.ID, gp)
		require.NoError(t, err)
		assert.Empty(t, groupSide(t, g2.ID))
	})

	t.Run("changes are audited", func(t *testing.T) {
		l, err := c.ListAuditEvents(ctx, &api.ListOptions{Filters: map[string]string{"object_type": "jump_group", "object_id": itoa(g.ID), "action": "update"}})
		require.NoError(t, err)
		var withMemberships int
		for _, ev := range l.Items {
			if _, ok := ev.Diff["memberships"]; ok {
				withMemberships++
			}
		}
		assert.Equal(t, 2, withMemberships, "the two writes from the jump group side change memberships")
	})

	t.Run("deleting either side removes them", func(t *testing.T) {
		_, err := c.PatchJumpGroup(ctx, g.ID, map[string]any{"memberships": []any{
			map[string]any{"group_policy_id": gp1.ID, "role": "view"}, map[string]any{"group_policy_id": gp2.ID, "role": "view"}}})
		require.NoError(t, err)
		require.NoError(t, c.DeleteGroupPolicy(ctx, gp1.ID))
		assert.Equal(t, []api.JumpGroupMembership{{GroupPolicyID: gp2.ID, Role: api.RoleView}}, groupSide(t, g.ID))
		require.NoError(t, c.DeleteJumpGroup(ctx, g.ID))
		assert.Empty(t, policySide(t, gp2.ID))
	})

	// The relation is part of both sides' representation, so a write on one
	// side moves the other side's version: a client holding the other side's
	// old ETag gets 412 instead of silently undoing the change.
	t.Run("both sides' versions move", func(t *testing.T) {
		gp, err := c.CreateGroupPolicy(ctx, newGroupPolicy())
		require.NoError(t, err)
		g, err := c.CreateJumpGroup(ctx, newJumpGroup())
		require.NoError(t, err)
		version := func(t *testing.T, path string, id int64) string {
			t.Helper()
			hdr, err := c.Do(ctx, http.MethodGet, itemPath(path, id), nil, nil, nil)
			require.NoError(t, err)
			return hdr.Get("ETag")
		}

		staleGP := clone(t, gp)
		_, err = c.PatchJumpGroup(ctx, g.ID, map[string]any{"memberships": membershipOf(gp.ID, "view")})
		require.NoError(t, err)
		assert.Equal(t, api.ETag(gp.Version+1), version(t, api.PathGroupPolicies, gp.ID))
		_, err = c.UpdateGroupPolicy(ctx, gp.ID, staleGP, api.IfMatch(staleGP.Version))
		assertProblem(t, err, api.ErrPreconditionFailed, "")
		assert.Len(t, policySide(t, gp.ID), 1, "the refused stale write must not undo the membership")

		// Writing the same memberships again changes nothing on either side.
		cur, err := c.GetJumpGroup(ctx, g.ID)
		require.NoError(t, err)
		gpCur, err := c.GetGroupPolicy(ctx, gp.ID)
		require.NoError(t, err)
		same, err := c.UpdateJumpGroup(ctx, g.ID, cur)
		require.NoError(t, err)
		assert.Equal(t, cur.Version, same.Version)
		assert.Equal(t, api.ETag(gpCur.Version), version(t, api.PathGroupPolicies, gp.ID))

		staleG := clone(t, cur)
		_, err = c.PatchGroupPolicy(ctx, gp.ID, map[string]any{"jump_groups": []any{map[string]any{"jump_group_id": g.ID, "role": "edit"}}})
		require.NoError(t, err)
		assert.Equal(t, api.ETag(cur.Version+1), version(t, api.PathJumpGroups, g.ID))
		_, err = c.UpdateJumpGroup(ctx, g.ID, staleG, api.IfMatch(staleG.Version))
		assertProblem(t, err, api.ErrPreconditionFailed, "")

		u, err := c.CreateUser(ctx, newUser())
		require.NoError(t, err)
		gpCur, err = c.PatchGroupPolicy(ctx, gp.ID, map[string]any{"members": []any{u.ID}})
		require.NoError(t, err)
		require.NoError(t, c.DeleteUser(ctx, u.ID))
		assert.Equal(t, api.ETag(gpCur.Version+1), version(t, api.PathGroupPolicies, gp.ID), "deleting a member changes the group policy")

		gCur, err := c.GetJumpGroup(ctx, g.ID)
		require.NoError(t, err)
		_, err = c.GetGroupPolicy(ctx, gp.ID)
		require.NoError(t, err)
		require.NoError(t, c.DeleteGroupPolicy(ctx, gp.ID))
		assert.Equal(t, api.ETag(gCur.Version+1), version(t, api.PathJumpGroups, g.ID), "deleting a group policy changes its jump groups")
		gp2, err := c.CreateGroupPolicy(ctx, &api.GroupPolicy{Name: uniq("gp"), JumpGroups: []api.GroupPolicyJumpGroup{{JumpGroupID: g.ID, Role: api.RoleView}}})
		require.NoError(t, err)
		require.NoError(t, c.DeleteJumpGroup(ctx, g.ID))
		assert.Equal(t, api.ETag(gp2.Version+1), version(t, api.PathGroupPolicies, gp2.ID), "deleting a jump group changes its group policies")
	})

	t.Run("members", func(t *testing.T) {
		u1, err := c.CreateUser(ctx, newUser())
		require.NoError(t, err)
		u2, err := c.CreateUser(ctx, newUser())
		require.NoError(t, err)
		out, err := c.PatchGroupPolicy(ctx, gp2.ID, map[string]any{"members": []any{u2.ID, u1.ID}})
		require.NoError(t, err)
		assert.Equal(t, []int64{u1.ID, u2.ID}, out.Members)
		require.NoError(t, c.DeleteUser(ctx, u1.ID))
		gp, err := c.GetGroupPolicy(ctx, gp2.ID)
		require.NoError(t, err)
		assert.Equal(t, []int64{u2.ID}, gp.Members, "deleting a user removes it from group policies")
		out, err = c.PatchGroupPolicy(ctx, gp2.ID, map[string]any{"members": []any{}})
		require.NoError(t, err)
		assert.Empty(t, out.Members)
	})
}

func sortByGroup(in []api.GroupPolicyJumpGroup, first int64) []api.GroupPolicyJumpGroup {
	var a, b []api.GroupPolicyJumpGroup
	for _, x := range in {
		if x.JumpGroupID == first {
			a = append(a, x)
		} else {
			b = append(b, x)
		}
	}
	return append(a, b...)
}

// testJumpointNodes checks the rules that depend on enrolled nodes. Nodes
// enroll through the agent protocol, so the test writes them directly.
func testJumpointNodes(t *testing.T, s *appliancetest.Server) {
	ctx := context.Background()
	c := s.Admin
	in := newJumpoint()
	in.Clustered = true
	j, err := c.CreateJumpoint(ctx, in)
	require.NoError(t, err)
	now := time.Now().UTC().Truncate(time.Second)
	for i, connected := range []bool{true, true, false} {
		n := &jumpoint.Node{JumpointID: j.ID, Hostname: uniq("node"), RemoteAddr: "192.0.2.1:4000", Version: "1.0.0",
			Connected: connected, CreatedAt: now}
		if connected {
			n.ConnectedAt = ptr(now.Add(time.Duration(i) * time.Second))
		}
		require.NoError(t, s.App.DB.W.WithContext(ctx).Create(n).Error)
	}

	got, err := c.GetJumpoint(ctx, j.ID)
	require.NoError(t, err)
	assert.True(t, got.Connected)
	assert.Len(t, got.ConnectedNodes, 2, "only connected nodes are listed")
	unchanged, err := c.UpdateJumpoint(ctx, j.ID, got)
	require.NoError(t, err)
	assert.Equal(t, got.Version, unchanged.Version, "connection state is not part of the configuration")

	_, err = c.PatchJumpoint(ctx, j.ID, map[string]any{"clustered": false})
	assertProblem(t, err, api.ErrValidation, "clustered")

	require.NoError(t, c.DeleteJumpoint(ctx, j.ID))
	var n int64
	require.NoError(t, s.App.DB.R.WithContext(ctx).Model(&jumpoint.Node{}).Where("jumpoint_id = ?", j.ID).Count(&n).Error)
	assert.Zero(t, n, "deleting a jumpoint removes its nodes")
}

func membershipOf(groupPolicyID int64, role string) []any {
	return []any{map[string]any{"group_policy_id": groupPolicyID, "role": role}}
}
