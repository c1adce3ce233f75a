package api

import "time"

// Limits of browser sign-in besides those of types_console.go.
const (
	// LoginFailuresPerAddress failed logins from one client address within
	// LoginFailureWindowMinutes answer 429 to every login from it, whatever
	// the user, until the oldest failure leaves the window.
	LoginFailuresPerAddress = 20
	// LoginFailureWindowMinutes is the window of LoginFailuresPerUser and
	// LoginFailuresPerAddress.
	LoginFailureWindowMinutes = 15
)

// ProblemMFARequired is the type of the 401 that answers a login with the
// right password but no (or a wrong) TOTP or recovery code, for a user who
// has enrolled TOTP: the console asks for the code and sends the login again.
const ProblemMFARequired = ProblemTypeBase + "mfa-required"

// BrowserSession is one of the caller's browser sessions
// (GET /api/v1/auth/sessions).
type BrowserSession struct {
	ID int64 `json:"id"`
	// CreatedAt is the sign-in; LastSeenAt the last request (kept to about
	// 30 seconds).
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	// ExpiresAt ends the session however busy; IdleExpiresAt ends it if no
	// request comes first.
	ExpiresAt     time.Time `json:"expires_at"`
	IdleExpiresAt time.Time `json:"idle_expires_at"`
	// RemoteAddr and UserAgent are the client's at sign-in.
	RemoteAddr string `json:"remote_addr"`
	UserAgent  string `json:"user_agent"`
	// Current marks the session the request came with.
	Current bool `json:"current"`
}

// MFADisable turns off the caller's own TOTP (POST /api/v1/auth/mfa/disable):
// the password and a current code, or a recovery code instead of the code.
// An administrator resets another user's MFA with
// DELETE /api/v1/users/{id}/mfa.
type MFADisable struct {
	Password     string `json:"password" validate:"required,max=256"`
	Code         string `json:"code,omitempty" validate:"omitempty,len=6,digits"`
	RecoveryCode string `json:"recovery_code,omitempty" validate:"omitempty,max=64"`
}
