package install

import (
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/api/keyinfo"
)

// Errors of Check, for errors.Is.
var (
	// ErrNotInstaller: the executable carries no installer trailer.
	ErrNotInstaller = errors.New("this agent binary is not an installer; download one from the appliance")
	// ErrGeneric: a generic installer was run without key info.
	ErrGeneric = errors.New("this is a generic installer: pass --key-info (KEY_INFO=) with the installer's key info")
	// ErrKeyMismatch: key info on the command line differs from the one
	// built into the installer.
	ErrKeyMismatch = errors.New("the key info given on the command line differs from the one built into this installer: drop --key-info, or use the generic installer")
	// ErrForged: the key info's signature does not verify.
	ErrForged = errors.New("the installer's key info was not issued by this appliance or was altered; download a new installer")
	// ErrExpired: the key info has expired.
	ErrExpired = errors.New("installer expired")
)

// OverrideError lists the overrides given that the installer does not
// allow, each naming the flag (and property) the user gave.
type OverrideError struct {
	Problems []string
}

func (e *OverrideError) Error() string { return strings.Join(e.Problems, "; ") }

// idRE bounds installer ids, which become parts of file and unit names.
var idRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$`)

// ReadManifest reads the installer trailer of the executable at path. It
// returns the manifest and the size of the agent build before the trailer,
// or ErrNotInstaller.
func ReadManifest(path string) (*agentproto.Manifest, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("read the installer: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, 0, fmt.Errorf("read the installer: %w", err)
	}
	m, n, err := agentproto.ReadTrailer(f, fi.Size())
	if errors.Is(err, agentproto.ErrNoTrailer) {
		return nil, 0, ErrNotInstaller
	}
	if err != nil {
		return nil, 0, fmt.Errorf("%w; download the installer again", err)
	}
	return m, n, nil
}

// HasManifest reports whether the executable at path is an installer.
func HasManifest(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	_, _, err = agentproto.ReadTrailer(f, fi.Size())
	return err == nil
}

// Key is a verified installer key info.
type Key struct {
	// KeyInfo is the key info string, to keep until enrollment.
	KeyInfo string
	// Payload is its verified content.
	Payload *keyinfo.Payload
}

// Check picks the installer's key info (the built-in one, else --key-info),
// verifies it against the manifest at time now (issuer, expiry, kind, CA
// pin), and checks that the appliance allows every override in o. All
// disallowed overrides are named together, by the flag the user gave.
func Check(m *agentproto.Manifest, o *Options, now time.Time) (*Key, error) {
	ki := strings.TrimSpace(m.KeyInfo)
	switch {
	case ki == "" && o.KeyInfo == "":
		return nil, ErrGeneric
	case ki == "":
		ki = o.KeyInfo
	case o.KeyInfo != "" && o.KeyInfo != ki:
		return nil, ErrKeyMismatch
	}
	p, err := keyinfo.Verify(ki, m.SigningKey, now)
	switch {
	case errors.Is(err, keyinfo.ErrSignature):
		return nil, ErrForged
	case errors.Is(err, keyinfo.ErrExpired):
		// Verify only reports expiry for a key whose signature holds, so
		// the payload is trustworthy here.
		if p, _, _, perr := keyinfo.Parse(ki); perr == nil {
			return nil, fmt.Errorf("%w at %s; create a new installer", ErrExpired, p.ExpiresAt().Format(time.RFC3339))
		}
		return nil, fmt.Errorf("%w; create a new installer", ErrExpired)
	case err != nil:
		return nil, fmt.Errorf("%w: it was altered or copied incompletely; copy it again, or download a new installer", err)
	}
	if p.Kind != m.Kind {
		return nil, fmt.Errorf("the key info is for a %s, but this is a %s installer", kindName(p.Kind), kindName(m.Kind))
	}
	if !pinned(m.CAPEM, p.CAPin) {
		return nil, fmt.Errorf("the installer's CA certificate does not match the key info's CA pin %s: the installer was altered; download a new one", p.CAPin)
	}
	if !idRE.MatchString(p.InstallerID) {
		return nil, fmt.Errorf("the key info's installer id %s is not valid", quote(p.InstallerID))
	}
	if err := checkOverrides(p, o); err != nil {
		return nil, err
	}
	return &Key{KeyInfo: ki, Payload: p}, nil
}

func checkOverrides(p *keyinfo.Payload, o *Options) error {
	var problems []string
	for _, field := range o.Overrides.Needs() {
		for _, flag := range o.Given(field) {
			switch {
			case p.Kind == keyinfo.KindJumpoint:
				problems = append(problems, flag+" cannot be used with a Jumpoint installer")
			case !slices.Contains(p.Overrides, field):
				problems = append(problems, fmt.Sprintf("%s is not allowed by this installer: allow_override_%s is false", flag, field))
			}
		}
	}
	if len(problems) > 0 {
		return &OverrideError{Problems: problems}
	}
	return nil
}

// pinned reports whether one of the certificates in caPEM has pin pin.
func pinned(caPEM, pin string) bool {
	rest := []byte(caPEM)
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return false
		}
		if b.Type == "CERTIFICATE" && agentproto.Pin(b.Bytes) == pin {
			return true
		}
	}
}

func kindName(kind string) string {
	switch kind {
	case keyinfo.KindJumpClient:
		return "Jump Client"
	case keyinfo.KindJumpoint:
		return "Jumpoint"
	}
	return quote(kind)
}

// copyBuild copies the first n bytes of the installer at src (the agent
// build without its trailer) to a new file dst with mode perm.
func copyBuild(src string, n int64, dst string, perm os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("read the installer: %w", err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := io.CopyN(out, in, n); err != nil {
		out.Close()
		return fmt.Errorf("copy the agent to %s: %w", dst, err)
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
