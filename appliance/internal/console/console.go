// Package console serves the web console: the bundle built from web/ into
// dist/ (committed, embedded here) at / on the appliance's one port.
//
// Paths under /assets/ are the bundle's content-hashed files, cached for a
// year. Every other GET or HEAD of a console path answers index.html,
// never cached, so that a deep link such as /items loads the console, whose
// router shows the page. The API's and the agents' prefixes and the probes
// are never the console's: an unknown /api/ path still gets the API's
// problem+json 404. Every answer carries a strict Content-Security-Policy.
package console

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// The bundle is rebuilt by `make generate` (hack/console-build.sh), after
// go generate has refreshed api/openapi.json, which the console's types and
// rules are generated from.

//go:embed dist
var dist embed.FS

// ContentSecurityPolicy allows the console's own scripts, styles and API
// calls only: no inline script or style element, no framing. img-src
// allows data: for the TOTP enrollment's QR code, which the API sends as a
// data: URL. script-src allows 'wasm-unsafe-eval', which lets the page
// compile WebAssembly (the recording player's terminal emulator is one
// module in the console's own script) and nothing else: eval and inline
// script stay forbidden.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// reserved are the path prefixes that are never the console's: the API,
// the agents' endpoints, the public portals and the probes.
var reserved = []string{"/api", "/agent", "/portal", "/healthz", "/readyz", "/metrics"}

// Handler serves the console's bundle.
type Handler struct {
	files fs.FS
	index []byte
	etag  string
}

// New returns a Handler of the embedded bundle.
func New() (*Handler, error) {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		return nil, err
	}
	return NewFS(sub)
}

// NewFS returns a Handler of the bundle in files, which must hold
// index.html (for tests of other bundles).
func NewFS(files fs.FS) (*Handler, error) {
	index, err := fs.ReadFile(files, "index.html")
	if err != nil {
		return nil, fmt.Errorf("console: bundle has no index.html (run make generate): %w", err)
	}
	sum := sha256.Sum256(index)
	return &Handler{files: files, index: index, etag: `"` + hex.EncodeToString(sum[:16]) + `"`}, nil
}

// Owns reports whether a request is the console's: a GET or HEAD of a path
// outside the reserved prefixes.
func Owns(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	p := r.URL.Path
	for _, pre := range reserved {
		if p == pre || strings.HasPrefix(p, pre+"/") {
			return false
		}
	}
	return true
}

// NoRoute is the Gin handler to run first for requests no route matched:
// it serves the console's requests and passes on the others.
func (h *Handler) NoRoute(c *gin.Context) {
	if !Owns(c.Request) {
		c.Next()
		return
	}
	h.ServeHTTP(c.Writer, c.Request)
	c.Abort()
}

// ServeHTTP serves a hashed asset, a 404 for a missing one, and
// index.html for any other console path.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", ContentSecurityPolicy)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
	if rest, ok := strings.CutPrefix(r.URL.Path, "/assets/"); ok {
		h.serveAsset(w, r, rest)
		return
	}
	hd.Set("Cache-Control", "no-cache")
	hd.Set("ETag", h.etag)
	hd.Set("Content-Type", "text/html; charset=utf-8")
	http.ServeContent(w, r, "index.html", time.Time{}, bytes.NewReader(h.index))
}

// serveAsset serves assets/<name>. Vite names every asset by its content
// hash, so a name never changes meaning and may be cached for good.
func (h *Handler) serveAsset(w http.ResponseWriter, r *http.Request, name string) {
	name = path.Clean("/" + name)[1:]
	b, err := fs.ReadFile(h.files, "assets/"+name)
	if err != nil || name == "" {
		w.Header().Set("Cache-Control", "no-store")
		http.Error(w, "404 no such console asset", http.StatusNotFound)
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	// ServeContent sets the Content-Type from the extension.
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(b))
}
