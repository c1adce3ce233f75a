// Package downloadurl signs and checks the short-lived download URLs of
// Jump Client installers, which work without a bearer token so that the
// command a console user copies runs on an endpoint as it is.
//
// A URL names the installer row, its installer_id, the platform, the user
// who issued it and an expiry, and carries an HMAC-SHA256 over all of them
// with a key of the appliance (<data-dir>/download-url-key, 0600, made at
// first start). Changing any of them, or the key (Rotate), makes the
// signature wrong. The expiry is checked after the signature, so a changed
// expiry is a forgery (403) and a passed one is gone (410).
package downloadurl

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// KeyFile is the name of the signing key's file in the data dir.
const KeyFile = "download-url-key"

// Validity of a signed URL.
const (
	DefaultTTL = 15 * time.Minute
	MinTTL     = time.Minute
	MaxTTL     = 24 * time.Hour
)

// Query parameters of a signed URL.
const (
	ParamInstaller = "installer_id"
	ParamUser      = "user"
	ParamExpires   = "expires"
	ParamSignature = "sig"
)

// Grant is what a signed URL allows: downloading one platform of one
// installer until Expires, on behalf of UserID.
type Grant struct {
	// ID is the installer's row id; InstallerID its installer_id, which
	// changes when its key is rotated.
	ID          int64
	InstallerID string
	Platform    string
	UserID      int64
	Expires     time.Time
}

func (g Grant) message() []byte {
	return []byte(strings.Join([]string{"jumpgate download url v1", "jump_client_installer",
		strconv.FormatInt(g.ID, 10), g.InstallerID, g.Platform, strconv.FormatInt(g.UserID, 10),
		strconv.FormatInt(g.Expires.Unix(), 10)}, "\x00"))
}

// Signer holds the key. It is safe for concurrent use.
type Signer struct {
	mu   sync.RWMutex
	key  []byte
	path string
}

// Open reads the key from dir, making it on first use; dir "" keeps a
// random key in memory only (tests).
func Open(dir string) (*Signer, error) {
	s := &Signer{}
	if dir == "" {
		s.key = newKey()
		return s, nil
	}
	s.path = filepath.Join(dir, KeyFile)
	b, err := os.ReadFile(s.path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return s, s.Rotate()
	case err != nil:
		return nil, fmt.Errorf("read download url key: %w", err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) < 32 {
		return nil, fmt.Errorf("download url key %s is not 32 hex-encoded bytes", s.path)
	}
	s.key = key
	return s, nil
}

func newKey() []byte {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	return k
}

// Rotate replaces the key, and so invalidates every URL signed before.
func (s *Signer) Rotate() error {
	key := newKey()
	if s.path != "" {
		tmp := s.path + ".tmp"
		if err := os.WriteFile(tmp, []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
			return fmt.Errorf("write download url key: %w", err)
		}
		if err := os.Rename(tmp, s.path); err != nil {
			return fmt.Errorf("write download url key: %w", err)
		}
	}
	s.mu.Lock()
	s.key = key
	s.mu.Unlock()
	return nil
}

func (s *Signer) mac(g Grant) []byte {
	s.mu.RLock()
	defer s.mu.RUnlock()
	m := hmac.New(sha256.New, s.key)
	m.Write(g.message())
	return m.Sum(nil)
}

// Query returns the query of a URL that carries g.
func (s *Signer) Query(g Grant) url.Values {
	return url.Values{
		ParamInstaller: {g.InstallerID},
		ParamUser:      {strconv.FormatInt(g.UserID, 10)},
		ParamExpires:   {strconv.FormatInt(g.Expires.Unix(), 10)},
		ParamSignature: {base64.RawURLEncoding.EncodeToString(s.mac(g))},
	}
}

// Errors of Check.
var (
	// ErrForged: the signature does not match what the URL names.
	ErrForged = errors.New("the download link is not valid: its signature does not match")
	// ErrExpired: the signature is right, and the expiry has passed.
	ErrExpired = errors.New("the download link has expired; copy a fresh one from the installer")
)

// Check reads the grant of a signed URL to installer id and platform from
// its query. It returns ErrForged when the signature does not cover
// exactly these values and ErrExpired when it does and now is past the
// expiry.
func (s *Signer) Check(id int64, platform string, q url.Values, now time.Time) (Grant, error) {
	g := Grant{ID: id, Platform: platform, InstallerID: q.Get(ParamInstaller)}
	user, err1 := strconv.ParseInt(q.Get(ParamUser), 10, 64)
	exp, err2 := strconv.ParseInt(q.Get(ParamExpires), 10, 64)
	sig, err3 := base64.RawURLEncoding.DecodeString(q.Get(ParamSignature))
	if err1 != nil || err2 != nil || err3 != nil || g.InstallerID == "" {
		return g, ErrForged
	}
	g.UserID, g.Expires = user, time.Unix(exp, 0)
	if !hmac.Equal(sig, s.mac(g)) {
		return g, ErrForged
	}
	if !now.Before(g.Expires) {
		return g, ErrExpired
	}
	return g, nil
}
