// Package app assembles a running appliance from a Config: key material,
// database, migrations, the HTTP server and the first-start bootstrap. The
// appliance binary and the appliancetest harness both start through it.
package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/jumpgate/jumpgate/appliance/internal/broker"
	"github.com/jumpgate/jumpgate/appliance/internal/db"
	"github.com/jumpgate/jumpgate/appliance/internal/dist"
	"github.com/jumpgate/jumpgate/appliance/internal/installer"
	"github.com/jumpgate/jumpgate/appliance/internal/pki"
	"github.com/jumpgate/jumpgate/appliance/internal/schema"
	"github.com/jumpgate/jumpgate/appliance/internal/server"
)

// AdminTokenFile is where the first-start admin token is saved, mode 0600.
const AdminTokenFile = "admin-token"

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
	// Sessions tunes the session broker (tests shrink its Minute); the
	// zero value is right for production.
	Sessions broker.Config
}

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
	if c.AgentDir != "" {
		if fi, err := os.Stat(c.AgentDir); err == nil && !fi.IsDir() {
			errs = append(errs, fmt.Errorf("--agent-dir %q is not a directory", c.AgentDir))
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
	// AdminToken is set on the first start only.
	AdminToken string
	// TLSConfig serves Material.TLS.
	TLSConfig *tls.Config
}

// New assembles the appliance: it creates or loads key material, opens and
// migrates the database, builds the server and bootstraps the admin user.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*App, error) {
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
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
	started := false
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
	if err := schema.Migrate(ctx, d); err != nil {
		_ = d.Close()
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	srv, err := server.New(server.Deps{DB: d, Log: log, Registry: reg, Builds: builds, DataDir: cfg.DataDir, Sessions: cfg.Sessions,
		Keys: &installer.KeyConfig{Key: mat.SigningKey, PublicURL: strings.TrimRight(cfg.PublicURL, "/"), CAPin: mat.CAPin, CAPEM: mat.CAPEM}})
	if err != nil {
		_ = d.Close()
		return nil, err
	}
	tok, err := srv.Bootstrap(ctx)
	if err != nil {
		_ = d.Close()
		return nil, err
	}
	if tok != "" {
		if err := pki.WriteSecret(filepath.Join(cfg.DataDir, AdminTokenFile), []byte(tok+"\n")); err != nil {
			_ = d.Close()
			return nil, fmt.Errorf("save admin token: %w", err)
		}
	}
	started = true
	return &App{
		Config: cfg, Server: srv, DB: d, Material: mat, Builds: builds, AdminToken: tok,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{mat.TLS}, MinVersion: tls.VersionTLS12, NextProtos: []string{"h2", "http/1.1"}},
	}, nil
}

// Close releases the database and the agent build files.
func (a *App) Close() error {
	a.Server.Close()
	return errors.Join(a.DB.Close(), a.Builds.Close())
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
