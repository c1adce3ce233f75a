package login

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/internal/audit"
	"github.com/jumpgate/jumpgate/appliance/internal/auth"
	"github.com/jumpgate/jumpgate/appliance/internal/problem"
	"github.com/jumpgate/jumpgate/appliance/internal/resource"
	"github.com/jumpgate/jumpgate/appliance/internal/route"
	"github.com/jumpgate/jumpgate/appliance/internal/user"
)

// Audit actions (object_type "user", the user signing in or changed).
const (
	ActLogin          = "auth.login"
	ActLoginFailed    = "auth.login_failed"
	ActLogout         = "auth.logout"
	ActMFAEnroll      = "auth.mfa_enroll"
	ActMFAConfirm     = "auth.mfa_confirm"
	ActMFADisable     = "auth.mfa_disable"
	ActMFAReset       = "auth.mfa_reset"
	ActPasswordChange = "auth.password_change"
	ActSessionsEnd    = "auth.sessions_end"
)

// errBadLogin is the one answer to a wrong username, a wrong password, a
// disabled user and a user without a password.
var errBadLogin = fmt.Errorf("wrong username or password: %w", problem.ErrUnauthorized)

// anonymous is the actor of failed logins.
var anonymous = auth.Principal{Username: "anonymous"}

// Routes returns the sign-in routes.
func (s *Service) Routes() []route.Route {
	const tag = "auth"
	return []route.Route{
		{Method: http.MethodPost, Path: api.PathAuthLogin, Access: route.Public, Tag: tag, Request: api.LoginRequest{}, Response: api.AuthSession{},
			Summary: "Sign in to the console with a username, a password and, once enrolled, a TOTP or recovery code; sets the session cookie",
			Errors:  []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusTooManyRequests}, Handler: route.Handle(s.login)},
		{Method: http.MethodPost, Path: api.PathAuthLogout, Tag: tag, Status: http.StatusNoContent,
			Summary: "End the caller's browser session and clear its cookie", Handler: route.Handle(s.logout)},
		{Method: http.MethodGet, Path: api.PathAuthSession, Tag: tag, Response: api.AuthSession{},
			Summary: "The caller's user, MFA state and session expiry (bearer: true for an API token)", Handler: route.Handle(s.session)},
		{Method: http.MethodGet, Path: api.PathAuthSessions, Tag: tag, Response: api.List[api.BrowserSession]{},
			Summary: "List the caller's browser sessions", Handler: route.Handle(s.sessions)},
		{Method: http.MethodDelete, Path: api.PathAuthSessions + "/:id", Tag: tag, Status: http.StatusNoContent, Unversioned: true,
			Summary: "End one of the caller's browser sessions", Handler: route.Handle(s.endOwn)},
		{Method: http.MethodPost, Path: api.PathAuthPassword, Tag: tag, Request: api.PasswordChange{}, Status: http.StatusNoContent,
			Summary: "Change the caller's password; ends the caller's other browser sessions", Handler: route.Handle(s.password)},
		{Method: http.MethodPost, Path: api.PathAuthMFAEnroll, Tag: tag, Response: api.MFAEnrollment{}, Status: http.StatusCreated,
			Summary: "Start a TOTP enrollment: a new secret and its QR code, active once confirmed", Errors: []int{http.StatusConflict},
			Handler: route.Handle(s.enroll)},
		{Method: http.MethodPost, Path: api.PathAuthMFAConfirm, Tag: tag, Request: api.MFAConfirm{}, Response: api.MFARecoveryCodes{},
			Summary: "Confirm the TOTP enrollment with a current code; answers the recovery codes, shown only here",
			Errors:  []int{http.StatusConflict, http.StatusForbidden}, Handler: route.Handle(s.confirm)},
		{Method: http.MethodPost, Path: api.PathAuthMFADisable, Tag: tag, Request: api.MFADisable{}, Status: http.StatusNoContent,
			Summary: "Turn off the caller's TOTP with the password and a code or recovery code",
			Errors:  []int{http.StatusConflict, http.StatusForbidden}, Handler: route.Handle(s.disable)},
		{Method: http.MethodDelete, Path: "/api/v1/" + api.PathUsers + "/:id/mfa", Tag: api.PathUsers, Status: http.StatusNoContent, AdminOnly: true,
			Unversioned: true, Summary: "Reset a user's TOTP and recovery codes, and end their browser sessions", Handler: route.Handle(s.reset)},
		{Method: http.MethodDelete, Path: "/api/v1/" + api.PathUsers + "/:id/sessions", Tag: api.PathUsers, Status: http.StatusNoContent, AdminOnly: true,
			Unversioned: true, Summary: "End every browser session of a user (and the session channels opened with them)", Handler: route.Handle(s.endUser)},
	}
}

// userRow is what a login reads of a user.
type userRow struct {
	ID           int64
	Username     string
	Admin        bool
	Enabled      bool
	PasswordHash string
}

func (s *Service) findUser(ctx context.Context, tx *gorm.DB, cond string, arg any) (*userRow, error) {
	var rows []userRow
	if err := tx.WithContext(ctx).Table("users").Select("id, username, admin, enabled, password_hash").Where(cond, arg).Limit(1).Find(&rows).Error; err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return &rows[0], nil
}

// checkPassword checks pw against u's hash, or against a dummy hash when
// there is no such user or no password, so that every answer costs the
// same.
func (s *Service) checkPassword(u *userRow, pw string) bool {
	if u == nil || u.PasswordHash == "" {
		_, _ = user.CheckPassword(s.dummy, pw)
		return false
	}
	ok, err := user.CheckPassword(u.PasswordHash, pw)
	return err == nil && ok
}

func (s *Service) event(ctx context.Context, p auth.Principal, action string, uid int64, name string, details map[string]any) {
	if p.Username != "" {
		ctx = auth.WithPrincipal(ctx, p)
	}
	if err := audit.WriteEvent(ctx, s.cfg.DB.W, action, "user", uid, name, details); err != nil {
		s.cfg.Log.Error("could not audit a sign-in event", "action", action, "user", name, "err", err)
	}
}

func decode(c *gin.Context, v any) error {
	if err := resource.Decode(c.Request.Body, v); err != nil {
		return err
	}
	return resource.Validate(v)
}

func retryAfter(c *gin.Context, d time.Duration) error {
	secs := int(math.Ceil(d.Seconds()))
	c.Header("Retry-After", strconv.Itoa(secs))
	return problem.TooManyRequests("too many failed sign-ins; try again in %d seconds", secs)
}

func (s *Service) login(c *gin.Context) error {
	ctx := c.Request.Context()
	// A forged login would sign the victim's browser in as the attacker.
	if err := s.checkCrossOrigin(c.Request); err != nil {
		return err
	}
	var in api.LoginRequest
	if err := decode(c, &in); err != nil {
		return err
	}
	name, addr, now := strings.ToLower(in.Username), c.ClientIP(), s.now()
	userKey, addrKey := "u:"+name, "a:"+addr
	if d := max(s.lim.wait(userKey, api.LoginFailuresPerUser, now), s.lim.wait(addrKey, api.LoginFailuresPerAddress, now)); d > 0 {
		if s.lim.note(userKey+" "+addrKey, now) {
			s.event(ctx, anonymous, ActLoginFailed, 0, in.Username, map[string]any{"username": in.Username, "reason": "rate_limited",
				"detail": "refused logins of this username from this address are audited once a minute"})
		}
		return retryAfter(c, d)
	}
	u, err := s.findUser(ctx, s.cfg.DB.R, "LOWER(username) = ?", name)
	if err != nil {
		return err
	}
	ok := s.checkPassword(u, in.Password)
	reason := ""
	switch {
	case u == nil:
		reason = "unknown_user"
	case !ok:
		reason = "wrong_password"
	case !u.Enabled:
		reason = "user_disabled"
	}
	if reason != "" {
		s.lim.fail(now, userKey, addrKey)
		var uid int64
		if u != nil {
			uid = u.ID
		}
		s.event(ctx, anonymous, ActLoginFailed, uid, in.Username, map[string]any{"username": in.Username, "reason": reason})
		return errBadLogin
	}
	p := auth.Principal{UserID: u.ID, Username: u.Username, Admin: u.Admin}
	method := "password"
	row, secret, err := s.secretOf(ctx, s.cfg.DB.R, u.ID)
	if err != nil {
		return err
	}
	if row != nil && row.ConfirmedAt != nil {
		var good bool
		switch {
		case in.TOTPCode != "":
			method = "totp"
			good, err = s.useTOTP(ctx, s.cfg.DB.W, row, secret, in.TOTPCode)
		case in.RecoveryCode != "":
			method = "recovery_code"
			good, err = useRecoveryCode(ctx, s.cfg.DB.W, u.ID, in.RecoveryCode)
		default:
			return &problem.Typed{Type: api.ProblemMFARequired, Err: fmt.Errorf("enter the code of your authenticator app, or a recovery code: %w", problem.ErrUnauthorized)}
		}
		if err != nil {
			return err
		}
		if !good {
			s.lim.fail(now, userKey, addrKey)
			s.event(ctx, anonymous, ActLoginFailed, u.ID, u.Username, map[string]any{"username": in.Username, "reason": "wrong_" + method})
			return &problem.Typed{Type: api.ProblemMFARequired, Err: fmt.Errorf("the code is wrong or was already used: %w", problem.ErrUnauthorized)}
		}
	}
	s.lim.reset(userKey)
	// A session the browser had before signing in is not carried over.
	if ck, err := c.Request.Cookie(api.SessionCookieName); err == nil && ck.Value != "" {
		if _, err := s.deleteSessions(ctx, "hash = ?", hashOf(ck.Value)); err != nil {
			return err
		}
	}
	st := s.consoleSettings(ctx)
	_, life := lifetimes(st)
	secretValue, hash, err := newSecret()
	if err != nil {
		return err
	}
	rec := &Session{UserID: u.ID, Hash: hash, CreatedAt: now, LastSeenAt: now, RemoteAddr: clip(addr, 64), UserAgent: clip(c.Request.UserAgent(), 256)}
	err = s.cfg.DB.W.WithContext(auth.WithPrincipal(ctx, p)).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(rec).Error; err != nil {
			return err
		}
		// Past the bound, the oldest sessions end.
		var old []int64
		if err := tx.Model(&Session{}).Where("user_id = ?", u.ID).Order("id DESC").Offset(maxSessionsPerUser).Pluck("id", &old).Error; err != nil {
			return err
		}
		if len(old) > 0 {
			if err := tx.Where("id IN ?", old).Delete(&Session{}).Error; err != nil {
				return err
			}
		}
		return audit.WriteEvent(auth.WithPrincipal(ctx, p), tx, ActLogin, "user", u.ID, u.Username, map[string]any{"method": method, "browser_session_id": rec.ID})
	})
	if err != nil {
		return fmt.Errorf("create browser session: %w", err)
	}
	setCookie(c, secretValue, int(life/time.Second))
	cur := &current{row: sessionRow{ID: rec.ID, UserID: u.ID, CreatedAt: now, LastSeenAt: now, Username: u.Username, Admin: u.Admin}, settings: st}
	out, err := s.describe(ctx, p, cur)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func clip(v string, n int) string {
	if len(v) > n {
		return v[:n]
	}
	return v
}

// describe answers the AuthSession of p (cur is nil for a bearer token).
func (s *Service) describe(ctx context.Context, p auth.Principal, cur *current) (*api.AuthSession, error) {
	u, err := s.cfg.Users.Get(auth.WithPrincipal(ctx, auth.System), p.UserID)
	if err != nil {
		return nil, err
	}
	enrolled, err := s.enrolled(ctx, p.UserID)
	if err != nil {
		return nil, err
	}
	st := s.consoleSettings(ctx)
	out := &api.AuthSession{User: *u, MFAEnrolled: enrolled, MFARequired: *st.MFARequired || u.MFARequired != nil && *u.MFARequired, Bearer: cur == nil}
	if cur != nil {
		idle, life := lifetimes(st)
		out.ExpiresAt, out.IdleExpiresAt = cur.row.CreatedAt.Add(life), cur.row.LastSeenAt.Add(idle)
	}
	return out, nil
}

func currentOf(c *gin.Context) *current {
	v, _ := c.Get(currentKey)
	cur, _ := v.(*current)
	return cur
}

func (s *Service) session(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := auth.MustFromContext(ctx)
	if err != nil {
		return err
	}
	out, err := s.describe(ctx, p, currentOf(c))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (s *Service) logout(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := auth.MustFromContext(ctx)
	if err != nil {
		return err
	}
	if p.BrowserSessionID == 0 {
		return &problem.BadRequest{Detail: "logout ends a browser session; an API token ends when it is deleted (DELETE /api/v1/" + api.PathAPITokens + "/{id})"}
	}
	if _, err := s.deleteSessions(ctx, "id = ?", p.BrowserSessionID); err != nil {
		return err
	}
	s.event(ctx, p, ActLogout, p.UserID, p.Username, map[string]any{"browser_session_id": p.BrowserSessionID})
	clearCookie(c)
	c.Status(http.StatusNoContent)
	return nil
}

func (s *Service) sessions(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := auth.MustFromContext(ctx)
	if err != nil {
		return err
	}
	var rows []Session
	if err := s.cfg.DB.R.WithContext(ctx).Where("user_id = ?", p.UserID).Order("id").Find(&rows).Error; err != nil {
		return err
	}
	idle, life := lifetimes(s.consoleSettings(ctx))
	out := api.List[api.BrowserSession]{Items: make([]api.BrowserSession, 0, len(rows))}
	for _, r := range rows {
		out.Items = append(out.Items, api.BrowserSession{ID: r.ID, CreatedAt: r.CreatedAt.UTC(), LastSeenAt: r.LastSeenAt.UTC(),
			ExpiresAt: r.CreatedAt.Add(life).UTC(), IdleExpiresAt: r.LastSeenAt.Add(idle).UTC(), RemoteAddr: r.RemoteAddr, UserAgent: r.UserAgent,
			Current: r.ID == p.BrowserSessionID})
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func idParam(c *gin.Context, noun string) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, problem.NotFound("%s %q does not exist", noun, c.Param("id"))
	}
	return id, nil
}

func (s *Service) endOwn(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := auth.MustFromContext(ctx)
	if err != nil {
		return err
	}
	id, err := idParam(c, "browser session")
	if err != nil {
		return err
	}
	n, err := s.deleteSessions(ctx, "id = ? AND user_id = ?", id, p.UserID)
	if err != nil {
		return err
	}
	if n == 0 {
		return problem.NotFound("browser session %d does not exist", id)
	}
	s.event(ctx, p, ActSessionsEnd, p.UserID, p.Username, map[string]any{"browser_session_id": id})
	if id == p.BrowserSessionID {
		clearCookie(c)
	}
	c.Status(http.StatusNoContent)
	return nil
}

// ownCheck checks the caller's password and, when they have confirmed TOTP
// and code or recovery is set, that code; a failure counts as a failed
// sign-in of the user.
func (s *Service) ownCheck(ctx context.Context, p auth.Principal, pw string) (*userRow, error) {
	u, err := s.findUser(ctx, s.cfg.DB.R, "id = ?", p.UserID)
	if err != nil {
		return nil, err
	}
	key, now := "u:"+strings.ToLower(p.Username), s.now()
	if d := s.lim.wait(key, api.LoginFailuresPerUser, now); d > 0 {
		return nil, problem.TooManyRequests("too many failed attempts; try again in %d seconds", int(math.Ceil(d.Seconds())))
	}
	if !s.checkPassword(u, pw) {
		s.lim.fail(now, key)
		return nil, problem.Forbidden("the password is wrong")
	}
	return u, nil
}

func (s *Service) password(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := auth.MustFromContext(ctx)
	if err != nil {
		return err
	}
	var in api.PasswordChange
	if err := decode(c, &in); err != nil {
		return err
	}
	if _, err := s.ownCheck(ctx, p, in.CurrentPassword); err != nil {
		return err
	}
	hash, err := user.HashPassword(in.NewPassword)
	if err != nil {
		return err
	}
	var ended int64
	err = s.cfg.DB.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("UPDATE users SET password_hash = ?, version = version + 1, updated_at = ? WHERE id = ?", hash, time.Now().UTC(), p.UserID).Error; err != nil {
			return err
		}
		res := tx.Where("user_id = ? AND id <> ?", p.UserID, p.BrowserSessionID).Delete(&Session{})
		if res.Error != nil {
			return res.Error
		}
		ended = res.RowsAffected
		return audit.WriteEvent(ctx, tx, ActPasswordChange, "user", p.UserID, p.Username, map[string]any{"browser_sessions_ended": ended})
	})
	if err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	if ended > 0 {
		s.cfg.Changed()
	}
	c.Status(http.StatusNoContent)
	return nil
}

func (s *Service) enroll(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := auth.MustFromContext(ctx)
	if err != nil {
		return err
	}
	key, out, err := newEnrollment(p.Username)
	if err != nil {
		return fmt.Errorf("make a TOTP secret: %w", err)
	}
	sealed, err := s.seal.seal(p.UserID, key.Secret())
	if err != nil {
		return err
	}
	err = s.cfg.DB.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var rows []Secret
		if err := tx.Where("user_id = ?", p.UserID).Limit(1).Find(&rows).Error; err != nil {
			return err
		}
		if len(rows) > 0 && rows[0].ConfirmedAt != nil {
			return problem.Conflict("TOTP is already enrolled; turn it off first (POST %s) to enroll a new authenticator", api.PathAuthMFADisable)
		}
		if err := tx.Where("user_id = ?", p.UserID).Delete(&Secret{}).Error; err != nil {
			return err
		}
		if err := tx.Create(&Secret{UserID: p.UserID, Sealed: sealed, CreatedAt: s.now()}).Error; err != nil {
			return err
		}
		return audit.WriteEvent(ctx, tx, ActMFAEnroll, "user", p.UserID, p.Username, nil)
	})
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusCreated, out)
	return nil
}

func (s *Service) confirm(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := auth.MustFromContext(ctx)
	if err != nil {
		return err
	}
	var in api.MFAConfirm
	if err := decode(c, &in); err != nil {
		return err
	}
	codes, hashes, err := newRecoveryCodes()
	if err != nil {
		return err
	}
	err = s.cfg.DB.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		row, secret, err := s.secretOf(ctx, tx, p.UserID)
		if err != nil {
			return err
		}
		switch {
		case row == nil:
			return problem.Conflict("no TOTP enrollment is pending; start one with POST %s", api.PathAuthMFAEnroll)
		case row.ConfirmedAt != nil:
			return problem.Conflict("TOTP is already enrolled")
		}
		ok, err := s.useTOTP(ctx, tx, row, secret, in.Code)
		if err != nil {
			return err
		}
		if !ok {
			return problem.Forbidden("the code is wrong or was already used; enter the current code of your authenticator app")
		}
		now := s.now()
		if err := tx.Model(&Secret{}).Where("user_id = ?", p.UserID).Update("confirmed_at", now).Error; err != nil {
			return err
		}
		if err := tx.Where("user_id = ?", p.UserID).Delete(&RecoveryCode{}).Error; err != nil {
			return err
		}
		recs := make([]RecoveryCode, len(hashes))
		for i, h := range hashes {
			recs[i] = RecoveryCode{UserID: p.UserID, Hash: h}
		}
		if err := tx.Create(&recs).Error; err != nil {
			return err
		}
		return audit.WriteEvent(ctx, tx, ActMFAConfirm, "user", p.UserID, p.Username, nil)
	})
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, api.MFARecoveryCodes{RecoveryCodes: codes})
	return nil
}

func (s *Service) disable(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := auth.MustFromContext(ctx)
	if err != nil {
		return err
	}
	var in api.MFADisable
	if err := decode(c, &in); err != nil {
		return err
	}
	if (in.Code == "") == (in.RecoveryCode == "") {
		return problem.Field("code", "send either code (the current TOTP code) or recovery_code")
	}
	if _, err := s.ownCheck(ctx, p, in.Password); err != nil {
		return err
	}
	return s.cfg.DB.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		row, secret, err := s.secretOf(ctx, tx, p.UserID)
		if err != nil {
			return err
		}
		if row == nil || row.ConfirmedAt == nil {
			return problem.Conflict("TOTP is not enrolled")
		}
		var ok bool
		if in.Code != "" {
			ok, err = s.useTOTP(ctx, tx, row, secret, in.Code)
		} else {
			ok, err = useRecoveryCode(ctx, tx, p.UserID, in.RecoveryCode)
		}
		if err != nil {
			return err
		}
		if !ok {
			s.lim.fail(s.now(), "u:"+strings.ToLower(p.Username))
			return problem.Forbidden("the code is wrong or was already used")
		}
		if err := deleteMFA(ctx, tx, p.UserID); err != nil {
			return err
		}
		if err := audit.WriteEvent(ctx, tx, ActMFADisable, "user", p.UserID, p.Username, nil); err != nil {
			return err
		}
		c.Status(http.StatusNoContent)
		return nil
	})
}

func deleteMFA(ctx context.Context, tx *gorm.DB, uid int64) error {
	if err := tx.WithContext(ctx).Where("user_id = ?", uid).Delete(&Secret{}).Error; err != nil {
		return err
	}
	return tx.WithContext(ctx).Where("user_id = ?", uid).Delete(&RecoveryCode{}).Error
}

// adminTarget checks that the caller is an administrator and returns the
// user named by the path.
func (s *Service) adminTarget(c *gin.Context) (*userRow, error) {
	ctx := c.Request.Context()
	if err := auth.RequireAdmin(ctx); err != nil {
		return nil, err
	}
	id, err := idParam(c, "user")
	if err != nil {
		return nil, err
	}
	u, err := s.findUser(ctx, s.cfg.DB.R, "id = ?", id)
	if err != nil {
		return nil, err
	}
	if u == nil {
		return nil, problem.NotFound("user %d does not exist", id)
	}
	return u, nil
}

func (s *Service) reset(c *gin.Context) error {
	ctx := c.Request.Context()
	u, err := s.adminTarget(c)
	if err != nil {
		return err
	}
	var ended int64
	err = s.cfg.DB.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := deleteMFA(ctx, tx, u.ID); err != nil {
			return err
		}
		res := tx.Where("user_id = ?", u.ID).Delete(&Session{})
		if res.Error != nil {
			return res.Error
		}
		ended = res.RowsAffected
		return audit.WriteEvent(ctx, tx, ActMFAReset, "user", u.ID, u.Username, map[string]any{"browser_sessions_ended": ended})
	})
	if err != nil {
		return err
	}
	if ended > 0 {
		s.cfg.Changed()
	}
	c.Status(http.StatusNoContent)
	return nil
}

func (s *Service) endUser(c *gin.Context) error {
	ctx := c.Request.Context()
	u, err := s.adminTarget(c)
	if err != nil {
		return err
	}
	n, err := s.EndUserSessions(ctx, u.ID, 0)
	if err != nil {
		return err
	}
	s.event(ctx, auth.Principal{}, ActSessionsEnd, u.ID, u.Username, map[string]any{"browser_sessions_ended": n})
	c.Status(http.StatusNoContent)
	return nil
}
