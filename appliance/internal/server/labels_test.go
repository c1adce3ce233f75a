package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
	"github.com/jumpgate/jumpgate/internal/pgtest"
)

func TestLabels_SQLite(t *testing.T) {
	t.Parallel()
	testLabels(t, appliancetest.NewServer(t))
}

func TestLabels_Postgres(t *testing.T) {
	t.Parallel()
	testLabels(t, appliancetest.NewServer(t, appliancetest.WithDatabase(pgtest.NewDatabase(t))))
}

// labelled is a collection whose objects carry labels, with a builder of
// valid new objects and its audit object type.
type labelled struct {
	path, kind string
	valid      func() any
}

// testLabels drives the labels of every labelled collection through the
// API: writes, the null/{} rule, merge patches, refusals, the ?label=
// filter and the audit diff.
func testLabels(t *testing.T, s *appliancetest.Server) {
	fx := newFixtures(t, s)
	cols := []labelled{
		{api.PathJumpGroups, "jump_group", func() any { return newJumpGroup() }},
		{api.PathJumpPolicies, "jump_policy", func() any { return newJumpPolicy() }},
		{api.PathSessionPolicies, "session_policy", func() any { return newSessionPolicy() }},
		{api.PathJumpoints, "jumpoint", func() any { return newJumpoint() }},
		{api.PathJumpClientInstallers, "jump_client_installer", func() any { return fx.newInstaller() }},
		{api.PathProtocolTunnelJumps, "protocol_tunnel_jump", func() any { return fx.newTunnelJump() }},
		{api.PathPublicPortals, "public_portal", func() any { return newPortal() }},
		{api.PathUsers, "user", func() any { return newUser() }},
		{api.PathGroupPolicies, "group_policy", func() any { return newGroupPolicy() }},
	}
	for _, col := range cols {
		t.Run(col.path, func(t *testing.T) {
			t.Run("writes", func(t *testing.T) { col.writes(t, s.Admin) })
			t.Run("refusals", func(t *testing.T) { col.refusals(t, s.Admin) })
			t.Run("filter", func(t *testing.T) { col.filter(t, s.Admin) })
		})
	}
	t.Run("collections without labels", func(t *testing.T) {
		for _, path := range []string{api.PathAPITokens, api.PathJumpClients, api.PathAuditEvents} {
			_, err := s.Admin.Do(context.Background(), http.MethodGet, path, url.Values{"label": {"team"}}, nil, &api.List[map[string]any]{})
			assertProblem(t, err, api.ErrBadRequest, "label")
		}
	})
}

type object = map[string]any

func (col labelled) create(t *testing.T, c *api.Client, labels any) object {
	t.Helper()
	body := bodyOf(t, col.valid())
	body["labels"] = labels
	out := object{}
	_, err := c.Do(context.Background(), http.MethodPost, col.path, nil, body, &out)
	require.NoError(t, err)
	return out
}

func (col labelled) get(t *testing.T, c *api.Client, id any) object {
	t.Helper()
	out := object{}
	_, err := c.Do(context.Background(), http.MethodGet, fmt.Sprintf("%s/%v", col.path, id), nil, nil, &out)
	require.NoError(t, err)
	return out
}

func (col labelled) write(t *testing.T, c *api.Client, method string, id any, body object) object {
	t.Helper()
	out := object{}
	_, err := c.Do(context.Background(), method, fmt.Sprintf("%s/%v", col.path, id), nil, body, &out)
	require.NoError(t, err)
	return out
}

// writable drops what a PUT body must not carry: secrets a read never
// shows and fields a PUT would treat as a request to change.
func writable(o object) object {
	out := object{}
	for k, v := range o {
		out[k] = v
	}
	delete(out, "valid_duration") // an installer's new window starts on every PUT that sets it
	return out
}

func (col labelled) writes(t *testing.T, c *api.Client) {
	ctx := context.Background()
	id := col.create(t, c, object{"team": "ops", "jumpgate.dev/owner": "ns.name"})["id"]
	got := col.get(t, c, id)
	assert.Equal(t, object{"team": "ops", "jumpgate.dev/owner": "ns.name"}, got["labels"])

	// Omitted and null labels are left as they are.
	put := writable(got)
	delete(put, "labels")
	assert.Equal(t, object{"team": "ops", "jumpgate.dev/owner": "ns.name"}, col.write(t, c, http.MethodPut, id, put)["labels"])
	put["labels"] = nil
	assert.Equal(t, object{"team": "ops", "jumpgate.dev/owner": "ns.name"}, col.write(t, c, http.MethodPut, id, put)["labels"])

	// A PUT replaces them.
	put["labels"] = object{"team": "db", "empty": ""}
	assert.Equal(t, object{"team": "db", "empty": ""}, col.write(t, c, http.MethodPut, id, put)["labels"])

	// A merge patch adds, changes and removes single keys.
	patched := col.write(t, c, http.MethodPatch, id, object{"labels": object{"empty": nil, "tier": "web", "team": "ops"}})
	assert.Equal(t, object{"team": "ops", "tier": "web"}, patched["labels"])
	assert.Equal(t, object{"team": "ops", "tier": "web"}, col.get(t, c, id)["labels"])

	// {} removes them all, and reads answer {} from then on.
	put["labels"] = object{}
	assert.Equal(t, object{}, col.write(t, c, http.MethodPut, id, put)["labels"])
	assert.Equal(t, object{}, col.get(t, c, id)["labels"])

	// An object created without labels reads {}.
	bare := col.create(t, c, nil)
	assert.Equal(t, object{}, bare["labels"])
	assert.Equal(t, object{}, col.get(t, c, bare["id"])["labels"])

	// The audit log shows every change of the labels.
	evs, err := c.ListAuditEvents(ctx, &api.ListOptions{Filters: map[string]string{"object_type": col.kind, "object_id": fmt.Sprint(id)}})
	require.NoError(t, err)
	var diffs []api.FieldChange
	for _, ev := range evs.Items {
		if d, ok := ev.Diff["labels"]; ok {
			diffs = append(diffs, d)
		}
	}
	require.Len(t, diffs, 4, "create, PUT, PATCH and clearing PUT change the labels; the two keeping writes do not")
	assert.Equal(t, api.FieldChange{Old: nil, New: object{"team": "ops", "jumpgate.dev/owner": "ns.name"}}, diffs[0])
	assert.Equal(t, api.FieldChange{Old: object{"team": "db", "empty": ""}, New: object{"team": "ops", "tier": "web"}}, diffs[2])
	assert.Equal(t, api.FieldChange{Old: object{"team": "ops", "tier": "web"}, New: object{}}, diffs[3])
}

func (col labelled) refusals(t *testing.T, c *api.Client) {
	ctx := context.Background()
	many := object{}
	for i := range api.MaxLabels + 1 {
		many[fmt.Sprintf("k%d", i)] = "v"
	}
	tests := []struct {
		name   string
		labels any
		field  string
		detail string
	}{
		{name: "bad key", labels: object{"bad key": "v"}, field: "labels.bad key", detail: "key"},
		{name: "key too long", labels: object{strings.Repeat("k", 64): "v"}, field: "labels." + strings.Repeat("k", 64), detail: "key"},
		{name: "upper-case prefix", labels: object{"Example.com/k": "v"}, field: "labels.Example.com/k", detail: "prefix"},
		{name: "empty name", labels: object{"example.com/": "v"}, field: "labels.example.com/", detail: "key"},
		{name: "bad value", labels: object{"k": "a b"}, field: "labels.k", detail: "value"},
		{name: "value too long", labels: object{"k": strings.Repeat("v", 64)}, field: "labels.k", detail: "value"},
		{name: "too many", labels: many, field: "labels", detail: "at most 64"},
		{name: "not strings", labels: object{"k": 1}, field: "labels.k"},
		{name: "not an object", labels: []string{"k"}, field: "labels"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := bodyOf(t, col.valid())
			body["labels"] = tt.labels
			_, err := c.Do(ctx, http.MethodPost, col.path, nil, body, &object{})
			assertProblem(t, err, api.ErrValidation, tt.field)
			for _, fe := range api.FieldErrors(err) {
				if fe.Field == tt.field {
					assert.Contains(t, fe.Detail, tt.detail)
				}
			}
		})
	}
	t.Run("patch", func(t *testing.T) {
		id := col.create(t, c, object{"team": "ops"})["id"]
		_, err := c.Do(ctx, http.MethodPatch, fmt.Sprintf("%s/%v", col.path, id), nil, object{"labels": object{"-x": "v"}}, &object{})
		assertProblem(t, err, api.ErrValidation, "labels.-x")
		assert.Equal(t, object{"team": "ops"}, col.get(t, c, id)["labels"], "a refused patch changes nothing")
	})
}

func (col labelled) filter(t *testing.T, c *api.Client) {
	ctx := context.Background()
	// A key of this run only, so objects of other tests never match.
	env := uniq("run") + ".example.com/env"
	exact := col.create(t, c, object{env: "prod", "tier": "web"})["id"]
	longer := col.create(t, c, object{env: "prod-eu", "tier": "web"})["id"]
	inner := col.create(t, c, object{env: "xprodx", "tier": "db"})["id"]
	empty := col.create(t, c, object{env: ""})["id"]
	_ = col.create(t, c, object{"tier": "web"})

	tests := []struct {
		name  string
		terms []string
		want  []any
	}{
		{name: "key=value", terms: []string{env + "=prod"}, want: []any{exact}},
		{name: "value that is a prefix of others", terms: []string{env + "=pro"}, want: nil},
		{name: "value that is inside others", terms: []string{env + "=rod"}, want: nil},
		{name: "key that is a prefix of another", terms: []string{"tie"}, want: nil},
		{name: "key only", terms: []string{env}, want: []any{exact, longer, inner, empty}},
		{name: "empty value", terms: []string{env + "="}, want: []any{empty}},
		{name: "two terms ANDed", terms: []string{env, "tier=web"}, want: []any{exact, longer}},
		{name: "two values of one key", terms: []string{env + "=prod", env + "=prod-eu"}, want: nil},
		{name: "key of another object", terms: []string{env, "tier=db"}, want: []any{inner}},
		{name: "no such key", terms: []string{uniq("nobody")}, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got api.List[object]
			_, err := c.Do(ctx, http.MethodGet, col.path, (&api.ListOptions{LabelSelector: tt.terms}).Query(), nil, &got)
			require.NoError(t, err)
			var ids []any
			for _, it := range got.Items {
				ids = append(ids, it["id"])
			}
			assert.Equal(t, tt.want, ids)
		})
	}
	t.Run("pages", func(t *testing.T) {
		q := (&api.ListOptions{Limit: 1, LabelSelector: []string{env}}).Query()
		var ids []any
		for {
			var got api.List[object]
			_, err := c.Do(ctx, http.MethodGet, col.path, q, nil, &got)
			require.NoError(t, err)
			for _, it := range got.Items {
				ids = append(ids, it["id"])
			}
			if got.NextCursor == "" {
				break
			}
			q.Set("cursor", got.NextCursor)
		}
		assert.Equal(t, []any{exact, longer, inner, empty}, ids)
	})
	for _, bad := range []string{"", "bad key", "k=a b", "=v", "Example.com/k"} {
		t.Run(fmt.Sprintf("malformed %q", bad), func(t *testing.T) {
			_, err := c.Do(ctx, http.MethodGet, col.path, url.Values{"label": {bad}}, nil, &api.List[object]{})
			assertProblem(t, err, api.ErrValidation, "label")
		})
	}
}
