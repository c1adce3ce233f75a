package server

import (
	"crypto/subtle"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/jumpgate/jumpgate/appliance/internal/auth"
	"github.com/jumpgate/jumpgate/appliance/internal/problem"
	"github.com/jumpgate/jumpgate/appliance/internal/route"
)

// DefaultBodyTimeout is how long a request body may take to arrive, plus
// the time its size needs at minBodyRate.
const DefaultBodyTimeout = 30 * time.Second

// minBodyRate (bytes per second) extends a body's deadline as it arrives,
// so that a large upload over a slow but honest link is not cut while a
// peer trickling a byte every few seconds is.
const minBodyRate = 4 << 10

// bodyDeadline puts a read deadline on every request that has a body:
// timeout from the start of the handler, extended by the bytes read at
// minBodyRate, and lifted once the body is read to its end. Without it a
// peer that sends its headers and then a byte every few seconds holds a
// connection and a goroutine for as long as it likes (the server's
// ReadHeaderTimeout covers only the headers).
//
// Requests without a body are left alone: WebSocket upgrades (which bound
// their handshakes themselves and then live for hours), downloads and long
// polls. A deadline on them would fire in the server's background read of
// the idle connection and cancel the request.
func bodyDeadline(timeout time.Duration) gin.HandlerFunc {
	return func(c *gin.Context) {
		r := c.Request
		if r.Body == nil || r.Body == http.NoBody || (r.ContentLength == 0 && len(r.TransferEncoding) == 0) {
			c.Next()
			return
		}
		rc := http.NewResponseController(c.Writer)
		start := time.Now()
		if err := rc.SetReadDeadline(start.Add(timeout)); err != nil {
			c.Next() // a writer without deadlines (tests' recorders)
			return
		}
		r.Body = &deadlineBody{ReadCloser: r.Body, rc: rc, start: start, timeout: timeout}
		c.Next()
	}
}

type deadlineBody struct {
	io.ReadCloser
	rc      *http.ResponseController
	start   time.Time
	timeout time.Duration
	read    int64
	done    bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if b.done {
		return n, err
	}
	b.read += int64(n)
	switch {
	case err == io.EOF:
		// The server now reads the idle connection in the background to
		// notice a close; a deadline left on it would cancel the request.
		b.done = true
		_ = b.rc.SetReadDeadline(time.Time{})
	case n > 0:
		_ = b.rc.SetReadDeadline(b.start.Add(b.timeout + time.Duration(b.read)*time.Second/minBodyRate))
	}
	return n, err
}

// metricsAuth serves next to callers that present the scrape token (whose
// hash is tokenHash) or an administrator's API token, and answers 401 (no
// or a bad token) or 403 (another user's token) to the rest.
func metricsAuth(authn auth.Authenticator, tokenHash string, next http.Handler) gin.HandlerFunc {
	return route.Handle(func(c *gin.Context) error {
		scheme, tok, ok := strings.Cut(c.GetHeader("Authorization"), " ")
		tok = strings.TrimSpace(tok)
		if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
			c.Header("WWW-Authenticate", `Bearer realm="jumpgate"`)
			return fmt.Errorf("/metrics needs the scrape token (<data-dir>/metrics-token) or an administrator's API token: %w", problem.ErrUnauthorized)
		}
		h := auth.HashToken(tok)
		if tokenHash != "" && subtle.ConstantTimeCompare([]byte(h), []byte(tokenHash)) == 1 {
			next.ServeHTTP(c.Writer, c.Request)
			return nil
		}
		p, err := authn.Authenticate(c.Request.Context(), h)
		if err != nil {
			c.Header("WWW-Authenticate", `Bearer realm="jumpgate", error="invalid_token"`)
			return err
		}
		if !p.Admin {
			return problem.Forbidden("/metrics takes the scrape token or an administrator's API token")
		}
		next.ServeHTTP(c.Writer, c.Request)
		return nil
	})
}
