package main

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
)

// TestCLI_AgainstAppliance drives the CLI against a real appliance: login,
// whoami, list and get with filters and JSON output, the audit log, and the
// refusals a user meets (bad token, non-admin reads, missing object).
func TestCLI_AgainstAppliance(t *testing.T) {
	s := appliancetest.NewServer(t)
	ctx := context.Background()
	g, err := s.Admin.CreateJumpGroup(ctx, &api.JumpGroup{Name: "Operations", CodeName: "ops", Labels: map[string]string{"team": "ops", "tier": "1"}})
	require.NoError(t, err)
	for _, cn := range []string{"a", "b", "c"} {
		_, err := s.Admin.CreateJumpGroup(ctx, &api.JumpGroup{Name: "Group " + cn, CodeName: "g-" + cn})
		require.NoError(t, err)
	}

	vars := map[string]string{envConfigDir: t.TempDir()}
	r := runCLI(t, vars, "", "login", "--url", s.URL, "--token", s.AdminToken, "--ca-cert", s.CAFile)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "as admin")

	r = runCLI(t, vars, "", "whoami", "-o", "json")
	require.Equal(t, 0, r.code, r.stderr)
	var me api.WhoAmI
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &me))
	assert.True(t, me.Admin)

	r = runCLI(t, vars, "", "list", "jump-groups")
	require.Equal(t, 0, r.code, r.stderr)
	for _, cn := range []string{"ops", "g-a", "g-b", "g-c"} {
		assert.Contains(t, r.stdout, cn)
	}

	r = runCLI(t, vars, "", "list", "jump_groups", "--filter", "code_name=ops", "-o", "json")
	require.Equal(t, 0, r.code, r.stderr)
	var got []api.JumpGroup
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &got))
	require.Len(t, got, 1)
	assert.Equal(t, g.ID, got[0].ID)

	// Labels select on the appliance; every --label must match.
	for _, tt := range []struct {
		labels []string
		want   []int64
	}{
		{[]string{"team=ops"}, []int64{g.ID}},
		{[]string{"team=ops", "tier"}, []int64{g.ID}},
		{[]string{"team=ops", "tier=2"}, nil},
		{[]string{"team=op"}, nil},
	} {
		args := []string{"list", "jump-groups", "-o", "json"}
		for _, l := range tt.labels {
			args = append(args, "--label", l)
		}
		r = runCLI(t, vars, "", args...)
		require.Equal(t, 0, r.code, r.stderr)
		var sel []api.JumpGroup
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &sel))
		var ids []int64
		for _, x := range sel {
			ids = append(ids, x.ID)
			assert.Equal(t, api.Labels{"team": "ops", "tier": "1"}, x.Labels, "-o json carries the labels")
		}
		assert.Equal(t, tt.want, ids, "--label %v", tt.labels)
	}
	// --search and --sort are the appliance's ?q= and ?sort=.
	r = runCLI(t, vars, "", "list", "jump-groups", "--search", "GROUP", "--sort", "-code_name", "-o", "json")
	require.Equal(t, 0, r.code, r.stderr)
	var found []api.JumpGroup
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &found))
	var codes []string
	for _, x := range found {
		codes = append(codes, x.CodeName)
	}
	assert.Equal(t, []string{"g-c", "g-b", "g-a"}, codes)
	r = runCLI(t, vars, "", "list", "jump-groups", "--sort", "colour")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "sort")
	r = runCLI(t, vars, "", "items", "list", "--search", "nothing-matches", "--sort", "name", "-o", "json")
	require.Equal(t, 0, r.code, r.stderr)
	assert.JSONEq(t, "[]", r.stdout)

	r = runCLI(t, vars, "", "list", "jump-groups", "--label", "team", "--show-labels")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "LABELS")
	assert.Contains(t, r.stdout, "team=ops,tier=1")

	r = runCLI(t, vars, "", "get", "jump-group", "999")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "jump group 999 does not exist")

	r = runCLI(t, vars, "", "list", "audit-events", "--object-type", "jump-groups", "--actor", "admin")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "g-c")

	r = runCLI(t, vars, "", "get", "settings", "-o", "json")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"upgrade_mode"`)

	// A non-admin: sees no jump group it is not a member of, may not read users.
	_, userClient := s.NewUser(t, false)
	tok, err := userClient.CreateAPIToken(ctx, &api.APIToken{Name: "cli"})
	require.NoError(t, err)
	uvars := map[string]string{envConfigDir: t.TempDir(), "JUMPGATE_URL": s.URL, "JUMPGATE_TOKEN": tok.Token, "JUMPGATE_CA_CERT": s.CAFile}
	r = runCLI(t, uvars, "", "list", "jump-groups", "-o", "json")
	require.Equal(t, 0, r.code, r.stderr)
	assert.JSONEq(t, `[]`, r.stdout)
	r = runCLI(t, uvars, "", "list", "users")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "403")

	// A revoked token is refused with a clear line.
	require.NoError(t, userClient.DeleteAPIToken(ctx, tok.ID))
	r = runCLI(t, uvars, "", "whoami")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "401")

	// Without the CA the TLS failure names the fix.
	r = runCLI(t, map[string]string{envConfigDir: t.TempDir(), "JUMPGATE_URL": s.URL, "JUMPGATE_TOKEN": s.AdminToken}, "", "whoami")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "--ca-cert")
}
