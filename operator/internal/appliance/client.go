// Package appliance connects the operator to the Jumpgate appliance: it builds
// the api.Client every controller shares, with a token that is read again
// when its file changes (a mounted Secret is updated in place), Prometheus
// metrics of every request, and a cached check of the connection for the
// readiness probe.
package appliance

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jumpgate/jumpgate/api"
)

// Config is how to reach the appliance.
type Config struct {
	// URL is the appliance's base URL, e.g. https://jumpgate.example.com:8443.
	URL string
	// Token is the API token. TokenFile, when set, is used instead: the
	// token is read from it and read again whenever the file changes.
	Token     string
	TokenFile string
	// CACertPEM, when set, is the only CA the client trusts for the
	// appliance's certificate (the system pool is not used); else the
	// system pool is.
	CACertPEM []byte
	// Timeout bounds every request; default 30 s.
	Timeout time.Duration
	// UserAgent of the requests; default jumpgate-operator/<version>.
	UserAgent string
}

// New returns a client for the appliance described by cfg, and the source of
// its token. It reads the token file once, so that a missing or empty file
// is reported now.
func New(cfg Config, m *Metrics) (*api.Client, TokenSource, error) {
	var ts TokenSource
	switch {
	case cfg.TokenFile != "":
		ft := NewFileToken(cfg.TokenFile)
		if m != nil {
			ft.OnReload = m.TokenReloads.Inc
		}
		if _, err := ft.Token(); err != nil {
			return nil, nil, err
		}
		ts = ft
	case cfg.Token != "":
		ts = StaticToken(cfg.Token)
	default:
		return nil, nil, errors.New("no API token: set JUMPGATE_TOKEN or --token-file")
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	if len(cfg.CACertPEM) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(cfg.CACertPEM) {
			return nil, nil, errors.New("CA certificate: no PEM certificate found")
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ua := cfg.UserAgent
	if ua == "" {
		ua = "jumpgate-operator/" + api.Version
	}
	hc := &http.Client{Transport: &transport{base: tr, token: ts, metrics: m}, Timeout: timeout}
	c, err := api.New(cfg.URL, api.WithHTTPClient(hc), api.WithUserAgent(ua))
	if err != nil {
		return nil, nil, err
	}
	return c, ts, nil
}

// transport adds the current token to every request and counts it.
type transport struct {
	base    http.RoundTripper
	token   TokenSource
	metrics *Metrics
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	tok, err := t.token.Token()
	if err != nil {
		t.metrics.observe(req, "error", 0)
		return nil, err
	}
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", "Bearer "+tok)
	start := time.Now()
	resp, err := t.base.RoundTrip(req)
	code := "error"
	if err == nil {
		code = strconv.Itoa(resp.StatusCode)
	}
	t.metrics.observe(req, code, time.Since(start))
	return resp, err
}

// collection is the collection a request path is about: the first segment
// after /api/v1/ ("jump-groups", "settings", "whoami"), so that metric labels
// stay few.
func collection(path string) string {
	_, rest, ok := strings.Cut(path, "/api/v1/")
	if !ok {
		return "other"
	}
	seg, _, _ := strings.Cut(rest, "/")
	if seg == "" {
		return "other"
	}
	return seg
}
