// Command jumpgate-operator reconciles the custom resources of
// jumpgate.dev/v1alpha1 (crds/) into a Jumpgate appliance, through the
// appliance's public API only. It is a controller-runtime manager: one
// controller per kind, leader election, health probes and Prometheus
// metrics. docs/operator.md is its reference.
//
// Every flag has an environment twin JUMPGATE_OPERATOR_<FLAG> (upper case,
// dashes as underscores), except --url and --ca-cert, which read the
// JUMPGATE_URL and JUMPGATE_CA_CERT that the CLI and the Terraform provider
// read too. A flag on the command line wins over its twin. The API token is
// never a flag (it would show in ps): it comes from the file --token-file,
// re-read when it changes, or else from JUMPGATE_TOKEN.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/operator/api/v1alpha1"
	"github.com/jumpgate/jumpgate/operator/internal/appliance"
	"github.com/jumpgate/jumpgate/operator/internal/controller"
	"github.com/jumpgate/jumpgate/operator/internal/metrics"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // the operator could not start or stopped on an error
	exitUsage   = 2 // bad flags or configuration
)

// envPrefix is the prefix of the flags' environment twins.
const envPrefix = "JUMPGATE_OPERATOR_"

// LeaderElectionID names the Lease that replicas of the operator compete
// for, in --leader-election-namespace.
const LeaderElectionID = "jumpgate-operator.jumpgate.dev"

// Config is the operator's configuration, from flags and environment.
type Config struct {
	// Appliance is how to reach the appliance.
	Appliance appliance.Config
	// ClusterName is recorded on appliance objects (controller.Config.Cluster).
	ClusterName string
	// AgentImage is the default image of the Jumpoint nodes run in the
	// cluster (controller.Config.AgentImage).
	AgentImage string
	// ResyncPeriod and BackoffMax: see controller.Config.
	ResyncPeriod, BackoffMax time.Duration
	// Namespaces, when not empty, are the only namespaces watched.
	Namespaces []string
	// MaxConcurrentReconciles per kind.
	MaxConcurrentReconciles int
	// MetricsAddr and ProbeAddr are the listen addresses of /metrics and of
	// /healthz and /readyz; "0" turns one off.
	MetricsAddr, ProbeAddr string
	// LeaderElect turns on leader election in LeaderElectionNamespace (by
	// default the namespace the pod runs in).
	LeaderElect             bool
	LeaderElectionNamespace string
	// Kubeconfig, when set, is the kubeconfig file to use; else KUBECONFIG,
	// the in-cluster configuration, then ~/.kube/config.
	Kubeconfig string
	// KubeAPIQPS and KubeAPIBurst bound the operator's requests to the
	// Kubernetes API server (client-side rate limit).
	KubeAPIQPS   float64
	KubeAPIBurst int
	// LogLevel is debug, info or error; LogFormat text or json.
	LogLevel, LogFormat string
}

// options are the parsed flags.
type options struct {
	Config
	caCert    string
	namespace stringList
	version   bool
}

// stringList is a repeatable flag whose values may also be comma-separated.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// envName is the environment twin of a flag.
func envName(flagName string) string {
	switch flagName {
	case "url":
		return api.EnvURL
	case "ca-cert":
		return api.EnvCACert
	}
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func newFlagSet(o *options, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("jumpgate-operator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.Appliance.URL, "url", "", "appliance URL, e.g. https://jumpgate.example.com:8443 (required)")
	fs.StringVar(&o.Appliance.TokenFile, "token-file", "", "file holding an administrator's API token, e.g. a mounted Secret key; read again when it changes (else the token is JUMPGATE_TOKEN)")
	fs.StringVar(&o.caCert, "ca-cert", "", "PEM file of the CA that signed the appliance's certificate, e.g. <data-dir>/ca.pem (default: the system's CAs); JUMPGATE_CA_CERT may also hold the PEM itself")
	fs.StringVar(&o.ClusterName, "cluster-name", "", "name of this cluster, recorded on the appliance objects it creates so that several clusters can share one appliance; a label value")
	fs.StringVar(&o.AgentImage, "agent-image", "", "image of jumpgate-agent for the nodes of Jumpoints with spec.deployment that name none (default ghcr.io/jumpgate/jumpgate-agent:<the operator's version>)")
	fs.DurationVar(&o.ResyncPeriod, "resync-period", 5*time.Minute, "how often a Ready resource is compared with the appliance again, correcting drift (plus up to 10% jitter)")
	fs.DurationVar(&o.BackoffMax, "backoff-max", 5*time.Minute, "longest delay between retries after appliance errors (the delay starts at 1s and doubles)")
	fs.Var(&o.namespace, "namespace", "watch only this namespace; repeat or separate with commas for several (default: all namespaces)")
	fs.IntVar(&o.MaxConcurrentReconciles, "max-concurrent-reconciles", 4, "resources of one kind reconciled at the same time")
	fs.StringVar(&o.MetricsAddr, "metrics-bind-address", ":8080", "address of the Prometheus /metrics endpoint; 0 turns it off")
	fs.StringVar(&o.ProbeAddr, "health-probe-bind-address", ":8081", "address of the /healthz and /readyz probes; 0 turns them off")
	fs.BoolVar(&o.LeaderElect, "leader-elect", false, "elect a leader among replicas with a Lease "+LeaderElectionID+"; only the leader reconciles (the manifests turn it on)")
	fs.StringVar(&o.LeaderElectionNamespace, "leader-election-namespace", "", "namespace of the leader election Lease (default: the pod's namespace; required outside a cluster)")
	fs.StringVar(&o.Kubeconfig, "kubeconfig", "", "kubeconfig file (default: KUBECONFIG, the in-cluster configuration, then ~/.kube/config)")
	fs.Float64Var(&o.KubeAPIQPS, "kube-api-qps", 50, "most requests per second to the Kubernetes API server, on average (each resource costs a few writes: finalizer, status, Events)")
	fs.IntVar(&o.KubeAPIBurst, "kube-api-burst", 100, "most requests to the Kubernetes API server in a burst above --kube-api-qps")
	fs.StringVar(&o.LogLevel, "log-level", "info", "debug, info or error")
	fs.StringVar(&o.LogFormat, "log-format", "json", "json or text")
	fs.BoolVar(&o.version, "version", false, "print the version and exit")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: jumpgate-operator [flags]\n\n"+
			"Reconciles the custom resources of jumpgate.dev/v1alpha1 into a Jumpgate appliance.\n\n"+
			"The API token comes from --token-file, else from JUMPGATE_TOKEN. --url and --ca-cert\n"+
			"also read JUMPGATE_URL and JUMPGATE_CA_CERT; every other flag reads\n"+
			"JUMPGATE_OPERATOR_<FLAG>, e.g. JUMPGATE_OPERATOR_CLUSTER_NAME.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args, then fills the flags not given from their
// environment twins.
func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := newFlagSet(o, stderr)
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
		env := envName(f.Name)
		if v := getenv(env); v != "" && !set[f.Name] {
			if err := f.Value.Set(v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %w", env, v, err))
			}
		}
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	o.Namespaces = o.namespace
	if o.Appliance.TokenFile == "" {
		o.Appliance.Token = strings.TrimSpace(getenv(api.EnvToken))
	}
	if o.caCert != "" {
		if strings.Contains(o.caCert, "-----BEGIN") {
			o.Appliance.CACertPEM = []byte(o.caCert)
		} else {
			b, err := os.ReadFile(o.caCert)
			if err != nil {
				return nil, fmt.Errorf("--ca-cert: %w", err)
			}
			o.Appliance.CACertPEM = b
		}
	}
	return o, nil
}

// Validate checks the configuration and says what to fix.
func (c *Config) Validate() error {
	var errs []error
	if c.Appliance.URL == "" {
		errs = append(errs, errors.New("no appliance URL: set --url or "+api.EnvURL))
	}
	if c.Appliance.TokenFile == "" && c.Appliance.Token == "" {
		errs = append(errs, errors.New("no API token: set --token-file (or "+envName("token-file")+") to a file holding it, or "+api.EnvToken))
	}
	if c.ClusterName != "" {
		if err := api.CheckLabelValue(c.ClusterName); err != nil {
			errs = append(errs, fmt.Errorf("--cluster-name %q: %w", c.ClusterName, err))
		}
	}
	if c.ResyncPeriod < time.Second {
		errs = append(errs, fmt.Errorf("--resync-period %s: want at least 1s", c.ResyncPeriod))
	}
	if c.BackoffMax < time.Second {
		errs = append(errs, fmt.Errorf("--backoff-max %s: want at least 1s", c.BackoffMax))
	}
	for _, ns := range c.Namespaces {
		if msgs := validation.IsDNS1123Label(ns); len(msgs) > 0 {
			errs = append(errs, fmt.Errorf("--namespace %q: %s", ns, strings.Join(msgs, "; ")))
		}
	}
	if c.KubeAPIQPS <= 0 || c.KubeAPIBurst < 1 {
		errs = append(errs, fmt.Errorf("--kube-api-qps %g --kube-api-burst %d: want more than 0 and at least 1", c.KubeAPIQPS, c.KubeAPIBurst))
	}
	if c.MaxConcurrentReconciles < 1 {
		errs = append(errs, fmt.Errorf("--max-concurrent-reconciles %d: want at least 1", c.MaxConcurrentReconciles))
	}
	switch c.LogLevel {
	case "debug", "info", "error":
	default:
		errs = append(errs, fmt.Errorf("--log-level %q: want debug, info or error", c.LogLevel))
	}
	switch c.LogFormat {
	case "json", "text":
	default:
		errs = append(errs, fmt.Errorf("--log-format %q: want json or text", c.LogFormat))
	}
	return errors.Join(errs...)
}

// newLogger returns controller-runtime's zap logger at level, in format.
func newLogger(level, format string, w io.Writer) (logr.Logger, error) {
	opts := zap.Options{DestWriter: w}
	// The zap levels and encoders are reached through zap.Options' own
	// flags, which take exactly these names.
	fs := flag.NewFlagSet("zap", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	opts.BindFlags(fs)
	enc := map[string]string{"json": "json", "text": "console"}[format]
	if err := fs.Parse([]string{"--zap-log-level=" + level, "--zap-encoder=" + enc, "--zap-time-encoding=rfc3339nano",
		// Reconcile errors are reported in conditions and Events; their
		// stack traces would only bury the log.
		"--zap-stacktrace-level=panic"}); err != nil {
		return logr.Logger{}, err
	}
	return zap.New(zap.UseFlagOptions(&opts)), nil
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr, deps{})
	stop()
	os.Exit(code)
}

// deps are what tests replace.
type deps struct {
	// restConfig, when set, is the Kubernetes client configuration;
	// --kubeconfig and the usual loading are then skipped.
	restConfig *rest.Config
	// skipNameValidation allows several runs in one process.
	skipNameValidation bool
	// checkTTL, when set, replaces how long a check of the appliance is
	// reused.
	checkTTL time.Duration
}

// run runs the operator until ctx ends and returns the exit code. Errors
// are one line on stderr, prefixed with the program's name.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, d deps) int {
	fail := func(code int, err error) int {
		fmt.Fprintln(stderr, "jumpgate-operator: "+strings.ReplaceAll(err.Error(), "\n", "; "))
		return code
	}
	o, err := parseFlags(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return fail(exitUsage, err)
	}
	if o.version {
		fmt.Fprintln(stdout, "jumpgate-operator", api.Version)
		return exitOK
	}
	cfg := &o.Config
	if err := cfg.Validate(); err != nil {
		return fail(exitUsage, err)
	}
	log, err := newLogger(cfg.LogLevel, cfg.LogFormat, stderr)
	if err != nil {
		return fail(exitUsage, err)
	}
	ctrl.SetLogger(log)
	if err := start(ctx, cfg, log, d); err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			return fail(exitUsage, err)
		}
		return fail(exitFailure, err)
	}
	return exitOK
}

// usageError is a configuration error found after parsing (an unreadable
// token file, a bad CA).
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// start builds the manager and runs it until ctx ends.
func start(ctx context.Context, cfg *Config, log logr.Logger, d deps) error {
	am := appliance.NewMetrics()
	ac, _, err := appliance.New(cfg.Appliance, am)
	if err != nil {
		return usageError{err}
	}
	checker := &appliance.Checker{API: ac, Metrics: am, TTL: d.checkTTL}
	// A wrong token or one that is not an administrator's will not come
	// right by waiting: say so now. An appliance that does not answer yet
	// may: start, report not Ready, and retry.
	if err := checker.Check(ctx); appliance.Fatal(err) {
		return fmt.Errorf("%w (the operator needs an administrator's API token)", err)
	} else if err != nil {
		log.Error(err, "cannot use the appliance yet; the operator is not Ready until it can, and resources report ApplianceError meanwhile")
	}

	restCfg := d.restConfig
	if restCfg == nil {
		if cfg.Kubeconfig != "" {
			restCfg, err = clientcmd.BuildConfigFromFlags("", cfg.Kubeconfig)
		} else {
			restCfg, err = ctrl.GetConfig()
		}
		if err != nil {
			return fmt.Errorf("kubernetes client configuration (from --kubeconfig, else KUBECONFIG, the in-cluster configuration or ~/.kube/config): %w", err)
		}
	}
	restCfg = rest.CopyConfig(restCfg)
	restCfg.UserAgent = "jumpgate-operator/" + api.Version
	restCfg.QPS, restCfg.Burst = float32(cfg.KubeAPIQPS), cfg.KubeAPIBurst

	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, v1alpha1.AddToScheme} {
		if err := add(scheme); err != nil {
			return err
		}
	}
	var namespaces map[string]cache.Config
	if len(cfg.Namespaces) > 0 {
		namespaces = map[string]cache.Config{}
		for _, ns := range cfg.Namespaces {
			namespaces[ns] = cache.Config{}
		}
	}
	mgr, err := ctrl.NewManager(restCfg, ctrl.Options{
		Scheme:                        scheme,
		Logger:                        log,
		Cache:                         cache.Options{DefaultNamespaces: namespaces},
		Metrics:                       metricsserver.Options{BindAddress: cfg.MetricsAddr},
		HealthProbeBindAddress:        cfg.ProbeAddr,
		LeaderElection:                cfg.LeaderElect,
		LeaderElectionID:              LeaderElectionID,
		LeaderElectionNamespace:       cfg.LeaderElectionNamespace,
		LeaderElectionReleaseOnCancel: true,
	})
	if err != nil {
		return fmt.Errorf("manager: %w", err)
	}
	ccfg := &controller.Config{
		API:          ac,
		Cluster:      cfg.ClusterName,
		AgentImage:   cfg.AgentImage,
		ResyncPeriod: cfg.ResyncPeriod,
		BackoffMax:   cfg.BackoffMax,
	}
	if err := controller.SetupAll(mgr, ccfg, controller.Options{
		MaxConcurrentReconciles: cfg.MaxConcurrentReconciles,
		SkipNameValidation:      d.skipNameValidation,
	}); err != nil {
		return fmt.Errorf("controllers: %w", err)
	}
	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return err
	}
	if err := mgr.AddReadyzCheck("ping", healthz.Ping); err != nil {
		return err
	}
	if err := mgr.AddReadyzCheck("appliance", checker.Healthz); err != nil {
		return err
	}
	collectors := append(am.Collectors(), metrics.NewResources(mgr.GetCache(), scheme), metrics.BuildInfo(api.Version))
	for _, c := range collectors {
		if err := crmetrics.Registry.Register(c); err != nil {
			return fmt.Errorf("metrics: %w", err)
		}
	}
	defer func() {
		for _, c := range collectors {
			crmetrics.Registry.Unregister(c)
		}
	}()

	watched := "all"
	if len(cfg.Namespaces) > 0 {
		watched = strings.Join(cfg.Namespaces, ",")
	}
	log.Info("starting", "version", api.Version, "appliance", ac.BaseURL(), "cluster", cfg.ClusterName,
		"namespaces", watched, "leaderElection", cfg.LeaderElect, "metrics", cfg.MetricsAddr, "probes", cfg.ProbeAddr)
	if err := mgr.Start(ctx); err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}
