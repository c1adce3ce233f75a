package server_test

import (
	"context"
	"crypto/ed25519"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/keyinfo"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
	"github.com/jumpgate/jumpgate/internal/pgtest"
)

// The API contract tests drive the real router, services and database
// through the real api.Client, once on each supported database.

func TestAPI_SQLite(t *testing.T) {
	t.Parallel()
	runSuite(t, func(t *testing.T) *appliancetest.Server { return appliancetest.NewServer(t) })
}

func TestAPI_Postgres(t *testing.T) {
	t.Parallel()
	runSuite(t, func(t *testing.T) *appliancetest.Server {
		return appliancetest.NewServer(t, appliancetest.WithDatabase(pgtest.NewDatabase(t)))
	})
}

// runSuite runs every API test against appliances made by newServer. Most
// tests share one appliance and use unique names; the few that need an
// appliance to themselves (counting admins, exact audit trails) make one.
func runSuite(t *testing.T, newServer func(t *testing.T) *appliancetest.Server) {
	s := newServer(t)
	fx := newFixtures(t, s)

	t.Run("collections", func(t *testing.T) {
		for _, tt := range collections(s, fx) {
			t.Run(tt.collectionName(), tt.run)
		}
	})
	t.Run("settings", func(t *testing.T) { testSettings(t, s) })
	t.Run("read-only fields are ignored", func(t *testing.T) { testReadOnlyFields(t, s, fx) })
	t.Run("bad input", func(t *testing.T) { testBadInput(t, s, fx) })
	t.Run("malformed requests", func(t *testing.T) { testMalformedRequests(t, s, fx) })
	t.Run("list queries", func(t *testing.T) { testListQueries(t, s) })
	t.Run("conflicts", func(t *testing.T) { testConflicts(t, s, fx) })
	t.Run("last admin", func(t *testing.T) { testLastAdmin(t, newServer(t)) })
	t.Run("memberships", func(t *testing.T) { testMemberships(t, s, fx) })
	t.Run("jumpoint nodes", func(t *testing.T) { testJumpointNodes(t, s) })
	t.Run("authorisation", func(t *testing.T) { testAuthorisation(t, s, fx) })
	t.Run("audit", func(t *testing.T) { testAudit(t, newServer(t)) })
	t.Run("sessions", func(t *testing.T) { testSessions(t, s, fx) })
}

// lifecycleTest is one collection's create/read/update/patch/list/delete test.
type lifecycleTest interface {
	collectionName() string
	run(t *testing.T)
}

// collection describes a collection to the generic lifecycle test.
type collection[T any] struct {
	path   string // under /api/v1, e.g. api.PathJumpGroups
	kind   string // audit object type
	client *api.Client

	create func(context.Context, *T) (*T, error)
	get    func(context.Context, int64) (*T, error)
	update func(context.Context, int64, *T, ...api.WriteOption) (*T, error)
	patch  func(context.Context, int64, map[string]any, ...api.WriteOption) (*T, error)
	del    func(context.Context, int64, ...api.WriteOption) error
	list   func(context.Context, *api.ListOptions) (*api.List[T], error)

	// valid returns a new valid object, unlike every earlier one.
	valid func() *T
	// defaults checks what every stored object holds (filled defaults).
	defaults func(t *testing.T, got *T)
	// created checks the create answer only (defaults of a fresh object,
	// secrets revealed once).
	created func(t *testing.T, got *T)
	// read checks every read: get and list items (secrets stay hidden).
	read func(t *testing.T, got *T)
	// unique is a filter that selects exactly v, also after the patch.
	unique func(v *T) map[string]string
	// batch is a filter that selects every object valid returns, and
	// perhaps others; inBatch tells whether an object matches it.
	batch   map[string]string
	inBatch func(v *T) bool
	// change modifies an object for PUT; changed checks the answer.
	change  func(v *T)
	changed func(t *testing.T, got *T)
	// patchBody is a JSON merge patch; patched checks the answer.
	patchBody map[string]any
	patched   func(t *testing.T, got *T)
}

func (c collection[T]) collectionName() string { return c.path }

func (c collection[T]) run(t *testing.T) {
	t.Run("lifecycle", c.lifecycle)
	t.Run("pagination", c.pagination)
}

func (c collection[T]) check(t *testing.T, got *T, hooks ...func(*testing.T, *T)) {
	t.Helper()
	for _, h := range hooks {
		if h != nil {
			h(t, got)
		}
	}
}

func (c collection[T]) lifecycle(t *testing.T) {
	ctx := context.Background()

	created, err := c.create(ctx, c.valid())
	require.NoError(t, err)
	m := *metaOf(created)
	id := m.ID
	require.Positive(t, id)
	assert.Equal(t, int64(1), m.Version)
	assert.WithinDuration(t, time.Now(), m.CreatedAt, time.Minute)
	assert.WithinDuration(t, time.Now(), m.UpdatedAt, time.Minute)
	c.check(t, created, c.defaults, c.created)

	got, err := c.get(ctx, id)
	require.NoError(t, err)
	c.check(t, got, c.defaults, c.read)
	want := bodyOf(t, created)
	delete(want, "key_info") // revealed by create only
	delete(want, "token")
	delete(want, "last_used_at") // the created hook may use a new token
	got2 := bodyOf(t, got)
	delete(got2, "last_used_at")
	assert.Equal(t, want, got2, "get must return the object as created")

	// Reads carry the version as ETag.
	hdr, err := c.client.Do(ctx, http.MethodGet, itemPath(c.path, id), nil, nil, new(T))
	require.NoError(t, err)
	assert.Equal(t, `"1"`, hdr.Get("ETag"))

	// Writing back what was read changes nothing and keeps the version.
	same, err := c.update(ctx, id, clone(t, got), api.IfMatch(1))
	require.NoError(t, err)
	assert.Equal(t, int64(1), metaOf(same).Version, "a no-op PUT must keep the version")

	in := clone(t, got)
	c.change(in)
	put, err := c.update(ctx, id, in, api.IfMatch(1))
	require.NoError(t, err)
	assert.Equal(t, int64(2), metaOf(put).Version)
	assert.Equal(t, m.CreatedAt, metaOf(put).CreatedAt)
	c.check(t, put, c.defaults, c.changed, c.read)

	_, err = c.update(ctx, id, in, api.IfMatch(1))
	assertProblem(t, err, api.ErrPreconditionFailed, "")
	_, err = c.patch(ctx, id, c.patchBody, api.IfMatch(1))
	assertProblem(t, err, api.ErrPreconditionFailed, "")

	patched, err := c.patch(ctx, id, c.patchBody, api.IfMatch(2))
	require.NoError(t, err)
	assert.Equal(t, int64(3), metaOf(patched).Version)
	c.check(t, patched, c.defaults, c.patched, c.read)
	// A merge patch keeps what it does not name.
	before, after := bodyOf(t, put), bodyOf(t, patched)
	for _, k := range append(mapKeys(c.patchBody), "version", "updated_at", "last_used_at") {
		delete(before, k)
		delete(after, k)
	}
	assert.Equal(t, before, after, "a merge patch must keep the members it does not name")

	hdr, err = c.client.Do(ctx, http.MethodGet, itemPath(c.path, id), nil, nil, new(T))
	require.NoError(t, err)
	assert.Equal(t, `"3"`, hdr.Get("ETag"))

	l, err := c.list(ctx, &api.ListOptions{Filters: c.unique(patched)})
	require.NoError(t, err)
	if assert.Len(t, l.Items, 1) {
		assert.Equal(t, id, metaOf(&l.Items[0]).ID)
		c.check(t, &l.Items[0], c.defaults, c.read)
	}
	assert.Empty(t, l.NextCursor)

	assertProblem(t, c.del(ctx, id, api.IfMatch(2)), api.ErrPreconditionFailed, "")
	_, err = c.get(ctx, id)
	require.NoError(t, err, "a refused delete must leave the object")
	require.NoError(t, c.del(ctx, id, api.IfMatch(3)))
	_, err = c.get(ctx, id)
	assertProblem(t, err, api.ErrNotFound, "")
	assertProblem(t, c.del(ctx, id), api.ErrNotFound, "")
	_, err = c.update(ctx, id, in)
	assertProblem(t, err, api.ErrNotFound, "")
	l, err = c.list(ctx, &api.ListOptions{Filters: c.unique(patched)})
	require.NoError(t, err)
	assert.Empty(t, l.Items)

	// Every write, and only a write, left an audit event by the admin.
	events, err := api.ListAll(ctx, c.client.ListAuditEvents, &api.ListOptions{
		Filters: map[string]string{"object_type": c.kind, "object_id": itoa(id)}})
	require.NoError(t, err)
	var actions []string
	for _, ev := range events {
		actions = append(actions, ev.Action)
		assert.Equal(t, "admin", ev.Actor)
		assert.NotEmpty(t, ev.Diff, "event %s has no diff", ev.Action)
	}
	assert.Equal(t, []string{"create", "update", "update", "delete"}, actions)
}

func (c collection[T]) pagination(t *testing.T) {
	ctx := context.Background()
	const n, limit = 5, 2
	want := map[int64]bool{}
	for range n {
		v, err := c.create(ctx, c.valid())
		require.NoError(t, err)
		want[metaOf(v).ID] = true
	}
	seen := map[int64]bool{}
	var last int64
	pages := 0
	opts := &api.ListOptions{Limit: limit, Filters: c.batch}
	for {
		page, err := c.list(ctx, opts)
		require.NoError(t, err)
		pages++
		require.Less(t, pages, 1000, "pagination does not end")
		assert.LessOrEqual(t, len(page.Items), limit)
		for i := range page.Items {
			it := &page.Items[i]
			id := metaOf(it).ID
			assert.Greater(t, id, last, "items must come in ascending id order across pages")
			assert.False(t, seen[id], "item %d listed twice", id)
			last, seen[id] = id, true
			if c.inBatch != nil {
				assert.True(t, c.inBatch(it), "item %d does not match the filter %v", id, c.batch)
			}
			c.check(t, it, c.defaults, c.read)
		}
		if page.NextCursor == "" {
			break
		}
		opts.Cursor = page.NextCursor
	}
	for id := range want {
		assert.True(t, seen[id], "item %d is missing from the pages", id)
	}
	assert.GreaterOrEqual(t, pages, n/limit+1)

	all, err := api.ListAll(ctx, c.list, &api.ListOptions{Filters: c.batch})
	require.NoError(t, err)
	assert.Len(t, all, len(seen), "one default-size page and pages of %d must list the same objects", limit)
}

var hex16 = regexp.MustCompile(`^[0-9a-f]{16}$`)

func collections(s *appliancetest.Server, fx *fixtures) []lifecycleTest {
	c := s.Admin
	future := time.Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Second)
	tokenName := uniq("patched")
	return []lifecycleTest{
		collection[api.JumpGroup]{
			path: api.PathJumpGroups, kind: "jump_group", client: c,
			create: c.CreateJumpGroup, get: c.GetJumpGroup, update: c.UpdateJumpGroup, patch: c.PatchJumpGroup,
			del: c.DeleteJumpGroup, list: c.ListJumpGroups,
			valid: newJumpGroup,
			defaults: func(t *testing.T, g *api.JumpGroup) {
				assert.NotNil(t, g.Memberships, "memberships must be [] rather than null")
			},
			unique:    func(g *api.JumpGroup) map[string]string { return map[string]string{"code_name": g.CodeName} },
			batch:     map[string]string{"name": "Operations"},
			inBatch:   func(g *api.JumpGroup) bool { return g.Name == "Operations" },
			change:    func(g *api.JumpGroup) { g.Name = "Ops (renamed)" },
			changed:   func(t *testing.T, g *api.JumpGroup) { assert.Equal(t, "Ops (renamed)", g.Name) },
			patchBody: map[string]any{"comments": "patched"},
			patched:   func(t *testing.T, g *api.JumpGroup) { assert.Equal(t, "patched", g.Comments) },
		},
		collection[api.JumpPolicy]{
			path: api.PathJumpPolicies, kind: "jump_policy", client: c,
			create: c.CreateJumpPolicy, get: c.GetJumpPolicy, update: c.UpdateJumpPolicy, patch: c.PatchJumpPolicy,
			del: c.DeleteJumpPolicy, list: c.ListJumpPolicies,
			valid: newJumpPolicy,
			defaults: func(t *testing.T, p *api.JumpPolicy) {
				assert.Equal(t, 60, p.ApprovalMaxDuration)
				assert.NotNil(t, p.Schedule)
				assert.NotNil(t, p.ApprovalUserIDs)
				assert.NotNil(t, p.NotificationEmailAddresses)
			},
			created: func(t *testing.T, p *api.JumpPolicy) {
				assert.Equal(t, "UTC", p.Timezone)
				assert.Equal(t, api.SimultaneousJoin, p.SimultaneousJumps)
				assert.Nil(t, p.ExpiresAt)
				assert.False(t, p.ScheduleEnabled)
			},
			unique:  func(p *api.JumpPolicy) map[string]string { return map[string]string{"code_name": p.CodeName} },
			batch:   map[string]string{"display_name": "Business hours"},
			inBatch: func(p *api.JumpPolicy) bool { return p.DisplayName == "Business hours" },
			change: func(p *api.JumpPolicy) {
				p.ScheduleEnabled, p.Timezone, p.ScheduleStrict = true, "Europe/Berlin", true
				p.Schedule = []api.ScheduleEntry{{Day: "monday", StartTime: "09:00", EndTime: "17:00"}, {Day: "friday", StartTime: "09:00", EndTime: "24:00"}}
				p.ExpiresAt = &future
				p.ApprovalRequired, p.ApprovalUserIDs = true, []int64{fx.adminID}
				p.SessionEndNotification, p.NotificationEmailAddresses = true, []string{"ops@example.com"}
			},
			changed: func(t *testing.T, p *api.JumpPolicy) {
				assert.True(t, p.ScheduleEnabled)
				assert.Equal(t, "Europe/Berlin", p.Timezone)
				assert.Len(t, p.Schedule, 2)
				if assert.NotNil(t, p.ExpiresAt) {
					assert.True(t, future.Equal(*p.ExpiresAt), "expires_at %v, want %v", p.ExpiresAt, future)
				}
				assert.Equal(t, []int64{fx.adminID}, p.ApprovalUserIDs)
				assert.Equal(t, []string{"ops@example.com"}, p.NotificationEmailAddresses)
			},
			patchBody: map[string]any{"simultaneous_jumps": "disallow", "description": "patched"},
			patched: func(t *testing.T, p *api.JumpPolicy) {
				assert.Equal(t, api.SimultaneousDisallow, p.SimultaneousJumps)
				assert.Equal(t, "patched", p.Description)
			},
		},
		collection[api.SessionPolicy]{
			path: api.PathSessionPolicies, kind: "session_policy", client: c,
			create: c.CreateSessionPolicy, get: c.GetSessionPolicy, update: c.UpdateSessionPolicy, patch: c.PatchSessionPolicy,
			del: c.DeleteSessionPolicy, list: c.ListSessionPolicies,
			valid: newSessionPolicy,
			defaults: func(t *testing.T, p *api.SessionPolicy) {
				assert.Equal(t, 180, p.PromptTimeoutSeconds)
				assert.Equal(t, "deny", p.OnTimeout)
				assert.NotNil(t, p.RecordShell)
				assert.NotNil(t, p.RecordScreen)
				assert.NotNil(t, p.RecordTunnel)
			},
			created: func(t *testing.T, p *api.SessionPolicy) {
				assert.Equal(t, 120, p.MaxSessionMinutes)
				assert.Equal(t, api.PromptNever, p.PromptCustomer)
				assert.Equal(t, 0, p.IdleTimeoutMinutes)
				assert.Equal(t, api.DefaultClipboardMaxBytes, p.Permissions.ClipboardMaxBytes)
				assert.Equal(t, 8<<20, p.Permissions.ClipboardMaxBytes)
				assert.Equal(t, api.ClipboardOff, p.Permissions.Clipboard)
				assert.Equal(t, api.SessionPermissions{Shell: true, FileRead: true, Clipboard: "off", ClipboardMaxBytes: 8 << 20}, p.Permissions)
				assert.Equal(t, api.Bool(true), p.RecordShell)
				assert.Equal(t, api.Bool(true), p.RecordScreen)
				assert.Equal(t, api.Bool(true), p.RecordTunnel)
			},
			unique:  func(p *api.SessionPolicy) map[string]string { return map[string]string{"code_name": p.CodeName} },
			batch:   map[string]string{"display_name": "Shell only"},
			inBatch: func(p *api.SessionPolicy) bool { return p.DisplayName == "Shell only" },
			change: func(p *api.SessionPolicy) {
				p.Permissions.ScreenView, p.Permissions.ScreenControl = true, true
				p.Permissions.Clipboard, p.Permissions.ClipboardMaxBytes = api.ClipboardBoth, 1024
				p.RecordScreen, p.MaxSessionMinutes, p.IdleTimeoutMinutes = api.Bool(false), 60, 15
				p.PromptCustomer = api.PromptNotPresent
			},
			changed: func(t *testing.T, p *api.SessionPolicy) {
				assert.True(t, p.Permissions.ScreenControl)
				assert.Equal(t, api.ClipboardBoth, p.Permissions.Clipboard)
				assert.Equal(t, 1024, p.Permissions.ClipboardMaxBytes)
				assert.Equal(t, api.Bool(false), p.RecordScreen)
				assert.Equal(t, api.Bool(true), p.RecordShell)
				assert.Equal(t, 60, p.MaxSessionMinutes)
				assert.Equal(t, 15, p.IdleTimeoutMinutes)
				assert.Equal(t, api.PromptNotPresent, p.PromptCustomer)
			},
			// A merge patch merges nested objects member by member.
			patchBody: map[string]any{"permissions": map[string]any{"tunnel": true}, "record_tunnel": false},
			patched: func(t *testing.T, p *api.SessionPolicy) {
				assert.True(t, p.Permissions.Tunnel)
				assert.True(t, p.Permissions.Shell)
				assert.Equal(t, api.Bool(false), p.RecordTunnel)
			},
		},
		collection[api.Jumpoint]{
			path: api.PathJumpoints, kind: "jumpoint", client: c,
			create: c.CreateJumpoint, get: c.GetJumpoint, update: c.UpdateJumpoint, patch: c.PatchJumpoint,
			del: c.DeleteJumpoint, list: c.ListJumpoints,
			valid: newJumpoint,
			defaults: func(t *testing.T, j *api.Jumpoint) {
				assert.False(t, j.Connected)
				assert.NotNil(t, j.ConnectedNodes)
				assert.Empty(t, j.ConnectedNodes)
				assert.NotNil(t, j.JumpZoneProxy.AllowedClientCIDRs)
				assert.NotNil(t, j.Enabled)
			},
			created: func(t *testing.T, j *api.Jumpoint) {
				assert.Equal(t, api.Bool(true), j.Enabled)
				assert.Equal(t, api.PlatformLinuxAMD64, j.Platform)
				assert.Equal(t, 8443, j.JumpZoneProxy.Port)
				assert.False(t, j.JumpZoneProxy.Enabled)
				assert.False(t, j.Clustered)
			},
			unique: func(j *api.Jumpoint) map[string]string { return map[string]string{"code_name": j.CodeName} },
			batch:  map[string]string{"name": "Datacenter 1", "enabled": "true", "platform": api.PlatformLinuxAMD64},
			inBatch: func(j *api.Jumpoint) bool {
				return j.Name == "Datacenter 1" && *j.Enabled && j.Platform == api.PlatformLinuxAMD64
			},
			change: func(j *api.Jumpoint) {
				j.Clustered, j.Platform = true, api.PlatformWindowsAMD64
				j.JumpZoneProxy = api.JumpZoneProxy{Enabled: true, Hostname: "jzp.example.com", Port: 9443, AllowedClientCIDRs: []string{"192.168.0.0/16"}}
			},
			changed: func(t *testing.T, j *api.Jumpoint) {
				assert.True(t, j.Clustered)
				assert.Equal(t, api.PlatformWindowsAMD64, j.Platform)
				assert.Equal(t, api.JumpZoneProxy{Enabled: true, Hostname: "jzp.example.com", Port: 9443, AllowedClientCIDRs: []string{"192.168.0.0/16"}}, j.JumpZoneProxy)
			},
			patchBody: map[string]any{"enabled": false, "comments": "patched"},
			patched: func(t *testing.T, j *api.Jumpoint) {
				assert.Equal(t, api.Bool(false), j.Enabled)
				assert.Equal(t, "patched", j.Comments)
			},
		},
		collection[api.JumpClientInstaller]{
			path: api.PathJumpClientInstallers, kind: "jump_client_installer", client: c,
			create: c.CreateJumpClientInstaller, get: c.GetJumpClientInstaller, update: c.UpdateJumpClientInstaller,
			patch: c.PatchJumpClientInstaller, del: c.DeleteJumpClientInstaller, list: c.ListJumpClientInstallers,
			valid: fx.newInstaller,
			defaults: func(t *testing.T, in *api.JumpClientInstaller) {
				assert.Regexp(t, hex16, in.InstallerID)
				assert.Equal(t, api.JumpGroupShared, in.JumpGroupType)
				assert.Equal(t, api.StartModeNormal, in.CustomerClientStartMode)
				assert.Equal(t, api.Bool(true), in.ElevateInstall)
				assert.NotEmpty(t, in.ConnectionType)
			},
			created: func(t *testing.T, in *api.JumpClientInstaller) {
				assert.Equal(t, api.DefaultValidDuration, in.ValidDuration)
				assert.Equal(t, 1440, in.ValidDuration)
				assert.WithinDuration(t, time.Now().Add(1440*time.Minute), in.ExpiresAt, time.Minute)
				assert.Equal(t, api.ConnectionActive, in.ConnectionType, "connection_type defaults to the jump client settings")
				// Key info is revealed by create, signed by the appliance.
				require.NotEmpty(t, in.KeyInfo)
				pub := s.App.Material.SigningKey.Public().(ed25519.PublicKey)
				p, err := keyinfo.Verify(in.KeyInfo, pub, time.Now())
				require.NoError(t, err)
				assert.Equal(t, in.InstallerID, p.InstallerID)
				assert.Equal(t, s.URL, p.URL)
				assert.Equal(t, s.App.Material.CAPin, p.CAPin)
				assert.Equal(t, []string{"name"}, p.Overrides)
				assert.Equal(t, in.ExpiresAt.Unix(), p.Expires)
				// And by the key-info endpoint.
				ki, err := c.GetInstallerKeyInfo(context.Background(), in.ID)
				require.NoError(t, err)
				assert.Equal(t, in.InstallerID, ki.InstallerID)
				assert.True(t, in.ExpiresAt.Equal(ki.ExpiresAt))
				p, err = keyinfo.Verify(ki.KeyInfo, pub, time.Now())
				require.NoError(t, err)
				assert.Equal(t, in.InstallerID, p.InstallerID)
			},
			read: func(t *testing.T, in *api.JumpClientInstaller) {
				assert.Empty(t, in.KeyInfo, "key_info must only be returned by create and the key-info endpoint")
			},
			unique: func(in *api.JumpClientInstaller) map[string]string {
				return map[string]string{"installer_id": in.InstallerID}
			},
			batch: map[string]string{"tag": "laptops", "jump_group_id": itoa(fx.group.ID), "jump_group_type": "shared"},
			inBatch: func(in *api.JumpClientInstaller) bool {
				return in.Tag == "laptops" && in.JumpGroupID == fx.group.ID
			},
			change: func(in *api.JumpClientInstaller) {
				in.ValidDuration, in.Name = 60, "desktop"
				in.JumpPolicyID, in.PublicPortalID = &fx.jumpPolicy.ID, &fx.portal.ID
				in.AttendedSessionPolicyID, in.UnattendedSessionPolicyID = &fx.sessionPolicy.ID, &fx.sessionPolicy.ID
				in.JumpointProxyID, in.ConnectionType = &fx.proxyJumpoint.ID, api.ConnectionStandby
				in.AllowOverrideTag, in.MaxOfflineMinutes = true, 5
			},
			changed: func(t *testing.T, in *api.JumpClientInstaller) {
				assert.Equal(t, 60, in.ValidDuration)
				assert.WithinDuration(t, time.Now().Add(60*time.Minute), in.ExpiresAt, time.Minute,
					"changing valid_duration restarts the validity window")
				assert.Equal(t, "desktop", in.Name)
				assert.Equal(t, &fx.jumpPolicy.ID, in.JumpPolicyID)
				assert.Equal(t, &fx.portal.ID, in.PublicPortalID)
				assert.Equal(t, &fx.proxyJumpoint.ID, in.JumpointProxyID)
				assert.Equal(t, api.ConnectionStandby, in.ConnectionType)
				assert.True(t, in.AllowOverrideTag)
				assert.True(t, in.AllowOverrideName)
			},
			patchBody: map[string]any{"tag": "patched", "max_offline_minutes": 10},
			patched: func(t *testing.T, in *api.JumpClientInstaller) {
				assert.Equal(t, "patched", in.Tag)
				assert.Equal(t, 10, in.MaxOfflineMinutes)
			},
		},
		collection[api.ProtocolTunnelJump]{
			path: api.PathProtocolTunnelJumps, kind: "protocol_tunnel_jump", client: c,
			create: c.CreateProtocolTunnelJump, get: c.GetProtocolTunnelJump, update: c.UpdateProtocolTunnelJump,
			patch: c.PatchProtocolTunnelJump, del: c.DeleteProtocolTunnelJump, list: c.ListProtocolTunnelJumps,
			valid: fx.newTunnelJump,
			defaults: func(t *testing.T, j *api.ProtocolTunnelJump) {
				assert.Equal(t, api.JumpGroupShared, j.JumpGroupType)
				assert.NotEmpty(t, j.TunnelDefinitions)
			},
			created: func(t *testing.T, j *api.ProtocolTunnelJump) {
				assert.Equal(t, "127.0.0.1", j.TunnelListenAddress)
				assert.Equal(t, []api.TunnelDefinition{{LocalPort: 15432, RemotePort: 5432}, {RemotePort: 22}}, j.TunnelDefinitions)
			},
			unique:  func(j *api.ProtocolTunnelJump) map[string]string { return map[string]string{"name": j.Name} },
			batch:   map[string]string{"tag": "databases", "jumpoint_id": itoa(fx.jumpoint.ID), "jump_group_id": itoa(fx.group.ID)},
			inBatch: func(j *api.ProtocolTunnelJump) bool { return j.Tag == "databases" && j.JumpointID == fx.jumpoint.ID },
			change: func(j *api.ProtocolTunnelJump) {
				j.TunnelListenAddress, j.Hostname = "127.0.0.2", "10.1.2.3"
				j.TunnelDefinitions = []api.TunnelDefinition{{LocalPort: 3306, RemotePort: 3306}}
				j.JumpPolicyID, j.SessionPolicyID = &fx.jumpPolicy.ID, &fx.sessionPolicy.ID
			},
			changed: func(t *testing.T, j *api.ProtocolTunnelJump) {
				assert.Equal(t, "127.0.0.2", j.TunnelListenAddress)
				assert.Equal(t, "10.1.2.3", j.Hostname)
				assert.Equal(t, []api.TunnelDefinition{{LocalPort: 3306, RemotePort: 3306}}, j.TunnelDefinitions)
				assert.Equal(t, &fx.jumpPolicy.ID, j.JumpPolicyID)
				assert.Equal(t, &fx.sessionPolicy.ID, j.SessionPolicyID)
			},
			patchBody: map[string]any{"comments": "patched", "session_policy_id": nil},
			patched: func(t *testing.T, j *api.ProtocolTunnelJump) {
				assert.Equal(t, "patched", j.Comments)
				assert.Nil(t, j.SessionPolicyID, "null in a merge patch removes the reference")
			},
		},
		collection[api.PublicPortal]{
			path: api.PathPublicPortals, kind: "public_portal", client: c,
			create: c.CreatePublicPortal, get: c.GetPublicPortal, update: c.UpdatePublicPortal, patch: c.PatchPublicPortal,
			del: c.DeletePublicPortal, list: c.ListPublicPortals,
			valid: func() *api.PublicPortal {
				p := newPortal()
				p.Hostname = strings.ToUpper(p.Hostname) + "."
				return p
			},
			defaults: func(t *testing.T, p *api.PublicPortal) {
				assert.Equal(t, strings.ToLower(p.Hostname), p.Hostname, "hostnames are stored in lower case")
				assert.False(t, strings.HasSuffix(p.Hostname, "."), "hostnames are stored without the root dot")
				assert.False(t, p.Default)
			},
			unique:  func(p *api.PublicPortal) map[string]string { return map[string]string{"hostname": p.Hostname} },
			batch:   map[string]string{"default": "false"},
			inBatch: func(p *api.PublicPortal) bool { return !p.Default },
			change:  func(p *api.PublicPortal) { p.DisplayName, p.SessionPolicyID = "Customer support", &fx.sessionPolicy.ID },
			changed: func(t *testing.T, p *api.PublicPortal) {
				assert.Equal(t, "Customer support", p.DisplayName)
				assert.Equal(t, &fx.sessionPolicy.ID, p.SessionPolicyID)
			},
			patchBody: map[string]any{"display_name": "patched"},
			patched: func(t *testing.T, p *api.PublicPortal) {
				assert.Equal(t, "patched", p.DisplayName)
			},
		},
		collection[api.User]{
			path: api.PathUsers, kind: "user", client: c,
			create: c.CreateUser, get: c.GetUser, update: c.UpdateUser, patch: c.PatchUser,
			del: c.DeleteUser, list: c.ListUsers,
			valid: func() *api.User {
				u := newUser()
				u.Password = "correct horse battery"
				return u
			},
			defaults: func(t *testing.T, u *api.User) {
				assert.Empty(t, u.Password, "passwords are never returned")
				assert.True(t, u.HasPassword)
				assert.NotNil(t, u.Enabled)
			},
			created: func(t *testing.T, u *api.User) {
				assert.Equal(t, api.Bool(true), u.Enabled)
				assert.False(t, u.Admin)
			},
			unique:  func(u *api.User) map[string]string { return map[string]string{"username": u.Username} },
			batch:   map[string]string{"admin": "false", "enabled": "true"},
			inBatch: func(u *api.User) bool { return !u.Admin && *u.Enabled },
			change:  func(u *api.User) { u.DisplayName, u.Email, u.Admin = "Alice B.", "alice.b@example.com", true },
			changed: func(t *testing.T, u *api.User) {
				assert.Equal(t, "alice.b@example.com", u.Email)
				assert.True(t, u.Admin)
			},
			patchBody: map[string]any{"enabled": false, "display_name": "Alice C.", "password": "another long password"},
			patched: func(t *testing.T, u *api.User) {
				assert.Equal(t, api.Bool(false), u.Enabled)
				assert.Equal(t, "Alice C.", u.DisplayName)
			},
		},
		collection[api.GroupPolicy]{
			path: api.PathGroupPolicies, kind: "group_policy", client: c,
			create: c.CreateGroupPolicy, get: c.GetGroupPolicy, update: c.UpdateGroupPolicy, patch: c.PatchGroupPolicy,
			del: c.DeleteGroupPolicy, list: c.ListGroupPolicies,
			valid: newGroupPolicy,
			defaults: func(t *testing.T, g *api.GroupPolicy) {
				assert.NotNil(t, g.Members, "members must be [] rather than null")
				assert.NotNil(t, g.JumpGroups, "jump_groups must be [] rather than null")
			},
			created: func(t *testing.T, g *api.GroupPolicy) {
				assert.Empty(t, g.Members)
				assert.Empty(t, g.JumpGroups)
			},
			unique: func(g *api.GroupPolicy) map[string]string { return map[string]string{"name": g.Name} },
			change: func(g *api.GroupPolicy) {
				g.Description = "changed"
				g.Members = []int64{fx.adminID}
				g.JumpGroups = []api.GroupPolicyJumpGroup{{JumpGroupID: fx.group.ID, Role: api.RoleStart, JumpPolicyID: &fx.jumpPolicy.ID}}
			},
			changed: func(t *testing.T, g *api.GroupPolicy) {
				assert.Equal(t, []int64{fx.adminID}, g.Members)
				assert.Equal(t, []api.GroupPolicyJumpGroup{{JumpGroupID: fx.group.ID, Role: api.RoleStart, JumpPolicyID: &fx.jumpPolicy.ID}}, g.JumpGroups)
			},
			patchBody: map[string]any{"description": "patched"},
			patched:   func(t *testing.T, g *api.GroupPolicy) { assert.Equal(t, "patched", g.Description) },
		},
		collection[api.APIToken]{
			path: api.PathAPITokens, kind: "api_token", client: c,
			create: c.CreateAPIToken, get: c.GetAPIToken, update: c.UpdateAPIToken, del: c.DeleteAPIToken, list: c.ListAPITokens,
			patch: func(ctx context.Context, id int64, p map[string]any, opts ...api.WriteOption) (*api.APIToken, error) {
				out := &api.APIToken{}
				_, err := c.Do(ctx, http.MethodPatch, itemPath(api.PathAPITokens, id), nil, p, out, opts...)
				return out, err
			},
			valid: func() *api.APIToken { return &api.APIToken{Name: uniq("ci")} },
			defaults: func(t *testing.T, tok *api.APIToken) {
				assert.Equal(t, fx.adminID, tok.UserID, "user_id defaults to the caller")
				assert.Regexp(t, `^jgt_[a-z2-7]{6}$`, tok.Prefix)
			},
			created: func(t *testing.T, tok *api.APIToken) {
				require.True(t, strings.HasPrefix(tok.Token, tok.Prefix), "the secret is returned by create")
				me, err := s.Client(t, tok.Token).WhoAmI(context.Background())
				require.NoError(t, err)
				assert.Equal(t, tok.ID, me.TokenID)
				assert.Equal(t, "admin", me.Username)
			},
			read: func(t *testing.T, tok *api.APIToken) {
				assert.Empty(t, tok.Token, "the secret is only returned by create")
			},
			unique:  func(tok *api.APIToken) map[string]string { return map[string]string{"name": tok.Name} },
			batch:   map[string]string{"user_id": itoa(fx.adminID)},
			inBatch: func(tok *api.APIToken) bool { return tok.UserID == fx.adminID },
			change:  func(tok *api.APIToken) { tok.ExpiresAt = &future },
			changed: func(t *testing.T, tok *api.APIToken) {
				if assert.NotNil(t, tok.ExpiresAt) {
					assert.True(t, future.Equal(*tok.ExpiresAt), "expires_at %v, want %v", tok.ExpiresAt, future)
				}
			},
			patchBody: map[string]any{"name": tokenName},
			patched: func(t *testing.T, tok *api.APIToken) {
				assert.Equal(t, tokenName, tok.Name)
				assert.NotNil(t, tok.ExpiresAt)
			},
		},
	}
}

// testSettings covers the jump client settings singleton: defaults, ETag,
// If-Match, no-op writes, merge patch and the audit trail.
func testSettings(t *testing.T, s *appliancetest.Server) {
	ctx := context.Background()
	c := s.Admin
	got := &api.JumpClientSettings{}
	hdr, err := c.Do(ctx, http.MethodGet, api.PathJumpClientSettings, nil, nil, got)
	require.NoError(t, err)
	v := got.Version
	assert.Equal(t, api.ETag(v), hdr.Get("ETag"))
	assert.Equal(t, `"`+itoa(v)+`"`, hdr.Get("ETag"))
	orig := clone(t, got)
	t.Cleanup(func() {
		cur, err := c.GetJumpClientSettings(ctx)
		require.NoError(t, err)
		_, err = c.UpdateJumpClientSettings(ctx, orig, api.IfMatch(cur.Version))
		require.NoError(t, err)
	})

	t.Run("defaults", func(t *testing.T) {
		assert.Equal(t, []string{api.StatConsoleUser, api.StatCPU, api.StatDisk, api.StatUptime}, sortedCopy(got.Statistics))
		assert.Equal(t, 60, got.StatisticsIntervalSeconds)
		assert.Equal(t, api.UpgradeAlways, got.UpgradeMode)
		assert.Equal(t, 90, got.LostAfterDays)
		assert.Equal(t, 180, got.DeletedAfterDays)
		assert.Equal(t, "keep", got.UninstalledBehavior)
		assert.Equal(t, api.ConnectionActive, got.DefaultConnectionType)
		assert.Equal(t, 60, got.StandbyCheckInMinutes)
		assert.Equal(t, api.SimultaneousJoin, got.SimultaneousJumps)
	})

	t.Run("no-op write keeps the version", func(t *testing.T) {
		same, err := c.UpdateJumpClientSettings(ctx, clone(t, got), api.IfMatch(v))
		require.NoError(t, err)
		assert.Equal(t, v, same.Version)
	})

	in := clone(t, got)
	in.Statistics = []string{api.StatScreen, api.StatCPU}
	in.DefaultConnectionType, in.LostAfterDays, in.DeletedAfterDays = api.ConnectionStandby, 30, 60
	put, err := c.UpdateJumpClientSettings(ctx, in, api.IfMatch(v))
	require.NoError(t, err)
	assert.Equal(t, v+1, put.Version)
	assert.ElementsMatch(t, []string{api.StatCPU, api.StatScreen}, put.Statistics)
	assert.Equal(t, api.ConnectionStandby, put.DefaultConnectionType)
	assert.Equal(t, 30, put.LostAfterDays)

	t.Run("stale If-Match", func(t *testing.T) {
		_, err := c.UpdateJumpClientSettings(ctx, in, api.IfMatch(v))
		assertProblem(t, err, api.ErrPreconditionFailed, "")
		_, err = c.Do(ctx, http.MethodPatch, api.PathJumpClientSettings, nil, map[string]any{"wake_on_lan_allowed": true}, nil, api.IfMatch(v))
		assertProblem(t, err, api.ErrPreconditionFailed, "")
		cur, err := c.GetJumpClientSettings(ctx)
		require.NoError(t, err)
		assert.Equal(t, v+1, cur.Version, "a refused write must not change the settings")
		assert.False(t, cur.WakeOnLANAllowed)
	})

	t.Run("merge patch", func(t *testing.T) {
		out := &api.JumpClientSettings{}
		hdr, err := c.Do(ctx, http.MethodPatch, api.PathJumpClientSettings, nil, map[string]any{"upgrade_mode": "disabled"}, out, api.IfMatch(v+1))
		require.NoError(t, err)
		assert.Equal(t, v+2, out.Version)
		assert.Equal(t, api.ETag(v+2), hdr.Get("ETag"))
		assert.Equal(t, api.UpgradeDisabled, out.UpgradeMode)
		assert.Equal(t, api.ConnectionStandby, out.DefaultConnectionType, "a merge patch keeps what it does not name")
	})

	t.Run("installers default to the settings' connection type", func(t *testing.T) {
		g, err := c.CreateJumpGroup(ctx, newJumpGroup())
		require.NoError(t, err)
		in, err := c.CreateJumpClientInstaller(ctx, &api.JumpClientInstaller{JumpGroupID: g.ID})
		require.NoError(t, err)
		assert.Equal(t, api.ConnectionStandby, in.ConnectionType)
		require.NoError(t, c.DeleteJumpClientInstaller(ctx, in.ID))
		require.NoError(t, c.DeleteJumpGroup(ctx, g.ID))
	})

	t.Run("audit", func(t *testing.T) {
		l, err := c.ListAuditEvents(ctx, &api.ListOptions{Filters: map[string]string{"object_type": "jump_client_settings"}})
		require.NoError(t, err)
		require.Len(t, l.Items, 2, "one event per write, none for the no-op")
		first := l.Items[0]
		assert.Equal(t, "update", first.Action)
		assert.Equal(t, "admin", first.Actor)
		assert.ElementsMatch(t, []string{"statistics", "default_connection_type", "lost_after_days", "deleted_after_days"}, keys(first.Diff))
		assert.Equal(t, api.FieldChange{Old: "active", New: "standby"}, first.Diff["default_connection_type"])
		assert.Equal(t, api.FieldChange{Old: "always", New: "disabled"}, l.Items[1].Diff["upgrade_mode"])
		assert.Len(t, l.Items[1].Diff, 1)
	})
}

// testReadOnlyFields checks that ids, versions, times and other read-only
// members of a request are ignored rather than stored.
func testReadOnlyFields(t *testing.T, s *appliancetest.Server, fx *fixtures) {
	ctx := context.Background()
	c := s.Admin
	body := with(t, bodyOf(t, fx.newInstaller()), "id", 999999, "version", 42, "created_at", "2001-01-01T00:00:00Z",
		"installer_id", "0000000000000000", "expires_at", "2099-01-01T00:00:00Z", "key_info", "jgk1.forged")
	out := &api.JumpClientInstaller{}
	_, err := c.Do(ctx, http.MethodPost, api.PathJumpClientInstallers, nil, body, out)
	require.NoError(t, err)
	assert.NotEqual(t, int64(999999), out.ID)
	assert.Equal(t, int64(1), out.Version)
	assert.WithinDuration(t, time.Now(), out.CreatedAt, time.Minute)
	assert.NotEqual(t, "0000000000000000", out.InstallerID)
	assert.WithinDuration(t, time.Now().Add(24*time.Hour), out.ExpiresAt, time.Minute)
	assert.NotEqual(t, "jgk1.forged", out.KeyInfo)

	u := &api.User{}
	_, err = c.Do(ctx, http.MethodPost, api.PathUsers, nil, map[string]any{"username": uniq("ro"), "has_password": true}, u)
	require.NoError(t, err)
	assert.False(t, u.HasPassword)

	tok := &api.APIToken{}
	_, err = c.Do(ctx, http.MethodPost, api.PathAPITokens, nil, map[string]any{"name": uniq("ro"), "token": "jgt_chosen", "prefix": "jgt_chosen"}, tok)
	require.NoError(t, err)
	assert.NotEqual(t, "jgt_chosen", tok.Token)
	assert.NotEqual(t, "jgt_chosen", tok.Prefix)
	_, err = s.Client(t, "jgt_chosen").WhoAmI(ctx)
	assertProblem(t, err, api.ErrUnauthorized, "")
	require.NoError(t, c.DeleteAPIToken(ctx, tok.ID))

	j := &api.Jumpoint{}
	_, err = c.Do(ctx, http.MethodPost, api.PathJumpoints, nil, with(t, bodyOf(t, newJumpoint()), "connected", true,
		"connected_nodes", []any{map[string]any{"id": 1, "hostname": "fake"}}), j)
	require.NoError(t, err)
	assert.False(t, j.Connected)
	assert.Empty(t, j.ConnectedNodes)
}
