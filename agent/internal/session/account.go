package session

import (
	"errors"
	"os"
	"os/user"
	"path/filepath"
	"strings"
)

// account is who shells and execs run as.
type account struct {
	name  string
	home  string
	shell string
	uid   uint32
	gid   uint32
	// groups are the supplementary groups.
	groups []uint32
	// switchTo: the agent runs as another user (root) and starts the
	// processes as this one.
	switchTo bool
}

// workDir is where processes start: the home directory, else the root.
func (a *account) workDir() string {
	if fi, err := os.Stat(a.home); err == nil && fi.IsDir() {
		return a.home
	}
	return string(filepath.Separator)
}

// sessionUserName names the session user: the configured one, else the
// agent's own.
func (m *Manager) sessionUserName() string {
	if m.cfg.SessionUser != "" {
		return m.cfg.SessionUser
	}
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return ""
}

// home is the session user's home directory, which relative file paths
// start from.
func (m *Manager) home() (string, error) {
	if m.cfg.SessionUser != "" {
		u, err := lookupUser(m.cfg.SessionUser)
		if err != nil {
			return "", err
		}
		if u.HomeDir == "" {
			return "", errors.New("the session user " + m.cfg.SessionUser + " has no home directory")
		}
		return u.HomeDir, nil
	}
	if u, err := user.Current(); err == nil && u.HomeDir != "" {
		return u.HomeDir, nil
	}
	return os.UserHomeDir()
}

// lookupUser finds a user by name, or by numeric id.
func lookupUser(name string) (*user.User, error) {
	u, err := user.Lookup(name)
	if err == nil {
		return u, nil
	}
	if byID, idErr := user.LookupId(name); idErr == nil {
		return byID, nil
	}
	return nil, err
}

// resolvePath makes an Open.Path absolute: "~" and relative paths start at
// the session user's home.
func (m *Manager) resolvePath(p string) (string, error) {
	if p == "" {
		return "", errors.New("no path given")
	}
	if p == "~" || strings.HasPrefix(p, "~/") {
		p = strings.TrimPrefix(strings.TrimPrefix(p, "~"), "/")
		if p == "" {
			p = "."
		}
	} else if filepath.IsAbs(p) {
		return filepath.Clean(p), nil
	}
	home, err := m.home()
	if err != nil {
		return "", errors.New("relative path " + p + " needs the session user's home directory: " + err.Error())
	}
	return filepath.Join(home, p), nil
}
