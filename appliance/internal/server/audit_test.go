package server_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
)

// testAudit checks the audit trail of writes, its filters, and that secrets
// never reach it. It needs an appliance of its own, to count events.
func testAudit(t *testing.T, s *appliancetest.Server) {
	ctx := context.Background()
	c := s.Admin
	me, err := c.WhoAmI(ctx)
	require.NoError(t, err)

	earlier, err := c.CreateJumpGroup(ctx, newJumpGroup())
	require.NoError(t, err)
	// The server stamps events with its own clock, which is this process's.
	since := time.Now().UTC()

	g, err := c.CreateJumpGroup(ctx, &api.JumpGroup{Name: "Audited", CodeName: "audited", Comments: "first"})
	require.NoError(t, err)
	in := clone(t, g)
	in.Comments = "second"
	_, err = c.UpdateJumpGroup(ctx, g.ID, in)
	require.NoError(t, err)
	_, err = c.UpdateJumpGroup(ctx, g.ID, in) // a no-op is not audited
	require.NoError(t, err)
	require.NoError(t, c.DeleteJumpGroup(ctx, g.ID))

	other, oc := s.NewUser(t, true)
	og, err := oc.CreateJumpGroup(ctx, newJumpGroup())
	require.NoError(t, err)

	list := func(t *testing.T, filters map[string]string) []api.AuditEvent {
		t.Helper()
		all, err := api.ListAll(ctx, c.ListAuditEvents, &api.ListOptions{Filters: filters})
		require.NoError(t, err)
		return all
	}

	t.Run("create, update and delete by the admin", func(t *testing.T) {
		evs := list(t, map[string]string{"object_type": "jump_group", "actor": "admin", "since": since.Format(time.RFC3339Nano)})
		require.Len(t, evs, 3)
		for i, action := range []string{"create", "update", "delete"} {
			ev := evs[i]
			assert.Equal(t, action, ev.Action)
			assert.Equal(t, "admin", ev.Actor)
			assert.Equal(t, me.UserID, ev.ActorID)
			assert.Equal(t, "jump_group", ev.ObjectType)
			assert.Equal(t, g.ID, ev.ObjectID)
			assert.Equal(t, "audited", ev.ObjectName)
			assert.Equal(t, "127.0.0.1", ev.RemoteAddr)
			assert.False(t, ev.Time.Before(since.Truncate(time.Microsecond)), "event %s at %v is before %v", action, ev.Time, since)
			if i > 0 {
				assert.Greater(t, ev.ID, evs[i-1].ID)
			}
		}
		create, update, del := evs[0].Diff, evs[1].Diff, evs[2].Diff
		assert.Equal(t, api.FieldChange{Old: nil, New: "audited"}, create["code_name"])
		assert.Equal(t, api.FieldChange{Old: nil, New: "first"}, create["comments"])
		assert.Contains(t, create, "name")
		for _, meta := range []string{"id", "version", "created_at", "updated_at"} {
			assert.NotContains(t, create, meta, "read-only metadata is not part of the diff")
		}
		assert.Equal(t, map[string]api.FieldChange{"comments": {Old: "first", New: "second"}}, update,
			"an update's diff holds only the changed fields")
		assert.Equal(t, api.FieldChange{Old: "audited", New: nil}, del["code_name"])
		assert.Equal(t, api.FieldChange{Old: "second", New: nil}, del["comments"])
	})

	t.Run("filters", func(t *testing.T) {
		ids := func(evs []api.AuditEvent) []int64 {
			var out []int64
			for _, ev := range evs {
				out = append(out, ev.ObjectID)
			}
			return out
		}
		all := list(t, map[string]string{"object_type": "jump_group"})
		assert.Equal(t, []int64{earlier.ID, g.ID, g.ID, g.ID, og.ID}, ids(all))

		byOther := list(t, map[string]string{"actor": other.Username})
		if assert.Len(t, byOther, 1) {
			assert.Equal(t, og.ID, byOther[0].ObjectID)
			assert.Equal(t, other.ID, byOther[0].ActorID)
		}
		assert.Equal(t, []int64{earlier.ID}, ids(list(t, map[string]string{"object_type": "jump_group", "until": since.Format(time.RFC3339Nano)})))
		assert.Equal(t, []int64{g.ID, g.ID, g.ID, og.ID}, ids(list(t, map[string]string{"object_type": "jump_group", "since": since.Format(time.RFC3339Nano)})))
		assert.Equal(t, []int64{g.ID}, ids(list(t, map[string]string{"object_type": "jump_group", "action": "delete"})))
		assert.Len(t, list(t, map[string]string{"object_type": "jump_group", "object_id": itoa(g.ID)}), 3)
		assert.Empty(t, list(t, map[string]string{"object_type": "jump_group", "since": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}))
		assert.Empty(t, list(t, map[string]string{"actor": "nobody"}))

		// A filter with a closed set of values refuses the others, naming
		// them: an empty answer would read as "nothing happened".
		for _, bad := range []string{"sessions", "nonsense", "jump-group"} {
			_, err := c.ListAuditEvents(ctx, &api.ListOptions{Filters: map[string]string{"object_type": bad}})
			assertProblem(t, err, api.ErrValidation, "object_type")
			assert.Contains(t, err.Error(), "must be one of access_code, api_token", bad)
		}

		// Pages of one hold the same events as one page.
		var paged []api.AuditEvent
		opts := &api.ListOptions{Limit: 1, Filters: map[string]string{"object_type": "jump_group"}}
		for {
			p, err := c.ListAuditEvents(ctx, opts)
			require.NoError(t, err)
			require.LessOrEqual(t, len(p.Items), 1)
			paged = append(paged, p.Items...)
			if p.NextCursor == "" {
				break
			}
			opts.Cursor = p.NextCursor
		}
		assert.Equal(t, all, paged)
	})

	t.Run("passwords never appear", func(t *testing.T) {
		const pw1, pw2 = "first secret password", "second secret password"
		u, err := c.CreateUser(ctx, &api.User{Username: "pat", Password: pw1})
		require.NoError(t, err)
		_, err = c.PatchUser(ctx, u.ID, map[string]any{"password": pw2})
		require.NoError(t, err)
		_, err = c.UpdateUser(ctx, u.ID, u) // no password: unchanged, not audited
		require.NoError(t, err)

		evs := list(t, map[string]string{"object_type": "user", "object_id": itoa(u.ID)})
		require.Len(t, evs, 2)
		assert.Equal(t, "(changed)", evs[0].Diff["password"].New)
		assert.Equal(t, "update", evs[1].Action)
		assert.Equal(t, []string{"password"}, keys(evs[1].Diff), "a password change shows as the password field only")
		assert.Equal(t, "(changed)", evs[1].Diff["password"].New)

		body := rawAuditEvents(t, c, map[string]string{"object_type": "user"})
		assert.NotContains(t, body, pw1)
		assert.NotContains(t, body, pw2)
		assert.NotContains(t, body, "argon2")
	})

	t.Run("token secrets never appear", func(t *testing.T) {
		tok, err := c.CreateAPIToken(ctx, &api.APIToken{Name: "deploy"})
		require.NoError(t, err)
		require.NotEmpty(t, tok.Token)
		evs := list(t, map[string]string{"object_type": "api_token", "object_id": itoa(tok.ID)})
		require.Len(t, evs, 1)
		assert.Equal(t, "create", evs[0].Action)
		assert.NotContains(t, evs[0].Diff, "token")
		assert.Equal(t, api.FieldChange{Old: nil, New: "deploy"}, evs[0].Diff["name"])

		sum := sha256.Sum256([]byte(tok.Token))
		body := rawAuditEvents(t, c, nil)
		assert.NotContains(t, body, tok.Token)
		assert.NotContains(t, body, tok.Token[len(tok.Prefix):])
		assert.NotContains(t, body, hex.EncodeToString(sum[:]))
		assert.NotContains(t, body, s.AdminToken)
	})

	t.Run("installer key info never appears", func(t *testing.T) {
		g, err := c.CreateJumpGroup(ctx, newJumpGroup())
		require.NoError(t, err)
		in, err := c.CreateJumpClientInstaller(ctx, &api.JumpClientInstaller{JumpGroupID: g.ID})
		require.NoError(t, err)
		require.NotEmpty(t, in.KeyInfo)
		assert.NotContains(t, rawAuditEvents(t, c, map[string]string{"object_type": "jump_client_installer"}), in.KeyInfo)
	})
}

// rawAuditEvents returns the audit list as the appliance sent it.
func rawAuditEvents(t *testing.T, c *api.Client, filters map[string]string) string {
	t.Helper()
	q := url.Values{"limit": {"500"}}
	for k, v := range filters {
		q.Set(k, v)
	}
	var out json.RawMessage
	_, err := c.Do(context.Background(), http.MethodGet, api.PathAuditEvents, q, nil, &out)
	require.NoError(t, err)
	return string(out)
}
