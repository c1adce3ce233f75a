// Package agentproto defines the wire protocol between jumpgate-agent (Jump
// Clients and Jumpoint nodes) and the appliance, and the installer trailer
// that generated installers carry. It depends on the standard library only,
// so the agent and the appliance share one definition.
//
// # Enrollment
//
// An agent enrolls once, over HTTPS, before it has an identity:
//
//	POST /agent/v1/enroll   EnrollRequest → 201 EnrollResponse | problem+json
//
// The request carries the installer's signed key info, the agent's own
// Ed25519 public key (made at install and never sent anywhere else), the
// overrides asked for at install, and the host's facts. The appliance
// verifies the key info (signature, expiry), re-checks the installer's
// current expiry and allow_override_* flags in its database, resolves the
// overrides, and stores the public key. The private key never leaves the
// endpoint; from then on the agent proves its identity by signing.
//
// # Connection
//
// Every later contact is one WebSocket, subprotocol "jumpgate-agent.v1":
//
//	GET /agent/v1/connect   (Upgrade: websocket)
//
//	appliance → agent   text   Hello{nonce, server_time}
//	agent → appliance   text   Auth{kind, id, intent, signature over AuthMessage(nonce, kind, id, intent), version, facts}
//	appliance → agent   text   Welcome{config, upgrade} | Refused{code, message, retry_after_seconds}
//	both                binary yamux session (the agent is the yamux client)
//
// After Welcome the WebSocket carries binary frames only, each a chunk of a
// yamux session. Every yamux stream, whichever side opens it, starts with
// one StreamHeader naming what it carries, framed as
//
//	StreamHeader JSON '\n'   at most MaxStreamHeader bytes before the '\n'
//	body                     the stream type's own bytes, up to the stream's end
//
// (WriteStreamHeader and ReadStreamHeader; the reader consumes nothing past
// the '\n', so the body is the rest of the stream). The agent opens the
// first stream, the control stream, with StreamHeader{type: "control"};
// both sides then exchange newline-delimited Control messages on it. The
// agent opens "build" streams to download an upgrade; the appliance opens
// "session" streams, whose header carries the session's sessionproto.Open
// and whose body is that session stream (see sessionproto). The agent sends
// yamux keepalives every KeepAliveInterval; the appliance closes a
// connection it has heard nothing from for IdleTimeout.
//
// Intents: "run" holds the connection (an active client, or a Jumpoint
// node); "check_in" is a standby client's periodic visit, which reports and
// takes pending commands, then closes; "uninstall" tells the appliance that
// the endpoint is uninstalling the client and is refused with code
// "uninstall_restricted" when restrict_local_uninstall is set. An uninstall
// is one-shot: the appliance records it, answers Welcome and closes the
// WebSocket; no yamux session follows.
//
// A Refused with code "deleted" means the appliance deleted this identity
// (or replaced it on a reinstall): the agent uninstalls itself. Code "busy"
// (the admission limiter) asks the agent to retry after the given delay.
package agentproto

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/sessionproto"
)

// Subprotocol is the WebSocket subprotocol of the agent connection.
const Subprotocol = "jumpgate-agent.v1"

// Paths of the agent endpoints on the appliance.
const (
	PathEnroll  = "/agent/v1/enroll"
	PathConnect = "/agent/v1/connect"
)

// Timings shared by both ends.
const (
	// KeepAliveInterval is how often the agent sends a yamux ping.
	KeepAliveInterval = 30 * time.Second
	// IdleTimeout closes a connection silent for this long.
	IdleTimeout = 100 * time.Second
	// HandshakeTimeout bounds Hello → Welcome.
	HandshakeTimeout = 15 * time.Second
	// MaxMessage bounds one WebSocket message in either direction.
	MaxMessage = 1 << 20
)

// Kinds of agent identity.
const (
	KindJumpClient = "jump_client"
	KindJumpoint   = "jumpoint"
	// KindCustomer is a customer client (`jumpgate-agent join`): no
	// identity, it authenticates with a one-time access code (Auth.Code)
	// and intent join, and its connection lives as long as its session.
	KindCustomer = "customer"
)

// Intents of a connection.
const (
	IntentRun       = "run"
	IntentCheckIn   = "check_in"
	IntentUninstall = "uninstall"
	// IntentJoin: a customer client joins a session with an access code.
	IntentJoin = "join"
)

// Refusal codes.
const (
	// RefusedDeleted: the identity was deleted or replaced; uninstall.
	RefusedDeleted = "deleted"
	// RefusedUnauthorized: the signature or identity is not valid.
	RefusedUnauthorized = "unauthorized"
	// RefusedBusy: retry after RetryAfterSeconds.
	RefusedBusy = "busy"
	// RefusedUninstallRestricted: restrict_local_uninstall is set.
	RefusedUninstallRestricted = "uninstall_restricted"
	// RefusedDisabled: the jumpoint is disabled; retry later.
	RefusedDisabled = "disabled"
	// RefusedCode: the access code is unknown, used or expired.
	RefusedCode = "code_invalid"
)

// Facts describe the host an agent runs on. Every field is best effort and
// empty when unknown.
type Facts struct {
	// HostID identifies the machine across reinstalls: /etc/machine-id,
	// IOPlatformUUID or MachineGuid, else a hash of host name and MAC.
	HostID   string `json:"host_id"`
	Hostname string `json:"hostname"`
	FQDN     string `json:"fqdn"`
	// OS is a human description ("Debian GNU/Linux 12 (bookworm)").
	OS string `json:"os"`
	// Platform is one of api.Platforms.
	Platform       string `json:"platform"`
	PrivateIP      string `json:"private_ip"`
	MACAddress     string `json:"mac_address"`
	DefaultGateway string `json:"default_gateway"`
	ConsoleUser    string `json:"console_user"`
	// InstallMode is "service" (system scope) or "user".
	InstallMode string `json:"install_mode"`
	// User is the account the agent runs as.
	User string `json:"user"`
	// Headless is set when installed with --headless (no one to prompt).
	Headless bool `json:"headless,omitempty"`
}

// Overrides are the installation's --jc-* / JC_* values, by the
// allow_override_<field> name they need. Only fields that were given are set.
type Overrides struct {
	Name *string `json:"name,omitempty"`
	// JumpGroup is "jumpgroup:<code-name>" or "user:<username>".
	JumpGroup *string `json:"jump_group,omitempty"`
	// PublicSiteAddress is a public portal's host name.
	PublicSiteAddress       *string `json:"public_site_address,omitempty"`
	SessionPolicyPresent    *string `json:"session_policy_present,omitempty"`
	SessionPolicyNotPresent *string `json:"session_policy_not_present,omitempty"`
	SupportButtonProfile    *string `json:"support_button_profile,omitempty"`
	// SupportButtonDirectQueue is "team:<code-name>".
	SupportButtonDirectQueue *string `json:"support_button_direct_queue,omitempty"`
	JumpPolicy               *string `json:"jump_policy,omitempty"`
	Tag                      *string `json:"tag,omitempty"`
	Comments                 *string `json:"comments,omitempty"`
	MaxOfflineMinutes        *int    `json:"max_offline_minutes,omitempty"`
}

// Needs returns the allow_override_<field> names the set overrides need, in
// a fixed order.
func (o *Overrides) Needs() []string {
	var n []string
	add := func(set bool, field string) {
		if set {
			n = append(n, field)
		}
	}
	add(o.Name != nil, "name")
	add(o.JumpGroup != nil, "jump_group")
	add(o.PublicSiteAddress != nil, "public_portal")
	add(o.SessionPolicyPresent != nil, "attended_session_policy")
	add(o.SessionPolicyNotPresent != nil, "unattended_session_policy")
	add(o.SupportButtonProfile != nil, "support_button_profile")
	add(o.SupportButtonDirectQueue != nil, "support_button_direct_queue")
	add(o.JumpPolicy != nil, "jump_policy")
	add(o.Tag != nil, "tag")
	add(o.Comments != nil, "comments")
	add(o.MaxOfflineMinutes != nil, "max_offline_minutes")
	return n
}

// EnrollRequest is the body of POST /agent/v1/enroll.
type EnrollRequest struct {
	// KeyInfo is the installer's signed key info.
	KeyInfo string `json:"key_info"`
	// PublicKey is the agent's Ed25519 public key (32 bytes, base64 in JSON).
	PublicKey []byte `json:"public_key"`
	// Overrides asked for at install; a Jumpoint enrollment sends none.
	Overrides Overrides `json:"overrides"`
	// Facts about the host.
	Facts Facts `json:"facts"`
	// Version is the agent's version.
	Version string `json:"version"`
	// Replaces, when set, proves that this enrollment reinstalls an agent
	// already enrolled on this machine: it is signed with that agent's
	// key, found in its install. Without it, the appliance never re-binds
	// an existing client or node to the new key (see Replaces).
	Replaces *Replaces `json:"replaces,omitempty"`
}

// Replaces is a reinstall's proof of its predecessor. An enrollment whose
// host already has a client (same host id, install mode and user) or node
// (same jumpoint and host id) re-binds that identity to the new key only if
// the identity is not connected and either this proof verifies against its
// current public key or (a Jump Client) its agent reported its own
// uninstall. Anything else is refused: an administrator deletes the old
// identity first. Host ids are no secret (a machine id, shown in the nodes
// list), so they never decide a re-bind alone.
//
// Signing the new public key makes a captured proof useless to anyone who
// does not hold the new private key; SignedAt bounds its life to
// MaxReplaceSkew either side of the appliance's clock.
type Replaces struct {
	// Kind is jump_client or jumpoint.
	Kind string `json:"kind"`
	// ID is the predecessor's Jump Client id or Jumpoint node id.
	ID int64 `json:"id"`
	// SignedAt is when the proof was made.
	SignedAt time.Time `json:"signed_at"`
	// Signature is ed25519.Sign(predecessor's key,
	// ReplaceMessage(kind, id, new public key, signed_at)).
	Signature []byte `json:"signature"`
}

// ReplaceConnected is in the detail of the 409 that refuses an enrollment
// because the identity it would replace is connected now: an agent that
// has just stopped its predecessor retries it for a moment.
const ReplaceConnected = "is connected now"

// MaxReplaceSkew is how far a Replaces' SignedAt may be from the
// appliance's clock.
const MaxReplaceSkew = 10 * time.Minute

// ReplaceMessage is the byte string a predecessor's key signs to hand its
// identity (kind, id) over to newKey.
func ReplaceMessage(kind string, id int64, newKey []byte, signedAt time.Time) []byte {
	m := []byte("jumpgate-agent-replace-v1\n")
	m = append(m, kind...)
	m = append(m, '\n')
	m = strconv.AppendInt(m, id, 10)
	m = append(m, '\n')
	m = append(m, signedAt.UTC().Format(time.RFC3339Nano)...)
	m = append(m, '\n')
	m = append(m, newKey...)
	return m
}

// SignReplaces makes the proof that the agent holding old hands (kind, id)
// over to newKey, at now.
func SignReplaces(old ed25519.PrivateKey, kind string, id int64, newKey []byte, now time.Time) *Replaces {
	at := now.UTC().Truncate(time.Millisecond)
	return &Replaces{Kind: kind, ID: id, SignedAt: at, Signature: ed25519.Sign(old, ReplaceMessage(kind, id, newKey, at))}
}

// Verify reports whether r proves, at now, that the holder of the key
// stored for (kind, id) handed it over to newKey.
func (r *Replaces) Verify(kind string, id int64, stored, newKey []byte, now time.Time) bool {
	if r == nil || r.Kind != kind || r.ID != id || len(stored) != ed25519.PublicKeySize {
		return false
	}
	if d := now.Sub(r.SignedAt); d > MaxReplaceSkew || d < -MaxReplaceSkew {
		return false
	}
	return ed25519.Verify(stored, ReplaceMessage(kind, id, newKey, r.SignedAt), r.Signature)
}

// EnrollResponse answers a successful enrollment.
type EnrollResponse struct {
	// Kind is jump_client or jumpoint.
	Kind string `json:"kind"`
	// ID is the Jump Client id or the Jumpoint node id; the agent
	// authenticates as (Kind, ID) from now on.
	ID int64 `json:"id"`
	// Name is the client's (or jumpoint's) name.
	Name string `json:"name"`
	// Rebound is true when an existing client (or node) of this host was
	// re-bound to the new key instead of a new one being made.
	Rebound bool `json:"rebound"`
	// Config is the agent's configuration now.
	Config Config `json:"config"`
}

// Config is what the appliance tells an agent about how to behave. The agent
// caches it, so that it applies while the appliance is unreachable.
type Config struct {
	// Name is the client's display name.
	Name string `json:"name"`
	// ConnectionType is active or standby.
	ConnectionType string `json:"connection_type"`
	// StandbyCheckInMinutes is how often a standby client checks in.
	StandbyCheckInMinutes int `json:"standby_check_in_minutes"`
	// Statistics to report: any of cpu, console_user, disk, screen, uptime.
	Statistics []string `json:"statistics"`
	// StatisticsIntervalSeconds is how often to report.
	StatisticsIntervalSeconds int `json:"statistics_interval_seconds"`
	// RestrictLocalUninstall refuses `uninstall` run on the endpoint.
	RestrictLocalUninstall bool `json:"restrict_local_uninstall"`
	// UninstallAfterOfflineMinutes: the agent uninstalls itself after this
	// long without reaching the appliance (max_offline_minutes, else
	// deleted_after_days); 0 never.
	UninstallAfterOfflineMinutes int `json:"uninstall_after_offline_minutes"`
	// Tunnels are a Jumpoint node's Protocol Tunnel Jumps: the only
	// host:port pairs it dials. A tunnel stream for anything else is
	// refused by the node, whatever the appliance asked.
	Tunnels []TunnelTarget `json:"tunnels,omitempty"`
}

// TunnelTarget is what one Protocol Tunnel Jump lets a Jumpoint dial.
type TunnelTarget struct {
	// Item is the Protocol Tunnel Jump's id.
	Item int64 `json:"item"`
	// Host is its hostname or IP address.
	Host string `json:"host"`
	// Ports are its tunnel definitions' remote ports.
	Ports []int `json:"ports"`
}

// Hello is the appliance's first message.
type Hello struct {
	// Nonce is 32 random bytes that Auth signs.
	Nonce []byte `json:"nonce"`
	// ServerTime lets an agent notice a wrong clock.
	ServerTime time.Time `json:"server_time"`
}

// Auth proves the agent's identity.
type Auth struct {
	Kind   string `json:"kind"`
	ID     int64  `json:"id"`
	Intent string `json:"intent"`
	// Signature is ed25519.Sign(key, AuthMessage(nonce, kind, id, intent)).
	Signature []byte `json:"signature"`
	// Version is the agent's version.
	Version string `json:"version"`
	// Facts are the host's facts now (they change: IP, console user).
	Facts Facts `json:"facts"`
	// Code is a customer client's one-time access code (kind customer,
	// intent join; no signature).
	Code string `json:"code,omitempty"`
	// Name is the name the customer gave.
	Name string `json:"name,omitempty"`
}

// AuthMessage is the byte string an agent signs to authenticate. Binding the
// appliance's fresh nonce makes a captured signature useless later.
func AuthMessage(nonce []byte, kind string, id int64, intent string) []byte {
	m := []byte("jumpgate-agent-auth-v1\n")
	m = append(m, nonce...)
	m = append(m, '\n')
	m = append(m, kind...)
	m = append(m, '\n')
	m = strconv.AppendInt(m, id, 10)
	m = append(m, '\n')
	m = append(m, intent...)
	return m
}

// Welcome accepts an Auth.
type Welcome struct {
	Config Config `json:"config"`
	// Session is a customer client's session (intent join).
	Session *SessionInfo `json:"session,omitempty"`
	// Upgrade, when set, is the build the agent should upgrade to.
	Upgrade *Upgrade `json:"upgrade,omitempty"`
}

// Refused refuses an Auth (or a connection before it, with code busy).
type Refused struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// RetryAfterSeconds is set with code busy and disabled.
	RetryAfterSeconds int `json:"retry_after_seconds,omitempty"`
}

// HandshakeReply is the appliance's answer to Auth: exactly one field is set.
type HandshakeReply struct {
	Welcome *Welcome `json:"welcome,omitempty"`
	Refused *Refused `json:"refused,omitempty"`
}

// Upgrade names an agent build the agent should switch to.
type Upgrade struct {
	Version  string `json:"version"`
	Platform string `json:"platform"`
	// SHA256 is the hex SHA-256 of the build.
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	// Signature is ed25519.Sign(appliance signing key, BuildMessage(...)).
	Signature []byte `json:"signature"`
}

// BuildMessage is what the appliance signs to vouch for an agent build.
func BuildMessage(platform, version, sha256hex string, size int64) []byte {
	m := []byte("jumpgate-agent-build-v1\n" + platform + "\n" + version + "\n" + sha256hex + "\n")
	return strconv.AppendInt(m, size, 10)
}

// VerifyUpgrade checks u's signature with the appliance's signing key.
func VerifyUpgrade(u *Upgrade, pub ed25519.PublicKey) bool {
	return len(pub) == ed25519.PublicKeySize && ed25519.Verify(pub, BuildMessage(u.Platform, u.Version, u.SHA256, u.Size), u.Signature)
}

// Stream types named by StreamHeader.
const (
	StreamControl = "control"
	// StreamBuild: the agent asks for the build of Platform; the appliance
	// writes exactly Upgrade.Size bytes and closes, or closes at once.
	StreamBuild = "build"
	// StreamSession: the appliance opens a session feature stream; Open
	// says which (see sessionproto). The agent answers with an Opened line.
	StreamSession = "session"
)

// StreamHeader is the first line of every yamux stream.
type StreamHeader struct {
	Type     string `json:"type"`
	Platform string `json:"platform,omitempty"`
	// Open is a session stream's request.
	Open *sessionproto.Open `json:"open,omitempty"`
}

// MaxStreamHeader bounds a StreamHeader line, not counting its '\n'. A
// session stream's header carries its sessionproto.Open, which on the agent
// leg is bounded like any line there by sessionproto.MaxLine (the appliance
// builds it from the Open a representative's client sent, itself held to
// sessionproto.MaxOpenLine, adding only the session id and a tunnel's host
// and item); the 1 KiB on top is room for the header's own fields. Control
// and build headers are a few dozen bytes. Both ends use this one limit:
// WriteStreamHeader refuses a header that ReadStreamHeader would refuse.
const MaxStreamHeader = sessionproto.MaxLine + 1<<10

// WriteStreamHeader writes h as one JSON line, in one Write. A header
// longer than MaxStreamHeader is not written; the error wraps
// sessionproto.ErrLineTooLong.
func WriteStreamHeader(w io.Writer, h StreamHeader) error {
	b, err := json.Marshal(h)
	if err != nil {
		return err
	}
	if len(b) > MaxStreamHeader {
		return fmt.Errorf("stream header: %w: %d bytes, more than %d", sessionproto.ErrLineTooLong, len(b), MaxStreamHeader)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// ReadStreamHeader reads the StreamHeader line at the start of a stream. It
// reads byte by byte, so that nothing after the '\n' is consumed: the
// stream's body follows on the same reader (yamux streams read from
// memory, so this is cheap). It returns io.EOF if r ends before the first
// byte, io.ErrUnexpectedEOF if it ends within the line, an error wrapping
// sessionproto.ErrLineTooLong after MaxStreamHeader bytes without a '\n',
// and an error for a line that is not a JSON StreamHeader.
func ReadStreamHeader(r io.Reader) (StreamHeader, error) {
	var h StreamHeader
	if err := sessionproto.ReadLineLimit(r, &h, MaxStreamHeader); err != nil {
		return StreamHeader{}, err
	}
	return h, nil
}

// Control message types.
const (
	// Agent → appliance.
	MsgReport = "report" // Report
	// Appliance → agent.
	MsgConfig    = "config"    // Config
	MsgUninstall = "uninstall" // Reason
	MsgUpgrade   = "upgrade"   // Upgrade
	MsgWake      = "wake"      // Wake
	// MsgSession tells the agent about a session on it: a consent prompt,
	// its start, changes (time left, control) and its end.
	MsgSession = "session" // Session
	// Agent → appliance, about a session.
	MsgPromptAnswer   = "prompt_answer"   // Answer
	MsgSessionControl = "session_control" // SessionControl
)

// Control is one newline-delimited JSON message on the control stream.
type Control struct {
	Type    string   `json:"type"`
	Report  *Report  `json:"report,omitempty"`
	Config  *Config  `json:"config,omitempty"`
	Upgrade *Upgrade `json:"upgrade,omitempty"`
	Wake    *Wake    `json:"wake,omitempty"`
	// Reason explains an uninstall.
	Reason string `json:"reason,omitempty"`

	Session        *SessionInfo    `json:"session,omitempty"`
	Answer         *PromptAnswer   `json:"answer,omitempty"`
	SessionControl *SessionControl `json:"session_control,omitempty"`
}

// SessionInfo is what an agent knows of a session on it. The agent keeps
// the sessions it was told about and refuses session streams of any other,
// or of an ended one, and streams its Permissions do not allow.
type SessionInfo struct {
	ID int64 `json:"id"`
	// Status is prompting, active or ended (api.Session*).
	Status string `json:"status"`
	// Mode is unattended, consent or access_code.
	Mode string `json:"mode"`
	// Representative is the display name (username) of who connects.
	Representative string `json:"representative"`
	// ItemName is the name the appliance knows this endpoint by.
	ItemName    string                 `json:"item_name,omitempty"`
	Permissions api.SessionPermissions `json:"permissions"`
	// Recording tells the end user that shells are recorded.
	Recording bool `json:"recording"`
	// EndsAt is the hard end of the session.
	EndsAt         *time.Time `json:"ends_at,omitempty"`
	ControlRevoked bool       `json:"control_revoked"`
	// Prompt is set while the end user is asked for consent.
	Prompt *Prompt `json:"prompt,omitempty"`
	// EndReason and Message explain an end or a change.
	EndReason string `json:"end_reason,omitempty"`
	Message   string `json:"message,omitempty"`
}

// Prompt asks the end user to let a representative in.
type Prompt struct {
	// ExpiresAt is when the appliance applies OnTimeout.
	ExpiresAt time.Time `json:"expires_at"`
	// OnTimeout is accept or deny.
	OnTimeout string `json:"on_timeout"`
	// Message is the question to show.
	Message string `json:"message"`
}

// PromptAnswer is the end user's answer to a Prompt.
type PromptAnswer struct {
	Session int64 `json:"session"`
	Accept  bool  `json:"accept"`
	// By names who answered at the endpoint (a local user name, or
	// "dialog").
	By string `json:"by,omitempty"`
}

// SessionControl is the end user revoking or restoring control, or ending
// the session, at the endpoint. The agent enforces it before telling the
// appliance.
type SessionControl struct {
	Session int64 `json:"session"`
	// Revoked is the control state now (when End is false).
	Revoked bool `json:"revoked"`
	// End ends the session.
	End bool `json:"end,omitempty"`
	// By names the local user.
	By string `json:"by,omitempty"`
	// Reason is the end user's words, if any.
	Reason string `json:"reason,omitempty"`
}

// Report carries statistics and presence.
type Report struct {
	// Stats holds only the statistics the config selects.
	Stats    Stats    `json:"stats"`
	Presence Presence `json:"presence"`
	// ConsoleUser is also a fact, kept current for the client list.
	ConsoleUser string `json:"console_user,omitempty"`
}

// Stats are the statistics of a report: the api type itself, so the
// appliance stores what the agent sent without a mapping.
type Stats = api.JumpClientStatistics

// Presence mirrors api.JumpClientPresence without the verdict, which the
// appliance computes from its settings.
type Presence struct {
	UserLoggedIn bool  `json:"user_logged_in"`
	ScreenLocked *bool `json:"screen_locked,omitempty"`
	ScreenSaver  *bool `json:"screen_saver,omitempty"`
}

// Wake asks an agent to broadcast a Wake-on-LAN magic packet.
type Wake struct {
	// MAC is the target's MAC address.
	MAC string `json:"mac"`
	// Password is the optional SecureOn password (6 bytes, MAC notation).
	Password string `json:"password,omitempty"`
}
