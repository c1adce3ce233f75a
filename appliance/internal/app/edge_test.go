package app_test

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	proxyproto "github.com/pires/go-proxyproto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
)

func hostPort(s *appliancetest.Server) string { return strings.TrimPrefix(s.URL, "https://") }

func roots(t *testing.T, s *appliancetest.Server) *x509.CertPool {
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(s.CAPEM))
	return pool
}

// TestTLS_OffersOnlyAEADSuites: a client that offers only CBC suites
// (with SHA-1 or SHA-256 MACs) cannot complete a handshake; one that
// offers an AEAD suite can, on TLS 1.2 and 1.3.
func TestTLS_OffersOnlyAEADSuites(t *testing.T) {
	s := appliancetest.NewServer(t)
	tests := []struct {
		name   string
		suites []uint16
		max    uint16
		ok     bool
	}{
		{"CBC-SHA1 only", []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA}, tls.VersionTLS12, false},
		{"CBC-SHA256 only", []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256}, tls.VersionTLS12, false},
		{"AES-GCM", []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}, tls.VersionTLS12, true},
		{"ChaCha20-Poly1305", []uint16{tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256}, tls.VersionTLS12, true},
		{"TLS 1.3", nil, tls.VersionTLS13, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tls.Dial("tcp", hostPort(s), &tls.Config{RootCAs: roots(t, s), CipherSuites: tt.suites, MinVersion: tls.VersionTLS12, MaxVersion: tt.max})
			if !tt.ok {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "handshake failure")
				return
			}
			require.NoError(t, err)
			c.Close()
		})
	}
	// And a client that is not Go's.
	if _, err := exec.LookPath("openssl"); err == nil {
		for _, tt := range []struct {
			cipher string
			ok     bool
		}{{"ECDHE-ECDSA-AES128-SHA", false}, {"ECDHE-ECDSA-AES256-SHA384", false}, {"ECDHE-ECDSA-AES128-GCM-SHA256", true}} {
			cmd := exec.Command("openssl", "s_client", "-connect", hostPort(s), "-tls1_2", "-cipher", tt.cipher)
			cmd.Stdin = strings.NewReader("")
			out, err := cmd.CombinedOutput()
			assert.Equal(t, tt.ok, err == nil, "openssl s_client -cipher %s: %s", tt.cipher, out)
		}
	}
}

// proxied returns an HTTP client whose connections come from src and,
// when header is not nil, start with it (a PROXY protocol header).
func proxied(t *testing.T, s *appliancetest.Server, src string, header func(conn net.Conn) error) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DisableKeepAlives: true,
		TLSClientConfig:   &tls.Config{RootCAs: roots(t, s), MinVersion: tls.VersionTLS12},
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := d.DialContext(ctx, network, addr)
			if err != nil || header == nil {
				return c, err
			}
			if err := header(c); err != nil {
				c.Close()
				return nil, err
			}
			return c, nil
		},
	}}
}

func v2From(client string) func(net.Conn) error {
	return func(c net.Conn) error {
		h := proxyproto.HeaderProxyFromAddrs(2, &net.TCPAddr{IP: net.ParseIP(client), Port: 40000}, c.RemoteAddr())
		_, err := h.WriteTo(c)
		return err
	}
}

// TestProxyProtocol: with --trusted-proxies 127.0.0.2, a connection from
// 127.0.0.2 must carry a PROXY v2 header, and its client address is what
// the audit and an agent's public_ip record; a header from an untrusted
// address is not honoured (nor is a v1 header from the balancer).
func TestProxyProtocol(t *testing.T) {
	s := appliancetest.NewServer(t, appliancetest.WithTrustedProxies("127.0.0.2"))
	ctx := context.Background()
	createGroup := func(hc *http.Client, code string) error {
		c, err := api.New(s.URL, api.WithToken(s.AdminToken), api.WithHTTPClient(hc))
		require.NoError(t, err)
		_, err = c.CreateJumpGroup(ctx, &api.JumpGroup{Name: code, CodeName: code})
		return err
	}
	auditedFrom := func(code string) string {
		l, err := s.Admin.ListAuditEvents(ctx, &api.ListOptions{Filters: map[string]string{"object_type": "jump_group"}, Limit: 500})
		require.NoError(t, err)
		for _, ev := range l.Items {
			if ev.ObjectName == code {
				return ev.RemoteAddr
			}
		}
		t.Fatalf("no audit event for %s", code)
		return ""
	}

	t.Run("trusted balancer with a v2 header: the client's address", func(t *testing.T) {
		require.NoError(t, createGroup(proxied(t, s, "127.0.0.2", v2From("203.0.113.7")), "via-lb"))
		assert.Equal(t, "203.0.113.7", auditedFrom("via-lb"))
	})
	t.Run("trusted balancer without a header: refused", func(t *testing.T) {
		assert.Error(t, createGroup(proxied(t, s, "127.0.0.2", nil), "no-header"))
	})
	t.Run("trusted balancer with a v1 header: refused", func(t *testing.T) {
		v1 := func(c net.Conn) error {
			_, err := c.Write([]byte("PROXY TCP4 203.0.113.8 127.0.0.1 40000 443\r\n"))
			return err
		}
		assert.Error(t, createGroup(proxied(t, s, "127.0.0.2", v1), "v1-header"))
	})
	t.Run("untrusted address with a header: not honoured", func(t *testing.T) {
		assert.Error(t, createGroup(proxied(t, s, "127.0.0.3", v2From("203.0.113.9")), "spoofed"))
	})
	t.Run("untrusted address without a header: its own address", func(t *testing.T) {
		require.NoError(t, createGroup(proxied(t, s, "127.0.0.3", nil), "direct"))
		assert.Equal(t, "127.0.0.3", auditedFrom("direct"))
	})
	t.Run("an agent's public_ip", func(t *testing.T) {
		g, err := s.Admin.CreateJumpGroup(ctx, &api.JumpGroup{Name: "Servers", CodeName: "servers"})
		require.NoError(t, err)
		in, err := s.Admin.CreateJumpClientInstaller(ctx, &api.JumpClientInstaller{JumpGroupID: g.ID})
		require.NoError(t, err)
		e, key, err := s.Enroll(t, in.KeyInfo, agentproto.Facts{HostID: "h", Hostname: "h"}, agentproto.Overrides{})
		require.NoError(t, err)
		hctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		ws, _, err := websocket.Dial(hctx, strings.Replace(s.URL, "https", "wss", 1)+agentproto.PathConnect, &websocket.DialOptions{
			HTTPClient: proxied(t, s, "127.0.0.2", v2From("198.51.100.9")), Subprotocols: []string{agentproto.Subprotocol}})
		require.NoError(t, err)
		defer ws.CloseNow()
		var hello agentproto.Hello
		require.NoError(t, wsjson.Read(hctx, ws, &hello))
		require.NoError(t, wsjson.Write(hctx, ws, agentproto.Auth{Kind: agentproto.KindJumpClient, ID: e.ID, Intent: agentproto.IntentRun, Version: "test",
			Signature: ed25519.Sign(key, agentproto.AuthMessage(hello.Nonce, agentproto.KindJumpClient, e.ID, agentproto.IntentRun))}))
		var reply agentproto.HandshakeReply
		require.NoError(t, wsjson.Read(hctx, ws, &reply))
		require.NotNil(t, reply.Welcome)
		deadline := time.Now().Add(10 * time.Second)
		for {
			s.App.Server.Hub.Flush(ctx)
			c, err := s.Admin.GetJumpClient(ctx, e.ID)
			require.NoError(t, err)
			if c.PublicIP == "198.51.100.9" {
				break
			}
			require.True(t, time.Now().Before(deadline), "public_ip is %q", c.PublicIP)
			time.Sleep(50 * time.Millisecond)
		}
	})
}

// TestSlowBody: a request whose body trickles in (a byte every half
// second, as issue 13's 1,000 connections did every 2 s) is cut at the
// body deadline instead of holding its connection for ever.
func TestSlowBody(t *testing.T) {
	s := appliancetest.NewServer(t, appliancetest.WithBodyTimeout(time.Second))
	c, err := tls.Dial("tcp", hostPort(s), &tls.Config{RootCAs: roots(t, s), NextProtos: []string{"http/1.1"}})
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write([]byte("POST /api/v1/jump-groups HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + s.AdminToken +
		"\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"))
	require.NoError(t, err)
	ended := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(c).ReadString('\n')
		ended <- line
	}()
	start := time.Now()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case line := <-ended:
			t.Logf("after %s: %q", time.Since(start).Round(time.Millisecond), line)
			assert.Less(t, time.Since(start), 5*time.Second)
			return
		case <-tick.C:
			require.Less(t, time.Since(start), 8*time.Second, "the trickling body was never cut")
			if _, err := c.Write([]byte(" ")); err != nil && !errors.Is(err, net.ErrClosed) {
				// The appliance closed the connection: that is the cut.
				assert.Less(t, time.Since(start), 5*time.Second)
				return
			}
		}
	}
}

// TestSlowBody_HonestUploadPasses: a body that keeps arriving faster than
// the minimum rate may take longer than the body timeout.
func TestSlowBody_HonestUploadPasses(t *testing.T) {
	s := appliancetest.NewServer(t, appliancetest.WithBodyTimeout(time.Second))
	c, err := tls.Dial("tcp", hostPort(s), &tls.Config{RootCAs: roots(t, s), NextProtos: []string{"http/1.1"}})
	require.NoError(t, err)
	defer c.Close()
	body := `{"name":"Big","code_name":"big"` + strings.Repeat(" ", 48<<10) + `}`
	_, err = c.Write([]byte("POST /api/v1/jump-groups HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + s.AdminToken +
		"\r\nContent-Type: application/json\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n"))
	require.NoError(t, err)
	start := time.Now()
	for len(body) > 0 {
		n := min(6<<10, len(body))
		_, err := c.Write([]byte(body[:n]))
		require.NoError(t, err)
		body = body[n:]
		time.Sleep(250 * time.Millisecond) // 24 KiB/s, for about 2 s
	}
	require.Greater(t, time.Since(start), time.Second, "the upload outlasted the body timeout")
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "HTTP/1.1 201 Created\r\n", line)
}

// TestMetrics_NonAdminTokenForbidden: an API token of a user who is not an
// administrator does not read /metrics.
func TestMetrics_NonAdminTokenForbidden(t *testing.T) {
	s := appliancetest.NewServer(t)
	hc := s.HTTPClient(t)
	for _, tt := range []struct {
		name, token string
		want        int
	}{
		{"none", "", http.StatusUnauthorized},
		{"scrape token", s.MetricsToken, http.StatusOK},
		{"admin", s.AdminToken, http.StatusOK},
		{"not an admin", userToken(t, s), http.StatusForbidden},
	} {
		req, _ := http.NewRequest(http.MethodGet, s.URL+"/metrics", nil)
		if tt.token != "" {
			req.Header.Set("Authorization", "Bearer "+tt.token)
		}
		resp, err := hc.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, tt.want, resp.StatusCode, tt.name)
	}
}

func userToken(t *testing.T, s *appliancetest.Server) string {
	ctx := context.Background()
	u, err := s.Admin.CreateUser(ctx, &api.User{Username: "viewer"})
	require.NoError(t, err)
	tok, err := s.Admin.CreateAPIToken(ctx, &api.APIToken{Name: "t", UserID: u.ID})
	require.NoError(t, err)
	return tok.Token
}
