package api

import "time"

// Jump Item types, the item_type of a session.
const (
	ItemJumpClient         = "jump_client"
	ItemProtocolTunnelJump = "protocol_tunnel_jump"
	// ItemCustomerClient is an attended session with a customer client
	// that joined with a one-time access code (no installed agent).
	ItemCustomerClient = "customer_client"
)

// Session connection modes.
const (
	// ModeUnattended (JumpCloud's "silent assist"): no prompt. For a Jump
	// Client it needs the organisation-wide unattended_sessions_allowed.
	ModeUnattended = "unattended"
	// ModeConsent: the end user is prompted on the endpoint.
	ModeConsent = "consent"
	// ModeAccessCode: the end user joined with a one-time access code.
	ModeAccessCode = "access_code"
)

// Session states.
const (
	SessionRefused   = "refused"
	SessionPrompting = "prompting"
	SessionActive    = "active"
	SessionEnded     = "ended"
)

// Refusal reasons: the "reason" member of a 403 session-refused problem and
// a refused session's refused_reason.
const (
	RefusedNoAccess            = "no_access"        // no role that may start sessions on the item
	RefusedItemNotFound        = "item_not_found"   // no such item, or not visible (answered 404, not 403)
	RefusedOutsideSchedule     = "outside_schedule" // the Jump Policy's schedule does not allow now
	RefusedPolicyExpired       = "policy_expired"   // the Jump Policy's expires_at has passed
	RefusedSimultaneous        = "simultaneous_disallowed"
	RefusedApprovalRequired    = "approval_required"    // a pending approval request was made; see approval_id
	RefusedTicketRequired      = "ticket_required"      // the Jump Policy needs a ticket_id
	RefusedTicketRejected      = "ticket_rejected"      // the ticket webhook said no
	RefusedTicketCheckFailed   = "ticket_check_failed"  // the ticket webhook could not be asked (fails closed)
	RefusedUnattendedDisabled  = "unattended_disabled"  // unattended_sessions_allowed is off
	RefusedConsentRequired     = "consent_required"     // mode unattended asked, but the policy prompts
	RefusedPermission          = "permission_denied"    // the session policy grants nothing usable
	RefusedEndpointOffline     = "endpoint_offline"     // the Jump Client (or every Jumpoint node) is not connected
	RefusedJumpointUnavailable = "jumpoint_unavailable" // the Jumpoint is disabled or not enabled for tunnels
	RefusedConsentRejected     = "consent_rejected"     // the end user said no
	RefusedConsentTimedOut     = "consent_timed_out"    // nobody answered and on_timeout is deny
)

// Who or what ended a session (Session.EndedBy is a username, or one of
// these).
const (
	EndedByEndUser = "end_user"
	EndedBySystem  = "system"
)

// Why a session ended (Session.EndReason).
const (
	EndUser           = "ended_by_user"       // a representative or an admin ended it
	EndEndUser        = "ended_by_end_user"   // the end user ended it on the endpoint
	EndMaxDuration    = "max_duration"        // max_session_minutes reached
	EndScheduleEnd    = "schedule_end"        // a strict Jump Policy schedule window closed
	EndIdle           = "idle_timeout"        // idle_timeout_minutes without an open stream
	EndDisconnected   = "client_disconnected" // the representative's CLI went away (auto_end sessions)
	EndEndpointGone   = "endpoint_disconnected"
	EndItemDeleted    = "item_deleted"
	EndApplianceStop  = "appliance_stopped"
	EndRecordingError = "recording_failed"

	// Revocation: the credential or the access a session relied on went
	// away while it ran. These also end a single participant's part in a
	// session that others joined (audited as session.participant_removed),
	// and a session channel whose token went away (session.channel_closed).
	EndTokenRevoked  = "token_revoked"  // the API token the channel was opened with was deleted
	EndTokenExpired  = "token_expired"  // that token's expires_at passed
	EndUserDisabled  = "user_disabled"  // the participant's user was disabled
	EndUserDeleted   = "user_deleted"   // the participant's user was deleted
	EndAccessRemoved = "access_removed" // no role of start or edit on the item any more (membership, group policy, administrator flag, item moved)
	EndPolicyChanged = "policy_changed" // the Jump Policy that now applies no longer allows the session (a strict schedule outside its window)
	EndPolicyExpired = "policy_expired" // the Jump Policy that applies passed its expires_at
)

// EndBrowserSessionEnded is the revocation reason of a session channel
// opened with a browser session that ended: logout, expiry, a new password,
// an MFA reset or an administrator ending the user's browser sessions.
const EndBrowserSessionEnded = "browser_session_ended"

// SessionRequest starts a session: POST /api/v1/sessions.
type SessionRequest struct {
	// ItemType is jump_client or protocol_tunnel_jump.
	ItemType string `json:"item_type" validate:"required,oneof=jump_client protocol_tunnel_jump"`
	// ItemID is the Jump Item's id.
	ItemID int64 `json:"item_id" validate:"required,gte=1"`
	// Mode is "" (the session policy decides), unattended (refused when
	// the policy prompts) or consent (prompt even if the policy would not).
	Mode string `json:"mode" validate:"omitempty,oneof=unattended consent"`
	// TicketID is checked against the Jump Policy's ticket webhook.
	TicketID string `json:"ticket_id" validate:"max=256"`
	// Reason is free text kept with the session and shown to approvers.
	Reason string `json:"reason" validate:"max=1024"`
	// AutoEnd ends the session when the requester's last session channel
	// (GET /api/v1/sessions/{id}/connect) closes; the CLI sets it.
	AutoEnd bool `json:"auto_end"`
}

// Session is one representative's (or several joined representatives')
// access to one Jump Item.
type Session struct {
	ID       int64  `json:"id"`
	ItemType string `json:"item_type"`
	ItemID   int64  `json:"item_id"`
	ItemName string `json:"item_name"`
	// UserID and Username are the representative who requested it.
	UserID   int64  `json:"user_id"`
	Username string `json:"username"`
	// Mode is unattended, consent or access_code.
	Mode string `json:"mode"`
	// Status is refused, prompting, active or ended.
	Status string `json:"status"`
	// RefusedReason is the reason code of a refused session.
	RefusedReason string `json:"refused_reason,omitempty"`
	// Detail explains a refusal or an end in words.
	Detail   string `json:"detail,omitempty"`
	TicketID string `json:"ticket_id,omitempty"`
	Reason   string `json:"reason,omitempty"`
	// JumpPolicyID is the Jump Policy applied; nil when none.
	JumpPolicyID *int64 `json:"jump_policy_id,omitempty"`
	// SessionPolicyID is the session policy applied; nil means the
	// built-in default policy.
	SessionPolicyID *int64 `json:"session_policy_id,omitempty"`
	// Permissions are the effective permissions, fixed at start.
	Permissions SessionPermissions `json:"permissions"`
	// CustomerPresent is the presence the Jump Client reported at start,
	// which chose the session policy; nil for other items.
	CustomerPresent *bool `json:"customer_present,omitempty"`
	// Recording tells whether shell streams are recorded.
	Recording bool `json:"recording"`
	// ControlRevoked is set while the end user has revoked control.
	ControlRevoked bool `json:"control_revoked"`
	// CustomerName is the name an access-code customer gave.
	CustomerName string `json:"customer_name,omitempty"`
	AutoEnd      bool   `json:"auto_end"`

	RequestedAt time.Time  `json:"requested_at"`
	StartedAt   *time.Time `json:"started_at,omitempty"`
	// EndsAt is the hard end: max_session_minutes or a strict schedule's
	// window end, whichever is first.
	EndsAt *time.Time `json:"ends_at,omitempty"`
	// PromptExpiresAt is when an unanswered consent prompt times out, for
	// prompting sessions.
	PromptExpiresAt *time.Time `json:"prompt_expires_at,omitempty"`
	// RemainingSeconds is the time left until EndsAt, for active sessions.
	RemainingSeconds *int64     `json:"remaining_seconds,omitempty"`
	EndedAt          *time.Time `json:"ended_at,omitempty"`
	// EndedBy is the username that ended the session, end_user or system.
	EndedBy   string `json:"ended_by,omitempty"`
	EndReason string `json:"end_reason,omitempty"`

	Participants []SessionParticipant `json:"participants"`
	// Tunnels are per-tunnel network statistics (live while active).
	Tunnels []TunnelStats `json:"tunnels"`
	// Recordings are the session's recordings.
	Recordings []Recording `json:"recordings"`
	// Rating and Feedback are the end-of-session survey, when given.
	Rating   *int   `json:"rating,omitempty"`
	Feedback string `json:"feedback,omitempty"`
}

// SessionParticipant is a representative in a session.
type SessionParticipant struct {
	UserID   int64      `json:"user_id"`
	Username string     `json:"username"`
	JoinedAt time.Time  `json:"joined_at"`
	LeftAt   *time.Time `json:"left_at,omitempty"`
}

// TunnelStats are the network statistics of one tunnel (one remote port)
// of a session.
type TunnelStats struct {
	// Host is the target the far end dials (the item's hostname, or
	// localhost for a Jump Client).
	Host       string `json:"host"`
	RemotePort int    `json:"remote_port"`
	// ConnectionsOpen is how many connections are open now.
	ConnectionsOpen int `json:"connections_open"`
	// ConnectionsTotal counts accepted connections.
	ConnectionsTotal int64 `json:"connections_total"`
	// ConnectionsRefused counts connections refused (limit, far end).
	ConnectionsRefused int64 `json:"connections_refused"`
	// BytesIn went from the target to the representative; BytesOut the
	// other way.
	BytesIn  int64 `json:"bytes_in"`
	BytesOut int64 `json:"bytes_out"`
}

// MaxTunnelConnections is the most tunnel connections one session may have
// open at once.
const MaxTunnelConnections = 256

// MaxChannelStreams is how many feature streams one session channel may
// have open at once: every tunnel connection of a session and a few
// shells, execs and transfers beside them. The appliance takes no further
// stream of the channel until one closes (the client's multiplexer resets
// those it cannot queue).
const MaxChannelStreams = MaxTunnelConnections + 32

// MaxUserStreams is how many feature streams one user may have open at
// once over all their session channels; streams past it are refused
// (limit_reached).
const MaxUserStreams = 2 * MaxChannelStreams

// MaxUserChannels is how many session channels one user may have open at
// once; a further connect is refused with 429.
const MaxUserChannels = 64

// Recording kinds.
const (
	// RecordingShell is an asciicast v2 file of one shell stream.
	RecordingShell = "shell"
	// RecordingTunnelLog is a JSON-lines log of a session's tunnel
	// connections.
	RecordingTunnelLog = "tunnel_log"
)

// Recording is one recorded stream of a session.
type Recording struct {
	ID        int64      `json:"id"`
	SessionID int64      `json:"session_id"`
	Kind      string     `json:"kind"`
	FileName  string     `json:"file_name"`
	StartedAt time.Time  `json:"started_at"`
	EndedAt   *time.Time `json:"ended_at,omitempty"`
	Size      int64      `json:"size"`
	// SHA256 is the hex SHA-256 of the finished file.
	SHA256 string `json:"sha256,omitempty"`
}

// SessionEnd is the body of POST /api/v1/sessions/{id}/end.
type SessionEnd struct {
	Reason string `json:"reason" validate:"max=1024"`
}

// SessionFeedback is the optional end-of-session survey:
// POST /api/v1/sessions/{id}/feedback.
type SessionFeedback struct {
	Rating   int    `json:"rating" validate:"required,gte=1,lte=5"`
	Feedback string `json:"feedback" validate:"max=4096"`
}

// Approval states.
const (
	ApprovalPending = "pending"
	ApprovalGranted = "granted"
	ApprovalDenied  = "denied"
	ApprovalExpired = "expired"
)

// Approval is a request to use a Jump Item under a Jump Policy that needs
// approval, and its answer. A session request refused with reason
// approval_required makes one (or names the pending one).
type Approval struct {
	ID           int64  `json:"id"`
	ItemType     string `json:"item_type"`
	ItemID       int64  `json:"item_id"`
	ItemName     string `json:"item_name"`
	JumpPolicyID int64  `json:"jump_policy_id"`
	// UserID and Username are the requester.
	UserID   int64  `json:"user_id"`
	Username string `json:"username"`
	Reason   string `json:"reason,omitempty"`
	// Status is pending, granted, denied or expired.
	Status      string     `json:"status"`
	RequestedAt time.Time  `json:"requested_at"`
	DecidedAt   *time.Time `json:"decided_at,omitempty"`
	DecidedBy   string     `json:"decided_by,omitempty"`
	Comment     string     `json:"comment,omitempty"`
	// ExpiresAt ends a granted approval (and a pending request, after a
	// day).
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// ApprovalDecision grants or denies an approval:
// POST /api/v1/approvals/{id}/grant and /deny.
type ApprovalDecision struct {
	// DurationMinutes is how long a grant lasts; 0 means the Jump
	// Policy's approval_max_duration (default 60). Capped by it.
	DurationMinutes int    `json:"duration_minutes" validate:"gte=0,lte=43200"`
	Comment         string `json:"comment" validate:"max=1024"`
}

// AccessCodeValidity is how long a one-time access code is valid: 5 minutes.
const AccessCodeValidity = 5 * time.Minute

// Access code states.
const (
	CodePending = "pending"
	CodeUsed    = "used"
	CodeExpired = "expired"
)

// AccessCode is a one-time access code: POST /api/v1/access-codes makes
// one for the caller; a customer joins with it once, within 5 minutes.
type AccessCode struct {
	ID int64 `json:"id"`
	// Code is shown once, in the answer to the create.
	Code string `json:"code,omitempty"`
	// SessionPolicyID is the policy of the session; nil uses the default
	// public portal's, then the built-in default.
	SessionPolicyID *int64 `json:"session_policy_id,omitempty" validate:"omitempty,gte=1"`
	// Comment is free text.
	Comment   string    `json:"comment" validate:"max=1024"`
	UserID    int64     `json:"user_id"`
	Username  string    `json:"username"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	// Status is pending, used or expired.
	Status string `json:"status"`
	// SessionID is the session the code started, once used.
	SessionID *int64 `json:"session_id,omitempty"`
	// JoinCommand is what the end user runs (shown once, with Code).
	JoinCommand string `json:"join_command,omitempty"`
}
