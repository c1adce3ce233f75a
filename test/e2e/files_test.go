package e2e

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
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

// TestFiles_AuditHasTheRequestedPath: session.file_transferred records the
// path the representative asked for, which the broker let through, not the
// agent's own report of it (kept apart as endpoint_path).
func TestFiles_AuditHasTheRequestedPath(t *testing.T) {
	w := newWorld(t)
	local := filepath.Join(t.TempDir(), "notes.txt")
	require.NoError(t, os.WriteFile(local, []byte("hello"), 0o644))
	// The agent cleans the path it writes to; the audit keeps what was asked.
	asked := w.e.home + "/sub/../notes.txt"
	_, errOut, code := w.admin.jg("", "files", "put", w.clientRef(), local, asked)
	require.Equal(t, 0, code, errOut)
	require.FileExists(t, filepath.Join(w.e.home, "notes.txt"))

	found := false
	for _, s := range sessionsOf(t, w.s, api.ItemJumpClient, w.client.ID) {
		_, evs := auditOf(t, w.s, s.ID)
		for _, e := range evs {
			if e.Action != "session.file_transferred" {
				continue
			}
			found = true
			assert.Equal(t, asked, e.Details["path"], "the path asked for")
			assert.Equal(t, filepath.Join(w.e.home, "notes.txt"), e.Details["endpoint_path"], "where the agent says it wrote")
		}
	}
	assert.True(t, found, "the upload is audited")
}
