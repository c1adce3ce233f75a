package api

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Collection paths under /api/v1.
const (
	PathJumpGroups           = "jump-groups"
	PathJumpPolicies         = "jump-policies"
	PathSessionPolicies      = "session-policies"
	PathJumpoints            = "jumpoints"
	PathJumpClientInstallers = "jump-client-installers"
	PathProtocolTunnelJumps  = "protocol-tunnel-jumps"
	PathPublicPortals        = "public-portals"
	PathUsers                = "users"
	PathGroupPolicies        = "group-policies"
	PathAPITokens            = "api-tokens"
	PathAuditEvents          = "audit-events"
	PathJumpClientSettings   = "settings/jump-clients"
	// PathJumpClients and PathSessions are the collections of installed
	// clients and of sessions; the appliance serves them once the agent and
	// broker land.
	PathJumpClients = "jump-clients"
	PathSessions    = "sessions"
)

// Environment variables read by NewFromEnv.
const (
	EnvURL    = "JUMPGATE_URL"
	EnvToken  = "JUMPGATE_TOKEN"
	EnvCACert = "JUMPGATE_CA_CERT"
)

// Client calls the appliance API. It is safe for concurrent use.
type Client struct {
	base      *url.URL
	token     string
	http      *http.Client
	userAgent string
}

// Option configures a Client.
type Option func(*clientOptions) error

type clientOptions struct {
	token      string
	caPEM      []byte
	httpClient *http.Client
	userAgent  string
	timeout    time.Duration
	// insecureHTTP allows an http:// URL on a loopback address.
	insecureHTTP bool
}

// WithToken sets the bearer token.
func WithToken(token string) Option {
	return func(o *clientOptions) error { o.token = token; return nil }
}

// WithCACertPEM trusts the given PEM CA certificates (in addition to none:
// the system pool is not used when a CA is given, so a pinned appliance CA
// cannot be bypassed by a public one).
func WithCACertPEM(pem []byte) Option {
	return func(o *clientOptions) error { o.caPEM = pem; return nil }
}

// WithCACertFile is WithCACertPEM with the PEM read from a file.
func WithCACertFile(path string) Option {
	return func(o *clientOptions) error {
		b, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("read ca certificate: %w", err)
		}
		o.caPEM = b
		return nil
	}
}

// WithHTTPClient uses hc for requests; CA options are then ignored.
func WithHTTPClient(hc *http.Client) Option {
	return func(o *clientOptions) error { o.httpClient = hc; return nil }
}

// WithInsecureHTTP allows an http:// appliance URL, whose requests carry the
// bearer token in clear text, for an appliance on a loopback address
// (127.0.0.0/8, ::1, localhost) only: a TLS-terminating proxy on this
// machine, say. Any other http:// URL is refused with or without it.
func WithInsecureHTTP() Option {
	return func(o *clientOptions) error { o.insecureHTTP = true; return nil }
}

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option {
	return func(o *clientOptions) error { o.userAgent = ua; return nil }
}

// WithTimeout bounds every request; the default is 60 seconds.
func WithTimeout(d time.Duration) Option {
	return func(o *clientOptions) error { o.timeout = d; return nil }
}

// New returns a client for the appliance at baseURL (e.g.
// "https://jumpgate.example.com:8443").
func New(baseURL string, opts ...Option) (*Client, error) {
	o := clientOptions{timeout: 60 * time.Second, userAgent: "jumpgate-api-go/" + Version}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	if baseURL == "" {
		return nil, errors.New("appliance url is empty")
	}
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil {
		return nil, fmt.Errorf("parse appliance url: %w", err)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, fmt.Errorf("appliance url %q: scheme must be https or http", baseURL)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("appliance url %q has no host", baseURL)
	}
	if u.Scheme == "http" {
		if !isLoopbackHost(u.Hostname()) {
			return nil, fmt.Errorf("appliance url %q: http:// would send the token in clear text; use https://", baseURL)
		}
		if !o.insecureHTTP {
			return nil, fmt.Errorf("appliance url %q: http:// would send the token in clear text; use https://, or allow plain HTTP to this loopback address explicitly (--insecure-http)", baseURL)
		}
	}
	hc := o.httpClient
	if hc == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 64
		if len(o.caPEM) > 0 {
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(o.caPEM) {
				return nil, errors.New("ca certificate: no PEM certificates found")
			}
			tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		}
		hc = &http.Client{Transport: tr, Timeout: o.timeout}
	}
	return &Client{base: u, token: o.token, http: hc, userAgent: o.userAgent}, nil
}

// isLoopbackHost reports whether host (without port) is a loopback address
// or localhost.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// NewFromEnv returns a client configured from JUMPGATE_URL, JUMPGATE_TOKEN and
// JUMPGATE_CA_CERT (a PEM file); later options override the environment.
func NewFromEnv(opts ...Option) (*Client, error) {
	var envOpts []Option
	if t := os.Getenv(EnvToken); t != "" {
		envOpts = append(envOpts, WithToken(t))
	}
	if ca := os.Getenv(EnvCACert); ca != "" {
		envOpts = append(envOpts, WithCACertFile(ca))
	}
	u := os.Getenv(EnvURL)
	if u == "" {
		return nil, fmt.Errorf("%s is not set", EnvURL)
	}
	return New(u, append(envOpts, opts...)...)
}

// BaseURL returns the appliance URL the client talks to.
func (c *Client) BaseURL() string { return c.base.String() }

// HTTPClient returns the underlying HTTP client (with the CA configuration).
func (c *Client) HTTPClient() *http.Client { return c.http }

// WriteOption modifies a write request.
type WriteOption func(http.Header)

// IfMatch makes the write fail with ErrPreconditionFailed unless the object
// is still at the given version.
func IfMatch(version int64) WriteOption {
	return func(h http.Header) { h.Set("If-Match", ETag(version)) }
}

// ETag renders a version as the appliance's ETag.
func ETag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

// ListOptions selects one page of a collection.
type ListOptions struct {
	// Limit is the page size, 1–500; 0 uses the server default (100).
	Limit int
	// Cursor is a NextCursor from the previous page.
	Cursor string
	// Filters are exact-match filters such as {"code_name": "ops"}; each
	// collection documents its own.
	Filters map[string]string
	// LabelSelector selects by label on the collections that have labels;
	// every term must match. A term is "key=value" (the label with exactly
	// this value; "key=" is the empty value) or "key" (the label with any
	// value). Each is sent as one ?label= parameter.
	LabelSelector []string
	// Search is ?q=: a case-insensitive substring searched in the names,
	// code names, host names and tags that each collection documents.
	Search string
	// Sort is ?sort=: one of the collection's sort keys, prefixed with
	// "-" for descending order; "" is the collection's default. A cursor
	// belongs to the sort it was returned with.
	Sort string
}

// Query encodes the options as URL query parameters.
func (o *ListOptions) Query() url.Values {
	q := url.Values{}
	if o == nil {
		return q
	}
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.Cursor != "" {
		q.Set("cursor", o.Cursor)
	}
	for k, v := range o.Filters {
		q.Set(k, v)
	}
	if o.Search != "" {
		q.Set("q", o.Search)
	}
	if o.Sort != "" {
		q.Set("sort", o.Sort)
	}
	for _, term := range o.LabelSelector {
		q.Add("label", term)
	}
	return q
}

// Do sends one request to path (relative to /api/v1, e.g. "jump-groups/3")
// with in as the JSON body, and decodes a 2xx JSON answer into out. A non-2xx
// answer is returned as *Problem. It is the primitive behind every typed
// method, exported for tools that handle collections generically.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, in, out any, opts ...WriteOption) (http.Header, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	u := *c.base
	u.Path = strings.TrimRight(u.Path, "/") + "/api/v1/" + strings.TrimLeft(path, "/")
	u.RawQuery = query.Encode()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for _, o := range opts {
		o(req.Header)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, u.Path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.Header, decodeProblem(resp)
	}
	if out != nil && resp.StatusCode != http.StatusNoContent {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			return resp.Header, fmt.Errorf("decode %s %s response: %w", method, u.Path, err)
		}
	} else {
		_, _ = io.Copy(io.Discard, resp.Body)
	}
	return resp.Header, nil
}

func decodeProblem(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	p := &Problem{}
	if err := json.Unmarshal(b, p); err != nil || p.Status == 0 {
		p = &Problem{Status: resp.StatusCode, Title: http.StatusText(resp.StatusCode)}
		if s := strings.TrimSpace(string(b)); s != "" && len(s) < 512 {
			p.Detail = s
		}
	}
	return p
}

func itemPath(collection string, id int64) string {
	return collection + "/" + strconv.FormatInt(id, 10)
}

func create[T any](ctx context.Context, c *Client, collection string, in *T) (*T, error) {
	out := new(T)
	if _, err := c.Do(ctx, http.MethodPost, collection, nil, in, out); err != nil {
		return nil, err
	}
	return out, nil
}

func get[T any](ctx context.Context, c *Client, collection string, id int64) (*T, error) {
	out := new(T)
	if _, err := c.Do(ctx, http.MethodGet, itemPath(collection, id), nil, nil, out); err != nil {
		return nil, err
	}
	return out, nil
}

func update[T any](ctx context.Context, c *Client, collection string, id int64, in *T, opts []WriteOption) (*T, error) {
	out := new(T)
	if _, err := c.Do(ctx, http.MethodPut, itemPath(collection, id), nil, in, out, opts...); err != nil {
		return nil, err
	}
	return out, nil
}

func patch[T any](ctx context.Context, c *Client, collection string, id int64, mergePatch map[string]any, opts []WriteOption) (*T, error) {
	out := new(T)
	if _, err := c.Do(ctx, http.MethodPatch, itemPath(collection, id), nil, mergePatch, out, opts...); err != nil {
		return nil, err
	}
	return out, nil
}

func remove(ctx context.Context, c *Client, collection string, id int64, opts []WriteOption) error {
	_, err := c.Do(ctx, http.MethodDelete, itemPath(collection, id), nil, nil, nil, opts...)
	return err
}

func list[T any](ctx context.Context, c *Client, collection string, opts *ListOptions) (*List[T], error) {
	out := new(List[T])
	if _, err := c.Do(ctx, http.MethodGet, collection, opts.Query(), nil, out); err != nil {
		return nil, err
	}
	return out, nil
}

// ListAll follows next_cursor until the end and returns every item. page is
// one of the client's List methods.
func ListAll[T any](ctx context.Context, page func(context.Context, *ListOptions) (*List[T], error), opts *ListOptions) ([]T, error) {
	var o ListOptions
	if opts != nil {
		o = *opts
	}
	var all []T
	for {
		l, err := page(ctx, &o)
		if err != nil {
			return nil, err
		}
		all = append(all, l.Items...)
		if l.NextCursor == "" {
			return all, nil
		}
		o.Cursor = l.NextCursor
	}
}

// WhoAmI returns the caller's identity.
func (c *Client) WhoAmI(ctx context.Context) (*WhoAmI, error) {
	out := &WhoAmI{}
	if _, err := c.Do(ctx, http.MethodGet, "whoami", nil, nil, out); err != nil {
		return nil, err
	}
	return out, nil
}
