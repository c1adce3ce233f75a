// Package app assembles a running appliance from a Config: key material,
// database, migrations, the HTTP server and the first-start bootstrap. The
// appliance binary and the appliancetest harness both start through it.
package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/internal/agenthub"
	"github.com/jumpgate/jumpgate/appliance/internal/auth"
	"github.com/jumpgate/jumpgate/appliance/internal/broker"
	"github.com/jumpgate/jumpgate/appliance/internal/db"
	"github.com/jumpgate/jumpgate/appliance/internal/dist"
	"github.com/jumpgate/jumpgate/appliance/internal/ingress"
	"github.com/jumpgate/jumpgate/appliance/internal/installer"
	"github.com/jumpgate/jumpgate/appliance/internal/migrations"
	"github.com/jumpgate/jumpgate/appliance/internal/pki"
	"github.com/jumpgate/jumpgate/appliance/internal/server"
)

// AdminTokenFile is where the first-start admin token is saved, mode 0600.
const AdminTokenFile = "admin-token"

// MetricsTokenFile holds the read-only scrape token of GET /metrics (mode
// 0600), written at first start for the operator to give Prometheus; the
// appliance itself reads only MetricsTokenHashFile, so this file may be
// deleted once copied.
const MetricsTokenFile = "metrics-token"

// MetricsTokenHashFile holds the SHA-256 (hex) of the scrape token, mode
// 0600. Delete both files and restart to make a new token; write your own
// token to MetricsTokenFile and delete this file to choose one.
const MetricsTokenHashFile = "metrics-token.sha256"

// Config is the appliance configuration. Zero values get the defaults of
// Defaults.
type Config struct {
	// Listen is the address to serve HTTPS on; default ":8443".
	Listen string
	// DataDir holds the database, key material and admin token; default "./jumpgate-data".
	DataDir string
	// Database is "sqlite://<path>" or "postgres://…"; default sqlite://<DataDir>/jumpgate.db.
	Database string
	// PublicURL is the URL agents and installers use; default https://localhost:<port>.
	PublicURL string
	// TLSCert and TLSKey serve a given certificate instead of the generated one.
	TLSCert, TLSKey string
	// ShutdownTimeout bounds graceful shutdown; default 15s.
	ShutdownTimeout time.Duration
	// AgentDir holds the agent builds that installer downloads are made
	// from (manifest.json and jumpgate-agent-<platform> files, written by
	// make build); default: the "agents" directory next to the appliance
	// executable, when it exists. Without builds, downloads answer 503.
	AgentDir string
	// TrustedProxies lists the load balancers (comma-separated CIDR
	// prefixes or addresses) whose connections must open with a PROXY
	// protocol v2 header naming the client; default none (the header is
	// honoured from nobody).
	TrustedProxies string
	// MetricsListen, when set, also serves GET /metrics without a token on
	// this address (plain HTTP: bind it to a private interface); default ""
	// (off). /metrics on the main port always needs a token.
	MetricsListen string
	// Sessions tunes the session broker (tests shrink its Minute); the
	// zero value is right for production.
	Sessions broker.Config
	// Hub tunes the agent hub (tests shrink MaxHandshakes and
	// AuthTimeout); the zero value is right for production.
	Hub agenthub.Config
	// BodyTimeout bounds reading a request body; zero is
	// server.DefaultBodyTimeout.
	BodyTimeout time.Duration
	// HeartbeatInterval is how often this process renews its row in the
	// database's registry of appliance processes; the others count it dead
	// after instance.LeaseIntervals missed renewals. Zero is
	// instance.DefaultInterval.
	HeartbeatInterval time.Duration
	// LoginNow is the clock of browser sessions and TOTP codes (tests of
	// expiry); nil is time.Now.
	LoginNow func() time.Time
	// Lock is the data dir lock, when the caller took it (LockDataDir)
	// before binding its listener; nil makes New take it. The App releases
	// it on Close.
	Lock *DataDirLock
}

// Timeouts of the HTTP server (see HTTPServer).
const (
	// ReadHeaderTimeout bounds reading a request's headers, and the TLS
	// handshake before them.
	ReadHeaderTimeout = 10 * time.Second
	// IdleTimeout closes keep-alive connections idle for this long.
	IdleTimeout = 2 * time.Minute
)

// Defaults fills unset fields.
func (c *Config) Defaults() {
	if c.Listen == "" {
		c.Listen = ":8443"
	}
	if c.DataDir == "" {
		c.DataDir = "./jumpgate-data"
	}
	if c.Database == "" {
		c.Database = "sqlite://" + filepath.Join(c.DataDir, "jumpgate.db")
	}
	if c.PublicURL == "" {
		_, port, err := net.SplitHostPort(c.Listen)
		if err != nil || port == "" || port == "0" {
			port = "8443"
		}
		c.PublicURL = "https://localhost:" + port
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = 15 * time.Second
	}
	if c.AgentDir == "" {
		c.AgentDir = DefaultAgentDir()
	}
}

// DefaultAgentDir returns the "agents" directory next to the running
// executable (bin/agents for bin/jumpgate-appliance), or "" when there is
// none.
func DefaultAgentDir() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	if resolved, err := filepath.EvalSymlinks(exe); err == nil {
		exe = resolved
	}
	dir := filepath.Join(filepath.Dir(exe), "agents")
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return ""
	}
	return dir
}

// Validate checks the configuration after Defaults.
func (c *Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		errs = append(errs, fmt.Errorf("--listen %q: want host:port or :port", c.Listen))
	}
	u, err := url.Parse(c.PublicURL)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.Path != "" && u.Path != "/" {
		errs = append(errs, fmt.Errorf("--public-url %q: want https://host[:port]", c.PublicURL))
	}
	if !strings.HasPrefix(c.Database, "sqlite://") && !strings.HasPrefix(c.Database, "postgres://") && !strings.HasPrefix(c.Database, "postgresql://") {
		errs = append(errs, fmt.Errorf("--database %q: want sqlite://<path> or postgres://…", db.Redact(c.Database)))
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		errs = append(errs, errors.New("--tls-cert and --tls-key must be given together"))
	}
	if c.ShutdownTimeout < 0 {
		errs = append(errs, errors.New("--shutdown-timeout must not be negative"))
	}
	if c.HeartbeatInterval < 0 || c.HeartbeatInterval > 0 && c.HeartbeatInterval < 100*time.Millisecond {
		errs = append(errs, fmt.Errorf("--heartbeat-interval %s: want at least 100ms", c.HeartbeatInterval))
	}
	if c.AgentDir != "" {
		if fi, err := os.Stat(c.AgentDir); err == nil && !fi.IsDir() {
			errs = append(errs, fmt.Errorf("--agent-dir %q is not a directory", c.AgentDir))
		}
	}
	if _, err := ingress.ParsePrefixes(c.TrustedProxies); err != nil {
		errs = append(errs, fmt.Errorf("--trusted-proxies: %w", err))
	}
	if c.MetricsListen != "" {
		if _, _, err := net.SplitHostPort(c.MetricsListen); err != nil {
			errs = append(errs, fmt.Errorf("--metrics-listen %q: want host:port or :port", c.MetricsListen))
		}
	}
	return errors.Join(errs...)
}

// App is an assembled appliance, ready to serve.
type App struct {
	Config   Config
	Server   *server.Server
	DB       *db.DB
	Material *pki.Material
	// Builds are the agent builds of Config.AgentDir, verified at start.
	Builds *dist.Builds
	// AdminToken and AdminPassword (of the user "admin", also saved to
	// <data-dir>/admin-password) are set on the first start only.
	AdminToken, AdminPassword string
	// MetricsToken is the scrape token, set on the start that created it.
	MetricsToken string
	// TLSConfig serves Material.TLS.
	TLSConfig *tls.Config
	// trusted are the parsed Config.TrustedProxies.
	trusted []netip.Prefix
	lock    *DataDirLock
}

// cipherSuites are the TLS 1.2 suites offered: ECDHE with AEAD ciphers
// only (no CBC, no SHA-1 MACs, no static RSA key exchange). TLS 1.3's
// suites are all AEAD and not configurable.
var cipherSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// HTTPServer returns the server of the main port: the handler, TLS and the
// timeouts (ReadHeaderTimeout also bounds the TLS handshake; request bodies
// get their own deadline in the handler). Serve it on Listener(ln) with
// ServeTLS(ln, "", "").
func (a *App) HTTPServer(errorLog *log.Logger) *http.Server {
	return &http.Server{
		Handler:           a.Server.Handler,
		TLSConfig:         a.TLSConfig,
		ReadHeaderTimeout: ReadHeaderTimeout,
		IdleTimeout:       IdleTimeout,
		ErrorLog:          errorLog,
	}
}

// Listener wraps the main port's listener for --trusted-proxies (PROXY
// protocol v2 from those balancers only); without them it is ln.
func (a *App) Listener(ln net.Listener) net.Listener { return ingress.Listen(ln, a.trusted) }

// MetricsServer returns the plain-HTTP server of --metrics-listen, which
// serves GET /metrics without a token, or nil when it is not configured.
func (a *App) MetricsServer(errorLog *log.Logger) *http.Server {
	if a.Config.MetricsListen == "" {
		return nil
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", a.Server.Metrics)
	return &http.Server{Handler: mux, ReadHeaderTimeout: ReadHeaderTimeout, ReadTimeout: ReadHeaderTimeout, IdleTimeout: IdleTimeout, ErrorLog: errorLog}
}

// metricsToken returns the hash of the scrape token, creating the token
// (returned as secret) when there is none.
func metricsToken(dir string) (hash, secret string, err error) {
	hashPath, tokPath := filepath.Join(dir, MetricsTokenHashFile), filepath.Join(dir, MetricsTokenFile)
	b, err := os.ReadFile(hashPath)
	if err == nil {
		hash = strings.TrimSpace(string(b))
		if len(hash) != 64 {
			return "", "", fmt.Errorf("%s: want the hex SHA-256 of the scrape token", hashPath)
		}
		return hash, "", nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", "", err
	}
	if b, err := os.ReadFile(tokPath); err == nil && strings.TrimSpace(string(b)) != "" {
		// The operator chose the token.
		hash = auth.HashToken(strings.TrimSpace(string(b)))
	} else {
		secret, hash, err = auth.NewToken()
		if err != nil {
			return "", "", err
		}
		if err := pki.WriteSecret(tokPath, []byte(secret+"\n")); err != nil {
			return "", "", err
		}
	}
	if err := pki.WriteSecret(hashPath, []byte(hash+"\n")); err != nil {
		return "", "", err
	}
	return hash, secret, nil
}

// New assembles the appliance: it takes the data dir lock (SQLite), creates
// or loads key material, opens and migrates the database, builds the server,
// registers this process, starts the agent hub and the broker and
// bootstraps the admin user. It writes to shared state (the data dir, the
// database), so a server binds its listener first, and a bind that fails
// leaves the running appliance's state alone.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*App, error) {
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	lock := cfg.Lock
	cfg.Lock = nil
	if lock == nil {
		var err error
		if lock, err = LockDataDir(cfg); err != nil {
			return nil, err
		}
	}
	started := false
	defer func() {
		if !started {
			lock.Release()
		}
	}()
	u, _ := url.Parse(cfg.PublicURL)
	hosts := []string{u.Hostname(), "localhost", "127.0.0.1", "::1"}
	if h, err := os.Hostname(); err == nil && h != "" {
		hosts = append(hosts, h)
	}
	mat, err := pki.Load(cfg.DataDir, cfg.TLSCert, cfg.TLSKey, dedupe(hosts))
	if err != nil {
		return nil, err
	}
	builds, err := dist.Load(cfg.AgentDir)
	if err != nil {
		return nil, err
	}
	defer func() {
		if !started {
			_ = builds.Close()
		}
	}()
	if ps := builds.Platforms(); len(ps) > 0 {
		log.Info("agent builds loaded", "dir", cfg.AgentDir, "version", builds.Version(), "platforms", strings.Join(ps, ","))
	} else {
		log.Info("no agent builds: installer downloads answer 503 until the appliance starts with --agent-dir pointing at the agents directory of make build",
			"agent_dir", cfg.AgentDir)
	}
	d, err := db.Open(ctx, cfg.Database, log)
	if err != nil {
		return nil, err
	}
	if err := migrations.Migrate(ctx, d); err != nil {
		_ = d.Close()
		return nil, err
	}
	metricsHash, metricsSecret, err := metricsToken(cfg.DataDir)
	if err != nil {
		_ = d.Close()
		return nil, fmt.Errorf("metrics token: %w", err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	srv, err := server.New(server.Deps{DB: d, Log: log, Registry: reg, Builds: builds, DataDir: cfg.DataDir, Sessions: cfg.Sessions,
		Hub: cfg.Hub, BodyTimeout: cfg.BodyTimeout, MetricsTokenHash: metricsHash, HeartbeatInterval: cfg.HeartbeatInterval, LoginNow: cfg.LoginNow,
		Keys: &installer.KeyConfig{Key: mat.SigningKey, PublicURL: strings.TrimRight(cfg.PublicURL, "/"), CAPin: mat.CAPin, CAPEM: mat.CAPEM}})
	if err != nil {
		_ = d.Close()
		return nil, err
	}
	tok, pw, err := srv.Bootstrap(ctx)
	if err != nil {
		srv.Close()
		_ = d.Close()
		return nil, err
	}
	if tok != "" {
		if err := pki.WriteSecret(filepath.Join(cfg.DataDir, AdminTokenFile), []byte(tok+"\n")); err != nil {
			srv.Close()
			_ = d.Close()
			return nil, fmt.Errorf("save admin token: %w", err)
		}
		if err := pki.WriteSecret(filepath.Join(cfg.DataDir, api.AdminPasswordFile), []byte(pw+"\n")); err != nil {
			srv.Close()
			_ = d.Close()
			return nil, fmt.Errorf("save admin password: %w", err)
		}
	}
	trusted, _ := ingress.ParsePrefixes(cfg.TrustedProxies) // checked by Validate
	started = true
	return &App{
		Config: cfg, Server: srv, DB: d, Material: mat, Builds: builds, AdminToken: tok, AdminPassword: pw, MetricsToken: metricsSecret, trusted: trusted, lock: lock,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{mat.TLS}, MinVersion: tls.VersionTLS12, CipherSuites: cipherSuites,
			NextProtos: []string{"h2", "http/1.1"}},
	}, nil
}

// Close stops the server, releases the database and the agent build files,
// and then the data dir lock.
func (a *App) Close() error {
	a.Server.Close()
	err := errors.Join(a.DB.Close(), a.Builds.Close())
	a.lock.Release()
	return err
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
