package api_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
)

// TestNew_RefusesPlainHTTP: a client never sends its token over plain HTTP,
// except to a loopback address with WithInsecureHTTP.
func TestNew_RefusesPlainHTTP(t *testing.T) {
	tests := []struct {
		url      string
		insecure bool
		want     string // "" is accepted
	}{
		{url: "https://jumpgate.example.com:8443"},
		{url: "http://jumpgate.example.com:8443", want: "use https://"},
		{url: "http://jumpgate.example.com:8443", insecure: true, want: "use https://"},
		{url: "http://10.0.0.5:8443", insecure: true, want: "clear text"},
		{url: "http://127.0.0.1:8443", want: "--insecure-http"},
		{url: "http://127.0.0.1:8443", insecure: true},
		{url: "http://127.9.8.7:8443", insecure: true},
		{url: "http://[::1]:8443", insecure: true},
		{url: "http://localhost:8443", insecure: true},
		{url: "http://localhost.example.com:8443", insecure: true, want: "use https://"},
		{url: "ftp://127.0.0.1", insecure: true, want: "scheme must be https or http"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			opts := []api.Option{api.WithToken("secret")}
			if tt.insecure {
				opts = append(opts, api.WithInsecureHTTP())
			}
			c, err := api.New(tt.url, opts...)
			if tt.want == "" {
				require.NoError(t, err)
				assert.NotNil(t, c)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// TestNew_PlainHTTPSendsNoToken: with the refusal, nothing reaches a plain
// HTTP server; with the opt-in on loopback, requests go through.
func TestNew_PlainHTTPSendsNoToken(t *testing.T) {
	var seen atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
			seen.Add(1)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"user_id":1,"username":"admin","admin":true}`))
	}))
	defer srv.Close()
	_, err := api.New(srv.URL, api.WithToken("secret"))
	require.Error(t, err)
	assert.Zero(t, seen.Load())
	c, err := api.New(srv.URL, api.WithToken("secret"), api.WithInsecureHTTP())
	require.NoError(t, err)
	_, err = c.WhoAmI(t.Context())
	require.NoError(t, err)
	assert.EqualValues(t, 1, seen.Load())
}
