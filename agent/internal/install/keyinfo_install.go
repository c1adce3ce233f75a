package install

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/jumpgate/jumpgate/agent/internal/state"
	"github.com/jumpgate/jumpgate/api/keyinfo"
)

// KeyInfoConfig is an install from key info alone, without an installer,
// as `run --key-info-file` makes in a container: the agent binary stays
// where it is (in the image) and runs in the foreground, so only agent.json
// is written and no startup is set up.
type KeyInfoConfig struct {
	// Dir is the install dir. It is made (0700) when missing; an existing
	// one (a volume) must hold no agent.json.
	Dir string
	// KeyInfo is the key info, as the appliance issued it.
	KeyInfo string
	// Enroll enrolls the agent installed in dir. Required: an agent that
	// nobody starts later must enroll now. Its error is shown to the user
	// as is.
	Enroll func(ctx context.Context, dir string) error
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// FromKeyInfo installs the Jump Client or Jumpoint node that cfg.KeyInfo
// names into cfg.Dir and enrolls it within EnrollTimeout. The install is
// user scope, headless, with startup none, and marked as a container
// install (state.Install.Container).
//
// Without an installer there is no appliance signing key to check the key
// info's signature with: CheckKeyInfo checks its form and expiry, the
// enrollment connection is pinned to its CA pin, and the appliance refuses
// key info it did not issue. On error nothing FromKeyInfo made is left
// behind.
func FromKeyInfo(ctx context.Context, cfg KeyInfoConfig) (res *Result, err error) {
	now := time.Now
	if cfg.Now != nil {
		now = cfg.Now
	}
	if cfg.Enroll == nil {
		return nil, errors.New("install from key info: no enrollment configured")
	}
	key, err := CheckKeyInfo(cfg.KeyInfo, now())
	if err != nil {
		return nil, err
	}
	if cfg.Dir == "" {
		return nil, errors.New("install from key info: no install dir")
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("install dir: %w", err)
	}

	t := &txn{}
	defer func() {
		if err != nil {
			if rerr := t.rollback(); rerr != nil {
				err = fmt.Errorf("%w (and undoing the install failed: %v)", err, rerr)
			}
		}
	}()
	switch err := os.Mkdir(dir, 0o700); {
	case err == nil:
		t.push("remove "+dir, func() error { return os.RemoveAll(dir) })
		if err := os.Chmod(dir, 0o700); err != nil {
			return nil, err
		}
	case errors.Is(err, os.ErrExist):
		if fi, serr := os.Stat(dir); serr != nil || !fi.IsDir() {
			return nil, fmt.Errorf("install dir %s is not a directory", dir)
		}
	case errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("cannot make install dir %s: its parent directory does not exist", dir)
	default:
		return nil, fmt.Errorf("cannot make install dir: %w", err)
	}
	stateFile := filepath.Join(dir, state.File)
	if _, err := os.Lstat(stateFile); err == nil {
		return nil, fmt.Errorf("%s already holds an installed agent (%s)", dir, state.File)
	}

	o := &Options{Scope: ScopeUser, Startup: StartupNone, Headless: true}
	st, err := newState(key, nil, o, dir, Platform(runtime.GOOS, runtime.GOARCH))
	if err != nil {
		return nil, err
	}
	st.Install.Container = true
	t.push("remove "+stateFile, func() error { return os.Remove(stateFile) })
	if err := st.Save(dir); err != nil {
		return nil, err
	}

	ectx, cancel := context.WithTimeout(ctx, EnrollTimeout)
	err = cfg.Enroll(ectx, dir)
	cancel()
	if err != nil {
		return nil, err
	}
	res = &Result{State: st, Enrolled: true}
	// Enrollment updated agent.json (identity, cleared key info).
	if s, lerr := state.Load(dir); lerr == nil {
		res.State = s
	}
	return res, nil
}

// CheckKeyInfo checks key info given without an installer at time now: its
// form, kind, installer id, appliance URL and CA pin, and its expiry. Its
// signature is not checked: only the appliance's installers carry the key
// to check it with, and the appliance checks it at enrollment.
func CheckKeyInfo(ki string, now time.Time) (*Key, error) {
	ki = strings.TrimSpace(ki)
	if ki == "" {
		return nil, errors.New("the key info is empty")
	}
	p, _, _, err := keyinfo.Parse(ki)
	if err != nil {
		return nil, fmt.Errorf("%w; copy the key info again", err)
	}
	if !idRE.MatchString(p.InstallerID) {
		return nil, fmt.Errorf("the key info's installer id %s is not valid", quote(p.InstallerID))
	}
	if u, err := url.Parse(p.URL); err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("the key info's appliance URL %s is not an https:// URL", quote(p.URL))
	}
	if !strings.HasPrefix(p.CAPin, "sha256:") {
		return nil, fmt.Errorf("the key info's CA pin %s is not a sha256: pin", quote(p.CAPin))
	}
	if !now.Before(p.ExpiresAt()) {
		return nil, fmt.Errorf("%w (at %s); get new key info from the appliance", keyinfo.ErrExpired, p.ExpiresAt().Format(time.RFC3339))
	}
	return &Key{KeyInfo: ki, Payload: p}, nil
}
