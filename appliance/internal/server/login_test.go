package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/hashicorp/yamux"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/api/sessionproto"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
	"github.com/jumpgate/jumpgate/internal/pgtest"
)

// onEachDatabaseClocked is onEachDatabase with a login clock of its own
// for each appliance, which the test may advance.
func onEachDatabaseClocked(t *testing.T, test func(t *testing.T, s *appliancetest.Server, clk *clock)) {
	t.Helper()
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			t.Parallel()
			clk := &clock{}
			opts := []appliancetest.Option{appliancetest.WithLoginClock(clk.Now)}
			if db == "postgres" {
				opts = append(opts, appliancetest.WithDatabase(pgtest.NewDatabase(t)))
			}
			test(t, appliancetest.NewServer(t, opts...), clk)
		})
	}
}

// clock is a settable clock for browser sessions and TOTP codes.
type clock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.off += d
	c.mu.Unlock()
}

// browser is an HTTP client with a cookie jar, as a browser holds the
// session cookie; it sends no Origin or Sec-Fetch-Site unless told to.
type browser struct {
	t *testing.T
	s *appliancetest.Server
	c *http.Client
}

func newBrowser(t *testing.T, s *appliancetest.Server) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	c := s.HTTPClient(t)
	c.Jar = jar
	return &browser{t: t, s: s, c: c}
}

// response is an answer read in full.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) problem() api.Problem {
	var p api.Problem
	_ = json.Unmarshal(r.body, &p)
	return p
}

// do sends a request with the jar's cookies and the given headers
// ("Name", "value" pairs).
func (b *browser) do(method, path string, body any, headers ...string) response {
	b.t.Helper()
	var rd io.Reader
	if body != nil {
		bs, err := json.Marshal(body)
		require.NoError(b.t, err)
		rd = bytes.NewReader(bs)
	}
	req, err := http.NewRequest(method, b.s.URL+path, rd)
	require.NoError(b.t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := b.c.Do(req)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(b.t, err)
	return response{status: resp.StatusCode, header: resp.Header, body: out}
}

func (b *browser) login(username, password string, extra ...string) response {
	b.t.Helper()
	body := map[string]any{"username": username, "password": password}
	for i := 0; i+1 < len(extra); i += 2 {
		body[extra[i]] = extra[i+1]
	}
	return b.do(http.MethodPost, api.PathAuthLogin, body)
}

// cookie returns the session cookie the jar holds, or "".
func (b *browser) cookie() string {
	u, _ := url.Parse(b.s.URL)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == api.SessionCookieName {
			return c.Value
		}
	}
	return ""
}

// newPasswordUser creates a user with a password (an administrator if admin).
func newPasswordUser(t *testing.T, s *appliancetest.Server, admin bool) (*api.User, string) {
	t.Helper()
	pw := "correct horse " + uniq("battery")
	u, err := s.Admin.CreateUser(context.Background(), &api.User{Username: uniq("rep"), Admin: admin, Password: pw})
	require.NoError(t, err)
	return u, pw
}

func totpCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	require.NoError(t, err)
	return c
}

// TestLogin_Password: the bootstrap admin signs in with the password of
// <data-dir>/admin-password and the cookie authenticates like a token; a
// wrong password, an unknown user and a disabled user get the same answer,
// and each attempt is audited without the password.
func TestLogin_Password(t *testing.T) {
	s := appliancetest.NewServer(t)
	require.NotEmpty(t, s.AdminPassword, "the first start writes admin-password")
	b := newBrowser(t, s)

	r := b.login("admin", s.AdminPassword)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	var as api.AuthSession
	require.NoError(t, json.Unmarshal(r.body, &as))
	assert.Equal(t, "admin", as.User.Username)
	assert.False(t, as.Bearer)
	assert.WithinDuration(t, time.Now().Add(12*time.Hour), as.ExpiresAt, time.Minute)
	assert.WithinDuration(t, time.Now().Add(30*time.Minute), as.IdleExpiresAt, time.Minute)
	setCookie := r.header.Get("Set-Cookie")
	assert.True(t, strings.HasPrefix(setCookie, api.SessionCookieName+"="), setCookie)
	for _, attr := range []string{"Path=/", "HttpOnly", "Secure", "SameSite=Lax"} {
		assert.Contains(t, setCookie, attr)
	}
	assert.NotContains(t, strings.ToLower(setCookie), "domain=")

	r = b.do(http.MethodGet, "/api/v1/whoami", nil)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	var me api.WhoAmI
	require.NoError(t, json.Unmarshal(r.body, &me))
	assert.Equal(t, "admin", me.Username)
	assert.True(t, me.Admin)
	assert.Zero(t, me.TokenID)
	r = b.do(http.MethodGet, api.PathAuthSessions, nil)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	var list api.List[api.BrowserSession]
	require.NoError(t, json.Unmarshal(r.body, &list))
	require.Len(t, list.Items, 1)
	assert.True(t, list.Items[0].Current)

	u, pw := newPasswordUser(t, s, false)
	_, err := s.Admin.PatchUser(context.Background(), u.ID, map[string]any{"enabled": false})
	require.NoError(t, err)
	var answers []api.Problem
	for _, tt := range []struct{ name, user, pw string }{
		{"wrong password", "admin", "not the password at all"},
		{"unknown user", "nobody-" + uniq("x"), "not the password at all"},
		{"disabled user", u.Username, pw},
	} {
		t.Run(tt.name, func(t *testing.T) {
			other := newBrowser(t, s)
			r := other.login(tt.user, tt.pw)
			require.Equal(t, http.StatusUnauthorized, r.status, string(r.body))
			assert.Empty(t, other.cookie())
			answers = append(answers, r.problem())
		})
	}
	for _, p := range answers[1:] {
		assert.Equal(t, answers[0], p, "every failure answers alike")
	}
	assert.Equal(t, "wrong username or password", answers[0].Detail)

	events, err := s.Admin.ListAuditEvents(context.Background(), &api.ListOptions{Filters: map[string]string{"action": "auth.login_failed"}})
	require.NoError(t, err)
	require.Len(t, events.Items, 3)
	reasons := []string{}
	for _, ev := range events.Items {
		reasons = append(reasons, fmt.Sprint(ev.Details["reason"]))
		b, _ := json.Marshal(ev)
		assert.NotContains(t, string(b), "not the password at all")
		assert.NotContains(t, string(b), pw)
	}
	assert.ElementsMatch(t, []string{"wrong_password", "unknown_user", "user_disabled"}, reasons)
	events, err = s.Admin.ListAuditEvents(context.Background(), &api.ListOptions{Filters: map[string]string{"action": "auth.login"}})
	require.NoError(t, err)
	require.Len(t, events.Items, 1)
	assert.Equal(t, "admin", events.Items[0].Actor)
}

// TestLogin_RateLimited: past api.LoginFailuresPerUser failures a user's
// logins answer 429 with Retry-After, even with the right password, while
// other users still sign in; past api.LoginFailuresPerAddress failures from
// one address every login from it does.
func TestLogin_RateLimited(t *testing.T) {
	s := appliancetest.NewServer(t)
	b := newBrowser(t, s)
	u, pw := newPasswordUser(t, s, false)
	for i := 0; i < api.LoginFailuresPerUser; i++ {
		require.Equal(t, http.StatusUnauthorized, b.login(u.Username, "wrong password number "+strconv.Itoa(i)).status)
	}
	r := b.login(strings.ToUpper(u.Username), pw)
	require.Equal(t, http.StatusTooManyRequests, r.status, string(r.body))
	require.Equal(t, http.StatusTooManyRequests, b.login(u.Username, pw).status)
	l, err := s.Admin.ListAuditEvents(context.Background(), &api.ListOptions{Filters: map[string]string{"action": "auth.login_failed"}})
	require.NoError(t, err)
	limited := 0
	for _, ev := range l.Items {
		if ev.Details["reason"] == "rate_limited" {
			limited++
		}
	}
	assert.Equal(t, 1, limited, "a flood of refusals is audited once a minute")
	secs, err := strconv.Atoi(r.header.Get("Retry-After"))
	require.NoError(t, err)
	assert.InDelta(t, api.LoginFailureWindowMinutes*60, secs, 5)

	other, otherPW := newPasswordUser(t, s, false)
	require.Equal(t, http.StatusOK, newBrowser(t, s).login(other.Username, otherPW).status, "another user is not limited")

	for i := api.LoginFailuresPerUser; i < api.LoginFailuresPerAddress; i++ {
		require.Equal(t, http.StatusUnauthorized, b.login(uniq("ghost"), "wrong").status)
	}
	r = b.login(other.Username, otherPW)
	assert.Equal(t, http.StatusTooManyRequests, r.status, "the address is limited: %s", r.body)
	assert.NotEmpty(t, r.header.Get("Retry-After"))
}

// TestLogin_MFA: enrollment with a QR code and its confirmation, sign-in
// with a code, refusal of a wrong and of a replayed code, recovery codes
// that work once, and an administrator's reset.
func TestLogin_MFA(t *testing.T) {
	onEachDatabaseClocked(t, testLoginMFA)
}

func testLoginMFA(t *testing.T, s *appliancetest.Server, clk *clock) {
	u, pw := newPasswordUser(t, s, false)
	b := newBrowser(t, s)
	require.Equal(t, http.StatusOK, b.login(u.Username, pw).status)

	r := b.do(http.MethodPost, api.PathAuthMFAEnroll, nil)
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	var en api.MFAEnrollment
	require.NoError(t, json.Unmarshal(r.body, &en))
	assert.True(t, strings.HasPrefix(en.QRCodePNG, "data:image/png;base64,"))
	assert.True(t, strings.HasPrefix(en.OTPAuthURL, "otpauth://totp/"))
	require.NotEmpty(t, en.Secret)

	r = b.do(http.MethodPost, api.PathAuthMFAConfirm, api.MFAConfirm{Code: wrongCode(totpCode(t, en.Secret, clk.Now()))})
	require.Equal(t, http.StatusForbidden, r.status, string(r.body))
	confirming := totpCode(t, en.Secret, clk.Now())
	r = b.do(http.MethodPost, api.PathAuthMFAConfirm, api.MFAConfirm{Code: confirming})
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	var rc api.MFARecoveryCodes
	require.NoError(t, json.Unmarshal(r.body, &rc))
	require.Len(t, rc.RecoveryCodes, api.RecoveryCodeCount)
	r = b.do(http.MethodPost, api.PathAuthMFAEnroll, nil)
	assert.Equal(t, http.StatusConflict, r.status, "no second enrollment: %s", r.body)

	fresh := func() *browser { return newBrowser(t, s) }
	r = fresh().login(u.Username, pw)
	require.Equal(t, http.StatusUnauthorized, r.status)
	assert.Equal(t, api.ProblemMFARequired, r.problem().Type)

	// The step confirmed is used up: its code no longer signs in.
	r = fresh().login(u.Username, pw, "totp_code", confirming)
	require.Equal(t, http.StatusUnauthorized, r.status, "the confirming code is not replayable: %s", r.body)
	clk.Advance(30 * time.Second)
	code := totpCode(t, en.Secret, clk.Now())
	r = fresh().login(u.Username, pw, "totp_code", wrongCode(code))
	require.Equal(t, http.StatusUnauthorized, r.status)
	assert.Equal(t, api.ProblemMFARequired, r.problem().Type)
	signedIn := fresh()
	r = signedIn.login(u.Username, pw, "totp_code", code)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	var as api.AuthSession
	require.NoError(t, json.Unmarshal(r.body, &as))
	assert.True(t, as.MFAEnrolled)
	r = fresh().login(u.Username, pw, "totp_code", code)
	assert.Equal(t, http.StatusUnauthorized, r.status, "a replayed code is refused: %s", r.body)

	r = fresh().login(u.Username, pw, "recovery_code", strings.ToUpper(rc.RecoveryCodes[0]))
	require.Equal(t, http.StatusOK, r.status, "a recovery code works: %s", r.body)
	r = fresh().login(u.Username, pw, "recovery_code", rc.RecoveryCodes[0])
	assert.Equal(t, http.StatusUnauthorized, r.status, "a recovery code works once: %s", r.body)
	r = fresh().login(u.Username, "wrong password", "recovery_code", rc.RecoveryCodes[1])
	assert.Equal(t, http.StatusUnauthorized, r.status)
	assert.NotEqual(t, api.ProblemMFARequired, r.problem().Type, "a wrong password says nothing of the code")

	got, err := s.Admin.GetUser(context.Background(), u.ID)
	require.NoError(t, err)
	assert.True(t, got.MFAEnrolled, "administrators see who enrolled")
	for _, a := range []string{"auth.mfa_enroll", "auth.mfa_confirm"} {
		l, err := s.Admin.ListAuditEvents(context.Background(), &api.ListOptions{Filters: map[string]string{"action": a, "object_id": itoa(u.ID)}})
		require.NoError(t, err)
		assert.Len(t, l.Items, 1, a)
	}

	// An administrator's reset ends the user's sessions and the MFA.
	require.Equal(t, http.StatusOK, signedIn.do(http.MethodGet, api.PathAuthSession, nil).status)
	require.NoError(t, s.Admin.ResetUserMFA(context.Background(), u.ID))
	assert.Equal(t, http.StatusUnauthorized, signedIn.do(http.MethodGet, api.PathAuthSession, nil).status)
	got, err = s.Admin.GetUser(context.Background(), u.ID)
	require.NoError(t, err)
	assert.False(t, got.MFAEnrolled)
	assert.Equal(t, http.StatusOK, fresh().login(u.Username, pw).status, "after a reset the password alone signs in")
}

// wrongCode returns a 6-digit code other than code.
func wrongCode(code string) string {
	n, _ := strconv.Atoi(code)
	return fmt.Sprintf("%06d", (n+1)%1000000)
}

// TestLogin_MFARequiredBeforeUse: a user who must use MFA but has not
// enrolled may only enroll (and read their session) until they confirm.
func TestLogin_MFARequiredBeforeUse(t *testing.T) {
	clk := &clock{}
	s := appliancetest.NewServer(t, appliancetest.WithLoginClock(clk.Now))
	u, pw := newPasswordUser(t, s, false)
	got, err := s.Admin.PatchUser(context.Background(), u.ID, map[string]any{"mfa_required": true})
	require.NoError(t, err)
	require.NotNil(t, got.MFARequired)
	require.True(t, *got.MFARequired)
	b := newBrowser(t, s)
	require.Equal(t, http.StatusOK, b.login(u.Username, pw).status)
	r := b.do(http.MethodGet, "/api/v1/"+api.PathJumpGroups, nil)
	require.Equal(t, http.StatusForbidden, r.status, string(r.body))
	assert.Contains(t, r.problem().Detail, "multi-factor")
	r = b.do(http.MethodGet, api.PathAuthSession, nil)
	require.Equal(t, http.StatusOK, r.status)
	var as api.AuthSession
	require.NoError(t, json.Unmarshal(r.body, &as))
	assert.True(t, as.MFARequired)
	assert.False(t, as.MFAEnrolled)

	r = b.do(http.MethodPost, api.PathAuthMFAEnroll, nil)
	require.Equal(t, http.StatusCreated, r.status)
	var en api.MFAEnrollment
	require.NoError(t, json.Unmarshal(r.body, &en))
	r = b.do(http.MethodPost, api.PathAuthMFAConfirm, api.MFAConfirm{Code: totpCode(t, en.Secret, clk.Now())})
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	r = b.do(http.MethodGet, "/api/v1/"+api.PathJumpGroups, nil)
	assert.Equal(t, http.StatusOK, r.status, string(r.body))
}

// TestLogin_LogoutAndExpiry: logout ends the session on the appliance (the
// old cookie is refused), and sessions end after the idle timeout and the
// absolute lifetime.
func TestLogin_LogoutAndExpiry(t *testing.T) {
	onEachDatabaseClocked(t, testLoginLogoutAndExpiry)
}

func testLoginLogoutAndExpiry(t *testing.T, s *appliancetest.Server, clk *clock) {
	u, pw := newPasswordUser(t, s, false)

	t.Run("logout", func(t *testing.T) {
		b := newBrowser(t, s)
		require.Equal(t, http.StatusOK, b.login(u.Username, pw).status)
		old := b.cookie()
		require.NotEmpty(t, old)
		r := b.do(http.MethodPost, api.PathAuthLogout, nil)
		require.Equal(t, http.StatusNoContent, r.status, string(r.body))
		assert.Contains(t, r.header.Get("Set-Cookie"), "Max-Age=0")
		assert.Empty(t, b.cookie(), "the cookie is cleared")
		// The old cookie, sent again by hand, is refused.
		r = newBrowser(t, s).do(http.MethodGet, api.PathAuthSession, nil, "Cookie", api.SessionCookieName+"="+old)
		assert.Equal(t, http.StatusUnauthorized, r.status)
		l, err := s.Admin.ListAuditEvents(context.Background(), &api.ListOptions{Filters: map[string]string{"action": "auth.logout", "object_id": itoa(u.ID)}})
		require.NoError(t, err)
		assert.Len(t, l.Items, 1)
	})
	t.Run("idle timeout", func(t *testing.T) {
		b := newBrowser(t, s)
		require.Equal(t, http.StatusOK, b.login(u.Username, pw).status)
		clk.Advance(29 * time.Minute)
		require.Equal(t, http.StatusOK, b.do(http.MethodGet, api.PathAuthSession, nil).status, "a request within the idle timeout")
		clk.Advance(29 * time.Minute)
		require.Equal(t, http.StatusOK, b.do(http.MethodGet, api.PathAuthSession, nil).status, "the last request counts, not the sign-in")
		clk.Advance(31 * time.Minute)
		r := b.do(http.MethodGet, api.PathAuthSession, nil)
		assert.Equal(t, http.StatusUnauthorized, r.status)
		assert.Contains(t, r.problem().Detail, "idle")
	})
	t.Run("absolute lifetime", func(t *testing.T) {
		b := newBrowser(t, s)
		require.Equal(t, http.StatusOK, b.login(u.Username, pw).status)
		var r response
		for elapsed := time.Duration(0); elapsed < 13*time.Hour; elapsed += 20 * time.Minute {
			clk.Advance(20 * time.Minute)
			if r = b.do(http.MethodGet, api.PathAuthSession, nil); r.status != http.StatusOK {
				assert.GreaterOrEqual(t, elapsed+20*time.Minute, 12*time.Hour, "ended early: %s", r.body)
				break
			}
		}
		assert.Equal(t, http.StatusUnauthorized, r.status)
		assert.Contains(t, r.problem().Detail, "lifetime")
	})
}

// TestLogin_CrossSiteRequestsRefused: a state-changing request that a
// browser sends from another site with the cookie is refused, the same
// request from the appliance's origin works, and bearer tokens are not
// concerned; a cross-site login is refused too.
func TestLogin_CrossSiteRequestsRefused(t *testing.T) {
	s := appliancetest.NewServer(t)
	b := newBrowser(t, s)
	require.Equal(t, http.StatusOK, b.login("admin", s.AdminPassword).status)
	path := "/api/v1/" + api.PathJumpGroups
	evil := []string{"Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"}

	r := b.do(http.MethodPost, path, newJumpGroup(), evil...)
	assert.Equal(t, http.StatusForbidden, r.status, "cross-site POST with the cookie: %s", r.body)
	r = b.do(http.MethodPost, path, newJumpGroup(), "Origin", "https://evil.example")
	assert.Equal(t, http.StatusForbidden, r.status, "cross-origin POST without Sec-Fetch-Site: %s", r.body)
	r = b.do(http.MethodPost, path, newJumpGroup(), "Origin", s.URL, "Sec-Fetch-Site", "same-origin")
	assert.Equal(t, http.StatusCreated, r.status, "same-origin POST: %s", r.body)
	r = b.do(http.MethodGet, path, nil, evil...)
	assert.Equal(t, http.StatusOK, r.status, "a cross-site GET changes nothing and is served: %s", r.body)

	bearer := newBrowser(t, s)
	r = bearer.do(http.MethodPost, path, newJumpGroup(), append(evil, "Authorization", "Bearer "+s.AdminToken)...)
	assert.Equal(t, http.StatusCreated, r.status, "a bearer token carries no ambient authority: %s", r.body)

	r = newBrowser(t, s).do(http.MethodPost, api.PathAuthLogin, map[string]any{"username": "admin", "password": s.AdminPassword}, evil...)
	assert.Equal(t, http.StatusForbidden, r.status, "cross-site login: %s", r.body)
}

// TestLogin_CrossOriginWebSocketRefused: a WebSocket upgrade with the
// cookie must come from the appliance's origin. The session does not
// exist, so an upgrade past the check answers 404.
func TestLogin_CrossOriginWebSocketRefused(t *testing.T) {
	s := appliancetest.NewServer(t)
	b := newBrowser(t, s)
	require.Equal(t, http.StatusOK, b.login("admin", s.AdminPassword).status)
	upgrade := []string{"Connection", "Upgrade", "Upgrade", "websocket", "Sec-WebSocket-Version", "13",
		"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Protocol", sessionproto.Subprotocol}
	path := sessionproto.ConnectPath(999999)
	for _, tt := range []struct {
		name   string
		origin []string
		want   int
	}{
		{"another origin", []string{"Origin", "https://evil.example"}, http.StatusForbidden},
		{"no origin", nil, http.StatusForbidden},
		{"the appliance's origin", []string{"Origin", s.URL}, http.StatusNotFound},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := b.do(http.MethodGet, path, nil, append(slicesClone(upgrade), tt.origin...)...)
			assert.Equal(t, tt.want, r.status, string(r.body))
		})
	}
	r := b.do(http.MethodGet, path, nil, append(slicesClone(upgrade), "Origin", "https://evil.example", "Authorization", "Bearer "+s.AdminToken)...)
	assert.NotEqual(t, http.StatusForbidden, r.status, "a bearer upgrade is not checked by origin: %s", r.body)
}

func slicesClone(s []string) []string { return append([]string(nil), s...) }

// TestLogin_NonAdminRefusedAdminEndpoints: a non-administrator's browser
// session is authorised as their token would be.
func TestLogin_NonAdminRefusedAdminEndpoints(t *testing.T) {
	s := appliancetest.NewServer(t)
	u, pw := newPasswordUser(t, s, false)
	b := newBrowser(t, s)
	require.Equal(t, http.StatusOK, b.login(u.Username, pw).status)
	for _, tt := range []struct{ method, path string }{
		{http.MethodGet, "/api/v1/audit-events"},
		{http.MethodPost, "/api/v1/" + api.PathJumpGroups},
		{http.MethodGet, "/api/v1/" + api.PathUsers},
		{http.MethodDelete, fmt.Sprintf("/api/v1/%s/%d/sessions", api.PathUsers, u.ID)},
		{http.MethodDelete, fmt.Sprintf("/api/v1/%s/%d/mfa", api.PathUsers, u.ID)},
	} {
		var body any
		if tt.method == http.MethodPost {
			body = newJumpGroup()
		}
		r := b.do(tt.method, tt.path, body)
		assert.Equal(t, http.StatusForbidden, r.status, "%s %s: %s", tt.method, tt.path, r.body)
	}
	assert.Equal(t, http.StatusOK, b.do(http.MethodGet, "/api/v1/"+api.PathAPITokens, nil).status, "what the user may do, they may")
}

// TestLogin_PasswordChange: changing the own password ends the other
// browser sessions, keeps this one, and the new password signs in.
func TestLogin_PasswordChange(t *testing.T) {
	s := appliancetest.NewServer(t)
	u, pw := newPasswordUser(t, s, false)
	one, two := newBrowser(t, s), newBrowser(t, s)
	require.Equal(t, http.StatusOK, one.login(u.Username, pw).status)
	require.Equal(t, http.StatusOK, two.login(u.Username, pw).status)
	r := one.do(http.MethodPost, api.PathAuthPassword, api.PasswordChange{CurrentPassword: "wrong", NewPassword: "a new long password"})
	assert.Equal(t, http.StatusForbidden, r.status)
	r = one.do(http.MethodPost, api.PathAuthPassword, api.PasswordChange{CurrentPassword: pw, NewPassword: "a new long password"})
	require.Equal(t, http.StatusNoContent, r.status, string(r.body))
	assert.Equal(t, http.StatusOK, one.do(http.MethodGet, api.PathAuthSession, nil).status)
	assert.Equal(t, http.StatusUnauthorized, two.do(http.MethodGet, api.PathAuthSession, nil).status)
	assert.Equal(t, http.StatusUnauthorized, newBrowser(t, s).login(u.Username, pw).status)
	assert.Equal(t, http.StatusOK, newBrowser(t, s).login(u.Username, "a new long password").status)
}

// TestLogin_RevocationClosesChannels opens a session channel with a browser
// session and takes the session or the user away: the channel gets an
// ended event with the reason and closes within about a second.
func TestLogin_RevocationClosesChannels(t *testing.T) {
	onEachDatabase(t, testLoginRevocationClosesChannels)
}

func testLoginRevocationClosesChannels(t *testing.T, s *appliancetest.Server) {
	ctx := context.Background()
	admin := s.Admin
	j, err := admin.CreateJumpoint(ctx, &api.Jumpoint{Name: "Site", CodeName: uniq("site"), ProtocolTunnelEnabled: true})
	require.NoError(t, err)
	ki, err := s.App.Server.JumpointKeyInfo(j.ID)
	require.NoError(t, err)
	node, key, err := s.Enroll(t, ki, nodeFacts("browser-revoke"), agentproto.Overrides{})
	require.NoError(t, err)
	_, refused := dialNode(t, s, node.ID, key)
	require.Nil(t, refused)
	eventually(t, "the node is connected", func() bool { return len(s.App.Server.Hub.JumpointNodes(j.ID)) == 1 })
	g, err := admin.CreateJumpGroup(ctx, &api.JumpGroup{Name: "Revoke", CodeName: uniq("revoke")})
	require.NoError(t, err)
	item, err := admin.CreateProtocolTunnelJump(ctx, &api.ProtocolTunnelJump{Name: "db", JumpointID: j.ID, Hostname: "127.0.0.1",
		TunnelDefinitions: []api.TunnelDefinition{{RemotePort: 5432}}, JumpGroupID: g.ID})
	require.NoError(t, err)

	for _, tt := range []struct {
		name   string
		revoke func(t *testing.T, u *api.User, pw string, b *browser)
		reason string
	}{
		{"user disabled", func(t *testing.T, u *api.User, _ string, _ *browser) {
			_, err := admin.PatchUser(ctx, u.ID, map[string]any{"enabled": false})
			require.NoError(t, err)
		}, api.EndUserDisabled},
		{"sessions ended by an administrator", func(t *testing.T, u *api.User, _ string, _ *browser) {
			require.NoError(t, admin.EndUserBrowserSessions(ctx, u.ID))
		}, api.EndBrowserSessionEnded},
		{"password changed in another browser", func(t *testing.T, u *api.User, pw string, _ *browser) {
			other := newBrowser(t, s)
			require.Equal(t, http.StatusOK, other.login(u.Username, pw).status)
			r := other.do(http.MethodPost, api.PathAuthPassword, api.PasswordChange{CurrentPassword: pw, NewPassword: "another long password"})
			require.Equal(t, http.StatusNoContent, r.status, string(r.body))
		}, api.EndBrowserSessionEnded},
		{"password set by an administrator", func(t *testing.T, u *api.User, _ string, _ *browser) {
			_, err := admin.PatchUser(ctx, u.ID, map[string]any{"password": "set by the administrator"})
			require.NoError(t, err)
		}, api.EndBrowserSessionEnded},
		{"MFA reset", func(t *testing.T, u *api.User, _ string, _ *browser) {
			require.NoError(t, admin.ResetUserMFA(ctx, u.ID))
		}, api.EndBrowserSessionEnded},
		{"logout", func(t *testing.T, _ *api.User, _ string, b *browser) {
			require.Equal(t, http.StatusNoContent, b.do(http.MethodPost, api.PathAuthLogout, nil).status)
		}, api.EndBrowserSessionEnded},
	} {
		t.Run(tt.name, func(t *testing.T) {
			u, pw := newPasswordUser(t, s, false)
			_, err := admin.CreateGroupPolicy(ctx, &api.GroupPolicy{Name: uniq("rep"), Members: []int64{u.ID},
				JumpGroups: []api.GroupPolicyJumpGroup{{JumpGroupID: g.ID, Role: api.RoleStart}}})
			require.NoError(t, err)
			b := newBrowser(t, s)
			require.Equal(t, http.StatusOK, b.login(u.Username, pw).status)
			// An auto_end session, so that it also ends when the channel is cut.
			r := b.do(http.MethodPost, "/api/v1/"+api.PathSessions, api.SessionRequest{ItemType: api.ItemProtocolTunnelJump, ItemID: item.ID, AutoEnd: true}, "Origin", s.URL)
			require.Equal(t, http.StatusCreated, r.status, string(r.body))
			var sess api.Session
			require.NoError(t, json.Unmarshal(r.body, &sess))
			events := dialBrowserSession(t, s, b.cookie(), sess.ID)
			first := <-events
			require.Equal(t, sessionproto.EventState, first.Type)

			start := time.Now()
			tt.revoke(t, u, pw, b)
			deadline := time.After(5 * time.Second)
			var ended *sessionproto.Event
			for ended == nil {
				select {
				case ev, ok := <-events:
					require.True(t, ok, "the channel closed without an ended event")
					if ev.Type == sessionproto.EventEnded {
						ended = &ev
					}
				case <-deadline:
					t.Fatal("the channel was not cut within 5s")
				}
			}
			took := time.Since(start)
			assert.Equal(t, tt.reason, ended.EndReason)
			assert.Less(t, took, 2*time.Second, "cut within about a second (typically tens of milliseconds)")
			select {
			case _, ok := <-events:
				assert.False(t, ok, "the channel closes after the ended event")
			case <-time.After(5 * time.Second):
				t.Fatal("the channel stayed open")
			}
		})
	}
}

// dialBrowserSession opens session id's channel as a browser does: with
// the cookie and the appliance's origin.
func dialBrowserSession(t *testing.T, s *appliancetest.Server, cookie string, id int64) <-chan sessionproto.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, resp, err := websocket.Dial(ctx, strings.Replace(s.URL, "https", "wss", 1)+sessionproto.ConnectPath(id), &websocket.DialOptions{
		HTTPClient: s.HTTPClient(t), Subprotocols: []string{sessionproto.Subprotocol},
		HTTPHeader: http.Header{"Cookie": {api.SessionCookieName + "=" + cookie}, "Origin": {s.URL}},
	})
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	require.NoError(t, err)
	cfg := yamux.DefaultConfig()
	cfg.LogOutput = io.Discard
	mux, err := yamux.Client(websocket.NetConn(context.Background(), ws, websocket.MessageBinary), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = mux.Close() })
	ctl, err := mux.Open()
	require.NoError(t, err)
	require.NoError(t, sessionproto.WriteLine(ctl, sessionproto.Open{Type: sessionproto.StreamControl}))
	events := make(chan sessionproto.Event, 16)
	go func() {
		defer close(events)
		r := bufio.NewReader(ctl)
		for {
			var ev sessionproto.Event
			if err := sessionproto.ReadLine(r, &ev); err != nil {
				return
			}
			events <- ev
		}
	}()
	return events
}

// TestLogin_ConsoleSettings: the console settings take effect at once:
// trusted origins may send state-changing requests and open WebSockets
// with the cookie, mfa_required holds every user to enrollment, and the
// idle timeout is the settings'.
func TestLogin_ConsoleSettings(t *testing.T) {
	clk := &clock{}
	s := appliancetest.NewServer(t, appliancetest.WithLoginClock(clk.Now))
	ctx := context.Background()
	u, pw := newPasswordUser(t, s, true)
	b := newBrowser(t, s)
	require.Equal(t, http.StatusOK, b.login(u.Username, pw).status)
	proxy := []string{"Origin", "https://console.example.com", "Sec-Fetch-Site", "cross-site"}
	upgrade := []string{"Connection", "Upgrade", "Upgrade", "websocket", "Sec-WebSocket-Version", "13",
		"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==", "Origin", "https://console.example.com"}
	path := "/api/v1/" + api.PathJumpGroups

	require.Equal(t, http.StatusForbidden, b.do(http.MethodPost, path, newJumpGroup(), proxy...).status, "not trusted yet")
	require.Equal(t, http.StatusForbidden, b.do(http.MethodGet, sessionproto.ConnectPath(999999), nil, upgrade...).status)
	_, err := s.Admin.PatchConsoleSettings(ctx, map[string]any{"trusted_origins": []string{"https://console.example.com"}})
	require.NoError(t, err)
	r := b.do(http.MethodPost, path, newJumpGroup(), proxy...)
	assert.Equal(t, http.StatusCreated, r.status, "a trusted origin: %s", r.body)
	r = b.do(http.MethodGet, sessionproto.ConnectPath(999999), nil, upgrade...)
	assert.Equal(t, http.StatusNotFound, r.status, "a trusted origin's upgrade passes the check: %s", r.body)
	assert.Equal(t, http.StatusForbidden, b.do(http.MethodPost, path, newJumpGroup(), "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site").status)

	_, err = s.Admin.PatchConsoleSettings(ctx, map[string]any{"mfa_required": true})
	require.NoError(t, err)
	r = b.do(http.MethodGet, path, nil)
	assert.Equal(t, http.StatusForbidden, r.status, "everyone must enroll: %s", r.body)
	_, err = s.Admin.ListJumpGroups(ctx, nil)
	assert.NoError(t, err, "API tokens are not held to it")
	_, err = s.Admin.PatchConsoleSettings(ctx, map[string]any{"mfa_required": false, "session_idle_timeout_minutes": 5})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, b.do(http.MethodGet, path, nil).status)
	clk.Advance(6 * time.Minute)
	r = b.do(http.MethodGet, path, nil)
	assert.Equal(t, http.StatusUnauthorized, r.status, "idle past the settings' 5 minutes: %s", r.body)
}

// TestLogin_EndedSessionClosesLiveStream: the live status stream a browser
// session opened closes, with stream.closed, within about a second of the
// session ending.
func TestLogin_EndedSessionClosesLiveStream(t *testing.T) {
	s := appliancetest.NewServer(t)
	u, pw := newPasswordUser(t, s, false)
	for _, tt := range []struct {
		name string
		end  func(t *testing.T, b *browser)
	}{
		{"logout", func(t *testing.T, b *browser) {
			require.Equal(t, http.StatusNoContent, b.do(http.MethodPost, api.PathAuthLogout, nil).status)
		}},
		{"sessions ended by an administrator", func(t *testing.T, _ *browser) {
			require.NoError(t, s.Admin.EndUserBrowserSessions(context.Background(), u.ID))
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := newBrowser(t, s)
			require.Equal(t, http.StatusOK, b.login(u.Username, pw).status)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/api/v1/events", nil)
			require.NoError(t, err)
			resp, err := b.c.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode)
			lines := make(chan string, 64)
			go func() {
				defer close(lines)
				sc := bufio.NewScanner(resp.Body)
				for sc.Scan() {
					lines <- sc.Text()
				}
			}()
			start := time.Now()
			tt.end(t, b)
			closed := false
			for line := range lines {
				if strings.Contains(line, api.EventStreamClosed) {
					closed = true
				}
			}
			assert.True(t, closed, "a stream.closed event before the end")
			assert.Less(t, time.Since(start), 2*time.Second, "closed within about a second")
		})
	}
}
