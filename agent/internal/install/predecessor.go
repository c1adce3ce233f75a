package install

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"sort"

	"github.com/jumpgate/jumpgate/agent/internal/state"
	"github.com/jumpgate/jumpgate/api/keyinfo"
)

// A reinstall proves itself to the appliance with the old install's key.
//
// Host ids are no secret, so the appliance re-binds the client (or node) a
// host already has to a new install only when the new install proves that
// it replaces the old one: its enrollment carries a signature by the old
// install's key (agentproto.Replaces). The installer looks for the old
// install beside the new one — the other entries of the new install dir's
// parent, which for default dirs is /opt/jumpgate (system) or
// ~/.local/share/jumpgate (user), where installs of other installers of
// the same appliance live — and for the default dir of the scope (on
// Windows, only there). An old
// install qualifies when its agent.json is enrolled to the same appliance
// (URL and CA pin), is of the same kind and scope (a node: of the same
// jumpoint), was not made by `run --key-info-file`, and its dir and
// agent.json belong to the user running the installer (so another local
// user cannot plant one). The newest by last contact wins.
//
// The installer copies its identity (kind, id, private key, dir) into the
// new agent.json as state.Predecessor and stops the old agent, because the
// appliance never replaces a connected one. The new agent signs the proof
// when it enrolls, then removes the old install and forgets the key. If
// the install fails, the old agent is started again.

// findPredecessor returns the install that an install into dir from the key
// info p, with scope, replaces, or nil.
func findPredecessor(p *keyinfo.Payload, scope, dir, defaultDir string) *state.State {
	parents := []string{filepath.Dir(dir)}
	if d := filepath.Dir(defaultDir); d != parents[0] {
		parents = append(parents, d)
	}
	if runtime.GOOS == "windows" {
		// No owner check there (see ownedByMe): only the default parent,
		// which only administrators (system scope, under Program Files) or
		// the user (user scope, in the profile) can write.
		parents = []string{filepath.Dir(defaultDir)}
	}
	var found []*state.State
	seen := map[string]bool{}
	for _, parent := range parents {
		entries, err := os.ReadDir(parent)
		if err != nil {
			continue
		}
		for _, e := range entries {
			d := filepath.Join(parent, e.Name())
			if !e.IsDir() || d == dir || seen[d] {
				continue
			}
			seen[d] = true
			if !ownedByMe(d) || !ownedByMe(filepath.Join(d, state.File)) {
				continue
			}
			st, err := state.Load(d)
			if err != nil || !st.Enrolled() || st.Kind != p.Kind || st.URL != p.URL || st.CAPin != p.CAPin ||
				st.Install.Scope != scope || st.Install.Container || filepath.Clean(st.Install.Dir) != filepath.Clean(d) {
				continue
			}
			if p.Kind == keyinfo.KindJumpoint && st.InstallerID != p.InstallerID {
				continue
			}
			if _, err := st.Key(); err != nil {
				continue
			}
			found = append(found, st)
		}
	}
	if len(found) == 0 {
		return nil
	}
	sort.SliceStable(found, func(i, j int) bool { return found[i].LastContact.After(found[j].LastContact) })
	return found[0]
}

// stopPredecessor stops the agent of the install old (and unregisters its
// startup, so it does not come back at boot), pushing onto t the step that
// starts it again.
func stopPredecessor(ctx context.Context, t *txn, n names) error {
	su := newStartup(n)
	dir := n.st.Install.Dir
	_, running := Running(dir)
	if err := su.stop(ctx); err != nil {
		return err
	}
	t.push("start the replaced agent in "+dir+" again", func() error {
		if s, ok := su.(*systemd); ok {
			return s.ctl(context.Background(), "enable", "--now", s.unit)
		}
		if !running {
			return nil
		}
		return initScriptStart(context.Background(), n)
	})
	return nil
}
