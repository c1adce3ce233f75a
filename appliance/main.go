// Command jumpgate-appliance serves the Jumpgate API, web console, agent
// endpoint and installer downloads on one HTTPS port.
//
// Every flag has an environment twin JUMPGATE_<FLAG> (upper case, dashes as
// underscores); a flag on the command line wins over its twin.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/internal/app"
	"github.com/jumpgate/jumpgate/appliance/internal/db"
	"github.com/jumpgate/jumpgate/appliance/internal/instance"
	"github.com/jumpgate/jumpgate/appliance/internal/pki"
)

type options struct {
	cfg       app.Config
	logLevel  string
	logFormat string
	version   bool
}

func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("jumpgate-appliance", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.cfg.Listen, "listen", ":8443", "address to serve HTTPS on")
	fs.StringVar(&o.cfg.DataDir, "data-dir", "./jumpgate-data", "directory for the embedded database, key material and admin token")
	fs.StringVar(&o.cfg.Database, "database", "", "sqlite://<path> or postgres://user:pass@host/db (default sqlite://<data-dir>/jumpgate.db)")
	fs.StringVar(&o.cfg.PublicURL, "public-url", "", "URL that agents and installers use to reach the appliance (default https://localhost:<port>)")
	fs.StringVar(&o.cfg.TLSCert, "tls-cert", "", "PEM certificate chain to serve (default: a certificate from a CA created in the data dir)")
	fs.StringVar(&o.cfg.TLSKey, "tls-key", "", "PEM private key of --tls-cert")
	fs.StringVar(&o.cfg.AgentDir, "agent-dir", "", "directory of agent builds for installer downloads: manifest.json and jumpgate-agent-<platform>, written by make build (default: the agents directory next to this executable, if any)")
	fs.StringVar(&o.cfg.TrustedProxies, "trusted-proxies", "", "load balancers (comma-separated CIDR prefixes or addresses) whose connections must start with a PROXY protocol v2 header naming the client; the header is honoured from no one else (default none)")
	fs.StringVar(&o.cfg.MetricsListen, "metrics-listen", "", "also serve GET /metrics without a token, over plain HTTP, on this address, e.g. 127.0.0.1:9090 (default off; /metrics on --listen always needs a token)")
	fs.DurationVar(&o.cfg.ShutdownTimeout, "shutdown-timeout", 15*time.Second, "how long graceful shutdown waits for requests to finish")
	fs.DurationVar(&o.cfg.HeartbeatInterval, "heartbeat-interval", instance.DefaultInterval, fmt.Sprintf("how often this process renews its row in the database's registry of appliance processes; the others count it dead, and clear the presence of its agents and end its sessions, after %d missed renewals", instance.LeaseIntervals))
	fs.StringVar(&o.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&o.logFormat, "log-format", "text", "text or json")
	fs.BoolVar(&o.version, "version", false, "print the version and exit")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: jumpgate-appliance [flags]\n\nEvery flag also reads JUMPGATE_<FLAG>, e.g. JUMPGATE_DATA_DIR.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		env := "JUMPGATE_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(env); v != "" && !set[f.Name] {
			if err := f.Value.Set(v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %w", env, v, err))
			}
		}
	})
	return o, errors.Join(errs...)
}

func newLogger(level, format string, w io.Writer) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: l}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "jumpgate-appliance:", err)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, getenv, stderr)
	if err != nil {
		return err
	}
	if o.version {
		fmt.Fprintln(stdout, "jumpgate-appliance", api.Version)
		return nil
	}
	log, err := newLogger(o.logLevel, o.logFormat, stderr)
	if err != nil {
		return err
	}
	// The data dir lock, then the listeners, and only then anything that
	// writes to the data dir or the database (app.New): a second appliance
	// on the same data dir or port fails here and leaves the running one's
	// state alone.
	cfg := o.cfg
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return err
	}
	lock, err := app.LockDataDir(cfg)
	if err != nil {
		return err
	}
	defer lock.Release()
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	defer ln.Close()
	var metricsLn net.Listener
	if cfg.MetricsListen != "" {
		if metricsLn, err = net.Listen("tcp", cfg.MetricsListen); err != nil {
			return fmt.Errorf("listen on %s (--metrics-listen): %w", cfg.MetricsListen, err)
		}
		defer metricsLn.Close()
	}
	cfg.Lock = lock
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	cfg = a.Config

	errorLog := slog.NewLogLogger(log.Handler(), slog.LevelWarn)
	srv := a.HTTPServer(errorLog)
	metricsSrv := a.MetricsServer(errorLog)
	caPath := filepath.Join(cfg.DataDir, pki.CAFile)
	if cfg.TLSCert != "" {
		caPath = "(your --tls-cert chain)"
	}
	fmt.Fprintf(stdout, "Jumpgate appliance %s\n  URL:      %s\n  listen:   %s\n  database: %s\n  CA:       %s\n  process:  pid %d, instance %s\n",
		api.Version, cfg.PublicURL, ln.Addr(), db.Redact(cfg.Database), caPath, os.Getpid(), a.Server.Instance.ID)
	if ps := a.Builds.Platforms(); len(ps) > 0 {
		fmt.Fprintf(stdout, "  agents:   %s (version %s: %s)\n", cfg.AgentDir, a.Builds.Version(), strings.Join(ps, ", "))
	} else {
		fmt.Fprintf(stdout, "  agents:   none; installer downloads answer 503 (run make build, then start with --agent-dir bin/agents)\n")
	}
	if a.AdminToken != "" {
		fmt.Fprintf(stdout, "First start: created user \"admin\". Its API token is shown once here and saved to %s (mode 0600):\n  %s\n",
			filepath.Join(cfg.DataDir, app.AdminTokenFile), a.AdminToken)
		fmt.Fprintf(stdout, "Its console password (sign in at %s/login) is shown once here and saved to %s (mode 0600):\n  %s\n",
			strings.TrimRight(cfg.PublicURL, "/"), filepath.Join(cfg.DataDir, api.AdminPasswordFile), a.AdminPassword)
	} else {
		fmt.Fprintf(stdout, "  admin token: see %s (written at first start)\n", filepath.Join(cfg.DataDir, app.AdminTokenFile))
		if _, err := os.Stat(filepath.Join(cfg.DataDir, api.AdminPasswordFile)); err == nil {
			fmt.Fprintf(stdout, "  admin password: see %s (written at first start)\n", filepath.Join(cfg.DataDir, api.AdminPasswordFile))
		}
	}
	if a.MetricsToken != "" {
		fmt.Fprintf(stdout, "Created the scrape token of /metrics in %s (mode 0600).\n", filepath.Join(cfg.DataDir, app.MetricsTokenFile))
	}
	if metricsLn != nil {
		fmt.Fprintf(stdout, "  metrics:  http://%s/metrics (no token)\n", metricsLn.Addr())
	}
	log.Info("serving", "addr", ln.Addr().String(), "public_url", cfg.PublicURL, "pid", os.Getpid(), "instance", a.Server.Instance.ID)

	errc := make(chan error, 2)
	go func() { errc <- srv.ServeTLS(a.Listener(ln), "", "") }()
	if metricsSrv != nil {
		go func() {
			if err := metricsSrv.Serve(metricsLn); !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("metrics: %w", err)
			}
		}()
		defer metricsSrv.Close()
	}
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout", cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("graceful shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}
