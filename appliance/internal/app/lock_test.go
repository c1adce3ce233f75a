package app_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/appliance/internal/app"
)

// TestLockDataDir takes the lock as a running appliance holds it and
// checks who else may start: not on the same data dir, not on the same
// SQLite file from another data dir, anyone once it is released, and
// anyone with PostgreSQL.
func TestLockDataDir(t *testing.T) {
	root := t.TempDir()
	sqlite := func(dir string) app.Config {
		return app.Config{DataDir: dir, Database: "sqlite://" + filepath.Join(dir, "jumpgate.db")}
	}
	a := filepath.Join(root, "a")
	shared := filepath.Join(root, "db", "shared.db")
	held, err := app.LockDataDir(sqlite(a))
	require.NoError(t, err)
	pid, err := os.ReadFile(filepath.Join(a, app.LockFile))
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprintf("%d\n", os.Getpid()), string(pid), "the lock file names its holder")
	other, err := app.LockDataDir(app.Config{DataDir: filepath.Join(root, "c"), Database: "sqlite://" + shared})
	require.NoError(t, err)

	tests := []struct {
		name string
		cfg  app.Config
		want string // "" when the lock is free
	}{
		{"same data dir", sqlite(a), fmt.Sprintf("data dir %s is in use by another appliance process (pid %d holds %s)", a, os.Getpid(), filepath.Join(a, app.LockFile))},
		{"same SQLite file from another data dir", app.Config{DataDir: filepath.Join(root, "b"), Database: "sqlite://" + shared},
			"SQLite database " + shared + " is in use by another appliance process"},
		{"another data dir", sqlite(filepath.Join(root, "d")), ""},
		{"postgres on the same data dir", app.Config{DataDir: a, Database: "postgres://x@localhost/jumpgate"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := app.LockDataDir(tt.cfg)
			if tt.want == "" {
				require.NoError(t, err)
				l.Release()
				return
			}
			require.ErrorIs(t, err, app.ErrLocked)
			assert.Contains(t, err.Error(), tt.want)
		})
	}

	held.Release()
	other.Release()
	again, err := app.LockDataDir(sqlite(a))
	require.NoError(t, err, "free once released")
	again.Release()
	again.Release() // twice is harmless
}
