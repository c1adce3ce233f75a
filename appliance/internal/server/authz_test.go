package server_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
	"github.com/jumpgate/jumpgate/appliance/internal/route"
	"github.com/jumpgate/jumpgate/appliance/internal/tunneljump"
)

// testAuthorisation checks every refusal of authentication and
// authorisation: default deny, admins write configuration, users see only
// their own jump groups, items and tokens.
func testAuthorisation(t *testing.T, s *appliancetest.Server, fx *fixtures) {
	t.Run("unauthenticated", func(t *testing.T) { testUnauthenticated(t, s) })
	t.Run("every route is guarded", func(t *testing.T) { testRouteGuards(t, s, fx) })
	t.Run("credentials that stop working", func(t *testing.T) { testDeadCredentials(t, s) })
	t.Run("whoami", func(t *testing.T) { testWhoAmI(t, s, fx) })
	t.Run("non-admins cannot write configuration", func(t *testing.T) { testNonAdminWrites(t, s, fx) })
	t.Run("non-admin reads", func(t *testing.T) { testNonAdminReads(t, s, fx) })
	t.Run("jump group visibility", func(t *testing.T) { testJumpGroupVisibility(t, s, fx) })
	t.Run("own api tokens", func(t *testing.T) { testOwnTokens(t, s, fx) })
}

// raw sends a request with an optional Authorization header value.
func raw(t *testing.T, s *appliancetest.Server, method, path, authorization, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := s.Admin.HTTPClient().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

func testUnauthenticated(t *testing.T, s *appliancetest.Server) {
	ctx := context.Background()
	tests := []struct {
		name  string
		token string
	}{
		{"no token", ""},
		{"garbage token", "garbage"},
		{"well-formed unknown token", "jgt_" + strings.Repeat("a", 52)},
		{"admin token with a character changed", s.AdminToken[:len(s.AdminToken)-1] + flip(s.AdminToken[len(s.AdminToken)-1])},
		{"the word Bearer", "Bearer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := s.Client(t, tt.token)
			_, err := c.WhoAmI(ctx)
			assertProblem(t, err, api.ErrUnauthorized, "")
			hdr, err := c.Do(ctx, http.MethodGet, api.PathJumpGroups, nil, nil, nil)
			assertProblem(t, err, api.ErrUnauthorized, "")
			assert.Contains(t, hdr.Get("WWW-Authenticate"), "Bearer")
			_, err = c.CreateJumpGroup(ctx, newJumpGroup())
			assertProblem(t, err, api.ErrUnauthorized, "")
		})
	}
	for _, tt := range []struct{ name, header string }{
		{"basic scheme", "Basic YWRtaW46YWRtaW4="},
		{"token without scheme", s.AdminToken},
		{"bearer without token", "Bearer "},
		{"admin token in another scheme", "Token " + s.AdminToken},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := raw(t, s, http.MethodGet, "/api/v1/whoami", tt.header, "")
			assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, body)
			assert.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
		})
	}
}

func flip(b byte) string {
	if b == 'a' {
		return "b"
	}
	return "a"
}

// testRouteGuards walks the server's route table, so that a route added
// later is checked without anyone remembering to: every authenticated route
// refuses requests without a valid token, and every admin-only route refuses
// non-admins, before looking at the request body.
func testRouteGuards(t *testing.T, s *appliancetest.Server, fx *fixtures) {
	_, uc := s.NewUser(t, false)
	userToken := bearerOf(t, s, uc)
	routes := s.App.Server.Routes
	require.Greater(t, len(routes), 60)
	var authenticated, adminOnly int
	for _, r := range routes {
		path := strings.ReplaceAll(r.Path, ":id", itoa(fx.group.ID))
		t.Run(r.Method+" "+r.Path, func(t *testing.T) {
			body := ""
			if r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodPatch {
				body = "{}"
			}
			if r.Access == route.Public {
				resp, b := raw(t, s, r.Method, path, "", body)
				// The agent endpoints are public to bearer tokens: they
				// authenticate with signed key info or the agent's own key;
				// the console's login with a username and password.
				want := map[string]int{agentproto.PathEnroll: http.StatusUnprocessableEntity, agentproto.PathConnect: http.StatusUpgradeRequired,
					api.PathAuthLogin: http.StatusUnprocessableEntity,
					// A signed download refuses a request without its signature.
					"/api/v1/signed-downloads/jump-client-installers/:id/:platform": http.StatusForbidden}[r.Path]
				if want == 0 {
					want = http.StatusOK
				}
				assert.Equal(t, want, resp.StatusCode, b)
				return
			}
			authenticated++
			for _, auth := range []string{"", "Bearer jgt_unknown", "Basic YWRtaW46YWRtaW4="} {
				resp, b := raw(t, s, r.Method, path, auth, body)
				assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "Authorization %q: %s", auth, b)
				assert.NotEmpty(t, resp.Header.Get("WWW-Authenticate"))
			}
			if !r.AdminOnly {
				return
			}
			adminOnly++
			bodies := []string{body}
			if body != "" {
				// Refusing comes before reading: a non-admin learns nothing
				// about what a valid request would look like.
				bodies = append(bodies, `{"unknown_member": 1}`, `{"name": 5}`, `not json`)
			}
			for _, b := range bodies {
				resp, out := raw(t, s, r.Method, path, userToken, b)
				assert.Equal(t, http.StatusForbidden, resp.StatusCode, "body %q: %s", b, out)
			}
		})
	}
	assert.Greater(t, authenticated, 50)
	assert.Greater(t, adminOnly, 40)
}

// bearerOf returns the Authorization header of a client, by asking the
// appliance for a new token of the client's user.
func bearerOf(t *testing.T, s *appliancetest.Server, c *api.Client) string {
	t.Helper()
	tok, err := c.CreateAPIToken(context.Background(), &api.APIToken{Name: uniq("raw")})
	require.NoError(t, err)
	return "Bearer " + tok.Token
}

func testDeadCredentials(t *testing.T, s *appliancetest.Server) {
	ctx := context.Background()
	admin := s.Admin
	tests := []struct {
		name string
		// kill makes the credentials of u (whose client is uc) stop working.
		kill func(t *testing.T, u *api.User, uc *api.Client)
		// revive, when set, makes them work again.
		revive func(t *testing.T, u *api.User)
	}{
		{name: "revoked by an admin", kill: func(t *testing.T, _ *api.User, uc *api.Client) {
			me, err := uc.WhoAmI(ctx)
			require.NoError(t, err)
			require.NoError(t, admin.DeleteAPIToken(ctx, me.TokenID))
		}},
		{name: "revoked by its owner", kill: func(t *testing.T, _ *api.User, uc *api.Client) {
			me, err := uc.WhoAmI(ctx)
			require.NoError(t, err)
			require.NoError(t, uc.DeleteAPIToken(ctx, me.TokenID))
		}},
		{name: "expired", kill: func(t *testing.T, _ *api.User, uc *api.Client) {
			me, err := uc.WhoAmI(ctx)
			require.NoError(t, err)
			tok, err := admin.GetAPIToken(ctx, me.TokenID)
			require.NoError(t, err)
			tok.ExpiresAt = ptr(time.Now().Add(-time.Second).UTC())
			_, err = admin.UpdateAPIToken(ctx, tok.ID, tok)
			require.NoError(t, err)
		}},
		{name: "user disabled", kill: func(t *testing.T, u *api.User, _ *api.Client) {
			_, err := admin.PatchUser(ctx, u.ID, map[string]any{"enabled": false})
			require.NoError(t, err)
		}, revive: func(t *testing.T, u *api.User) {
			_, err := admin.PatchUser(ctx, u.ID, map[string]any{"enabled": true})
			require.NoError(t, err)
		}},
		{name: "user deleted", kill: func(t *testing.T, u *api.User, _ *api.Client) {
			require.NoError(t, admin.DeleteUser(ctx, u.ID))
		}},
	}
	for _, tt := range tests {
		for _, isAdmin := range []bool{false, true} {
			name := tt.name
			if isAdmin {
				name += " (admin)"
			}
			t.Run(name, func(t *testing.T) {
				u, uc := s.NewUser(t, isAdmin)
				_, err := uc.WhoAmI(ctx)
				require.NoError(t, err)
				tt.kill(t, u, uc)
				_, err = uc.WhoAmI(ctx)
				assertProblem(t, err, api.ErrUnauthorized, "")
				_, err = uc.ListJumpGroups(ctx, nil)
				assertProblem(t, err, api.ErrUnauthorized, "")
				_, err = uc.CreateAPIToken(ctx, &api.APIToken{Name: "new"})
				assertProblem(t, err, api.ErrUnauthorized, "")
				if tt.revive != nil {
					tt.revive(t, u)
					_, err = uc.WhoAmI(ctx)
					assert.NoError(t, err)
				}
			})
		}
	}
	t.Run("expiry set at creation", func(t *testing.T) {
		u, _ := s.NewUser(t, false)
		tok, err := admin.CreateAPIToken(ctx, &api.APIToken{Name: "short", UserID: u.ID, ExpiresAt: ptr(time.Now().Add(time.Hour))})
		require.NoError(t, err)
		_, err = s.Client(t, tok.Token).WhoAmI(ctx)
		require.NoError(t, err, "a token works until it expires")
	})
}

func testWhoAmI(t *testing.T, s *appliancetest.Server, fx *fixtures) {
	ctx := context.Background()
	me, err := s.Admin.WhoAmI(ctx)
	require.NoError(t, err)
	assert.Equal(t, fx.adminID, me.UserID)
	assert.Equal(t, "admin", me.Username)
	assert.True(t, me.Admin)
	assert.Positive(t, me.TokenID)
	assert.Equal(t, api.Version, me.Version)

	u, uc := s.NewUser(t, false)
	me, err = uc.WhoAmI(ctx)
	require.NoError(t, err)
	assert.Equal(t, u.ID, me.UserID)
	assert.Equal(t, u.Username, me.Username)
	assert.False(t, me.Admin)
	tok, err := s.Admin.GetAPIToken(ctx, me.TokenID)
	require.NoError(t, err)
	assert.Equal(t, u.ID, tok.UserID)
}

// testNonAdminWrites tries every configuration write as a non-admin that is
// an editor of the group holding the items, and checks each is refused and
// changes nothing.
func testNonAdminWrites(t *testing.T, s *appliancetest.Server, fx *fixtures) {
	ctx := context.Background()
	admin := s.Admin
	u, uc := s.NewUser(t, false)
	gp, err := admin.CreateGroupPolicy(ctx, &api.GroupPolicy{Name: uniq("editors"), Members: []int64{u.ID},
		JumpGroups: []api.GroupPolicyJumpGroup{{JumpGroupID: fx.group.ID, Role: api.RoleEdit}}})
	require.NoError(t, err)
	before := countAuditEvents(t, admin)

	personal := fx.newTunnelJump()
	personal.JumpGroupType, personal.JumpGroupID = api.JumpGroupPersonal, u.ID
	tests := []struct {
		name string
		path string
		id   int64
		// body is a valid create body.
		body map[string]any
		// change is a merge patch an attacker would like.
		change map[string]any
	}{
		{"jump group the user edits items of", api.PathJumpGroups, fx.group.ID, bodyOf(t, newJumpGroup()), map[string]any{"memberships": []any{}}},
		{"jump policy", api.PathJumpPolicies, fx.jumpPolicy.ID, bodyOf(t, newJumpPolicy()), map[string]any{"approval_required": false}},
		{"session policy", api.PathSessionPolicies, fx.sessionPolicy.ID, bodyOf(t, newSessionPolicy()), map[string]any{"record_shell": false}},
		{"jumpoint", api.PathJumpoints, fx.jumpoint.ID, bodyOf(t, newJumpoint()), map[string]any{"enabled": false}},
		{"jump client installer", api.PathJumpClientInstallers, fx.installer.ID, bodyOf(t, fx.newInstaller()), map[string]any{"valid_duration": 525600}},
		{"protocol tunnel jump in a group the user edits", api.PathProtocolTunnelJumps, fx.tunnelJump.ID, bodyOf(t, fx.newTunnelJump()), map[string]any{"hostname": "evil.example.com"}},
		{"protocol tunnel jump on the user's own list", api.PathProtocolTunnelJumps, fx.tunnelJump.ID, bodyOf(t, personal), map[string]any{"jump_group_type": "personal", "jump_group_id": u.ID}},
		{"public portal", api.PathPublicPortals, fx.portal.ID, bodyOf(t, newPortal()), map[string]any{"default": true}},
		{"the user itself", api.PathUsers, u.ID, bodyOf(t, newUser()), map[string]any{"admin": true}},
		{"another user", api.PathUsers, fx.adminID, bodyOf(t, newUser()), map[string]any{"password": "a new admin password"}},
		{"group policy the user is in", api.PathGroupPolicies, gp.ID, bodyOf(t, newGroupPolicy()), map[string]any{"members": []any{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			item := itemPath(tt.path, tt.id)
			cur := map[string]any{}
			_, err := admin.Do(ctx, http.MethodGet, item, nil, nil, &cur)
			require.NoError(t, err)
			wanted := with(t, cur)
			for k, v := range tt.change {
				wanted[k] = v
			}

			_, err = uc.Do(ctx, http.MethodPost, tt.path, nil, tt.body, nil)
			assertProblem(t, err, api.ErrForbidden, "")
			_, err = uc.Do(ctx, http.MethodPut, item, nil, wanted, nil)
			assertProblem(t, err, api.ErrForbidden, "")
			_, err = uc.Do(ctx, http.MethodPatch, item, nil, tt.change, nil)
			assertProblem(t, err, api.ErrForbidden, "")
			_, err = uc.Do(ctx, http.MethodDelete, item, nil, nil, nil)
			assertProblem(t, err, api.ErrForbidden, "")

			after := map[string]any{}
			_, err = admin.Do(ctx, http.MethodGet, item, nil, nil, &after)
			require.NoError(t, err)
			assert.Equal(t, cur, after, "a refused write must change nothing")
		})
	}
	t.Run("settings", func(t *testing.T) {
		cur, err := uc.GetJumpClientSettings(ctx)
		require.NoError(t, err, "every user may read the settings")
		in := clone(t, cur)
		in.RestrictLocalUninstall = !in.RestrictLocalUninstall
		_, err = uc.UpdateJumpClientSettings(ctx, in)
		assertProblem(t, err, api.ErrForbidden, "")
		_, err = uc.Do(ctx, http.MethodPatch, api.PathJumpClientSettings, nil, map[string]any{"upgrade_mode": "disabled"}, nil)
		assertProblem(t, err, api.ErrForbidden, "")
		after, err := admin.GetJumpClientSettings(ctx)
		require.NoError(t, err)
		assert.Equal(t, cur, after)
	})
	t.Run("nothing was written", func(t *testing.T) {
		assert.Equal(t, before, countAuditEvents(t, admin))
	})
}

func testNonAdminReads(t *testing.T, s *appliancetest.Server, fx *fixtures) {
	ctx := context.Background()
	_, uc := s.NewUser(t, false)
	refused := []struct {
		path string
		id   int64
	}{
		{api.PathUsers, fx.adminID},
		{api.PathGroupPolicies, fx.groupPolicy.ID},
		{api.PathJumpoints, fx.jumpoint.ID},
		{api.PathJumpClientInstallers, fx.installer.ID},
	}
	for _, tt := range refused {
		t.Run(tt.path+" refused", func(t *testing.T) {
			_, err := uc.Do(ctx, http.MethodGet, tt.path, nil, nil, nil)
			assertProblem(t, err, api.ErrForbidden, "")
			_, err = uc.Do(ctx, http.MethodGet, itemPath(tt.path, tt.id), nil, nil, nil)
			assertProblem(t, err, api.ErrForbidden, "")
		})
	}
	t.Run("installer key info refused", func(t *testing.T) {
		ki, err := uc.GetInstallerKeyInfo(ctx, fx.installer.ID)
		assertProblem(t, err, api.ErrForbidden, "")
		assert.Nil(t, ki)
	})
	t.Run("audit events refused", func(t *testing.T) {
		_, err := uc.ListAuditEvents(ctx, nil)
		assertProblem(t, err, api.ErrForbidden, "")
		_, err = uc.ListAuditEvents(ctx, &api.ListOptions{Filters: map[string]string{"actor": "admin"}})
		assertProblem(t, err, api.ErrForbidden, "")
	})
	// Policies and portals are what a user's console shows about its items.
	allowed := []struct {
		path string
		id   int64
	}{
		{api.PathJumpPolicies, fx.jumpPolicy.ID},
		{api.PathSessionPolicies, fx.sessionPolicy.ID},
		{api.PathPublicPortals, fx.portal.ID},
	}
	for _, tt := range allowed {
		t.Run(tt.path+" allowed", func(t *testing.T) {
			l := &api.List[map[string]any]{}
			_, err := uc.Do(ctx, http.MethodGet, tt.path, nil, nil, l)
			require.NoError(t, err)
			assert.NotEmpty(t, l.Items)
			_, err = uc.Do(ctx, http.MethodGet, itemPath(tt.path, tt.id), nil, nil, nil)
			assert.NoError(t, err)
		})
	}
}

// testJumpGroupVisibility checks that a non-admin sees exactly the jump
// groups its group policies give it, and the items in them or on its own
// personal list, and that filters cannot widen that.
func testJumpGroupVisibility(t *testing.T, s *appliancetest.Server, fx *fixtures) {
	ctx := context.Background()
	admin := s.Admin
	v, vc := s.NewUser(t, false)
	w, wc := s.NewUser(t, false)

	var groups [3]*api.JumpGroup
	for i := range groups {
		g, err := admin.CreateJumpGroup(ctx, newJumpGroup())
		require.NoError(t, err)
		groups[i] = g
	}
	g1, g2, g3 := groups[0], groups[1], groups[2]
	gpV, err := admin.CreateGroupPolicy(ctx, &api.GroupPolicy{Name: uniq("v"), Members: []int64{v.ID},
		JumpGroups: []api.GroupPolicyJumpGroup{{JumpGroupID: g1.ID, Role: api.RoleView}}})
	require.NoError(t, err)
	// A membership of a policy v is not in gives v nothing.
	gpOther, err := admin.CreateGroupPolicy(ctx, &api.GroupPolicy{Name: uniq("others"), Members: []int64{w.ID},
		JumpGroups: []api.GroupPolicyJumpGroup{{JumpGroupID: g2.ID, Role: api.RoleEdit}}})
	require.NoError(t, err)

	newItem := func(typ string, owner int64) *api.ProtocolTunnelJump {
		in := fx.newTunnelJump()
		in.JumpGroupType, in.JumpGroupID = typ, owner
		out, err := admin.CreateProtocolTunnelJump(ctx, in)
		require.NoError(t, err)
		return out
	}
	inG1 := newItem(api.JumpGroupShared, g1.ID)
	inG2 := newItem(api.JumpGroupShared, g2.ID)
	inG3 := newItem(api.JumpGroupShared, g3.ID)
	ofV := newItem(api.JumpGroupPersonal, v.ID)
	ofW := newItem(api.JumpGroupPersonal, w.ID)
	// Personal item whose owner id equals a group id v can see: must not
	// leak through the shared branch, and vice versa.
	// Such an item cannot be made through the API unless a user happens to
	// have g1's id, so write the row directly: this checks the scope query.
	leak := &tunneljump.Record{Name: uniq("leak"), JumpointID: fx.jumpoint.ID, Hostname: "leak.internal",
		TunnelDefinitions: []api.TunnelDefinition{{RemotePort: 22}}, TunnelListenAddress: "127.0.0.1",
		JumpGroupID: g1.ID, JumpGroupType: api.JumpGroupPersonal}
	leak.Version, leak.CreatedAt, leak.UpdatedAt = 1, time.Now().UTC(), time.Now().UTC()
	require.NoError(t, s.App.DB.W.Create(leak).Error)
	ofG1ID := &api.ProtocolTunnelJump{Meta: api.Meta{ID: leak.ID}, Name: leak.Name}

	groupIDs := func(t *testing.T, c *api.Client, filters map[string]string) []int64 {
		t.Helper()
		all, err := api.ListAll(ctx, c.ListJumpGroups, &api.ListOptions{Limit: 1, Filters: filters})
		require.NoError(t, err)
		var ids []int64
		for _, g := range all {
			ids = append(ids, g.ID)
		}
		return ids
	}
	itemIDs := func(t *testing.T, c *api.Client, filters map[string]string) []int64 {
		t.Helper()
		all, err := api.ListAll(ctx, c.ListProtocolTunnelJumps, &api.ListOptions{Limit: 2, Filters: filters})
		require.NoError(t, err)
		var ids []int64
		for _, it := range all {
			ids = append(ids, it.ID)
		}
		return ids
	}

	t.Run("jump groups", func(t *testing.T) {
		assert.Equal(t, []int64{g1.ID}, groupIDs(t, vc, nil))
		got, err := vc.GetJumpGroup(ctx, g1.ID)
		require.NoError(t, err)
		assert.Equal(t, g1.CodeName, got.CodeName)
		for _, g := range []*api.JumpGroup{g2, g3, fx.group} {
			_, err := vc.GetJumpGroup(ctx, g.ID)
			assertProblem(t, err, api.ErrNotFound, "")
		}
		assert.Empty(t, groupIDs(t, vc, map[string]string{"code_name": g2.CodeName}), "a filter cannot widen what a user sees")
		assert.Equal(t, []int64{g2.ID}, groupIDs(t, wc, nil))
	})

	t.Run("a user in no group policy sees nothing", func(t *testing.T) {
		_, xc := s.NewUser(t, false)
		assert.Empty(t, groupIDs(t, xc, nil))
		assert.Empty(t, itemIDs(t, xc, nil))
	})

	t.Run("protocol tunnel jumps", func(t *testing.T) {
		assert.ElementsMatch(t, []int64{inG1.ID, ofV.ID}, itemIDs(t, vc, nil))
		for _, it := range []*api.ProtocolTunnelJump{inG2, inG3, ofW, ofG1ID, fx.tunnelJump} {
			_, err := vc.GetProtocolTunnelJump(ctx, it.ID)
			assertProblem(t, err, api.ErrNotFound, "")
		}
		got, err := vc.GetProtocolTunnelJump(ctx, ofV.ID)
		require.NoError(t, err)
		assert.Equal(t, ofV.Name, got.Name)
		for _, f := range []map[string]string{
			{"jump_group_type": "personal", "jump_group_id": itoa(w.ID)},
			{"jump_group_type": "personal", "jump_group_id": itoa(g1.ID)},
			{"jump_group_id": itoa(g2.ID)},
			{"jump_group_type": "shared", "jump_group_id": itoa(g3.ID)},
			{"name": inG3.Name},
		} {
			assert.Empty(t, itemIDs(t, vc, f), "filter %v must not widen what a user sees", f)
		}
		assert.Equal(t, []int64{inG1.ID}, itemIDs(t, vc, map[string]string{"jump_group_type": "shared"}))
		assert.ElementsMatch(t, []int64{inG2.ID, ofW.ID}, itemIDs(t, wc, nil))
	})

	t.Run("membership changes take effect at once", func(t *testing.T) {
		_, err := admin.PatchGroupPolicy(ctx, gpOther.ID, map[string]any{"members": []any{w.ID, v.ID}})
		require.NoError(t, err)
		assert.Equal(t, []int64{g1.ID, g2.ID}, groupIDs(t, vc, nil))
		assert.ElementsMatch(t, []int64{inG1.ID, inG2.ID, ofV.ID}, itemIDs(t, vc, nil))
		_, err = admin.PatchGroupPolicy(ctx, gpV.ID, map[string]any{"members": []any{}})
		require.NoError(t, err)
		assert.Equal(t, []int64{g2.ID}, groupIDs(t, vc, nil))
		_, err = vc.GetJumpGroup(ctx, g1.ID)
		assertProblem(t, err, api.ErrNotFound, "")
		_, err = admin.PatchJumpGroup(ctx, g2.ID, map[string]any{"memberships": []any{}})
		require.NoError(t, err)
		assert.Empty(t, groupIDs(t, vc, nil))
		assert.Equal(t, []int64{ofV.ID}, itemIDs(t, vc, nil))
	})
}

func testOwnTokens(t *testing.T, s *appliancetest.Server, fx *fixtures) {
	ctx := context.Background()
	admin := s.Admin
	u, uc := s.NewUser(t, false)
	me, err := uc.WhoAmI(ctx)
	require.NoError(t, err)
	adminMe, err := admin.WhoAmI(ctx)
	require.NoError(t, err)

	own, err := uc.CreateAPIToken(ctx, &api.APIToken{Name: "laptop"})
	require.NoError(t, err)
	assert.Equal(t, u.ID, own.UserID, "a token belongs to its creator by default")
	ownClient := s.Client(t, own.Token)
	who, err := ownClient.WhoAmI(ctx)
	require.NoError(t, err)
	assert.Equal(t, u.Username, who.Username)
	explicit, err := uc.CreateAPIToken(ctx, &api.APIToken{Name: "ci", UserID: u.ID})
	require.NoError(t, err)

	t.Run("cannot create one for another user", func(t *testing.T) {
		tok, err := uc.CreateAPIToken(ctx, &api.APIToken{Name: "stolen", UserID: fx.adminID})
		assertProblem(t, err, api.ErrForbidden, "")
		assert.Nil(t, tok)
		l, err := admin.ListAPITokens(ctx, &api.ListOptions{Filters: map[string]string{"name": "stolen"}})
		require.NoError(t, err)
		assert.Empty(t, l.Items)
	})

	t.Run("lists only its own", func(t *testing.T) {
		all, err := api.ListAll(ctx, uc.ListAPITokens, &api.ListOptions{Limit: 1})
		require.NoError(t, err)
		var ids []int64
		for _, tok := range all {
			assert.Equal(t, u.ID, tok.UserID)
			assert.Empty(t, tok.Token)
			ids = append(ids, tok.ID)
		}
		assert.ElementsMatch(t, []int64{me.TokenID, own.ID, explicit.ID}, ids)
		l, err := uc.ListAPITokens(ctx, &api.ListOptions{Filters: map[string]string{"user_id": itoa(fx.adminID)}})
		require.NoError(t, err)
		assert.Empty(t, l.Items, "a filter cannot widen what a user sees")
	})

	t.Run("cannot touch another user's", func(t *testing.T) {
		_, err := uc.GetAPIToken(ctx, adminMe.TokenID)
		assertProblem(t, err, api.ErrNotFound, "")
		_, err = uc.UpdateAPIToken(ctx, adminMe.TokenID, &api.APIToken{Name: "mine now"})
		assertProblem(t, err, api.ErrNotFound, "")
		_, err = uc.Do(ctx, http.MethodPatch, itemPath(api.PathAPITokens, adminMe.TokenID), nil, map[string]any{"name": "mine now"}, nil)
		assertProblem(t, err, api.ErrNotFound, "")
		assertProblem(t, uc.DeleteAPIToken(ctx, adminMe.TokenID), api.ErrNotFound, "")
		_, err = admin.WhoAmI(ctx)
		require.NoError(t, err)
		tok, err := admin.GetAPIToken(ctx, adminMe.TokenID)
		require.NoError(t, err)
		assert.NotEqual(t, "mine now", tok.Name)
	})

	t.Run("cannot give its own away", func(t *testing.T) {
		_, err := uc.UpdateAPIToken(ctx, own.ID, &api.APIToken{Name: "laptop", UserID: fx.adminID})
		assertProblem(t, err, api.ErrForbidden, "")
		tok, err := uc.GetAPIToken(ctx, own.ID)
		require.NoError(t, err)
		assert.Equal(t, u.ID, tok.UserID)
		who, err := ownClient.WhoAmI(ctx)
		require.NoError(t, err)
		assert.False(t, who.Admin)
	})

	t.Run("manages its own", func(t *testing.T) {
		out, err := uc.UpdateAPIToken(ctx, own.ID, &api.APIToken{Name: "old laptop"}, api.IfMatch(own.Version))
		require.NoError(t, err)
		assert.Equal(t, "old laptop", out.Name)
		assert.Equal(t, u.ID, out.UserID)
		require.NoError(t, uc.DeleteAPIToken(ctx, own.ID))
		_, err = ownClient.WhoAmI(ctx)
		assertProblem(t, err, api.ErrUnauthorized, "")
		l, err := admin.ListAPITokens(ctx, &api.ListOptions{Filters: map[string]string{"user_id": itoa(u.ID)}})
		require.NoError(t, err)
		assert.Len(t, l.Items, 2, "admins see every user's tokens")
	})
}
