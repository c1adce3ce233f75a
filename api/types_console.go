package api

import "time"

// Paths of the browser authentication and the console settings.
const (
	PathAuthLogin        = "/api/v1/auth/login"
	PathAuthLogout       = "/api/v1/auth/logout"
	PathAuthSession      = "/api/v1/auth/session"
	PathAuthSessions     = "/api/v1/auth/sessions"
	PathAuthPassword     = "/api/v1/auth/password"
	PathAuthMFAEnroll    = "/api/v1/auth/mfa/enroll"
	PathAuthMFAConfirm   = "/api/v1/auth/mfa/confirm"
	PathAuthMFADisable   = "/api/v1/auth/mfa/disable"
	PathConsoleSettings  = "/api/v1/settings/console"
	SessionCookieName    = "__Host-jumpgate_session"
	AdminPasswordFile    = "admin-password"
	RecoveryCodeCount    = 10
	TOTPDigits           = 6
	TOTPPeriodSeconds    = 30
	MaxTrustedOrigins    = 20
	MaxLoginFieldLength  = 256
	LoginFailuresPerUser = 5
)

// ConsoleSettings are the appliance-wide settings of browser sign-in: a
// singleton, GET and PUT at /api/v1/settings/console.
type ConsoleSettings struct {
	// Version increases on every write and is sent as the ETag.
	Version int64 `json:"version" jg:"readonly"`
	// MFARequired makes every user enroll TOTP before the console opens;
	// default false. A user's own mfa_required asks it of that user alone.
	MFARequired *bool `json:"mfa_required,omitempty"`
	// SessionIdleTimeoutMinutes ends a browser session after this long
	// without a request (5–1440); default 30.
	SessionIdleTimeoutMinutes int `json:"session_idle_timeout_minutes" validate:"omitempty,gte=5,lte=1440"`
	// SessionLifetimeHours ends a browser session this long after sign-in,
	// however busy (1–720); default 12.
	SessionLifetimeHours int `json:"session_lifetime_hours" validate:"omitempty,gte=1,lte=720"`
	// TrustedOrigins are the origins (scheme://host[:port]) besides the
	// appliance's own that may send state-changing requests and open
	// WebSockets with a browser session: a reverse proxy's public origin.
	// Each is spelled as a browser sends it in the Origin header (see
	// IsOrigin: lower case, no default port, no final "/"), each once, at
	// most 20; the appliance keeps them sorted. Default none.
	TrustedOrigins []string `json:"trusted_origins" validate:"max=20,unique,dive,origin,max=2048"`
	// UpdatedAt is when the settings last changed.
	UpdatedAt time.Time `json:"updated_at" jg:"readonly"`
}

// Defaults of the console settings.
const (
	DefaultMFARequired               = false
	DefaultSessionIdleTimeoutMinutes = 30
	DefaultSessionLifetimeHours      = 12
)

// ApplyDefaults fills the empty fields of s with their defaults.
func (s *ConsoleSettings) ApplyDefaults() {
	if s.MFARequired == nil {
		s.MFARequired = Bool(DefaultMFARequired)
	}
	if s.SessionIdleTimeoutMinutes == 0 {
		s.SessionIdleTimeoutMinutes = DefaultSessionIdleTimeoutMinutes
	}
	if s.SessionLifetimeHours == 0 {
		s.SessionLifetimeHours = DefaultSessionLifetimeHours
	}
	if s.TrustedOrigins == nil {
		s.TrustedOrigins = []string{}
	}
}

// LoginRequest signs a user in to the console (POST /api/v1/auth/login).
type LoginRequest struct {
	Username string `json:"username" validate:"required,max=256"`
	Password string `json:"password" validate:"required,max=256"`
	// TOTPCode is the current 6-digit code of an enrolled user; the first
	// attempt without it answers 401 of type mfa-required.
	TOTPCode string `json:"totp_code,omitempty" validate:"omitempty,len=6,digits"`
	// RecoveryCode is one of the user's recovery codes instead of a TOTP
	// code; each works once.
	RecoveryCode string `json:"recovery_code,omitempty" validate:"omitempty,max=64"`
}

// AuthSession describes the caller's browser session
// (GET /api/v1/auth/session, and the answer of a login).
type AuthSession struct {
	User User `json:"user"`
	// MFAEnrolled tells whether the user has confirmed TOTP.
	MFAEnrolled bool `json:"mfa_enrolled"`
	// MFARequired tells whether the user must enroll before using the
	// console: the console shows only the enrollment page until then.
	MFARequired bool `json:"mfa_required"`
	// ExpiresAt is the end of the session's absolute lifetime;
	// IdleExpiresAt the end if no request comes first.
	ExpiresAt     time.Time `json:"expires_at"`
	IdleExpiresAt time.Time `json:"idle_expires_at"`
	// Bearer is true when the caller authenticated with an API token, not
	// a browser session.
	Bearer bool `json:"bearer"`
}

// MFAEnrollment is a pending TOTP enrollment
// (POST /api/v1/auth/mfa/enroll): the secret as an otpauth:// URL and a QR
// code of it. It takes effect once confirmed with a code.
type MFAEnrollment struct {
	Secret     string `json:"secret"`
	OTPAuthURL string `json:"otpauth_url"`
	// QRCodePNG is a data: URL of a PNG image of OTPAuthURL.
	QRCodePNG string `json:"qr_code_png"`
}

// MFAConfirm confirms an enrollment with a current code
// (POST /api/v1/auth/mfa/confirm).
type MFAConfirm struct {
	Code string `json:"code" validate:"required,len=6,digits"`
}

// MFARecoveryCodes are shown once, when an enrollment is confirmed; the
// appliance keeps only their hashes.
type MFARecoveryCodes struct {
	RecoveryCodes []string `json:"recovery_codes"`
}

// PasswordChange changes the caller's own password
// (POST /api/v1/auth/password); it ends the user's other browser sessions.
type PasswordChange struct {
	CurrentPassword string `json:"current_password" validate:"required,max=256"`
	NewPassword     string `json:"new_password" validate:"required,min=12,max=256"`
}
