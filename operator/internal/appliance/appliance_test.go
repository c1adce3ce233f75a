package appliance

import (
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
)

// value is the value of the counter or gauge of c with these label
// name/value pairs; 0 when there is none.
func value(t *testing.T, c prometheus.Collector, labels ...string) float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(c))
	mfs, err := reg.Gather()
	require.NoError(t, err)
	want := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			n := 0
			for _, lp := range m.GetLabel() {
				if v, ok := want[lp.GetName()]; ok && v == lp.GetValue() {
					n++
				}
			}
			if n == len(want) {
				return m.GetCounter().GetValue() + m.GetGauge().GetValue()
			}
		}
	}
	return 0
}

// replace writes content to path the way the kubelet updates a mounted
// Secret: a new file renamed over the old one.
func replace(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".tmp"
	require.NoError(t, os.WriteFile(tmp, []byte(content), 0o600))
	require.NoError(t, os.Rename(tmp, path))
}

func TestFileToken(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token")
	replace(t, path, "first\n")
	var reloads int
	ft := NewFileToken(path)
	ft.CheckInterval = time.Hour
	ft.OnReload = func() { reloads++ }

	tok, err := ft.Token()
	require.NoError(t, err)
	assert.Equal(t, "first", tok, "a final newline is not part of the token")

	replace(t, path, "second")
	tok, err = ft.Token()
	require.NoError(t, err)
	assert.Equal(t, "first", tok, "not looked at again within CheckInterval")

	ft.CheckInterval = time.Nanosecond
	tok, err = ft.Token()
	require.NoError(t, err)
	assert.Equal(t, "second", tok, "a replaced file is read again")
	assert.Equal(t, 1, reloads)
	tok, err = ft.Token()
	require.NoError(t, err)
	assert.Equal(t, "second", tok)
	assert.Equal(t, 1, reloads, "an unchanged file is no reload")

	tests := []struct {
		name, content, want string
	}{
		{name: "empty", content: " \n", want: "is empty"},
		{name: "two words", content: "a b", want: "holds more than one word"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			replace(t, path, tt.content)
			_, err := ft.Token()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	require.NoError(t, os.Remove(path))
	_, err = ft.Token()
	assert.ErrorIs(t, err, os.ErrNotExist, "a deleted Secret stops the old token too")
	replace(t, path, "third")
	tok, err = ft.Token()
	require.NoError(t, err)
	assert.Equal(t, "third", tok, "back after an error without waiting")
	assert.Equal(t, 2, reloads)
}

// caOf is the PEM of a TLS test server's certificate, its own CA.
func caOf(srv *httptest.Server) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
}

// fakeAppliance answers /api/v1/whoami with the user of the bearer token,
// over TLS (api.Client refuses http://).
func fakeAppliance(t *testing.T, users map[string]api.WhoAmI, calls *atomic.Int64) *httptest.Server {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		me, ok := users[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
		switch {
		case r.URL.Path != "/api/v1/whoami":
			http.NotFound(w, r)
		case !ok:
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"status":401,"title":"Unauthorized","detail":"unknown token"}`))
		default:
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"username":"` + me.Username + `","admin":` + map[bool]string{true: "true", false: "false"}[me.Admin] + `}`))
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestChecker(t *testing.T) {
	var calls atomic.Int64
	srv := fakeAppliance(t, map[string]api.WhoAmI{"admin": {Username: "admin", Admin: true}, "rep": {Username: "rep"}}, &calls)
	tests := []struct {
		name, token string
		wantErr     error
		fatal       bool
	}{
		{name: "administrator", token: "admin"},
		{name: "not an administrator", token: "rep", wantErr: ErrNotAdmin, fatal: true},
		{name: "unknown token", token: "nobody", wantErr: api.ErrUnauthorized, fatal: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewMetrics()
			c, _, err := New(Config{URL: srv.URL, Token: tt.token, CACertPEM: caOf(srv)}, m)
			require.NoError(t, err)
			err = (&Checker{API: c, Metrics: m}).Check(context.Background())
			if tt.wantErr == nil {
				require.NoError(t, err)
				assert.Equal(t, 1.0, value(t, m.Up))
				return
			}
			require.ErrorIs(t, err, tt.wantErr)
			assert.Equal(t, tt.fatal, Fatal(err))
			assert.Contains(t, err.Error(), srv.URL)
			assert.Equal(t, 0.0, value(t, m.Up))
			assert.Equal(t, 1.0, value(t, m.Requests, "method", "GET", "collection", "whoami", "code", "401")+
				value(t, m.Requests, "method", "GET", "collection", "whoami", "code", "200"))
		})
	}

	t.Run("cached for TTL", func(t *testing.T) {
		c, _, err := New(Config{URL: srv.URL, Token: "admin", CACertPEM: caOf(srv)}, nil)
		require.NoError(t, err)
		ch := &Checker{API: c, TTL: time.Hour}
		before := calls.Load()
		for range 5 {
			require.NoError(t, ch.Check(context.Background()))
		}
		assert.Equal(t, before+1, calls.Load(), "one request per TTL")
		ch.TTL = time.Nanosecond
		require.NoError(t, ch.Check(context.Background()))
		assert.Equal(t, before+2, calls.Load())
	})

	t.Run("untrusted certificate", func(t *testing.T) {
		tlsSrv := httptest.NewTLSServer(http.NotFoundHandler())
		t.Cleanup(tlsSrv.Close)
		c, _, err := New(Config{URL: tlsSrv.URL, Token: "admin"}, nil)
		require.NoError(t, err)
		err = (&Checker{API: c}).Check(context.Background())
		require.Error(t, err)
		assert.False(t, Fatal(err))
		assert.Contains(t, err.Error(), "the appliance's certificate is not trusted: give the CA that signed it")
	})

	t.Run("unreachable", func(t *testing.T) {
		dead := httptest.NewTLSServer(http.NotFoundHandler())
		dead.Close()
		m := NewMetrics()
		c, _, err := New(Config{URL: dead.URL, Token: "admin", CACertPEM: caOf(dead)}, m)
		require.NoError(t, err)
		err = (&Checker{API: c, Metrics: m}).Check(context.Background())
		require.Error(t, err)
		assert.False(t, Fatal(err), "waiting may help")
		assert.Contains(t, err.Error(), "connection refused")
		assert.Equal(t, 1.0, value(t, m.Requests, "method", "GET", "collection", "whoami", "code", "error"))
	})
}

func TestNew_RotatedTokenFile(t *testing.T) {
	var calls atomic.Int64
	srv := fakeAppliance(t, map[string]api.WhoAmI{"one": {Username: "a", Admin: true}, "two": {Username: "b", Admin: true}}, &calls)
	path := filepath.Join(t.TempDir(), "token")
	replace(t, path, "one\n")
	m := NewMetrics()
	c, ts, err := New(Config{URL: srv.URL, TokenFile: path, CACertPEM: caOf(srv)}, m)
	require.NoError(t, err)
	ts.(*FileToken).CheckInterval = time.Nanosecond
	me, err := c.WhoAmI(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "a", me.Username)
	replace(t, path, "two\n")
	me, err = c.WhoAmI(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "b", me.Username, "the next request uses the new token")
	assert.Equal(t, 1.0, value(t, m.TokenReloads))

	require.NoError(t, os.Remove(path))
	_, err = c.WhoAmI(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "token file")
}

func TestNew_Refuses(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{name: "no token", cfg: Config{URL: "https://a"}, want: "no API token"},
		{name: "missing token file", cfg: Config{URL: "https://a", TokenFile: "/nonexistent"}, want: "token file: stat /nonexistent"},
		{name: "no certificate in the CA", cfg: Config{URL: "https://a", Token: "t", CACertPEM: []byte("nothing")}, want: "no PEM certificate"},
		{name: "bad URL", cfg: Config{URL: "a:b", Token: "t"}, want: "scheme must be https or http"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := New(tt.cfg, nil)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestCollection(t *testing.T) {
	for path, want := range map[string]string{
		"/api/v1/jump-groups":              "jump-groups",
		"/api/v1/jump-groups/3":            "jump-groups",
		"/api/v1/settings/jump-clients":    "settings",
		"/prefix/api/v1/whoami":            "whoami",
		"/healthz":                         "other",
		"/api/v1/":                         "other",
		"/api/v1/jumpoints/2/key-info?x=1": "jumpoints",
	} {
		assert.Equal(t, want, collection(path), path)
	}
}
