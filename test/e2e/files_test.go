package e2e

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFiles_RefusedDownloadLeavesNothing: `jumpgate files get` of a remote
// file that does not exist fails and leaves no empty LOCAL.jgpart behind;
// a refused transfer never started.
func TestFiles_RefusedDownloadLeavesNothing(t *testing.T) {
	w := newWorld(t)
	dir := t.TempDir()
	_, errOut, code := w.admin.jg("", "files", "get", w.clientRef(), filepath.Join(w.e.home, "no-such-file"), filepath.Join(dir, "out.bin"))
	assert.NotEqual(t, 0, code)
	assert.Contains(t, errOut, "no-such-file")
	left, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, left, "nothing is left behind")
}
