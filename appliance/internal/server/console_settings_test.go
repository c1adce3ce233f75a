package server_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
	"github.com/jumpgate/jumpgate/internal/pgtest"
)

func TestConsoleSettings_SQLite(t *testing.T) {
	t.Parallel()
	testConsoleSettings(t, appliancetest.NewServer(t))
}

func TestConsoleSettings_Postgres(t *testing.T) {
	t.Parallel()
	testConsoleSettings(t, appliancetest.NewServer(t, appliancetest.WithDatabase(pgtest.NewDatabase(t))))
}

// testConsoleSettings covers the console settings singleton: the defaults
// of a new appliance, ETag and If-Match, no-op writes, the origin rule,
// merge patch, who may read and write, the change hook, the cache and the
// audit trail.
func testConsoleSettings(t *testing.T, s *appliancetest.Server) {
	ctx := context.Background()
	c := s.Admin
	console := s.App.Server.Console
	var (
		mu    sync.Mutex
		heard []api.ConsoleSettings
	)
	console.OnChange(func(cs api.ConsoleSettings) {
		mu.Lock()
		defer mu.Unlock()
		heard = append(heard, cs)
	})

	got := &api.ConsoleSettings{}
	hdr, err := c.Do(ctx, http.MethodGet, "settings/console", nil, nil, got)
	require.NoError(t, err)
	v := got.Version
	assert.Equal(t, api.ETag(v), hdr.Get("ETag"))

	t.Run("defaults", func(t *testing.T) {
		var want api.ConsoleSettings
		want.ApplyDefaults()
		want.Version = got.Version
		assert.Equal(t, want, untimed(*got))
		cur, err := console.Current(ctx)
		require.NoError(t, err)
		assert.Equal(t, want, untimed(cur))
	})

	t.Run("no-op write keeps the version", func(t *testing.T) {
		same, err := c.UpdateConsoleSettings(ctx, &api.ConsoleSettings{}, api.IfMatch(v))
		require.NoError(t, err, "an empty body is the defaults")
		assert.Equal(t, v, same.Version)
	})

	t.Run("bad input changes nothing", func(t *testing.T) {
		for _, tt := range []struct {
			name  string
			in    api.ConsoleSettings
			field string
		}{
			{"idle timeout below 5", api.ConsoleSettings{SessionIdleTimeoutMinutes: 4}, "session_idle_timeout_minutes"},
			{"lifetime above 720", api.ConsoleSettings{SessionLifetimeHours: 721}, "session_lifetime_hours"},
			{"origin with a path", api.ConsoleSettings{TrustedOrigins: []string{"https://support.example.com/"}}, "trusted_origins[0]"},
			{"origin in upper case", api.ConsoleSettings{TrustedOrigins: []string{"https://ok.example.com", "https://Support.example.com"}}, "trusted_origins[1]"},
			{"origin with the default port", api.ConsoleSettings{TrustedOrigins: []string{"https://support.example.com:443"}}, "trusted_origins[0]"},
			{"not http", api.ConsoleSettings{TrustedOrigins: []string{"ftp://support.example.com"}}, "trusted_origins[0]"},
			{"twice", api.ConsoleSettings{TrustedOrigins: []string{"https://a.example.com", "https://a.example.com"}}, "trusted_origins"},
			{"too many", api.ConsoleSettings{TrustedOrigins: manyOrigins(api.MaxTrustedOrigins + 1)}, "trusted_origins"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				in := tt.in
				_, err := c.UpdateConsoleSettings(ctx, &in)
				assertProblem(t, err, api.ErrValidation, tt.field)
			})
		}
		cur, err := c.GetConsoleSettings(ctx)
		require.NoError(t, err)
		assert.Equal(t, v, cur.Version)
	})

	in := &api.ConsoleSettings{MFARequired: api.Bool(true), SessionIdleTimeoutMinutes: 15, SessionLifetimeHours: 8,
		TrustedOrigins: []string{"https://support.example.com", "http://[::1]:8443", "https://10.0.0.1:8443"}}
	put, err := c.UpdateConsoleSettings(ctx, in, api.IfMatch(v))
	require.NoError(t, err)
	assert.Equal(t, v+1, put.Version)
	assert.True(t, *put.MFARequired)
	assert.Equal(t, 15, put.SessionIdleTimeoutMinutes)
	assert.Equal(t, 8, put.SessionLifetimeHours)
	assert.Equal(t, []string{"http://[::1]:8443", "https://10.0.0.1:8443", "https://support.example.com"}, put.TrustedOrigins, "kept sorted")

	t.Run("the hook and the cache hear of the change", func(t *testing.T) {
		mu.Lock()
		require.Len(t, heard, 1, "one call per committed change, none for the no-op")
		assert.Equal(t, untimed(*put), untimed(heard[0]))
		mu.Unlock()
		cur, err := console.Current(ctx)
		require.NoError(t, err)
		assert.Equal(t, untimed(*put), untimed(cur))
	})

	t.Run("stale If-Match", func(t *testing.T) {
		_, err := c.UpdateConsoleSettings(ctx, in, api.IfMatch(v))
		assertProblem(t, err, api.ErrPreconditionFailed, "")
		_, err = c.PatchConsoleSettings(ctx, map[string]any{"mfa_required": false}, api.IfMatch(v))
		assertProblem(t, err, api.ErrPreconditionFailed, "")
		cur, err := c.GetConsoleSettings(ctx)
		require.NoError(t, err)
		assert.Equal(t, v+1, cur.Version, "a refused write must not change the settings")
	})

	t.Run("merge patch", func(t *testing.T) {
		out := &api.ConsoleSettings{}
		hdr, err := c.Do(ctx, http.MethodPatch, "settings/console", nil, map[string]any{"session_lifetime_hours": 24}, out, api.IfMatch(v+1))
		require.NoError(t, err)
		assert.Equal(t, v+2, out.Version)
		assert.Equal(t, api.ETag(v+2), hdr.Get("ETag"))
		assert.Equal(t, 24, out.SessionLifetimeHours)
		assert.Equal(t, 15, out.SessionIdleTimeoutMinutes, "a merge patch keeps what it does not name")
		assert.Len(t, out.TrustedOrigins, 3)
	})

	t.Run("any user reads, only administrators write", func(t *testing.T) {
		_, uc := s.NewUser(t, false)
		cur, err := uc.GetConsoleSettings(ctx)
		require.NoError(t, err)
		_, err = uc.UpdateConsoleSettings(ctx, &api.ConsoleSettings{})
		assertProblem(t, err, api.ErrForbidden, "")
		_, err = uc.PatchConsoleSettings(ctx, map[string]any{"mfa_required": false})
		assertProblem(t, err, api.ErrForbidden, "")
		after, err := c.GetConsoleSettings(ctx)
		require.NoError(t, err)
		assert.Equal(t, cur, after)
	})

	t.Run("audit", func(t *testing.T) {
		l, err := c.ListAuditEvents(ctx, &api.ListOptions{Filters: map[string]string{"object_type": "console_settings"}})
		require.NoError(t, err)
		require.Len(t, l.Items, 2, "one event per write, none for the no-op or the refused ones")
		first := l.Items[0]
		assert.Equal(t, "update", first.Action)
		assert.Equal(t, "admin", first.Actor)
		assert.ElementsMatch(t, []string{"mfa_required", "session_idle_timeout_minutes", "session_lifetime_hours", "trusted_origins"}, keys(first.Diff))
		assert.Equal(t, api.FieldChange{Old: false, New: true}, first.Diff["mfa_required"])
		assert.Equal(t, []string{"session_lifetime_hours"}, keys(l.Items[1].Diff))
	})

	t.Run("an empty write restores the defaults", func(t *testing.T) {
		out, err := c.UpdateConsoleSettings(ctx, &api.ConsoleSettings{})
		require.NoError(t, err)
		var want api.ConsoleSettings
		want.ApplyDefaults()
		want.Version = out.Version
		assert.Equal(t, want, untimed(*out))
	})
}

// untimed is a without the time of its last write, which a database reads
// back in another location.
func untimed(a api.ConsoleSettings) api.ConsoleSettings {
	a.UpdatedAt = time.Time{}
	return a
}

func manyOrigins(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "https://h" + itoa(int64(i)) + ".example.com"
	}
	return out
}
