// Package login signs users in to the web console: username and password
// (argon2id, package user), TOTP multi-factor authentication (RFC 6238) with
// single-use recovery codes, and server-side browser sessions carried in the
// __Host-jumpgate_session cookie.
//
// A browser session authenticates a request as the same auth.Principal an
// API token of its user would (with BrowserSessionID instead of TokenID), so
// every handler authorises both alike. The flow:
//
//   - POST /api/v1/auth/login checks the password (a dummy hash is checked
//     for unknown users, so that both answers take as long) and, for a user
//     with confirmed TOTP, a current code or a recovery code. Failures are
//     counted per username and per client address (in memory: one
//     appliance process) and answered 429 with Retry-After past the limits.
//     A success stores the SHA-256 of a fresh 256-bit secret and sets the
//     cookie (Path=/, Secure, HttpOnly, SameSite=Lax).
//   - Every later request with the cookie is looked up by that hash. It
//     ends after the console settings' idle timeout without a request, or
//     its absolute lifetime, or when its user is disabled or deleted, gets a
//     new password, has their MFA reset or their sessions ended; last use is
//     written at most every touchEvery. Ending a session also asks the
//     broker to close the session channels opened with it.
//   - Cookie-authenticated requests are checked for cross-origin forgery:
//     state-changing methods by net/http's CrossOriginProtection (with the
//     appliance's public origin and the trusted origins of the console
//     settings), WebSocket upgrades by an Origin that must be one of those
//     or the request's own. Bearer requests carry no ambient credential and
//     are not checked.
//   - A user who must use MFA (the console settings or their own
//     mfa_required) but has not enrolled may call only the auth endpoints
//     of enrollment, confirmation, session, logout and password until they
//     confirm a code.
package login

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/internal/auth"
	"github.com/jumpgate/jumpgate/appliance/internal/db"
	"github.com/jumpgate/jumpgate/appliance/internal/problem"
	"github.com/jumpgate/jumpgate/appliance/internal/user"
)

// SettingsSource reads the console settings (idle timeout, lifetime, MFA
// requirement, trusted origins).
type SettingsSource interface {
	ConsoleSettings(ctx context.Context) (api.ConsoleSettings, error)
}

// Defaults is the SettingsSource of an appliance without stored console
// settings: api's defaults.
type Defaults struct{}

// ConsoleSettings implements SettingsSource.
func (Defaults) ConsoleSettings(context.Context) (api.ConsoleSettings, error) {
	var s api.ConsoleSettings
	s.ApplyDefaults()
	return s, nil
}

// SettingsFunc adapts a function to SettingsSource.
type SettingsFunc func(ctx context.Context) (api.ConsoleSettings, error)

// ConsoleSettings implements SettingsSource.
func (f SettingsFunc) ConsoleSettings(ctx context.Context) (api.ConsoleSettings, error) {
	return f(ctx)
}

const (
	// touchEvery is how often a busy session's last use is written.
	touchEvery = 30 * time.Second
	// settingsTTL bounds how long the settings read last are used
	// (SettingsChanged drops them at once).
	settingsTTL = 5 * time.Second
	// sweepEvery is how often ended sessions are deleted, which closes the
	// session channels still open with them.
	sweepEvery = time.Minute
	// maxSessionsPerUser bounds a user's browser sessions; signing in once
	// more ends the oldest.
	maxSessionsPerUser = 50
)

// Config are the service's collaborators.
type Config struct {
	DB  *db.DB
	Log *slog.Logger
	// Users reads users for the session's answer.
	Users *user.Service
	// Settings are the console settings; nil is Defaults.
	Settings SettingsSource
	// PublicURL is the appliance's public URL (--public-url): its origin
	// may always send state-changing requests with a session.
	PublicURL string
	// SecretKey is the key material that TOTP secrets are sealed with (a
	// key is derived from it); the installer signing key's seed, which
	// every replica shares.
	SecretKey []byte
	// Changed is called after browser sessions ended, so that the session
	// channels opened with them are closed (broker.AccessChanged).
	Changed func()
	// Now is the clock of sessions and TOTP; nil is time.Now.
	Now func() time.Time
}

// Service signs users in and authenticates browser sessions.
type Service struct {
	cfg    Config
	seal   *sealer
	lim    *limiter
	origin string // of PublicURL
	dummy  string // a password hash checked for unknown users

	mu         sync.Mutex
	settings   api.ConsoleSettings
	settingsAt time.Time
	cop        *http.CrossOriginProtection
	trusted    []string

	stop chan struct{}
	done chan struct{}
}

// New returns the service and starts its sweeper; Close stops it.
func New(cfg Config) (*Service, error) {
	if cfg.DB == nil || cfg.Users == nil || len(cfg.SecretKey) == 0 {
		return nil, errors.New("login: DB, Users and SecretKey are required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Settings == nil {
		cfg.Settings = Defaults{}
	}
	if cfg.Changed == nil {
		cfg.Changed = func() {}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	seal, err := newSealer(cfg.SecretKey)
	if err != nil {
		return nil, err
	}
	dummy, err := user.HashPassword("not the password of anyone")
	if err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, seal: seal, lim: newLimiter(), dummy: dummy, stop: make(chan struct{}), done: make(chan struct{})}
	if u, err := url.Parse(cfg.PublicURL); err == nil && u.Host != "" {
		s.origin = strings.ToLower(u.Scheme + "://" + u.Host)
	}
	s.cop = s.newCOP(nil)
	go s.sweepLoop()
	return s, nil
}

// Close stops the sweeper.
func (s *Service) Close() {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	<-s.done
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC() }

// SettingsChanged drops the settings read last: the next request reads
// them again (trusted origins, timeouts). The console settings' writes call
// it.
func (s *Service) SettingsChanged() {
	s.mu.Lock()
	s.settingsAt = time.Time{}
	s.mu.Unlock()
}

// consoleSettings returns the settings, read at most every settingsTTL; when
// they cannot be read, the last ones (or the defaults) stay.
func (s *Service) consoleSettings(ctx context.Context) api.ConsoleSettings {
	s.mu.Lock()
	if !s.settingsAt.IsZero() && time.Since(s.settingsAt) < settingsTTL {
		st := s.settings
		s.mu.Unlock()
		return st
	}
	s.mu.Unlock()
	st, err := s.cfg.Settings.ConsoleSettings(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.cfg.Log.Warn("console settings unreadable; using the last known ones", "err", err)
		st = s.settings
	}
	st.ApplyDefaults()
	s.settings, s.settingsAt = st, time.Now()
	if !slices.Equal(st.TrustedOrigins, s.trusted) {
		s.trusted = slices.Clone(st.TrustedOrigins)
		s.cop = s.newCOP(s.trusted)
	}
	return st
}

// newCOP builds the cross-origin protection of the public origin and the
// trusted origins; CrossOriginProtection cannot forget an origin, so a
// change of the settings builds a new one.
func (s *Service) newCOP(trusted []string) *http.CrossOriginProtection {
	cop := http.NewCrossOriginProtection()
	for _, o := range append([]string{s.origin}, trusted...) {
		if o == "" {
			continue
		}
		if err := cop.AddTrustedOrigin(o); err != nil {
			s.cfg.Log.Warn("trusted origin ignored", "origin", o, "err", err)
		}
	}
	return cop
}

// lifetimes returns the idle timeout and the absolute lifetime.
func lifetimes(st api.ConsoleSettings) (idle, life time.Duration) {
	return time.Duration(st.SessionIdleTimeoutMinutes) * time.Minute, time.Duration(st.SessionLifetimeHours) * time.Hour
}

// newSecret returns a cookie secret and its stored hash.
func newSecret() (secret, hash string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	secret = base64.RawURLEncoding.EncodeToString(b)
	return secret, hashOf(secret), nil
}

func hashOf(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// sessionRow is a browser session joined with its user.
type sessionRow struct {
	ID          int64
	UserID      int64
	CreatedAt   time.Time
	LastSeenAt  time.Time
	Username    string
	Admin       bool
	Enabled     bool
	MFARequired bool
}

// current is what the middleware learnt of a cookie's session.
type current struct {
	row      sessionRow
	settings api.ConsoleSettings
	// pending: the user must enroll MFA before anything else.
	pending bool
}

// authenticate resolves a cookie secret. Sessions found ended are deleted.
func (s *Service) authenticate(ctx context.Context, secret string) (*current, error) {
	var row sessionRow
	err := s.cfg.DB.R.WithContext(ctx).Table(user.SignInTables[0]+" AS s").
		Select("s.id, s.user_id, s.created_at, s.last_seen_at, u.username, u.admin, u.enabled, u.mfa_required").
		Joins("JOIN users AS u ON u.id = s.user_id").Where("s.hash = ?", hashOf(secret)).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("the browser session has ended; sign in again: %w", problem.ErrUnauthorized)
	}
	if err != nil {
		return nil, fmt.Errorf("authenticate browser session: %w", err)
	}
	st := s.consoleSettings(ctx)
	idle, life := lifetimes(st)
	now := s.now()
	ended := ""
	switch {
	case !row.Enabled:
		ended = "your user is disabled"
	case !now.Before(row.CreatedAt.Add(life)):
		ended = "the browser session reached its lifetime"
	case !now.Before(row.LastSeenAt.Add(idle)):
		ended = "the browser session was idle too long"
	}
	if ended != "" {
		if _, err := s.deleteSessions(ctx, "id = ?", row.ID); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%s; sign in again: %w", ended, problem.ErrUnauthorized)
	}
	if now.Sub(row.LastSeenAt) >= touchEvery {
		// Conditional, so that concurrent requests write once.
		if err := s.cfg.DB.W.WithContext(ctx).Model(&Session{}).Where("id = ? AND last_seen_at = ?", row.ID, row.LastSeenAt).
			Update("last_seen_at", now).Error; err != nil {
			s.cfg.Log.Warn("could not record a browser session's use", "err", err)
		} else {
			row.LastSeenAt = now
		}
	}
	cur := &current{row: row, settings: st}
	if *st.MFARequired || row.MFARequired {
		enrolled, err := s.enrolled(ctx, row.UserID)
		if err != nil {
			return nil, err
		}
		cur.pending = !enrolled
	}
	return cur, nil
}

func (c *current) principal() auth.Principal {
	return auth.Principal{UserID: c.row.UserID, Username: c.row.Username, Admin: c.row.Admin, BrowserSessionID: c.row.ID}
}

// deleteSessions deletes the browser sessions matching the condition and,
// when there were any, has their session channels closed.
func (s *Service) deleteSessions(ctx context.Context, cond string, args ...any) (int64, error) {
	res := s.cfg.DB.W.WithContext(ctx).Where(cond, args...).Delete(&Session{})
	if res.Error != nil {
		return 0, fmt.Errorf("end browser sessions: %w", res.Error)
	}
	if res.RowsAffected > 0 {
		s.cfg.Changed()
	}
	return res.RowsAffected, nil
}

// EndUserSessions ends every browser session of user uid but keep (0: none).
func (s *Service) EndUserSessions(ctx context.Context, uid, keep int64) (int64, error) {
	return s.deleteSessions(ctx, "user_id = ? AND id <> ?", uid, keep)
}

// sweepLoop deletes ended sessions every sweepEvery.
func (s *Service) sweepLoop() {
	defer close(s.done)
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			if err := s.Sweep(context.Background()); err != nil {
				s.cfg.Log.Warn("could not delete ended browser sessions", "err", err)
			}
		}
	}
}

// Sweep deletes the sessions past their lifetime or idle timeout.
func (s *Service) Sweep(ctx context.Context) error {
	idle, life := lifetimes(s.consoleSettings(ctx))
	now := s.now()
	_, err := s.deleteSessions(ctx, "created_at <= ? OR last_seen_at <= ?", now.Add(-life), now.Add(-idle))
	return err
}
