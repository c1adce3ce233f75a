package console_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
	"github.com/jumpgate/jumpgate/internal/browsertest"
)

// axePath is axe-core's browser build: $JUMPGATE_AXE (install-test-deps.sh
// writes it), else the one npm installed in web/node_modules.
func axePath(t *testing.T) string {
	if p := os.Getenv("JUMPGATE_AXE"); p != "" {
		return p
	}
	p, err := filepath.Abs("../../../web/node_modules/axe-core/axe.min.js")
	require.NoError(t, err)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("axe-core not found at %s: run hack/install-test-deps.sh (it runs npm ci in web/)", p)
	}
	return p
}

func assertAccessible(t *testing.T, p *browsertest.Page, page string) {
	t.Helper()
	for _, v := range p.Axe(axePath(t)) {
		t.Errorf("axe-core on %s: %s (%s): %s at %v", page, v.ID, v.Impact, v.Help, v.Nodes)
	}
}

func newPage(t *testing.T, srv *appliancetest.Server) *browsertest.Page {
	return browsertest.New(t, browsertest.Options{BaseURL: srv.URL, CAPEM: srv.CAPEM})
}

// TestConsole_Loads: the console loads at / and at a deep link through the
// fallback, a signed-out visitor lands on /login?next=…, the sign-in form
// shows a field error next to its field, and the page has no CSP violation
// or other error, nor a serious accessibility violation.
func TestConsole_Loads(t *testing.T) {
	srv := appliancetest.NewServer(t)
	p := newPage(t, srv)

	p.Open("/")
	p.Find("heading", "Sign in to Jumpgate")
	p.WaitPath("/login")
	assert.Equal(t, "/login?next=%2Fitems", p.Path(), "/ is the items page, so signing in goes there")

	p.Open("/items")
	p.Find("heading", "Sign in to Jumpgate")
	assert.Equal(t, "/login?next=%2Fitems", p.Path())

	p.Fill("Username", "")
	p.Fill("Password", "not the password")
	p.Click("button", "Sign in")
	assert.Equal(t, "Username is required", p.Text("paragraph", ""))
	p.Screenshot("login-field-error")
	assertAccessible(t, p, "/login")
	assert.Empty(t, p.Errors(), "the page logged errors (a CSP violation is one)")
}

// TestConsole_DoesNotShadowTheAPI: through the real router, the console
// takes no API, agent or probe path.
func TestConsole_DoesNotShadowTheAPI(t *testing.T) {
	srv := appliancetest.NewServer(t)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(srv.CAPEM))
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	tests := []struct {
		path   string
		status int
		ctype  string
	}{
		{"/", http.StatusOK, "text/html; charset=utf-8"},
		{"/items", http.StatusOK, "text/html; charset=utf-8"},
		{"/settings/jump-clients", http.StatusOK, "text/html; charset=utf-8"},
		{"/api/v1/no-such-thing", http.StatusNotFound, "application/problem+json"},
		{"/api/v1/jump-groups", http.StatusUnauthorized, "application/problem+json"},
		{"/agent/v1/nothing", http.StatusNotFound, "application/problem+json"},
		{"/healthz", http.StatusOK, "application/json; charset=utf-8"},
		{"/readyz", http.StatusOK, "application/json; charset=utf-8"},
		{"/api/v1/openapi.json", http.StatusOK, "application/json"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, err := hc.Get(srv.URL + tt.path)
			require.NoError(t, err)
			defer resp.Body.Close()
			assert.Equal(t, tt.status, resp.StatusCode)
			assert.Equal(t, tt.ctype, resp.Header.Get("Content-Type"))
		})
	}
}

// TestConsole_SignInAndOut: the admin signs in with the password of the
// data dir, lands on the items page, which lists what the API holds, goes
// to another page and back with the browser's back button, and signs out.
func TestConsole_SignInAndOut(t *testing.T) {
	srv := appliancetest.NewServer(t)
	pw, err := os.ReadFile(filepath.Join(srv.DataDir, api.AdminPasswordFile))
	if os.IsNotExist(err) {
		t.Skipf("the appliance of this tree writes no %s: the browser-session backend (POST %s) has not landed", api.AdminPasswordFile, api.PathAuthLogin)
	}
	require.NoError(t, err)

	p := newPage(t, srv)
	p.Open("/items")
	p.Fill("Username", "admin")
	p.Fill("Password", "wrong password 1")
	p.Click("button", "Sign in")
	assert.Contains(t, p.Text("alert", ""), "the username or password is wrong")

	p.Fill("Password", string(bytes.TrimSpace(pw)))
	p.Click("button", "Sign in")
	p.Find("heading", "Jump Items")
	p.WaitPath("/items")
	p.WaitText("No Jump Clients yet")
	assert.Contains(t, p.Text("banner", ""), "admin")
	p.Screenshot("items")
	assertAccessible(t, p, "/items")

	p.Click("link", "Sessions")
	p.Find("heading", "Sessions")
	p.WaitPath("/sessions")
	p.Back()
	p.Find("heading", "Jump Items")
	p.WaitPath("/items")

	p.Click("button", "Sign out")
	p.Find("heading", "Sign in to Jumpgate")
	p.WaitPath("/login")
	// The session ended on the server: a reload stays signed out.
	p.Open("/items")
	p.Find("heading", "Sign in to Jumpgate")
	assert.True(t, strings.HasPrefix(p.Path(), "/login"))
	assert.Empty(t, p.Errors())
}
