// Package server builds the appliance's HTTP handler: every route, the
// middleware (request IDs, logging, metrics, authentication, problem+json
// errors) and the first-start bootstrap of the admin user.
package server

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/appliance/internal/agenthub"
	"github.com/jumpgate/jumpgate/appliance/internal/apitoken"
	"github.com/jumpgate/jumpgate/appliance/internal/audit"
	"github.com/jumpgate/jumpgate/appliance/internal/auth"
	"github.com/jumpgate/jumpgate/appliance/internal/broker"
	"github.com/jumpgate/jumpgate/appliance/internal/console"
	"github.com/jumpgate/jumpgate/appliance/internal/db"
	"github.com/jumpgate/jumpgate/appliance/internal/dist"
	"github.com/jumpgate/jumpgate/appliance/internal/downloadurl"
	"github.com/jumpgate/jumpgate/appliance/internal/events"
	"github.com/jumpgate/jumpgate/appliance/internal/grouppolicy"
	"github.com/jumpgate/jumpgate/appliance/internal/installer"
	"github.com/jumpgate/jumpgate/appliance/internal/instance"
	"github.com/jumpgate/jumpgate/appliance/internal/jumpclient"
	"github.com/jumpgate/jumpgate/appliance/internal/jumpgroup"
	"github.com/jumpgate/jumpgate/appliance/internal/jumpitem"
	"github.com/jumpgate/jumpgate/appliance/internal/jumpoint"
	"github.com/jumpgate/jumpgate/appliance/internal/jumppolicy"
	"github.com/jumpgate/jumpgate/appliance/internal/login"
	"github.com/jumpgate/jumpgate/appliance/internal/portal"
	"github.com/jumpgate/jumpgate/appliance/internal/problem"
	"github.com/jumpgate/jumpgate/appliance/internal/route"
	"github.com/jumpgate/jumpgate/appliance/internal/sessionpolicy"
	"github.com/jumpgate/jumpgate/appliance/internal/settings"
	"github.com/jumpgate/jumpgate/appliance/internal/tunneljump"
	"github.com/jumpgate/jumpgate/appliance/internal/user"
)

// Deps are the server's collaborators.
type Deps struct {
	DB  *db.DB
	Log *slog.Logger
	// Registry receives the server's metrics; nil makes a private one.
	Registry *prometheus.Registry
	// Keys sign installer key info.
	Keys *installer.KeyConfig
	// Builds are the agent builds served as installers and upgrades; nil
	// serves none.
	Builds *dist.Builds
	// Hub tunes the agent hub (FlushInterval, SweepInterval,
	// MaxHandshakes, SettingsTTL, Now); its collaborators are filled in.
	Hub agenthub.Config
	// DataDir holds session recordings (DataDir/recordings).
	DataDir string
	// Sessions tunes the broker (Minute, Now, HTTPClient); its
	// collaborators are filled in.
	Sessions broker.Config
	// MetricsTokenHash is the auth.HashToken of the scrape token that GET
	// /metrics takes besides an administrator's API token; "" takes only
	// the latter.
	MetricsTokenHash string
	// BodyTimeout bounds reading a request body (see bodyDeadline); default
	// DefaultBodyTimeout.
	BodyTimeout time.Duration
	// HeartbeatInterval is how often this process renews its row in
	// appliance_instances (see package instance); default
	// instance.DefaultInterval.
	HeartbeatInterval time.Duration
	// LoginNow is the clock of browser sessions and TOTP codes; nil is
	// time.Now.
	LoginNow func() time.Time
}

// Server is the appliance's HTTP API.
type Server struct {
	// Handler serves every route.
	Handler http.Handler
	// Routes lists every route once; the OpenAPI document is generated from it.
	Routes []route.Route

	Users  *user.Service
	Tokens *apitoken.Service
	// Login signs users in to the console and authenticates their browser
	// sessions.
	Login *login.Service
	// Hub holds the agents' connections.
	Hub *agenthub.Hub
	// Clients is the jump-clients collection.
	Clients *jumpclient.Service
	// Broker runs sessions.
	Broker *broker.Broker
	// Events serves the live status stream.
	Events *events.Hub
	// Console holds the console settings of browser sign-in: Current reads
	// them, OnChange hears of changes.
	Console *settings.ConsoleService
	// Instance is this process's registration: the owner of the agents'
	// presence and the sessions it holds.
	Instance *instance.Registry
	// Metrics serves the Prometheus metrics without any authentication,
	// for the separate --metrics-listen address; the /metrics route of
	// Handler checks a token first.
	Metrics http.Handler
	keys    *installer.KeyConfig
	db      *db.DB
	log     *slog.Logger
}

var ginModeOnce sync.Once

const requestIDKey = "request_id"

// New builds the server. It registers no globals: metrics go to
// d.Registry and the logger is d.Log.
func New(d Deps) (*Server, error) {
	if d.DB == nil || d.Keys == nil {
		return nil, errors.New("server: DB and Keys are required")
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Registry == nil {
		d.Registry = prometheus.NewRegistry()
		d.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	ginModeOnce.Do(func() { gin.SetMode(gin.ReleaseMode) })

	if d.Keys.URLs == nil {
		urls, err := downloadurl.Open(d.DataDir)
		if err != nil {
			return nil, err
		}
		d.Keys.URLs = urls
	}
	s := &Server{db: d.DB, log: d.Log, keys: d.Keys}
	reg, err := instance.New(instance.Config{DB: d.DB, Log: d.Log, Interval: d.HeartbeatInterval, Exclusive: d.DB.Dialect == db.SQLite,
		Reap: func(ctx context.Context) error {
			return errors.Join(s.Hub.ReleaseOrphans(ctx), s.Broker.EndOrphans(ctx))
		},
		Lost: func() { s.Hub.Reclaim() }})
	if err != nil {
		return nil, err
	}
	s.Instance = reg
	authenticator := &apitoken.Authenticator{DB: d.DB}
	// Writes that can take access away also re-check the live sessions
	// (s.Broker is set below, before any request is served).
	s.Events = events.New(events.Config{DB: d.DB, Log: d.Log})
	accessChanged := func() { authenticator.Invalidate(); s.Broker.AccessChanged(); s.Events.AccessChanged() }
	s.Users = user.New(d.DB, accessChanged)
	s.Tokens = apitoken.New(d.DB, accessChanged)
	// s.Console and s.Broker are set below, before any request is served.
	// Ending browser sessions closes the session channels and the live
	// status streams opened with them.
	if s.Login, err = login.New(login.Config{DB: d.DB, Log: d.Log, Users: s.Users, PublicURL: d.Keys.PublicURL, SecretKey: d.Keys.Key.Seed(),
		Settings: login.SettingsFunc(func(ctx context.Context) (api.ConsoleSettings, error) { return s.Console.Current(ctx) }),
		Changed:  func() { s.Broker.AccessChanged(); s.Events.AccessChanged() }, Now: d.LoginNow}); err != nil {
		return nil, err
	}
	installers := installer.New(d.DB, d.Keys)
	auditH := &audit.Handler{DB: d.DB}
	s.Clients = jumpclient.New(d.DB)
	hc := d.Hub
	hc.DB, hc.Log, hc.SigningKey, hc.Clients, hc.Registry, hc.Instance = d.DB, d.Log, d.Keys.Key, s.Clients, d.Registry, reg.ID
	hc.Events = s.Events
	if d.Builds != nil {
		builds := d.Builds
		hc.Upgrade = func(platform string) *agentproto.Upgrade { return builds.Upgrade(platform, d.Keys.Key) }
		hc.OpenBuild = func(platform string) (io.ReadCloser, error) {
			f, _, err := builds.Open(platform)
			return f, err
		}
	}
	s.Hub = agenthub.New(hc)
	bc := d.Sessions
	bc.DB, bc.Log, bc.Hub, bc.DataDir, bc.PublicURL, bc.CAPin, bc.Instance = d.DB, d.Log, s.Hub, d.DataDir, d.Keys.PublicURL, d.Keys.CAPin, reg.ID
	bc.Events = s.Events
	s.Broker = broker.New(bc)
	s.Hub.SetSessions(s.Broker)
	s.Clients.Hub = &clientNotifier{Hub: s.Hub, broker: s.Broker}
	settingsSvc := &settings.Service{DB: d.DB, Changed: s.Hub.SettingsChanged}
	s.Console = settings.NewConsole(d.DB)
	s.Console.OnChange(func(api.ConsoleSettings) { s.Login.SettingsChanged() })
	jumpoints := jumpoint.New(d.DB, s.Hub.RetireNodes)
	tunnelJumps := tunneljump.New(d.DB)
	tunnelJumps.Spec.Changed = func() {
		go s.Hub.RefreshTunnels()
		go s.Broker.ItemsChanged()
		s.Broker.AccessChanged()
	}
	s.Clients.Spec.Changed = s.Broker.AccessChanged
	jumpGroups, jumpPolicies, groupPolicies := jumpgroup.New(d.DB), jumppolicy.New(d.DB), grouppolicy.New(d.DB)
	// Group policies and Jump Groups also change what the live status
	// stream shows a non-administrator.
	visibilityChanged := func() { s.Broker.AccessChanged(); s.Events.AccessChanged() }
	jumpGroups.Spec.Changed, jumpPolicies.Spec.Changed, groupPolicies.Spec.Changed = visibilityChanged, s.Broker.AccessChanged, visibilityChanged

	var routes []route.Route
	s.Metrics = promhttp.HandlerFor(d.Registry, promhttp.HandlerOpts{Registry: d.Registry})
	routes = append(routes, s.probeRoutes(authenticator, d.MetricsTokenHash)...)
	routes = append(routes, s.whoamiRoute())
	routes = append(routes, s.Login.Routes()...)
	routes = append(routes, resourceRoutes(jumpGroups)...)
	routes = append(routes, resourceRoutes(jumpPolicies)...)
	routes = append(routes, resourceRoutes(sessionpolicy.New(d.DB))...)
	routes = append(routes, resourceRoutes(jumpoints)...)
	routes = append(routes, (&jumpoint.Nodes{DB: d.DB, Retire: s.Hub.RetireNodes}).Routes()...)
	routes = append(routes, resourceRoutes(installers)...)
	routes = append(routes, installer.KeyInfoRoutes(installers, d.Keys)...)
	routes = append(routes, resourceRoutes(tunnelJumps)...)
	routes = append(routes, resourceRoutes(portal.New(d.DB))...)
	routes = append(routes, settingsSvc.Routes()...)
	routes = append(routes, s.Console.Routes()...)
	routes = append(routes, resourceRoutes(s.Users)...)
	routes = append(routes, resourceRoutes(groupPolicies)...)
	routes = append(routes, resourceRoutes(s.Tokens)...)
	routes = append(routes, auditH.Routes()...)
	routes = append(routes, s.Clients.Routes(s.Hub.WakeHandler())...)
	routes = append(routes, (&jumpitem.List{DB: d.DB}).Routes()...)
	routes = append(routes, s.Events.Routes()...)
	routes = append(routes, s.Hub.Routes()...)
	routes = append(routes, s.Broker.Routes()...)
	routes = append(routes, dist.Routes(dist.Deps{DB: d.DB, Log: d.Log, Builds: d.Builds, Keys: d.Keys, Installers: installers, Jumpoints: jumpoints})...)
	s.Routes = routes

	m := newMetrics(d.Registry)
	e := gin.New()
	e.ContextWithFallback = true
	e.HandleMethodNotAllowed = true
	if err := e.SetTrustedProxies(nil); err != nil {
		return nil, err
	}
	bodyTimeout := d.BodyTimeout
	if bodyTimeout <= 0 {
		bodyTimeout = DefaultBodyTimeout
	}
	e.Use(bodyDeadline(bodyTimeout), requestID(), s.recovery(), m.middleware(), accessLog(d.Log), errorMiddleware(d.Log))
	// A bearer token, or else a browser session's cookie.
	authn := s.Login.Middleware(auth.Middleware(authenticator))
	for _, r := range routes {
		handlers := []gin.HandlerFunc{}
		if r.Access == route.Authenticated {
			handlers = append(handlers, authn)
		}
		handlers = append(handlers, r.Handler)
		e.Handle(r.Method, r.Path, handlers...)
	}
	// The web console answers the GET and HEAD requests no route took,
	// outside /api/, /agent/, /portal/ and the probes (package console).
	consoleH, err := console.New()
	if err != nil {
		return nil, err
	}
	e.NoRoute(consoleH.NoRoute, route.Handle(func(c *gin.Context) error {
		return problem.NotFound("no route %s %s", c.Request.Method, c.Request.URL.Path)
	}))
	e.NoMethod(func(c *gin.Context) {
		writeProblem(c, &api.Problem{Type: api.ProblemTypeBase + "method-not-allowed", Title: "Method not allowed",
			Status: http.StatusMethodNotAllowed, Detail: c.Request.Method + " is not allowed on " + c.Request.URL.Path, Instance: c.Request.URL.Path})
	})
	s.Handler = e
	// Registered first, so that the hub and the broker clear only what
	// dead processes left, never this one's or another live one's.
	if err := reg.Register(context.Background()); err != nil {
		return nil, err
	}
	if err := s.Hub.Start(context.Background()); err != nil {
		_ = reg.Close(context.Background())
		return nil, err
	}
	if err := s.Broker.Start(context.Background()); err != nil {
		s.Hub.Close()
		_ = reg.Close(context.Background())
		return nil, err
	}
	reg.Start()
	return s, nil
}

// clientNotifier tells the hub about edits and deletions of Jump Clients,
// and the broker about deletions, which end the client's sessions.
type clientNotifier struct {
	*agenthub.Hub
	broker *broker.Broker
}

func (n *clientNotifier) Retire(kind string, id int64, uninstall bool, reason string) {
	n.Hub.Retire(kind, id, uninstall, reason)
	go n.broker.ItemsChanged()
}

// JumpointKeyInfo signs the key info a jumpoint installer downloaded now
// would carry (for tests and tools that enroll nodes directly).
func (s *Server) JumpointKeyInfo(jumpointID int64) (string, error) {
	return dist.JumpointKeyInfo(s.keys, jumpointID, time.Now().Add(dist.JumpointKeyValidity))
}

// Close ends every session, cuts every agent connection, writes queued
// agent state and then unregisters this process.
func (s *Server) Close() {
	s.Login.Close()
	s.Events.Close()
	s.Broker.Close()
	s.Hub.Close()
	if err := s.Instance.Close(context.Background()); err != nil {
		s.log.Warn("appliance instance not unregistered; the others count it dead once its lease runs out", "err", err)
	}
}

// resourceRoutes adapts a collection's routes; a generic function because
// resource.Routes is generic over the collection's types.
func resourceRoutes[S interface{ RoutesOf() []route.Route }](s S) []route.Route { return s.RoutesOf() }

func (s *Server) probeRoutes(authn auth.Authenticator, metricsTokenHash string) []route.Route {
	return []route.Route{
		{Method: http.MethodGet, Path: "/healthz", Access: route.Public, Tag: "probes", Summary: "Liveness: the process serves requests",
			Response: map[string]string{}, Handler: func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) }},
		{Method: http.MethodGet, Path: "/readyz", Access: route.Public, Tag: "probes", Summary: "Readiness: the database answers",
			Response: map[string]string{}, Handler: func(c *gin.Context) {
				ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
				defer cancel()
				if err := s.db.Ping(ctx); err != nil {
					s.log.Warn("readiness check failed", "err", err)
					c.JSON(http.StatusServiceUnavailable, gin.H{"status": "database unreachable", "instance": s.Instance.ID})
					return
				}
				c.JSON(http.StatusOK, gin.H{"status": "ready", "instance": s.Instance.ID})
			}},
		{Method: http.MethodGet, Path: "/metrics", Access: route.OwnToken, Tag: "probes", RawBody: "text/plain",
			Summary: "Prometheus metrics; the bearer token is the scrape token of <data-dir>/metrics-token or an administrator's API token",
			Errors:  []int{http.StatusForbidden}, Handler: metricsAuth(authn, metricsTokenHash, s.Metrics)},
		{Method: http.MethodGet, Path: "/api/v1/openapi.json", Access: route.Public, Tag: "meta", Summary: "This OpenAPI document", RawBody: "application/json",
			Handler: func(c *gin.Context) { c.Data(http.StatusOK, "application/json", api.OpenAPI) }},
	}
}

func (s *Server) whoamiRoute() route.Route {
	return route.Route{Method: http.MethodGet, Path: "/api/v1/whoami", Tag: "meta", Summary: "The caller's identity", Response: api.WhoAmI{},
		Handler: route.Handle(func(c *gin.Context) error {
			p, err := auth.MustFromContext(c.Request.Context())
			if err != nil {
				return err
			}
			c.JSON(http.StatusOK, api.WhoAmI{UserID: p.UserID, Username: p.Username, Admin: p.Admin, TokenID: p.TokenID, Version: api.Version})
			return nil
		})}
}

func requestID() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader("X-Request-ID")
		if id == "" || len(id) > 64 {
			b := make([]byte, 8)
			_, _ = rand.Read(b)
			id = hex.EncodeToString(b)
		}
		c.Set(requestIDKey, id)
		c.Header("X-Request-ID", id)
		c.Request = c.Request.WithContext(audit.WithRemoteAddr(c.Request.Context(), c.ClientIP()))
		c.Next()
	}
}

func (s *Server) recovery() gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				s.log.Error("panic in handler", "path", c.Request.URL.Path, "request_id", c.GetString(requestIDKey), "panic", fmt.Sprint(r))
				writeProblem(c, problemDoc(c, fmt.Errorf("panic: %v", r)))
			}
		}()
		c.Next()
	}
}

// accessLog logs server errors at error level and everything else at debug,
// so a busy appliance does not drown its log in successful requests.
func accessLog(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		status := c.Writer.Status()
		level := slog.LevelDebug
		switch {
		case status == http.StatusServiceUnavailable && c.Writer.Header().Get("Retry-After") != "":
			// Load shedding (the agent admission limit) is working as
			// designed: counted in metrics, not an error per request.
		case status >= 500:
			level = slog.LevelError
		}
		if !log.Enabled(c.Request.Context(), level) {
			return
		}
		log.Log(c.Request.Context(), level, "http request", "method", c.Request.Method, "path", c.Request.URL.Path,
			"status", status, "duration", time.Since(start), "request_id", c.GetString(requestIDKey), "remote", c.ClientIP())
	}
}

type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "jumpgate_http_requests_total", Help: "HTTP requests by method, route and status."}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "jumpgate_http_request_duration_seconds", Help: "HTTP request latency by method and route.", Buckets: prometheus.ExponentialBuckets(0.0001, 4, 10)}, []string{"method", "route"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

func (m *metrics) middleware() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		r := c.FullPath()
		if r == "" {
			r = "unmatched"
		}
		m.requests.WithLabelValues(c.Request.Method, r, strconv.Itoa(c.Writer.Status())).Inc()
		m.duration.WithLabelValues(c.Request.Method, r).Observe(time.Since(start).Seconds())
	}
}

// Bootstrap creates the "admin" user, with a random password and an API
// token, when the database has no users yet. It returns the token secret
// and the password, or "" for both when the appliance was already set up.
func (s *Server) Bootstrap(ctx context.Context) (token, password string, err error) {
	var n int64
	if err := s.db.W.WithContext(ctx).Model(&user.Record{}).Count(&n).Error; err != nil {
		return "", "", fmt.Errorf("bootstrap: count users: %w", err)
	}
	if n > 0 {
		return "", "", nil
	}
	if password, err = randomPassword(); err != nil {
		return "", "", err
	}
	ctx = auth.WithPrincipal(ctx, auth.System)
	u, err := s.Users.Create(ctx, &api.User{Username: "admin", DisplayName: "Administrator", Admin: true, Password: password})
	if err != nil {
		return "", "", fmt.Errorf("bootstrap: create admin user: %w", err)
	}
	tok, err := s.Tokens.Create(ctx, &api.APIToken{Name: "bootstrap admin token", UserID: u.ID})
	if err != nil {
		return "", "", fmt.Errorf("bootstrap: create admin token: %w", err)
	}
	return tok.Token, password, nil
}

// randomPassword returns 100 random bits as four groups of five lower-case
// base32 letters and digits ("k3v9q-...").
func randomPassword() (string, error) {
	b := make([]byte, 13)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	c := strings.ToLower(base32.StdEncoding.EncodeToString(b))[:20]
	return c[:5] + "-" + c[5:10] + "-" + c[10:15] + "-" + c[15:], nil
}
