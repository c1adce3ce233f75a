package install

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"strings"

	"github.com/jumpgate/jumpgate/agent/internal/state"
)

// Uninstall stops the agent installed as st (its systemd unit, launchd
// job or scheduled task, and any agent the pid file names), then removes
// the install. It returns what it removed. If the agent cannot be stopped
// nothing is removed. Unregistering a startup is best effort: failures are
// logged and the files go anyway.
func Uninstall(ctx context.Context, st *state.State, log *slog.Logger) ([]string, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if su := stopperFor(st); su != nil {
		if err := su.stop(ctx); err != nil {
			log.Warn("could not stop the agent's startup", "startup", st.Install.Startup, "err", err)
		}
	}
	if _, err := Stop(st.Install.Dir, StopTimeout); err != nil {
		return nil, fmt.Errorf("nothing was removed: %w", err)
	}
	if err := state.RemoveInstall(st); err != nil {
		return nil, err
	}
	return append(append([]string(nil), st.Install.ExtraFiles...), st.Install.Dir), nil
}

// stopperFor rebuilds the startup recorded in st, enough to stop it.
func stopperFor(st *state.State) startup {
	n := names{st: st, goos: runtime.GOOS}
	switch st.Install.Startup {
	case StartupSystemd:
		if st.Install.SystemdUnit == "" {
			return nil
		}
		return &systemd{n: n, unit: st.Install.SystemdUnit, user: st.Install.Scope == ScopeUser}
	case StartupLaunchd:
		for _, f := range st.Install.ExtraFiles {
			if strings.HasSuffix(f, ".plist") {
				return &launchd{n: n, path: f}
			}
		}
	case StartupTask:
		return &task{n: n, name: "jumpgate-agent-" + st.InstallerID}
	}
	return nil
}
