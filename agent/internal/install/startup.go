package install

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/jumpgate/jumpgate/agent/internal/state"
)

// startup is one way of starting the agent at boot or login.
type startup interface {
	// files are the files outside the install dir that setup writes.
	files() []string
	// check fails if setup cannot work here (a tool is missing, a file
	// is taken), before anything is written.
	check() error
	// setup writes the files and registers the agent to start at boot or
	// login, without starting it; undo is pushed onto t.
	setup(ctx context.Context, t *txn) error
	// start starts the agent now.
	start(ctx context.Context) error
	// stop stops the agent and unregisters it (uninstall and rollback).
	stop(ctx context.Context) error
}

// names are the names an install's startup files get.
type names struct {
	st   *state.State
	goos string
	home string // user scope: the user's home
	// configHome is $XDG_CONFIG_HOME, else home/.config.
	configHome string
}

func (n names) data() scriptData {
	dir := n.st.Install.Dir
	return scriptData{
		ID:     n.st.InstallerID,
		Dir:    dir,
		Bin:    filepath.Join(dir, BinaryName(n.goos)),
		Binary: BinaryName(n.goos),
		Log:    filepath.Join(dir, state.LogFile),
		Label:  "dev.jumpgate.agent." + n.st.InstallerID,
		System: n.st.Install.Scope == ScopeSystem,
	}
}

// newStartup returns the startup of st.Install.Startup.
func newStartup(n names) startup {
	switch n.st.Install.Startup {
	case StartupSystemd:
		unit := fmt.Sprintf(state.SystemdUnit, n.st.InstallerID)
		s := &systemd{n: n, unit: unit, path: filepath.Join("/etc/systemd/system", unit)}
		if n.st.Install.Scope == ScopeUser {
			s.user = true
			s.path = filepath.Join(n.configHome, "systemd", "user", unit)
		}
		return s
	case StartupXDG:
		return &xdg{n: n, path: filepath.Join(n.configHome, "autostart", fmt.Sprintf(state.XDGAutostart, n.st.InstallerID))}
	case StartupLaunchd:
		d := n.data()
		p := filepath.Join("/Library/LaunchDaemons", d.Label+".plist")
		if n.st.Install.Scope == ScopeUser {
			p = filepath.Join(n.home, "Library", "LaunchAgents", d.Label+".plist")
		}
		return &launchd{n: n, path: p}
	case StartupTask:
		return &task{n: n, name: "jumpgate-agent-" + n.st.InstallerID}
	}
	return none{n: n}
}

// writeNew writes a file that must not exist yet, making missing parent
// dirs; undo removes the file and the dirs it made.
func writeNew(t *txn, path string, b []byte, perm os.FileMode) error {
	if err := mkdirAll(t, filepath.Dir(path)); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	t.push("remove "+path, func() error { return os.Remove(path) })
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	// The umask must not narrow what the file needs.
	return os.Chmod(path, perm)
}

// mkdirAll makes dir and its missing parents (0755); undo removes the ones
// it made, if they are still empty.
func mkdirAll(t *txn, dir string) error {
	var made []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil {
			break
		}
		made = append(made, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	for i := len(made) - 1; i >= 0; i-- {
		d := made[i]
		if err := os.Mkdir(d, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("make %s: %w", d, err)
		}
		t.push("remove "+d, func() error { return os.Remove(d) })
	}
	return nil
}

// notExist fails if any of paths exists.
func notExist(paths ...string) error {
	for _, p := range paths {
		if _, err := os.Lstat(p); err == nil {
			return fmt.Errorf("%s already exists: another install from this installer uses it; uninstall that one first, or pass --startup none", p)
		}
	}
	return nil
}

// runTool runs a system tool, returning its output in the error.
func runTool(ctx context.Context, name string, args ...string) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		// One line: the output joins the user-facing error.
		msg := strings.Join(strings.Fields(strings.ReplaceAll(string(out), "\n", " ; ")), " ")
		if msg == "" {
			return fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
		}
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, msg)
	}
	return nil
}

func needTool(tool, startup string) error {
	if _, err := exec.LookPath(tool); err != nil {
		return fmt.Errorf("--startup %s needs %s, which is not on PATH: pass --startup none and arrange for <install-dir>/init-script start to run at boot", startup, tool)
	}
	return nil
}

// systemd: a unit in /etc/systemd/system (or ~/.config/systemd/user).
type systemd struct {
	n    names
	unit string
	path string
	user bool
}

func (s *systemd) files() []string { return []string{s.path} }

func (s *systemd) check() error {
	if err := needTool("systemctl", StartupSystemd); err != nil {
		return err
	}
	const hint = ": pass --startup none and arrange for <install-dir>/init-script start to run at boot"
	if fi, err := os.Stat("/run/systemd/system"); err != nil || !fi.IsDir() {
		return errors.New("--startup systemd needs systemd, and this system was not booted with it" + hint)
	}
	if s.user {
		// The user's service manager must answer, which it does only in a
		// login session (or with lingering enabled).
		if err := s.ctl(context.Background(), "show-environment"); err != nil {
			return fmt.Errorf("--startup systemd with --scope user needs the user's systemd instance, which does not answer (%v)%s", err, hint)
		}
	}
	return notExist(s.path)
}

func (s *systemd) ctl(ctx context.Context, args ...string) error {
	if s.user {
		args = append([]string{"--user"}, args...)
	}
	return runTool(ctx, "systemctl", args...)
}

func (s *systemd) setup(ctx context.Context, t *txn) error {
	// Pushed first so that, on undo, it runs after the unit file is gone;
	// best effort, since the unit is gone either way.
	t.push("systemctl daemon-reload", func() error {
		_ = s.ctl(context.Background(), "daemon-reload")
		return nil
	})
	if err := writeNew(t, s.path, render(systemdUnit, s.n.data()), 0o644); err != nil {
		return err
	}
	if err := s.ctl(ctx, "daemon-reload"); err != nil {
		return err
	}
	t.push("systemctl disable "+s.unit, func() error { return s.ctl(context.Background(), "disable", s.unit) })
	return s.ctl(ctx, "enable", s.unit)
}

func (s *systemd) start(ctx context.Context) error { return s.ctl(ctx, "start", s.unit) }

func (s *systemd) stop(ctx context.Context) error {
	return s.ctl(ctx, "disable", "--now", s.unit)
}

// xdg: an autostart entry that runs init-script start at graphical login.
type xdg struct {
	n    names
	path string
}

func (x *xdg) files() []string { return []string{x.path} }
func (x *xdg) check() error    { return notExist(x.path) }

func (x *xdg) setup(_ context.Context, t *txn) error {
	return writeNew(t, x.path, render(xdgAutostart, x.n.data()), 0o644)
}

func (x *xdg) start(ctx context.Context) error { return initScriptStart(ctx, x.n) }

func (x *xdg) stop(context.Context) error {
	_, err := Stop(x.n.st.Install.Dir, StopTimeout)
	return err
}

// none: the user runs init-script start.
type none struct{ n names }

func (none) files() []string                   { return nil }
func (none) check() error                      { return nil }
func (none) setup(context.Context, *txn) error { return nil }
func (none) start(context.Context) error       { return nil }

func (n none) stop(context.Context) error {
	_, err := Stop(n.n.st.Install.Dir, StopTimeout)
	return err
}

func initScriptStart(ctx context.Context, n names) error {
	if n.goos == "windows" {
		_, err := Start(n.st.Install.Dir, n.goos)
		return err
	}
	return runTool(ctx, "/bin/sh", filepath.Join(n.st.Install.Dir, state.InitScript), "start")
}

// launchd: a LaunchDaemon (system) or LaunchAgent (user) job.
type launchd struct {
	n    names
	path string
}

func (l *launchd) files() []string { return []string{l.path} }

func (l *launchd) check() error {
	if err := needTool("launchctl", StartupLaunchd); err != nil {
		return err
	}
	return notExist(l.path)
}

func (l *launchd) setup(_ context.Context, t *txn) error {
	return writeNew(t, l.path, render(launchdPlist, l.n.data()), 0o644)
}

func (l *launchd) start(ctx context.Context) error {
	return runTool(ctx, "launchctl", "load", "-w", l.path)
}

func (l *launchd) stop(ctx context.Context) error {
	err := runTool(ctx, "launchctl", "unload", "-w", l.path)
	if _, serr := Stop(l.n.st.Install.Dir, StopTimeout); serr != nil {
		return serr
	}
	return err
}

// task: a Windows scheduled task, at boot as SYSTEM (system scope) or at
// the user's logon (user scope).
type task struct {
	n    names
	name string
}

func (k *task) files() []string { return nil }
func (k *task) check() error    { return needTool("schtasks", StartupTask) }

func (k *task) setup(ctx context.Context, t *txn) error {
	d := k.n.data()
	tr := fmt.Sprintf(`"%s" run --dir "%s" --log-file "%s"`, d.Bin, d.Dir, d.Log)
	args := []string{"/Create", "/TN", k.name, "/TR", tr, "/F"}
	if d.System {
		args = append(args, "/SC", "ONSTART", "/RU", "SYSTEM", "/RL", "HIGHEST")
	} else {
		args = append(args, "/SC", "ONLOGON", "/IT")
	}
	if err := runTool(ctx, "schtasks", args...); err != nil {
		return err
	}
	t.push("schtasks /Delete "+k.name, func() error { return runTool(context.Background(), "schtasks", "/Delete", "/TN", k.name, "/F") })
	return nil
}

func (k *task) start(ctx context.Context) error {
	return runTool(ctx, "schtasks", "/Run", "/TN", k.name)
}

func (k *task) stop(ctx context.Context) error {
	_ = runTool(ctx, "schtasks", "/End", "/TN", k.name)
	_, err := Stop(k.n.st.Install.Dir, StopTimeout)
	if derr := runTool(ctx, "schtasks", "/Delete", "/TN", k.name, "/F"); derr != nil && err == nil {
		err = derr
	}
	return err
}
