package instance_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/appliance/internal/db"
	"github.com/jumpgate/jumpgate/appliance/internal/instance"
	"github.com/jumpgate/jumpgate/appliance/internal/migrations"
	"github.com/jumpgate/jumpgate/internal/pgtest"
)

// TestMain stops the PostgreSQL server that the Postgres tests start.
func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

// clock is a settable clock shared by the registries of one test.
type clock struct{ t atomic.Pointer[time.Time] }

func (c *clock) now() time.Time      { return *c.t.Load() }
func (c *clock) set(t time.Time)     { c.t.Store(&t) }
func (c *clock) add(d time.Duration) { c.set(c.now().Add(d)) }

func ids(t *testing.T, d *db.DB) []string {
	t.Helper()
	var out []string
	require.NoError(t, d.R.Model(&instance.Record{}).Order("id").Pluck("id", &out).Error)
	return out
}

// TestRegistry_Lease registers processes on one database and checks that a
// live one's row stays, a dead one's goes once its lease has run out and
// not before, a clean stop leaves no row, a process whose row was removed
// registers again and is told, and that with Exclusive (SQLite, under the
// data dir lock) every other row goes at once.
func TestRegistry_Lease(t *testing.T) {
	for _, tt := range []struct {
		name string
		dsn  func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return "sqlite://" + filepath.Join(t.TempDir(), "jumpgate.db") }},
		{"postgres", func(t *testing.T) string { return pgtest.NewDatabase(t) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			d, err := db.Open(ctx, tt.dsn(t), slog.New(slog.DiscardHandler))
			require.NoError(t, err)
			t.Cleanup(func() { _ = d.Close() })
			require.NoError(t, migrations.Migrate(ctx, d))

			var c clock
			c.set(time.Date(2026, 12, 8, 2, 0, 0, 0, time.UTC))
			var lost atomic.Int32
			newReg := func(exclusive bool) *instance.Registry {
				r, err := instance.New(instance.Config{DB: d, Interval: time.Second, Now: c.now, Exclusive: exclusive, Lost: func() { lost.Add(1) }})
				require.NoError(t, err)
				require.Len(t, r.ID, 32)
				return r
			}
			a, b := newReg(false), newReg(false)
			require.NotEqual(t, a.ID, b.ID, "a fresh id per start")
			require.NoError(t, a.Register(ctx))
			require.NoError(t, b.Register(ctx))
			assert.ElementsMatch(t, []string{a.ID, b.ID}, ids(t, d))

			// a renews, b is dead (killed): b's row stays for its lease.
			c.add(a.Lease() - time.Millisecond)
			require.NoError(t, a.Renew(ctx))
			n, err := a.Expire(ctx)
			require.NoError(t, err)
			assert.Zero(t, n, "b's lease has not run out")
			c.add(2 * time.Millisecond)
			n, err = a.Expire(ctx)
			require.NoError(t, err)
			assert.EqualValues(t, 1, n)
			assert.Equal(t, []string{a.ID}, ids(t, d), "a renewed, so it is live; b is gone")

			// A process that another took for dead registers again.
			require.NoError(t, d.W.Where("id = ?", a.ID).Delete(&instance.Record{}).Error)
			require.NoError(t, a.Renew(ctx))
			assert.EqualValues(t, 1, lost.Load())
			assert.Equal(t, []string{a.ID}, ids(t, d))

			// A start counts a live process's row as live.
			e := newReg(false)
			require.NoError(t, e.Register(ctx))
			assert.ElementsMatch(t, []string{a.ID, e.ID}, ids(t, d))

			// Clean stop: no ghost.
			require.NoError(t, e.Close(ctx))
			assert.Equal(t, []string{a.ID}, ids(t, d))

			// Exclusive: the lock holder knows every other row is dead.
			x := newReg(true)
			require.NoError(t, x.Register(ctx))
			assert.Equal(t, []string{x.ID}, ids(t, d))
		})
	}
}

// TestRegistry_StartRenewsAndReaps runs the heartbeat loop for real: the
// row's lease moves ahead and Reap is called.
func TestRegistry_StartRenewsAndReaps(t *testing.T) {
	ctx := context.Background()
	d, err := db.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "jumpgate.db"), slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close() })
	require.NoError(t, migrations.Migrate(ctx, d))
	var reaps atomic.Int32
	r, err := instance.New(instance.Config{DB: d, Interval: 100 * time.Millisecond, Reap: func(context.Context) error { reaps.Add(1); return nil }})
	require.NoError(t, err)
	require.NoError(t, r.Register(ctx))
	var first instance.Record
	require.NoError(t, d.R.Take(&first, "id = ?", r.ID).Error)
	r.Start()
	require.Eventually(t, func() bool {
		var cur instance.Record
		return d.R.Take(&cur, "id = ?", r.ID).Error == nil && cur.ExpiresAt.After(first.ExpiresAt) && reaps.Load() > 0
	}, 10*time.Second, 20*time.Millisecond)
	require.NoError(t, r.Close(ctx))
	assert.Empty(t, ids(t, d))
}
