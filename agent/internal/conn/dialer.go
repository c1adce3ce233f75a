// Package conn is the agent's side of its connection to the appliance: an
// HTTPS client pinned to the appliance's CA (through an optional proxy), and
// the authenticated WebSocket + yamux session of agentproto.
//
// The flow of one connection, as agentproto defines it:
//
//	Connect: WebSocket GET /agent/v1/connect (subprotocol jumpgate-agent.v1)
//	         ← 503 Retry-After: the admission limiter; a RefusedError with code busy
//	         ← Hello{nonce}
//	         → Auth{kind, id, intent, signature over AuthMessage(nonce, …)}
//	         ← HandshakeReply{Welcome | Refused}; Refused is a RefusedError
//	Welcome: the WebSocket becomes a yamux client session; the agent opens the
//	         control stream ({"type":"control"} line) and both sides exchange
//	         newline-delimited Control messages on it. Intent uninstall ends
//	         at Welcome: the appliance has recorded it and closes.
//
// A Session costs yamux's three goroutines (receive, send, keepalive) and
// its buffers; reading the control stream takes one goroutine more, and only
// when the caller starts one. The benchmark holds tens of thousands of these
// sessions, so keep it that way.
package conn

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/jumpgate/jumpgate/api/agentproto"
)

// ErrUnreachable matches (errors.Is) every failure to get an HTTP answer
// from the appliance at all: name resolution, refused or timed-out TCP, a
// proxy that fails, a TLS handshake that fails (including a wrong CA pin).
var ErrUnreachable = errors.New("cannot reach the appliance")

// Timeouts of the HTTP client. They bound each phase, not a whole request,
// because the same client carries the long-lived WebSocket.
const (
	dialTimeout           = 10 * time.Second
	tlsHandshakeTimeout   = 10 * time.Second
	responseHeaderTimeout = 30 * time.Second
)

// Dialer reaches one appliance. Set its fields before first use and do not
// change them afterwards: the HTTP client is built once and reused.
type Dialer struct {
	// URL is the appliance's base URL from the key info, e.g.
	// "https://jumpgate.example.com:8443".
	URL string
	// CAPin pins the appliance's CA ("sha256:<hex>"); the system roots play
	// no part.
	CAPin string
	// Proxy is "" (honour HTTPS_PROXY/NO_PROXY from the environment),
	// "direct" (no proxy), or an http://, https:// or socks5:// URL with
	// optional user:password@.
	Proxy string
	// UserAgent is sent with every request; empty sends Go's default.
	UserAgent string
	// LocalAddr is the IP address outgoing connections are made from;
	// empty lets the system choose. A value that is not an IP address fails
	// every connection. The agent simulator spreads its connections over
	// several loopback addresses with it, so that no one address runs out of
	// ephemeral ports.
	LocalAddr string
	// Log receives connection diagnostics; nil discards them.
	Log *slog.Logger
	// TLSConfig, when set, replaces the pinning to CAPin: the customer
	// client trusts the system roots or a CA it was given. Its ServerName
	// defaults to the host of URL.
	TLSConfig *tls.Config

	once   sync.Once
	client *http.Client
}

// HTTPClient returns the client every request to the appliance goes
// through: TLS pinned to CAPin (or TLSConfig) for the host of URL, the configured proxy,
// and bounded dial, TLS and response-header phases. It never uses HTTP/2,
// so that WebSocket upgrades work. The same client is returned on every
// call.
func (d *Dialer) HTTPClient() *http.Client {
	d.once.Do(func() {
		serverName := ""
		if u, err := url.Parse(d.URL); err == nil {
			serverName = u.Hostname()
		}
		nd := &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}
		dial := nd.DialContext
		if d.LocalAddr != "" {
			if ip := net.ParseIP(d.LocalAddr); ip != nil {
				nd.LocalAddr = &net.TCPAddr{IP: ip}
			} else {
				err := fmt.Errorf("local address %q is not an IP address", d.LocalAddr)
				dial = func(context.Context, string, string) (net.Conn, error) { return nil, err }
			}
		}
		tlsConfig := agentproto.PinnedTLSConfig(d.CAPin, serverName)
		if d.TLSConfig != nil {
			tlsConfig = d.TLSConfig.Clone()
			if tlsConfig.ServerName == "" {
				tlsConfig.ServerName = serverName
			}
		}
		tr := &http.Transport{
			Proxy:                 proxyFunc(d.Proxy),
			DialContext:           dial,
			TLSClientConfig:       tlsConfig,
			TLSHandshakeTimeout:   tlsHandshakeTimeout,
			ResponseHeaderTimeout: responseHeaderTimeout,
			ExpectContinueTimeout: time.Second,
			// An agent talks to one host; a single idle connection is all
			// enrollment needs, and it must not linger per agent.
			MaxIdleConns:        1,
			MaxIdleConnsPerHost: 1,
			IdleConnTimeout:     30 * time.Second,
			ForceAttemptHTTP2:   false,
		}
		d.client = &http.Client{Transport: tr}
	})
	return d.client
}

// proxyFunc turns the Proxy setting into an http.Transport.Proxy. A setting
// that does not parse fails every request with a clear error rather than
// silently going direct.
func proxyFunc(p string) func(*http.Request) (*url.URL, error) {
	switch strings.TrimSpace(p) {
	case "":
		return http.ProxyFromEnvironment
	case "direct":
		return nil
	}
	u, err := ParseProxy(p)
	if err != nil {
		return func(*http.Request) (*url.URL, error) { return nil, err }
	}
	return http.ProxyURL(u)
}

// ParseProxy validates a proxy URL of the Proxy setting: scheme http,
// https, socks5 or socks5h, a host, optional user:password@ and nothing
// else.
func ParseProxy(p string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(p))
	if err != nil {
		return nil, fmt.Errorf("proxy %q is not a URL: %w", redactProxy(p), err)
	}
	switch u.Scheme {
	case "http", "https", "socks5", "socks5h":
	default:
		return nil, fmt.Errorf("proxy %q: scheme must be http, https or socks5", redactProxy(p))
	}
	if u.Host == "" {
		return nil, fmt.Errorf("proxy %q names no host", redactProxy(p))
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("proxy %q: want scheme://[user:password@]host:port only", redactProxy(p))
	}
	return u, nil
}

// redactProxy hides a proxy password in messages.
func redactProxy(p string) string {
	if u, err := url.Parse(p); err == nil && u.User != nil {
		return u.Redacted()
	}
	if i := strings.LastIndex(p, "@"); i >= 0 {
		return "…@" + p[i+1:]
	}
	return p
}

// unreachable wraps a transport failure so that it matches ErrUnreachable
// and still names the cause.
func (d *Dialer) unreachable(err error) error {
	if errors.Is(err, context.Canceled) {
		return err
	}
	return fmt.Errorf("%w at %s: %w", ErrUnreachable, d.URL, err)
}

func (d *Dialer) log() *slog.Logger {
	if d.Log != nil {
		return d.Log
	}
	return slog.New(slog.DiscardHandler)
}
