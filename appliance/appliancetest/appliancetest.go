// Package appliancetest starts a real appliance for other components'
// tests: the real router, services and migrations on a temporary database,
// served over TLS with the appliance's own CA on a loopback port.
package appliancetest

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/internal/app"
	"github.com/jumpgate/jumpgate/appliance/internal/auth"
	"github.com/jumpgate/jumpgate/appliance/internal/pki"
)

// Server is a running appliance.
type Server struct {
	// URL is the appliance's base URL, e.g. https://127.0.0.1:41234.
	URL string
	// AdminToken is the bootstrap admin's API token, and AdminPassword the
	// password of the user "admin".
	AdminToken, AdminPassword string
	// MetricsToken is the scrape token of GET /metrics.
	MetricsToken string
	// CAPEM is the CA certificate clients must trust; CAFile holds it on disk.
	CAPEM  []byte
	CAFile string
	// DataDir is the appliance's data directory.
	DataDir string
	// Admin is a client authenticated as the bootstrap admin.
	Admin *api.Client
	// App is the assembled appliance, for white-box checks.
	App *app.App

	http *httptest.Server
	n    atomic.Int64
	stop sync.Once
}

// Option configures NewServer.
type Option func(*app.Config)

// WithDatabase uses dsn ("sqlite://…" or "postgres://…") instead of a
// fresh SQLite file in the data directory.
func WithDatabase(dsn string) Option { return func(c *app.Config) { c.Database = dsn } }

// WithDataDir uses dir as the data directory (to restart on the same data).
func WithDataDir(dir string) Option { return func(c *app.Config) { c.DataDir = dir } }

// WithAgentDir serves installer downloads from the agent builds in dir
// (manifest.json and jumpgate-agent-<platform>, as agenttest.AgentDir
// makes them).
func WithAgentDir(dir string) Option { return func(c *app.Config) { c.AgentDir = dir } }

// WithSessionMinute sets the length of a session-policy minute (session
// durations, idle timeouts, warnings) and so of a prompt second (a
// sixtieth of it), so that tests of time limits run in seconds.
func WithSessionMinute(d time.Duration) Option {
	return func(c *app.Config) { c.Sessions.Minute = d }
}

// WithSessionClock gives the session broker its clock (access code
// expiry, approvals, time left), for tests of expiry.
func WithSessionClock(now func() time.Time) Option {
	return func(c *app.Config) { c.Sessions.Now = now }
}

// WithLoginClock gives browser sessions and TOTP codes their clock, for
// tests of session expiry.
func WithLoginClock(now func() time.Time) Option {
	return func(c *app.Config) { c.LoginNow = now }
}

// WithTrustedProxies sets --trusted-proxies: connections from these
// prefixes must open with a PROXY protocol v2 header.
func WithTrustedProxies(cidrs string) Option { return func(c *app.Config) { c.TrustedProxies = cidrs } }

// WithHandshakeBudget shrinks the agent hub's handshake budget
// (MaxHandshakes) and the time a peer has to authenticate, so that tests
// of admission under a flood run with tens of connections, not hundreds.
func WithHandshakeBudget(max int, authTimeout time.Duration) Option {
	return func(c *app.Config) { c.Hub.MaxHandshakes, c.Hub.AuthTimeout = max, authTimeout }
}

// WithBodyTimeout sets how long a request body may take to arrive.
func WithBodyTimeout(d time.Duration) Option { return func(c *app.Config) { c.BodyTimeout = d } }

// NewServer starts an appliance that stops when the test ends.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("appliancetest: listen: %v", err)
	}
	cfg := app.Config{DataDir: filepath.Join(t.TempDir(), "data"), Listen: ln.Addr().String(), PublicURL: "https://" + ln.Addr().String()}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.Listen != ln.Addr().String() {
		ln.Close()
		if ln, err = net.Listen("tcp", cfg.Listen); err != nil {
			t.Fatalf("appliancetest: listen on %s: %v", cfg.Listen, err)
		}
	}
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	a, err := app.New(context.Background(), cfg, log)
	if err != nil {
		ln.Close()
		t.Fatalf("appliancetest: start appliance: %v", err)
	}
	hs := httptest.NewUnstartedServer(a.Server.Handler)
	hs.Listener.Close()
	// The appliance's own server settings (timeouts) and listener (PROXY
	// protocol), as the binary serves them.
	hs.Config = a.HTTPServer(nil)
	hs.Listener = a.Listener(ln)
	hs.TLS = a.TLSConfig
	hs.StartTLS()
	var s *Server
	t.Cleanup(func() {
		if s != nil {
			s.Stop()
			return
		}
		hs.Close()
		_ = a.Close()
	})
	tok := a.AdminToken
	if tok == "" {
		b, err := os.ReadFile(filepath.Join(a.Config.DataDir, app.AdminTokenFile))
		if err != nil {
			t.Fatalf("appliancetest: read admin token: %v", err)
		}
		tok = string(trimNL(b))
	}
	pw, err := os.ReadFile(filepath.Join(a.Config.DataDir, api.AdminPasswordFile))
	if err != nil && !os.IsNotExist(err) {
		t.Fatalf("appliancetest: read admin password: %v", err)
	}
	mtok, err := os.ReadFile(filepath.Join(a.Config.DataDir, app.MetricsTokenFile))
	if err != nil {
		t.Fatalf("appliancetest: read metrics token: %v", err)
	}
	s = &Server{URL: cfg.PublicURL, AdminToken: tok, AdminPassword: string(trimNL(pw)), MetricsToken: string(trimNL(mtok)), CAPEM: a.Material.CAPEM, DataDir: a.Config.DataDir,
		CAFile: filepath.Join(a.Config.DataDir, pki.CAFile), App: a, http: hs}
	s.Admin = s.Client(t, tok)
	return s
}

// Client returns an API client for the given token that trusts the
// appliance's CA.
func (s *Server) Client(t testing.TB, token string) *api.Client {
	t.Helper()
	c, err := api.New(s.URL, api.WithToken(token), api.WithCACertPEM(s.CAPEM))
	if err != nil {
		t.Fatalf("appliancetest: client: %v", err)
	}
	return c
}

// NewUser creates a user (an administrator if admin) with an API token and
// returns the user and a client authenticated as it.
func (s *Server) NewUser(t testing.TB, admin bool) (*api.User, *api.Client) {
	t.Helper()
	ctx := context.Background()
	n := s.n.Add(1)
	u, err := s.Admin.CreateUser(ctx, &api.User{Username: fmt.Sprintf("user%d", n), Admin: admin})
	if err != nil {
		t.Fatalf("appliancetest: create user: %v", err)
	}
	tok, err := s.Admin.CreateAPIToken(ctx, &api.APIToken{Name: "test", UserID: u.ID})
	if err != nil {
		t.Fatalf("appliancetest: create token: %v", err)
	}
	if len(tok.Token) <= len(auth.TokenPrefix) {
		t.Fatalf("appliancetest: token create answered without a secret")
	}
	return u, s.Client(t, tok.Token)
}

func trimNL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(trimNL(p)))
	return len(p), nil
}
