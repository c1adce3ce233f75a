package install

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/agent/internal/state"
)

// TestUninstall_RemovesWhatTheInstallMade covers Uninstall and
// state.RemoveInstall: the dir and the recorded extra files go; a dir that
// is not an install, or no dir at all, is refused untouched.
func TestUninstall_RemovesWhatTheInstallMade(t *testing.T) {
	newInstall := func(t *testing.T) (*state.State, string) {
		t.Helper()
		root := t.TempDir()
		dir := filepath.Join(root, "jc")
		require.NoError(t, os.Mkdir(dir, 0o755))
		extra := filepath.Join(root, "autostart.desktop")
		require.NoError(t, os.WriteFile(extra, []byte("x"), 0o644))
		st := &state.State{InstallerID: "x", Install: state.Install{Dir: dir, Scope: ScopeUser, Startup: StartupXDG, ExtraFiles: []string{extra}}}
		require.NoError(t, st.Save(dir))
		return st, extra
	}

	t.Run("removes dir and extra files", func(t *testing.T) {
		st, extra := newInstall(t)
		removed, err := Uninstall(context.Background(), st, nil)
		require.NoError(t, err)
		assert.Equal(t, []string{extra, st.Install.Dir}, removed)
		assert.NoDirExists(t, st.Install.Dir)
		assert.NoFileExists(t, extra)
	})

	tests := []struct {
		name  string
		dir   func(st *state.State) string
		setup func(t *testing.T, st *state.State)
		want  string
	}{
		{name: "no dir", dir: func(*state.State) string { return "" }, want: "names no install dir"},
		{name: "relative dir", dir: func(*state.State) string { return "jc" }, want: "not a dir an install makes"},
		{name: "root dir", dir: func(*state.State) string { return string(filepath.Separator) }, want: "not a dir an install makes"},
		{
			name: "not an install", dir: func(st *state.State) string { return st.Install.Dir },
			setup: func(t *testing.T, st *state.State) {
				require.NoError(t, os.Remove(filepath.Join(st.Install.Dir, state.File)))
			},
			want: "holds no agent.json",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, extra := newInstall(t)
			if tt.setup != nil {
				tt.setup(t, st)
			}
			real := st.Install.Dir
			st.Install.Dir = tt.dir(st)
			err := state.RemoveInstall(st)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.DirExists(t, real)
			assert.FileExists(t, extra, "nothing is removed when the dir is refused")
		})
	}
}
