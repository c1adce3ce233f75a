package state

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRemoveInstall(t *testing.T) {
	tests := []struct {
		name      string
		container bool
	}{
		{name: "installer install: the dir goes"},
		{name: "container install: the dir is emptied", container: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "install")
			require.NoError(t, os.MkdirAll(filepath.Join(dir, "run"), 0o755))
			st := &State{Install: Install{Dir: dir, Scope: "user", Startup: "none", Container: tt.container}}
			require.NoError(t, st.Save(dir))
			require.NoError(t, os.WriteFile(filepath.Join(dir, PIDFile), []byte("1\n"), 0o644))

			require.NoError(t, RemoveInstall(st))
			entries, err := os.ReadDir(dir)
			if !tt.container {
				assert.True(t, os.IsNotExist(err), "%v", err)
				return
			}
			require.NoError(t, err, "a volume's mount point stays")
			assert.Empty(t, entries)
		})
	}
}
