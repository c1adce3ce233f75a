package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLogin_PlainHTTP: the CLI never sends a token over http:// unless told
// to with --insecure-http, and then only to a loopback address; login
// remembers the choice for that URL.
func TestLogin_PlainHTTP(t *testing.T) {
	var tokens atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			tokens.Add(1)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"user_id":1,"username":"admin","admin":true}`))
	}))
	defer srv.Close()
	vars := map[string]string{envConfigDir: t.TempDir()}

	r := runCLI(t, vars, "", "login", "--url", srv.URL, "--token", "secret")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "http:// would send the token in clear text")
	assert.Contains(t, r.stderr, "--insecure-http")
	assert.Zero(t, tokens.Load(), "no token left the machine")

	remote := strings.Replace(srv.URL, "127.0.0.1", "192.0.2.1", 1)
	r = runCLI(t, vars, "", "login", "--insecure-http", "--url", remote, "--token", "secret")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "use https://")

	r = runCLI(t, vars, "", "login", "--insecure-http", "--url", srv.URL, "--token", "secret")
	require.Equal(t, 0, r.code, r.stderr)
	r = runCLI(t, vars, "", "whoami")
	require.Equal(t, 0, r.code, "the stored login keeps --insecure-http for its URL: %s", r.stderr)
	assert.EqualValues(t, 2, tokens.Load())
}
