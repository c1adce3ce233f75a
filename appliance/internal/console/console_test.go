package console

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// engine mounts h as the appliance's server does: after the routes, in
// NoRoute, ahead of the API's 404.
func engine(t *testing.T, h *Handler) *gin.Engine {
	t.Helper()
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.HandleMethodNotAllowed = true
	e.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	e.GET("/api/v1/whoami", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"username": "admin"}) })
	e.POST("/api/v1/auth/login", func(c *gin.Context) { c.Status(http.StatusNoContent) })
	e.NoRoute(h.NoRoute, func(c *gin.Context) {
		c.Header("Content-Type", "application/problem+json")
		c.String(http.StatusNotFound, `{"status":404}`)
	})
	return e
}

func testBundle() fstest.MapFS {
	return fstest.MapFS{
		"index.html":              {Data: []byte(`<!doctype html><script type="module" src="/assets/index-abc123.js"></script>`)},
		"assets/index-abc123.js":  {Data: []byte(`console.log("hi")`)},
		"assets/index-def456.css": {Data: []byte(`body{}`)},
	}
}

func do(e http.Handler, method, target string, hdr ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	e.ServeHTTP(w, r)
	return w
}

func TestHandler_ServesAndFallsBack(t *testing.T) {
	h, err := NewFS(testBundle())
	require.NoError(t, err)
	e := engine(t, h)
	tests := []struct {
		name, method, path string
		status             int
		body, cache, ctype string
	}{
		{"root", http.MethodGet, "/", 200, "<!doctype html>", "no-cache", "text/html; charset=utf-8"},
		{"login", http.MethodGet, "/login", 200, "<!doctype html>", "no-cache", "text/html; charset=utf-8"},
		{"deep link", http.MethodGet, "/items", 200, "<!doctype html>", "no-cache", "text/html; charset=utf-8"},
		{"deeper link with query", http.MethodGet, "/settings/jump-clients?x=1", 200, "<!doctype html>", "no-cache", "text/html; charset=utf-8"},
		{"head of a page", http.MethodHead, "/sessions", 200, "", "no-cache", "text/html; charset=utf-8"},
		{"asset", http.MethodGet, "/assets/index-abc123.js", 200, `console.log("hi")`, "public, max-age=31536000, immutable", "text/javascript; charset=utf-8"},
		{"stylesheet", http.MethodGet, "/assets/index-def456.css", 200, "body{}", "public, max-age=31536000, immutable", "text/css; charset=utf-8"},
		{"missing asset is no page", http.MethodGet, "/assets/index-gone.js", 404, "no such console asset", "no-store", "text/plain; charset=utf-8"},
		{"asset path escape", http.MethodGet, "/assets/../index.html", 404, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := do(e, tt.method, tt.path)
			assert.Equal(t, tt.status, w.Code)
			if tt.body != "" {
				assert.Contains(t, w.Body.String(), tt.body)
			}
			if tt.cache != "" {
				assert.Equal(t, tt.cache, w.Header().Get("Cache-Control"))
			}
			if tt.ctype != "" {
				assert.Equal(t, tt.ctype, w.Header().Get("Content-Type"))
			}
			if tt.method == http.MethodHead {
				assert.Empty(t, w.Body.String())
			}
		})
	}
}

func TestHandler_NeverShadowsOtherRoutes(t *testing.T) {
	h, err := NewFS(testBundle())
	require.NoError(t, err)
	e := engine(t, h)
	tests := []struct {
		name, method, path string
		status             int
		ctype              string
	}{
		{"probe", http.MethodGet, "/healthz", 200, "application/json; charset=utf-8"},
		{"api route", http.MethodGet, "/api/v1/whoami", 200, "application/json; charset=utf-8"},
		{"unknown api path", http.MethodGet, "/api/v1/no-such-thing", 404, "application/problem+json"},
		{"api root", http.MethodGet, "/api", 404, "application/problem+json"},
		{"agent path", http.MethodGet, "/agent/v1/nothing", 404, "application/problem+json"},
		{"portal path", http.MethodGet, "/portal/support.example.com/", 404, "application/problem+json"},
		{"readyz", http.MethodGet, "/readyz", 404, "application/problem+json"},
		{"metrics subpath", http.MethodGet, "/metrics/x", 404, "application/problem+json"},
		{"post to a console path", http.MethodPost, "/items", 404, "application/problem+json"},
		{"wrong method on an api route", http.MethodGet, "/api/v1/auth/login", 405, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := do(e, tt.method, tt.path)
			assert.Equal(t, tt.status, w.Code)
			if tt.ctype != "" {
				assert.Equal(t, tt.ctype, w.Header().Get("Content-Type"))
			}
			assert.Empty(t, w.Header().Get("Content-Security-Policy"), "the console's headers leak onto %s", tt.path)
		})
	}
}

func TestHandler_SecurityHeaders(t *testing.T) {
	h, err := NewFS(testBundle())
	require.NoError(t, err)
	e := engine(t, h)
	for _, p := range []string{"/", "/login", "/assets/index-abc123.js", "/assets/missing.js"} {
		t.Run(p, func(t *testing.T) {
			w := do(e, http.MethodGet, p)
			csp := w.Header().Get("Content-Security-Policy")
			assert.Contains(t, csp, "default-src 'self'")
			assert.Contains(t, csp, "script-src 'self'")
			assert.Contains(t, csp, "frame-ancestors 'none'")
			assert.NotContains(t, csp, "unsafe-inline")
			assert.NotContains(t, csp, "'unsafe-eval'")
			assert.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"))
			assert.Equal(t, "same-origin", w.Header().Get("Referrer-Policy"))
			assert.Equal(t, "DENY", w.Header().Get("X-Frame-Options"))
		})
	}
}

func TestHandler_IndexRevalidates(t *testing.T) {
	h, err := NewFS(testBundle())
	require.NoError(t, err)
	e := engine(t, h)
	w := do(e, http.MethodGet, "/items")
	etag := w.Header().Get("ETag")
	require.NotEmpty(t, etag)
	w = do(e, http.MethodGet, "/sessions", "If-None-Match", etag)
	assert.Equal(t, http.StatusNotModified, w.Code)
}

// TestEmbeddedBundle checks the committed bundle: index.html loads only
// hashed assets that are present, and has no inline script or style, which
// the Content-Security-Policy would block.
func TestEmbeddedBundle(t *testing.T) {
	h, err := New()
	require.NoError(t, err)
	index := string(h.index)
	assert.NotRegexp(t, `<script(\s[^>]*)?>[^<]`, index, "inline script in index.html")
	assert.NotContains(t, index, "<style")
	assert.NotContains(t, index, " style=")
	refs := regexp.MustCompile(`(?:src|href)="(/assets/[^"]+)"`).FindAllStringSubmatch(index, -1)
	require.NotEmpty(t, refs, "index.html references no assets")
	for _, m := range refs {
		assert.Regexp(t, `^/assets/[A-Za-z0-9_-]+-[A-Za-z0-9_-]{8}\.(js|css)$`, m[1], "asset name without a content hash")
		_, err := fs.Stat(h.files, strings.TrimPrefix(m[1], "/"))
		assert.NoError(t, err, "index.html references a missing asset")
	}
}
