package console_test

import (
	"context"
	"net/url"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
	"github.com/jumpgate/jumpgate/internal/browsertest"
)

// signIn opens next signed out and signs in as username with password.
func signIn(t *testing.T, srv *appliancetest.Server, next, username, password string) *browsertest.Page {
	t.Helper()
	if srv.AdminPassword == "" {
		t.Skip("the appliance of this tree has no admin password: the browser-session backend has not landed")
	}
	p := newPage(t, srv)
	p.Open(next)
	p.Fill("Username", username)
	p.Fill("Password", password)
	p.Click("button", "Sign in")
	return p
}

// eventually polls check until it holds, or fails the test with what.
func eventually(t *testing.T, what string, check func() bool) {
	t.Helper()
	deadline := time.Now().Add(browsertest.Timeout)
	for !check() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s after %s", what, browsertest.Timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// crudCase is one collection's create, edit, conflict and delete in the
// console: the form's labels, and the API calls that make the duplicate
// and the concurrent change.
type crudCase struct {
	slug, one string
	// codeLabel labels the unique field whose pattern the form checks.
	codeLabel string
	// editLabel labels the text field the edits change; heading tells
	// whether the detail page's heading is that field.
	editLabel string
	heading   bool
	// fill types the required fields besides the code.
	fill func(p *browsertest.Page, name string)
	// create makes an object with code through the API.
	create func(ctx context.Context, c *api.Client, code string) (int64, error)
	// touch changes the edited field through the API to value.
	touch func(ctx context.Context, c *api.Client, id int64, value string) error
	get   func(ctx context.Context, c *api.Client, id int64) error
}

var crudCases = []crudCase{
	{
		slug: "jump-groups", one: "Jump Group", codeLabel: "Code name", editLabel: "Name", heading: true,
		fill: func(p *browsertest.Page, name string) { p.Fill("Name", name) },
		create: func(ctx context.Context, c *api.Client, code string) (int64, error) {
			g, err := c.CreateJumpGroup(ctx, &api.JumpGroup{Name: "Taken", CodeName: code})
			if err != nil {
				return 0, err
			}
			return g.ID, nil
		},
		touch: func(ctx context.Context, c *api.Client, id int64, v string) error {
			g, err := c.GetJumpGroup(ctx, id)
			if err != nil {
				return err
			}
			g.Name = v
			_, err = c.UpdateJumpGroup(ctx, id, g)
			return err
		},
		get: func(ctx context.Context, c *api.Client, id int64) error {
			_, err := c.GetJumpGroup(ctx, id)
			return err
		},
	},
	{
		slug: "session-policies", one: "Session Policy", codeLabel: "Code name", editLabel: "Display name", heading: true,
		fill: func(p *browsertest.Page, name string) { p.Fill("Display name", name) },
		create: func(ctx context.Context, c *api.Client, code string) (int64, error) {
			sp, err := c.CreateSessionPolicy(ctx, &api.SessionPolicy{DisplayName: "Taken", CodeName: code})
			if err != nil {
				return 0, err
			}
			return sp.ID, nil
		},
		touch: func(ctx context.Context, c *api.Client, id int64, v string) error {
			sp, err := c.GetSessionPolicy(ctx, id)
			if err != nil {
				return err
			}
			sp.DisplayName = v
			_, err = c.UpdateSessionPolicy(ctx, id, sp)
			return err
		},
		get: func(ctx context.Context, c *api.Client, id int64) error {
			_, err := c.GetSessionPolicy(ctx, id)
			return err
		},
	},
	{
		slug: "users", one: "User", codeLabel: "Username", editLabel: "Display name",
		fill: func(p *browsertest.Page, name string) { p.Fill("Display name", name) },
		create: func(ctx context.Context, c *api.Client, code string) (int64, error) {
			u, err := c.CreateUser(ctx, &api.User{Username: code})
			if err != nil {
				return 0, err
			}
			return u.ID, nil
		},
		touch: func(ctx context.Context, c *api.Client, id int64, v string) error {
			u, err := c.GetUser(ctx, id)
			if err != nil {
				return err
			}
			u.DisplayName = v
			_, err = c.UpdateUser(ctx, id, u)
			return err
		},
		get: func(ctx context.Context, c *api.Client, id int64) error { _, err := c.GetUser(ctx, id); return err },
	},
}

var objectPath = regexp.MustCompile(`^/admin/[a-z-]+/([0-9]+)$`)

// TestAdmin_CreateEditConflictDelete: for each collection, the new-object
// form refuses a code name that breaks the API's pattern before sending it,
// shows the API's 409 for a duplicate, creates the object and lands on its
// page; the object is edited, a change made through the API between loading
// the form and saving it answers 412, which the page explains and reloads;
// and the object is deleted after a confirmation.
func TestAdmin_CreateEditConflictDelete(t *testing.T) {
	srv := appliancetest.NewServer(t)
	ctx := context.Background()
	for _, tt := range crudCases {
		t.Run(tt.slug, func(t *testing.T) {
			_, err := tt.create(ctx, srv.Admin, "taken")
			require.NoError(t, err)
			p := signIn(t, srv, "/admin/"+tt.slug+"/new", "admin", srv.AdminPassword)
			p.Find("heading", "New "+tt.one)

			// The pattern comes from api/openapi.json: the form says so before any request.
			tt.fill(p, "First")
			p.Fill(tt.codeLabel, "bad name!")
			p.Click("button", "Create "+tt.one)
			p.WaitText(tt.codeLabel + " is not in the expected format")
			assert.Equal(t, "/admin/"+tt.slug+"/new", p.Path())
			p.Screenshot("form-field-error")
			assertAccessible(t, p, "/admin/"+tt.slug+"/new")

			// The API is the judge of uniqueness.
			p.Fill(tt.codeLabel, "taken")
			p.Click("button", "Create "+tt.one)
			assert.Contains(t, p.Text("alert", ""), "already exists")

			p.Fill(tt.codeLabel, "first-code")
			p.Click("button", "Create "+tt.one)
			heading := "first-code"
			if tt.heading {
				heading = "First"
			}
			p.Find("heading", heading)
			var id int64
			eventually(t, "object page", func() bool {
				m := objectPath.FindStringSubmatch(p.Path())
				if m == nil {
					return false
				}
				id, _ = strconv.ParseInt(m[1], 10, 64)
				return true
			})
			require.NoError(t, tt.get(ctx, srv.Admin, id))
			p.Screenshot("detail")

			// Edit.
			p.Click("link", "Edit")
			p.WaitPath("/admin/" + tt.slug + "/" + strconv.FormatInt(id, 10) + "/edit")
			eventually(t, "the form with the object", func() bool { return p.Value("textbox", tt.editLabel) == "First" })
			p.Fill(tt.editLabel, "Second")
			p.Click("button", "Save changes")
			p.WaitPath("/admin/" + tt.slug + "/" + strconv.FormatInt(id, 10))
			p.WaitText("Second")

			// Someone else changes the object between load and save: 412.
			p.Click("link", "Edit")
			eventually(t, "the form with the object", func() bool { return p.Value("textbox", tt.editLabel) == "Second" })
			require.NoError(t, tt.touch(ctx, srv.Admin, id, "Changed by the API"))
			p.Fill(tt.editLabel, "Third")
			p.Click("button", "Save changes")
			assert.Contains(t, p.Text("alert", ""), "Someone else changed this "+tt.one)
			p.Screenshot("conflict")
			p.Click("button", "Reload")
			eventually(t, "the reloaded object in the form", func() bool { return p.Value("textbox", tt.editLabel) == "Changed by the API" })
			p.Fill(tt.editLabel, "Third")
			p.Click("button", "Save changes")
			p.WaitPath("/admin/" + tt.slug + "/" + strconv.FormatInt(id, 10))
			p.WaitText("Third")

			// Delete, after a confirmation.
			p.Click("button", "Delete")
			p.Find("alertdialog", "")
			if tt.heading {
				heading = "Third"
			}
			p.Click("button", "Delete "+heading)
			p.WaitPath("/admin/" + tt.slug)
			p.WaitText("Deleted " + tt.one)
			assert.ErrorIs(t, tt.get(ctx, srv.Admin, id), api.ErrNotFound)
			assert.Empty(t, p.Errors())
		})
	}
}

// TestAdmin_ListSearchAndSort: typing in the search box narrows the list on
// the server (q=), the total follows, and a column header sorts; both are
// in the URL.
func TestAdmin_ListSearchAndSort(t *testing.T) {
	srv := appliancetest.NewServer(t)
	ctx := context.Background()
	for _, n := range []string{"alpha one", "alpha two", "beta"} {
		_, err := srv.Admin.CreateJumpGroup(ctx, &api.JumpGroup{Name: n, CodeName: regexp.MustCompile(`\W`).ReplaceAllString(n, "-"), Labels: map[string]string{"env": "prod"}})
		require.NoError(t, err)
	}
	p := signIn(t, srv, "/admin/jump-groups", "admin", srv.AdminPassword)
	p.Find("heading", "Jump Groups")
	p.WaitText("3 Jump Groups")
	p.Find("link", "beta")
	p.Screenshot("list")
	assertAccessible(t, p, "/admin/jump-groups")

	p.Fill("Search", "alpha")
	p.WaitText("2 Jump Groups match")
	assert.False(t, p.Has("link", "beta"), "the search narrows the list")
	p.Find("link", "alpha two")
	u, err := url.Parse(p.Path())
	require.NoError(t, err)
	assert.Equal(t, "alpha", u.Query().Get("q"))

	p.Click("button", "Name")
	eventually(t, "sort=name in the URL", func() bool { u, _ := url.Parse(p.Path()); return u.Query().Get("sort") == "name" })
	p.Click("button", "Name")
	eventually(t, "sort=-name in the URL", func() bool { u, _ := url.Parse(p.Path()); return u.Query().Get("sort") == "-name" })
	p.Screenshot("list-search-sorted")
	assert.Empty(t, p.Errors())
}

// TestAdmin_Audit: the audit log shows the changes, and its object type
// filter narrows it.
func TestAdmin_Audit(t *testing.T) {
	srv := appliancetest.NewServer(t)
	ctx := context.Background()
	_, err := srv.Admin.CreateJumpGroup(ctx, &api.JumpGroup{Name: "Audited group", CodeName: "audited"})
	require.NoError(t, err)
	_, err = srv.Admin.CreateSessionPolicy(ctx, &api.SessionPolicy{DisplayName: "Audited policy", CodeName: "audited"})
	require.NoError(t, err)

	p := signIn(t, srv, "/admin/audit", "admin", srv.AdminPassword)
	p.Find("heading", "Audit log")
	p.Find("link", "jump_group audited")
	p.Find("link", "session_policy audited")
	p.Select("Object type", "jump_group")
	eventually(t, "the filter in the URL", func() bool { u, _ := url.Parse(p.Path()); return u.Query().Get("object_type") == "jump_group" })
	p.WaitText("jump_group audited")
	eventually(t, "the list narrowed", func() bool { return !p.Has("link", "session_policy audited") })
	p.Screenshot("audit")
	assertAccessible(t, p, "/admin/audit")
	assert.Empty(t, p.Errors())
}

// TestAdmin_NonAdmin: a user who is not an administrator sees no
// administration link, and an administration page opened directly shows the
// API's 403.
func TestAdmin_NonAdmin(t *testing.T) {
	srv := appliancetest.NewServer(t)
	const pw = "a long enough password"
	_, err := srv.Admin.CreateUser(context.Background(), &api.User{Username: "rep", Password: pw})
	require.NoError(t, err)
	p := signIn(t, srv, "/items", "rep", pw)
	p.Find("heading", "Jump Items")
	assert.False(t, p.Has("link", "Administration"))

	p.Open("/admin/users")
	p.Find("heading", "Users")
	assert.Contains(t, p.Text("alert", ""), "this page is for administrators")
	p.Screenshot("forbidden")

	admin := signIn(t, srv, "/items", "admin", srv.AdminPassword)
	admin.Click("link", "Administration")
	admin.Find("heading", "Administration")
	admin.WaitPath("/admin")
}

// TestAdmin_EveryCollection: every configuration collection has a list and
// a new-object form that load without an error or a serious accessibility
// violation, reached from the administration index.
func TestAdmin_EveryCollection(t *testing.T) {
	srv := appliancetest.NewServer(t)
	p := signIn(t, srv, "/admin", "admin", srv.AdminPassword)
	p.Find("heading", "Administration")
	for _, c := range []struct{ slug, title, one string }{
		{"jump-groups", "Jump Groups", "Jump Group"},
		{"jump-policies", "Jump Policies", "Jump Policy"},
		{"session-policies", "Session Policies", "Session Policy"},
		{"jumpoints", "Jumpoints", "Jumpoint"},
		{"jump-client-installers", "Jump Client Installers", "Jump Client Installer"},
		{"protocol-tunnel-jumps", "Protocol Tunnel Jumps", "Protocol Tunnel Jump"},
		{"public-portals", "Public Portals", "Public Portal"},
		{"users", "Users", "User"},
		{"group-policies", "Group Policies", "Group Policy"},
		{"api-tokens", "API Tokens", "API Token"},
	} {
		p.Click("link", c.title)
		p.Find("heading", c.title)
		p.WaitPath("/admin/" + c.slug)
		p.Click("link", "New "+c.one)
		p.Find("heading", "New "+c.one)
		p.Find("button", "Create "+c.one)
		assertAccessible(t, p, "/admin/"+c.slug+"/new")
	}
	p.Screenshot("installer-form")
	for _, s := range []string{"Jump Client settings", "Console settings"} {
		p.Click("link", s)
		p.Find("heading", s)
		p.Find("button", "Save settings")
		assertAccessible(t, p, s)
	}
	assert.Empty(t, p.Errors())
}

// TestAdmin_NestedFieldError: the API's error about a nested field
// (schedule[0].end_time, which only the API checks) shows next to that
// field of that schedule entry.
func TestAdmin_NestedFieldError(t *testing.T) {
	srv := appliancetest.NewServer(t)
	p := signIn(t, srv, "/admin/jump-policies/new", "admin", srv.AdminPassword)
	p.Find("heading", "New Jump Policy")
	p.Fill("Display name", "Office hours")
	p.Fill("Code name", "office-hours")
	p.Click("button", "Add schedule entry")
	p.Find("group", "Schedule entry 1")
	p.Select("Day", "monday")
	p.Fill("Start time", "25:00")
	p.Fill("End time", "09:00")
	p.Click("button", "Create Jump Policy")
	p.WaitText("Start time is not in the expected format")
	p.Fill("Start time", "10:00")
	p.Click("button", "Create Jump Policy")
	p.WaitText("End time must be after start_time 10:00")
	p.Screenshot("nested-api-error")
	p.Fill("End time", "18:00")
	p.Click("button", "Create Jump Policy")
	p.Find("heading", "Office hours")
	p.Find("region", "Schedule")
	p.WaitText("monday")
	assert.Empty(t, p.Errors())
}

// TestAdmin_InstallerAndToken: an installer made in the form references its
// jump group through a select and shows its downloads with copyable
// commands, its key info and a key rotation; an API token's secret shows
// once, on the page that follows its creation.
func TestAdmin_InstallerAndToken(t *testing.T) {
	srv := appliancetest.NewServer(t)
	ctx := context.Background()
	g, err := srv.Admin.CreateJumpGroup(ctx, &api.JumpGroup{Name: "Servers", CodeName: "servers"})
	require.NoError(t, err)

	p := signIn(t, srv, "/admin/jump-client-installers/new", "admin", srv.AdminPassword)
	p.Find("heading", "New Jump Client Installer")
	p.Fill("Name", "Linux fleet")
	p.Select("Jump group", "Servers · #"+strconv.FormatInt(g.ID, 10))
	p.Click("button", "Create Jump Client Installer")
	p.Find("heading", "Linux fleet")
	p.Find("region", "Downloads")
	p.Find("link", "Servers")
	if p.Has("button", "Copy the linux-amd64 download command") {
		p.Click("button", "Copy the linux-amd64 download command")
	}
	p.Click("button", "Show key info")
	p.WaitText("Key info, valid until")
	p.Click("button", "Rotate key")
	p.Click("button", "Rotate the key")
	p.WaitText("Key info, valid until")
	p.Screenshot("installer")
	assertAccessible(t, p, "installer detail")

	p.Open("/admin/api-tokens/new")
	p.Find("heading", "New API Token")
	p.Fill("Name", "ci")
	p.Click("button", "Create API Token")
	p.Find("heading", "ci")
	secret := p.Text("region", "The token's secret")
	assert.Contains(t, secret, "not shown again")
	p.Screenshot("token-secret")
	p.Open(p.Path())
	p.Find("heading", "ci")
	assert.False(t, p.Has("region", "The token's secret"), "the secret shows once")
	assert.Empty(t, p.Errors())
}

// TestAdmin_Settings: a settings page saves with If-Match and shows a 412
// when someone else changed the settings first.
func TestAdmin_Settings(t *testing.T) {
	srv := appliancetest.NewServer(t)
	ctx := context.Background()
	p := signIn(t, srv, "/admin/settings/jump-clients", "admin", srv.AdminPassword)
	p.Find("heading", "Jump Client settings")
	p.Click("checkbox", "Wake on LAN allowed")
	p.Click("button", "Save settings")
	p.Find("status", "")
	p.WaitText("Saved.")
	s, err := srv.Admin.GetJumpClientSettings(ctx)
	require.NoError(t, err)
	assert.True(t, s.WakeOnLANAllowed)

	s.WakeOnLANAllowed = false
	_, err = srv.Admin.UpdateJumpClientSettings(ctx, s)
	require.NoError(t, err)
	p.Click("checkbox", "Wake on LAN allowed")
	p.Click("button", "Save settings")
	assert.Contains(t, p.Text("alert", ""), "Someone else changed these settings")
	p.Click("button", "Reload")
	p.Screenshot("settings")
	assert.Empty(t, p.Errors())
}

// TestAdmin_Memberships: a jump group's membership is made in repeatable
// fieldsets whose group policy is a select of the group policies, and the
// jump group's page lists it with a link to the group policy; a list's
// reference filter is a select of the referenced collection.
func TestAdmin_Memberships(t *testing.T) {
	srv := appliancetest.NewServer(t)
	gp, err := srv.Admin.CreateGroupPolicy(context.Background(), &api.GroupPolicy{Name: "Support team"})
	require.NoError(t, err)
	p := signIn(t, srv, "/admin/jump-groups/new", "admin", srv.AdminPassword)
	p.Find("heading", "New Jump Group")
	p.Fill("Name", "Branch office")
	p.Fill("Code name", "branch")
	p.Click("button", "Add membership")
	p.Find("group", "Membership 1")
	p.Select("Group policy", "Support team · #"+strconv.FormatInt(gp.ID, 10))
	p.Select("Role", "start")
	p.Screenshot("membership-form")
	p.Click("button", "Create Jump Group")
	p.Find("heading", "Branch office")
	assert.Contains(t, p.Text("region", "Memberships"), "start")
	p.Click("link", "Support team")
	p.Find("heading", "Support team")
	p.WaitPath("/admin/group-policies/" + strconv.FormatInt(gp.ID, 10))
	p.Find("link", "Branch office")

	p.Open("/admin/jump-client-installers")
	p.Find("heading", "Jump Client Installers")
	p.Select("Jump group", "Branch office · #1")
	eventually(t, "the filter in the URL", func() bool { u, _ := url.Parse(p.Path()); return u.Query().Get("jump_group_id") == "1" })
	p.WaitText("No Jump Client Installers match.")
	assert.Empty(t, p.Errors())
}
