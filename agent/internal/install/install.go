package install

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/jumpgate/jumpgate/agent/internal/enroll"
	"github.com/jumpgate/jumpgate/agent/internal/state"
	"github.com/jumpgate/jumpgate/api"
)

// EnrollTimeout bounds the enrollment at install time.
const EnrollTimeout = 15 * time.Second

// Config is one install.
type Config struct {
	// Options is the parsed command line.
	Options *Options
	// Exe is the installer executable (with its trailer).
	Exe string
	// Enroll enrolls the agent installed in dir, before it is started. Its
	// error is shown to the user as is. An error that matches
	// enroll.ErrUnreachable, or wraps a transient answer of the appliance
	// (enroll.Transient), means the appliance could not be asked now: the
	// install then goes on offline (unless --online-install), and the agent
	// enrolls when it first runs. Any other error fails the install. nil
	// installs offline, without trying (only --online-install fails).
	Enroll func(ctx context.Context, dir string) error
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// Result describes a finished install.
type Result struct {
	// State is the agent.json written.
	State *state.State
	// Started reports whether the agent was started.
	Started bool
	// Enrolled reports whether the agent enrolled during the install.
	Enrolled bool
	// Offline is why it did not: the appliance could not be reached (or
	// was failing) at install time; the agent enrolls when it first runs.
	// nil when Enrolled, or when no enrollment was tried (Config.Enroll nil).
	Offline error
}

// Install installs the agent of the installer cfg.Exe as cfg.Options say.
// On error nothing it made is left behind.
func Install(ctx context.Context, cfg Config) (res *Result, err error) {
	o := cfg.Options
	now := time.Now
	if cfg.Now != nil {
		now = cfg.Now
	}
	goos := runtime.GOOS

	m, buildSize, err := ReadManifest(cfg.Exe)
	if err != nil {
		return nil, err
	}
	key, err := Check(m, o, now())
	if err != nil {
		return nil, err
	}
	if o.Scope == ScopeSystem && goos != "windows" && os.Geteuid() != 0 {
		return nil, errors.New("--scope system installs for every user and needs root: run the installer with sudo, or pass --scope user")
	}
	home, _ := os.UserHomeDir()
	if home == "" && o.Scope == ScopeUser {
		return nil, errors.New("--scope user needs the user's home directory, and $HOME is not set")
	}
	dir := o.InstallDir
	explicit := dir != ""
	defaultDir := DefaultDir(goos, o.Scope, home, os.Getenv("ProgramFiles"), key.Payload.InstallerID)
	if !explicit {
		dir = defaultDir
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return nil, fmt.Errorf("install dir: %w", err)
	}
	if _, err := os.Lstat(dir); err == nil {
		return nil, fmt.Errorf("install dir %s already exists: pass --install-dir with a directory that does not exist yet", dir)
	}
	if explicit {
		parent := filepath.Dir(dir)
		if fi, err := os.Stat(parent); err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("cannot install into %s: its parent directory %s does not exist", dir, parent)
		}
	}
	if o.SessionUser != "" && goos == "linux" {
		if _, err := user.Lookup(o.SessionUser); err != nil {
			return nil, fmt.Errorf("--session-user %s: no such user on this machine", o.SessionUser)
		}
	}

	platform := m.Platform
	if platform == "" {
		platform = Platform(goos, runtime.GOARCH)
	}
	st, err := newState(key, m.SigningKey, o, dir, platform)
	if err != nil {
		return nil, err
	}
	configHome := os.Getenv("XDG_CONFIG_HOME")
	if configHome == "" || !filepath.IsAbs(configHome) {
		configHome = filepath.Join(home, ".config")
	}
	old := findPredecessor(key.Payload, o.Scope, dir, defaultDir)
	if old != nil {
		st.Predecessor = &state.Predecessor{Kind: old.Kind, ID: old.ID, PrivateKey: old.PrivateKey, Dir: old.Install.Dir}
	}
	su := newStartup(names{st: st, goos: goos, home: home, configHome: configHome})
	if err := su.check(); err != nil {
		return nil, err
	}
	st.Install.ExtraFiles = su.files()
	if s, ok := su.(*systemd); ok {
		st.Install.SystemdUnit = s.unit
	}

	t := &txn{}
	defer func() {
		if err != nil {
			if rerr := t.rollback(); rerr != nil {
				err = fmt.Errorf("%w (and undoing the install failed: %v)", err, rerr)
			}
		}
	}()
	if !explicit {
		if err := mkdirAll(t, filepath.Dir(dir)); err != nil {
			return nil, err
		}
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("install dir %s already exists: pass --install-dir with a directory that does not exist yet", dir)
		}
		return nil, fmt.Errorf("cannot make install dir: %w", err)
	}
	t.push("remove "+dir, func() error { return os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	if goos == "windows" && o.Scope == ScopeSystem {
		// File modes mean little on Windows, and Program Files lets every
		// user read: limit the dir (and the agent's key in it) to SYSTEM
		// and Administrators.
		if err := runTool(ctx, "icacls", dir, "/inheritance:r", "/grant:r", "*S-1-5-18:(OI)(CI)F", "*S-1-5-32-544:(OI)(CI)F"); err != nil {
			return nil, fmt.Errorf("restrict access to %s: %w", dir, err)
		}
	}
	// The binary holds no secret (the key is in agent.json, 0600) and the
	// end user runs it for `consent` and `sessions`: everyone may execute it.
	if err := copyBuild(cfg.Exe, buildSize, filepath.Join(dir, BinaryName(goos)), 0o755); err != nil {
		return nil, err
	}
	if err := st.Save(dir); err != nil {
		return nil, err
	}
	if err := writeScripts(dir, goos, st); err != nil {
		return nil, err
	}
	if err := su.setup(ctx, t); err != nil {
		return nil, err
	}
	if old != nil {
		// The appliance never replaces a connected agent.
		if err := stopPredecessor(ctx, t, names{st: old, goos: goos, home: home, configHome: configHome}); err != nil {
			return nil, fmt.Errorf("stop the agent this install replaces, in %s: %w", old.Install.Dir, err)
		}
	}

	res = &Result{State: st}
	if cfg.Enroll == nil && o.OnlineInstall {
		return nil, errors.New("--online-install is not available in this build")
	}
	if cfg.Enroll != nil {
		// Enroll now whenever the appliance answers, so that a refusal (this
		// host already has a client in another jump group, say) fails the
		// install with the appliance's reason, not a log line of an agent
		// that retries. A refusal undoes everything, the replaced install's
		// stop included; a re-bind removes the replaced install, as the
		// agent does when it enrolls later.
		ectx, cancel := context.WithTimeout(ctx, EnrollTimeout)
		err = cfg.Enroll(ectx, dir)
		cancel()
		switch {
		case err == nil:
			res.Enrolled = true
		case !o.OnlineInstall && ctx.Err() == nil && notReached(err):
			res.Offline, err = err, nil
		default:
			return nil, err
		}
		// Enrollment updated agent.json (identity, cleared key info, or
		// the failure that init-script status reports).
		if s, lerr := state.Load(dir); lerr == nil {
			res.State = s
		}
	}
	if !o.NoStart && o.Startup != StartupNone {
		t.push("stop the agent", func() error { return su.stop(context.Background()) })
		if err := su.start(ctx); err != nil {
			return nil, fmt.Errorf("start the agent: %w", err)
		}
		res.Started = true
	}
	return res, nil
}

// notReached reports whether an enrollment error means the appliance could
// not be asked now (unreachable, overloaded, failing) rather than refused.
func notReached(err error) bool {
	if errors.Is(err, enroll.ErrUnreachable) {
		return true
	}
	var p *api.Problem
	return errors.As(err, &p) && enroll.Transient(err)
}

// newState is the agent.json of a new install into dir from checked key
// info, with a fresh private key for the agent.
func newState(key *Key, signingKey []byte, o *Options, dir, platform string) (*state.State, error) {
	seed := make([]byte, ed25519.SeedSize)
	if _, err := rand.Read(seed); err != nil {
		return nil, fmt.Errorf("make the agent's key: %w", err)
	}
	p := key.Payload
	return &state.State{
		Kind:        p.Kind,
		URL:         p.URL,
		CAPin:       p.CAPin,
		SigningKey:  signingKey,
		InstallerID: p.InstallerID,
		KeyInfo:     key.KeyInfo,
		KeyExpires:  p.ExpiresAt(),
		Overrides:   o.Overrides,
		PrivateKey:  seed,
		Install: state.Install{
			Dir:         dir,
			Scope:       o.Scope,
			Startup:     o.Startup,
			Headless:    o.Headless,
			SessionUser: o.SessionUser,
			EndUsers:    o.EndUsers,
			Platform:    platform,
		},
		Proxy:   o.Proxy,
		Version: api.Version,
	}, nil
}

// DefaultDir is the install dir used without --install-dir. System scope:
// /opt/jumpgate/<id>; macOS /Library/Application Support/Jumpgate/<id>;
// Windows %ProgramFiles%\Jumpgate\<id>. User scope:
// ~/.local/share/jumpgate/<id>; macOS ~/Library/Application
// Support/Jumpgate/<id>; Windows ~\AppData\Local\Jumpgate\<id>.
func DefaultDir(goos, scope, home, programFiles, id string) string {
	switch {
	case goos == "windows" && scope == ScopeSystem:
		if programFiles == "" {
			programFiles = `C:\Program Files`
		}
		return filepath.Join(programFiles, "Jumpgate", id)
	case goos == "windows":
		return filepath.Join(home, "AppData", "Local", "Jumpgate", id)
	case goos == "darwin" && scope == ScopeSystem:
		return filepath.Join("/Library/Application Support/Jumpgate", id)
	case goos == "darwin":
		return filepath.Join(home, "Library", "Application Support", "Jumpgate", id)
	case scope == ScopeSystem:
		return filepath.Join("/opt/jumpgate", id)
	}
	return filepath.Join(home, ".local", "share", "jumpgate", id)
}

// Platform names the installer platform of a Go build (api.Platforms).
func Platform(goos, goarch string) string {
	switch goos + "/" + goarch {
	case "linux/amd64":
		return api.PlatformLinuxAMD64
	case "linux/arm64":
		return api.PlatformLinuxARM64
	case "linux/arm":
		return api.PlatformRaspberryPi
	case "darwin/amd64":
		return api.PlatformMacOSAMD64
	case "darwin/arm64":
		return api.PlatformMacOSARM64
	case "windows/amd64":
		return api.PlatformWindowsAMD64
	}
	return goos + "-" + goarch
}

func writeScripts(dir, goos string, st *state.State) error {
	d := names{st: st, goos: goos}.data()
	if st.Install.SystemdUnit != "" {
		d.Unit = st.Install.SystemdUnit
		d.Systemctl = "systemctl"
		if st.Install.Scope == ScopeUser {
			d.Systemctl = "systemctl --user"
		}
	}
	files := map[string][]byte{
		state.InitScript: render(initScript, d),
		state.Uninstall:  render(uninstallScript, d),
	}
	if goos == "windows" {
		files = map[string][]byte{
			state.InitScript + ".cmd": render(initScriptCmd, d),
			state.Uninstall + ".cmd":  render(uninstallCmd, d),
		}
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o700); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
		if err := os.Chmod(filepath.Join(dir, name), 0o700); err != nil {
			return err
		}
	}
	return nil
}

// txn is the undo list of an install.
type txn struct {
	undo []step
}

type step struct {
	what string
	do   func() error
}

func (t *txn) push(what string, do func() error) { t.undo = append(t.undo, step{what, do}) }

// rollback runs the undo steps, last first, and reports those that failed.
func (t *txn) rollback() error {
	var failed []string
	for i := len(t.undo) - 1; i >= 0; i-- {
		s := t.undo[i]
		if err := s.do(); err != nil && !errors.Is(err, os.ErrNotExist) {
			failed = append(failed, s.what+": "+err.Error())
		}
	}
	t.undo = nil
	if len(failed) > 0 {
		return errors.New(strings.Join(failed, "; "))
	}
	return nil
}
