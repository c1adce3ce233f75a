package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
)

var seq atomic.Int64

// uniq returns prefix with a number no other call in this test binary gets,
// so tests sharing one appliance never clash on unique fields.
func uniq(prefix string) string { return fmt.Sprintf("%s-%d", prefix, seq.Add(1)) }

// metaOf returns the Meta embedded in an api object.
func metaOf(v any) *api.Meta { return v.(interface{ GetMeta() *api.Meta }).GetMeta() }

// clone deep-copies an api object through its JSON form.
func clone[T any](t *testing.T, v *T) *T {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	out := new(T)
	require.NoError(t, json.Unmarshal(b, out))
	return out
}

// bodyOf returns the JSON object form of v, for raw requests.
func bodyOf(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	m := map[string]any{}
	require.NoError(t, json.Unmarshal(b, &m))
	return m
}

// with returns a deep copy of body with each dotted key ("a.b") set to its
// value; a nil value removes the key.
func with(t *testing.T, body map[string]any, kv ...any) map[string]any {
	t.Helper()
	out := bodyOf(t, body)
	require.Zero(t, len(kv)%2, "with: odd number of arguments")
	for i := 0; i < len(kv); i += 2 {
		path := strings.Split(kv[i].(string), ".")
		m := out
		for _, p := range path[:len(path)-1] {
			next, ok := m[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[p] = next
			}
			m = next
		}
		if kv[i+1] == nil {
			delete(m, path[len(path)-1])
			continue
		}
		m[path[len(path)-1]] = kv[i+1]
	}
	return out
}

// fieldNames lists the fields named by a problem's per-field errors.
func fieldNames(err error) []string {
	var names []string
	for _, fe := range api.FieldErrors(err) {
		names = append(names, fe.Field)
	}
	return names
}

// assertProblem checks that err is the problem matching want and, when field
// is not empty, that it names field.
func assertProblem(t *testing.T, err error, want error, field string) {
	t.Helper()
	if !assert.Error(t, err) {
		return
	}
	assert.ErrorIs(t, err, want, "got %v", err)
	if field != "" {
		assert.Contains(t, fieldNames(err), field, "got %v", err)
	}
}

// problemDetail returns the detail of a problem error.
func problemDetail(err error) string {
	var p *api.Problem
	if errors.As(err, &p) {
		return p.Detail
	}
	return ""
}

// itemPath is "<collection>/<id>".
func itemPath(collection string, id int64) string { return fmt.Sprintf("%s/%d", collection, id) }

// ptr returns a pointer to v.
func ptr[T any](v T) *T { return &v }

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// keys returns the sorted keys of a diff.
func keys(m map[string]api.FieldChange) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// fixtures are objects the suite's tests refer to. Tests never change or
// delete them.
type fixtures struct {
	adminID int64
	// group holds items, so it can never be deleted.
	group *api.JumpGroup
	// jumpoint allows protocol tunnels; plainJumpoint does not.
	jumpoint, plainJumpoint *api.Jumpoint
	// proxyJumpoint is a jump zone proxy.
	proxyJumpoint *api.Jumpoint
	jumpPolicy    *api.JumpPolicy
	sessionPolicy *api.SessionPolicy
	portal        *api.PublicPortal
	groupPolicy   *api.GroupPolicy
	tunnelJump    *api.ProtocolTunnelJump
	installer     *api.JumpClientInstaller
}

func newFixtures(t *testing.T, s *appliancetest.Server) *fixtures {
	t.Helper()
	ctx := context.Background()
	c := s.Admin
	fx := &fixtures{}
	me, err := c.WhoAmI(ctx)
	require.NoError(t, err)
	fx.adminID = me.UserID
	fx.group, err = c.CreateJumpGroup(ctx, newJumpGroup())
	require.NoError(t, err)
	fx.jumpoint, err = c.CreateJumpoint(ctx, newJumpoint())
	require.NoError(t, err)
	plain := newJumpoint()
	plain.ProtocolTunnelEnabled = false
	fx.plainJumpoint, err = c.CreateJumpoint(ctx, plain)
	require.NoError(t, err)
	proxy := newJumpoint()
	proxy.JumpZoneProxy = api.JumpZoneProxy{Enabled: true, Hostname: "proxy.example.com", AllowedClientCIDRs: []string{"10.0.0.0/8"}}
	fx.proxyJumpoint, err = c.CreateJumpoint(ctx, proxy)
	require.NoError(t, err)
	fx.jumpPolicy, err = c.CreateJumpPolicy(ctx, newJumpPolicy())
	require.NoError(t, err)
	fx.sessionPolicy, err = c.CreateSessionPolicy(ctx, newSessionPolicy())
	require.NoError(t, err)
	fx.portal, err = c.CreatePublicPortal(ctx, newPortal())
	require.NoError(t, err)
	fx.groupPolicy, err = c.CreateGroupPolicy(ctx, newGroupPolicy())
	require.NoError(t, err)
	fx.tunnelJump, err = c.CreateProtocolTunnelJump(ctx, fx.newTunnelJump())
	require.NoError(t, err)
	fx.installer, err = c.CreateJumpClientInstaller(ctx, fx.newInstaller())
	require.NoError(t, err)
	return fx
}

// Builders of valid, unique objects.

func newJumpGroup() *api.JumpGroup {
	return &api.JumpGroup{Name: "Operations", CodeName: uniq("ops"), Comments: "servers of the ops team"}
}

func newJumpPolicy() *api.JumpPolicy {
	return &api.JumpPolicy{DisplayName: "Business hours", CodeName: uniq("business-hours"), Description: "weekdays only"}
}

func newSessionPolicy() *api.SessionPolicy {
	return &api.SessionPolicy{CodeName: uniq("shell-only"), DisplayName: "Shell only",
		Permissions: api.SessionPermissions{Shell: true, FileRead: true}}
}

func newJumpoint() *api.Jumpoint {
	return &api.Jumpoint{Name: "Datacenter 1", CodeName: uniq("dc1"), ProtocolTunnelEnabled: true, ShellJumpEnabled: true}
}

func newPortal() *api.PublicPortal {
	return &api.PublicPortal{Hostname: uniq("support") + ".example.com", DisplayName: "Support"}
}

func newGroupPolicy() *api.GroupPolicy {
	return &api.GroupPolicy{Name: uniq("Admins"), Description: "all the admins"}
}

func newUser() *api.User {
	return &api.User{Username: uniq("alice"), DisplayName: "Alice", Email: "alice@example.com"}
}

func (fx *fixtures) newTunnelJump() *api.ProtocolTunnelJump {
	return &api.ProtocolTunnelJump{Name: uniq("db"), JumpointID: fx.jumpoint.ID, Hostname: "db.internal",
		TunnelDefinitions: []api.TunnelDefinition{{LocalPort: 15432, RemotePort: 5432}, {RemotePort: 22}},
		JumpGroupID:       fx.group.ID, Tag: "databases"}
}

func (fx *fixtures) newInstaller() *api.JumpClientInstaller {
	return &api.JumpClientInstaller{JumpGroupID: fx.group.ID, Name: "laptop", Tag: "laptops", AllowOverrideName: true}
}

// mapKeys returns the keys of m.
func mapKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
