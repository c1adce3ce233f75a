// Package auth authenticates API requests and carries the caller's identity
// through the request context.
//
// Callers present "Authorization: Bearer <token>" (or a browser session
// cookie, which package login resolves to the same Principal). Tokens are random 256-bit
// secrets; the appliance stores only their SHA-256, so a database leak does
// not leak usable tokens, and a lookup by hash needs no constant-time
// comparison of secrets.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/jumpgate/jumpgate/appliance/internal/problem"
)

// TokenPrefix starts every API token, so leaked tokens are easy to scan for.
const TokenPrefix = "jgt_"

// Principal is an authenticated caller. A caller authenticated by an API
// token has its TokenID; one authenticated by a browser session (package
// login) its BrowserSessionID instead. Both are authorised alike.
type Principal struct {
	UserID           int64
	Username         string
	Admin            bool
	TokenID          int64
	BrowserSessionID int64
}

// System is the principal of the appliance's own actions (bootstrap, maintenance).
var System = Principal{Username: "system", Admin: true}

type ctxKey struct{}

// WithPrincipal returns a context carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

type originKey struct{}

// WithOriginChecked returns a context recording that the request's Origin
// was checked against the appliance's own and its trusted origins (a
// WebSocket upgrade of a browser session), so that the upgrade need not
// compare it with the Host again.
func WithOriginChecked(ctx context.Context) context.Context {
	return context.WithValue(ctx, originKey{}, true)
}

// OriginChecked reports whether WithOriginChecked marked ctx.
func OriginChecked(ctx context.Context) bool {
	ok, _ := ctx.Value(originKey{}).(bool)
	return ok
}

// FromContext returns the caller, if authenticated.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(ctxKey{}).(Principal)
	return p, ok
}

// MustFromContext returns the caller or ErrUnauthorized.
func MustFromContext(ctx context.Context) (Principal, error) {
	p, ok := FromContext(ctx)
	if !ok {
		return Principal{}, problem.ErrUnauthorized
	}
	return p, nil
}

// RequireAdmin returns ErrForbidden unless the caller is an admin.
func RequireAdmin(ctx context.Context) error {
	p, err := MustFromContext(ctx)
	if err != nil {
		return err
	}
	if !p.Admin {
		return problem.Forbidden("only administrators may change configuration")
	}
	return nil
}

// NewToken returns a fresh token secret and its hash.
func NewToken() (secret, hash string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	secret = TokenPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
	return secret, HashToken(secret), nil
}

// HashToken returns the stored form of a token secret.
func HashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// Authenticator resolves a token hash to a principal. It returns
// problem.ErrUnauthorized for unknown, expired or disabled credentials.
type Authenticator interface {
	Authenticate(ctx context.Context, tokenHash string) (Principal, error)
}

// Middleware authenticates the bearer token of every request it wraps and
// aborts with 401 when it is missing or invalid.
func Middleware(a Authenticator) gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.GetHeader("Authorization")
		scheme, tok, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
			c.Header("WWW-Authenticate", `Bearer realm="jumpgate"`)
			_ = c.Error(fmt.Errorf("missing bearer token: %w", problem.ErrUnauthorized))
			c.Abort()
			return
		}
		p, err := a.Authenticate(c.Request.Context(), HashToken(strings.TrimSpace(tok)))
		if err != nil {
			c.Header("WWW-Authenticate", `Bearer realm="jumpgate", error="invalid_token"`)
			_ = c.Error(err)
			c.Abort()
			return
		}
		c.Request = c.Request.WithContext(WithPrincipal(c.Request.Context(), p))
		c.Next()
	}
}
