package login

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/internal/auth"
	"github.com/jumpgate/jumpgate/appliance/internal/problem"
)

// currentKey holds the *current of a cookie-authenticated request in the
// gin context.
const currentKey = "jumpgate.login.current"

// pendingPaths are the routes a user who must still enroll MFA may call.
var pendingPaths = []string{api.PathAuthMFAEnroll, api.PathAuthMFAConfirm, api.PathAuthSession, api.PathAuthLogout, api.PathAuthPassword}

// Middleware authenticates a request by its bearer token (bearer, the token
// middleware, unchanged) or else by its session cookie, checking the
// cookie's requests for cross-origin forgery first. A request with neither
// goes to bearer, which refuses it.
func (s *Service) Middleware(bearer gin.HandlerFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.GetHeader("Authorization") != "" {
			bearer(c)
			return
		}
		ck, err := c.Request.Cookie(api.SessionCookieName)
		if err != nil || ck.Value == "" {
			bearer(c)
			return
		}
		fail := func(err error) {
			_ = c.Error(err)
			c.Abort()
		}
		if err := s.checkCrossOrigin(c.Request); err != nil {
			fail(err)
			return
		}
		cur, err := s.authenticate(c.Request.Context(), ck.Value)
		if err != nil {
			clearCookie(c)
			fail(err)
			return
		}
		if cur.pending && !slices.Contains(pendingPaths, c.FullPath()) {
			fail(problem.Forbidden("multi-factor authentication is required: enroll TOTP (POST %s, then %s) before using the console", api.PathAuthMFAEnroll, api.PathAuthMFAConfirm))
			return
		}
		c.Set(currentKey, cur)
		ctx := auth.WithPrincipal(c.Request.Context(), cur.principal())
		if isWebSocket(c.Request) {
			ctx = auth.WithOriginChecked(ctx)
		}
		c.Request = c.Request.WithContext(ctx)
		c.Next()
	}
}

// checkCrossOrigin refuses a request that a browser sent from another site
// with the cookie: a state-changing one that CrossOriginProtection refuses,
// and a WebSocket upgrade whose Origin is neither the appliance's, the
// request's own nor a trusted one (WebSockets are not subject to CORS, and
// the upgrade is a GET, which CrossOriginProtection lets through).
func (s *Service) checkCrossOrigin(r *http.Request) error {
	st := s.consoleSettings(r.Context())
	if isWebSocket(r) {
		o := strings.ToLower(r.Header.Get("Origin"))
		switch {
		case o == "":
			return problem.Forbidden("a WebSocket opened with a browser session must carry an Origin header")
		case o == s.origin || o == "https://"+strings.ToLower(r.Host) || slices.Contains(st.TrustedOrigins, o):
			return nil
		}
		return problem.Forbidden("cross-origin WebSocket refused: origin %q is neither the appliance's nor one of the console settings' trusted_origins", o)
	}
	s.mu.Lock()
	cop := s.cop
	s.mu.Unlock()
	if err := cop.Check(r); err != nil {
		return fmt.Errorf("cross-origin request refused (%v): send it from the console's own origin, or add that origin to the console settings' trusted_origins: %w", err, problem.ErrForbidden)
	}
	return nil
}

func isWebSocket(r *http.Request) bool {
	for _, v := range r.Header.Values("Upgrade") {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), "websocket") {
				return true
			}
		}
	}
	return false
}

// setCookie sets the session cookie for maxAge seconds.
func setCookie(c *gin.Context, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{Name: api.SessionCookieName, Value: value, Path: "/", MaxAge: maxAge,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

func clearCookie(c *gin.Context) { setCookie(c, "", -1) }
