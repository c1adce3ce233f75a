package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
)

// applianceVars is an environment that reaches s as the admin.
func applianceVars(t *testing.T, s *appliancetest.Server) map[string]string {
	return map[string]string{envConfigDir: t.TempDir(), api.EnvURL: s.URL, api.EnvToken: s.AdminToken, api.EnvCACert: s.CAFile}
}

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(text), 0o600))
	return p
}

func jumpGroupsByCode(t *testing.T, c *api.Client) map[string]api.JumpGroup {
	t.Helper()
	all, err := api.ListAll(context.Background(), c.ListJumpGroups, nil)
	require.NoError(t, err)
	out := map[string]api.JumpGroup{}
	for _, g := range all {
		out[g.CodeName] = g
	}
	return out
}

// TestWrite_CreateUpdateDelete drives create, update and delete against a
// real appliance, with the refusals a user meets.
func TestWrite_CreateUpdateDelete(t *testing.T) {
	s := appliancetest.NewServer(t)
	ctx := context.Background()
	vars := applianceVars(t, s)
	dir := t.TempDir()

	// YAML from a file.
	f := writeFile(t, dir, "ops.yaml", "name: Operations\ncode_name: ops\nlabels: {team: ops}\n")
	r := runCLI(t, vars, "", "create", "jump-groups", "-f", f)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "created jump-group ")
	g := jumpGroupsByCode(t, s.Admin)["ops"]
	require.NotZero(t, g.ID)
	assert.Equal(t, "Operations", g.Name)
	assert.Equal(t, api.Labels{"team": "ops"}, g.Labels)

	// JSON on stdin, -o json.
	r = runCLI(t, vars, `{"name": "Night shift", "code_name": "night"}`, "create", "jump-group", "-f", "-", "-o", "json")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"code_name": "night"`)

	// Field errors: one "field: detail" line each, exit 1, nothing created.
	before := len(jumpGroupsByCode(t, s.Admin))
	r = runCLI(t, vars, "name: \"\"\ncode_name: \"not a code name\"\n", "create", "jump-groups", "-f", "-")
	assert.Equal(t, 1, r.code)
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	require.GreaterOrEqual(t, len(lines), 3, r.stderr)
	assert.Contains(t, lines[0], "422")
	assert.Contains(t, lines, "name: is required", r.stderr)
	var codeLine bool
	for _, l := range lines[1:] {
		codeLine = codeLine || strings.HasPrefix(l, "code_name: ")
	}
	assert.True(t, codeLine, r.stderr)
	// A duplicate key and malformed input are refused too.
	r = runCLI(t, vars, "name: Again\ncode_name: ops\n", "create", "jump-groups", "-f", "-")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "409")
	r = runCLI(t, vars, "name: [unclosed\n", "create", "jump-groups", "-f", "-")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "malformed YAML")
	r = runCLI(t, vars, `{"name": "x", "code_name": "x"`, "create", "jump-groups", "-f", "-")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "malformed JSON")
	r = runCLI(t, vars, "name: x\n", "create", "audit-events", "-f", "-")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "written by the appliance")
	assert.Equal(t, before, len(jumpGroupsByCode(t, s.Admin)), "nothing was created")

	// update is a merge patch: the other fields stay.
	id := strconv.FormatInt(g.ID, 10)
	r = runCLI(t, vars, "comments: night shift too\n", "update", "jump-groups", id, "-f", "-")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "updated jump-group "+id)
	got, err := s.Admin.GetJumpGroup(ctx, g.ID)
	require.NoError(t, err)
	assert.Equal(t, "night shift too", got.Comments)
	assert.Equal(t, "Operations", got.Name)
	assert.Equal(t, g.Version+1, got.Version)

	// An edit based on an old version is refused with 412 and writes nothing.
	r = runCLI(t, vars, "comments: stale\n", "update", "jump-groups", id, "-f", "-", "--if-match", strconv.FormatInt(g.Version, 10))
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "412")
	assert.Contains(t, r.stderr, "this write was refused")
	got2, err := s.Admin.GetJumpGroup(ctx, g.ID)
	require.NoError(t, err)
	assert.Equal(t, got.Version, got2.Version)
	assert.Equal(t, "night shift too", got2.Comments)

	// An invalid patch names the field.
	r = runCLI(t, vars, `{"name": ""}`, "update", "jump-groups", id, "-f", "-")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "\nname: ")

	// The settings singleton takes no id.
	r = runCLI(t, vars, "lost_after_days: 45\n", "update", "settings", "-f", "-", "-o", "json")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"lost_after_days": 45`)
	r = runCLI(t, vars, "lost_after_days: 1\n", "update", "settings", "-f", "-")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "\nlost_after_days: ")

	// So do the console settings.
	r = runCLI(t, vars, "trusted_origins: [https://support.example.com]\n", "update", "console-settings", "-f", "-", "-o", "json")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"https://support.example.com"`)
	r = runCLI(t, vars, "", "get", "console-settings", "-o", "json")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"session_idle_timeout_minutes": 30`)
	r = runCLI(t, vars, "trusted_origins: [https://support.example.com/]\n", "update", "console-settings", "-f", "-")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "trusted_origins[0]: ")

	// delete, then the object is gone; a second delete is a clear 404.
	r = runCLI(t, vars, "", "delete", "jump-groups", id)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "deleted jump-group "+id+"\n", r.stdout)
	_, err = s.Admin.GetJumpGroup(ctx, g.ID)
	assert.ErrorIs(t, err, api.ErrNotFound)
	r = runCLI(t, vars, "", "delete", "jump-groups", id)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "404")
	r = runCLI(t, vars, "", "delete", "settings", "1")
	assert.Equal(t, 1, r.code)
}

// copyExamples copies examples/cli-apply into a temporary directory that
// the test may edit.
func copyExamples(t *testing.T) string {
	t.Helper()
	src := filepath.Join("..", "examples", "cli-apply")
	entries, err := os.ReadDir(src)
	require.NoError(t, err)
	dir := t.TempDir()
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, e.Name()), b, 0o600))
	}
	return dir
}

// versions maps "collection/key" to the version of every object apply
// manages, to see what a run wrote.
func versions(t *testing.T, s *appliancetest.Server) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	out := map[string]int64{}
	for _, k := range applyKeys {
		objs, err := listObjects(ctx, s.Admin, k.path, nil)
		require.NoError(t, err)
		for _, o := range objs {
			v, err := toInt(o["version"])
			require.NoError(t, err)
			out[k.path+"/"+scalar(o[k.key])] = v
		}
	}
	return out
}

// TestApply_AgainstAppliance applies examples/cli-apply to a real appliance:
// a whole set with references by key, a second run that changes nothing, a
// changed file, --dry-run, --prune -l, and bad input that writes nothing.
func TestApply_AgainstAppliance(t *testing.T) {
	s := appliancetest.NewServer(t)
	ctx := context.Background()
	vars := applianceVars(t, s)
	dir := copyExamples(t)

	// The dry run of the whole set writes nothing.
	empty := versions(t, s)
	r := runCLI(t, vars, "", "apply", "-f", dir, "--dry-run")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "create jump-groups code_name=ops\n")
	assert.Contains(t, r.stdout, "dry run: 8 to create, 0 to update, 0 unchanged, 0 to delete; nothing was written")
	assert.Equal(t, empty, versions(t, s))

	r = runCLI(t, vars, "", "apply", "-f", dir)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "8 created, 0 updated, 0 unchanged, 0 deleted")
	out := r.stdout
	// Referenced objects were created first.
	assert.Less(t, strings.Index(out, "created users username=alice"), strings.Index(out, "created jump-policies code_name=business-hours"))
	assert.Less(t, strings.Index(out, "created group-policies name=Support team"), strings.Index(out, "created jump-groups code_name=ops"))
	assert.Less(t, strings.Index(out, "created jump-groups code_name=ops"), strings.Index(out, "created protocol-tunnel-jumps name=db"))

	// References by key became the right ids.
	users, err := api.ListAll(ctx, s.Admin.ListUsers, &api.ListOptions{Filters: map[string]string{"username": "alice"}})
	require.NoError(t, err)
	require.Len(t, users, 1)
	alice := users[0]
	ops := jumpGroupsByCode(t, s.Admin)["ops"]
	jps, err := api.ListAll(ctx, s.Admin.ListJumpPolicies, &api.ListOptions{Filters: map[string]string{"code_name": "business-hours"}})
	require.NoError(t, err)
	require.Len(t, jps, 1)
	assert.Equal(t, []int64{alice.ID}, jps[0].ApprovalUserIDs)
	gps, err := api.ListAll(ctx, s.Admin.ListGroupPolicies, nil)
	require.NoError(t, err)
	require.Len(t, gps, 1)
	bobs, err := api.ListAll(ctx, s.Admin.ListUsers, &api.ListOptions{Filters: map[string]string{"username": "bob"}})
	require.NoError(t, err)
	require.Len(t, bobs, 1)
	assert.ElementsMatch(t, []int64{alice.ID, bobs[0].ID}, gps[0].Members)
	require.Len(t, ops.Memberships, 1)
	assert.Equal(t, gps[0].ID, ops.Memberships[0].GroupPolicyID)
	require.NotNil(t, ops.Memberships[0].JumpPolicyID)
	assert.Equal(t, jps[0].ID, *ops.Memberships[0].JumpPolicyID)
	ptjs, err := api.ListAll(ctx, s.Admin.ListProtocolTunnelJumps, nil)
	require.NoError(t, err)
	require.Len(t, ptjs, 1)
	assert.Equal(t, ops.ID, ptjs[0].JumpGroupID)
	jpts, err := api.ListAll(ctx, s.Admin.ListJumpoints, nil)
	require.NoError(t, err)
	require.Len(t, jpts, 1)
	assert.Equal(t, jpts[0].ID, ptjs[0].JumpointID)

	// A second run finds everything equal and writes nothing.
	applied := versions(t, s)
	r = runCLI(t, vars, "", "apply", "-f", dir)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "0 created, 0 updated, 8 unchanged, 0 deleted", r.stdout)
	assert.Contains(t, r.stdout, "unchanged protocol-tunnel-jumps name=db")
	assert.Equal(t, applied, versions(t, s))

	// A changed file updates that one object; the dry run names the field.
	p := filepath.Join(dir, "policies.yaml")
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(p, []byte(strings.Replace(string(b), "max_session_minutes: 120", "max_session_minutes: 60", 1)), 0o600))
	r = runCLI(t, vars, "", "apply", "-f", dir, "--dry-run")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Regexp(t, `update session-policies code_name=support \(id \d+\): max_session_minutes\n`, r.stdout)
	assert.Equal(t, applied, versions(t, s), "a dry run writes nothing")
	r = runCLI(t, vars, "", "apply", "-f", dir)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "0 created, 1 updated, 7 unchanged, 0 deleted")
	now := versions(t, s)
	for k, v := range applied {
		if k == "session-policies/support" {
			assert.Equal(t, v+1, now[k], k)
		} else {
			assert.Equal(t, v, now[k], k)
		}
	}

	// --prune: the tunnel jump leaves the files; an object without the
	// label, and one with another value, stay.
	_, err = s.Admin.CreateJumpGroup(ctx, &api.JumpGroup{Name: "Unlabelled", CodeName: "unlabelled"})
	require.NoError(t, err)
	_, err = s.Admin.CreateJumpGroup(ctx, &api.JumpGroup{Name: "Other set", CodeName: "other", Labels: map[string]string{"example.com/config": "other"}})
	require.NoError(t, err)
	net := filepath.Join(dir, "network.yaml")
	b, err = os.ReadFile(net)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(net, []byte(string(b)[:strings.Index(string(b), "---")]), 0o600))

	r = runCLI(t, vars, "", "apply", "-f", dir, "--prune")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "--prune needs -l")
	r = runCLI(t, vars, "", "apply", "-f", dir, "--prune", "-l", "example.com/config=cli-apply", "--dry-run")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Regexp(t, `delete protocol-tunnel-jumps name=db \(id \d+\)\n`, r.stdout)
	assert.Contains(t, r.stdout, "0 to create, 0 to update, 7 unchanged, 1 to delete")
	r = runCLI(t, vars, "", "apply", "-f", dir, "--prune", "-l", "example.com/config=cli-apply")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "0 created, 0 updated, 7 unchanged, 1 deleted")
	ptjs, err = api.ListAll(ctx, s.Admin.ListProtocolTunnelJumps, nil)
	require.NoError(t, err)
	assert.Empty(t, ptjs)
	groups := jumpGroupsByCode(t, s.Admin)
	assert.Contains(t, groups, "unlabelled")
	assert.Contains(t, groups, "other")
	assert.Contains(t, groups, "ops")

	// A personal list by username, and a portal host name written in
	// mixed case (the appliance stores it in lower case): created once,
	// then unchanged.
	more := t.TempDir()
	writeFile(t, more, "more.yaml", `collection: users
username: carol
---
collection: public-portals
hostname: Help.Example.com.
display_name: Help
session_policy: {code_name: support}
---
collection: protocol-tunnel-jumps
name: carols-db
hostname: db.example.com
jumpoint: {code_name: dc1}
jump_group: {username: carol}
tunnel_definitions: [{remote_port: 5432}]
`)
	r = runCLI(t, vars, "", "apply", "-f", more)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "3 created, 0 updated, 0 unchanged, 0 deleted")
	r = runCLI(t, vars, "", "apply", "-f", more)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "0 created, 0 updated, 3 unchanged, 0 deleted")
	assert.Contains(t, r.stdout, "unchanged public-portals hostname=help.example.com")
	carols, err := api.ListAll(ctx, s.Admin.ListUsers, &api.ListOptions{Filters: map[string]string{"username": "carol"}})
	require.NoError(t, err)
	require.Len(t, carols, 1)
	ptjs, err = api.ListAll(ctx, s.Admin.ListProtocolTunnelJumps, nil)
	require.NoError(t, err)
	require.Len(t, ptjs, 1)
	assert.Equal(t, api.JumpGroupPersonal, ptjs[0].JumpGroupType)
	assert.Equal(t, carols[0].ID, ptjs[0].JumpGroupID)

	// The settings singleton needs no key: it is updated, never created.
	set := t.TempDir()
	writeFile(t, set, "settings.yaml", "collection: settings\nlost_after_days: 40\n")
	r = runCLI(t, vars, "", "apply", "-f", set)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "updated jump-client-settings: lost_after_days\n")
	st, err := s.Admin.GetJumpClientSettings(ctx)
	require.NoError(t, err)
	assert.Equal(t, 40, st.LostAfterDays)
	r = runCLI(t, vars, "", "apply", "-f", set)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "unchanged jump-client-settings\n")
	writeFile(t, set, "settings.yaml", "collection: settings\nlost_after_days: 1\n")
	r = runCLI(t, vars, "", "apply", "-f", set)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "settings.yaml document 1 (line 1): lost_after_days: must be at least 15")

	// A rule only the appliance knows stops apply at that write, saying
	// what was written before it.
	stop := t.TempDir()
	writeFile(t, stop, "stop.yaml", `collection: jumpoints
code_name: closed
name: No tunnels
---
collection: protocol-tunnel-jumps
name: through-closed
hostname: x.example.com
jumpoint: {code_name: closed}
jump_group: {code_name: ops}
tunnel_definitions: [{remote_port: 22}]
`)
	r = runCLI(t, vars, "", "apply", "-f", stop)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stdout, "created jumpoints code_name=closed")
	assert.Contains(t, r.stderr, "jumpgate: create protocol-tunnel-jumps name=through-closed (")
	assert.Contains(t, r.stderr, "stop.yaml document 2 (line 5)): 422 validation failed")
	assert.Contains(t, r.stderr, "; apply stopped here after 1 write (above): fix this and apply again\njumpoint_id: ")

	// Bad input writes nothing: a dangling reference, an unknown
	// collection, a collection without a key, an unknown field — each
	// beside a valid new object that is not created.
	before := versions(t, s)
	for _, tt := range []struct {
		name, doc string
		want      []string
	}{
		{"bad reference", "collection: protocol-tunnel-jumps\nname: web\nhostname: web.example.com\njumpoint: {code_name: dc1}\njump_group: {code_name: nope}\ntunnel_definitions: [{remote_port: 443}]\n",
			[]string{"bad.yaml document 2 (line 5): jump_group: no jump-groups with code_name \"nope\" in the files or on the appliance"}},
		{"unknown collection", "collection: jump-grups\ncode_name: x\n",
			[]string{"bad.yaml document 2 (line 5): collection: unknown collection \"jump-grups\""}},
		{"no unique key", "collection: jump-client-installers\nname: x\n",
			[]string{"bad.yaml document 2 (line 5): collection: collection jump-client-installers has no unique key"}},
		{"unknown field", "collection: jump-groups\ncode_name: y\nname: Y\ncolour: blue\n",
			[]string{"bad.yaml document 2 (line 5): colour: unknown field"}},
		{"missing key", "collection: users\ndisplay_name: Bob\n",
			[]string{"bad.yaml document 2 (line 5): username: missing"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			bad := t.TempDir()
			writeFile(t, bad, "bad.yaml", "collection: jump-groups\ncode_name: fresh\nname: Fresh\n---\n"+tt.doc)
			r := runCLI(t, vars, "", "apply", "-f", bad)
			assert.Equal(t, 1, r.code)
			assert.Contains(t, r.stderr, "nothing was written")
			for _, w := range tt.want {
				assert.Contains(t, r.stderr, w)
			}
			assert.Equal(t, before, versions(t, s), "nothing was written")
		})
	}
}
