package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/appliance/internal/app"
)

func TestParseFlags_EnvTwins(t *testing.T) {
	env := map[string]string{
		"JUMPGATE_LISTEN":     "127.0.0.1:9443",
		"JUMPGATE_DATA_DIR":   "/from/env",
		"JUMPGATE_PUBLIC_URL": "https://jg.example:9443",
		"JUMPGATE_LOG_LEVEL":  "debug",
		// issue 13
		"JUMPGATE_TRUSTED_PROXIES": "10.0.0.0/8,192.0.2.7",
		"JUMPGATE_METRICS_LISTEN":  "127.0.0.1:9090",
	}
	o, err := parseFlags([]string{"--data-dir", "/from/flag"}, func(k string) string { return env[k] }, &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:9443", o.cfg.Listen, "env twin applies when the flag is absent")
	assert.Equal(t, "/from/flag", o.cfg.DataDir, "the flag wins over its env twin")
	assert.Equal(t, "https://jg.example:9443", o.cfg.PublicURL)
	assert.Equal(t, "debug", o.logLevel)
	assert.Equal(t, "10.0.0.0/8,192.0.2.7", o.cfg.TrustedProxies)
	assert.Equal(t, "127.0.0.1:9090", o.cfg.MetricsListen)
}

func TestParseFlags_Refusals(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"unknown flag", []string{"--nope"}, nil, "flag provided but not defined"},
		{"stray argument", []string{"serve"}, nil, "unexpected arguments"},
		{"bad env duration", nil, map[string]string{"JUMPGATE_SHUTDOWN_TIMEOUT": "soon"}, "JUMPGATE_SHUTDOWN_TIMEOUT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseFlags(tt.args, func(k string) string { return tt.env[k] }, &bytes.Buffer{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestRun_RefusesBadConfig(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"http public url", []string{"--public-url", "http://x"}, "--public-url"},
		{"bad database", []string{"--database", "mysql://x"}, "--database"},
		{"cert without key", []string{"--tls-cert", "a.pem"}, "--tls-cert and --tls-key"},
		{"bad log level", []string{"--log-level", "loud"}, "--log-level"},
		{"bad listen", []string{"--listen", "nope"}, "--listen"},
		{"bad trusted proxy", []string{"--trusted-proxies", "10.0.0.0/8,lb.example"}, `--trusted-proxies: "lb.example" is not a CIDR prefix`},
		{"bad metrics listen", []string{"--metrics-listen", "9090"}, "--metrics-listen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"--data-dir", t.TempDir()}, tt.args...)
			err := run(context.Background(), args, func(string) string { return "" }, &bytes.Buffer{}, &bytes.Buffer{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// syncBuffer is a bytes.Buffer safe for the server goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestRun_ServesAndShutsDown starts the real binary's run loop, checks the
// bootstrap output, the token file mode and the probes, then cancels the
// context (as SIGTERM does) and expects a clean exit; a second start on the
// same data dir must not print a new token.
func TestRun_ServesAndShutsDown(t *testing.T) {
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	mln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	metricsAddr := mln.Addr().String()
	require.NoError(t, mln.Close())
	args := []string{"--listen", addr, "--data-dir", dir, "--public-url", "https://" + addr, "--metrics-listen", metricsAddr}

	start := func() (*syncBuffer, context.CancelFunc, chan error) {
		out := &syncBuffer{}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- run(ctx, args, func(string) string { return "" }, out, &syncBuffer{}) }()
		return out, cancel, done
	}
	client := func() *http.Client {
		pem, err := os.ReadFile(filepath.Join(dir, "ca.pem"))
		require.NoError(t, err)
		pool := x509.NewCertPool()
		require.True(t, pool.AppendCertsFromPEM(pem))
		return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	}
	waitReady := func(done chan error) {
		deadline := time.Now().Add(20 * time.Second)
		for {
			select {
			case err := <-done:
				t.Fatalf("appliance exited early: %v", err)
			default:
			}
			if _, err := os.Stat(filepath.Join(dir, "ca.pem")); err == nil {
				if resp, err := client().Get("https://" + addr + "/readyz"); err == nil {
					resp.Body.Close()
					if resp.StatusCode == http.StatusOK {
						return
					}
				}
			}
			require.True(t, time.Now().Before(deadline), "appliance did not become ready")
			time.Sleep(50 * time.Millisecond)
		}
	}

	out, cancel, done := start()
	waitReady(done)
	tok, err := os.ReadFile(filepath.Join(dir, "admin-token"))
	require.NoError(t, err)
	st, err := os.Stat(filepath.Join(dir, "admin-token"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "admin token must be private")
	assert.Contains(t, out.String(), strings.TrimSpace(string(tok)), "the token is printed at first start")

	req, _ := http.NewRequest(http.MethodGet, "https://"+addr+"/api/v1/jump-groups", nil)
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
	resp, err := client().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	// /metrics takes the scrape token (or an administrator's API token) on
	// the main port, and nothing on --metrics-listen.
	mtok, err := os.ReadFile(filepath.Join(dir, "metrics-token"))
	require.NoError(t, err)
	for _, f := range []string{"metrics-token", "metrics-token.sha256"} {
		st, err := os.Stat(filepath.Join(dir, f))
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "%s must be private", f)
	}
	for _, tt := range []struct {
		name, token string
		want        int
	}{
		{"no token", "", http.StatusUnauthorized},
		{"a wrong token", "jgt_wrong", http.StatusUnauthorized},
		{"the scrape token", strings.TrimSpace(string(mtok)), http.StatusOK},
		{"the admin token", strings.TrimSpace(string(tok)), http.StatusOK},
	} {
		req, _ := http.NewRequest(http.MethodGet, "https://"+addr+"/metrics", nil)
		if tt.token != "" {
			req.Header.Set("Authorization", "Bearer "+tt.token)
		}
		resp, err = client().Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, tt.want, resp.StatusCode, tt.name)
	}
	resp, err = http.Get("http://" + metricsAddr + "/metrics")
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "--metrics-listen needs no token")
	assert.Contains(t, string(b), "jumpgate_http_requests_total")
	resp, err = http.Get("http://" + metricsAddr + "/api/v1/jump-groups")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode, "--metrics-listen serves /metrics only")

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err, "graceful shutdown")
	case <-time.After(20 * time.Second):
		t.Fatal("appliance did not stop")
	}

	out, cancel, done = start()
	defer cancel()
	waitReady(done)
	assert.NotContains(t, out.String(), strings.TrimSpace(string(tok)), "the token is printed only once")
	assert.Contains(t, out.String(), "admin token: see")
	cancel()
	require.NoError(t, <-done)
}

func TestParseFlags_AgentDir(t *testing.T) {
	o, err := parseFlags(nil, func(k string) string { return map[string]string{"JUMPGATE_AGENT_DIR": "/from/env"}[k] }, &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, "/from/env", o.cfg.AgentDir)
	o, err = parseFlags([]string{"--agent-dir", "/from/flag"}, func(string) string { return "" }, &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, "/from/flag", o.cfg.AgentDir)
}

// TestRun_WritesNothingWhenItCannotStart starts beside a running appliance:
// on its locked data dir, or on its port. The start fails before it writes
// anything to the data dir or the database (no key material, no database
// file: only the lock file).
func TestRun_WritesNothingWhenItCannotStart(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string) []string
		want  string
	}{
		{"data dir locked", func(t *testing.T, dir string) []string {
			lock, err := app.LockDataDir(app.Config{DataDir: dir, Database: "sqlite://" + filepath.Join(dir, "jumpgate.db")})
			require.NoError(t, err)
			t.Cleanup(lock.Release)
			return []string{"--listen", "127.0.0.1:0"}
		}, "data dir %s is in use by another appliance process (pid %d holds %s/lock)"},
		{"port in use", func(t *testing.T, dir string) []string {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			t.Cleanup(func() { ln.Close() })
			return []string{"--listen", ln.Addr().String()}
		}, "address already in use"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			args := append([]string{"--data-dir", dir}, tt.setup(t, dir)...)
			err := run(context.Background(), args, func(string) string { return "" }, &bytes.Buffer{}, &bytes.Buffer{})
			require.Error(t, err)
			want := tt.want
			if strings.Contains(want, "%") {
				want = fmt.Sprintf(want, dir, os.Getpid(), dir)
				assert.ErrorIs(t, err, app.ErrLocked)
			}
			assert.Contains(t, err.Error(), want)
			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			assert.Equal(t, []string{app.LockFile}, names, "nothing but the lock file")
		})
	}
}
