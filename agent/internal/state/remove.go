package state

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"
)

// RemoveInstall removes everything an install made: it unregisters the
// systemd unit (or Windows scheduled task) it recorded, removes the files
// outside the install dir that st lists (systemd unit, XDG autostart entry,
// launchd job) and the install dir itself (only its content for a
// container install). It does not stop a running
// agent: the caller is that agent (self-uninstall) or has stopped it.
//
// As a guard against a damaged agent.json, it removes a dir only if it is
// absolute, not a file system root, and holds agent.json. Every step is
// tried; the error lists those that failed.
func RemoveInstall(st *State) error {
	dir := st.Install.Dir
	if dir == "" {
		return errors.New("agent state names no install dir")
	}
	if !filepath.IsAbs(dir) || filepath.Dir(filepath.Clean(dir)) == filepath.Clean(dir) {
		return fmt.Errorf("agent state names %q as install dir, which is not a dir an install makes", dir)
	}
	if _, err := os.Stat(dir); err == nil {
		if _, err := os.Stat(filepath.Join(dir, File)); err != nil {
			return fmt.Errorf("%s holds no %s: not removing a dir that is not an install", dir, File)
		}
	}

	var errs []error
	systemctl := func(args ...string) {
		if st.Install.Scope == "user" {
			args = append([]string{"--user"}, args...)
		}
		// Best effort: the unit file goes either way, and a systemd that
		// does not answer must not block uninstalling.
		_ = runQuiet("systemctl", args...)
	}
	if st.Install.SystemdUnit != "" {
		systemctl("disable", st.Install.SystemdUnit)
	}
	if st.Install.Startup == "task" && runtime.GOOS == "windows" {
		_ = runQuiet("schtasks", "/Delete", "/TN", "jumpgate-agent-"+st.InstallerID, "/F")
	}
	for _, f := range st.Install.ExtraFiles {
		if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
			errs = append(errs, fmt.Errorf("remove %s: %w", f, err))
		}
	}
	if st.Install.SystemdUnit != "" {
		systemctl("daemon-reload")
	}
	if st.Install.Container {
		// The dir of a container install is typically a volume's mount
		// point, which cannot be removed: empty it instead.
		entries, err := os.ReadDir(dir)
		if err != nil && !os.IsNotExist(err) {
			errs = append(errs, fmt.Errorf("read %s: %w", dir, err))
		}
		for _, e := range entries {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				errs = append(errs, fmt.Errorf("remove %s: %w", filepath.Join(dir, e.Name()), err))
			}
		}
		return errors.Join(errs...)
	}
	if err := os.RemoveAll(dir); err != nil {
		if runtime.GOOS != "windows" {
			errs = append(errs, fmt.Errorf("remove %s: %w", dir, err))
		} else if derr := removeLater(dir); derr != nil {
			// Windows cannot delete the running agent binary.
			errs = append(errs, fmt.Errorf("remove %s: %w", dir, err))
		}
	}
	return errors.Join(errs...)
}

// removeLater asks cmd to remove dir a few seconds from now, after this
// process (whose binary lives there) has exited.
func removeLater(dir string) error {
	cmd := exec.Command("cmd", "/c", "ping -n 4 127.0.0.1 >nul & rmdir /s /q \""+dir+"\"")
	if err := cmd.Start(); err != nil {
		return err
	}
	return cmd.Process.Release()
}

func runQuiet(name string, args ...string) error {
	if _, err := exec.LookPath(name); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return exec.CommandContext(ctx, name, args...).Run()
}
