//go:build !windows

package install

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/agent/internal/state"
	"github.com/jumpgate/jumpgate/api/keyinfo"
)

// TestFindPredecessor: a reinstall finds the old install of the same
// appliance, kind and scope beside the new install dir, and nothing an
// install it does not replace, or another local user, left there.
func TestFindPredecessor(t *testing.T) {
	p := &keyinfo.Payload{Kind: keyinfo.KindJumpClient, URL: "https://jg.example:8443", CAPin: "sha256:ab", InstallerID: "new"}
	seed := make([]byte, 32)
	for i := range seed {
		seed[i] = byte(i + 1)
	}
	good := func(dir string) *state.State {
		return &state.State{Kind: keyinfo.KindJumpClient, URL: p.URL, CAPin: p.CAPin, InstallerID: "old", PrivateKey: seed, ID: 7,
			Install: state.Install{Dir: dir, Scope: ScopeUser}}
	}
	tests := []struct {
		name  string
		edit  func(st *state.State)
		after func(t *testing.T, dir string)
		found bool
	}{
		{name: "the old install", found: true},
		{name: "another appliance", edit: func(st *state.State) { st.URL = "https://other.example:8443" }},
		{name: "another CA", edit: func(st *state.State) { st.CAPin = "sha256:cd" }},
		{name: "another kind", edit: func(st *state.State) { st.Kind = keyinfo.KindJumpoint }},
		{name: "another scope", edit: func(st *state.State) { st.Install.Scope = ScopeSystem }},
		{name: "not enrolled", edit: func(st *state.State) { st.ID = 0 }},
		{name: "no key", edit: func(st *state.State) { st.PrivateKey = nil }},
		{name: "a container install", edit: func(st *state.State) { st.Install.Container = true }},
		{name: "a copy of another dir's state", edit: func(st *state.State) { st.Install.Dir = "/opt/jumpgate/elsewhere" }},
		{name: "writable by others", after: func(t *testing.T, dir string) { require.NoError(t, os.Chmod(dir, 0o777)) }},
		{name: "agent.json writable by others", after: func(t *testing.T, dir string) {
			require.NoError(t, os.Chmod(filepath.Join(dir, state.File), 0o666))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, "old")
			require.NoError(t, os.Mkdir(dir, 0o755))
			st := good(dir)
			if tt.edit != nil {
				tt.edit(st)
			}
			require.NoError(t, st.Save(dir))
			if tt.after != nil {
				tt.after(t, dir)
			}
			got := findPredecessor(p, ScopeUser, filepath.Join(parent, "new"), filepath.Join(t.TempDir(), "default", "new"))
			if !tt.found {
				assert.Nil(t, got)
				return
			}
			require.NotNil(t, got)
			assert.Equal(t, int64(7), got.ID)
			assert.Equal(t, dir, got.Install.Dir)
		})
	}

	t.Run("in the scope's default parent; the newest wins", func(t *testing.T) {
		defParent := t.TempDir()
		for i, name := range []string{"a", "b", "c"} {
			dir := filepath.Join(defParent, name)
			require.NoError(t, os.Mkdir(dir, 0o755))
			st := good(dir)
			st.ID = int64(i + 1)
			st.LastContact = time.Date(2026, 1, 1+i%2*5, 0, 0, 0, 0, time.UTC)
			require.NoError(t, st.Save(dir))
		}
		got := findPredecessor(p, ScopeUser, filepath.Join(t.TempDir(), "new"), filepath.Join(defParent, "new"))
		require.NotNil(t, got)
		assert.Equal(t, int64(2), got.ID, "the one in touch with the appliance last")
	})

	t.Run("a jumpoint node: only of the same jumpoint", func(t *testing.T) {
		jp := &keyinfo.Payload{Kind: keyinfo.KindJumpoint, URL: p.URL, CAPin: p.CAPin, InstallerID: "5"}
		parent := t.TempDir()
		dir := filepath.Join(parent, "old")
		require.NoError(t, os.Mkdir(dir, 0o755))
		st := good(dir)
		st.Kind, st.InstallerID = keyinfo.KindJumpoint, "4"
		require.NoError(t, st.Save(dir))
		assert.Nil(t, findPredecessor(jp, ScopeUser, filepath.Join(parent, "new"), filepath.Join(parent, "new")))
		st.InstallerID = "5"
		require.NoError(t, st.Save(dir))
		assert.NotNil(t, findPredecessor(jp, ScopeUser, filepath.Join(parent, "new"), filepath.Join(parent, "new")))
	})
}
