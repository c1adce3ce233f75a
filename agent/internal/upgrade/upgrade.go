// Package upgrade replaces the running agent with a build the appliance
// offers. An offer is trusted only if the appliance's signing key (pinned
// at install, in agent.json) signed it; the bytes must then match its size
// and SHA-256, and the new file must run on this host and report the
// offered version, before it atomically takes the old binary's place. Any
// failure leaves the old agent in place.
package upgrade

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"github.com/jumpgate/jumpgate/agent/internal/conn"
	"github.com/jumpgate/jumpgate/api/agentproto"
)

// MaxBuildSize bounds an offered build; anything larger is refused.
const MaxBuildSize = 512 << 20

// versionTimeout bounds running the new build's `version` command.
const versionTimeout = 10 * time.Second

// TempName is the file, inside the install dir, the new build is written
// to before it replaces the old one.
func TempName() string {
	if runtime.GOOS == "windows" {
		return ".jumpgate-agent.new.exe"
	}
	return ".jumpgate-agent.new"
}

// Apply downloads the build u describes over a build stream of s into dir,
// verifies it and replaces exe with it. The running process is unchanged;
// call Restart to run the new build.
func Apply(ctx context.Context, s *conn.Session, dir string, exe string, u agentproto.Upgrade, signingKey ed25519.PublicKey) error {
	open := func() (io.ReadCloser, error) {
		st, err := s.OpenStream(agentproto.StreamHeader{Type: agentproto.StreamBuild, Platform: u.Platform})
		if err != nil {
			return nil, fmt.Errorf("open build stream: %w", err)
		}
		return st, nil
	}
	return apply(ctx, open, dir, exe, u, signingKey)
}

// apply is Apply with the download source abstracted, for tests.
func apply(ctx context.Context, open func() (io.ReadCloser, error), dir, exe string, u agentproto.Upgrade, signingKey ed25519.PublicKey) (err error) {
	if !agentproto.VerifyUpgrade(&u, signingKey) {
		return fmt.Errorf("upgrade to %s refused: the offer is not signed by the appliance's signing key", u.Version)
	}
	if u.Size <= 0 || u.Size > MaxBuildSize {
		return fmt.Errorf("upgrade to %s refused: build size %d is out of range", u.Version, u.Size)
	}
	want, err := hex.DecodeString(u.SHA256)
	if err != nil || len(want) != sha256.Size {
		return fmt.Errorf("upgrade to %s refused: %q is not a SHA-256", u.Version, u.SHA256)
	}

	tmp := filepath.Join(dir, TempName())
	// A leftover from an interrupted attempt is stale by definition.
	_ = os.Remove(tmp)
	defer func() {
		if err != nil {
			_ = os.Remove(tmp)
		}
	}()

	if err := download(ctx, open, tmp, u, want); err != nil {
		return err
	}
	if err := checkRuns(ctx, tmp, u.Version); err != nil {
		return err
	}
	mode := os.FileMode(0o700)
	if fi, err := os.Stat(exe); err == nil {
		// Keep the installed binary's permissions (a system install lets
		// session users run it).
		mode = fi.Mode().Perm() | 0o700
	}
	if err := os.Chmod(tmp, mode); err != nil {
		return fmt.Errorf("upgrade to %s: %w", u.Version, err)
	}
	if err := replace(tmp, exe); err != nil {
		return fmt.Errorf("upgrade to %s: replace %s: %w", u.Version, exe, err)
	}
	return nil
}

// download streams exactly u.Size bytes into tmp and checks their hash.
func download(ctx context.Context, open func() (io.ReadCloser, error), tmp string, u agentproto.Upgrade, want []byte) error {
	rc, err := open()
	if err != nil {
		return fmt.Errorf("upgrade to %s: %w", u.Version, err)
	}
	defer rc.Close()
	stop := context.AfterFunc(ctx, func() { rc.Close() })
	defer stop()

	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o700)
	if err != nil {
		return fmt.Errorf("upgrade to %s: %w", u.Version, err)
	}
	h := sha256.New()
	n, err := io.CopyN(io.MultiWriter(f, h), rc, u.Size)
	if err != nil {
		f.Close()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if n == 0 && errors.Is(err, io.EOF) {
			return fmt.Errorf("upgrade to %s: the appliance has no %s build", u.Version, u.Platform)
		}
		return fmt.Errorf("upgrade to %s: download ended after %d of %d bytes: %w", u.Version, n, u.Size, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("upgrade to %s: %w", u.Version, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("upgrade to %s: %w", u.Version, err)
	}
	if got := h.Sum(nil); !bytes.Equal(got, want) {
		return fmt.Errorf("upgrade to %s refused: the download's SHA-256 is %x, the offer's %x", u.Version, got, want)
	}
	return nil
}

// checkRuns proves the build runs on this host: `<file> version` must print
// the offered version.
func checkRuns(ctx context.Context, file, version string) error {
	ctx, cancel := context.WithTimeout(ctx, versionTimeout)
	defer cancel()
	var out []byte
	var err error
	for attempt := 0; ; attempt++ {
		cmd := exec.CommandContext(ctx, file, "version")
		cmd.Dir = filepath.Dir(file)
		out, err = cmd.Output()
		// A fork elsewhere in the process can briefly hold the file open
		// for writing (golang.org/issue/22315); that passes.
		if !errors.Is(err, syscall.ETXTBSY) || attempt == 4 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("upgrade to %s refused: the new build does not run on this host: %w", version, err)
	}
	if got := string(bytes.TrimSpace(out)); got != version {
		return fmt.Errorf("upgrade to %s refused: the new build reports version %q", version, got)
	}
	return nil
}

// Cleanup removes what an earlier upgrade left behind: the old binary
// Windows cannot delete while it runs, and an interrupted download.
func Cleanup(dir, exe string) {
	_ = os.Remove(exe + ".old")
	_ = os.Remove(filepath.Join(dir, TempName()))
}
