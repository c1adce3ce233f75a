package e2e

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
)

// TestCLIWrite_CreateUpdateDelete runs the real jumpgate binary against a
// real appliance: create from YAML and JSON, field errors one per line with
// exit 1, update with a stale If-Match (412), delete.
func TestCLIWrite_CreateUpdateDelete(t *testing.T) {
	s := appliancetest.NewServer(t)
	ctx := context.Background()
	r := newRep(t, s, s.AdminToken)
	dir := t.TempDir()

	f := filepath.Join(dir, "policy.yaml")
	require.NoError(t, os.WriteFile(f, []byte("code_name: support\ndisplay_name: Support\npermissions:\n  shell: true\nmax_session_minutes: 90\n"), 0o600))
	out, errOut, code := r.jg("", "create", "session-policies", "-f", f)
	require.Equal(t, 0, code, errOut)
	m := regexp.MustCompile(`created session-policy (\d+)`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	id, _ := strconv.ParseInt(m[1], 10, 64)
	sp, err := s.Admin.GetSessionPolicy(ctx, id)
	require.NoError(t, err)
	assert.True(t, sp.Permissions.Shell)
	assert.Equal(t, 90, sp.MaxSessionMinutes)

	out, errOut, code = r.jg(`{"code_name": "ops", "name": "Operations"}`, "create", "jump-groups", "-f", "-", "-o", "json")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, `"code_name": "ops"`)

	// Field errors: "field: detail" lines, exit 1, nothing created.
	_, errOut, code = r.jg("code_name: \"no spaces allowed\"\ndisplay_name: \"\"\n", "create", "session-policies", "-f", "-")
	assert.Equal(t, 1, code)
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	require.GreaterOrEqual(t, len(lines), 3, errOut)
	assert.True(t, strings.HasPrefix(lines[0], "jumpgate: create session-policy: 422"), errOut)
	fields := map[string]bool{}
	for _, l := range lines[1:] {
		name, _, ok := strings.Cut(l, ": ")
		require.True(t, ok, "%q is not field: detail", l)
		fields[name] = true
	}
	assert.True(t, fields["code_name"] && fields["display_name"], errOut)
	all, err := api.ListAll(ctx, s.Admin.ListSessionPolicies, nil)
	require.NoError(t, err)
	assert.Len(t, all, 1)

	// A stale If-Match: 412, said clearly, nothing written.
	sid := strconv.FormatInt(id, 10)
	_, errOut, code = r.jg("max_session_minutes: 30\n", "update", "session-policies", sid, "-f", "-")
	require.Equal(t, 0, code, errOut)
	_, errOut, code = r.jg("max_session_minutes: 45\n", "update", "session-policies", sid, "-f", "-", "--if-match", strconv.FormatInt(sp.Version, 10))
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "412 precondition failed")
	assert.Contains(t, errOut, "read it again and retry")
	sp, err = s.Admin.GetSessionPolicy(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, 30, sp.MaxSessionMinutes)

	out, errOut, code = r.jg("", "delete", "session-policies", sid)
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, "deleted session-policy "+sid+"\n", out)
	_, err = s.Admin.GetSessionPolicy(ctx, id)
	assert.ErrorIs(t, err, api.ErrNotFound)
}

// TestCLIWrite_Apply applies examples/cli-apply with the real binary: the
// whole set with references by key, a second run that changes nothing, a
// changed file, a dry run, --prune -l, and bad input refused before any
// write.
func TestCLIWrite_Apply(t *testing.T) {
	s := appliancetest.NewServer(t)
	ctx := context.Background()
	r := newRep(t, s, s.AdminToken)
	dir := t.TempDir()
	src := filepath.Join(moduleRoot(t), "examples", "cli-apply")
	entries, err := os.ReadDir(src)
	require.NoError(t, err)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, e.Name()), b, 0o600))
	}

	out, errOut, code := r.jg("", "apply", "-f", dir)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "8 created, 0 updated, 0 unchanged, 0 deleted")
	ptjs, err := api.ListAll(ctx, s.Admin.ListProtocolTunnelJumps, nil)
	require.NoError(t, err)
	require.Len(t, ptjs, 1)
	groups, err := api.ListAll(ctx, s.Admin.ListJumpGroups, &api.ListOptions{Filters: map[string]string{"code_name": "ops"}})
	require.NoError(t, err)
	require.Len(t, groups, 1)
	assert.Equal(t, groups[0].ID, ptjs[0].JumpGroupID)

	out, errOut, code = r.jg("", "apply", "-f", dir)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "0 created, 0 updated, 8 unchanged, 0 deleted")

	net := filepath.Join(dir, "network.yaml")
	b, err := os.ReadFile(net)
	require.NoError(t, err)
	changed := strings.Replace(string(b), "db.internal.example.com", "db2.internal.example.com", 1)
	require.NoError(t, os.WriteFile(net, []byte(changed), 0o600))
	out, errOut, code = r.jg("", "apply", "-f", dir, "--dry-run")
	require.Equal(t, 0, code, errOut)
	assert.Regexp(t, `update protocol-tunnel-jumps name=db \(id \d+\): hostname\n`, out)
	got, err := s.Admin.GetProtocolTunnelJump(ctx, ptjs[0].ID)
	require.NoError(t, err)
	assert.Equal(t, "db.internal.example.com", got.Hostname, "the dry run wrote nothing")
	out, errOut, code = r.jg("", "apply", "-f", dir)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "0 created, 1 updated, 7 unchanged, 0 deleted")
	got, err = s.Admin.GetProtocolTunnelJump(ctx, ptjs[0].ID)
	require.NoError(t, err)
	assert.Equal(t, "db2.internal.example.com", got.Hostname)

	// The tunnel jump leaves the files: --prune -l deletes it, and only it.
	require.NoError(t, os.WriteFile(net, []byte(changed[:strings.Index(changed, "---")]), 0o600))
	_, errOut, code = r.jg("", "apply", "-f", dir, "--prune")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "--prune needs -l")
	out, errOut, code = r.jg("", "apply", "-f", dir, "--prune", "-l", "example.com/config=cli-apply")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "0 created, 0 updated, 7 unchanged, 1 deleted")
	_, err = s.Admin.GetProtocolTunnelJump(ctx, ptjs[0].ID)
	assert.ErrorIs(t, err, api.ErrNotFound)
	groups, err = api.ListAll(ctx, s.Admin.ListJumpGroups, nil)
	require.NoError(t, err)
	assert.Len(t, groups, 1)

	// A bad reference beside a good new object: refused, nothing written.
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("collection: jump-groups\ncode_name: fresh\nname: Fresh\n---\ncollection: jump-groups\ncode_name: g2\nname: G2\nmemberships: [{group_policy: {name: Nobody}, role: view}]\n"), 0o600))
	_, errOut, code = r.jg("", "apply", "-f", bad)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, `bad.yaml document 2 (line 5): memberships[0].group_policy: no group-policies with name "Nobody" in the files or on the appliance`)
	groups, err = api.ListAll(ctx, s.Admin.ListJumpGroups, nil)
	require.NoError(t, err)
	assert.Len(t, groups, 1, "nothing was written")
}
