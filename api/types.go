package api

import "time"

// Meta is embedded in every stored object. All of its fields are read-only:
// they are ignored in requests and set by the appliance.
type Meta struct {
	// ID identifies the object in its collection.
	ID int64 `json:"id" jg:"readonly"`
	// Version increases by one on every write; reads send it as the ETag.
	Version int64 `json:"version" jg:"readonly"`
	// CreatedAt is when the object was created.
	CreatedAt time.Time `json:"created_at" jg:"readonly"`
	// UpdatedAt is when the object was last written.
	UpdatedAt time.Time `json:"updated_at" jg:"readonly"`
}

// GetMeta returns the embedded Meta; it lets generic code reach IDs.
func (m *Meta) GetMeta() *Meta { return m }

// List is one page of a collection.
type List[T any] struct {
	// Items are the objects of this page, in ascending id order unless
	// the request chose another ?sort=.
	Items []T `json:"items"`
	// NextCursor, when not empty, fetches the next page as ?cursor=, with
	// the same filters, search and sort.
	NextCursor string `json:"next_cursor"`
	// Total is the number of objects that match the filters and the
	// search, on every page; lists that do not count omit it.
	Total *int64 `json:"total,omitempty"`
}

// Jump Item ownership kinds (jump_group_type).
const (
	// JumpGroupShared: jump_group_id names a shared Jump Group.
	JumpGroupShared = "shared"
	// JumpGroupPersonal: jump_group_id names a user whose personal list holds the item.
	JumpGroupPersonal = "personal"
)

// Roles a membership gives on the Jump Items of a Jump Group.
const (
	// RoleView lets members see the items.
	RoleView = "view"
	// RoleStart lets members see the items and start sessions on them.
	RoleStart = "start"
	// RoleEdit lets members also edit the items. Item edits by
	// non-administrators arrive with the representative console; until then
	// only administrators write configuration, whatever the role.
	RoleEdit = "edit"
)

// JumpGroup is a set of Jump Items shared by its members.
type JumpGroup struct {
	Meta
	// Name is the display name, 1–128 characters.
	Name string `json:"name" validate:"required,max=128"`
	// CodeName is the unique machine name: letters, digits, '_', '-' and '.',
	// starting with a letter or digit, at most 64 characters.
	CodeName string `json:"code_name" validate:"required,codename"`
	// Comments is free text, at most 1024 characters.
	Comments string `json:"comments" validate:"max=1024"`
	// Memberships are the group policies whose members reach this group's
	// items, with the role they get. In a write, null (or omitting the field)
	// leaves the memberships unchanged and [] removes them all. The same
	// relation is visible from the group policy side as jump_groups.
	Memberships []JumpGroupMembership `json:"memberships" validate:"max=1000,dive"`
	Labels      Labels                `json:"labels" validate:"max=64"`
}

// JumpGroupMembership gives a group policy's members a role on a Jump Group's items.
type JumpGroupMembership struct {
	// GroupPolicyID is the group policy whose members get the role.
	GroupPolicyID int64 `json:"group_policy_id" validate:"required,gte=1"`
	// Role is view, start or edit.
	Role string `json:"role" validate:"required,oneof=view start edit"`
	// JumpPolicyID, when set, is a Jump Policy applied to jumps made through
	// this membership, on top of the item's own.
	JumpPolicyID *int64 `json:"jump_policy_id,omitempty" validate:"omitempty,gte=1"`
}

// Simultaneous-jump rules.
const (
	SimultaneousAllow    = "allow"
	SimultaneousJoin     = "join"
	SimultaneousDisallow = "disallow"
)

// JumpPolicy controls when and how Jump Items may be jumped to.
type JumpPolicy struct {
	Meta
	// DisplayName is shown to users, 1–128 characters.
	DisplayName string `json:"display_name" validate:"required,max=128"`
	// CodeName is the unique machine name (see JumpGroup.CodeName).
	CodeName string `json:"code_name" validate:"required,codename"`
	// Description is free text, at most 1024 characters.
	Description string `json:"description" validate:"max=1024"`
	// ScheduleEnabled restricts jumps to the Schedule's windows.
	ScheduleEnabled bool `json:"schedule_enabled"`
	// Schedule lists the weekly windows in Timezone when jumps are allowed.
	Schedule []ScheduleEntry `json:"schedule" validate:"max=100,dive"`
	// Timezone is the IANA time zone of the schedule; default "UTC".
	Timezone string `json:"timezone" validate:"omitempty,timezone"`
	// ScheduleStrict ends running sessions when their window closes.
	ScheduleStrict bool `json:"schedule_strict"`
	// ExpiresAt, when set, is when the policy stops allowing any jump; the
	// sessions under it end then too (end reason policy_expired).
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	// SimultaneousJumps is allow (independent sessions), join (later users
	// join the running session) or disallow; default "join".
	SimultaneousJumps string `json:"simultaneous_jumps" validate:"omitempty,oneof=allow join disallow"`
	// TicketIDRequired asks the user for a ticket ID, checked against
	// TicketIDWebhookURL, before a jump.
	TicketIDRequired bool `json:"ticket_id_required"`
	// TicketIDWebhookURL validates ticket IDs; required when TicketIDRequired.
	// Non-administrators read it as "" (webhook URLs often carry secrets).
	TicketIDWebhookURL string `json:"ticket_id_webhook_url" validate:"omitempty,weburl,max=2048"`
	// ApprovalRequired makes jumps wait for an approver's grant.
	ApprovalRequired bool `json:"approval_required"`
	// ApprovalUserIDs are the users who may approve; required (non-empty) when
	// ApprovalRequired.
	ApprovalUserIDs []int64 `json:"approval_user_ids" validate:"max=100,dive,gte=1"`
	// ApprovalMaxDuration is the longest approval, in minutes (1–43200);
	// default 60.
	ApprovalMaxDuration int `json:"approval_max_duration" validate:"omitempty,gte=1,lte=43200"`
	// SessionStartNotification notifies when a session starts.
	SessionStartNotification bool `json:"session_start_notification"`
	// SessionEndNotification notifies when a session ends.
	SessionEndNotification bool `json:"session_end_notification"`
	// NotificationEmailAddresses receive start/end notifications.
	NotificationEmailAddresses []string `json:"notification_email_addresses" validate:"max=100,dive,email,max=254"`
	// NotificationWebhookURL receives start/end notifications as JSON POSTs.
	// Non-administrators read it as "".
	NotificationWebhookURL string `json:"notification_webhook_url" validate:"omitempty,weburl,max=2048"`
	// RecordingsDisabled turns session recording off for items under this policy.
	RecordingsDisabled bool   `json:"recordings_disabled"`
	Labels             Labels `json:"labels" validate:"max=64"`
}

// ScheduleEntry is one weekly window: on Day from StartTime to EndTime.
type ScheduleEntry struct {
	// Day is monday … sunday.
	Day string `json:"day" validate:"required,oneof=monday tuesday wednesday thursday friday saturday sunday"`
	// StartTime is "HH:MM", 00:00–23:59.
	StartTime string `json:"start_time" validate:"required,startclock"`
	// EndTime is "HH:MM", after StartTime; "24:00" means midnight at the end of the day.
	EndTime string `json:"end_time" validate:"required,clock"`
}

// Clipboard directions.
const (
	ClipboardOff          = "off"
	ClipboardToEndpoint   = "to_endpoint"
	ClipboardFromEndpoint = "from_endpoint"
	ClipboardBoth         = "both"
)

// Consent prompting rules.
const (
	PromptNever      = "never"
	PromptAlways     = "always"
	PromptNotPresent = "not_present"
)

// DefaultClipboardMaxBytes is the default and largest clipboard transfer:
// 8 MiB.
const DefaultClipboardMaxBytes = 8 << 20

// SessionPolicy controls what a session may do.
type SessionPolicy struct {
	Meta
	// CodeName is the unique machine name (see JumpGroup.CodeName).
	CodeName string `json:"code_name" validate:"required,codename"`
	// DisplayName is shown to users, 1–128 characters.
	DisplayName string `json:"display_name" validate:"required,max=128"`
	// Description is free text, at most 1024 characters.
	Description string `json:"description" validate:"max=1024"`
	// Permissions are what the representative may do; all default to off.
	Permissions SessionPermissions `json:"permissions"`
	// PromptCustomer is never, always, or not_present (prompt only when a
	// customer is present at the endpoint); default "never".
	PromptCustomer string `json:"prompt_customer" validate:"omitempty,oneof=never always not_present"`
	// PromptTimeoutSeconds is how long the prompt waits (10–3600); default 180.
	PromptTimeoutSeconds int `json:"prompt_timeout_seconds" validate:"omitempty,gte=10,lte=3600"`
	// OnTimeout is accept or deny, applied when the prompt times out; default "deny".
	OnTimeout string `json:"on_timeout" validate:"omitempty,oneof=accept deny"`
	// MaxSessionMinutes ends sessions after this long (1–10080); default 120.
	MaxSessionMinutes int `json:"max_session_minutes" validate:"omitempty,gte=1,lte=10080"`
	// IdleTimeoutMinutes ends idle sessions (0 = never, up to 1440).
	IdleTimeoutMinutes int `json:"idle_timeout_minutes" validate:"gte=0,lte=1440"`
	// RecordShell records shell sessions as asciicast; default true.
	RecordShell *bool `json:"record_shell,omitempty"`
	// RecordScreen records screen sessions; default true.
	RecordScreen *bool `json:"record_screen,omitempty"`
	// RecordTunnel logs tunnel connections; default true.
	RecordTunnel *bool  `json:"record_tunnel,omitempty"`
	Labels       Labels `json:"labels" validate:"max=64"`
}

// SessionPermissions are the capabilities a session policy grants.
type SessionPermissions struct {
	Shell         bool `json:"shell"`
	FileRead      bool `json:"file_read"`
	FileWrite     bool `json:"file_write"`
	Tunnel        bool `json:"tunnel"`
	SystemInfo    bool `json:"system_info"`
	ScreenView    bool `json:"screen_view"`
	ScreenControl bool `json:"screen_control"`
	// Clipboard is off, to_endpoint, from_endpoint or both; default "off".
	Clipboard string `json:"clipboard" validate:"omitempty,oneof=off to_endpoint from_endpoint both"`
	// ClipboardMaxBytes caps one clipboard transfer (1 B–8 MiB); default 8 MiB.
	ClipboardMaxBytes int `json:"clipboard_max_bytes" validate:"omitempty,gte=1,lte=8388608"`
}

// Agent platforms that installers are built for.
const (
	PlatformLinuxAMD64   = "linux-amd64"
	PlatformLinuxARM64   = "linux-arm64"
	PlatformRaspberryPi  = "raspberry-pi"
	PlatformMacOSAMD64   = "macos-amd64"
	PlatformMacOSARM64   = "macos-arm64"
	PlatformWindowsAMD64 = "windows-amd64"
)

// Platforms lists every installer platform.
var Platforms = []string{PlatformLinuxAMD64, PlatformLinuxARM64, PlatformRaspberryPi, PlatformMacOSAMD64, PlatformMacOSARM64, PlatformWindowsAMD64}

// MaxJumpointNodes is the largest cluster a clustered Jumpoint may have.
const MaxJumpointNodes = 10

// Jumpoint is an agent inside a remote network that proxies jumps into it.
type Jumpoint struct {
	Meta
	// Name is the display name, 1–128 characters.
	Name string `json:"name" validate:"required,max=128"`
	// CodeName is the unique machine name (see JumpGroup.CodeName).
	CodeName string `json:"code_name" validate:"required,codename"`
	// Platform is the OS/architecture of the jumpoint host; default "linux-amd64".
	Platform string `json:"platform" validate:"omitempty,oneof=linux-amd64 linux-arm64 raspberry-pi macos-amd64 macos-arm64 windows-amd64"`
	// Enabled lets the jumpoint serve jumps; default true.
	Enabled *bool `json:"enabled,omitempty"`
	// Clustered lets up to 10 nodes serve this jumpoint; otherwise one.
	Clustered bool `json:"clustered"`
	// ShellJumpEnabled allows Shell Jump items through this jumpoint.
	ShellJumpEnabled bool `json:"shell_jump_enabled"`
	// ProtocolTunnelEnabled allows Protocol Tunnel Jump items through it.
	ProtocolTunnelEnabled bool `json:"protocol_tunnel_enabled"`
	// JumpZoneProxy makes the jumpoint a proxy for Jump Clients without a
	// direct route to the appliance.
	JumpZoneProxy JumpZoneProxy `json:"jump_zone_proxy"`
	// Comments is free text, at most 1024 characters.
	Comments string `json:"comments" validate:"max=1024"`
	// Connected is true when at least one node is connected.
	Connected bool `json:"connected" jg:"readonly"`
	// ConnectedNodes are the nodes connected now.
	ConnectedNodes []JumpointNode `json:"connected_nodes" jg:"readonly"`
	// Nodes are every enrolled node, connected or not, in id order. Each
	// counts against the jumpoint's limit (one node, or MaxJumpointNodes
	// when clustered) until it is removed with DELETE
	// /api/v1/jumpoints/{id}/nodes/{node_id}, so that a node that will
	// not come back (a replaced machine or container) can make room.
	Nodes  []JumpointNodeInfo `json:"nodes" jg:"readonly"`
	Labels Labels             `json:"labels" validate:"max=64"`
}

// JumpZoneProxy configures a Jumpoint as a Jump Zone Proxy.
type JumpZoneProxy struct {
	// Enabled turns the proxy on; Hostname is then required.
	Enabled bool `json:"enabled"`
	// Hostname is the name or address Jump Clients dial.
	Hostname string `json:"hostname" validate:"omitempty,host"`
	// Port is the proxy's TCP port (1–65535); default 8443.
	Port int `json:"port" validate:"omitempty,gte=1,lte=65535"`
	// AllowedClientCIDRs limit which clients may use the proxy; empty allows none.
	AllowedClientCIDRs []string `json:"allowed_client_cidrs" validate:"max=100,dive,cidr"`
}

// JumpointNode is one connected node of a Jumpoint.
type JumpointNode struct {
	ID          int64     `json:"id"`
	Hostname    string    `json:"hostname"`
	RemoteAddr  string    `json:"remote_addr"`
	Version     string    `json:"version"`
	ConnectedAt time.Time `json:"connected_at"`
}

// JumpointNodeInfo is one enrolled node of a Jumpoint, connected or not.
type JumpointNodeInfo struct {
	// ID identifies the node; its agent keeps it across restarts.
	ID int64 `json:"id"`
	// Hostname is the host name the node reported.
	Hostname string `json:"hostname"`
	// HostID identifies the node's machine (in a container, the
	// JUMPGATE_AGENT_HOST_ID the agent runs with): a node enrolling again
	// with the same host id takes this node over rather than adding one.
	HostID string `json:"host_id"`
	// Platform is the node's platform, e.g. "linux-amd64".
	Platform string `json:"platform"`
	// Version is the agent version of the latest enrollment or connection.
	Version string `json:"version"`
	// RemoteAddr is the address the latest connection (or, before the
	// first, the enrollment) came from.
	RemoteAddr string `json:"remote_addr"`
	// Connected is true while the node holds a connection.
	Connected bool `json:"connected"`
	// ConnectedAt is when the current connection began; absent while the
	// node is not connected.
	ConnectedAt *time.Time `json:"connected_at,omitempty"`
	// LastSeenAt is when the appliance last had a connection from the
	// node: when its latest connection ended (for a connection cut by an
	// appliance restart, when the appliance started again). Absent while
	// the node is connected, as it is seen now, and for a node that has
	// never connected.
	LastSeenAt *time.Time `json:"last_seen_at,omitempty"`
	// CreatedAt is when the node first enrolled.
	CreatedAt time.Time `json:"created_at"`
}

// Connection types of Jump Clients.
const (
	ConnectionActive  = "active"
	ConnectionStandby = "standby"
)

// Customer client start modes.
const (
	StartModeNormal    = "normal"
	StartModeMinimized = "minimized"
	StartModeHidden    = "hidden"
)

// Installer validity limits, in minutes: 10 minutes to 1 year.
const (
	MinValidDuration     = 10
	MaxValidDuration     = 525600
	DefaultValidDuration = 1440
)

// JumpClientInstaller is a Mass Deployment Wizard record: the defaults a new
// Jump Client gets, which of them an installation may override, and how long
// the installer stays valid.
type JumpClientInstaller struct {
	Meta
	// InstallerID is the random identifier built into installer file names.
	InstallerID string `json:"installer_id" jg:"readonly"`
	// ExpiresAt is when the installer stops working: creation (or the last
	// extension) plus ValidDuration.
	ExpiresAt time.Time `json:"expires_at" jg:"readonly"`
	// ValidDuration is how long the installer stays valid, in minutes
	// (10–525600); default 1440. Changing it re-computes ExpiresAt from now.
	ValidDuration int `json:"valid_duration" validate:"omitempty,gte=10,lte=525600"`
	// JumpGroupID owns the clients: a Jump Group, or a user for personal.
	JumpGroupID int64 `json:"jump_group_id" validate:"required,gte=1"`
	// JumpGroupType is shared or personal; default "shared".
	JumpGroupType string `json:"jump_group_type" validate:"omitempty,oneof=shared personal"`
	// PublicPortalID is the public portal clients connect through.
	PublicPortalID *int64 `json:"public_portal_id,omitempty" validate:"omitempty,gte=1"`
	// Name of the clients; empty uses the endpoint's host name. At most 128.
	Name string `json:"name" validate:"max=128"`
	// Comments is free text, at most 1024 characters.
	Comments string `json:"comments" validate:"max=1024"`
	// Tag groups clients in the console, at most 64 characters.
	Tag string `json:"tag" validate:"max=64"`
	// JumpPolicyID is the Jump Policy of the clients.
	JumpPolicyID *int64 `json:"jump_policy_id,omitempty" validate:"omitempty,gte=1"`
	// AttendedSessionPolicyID is the customer-present session policy.
	AttendedSessionPolicyID *int64 `json:"attended_session_policy_id,omitempty" validate:"omitempty,gte=1"`
	// UnattendedSessionPolicyID is the customer-not-present session policy.
	UnattendedSessionPolicyID *int64 `json:"unattended_session_policy_id,omitempty" validate:"omitempty,gte=1"`
	// ConnectionType is active or standby; default from the jump client settings.
	ConnectionType string `json:"connection_type" validate:"omitempty,oneof=active standby"`
	// JumpointProxyID is a Jumpoint with a Jump Zone Proxy the clients try
	// when they cannot reach the appliance.
	JumpointProxyID *int64 `json:"jumpoint_proxy_id,omitempty" validate:"omitempty,gte=1"`
	// MaxOfflineMinutes deletes a client offline this long; 0 uses the
	// global setting. 5 is "ephemeral". At most 525600.
	MaxOfflineMinutes int `json:"max_offline_minutes" validate:"gte=0,lte=525600"`
	// CustomerClientStartMode is normal, minimized or hidden; default "normal".
	CustomerClientStartMode string `json:"customer_client_start_mode" validate:"omitempty,oneof=normal minimized hidden"`
	// SupportButtonProfile is a Support Button profile code name.
	SupportButtonProfile string `json:"support_button_profile" validate:"omitempty,codename"`
	// SupportButtonDirectQueue is "team:<code-name>".
	SupportButtonDirectQueue string `json:"support_button_direct_queue" validate:"omitempty,max=70,directqueue"`
	// ElevateInstall attempts an elevated (service) install; default true.
	ElevateInstall *bool `json:"elevate_install,omitempty"`
	// ElevatePrompt prompts for elevation credentials if needed.
	ElevatePrompt bool `json:"elevate_prompt"`

	// AllowOverride* let an installation override the matching field with
	// --jc-* flags or JC_* properties. An override that is not allowed fails
	// the installation.
	AllowOverrideJumpGroup                bool `json:"allow_override_jump_group"`
	AllowOverridePublicPortal             bool `json:"allow_override_public_portal"`
	AllowOverrideName                     bool `json:"allow_override_name"`
	AllowOverrideComments                 bool `json:"allow_override_comments"`
	AllowOverrideTag                      bool `json:"allow_override_tag"`
	AllowOverrideJumpPolicy               bool `json:"allow_override_jump_policy"`
	AllowOverrideAttendedSessionPolicy    bool `json:"allow_override_attended_session_policy"`
	AllowOverrideUnattendedSessionPolicy  bool `json:"allow_override_unattended_session_policy"`
	AllowOverrideMaxOfflineMinutes        bool `json:"allow_override_max_offline_minutes"`
	AllowOverrideSupportButtonProfile     bool `json:"allow_override_support_button_profile"`
	AllowOverrideSupportButtonDirectQueue bool `json:"allow_override_support_button_direct_queue"`

	// KeyInfo is the signed key for generic installers. It is returned on
	// create and by the key-info endpoint, never in lists or plain reads.
	KeyInfo string `json:"key_info,omitempty" jg:"readonly"`
	// Downloads are the installer's download URLs, one per platform, each
	// with a copyable command that fetches it.
	Downloads []InstallerDownload `json:"downloads" jg:"readonly"`
	Labels    Labels              `json:"labels" validate:"max=64"`
}

// InstallerDownload is where one platform's installer is downloaded from.
type InstallerDownload struct {
	// Platform is one of Platforms.
	Platform string `json:"platform"`
	// FileName is the file the download is saved as, different for each
	// platform: "jumpgate-jc-<installer-id>-<platform>.<ext>", with ext
	// "exe" for windows-amd64 and "bin" for the others.
	FileName string `json:"file_name"`
	// URL is the download URL; it needs an administrator's bearer token.
	URL string `json:"url"`
	// SignedURL, given to administrators, downloads the installer without
	// a token until ExpiresAt (15 to 20 minutes after the read, on a
	// 5-minute grid so that reads answer the same URL, or sooner when the
	// installer expires first). POST
	// /api/v1/jump-client-installers/{id}/download-urls issues one for
	// longer, up to 24 hours.
	SignedURL string `json:"signed_url,omitempty"`
	// ExpiresAt is when SignedURL stops working.
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	// Command is a copyable one-liner (curl) that downloads the installer
	// from URL with the CA certificate ($JUMPGATE_CA_CERT, the appliance's
	// ca.pem, for an appliance with its own CA) and $JUMPGATE_TOKEN. It is
	// the same on every read.
	Command string `json:"command"`
	// SignedCommand, with SignedURL, is the same one-liner without a
	// token: what to run on an endpoint until ExpiresAt.
	SignedCommand string `json:"signed_command,omitempty"`
	// InstallCommand runs the downloaded installer with its default flags.
	InstallCommand string `json:"install_command"`
}

// InstallerKeyInfo answers GET /jump-client-installers/{id}/key-info.
type InstallerKeyInfo struct {
	InstallerID string    `json:"installer_id"`
	KeyInfo     string    `json:"key_info"`
	ExpiresAt   time.Time `json:"expires_at"`
}

// JumpointKeyInfo answers GET /jumpoints/{id}/key-info: fresh signed key
// info for installing a node of the Jumpoint without its installer, as
// `jumpgate-agent run --key-info-file` does in a container.
type JumpointKeyInfo struct {
	// JumpointID is the Jumpoint the key info installs nodes of.
	JumpointID int64 `json:"jumpoint_id"`
	// KeyInfo is the signed key info (kind jumpoint). It is a credential:
	// anyone holding it can add a node to the Jumpoint until ExpiresAt.
	KeyInfo string `json:"key_info"`
	// ExpiresAt is when the appliance stops accepting KeyInfo for new
	// nodes: 24 hours after it was issued. Nodes enrolled before keep
	// working.
	ExpiresAt time.Time `json:"expires_at"`
}

// MaxTunnelDefinitions bounds the port pairs of one Protocol Tunnel Jump.
const MaxTunnelDefinitions = 100

// ProtocolTunnelJump is a Jump Item that tunnels TCP from the user's machine
// through a Jumpoint to Hostname.
type ProtocolTunnelJump struct {
	Meta
	// Name is the display name, 1–128 characters.
	Name string `json:"name" validate:"required,max=128"`
	// JumpointID is the Jumpoint in the target's network; it must allow
	// protocol tunnels.
	JumpointID int64 `json:"jumpoint_id" validate:"required,gte=1"`
	// Hostname is the target's host name or IP address.
	Hostname string `json:"hostname" validate:"required,host"`
	// TunnelDefinitions are the local/remote port pairs, 1–100 of them.
	TunnelDefinitions []TunnelDefinition `json:"tunnel_definitions" validate:"required,min=1,max=100,dive"`
	// TunnelListenAddress is the local address the user's listeners bind, in
	// 127.0.0.0/8; default "127.0.0.1".
	TunnelListenAddress string `json:"tunnel_listen_address" validate:"omitempty,loopback4"`
	// JumpGroupID owns the item: a Jump Group, or a user for personal.
	JumpGroupID int64 `json:"jump_group_id" validate:"required,gte=1"`
	// JumpGroupType is shared or personal; default "shared".
	JumpGroupType string `json:"jump_group_type" validate:"omitempty,oneof=shared personal"`
	// Tag groups items in the console, at most 64 characters.
	Tag string `json:"tag" validate:"max=64"`
	// Comments is free text, at most 1024 characters.
	Comments string `json:"comments" validate:"max=1024"`
	// JumpPolicyID is the item's Jump Policy.
	JumpPolicyID *int64 `json:"jump_policy_id,omitempty" validate:"omitempty,gte=1"`
	// SessionPolicyID is the item's Session Policy.
	SessionPolicyID *int64 `json:"session_policy_id,omitempty" validate:"omitempty,gte=1"`
	Labels          Labels `json:"labels" validate:"max=64"`
}

// TunnelDefinition is one local/remote port pair.
type TunnelDefinition struct {
	// LocalPort is the port the user's listener binds; 0 picks a free one.
	LocalPort int `json:"local_port" validate:"gte=0,lte=65535"`
	// RemotePort is the target port, 1–65535.
	RemotePort int `json:"remote_port" validate:"required,gte=1,lte=65535"`
}

// PublicPortal is a public site through which customers and Jump Clients
// connect. The customer-client settings join it in a later release.
type PublicPortal struct {
	Meta
	// Hostname is the site address, unique across portals.
	Hostname string `json:"hostname" validate:"required,host"`
	// DisplayName is shown to users, 1–128 characters.
	DisplayName string `json:"display_name" validate:"required,max=128"`
	// Default marks the portal used when none is named; at most one portal.
	Default bool `json:"default"`
	// SessionPolicyID applies to sessions started through this portal.
	SessionPolicyID *int64 `json:"session_policy_id,omitempty" validate:"omitempty,gte=1"`
	// AutomaticBehavior answers consent prompts on headless endpoints (seed
	// 001's "automatic behavior" for unattended endpoints): accept or
	// reject; default "reject".
	AutomaticBehavior string `json:"automatic_behavior" validate:"omitempty,oneof=accept reject"`
	Labels            Labels `json:"labels" validate:"max=64"`
}

// Automatic behaviours of a public portal.
const (
	AutomaticAccept = "accept"
	AutomaticReject = "reject"
)

// Jump Client statuses.
const (
	// ClientOnline: the client holds a connection now (or a standby client
	// is checking in).
	ClientOnline = "online"
	// ClientOffline: the client is not connected.
	ClientOffline = "offline"
	// ClientLost: the client has not connected for lost_after_days.
	ClientLost = "lost"
	// ClientUninstalled: the client was uninstalled at the endpoint (kept
	// because uninstalled_behavior is "keep").
	ClientUninstalled = "uninstalled"
)

// Install modes of an agent.
const (
	InstallService = "service"
	InstallUser    = "user"
)

// JumpClient is an installed Jump Client. Clients are created by
// enrollment (an installer run on an endpoint), never through the API; the
// API edits their Jump Item fields and deletes them. Deleting a client cuts
// its connection, and the agent uninstalls itself on its next contact.
type JumpClient struct {
	Meta
	// Name is the display name, 1–128 characters; the endpoint's host name
	// unless the installer or an override set one.
	Name string `json:"name" validate:"required,max=128"`
	// JumpGroupID owns the client: a Jump Group, or a user for personal.
	JumpGroupID int64 `json:"jump_group_id" validate:"required,gte=1"`
	// JumpGroupType is shared or personal; default "shared".
	JumpGroupType string `json:"jump_group_type" validate:"omitempty,oneof=shared personal"`
	// PublicPortalID is the public portal the client connects through.
	PublicPortalID *int64 `json:"public_portal_id,omitempty" validate:"omitempty,gte=1"`
	// Tag groups items in the console, at most 64 characters.
	Tag string `json:"tag" validate:"max=64"`
	// Comments is free text, at most 1024 characters.
	Comments string `json:"comments" validate:"max=1024"`
	// JumpPolicyID is the client's Jump Policy.
	JumpPolicyID *int64 `json:"jump_policy_id,omitempty" validate:"omitempty,gte=1"`
	// AttendedSessionPolicyID is the customer-present session policy.
	AttendedSessionPolicyID *int64 `json:"attended_session_policy_id,omitempty" validate:"omitempty,gte=1"`
	// UnattendedSessionPolicyID is the customer-not-present session policy.
	UnattendedSessionPolicyID *int64 `json:"unattended_session_policy_id,omitempty" validate:"omitempty,gte=1"`
	// ConnectionType is active (holds a connection) or standby (checks in
	// every standby_check_in_minutes); default "active".
	ConnectionType string `json:"connection_type" validate:"omitempty,oneof=active standby"`
	// MaxOfflineMinutes: a client offline longer than this is treated as
	// uninstalled (per uninstalled_behavior) and uninstalls itself; 0 uses
	// only the global lost/deleted days; 5 is "ephemeral". At most 525600.
	MaxOfflineMinutes int `json:"max_offline_minutes" validate:"gte=0,lte=525600"`
	// SupportButtonProfile is a Support Button profile code name.
	SupportButtonProfile string `json:"support_button_profile" validate:"omitempty,codename"`
	// SupportButtonDirectQueue is "team:<code-name>".
	SupportButtonDirectQueue string `json:"support_button_direct_queue" validate:"omitempty,max=70,directqueue"`

	// InstallerID is the installer_id of the installer the client came from.
	InstallerID string `json:"installer_id" jg:"readonly"`
	// Status is online, offline, lost or uninstalled.
	Status string `json:"status" jg:"readonly"`
	// Hostname, FQDN, OS and the network facts are reported by the agent.
	Hostname       string `json:"hostname" jg:"readonly"`
	FQDN           string `json:"fqdn" jg:"readonly"`
	OS             string `json:"os" jg:"readonly"`
	Platform       string `json:"platform" jg:"readonly"`
	PrivateIP      string `json:"private_ip" jg:"readonly"`
	PublicIP       string `json:"public_ip" jg:"readonly"`
	MACAddress     string `json:"mac_address" jg:"readonly"`
	DefaultGateway string `json:"default_gateway" jg:"readonly"`
	ConsoleUser    string `json:"console_user" jg:"readonly"`
	// InstallMode is service (system scope) or user.
	InstallMode string `json:"install_mode" jg:"readonly"`
	// Headless is set when the client was installed with --headless: no
	// one can answer a prompt there, so consent prompts get the public
	// portal's automatic_behavior.
	Headless bool `json:"headless" jg:"readonly"`
	// AgentVersion is the version of the agent that runs the client.
	AgentVersion string `json:"agent_version" jg:"readonly"`
	// LastConnectAt and LastDisconnectAt bound the latest connection.
	LastConnectAt    *time.Time `json:"last_connect_at,omitempty" jg:"readonly"`
	LastDisconnectAt *time.Time `json:"last_disconnect_at,omitempty" jg:"readonly"`
	// LastSeenAt is the latest contact of any kind (connect, report, check-in).
	LastSeenAt *time.Time `json:"last_seen_at,omitempty" jg:"readonly"`
	// Statistics are the latest statistics the client reported.
	Statistics *JumpClientStatistics `json:"statistics,omitempty" jg:"readonly"`
	// Presence is the latest customer presence the client reported.
	Presence *JumpClientPresence `json:"presence,omitempty" jg:"readonly"`
}

// JumpClientStatistics are the statistics selected in the jump client
// settings; a field not selected (or unknown on the platform) is omitted.
type JumpClientStatistics struct {
	// ReportedAt is when the agent took the figures.
	ReportedAt time.Time `json:"reported_at"`
	// CPUPercent is the busy share of all CPUs since the previous report.
	CPUPercent *float64 `json:"cpu_percent,omitempty"`
	// LoadAverage is the 1-minute load average.
	LoadAverage *float64 `json:"load_average,omitempty"`
	// ConsoleUser is the user logged in at the console.
	ConsoleUser *string `json:"console_user,omitempty"`
	// DiskTotalBytes and DiskFreeBytes describe the file system holding the
	// install dir.
	DiskTotalBytes *uint64 `json:"disk_total_bytes,omitempty"`
	DiskFreeBytes  *uint64 `json:"disk_free_bytes,omitempty"`
	// Screen describes the display ("headless" when there is none).
	Screen *string `json:"screen,omitempty"`
	// UptimeSeconds is the time since the host booted.
	UptimeSeconds *int64 `json:"uptime_seconds,omitempty"`
}

// JumpClientPresence is whether a customer is at the endpoint. A nil field
// is unknown on that platform.
type JumpClientPresence struct {
	// UserLoggedIn is true when a user has a session at the console.
	UserLoggedIn bool `json:"user_logged_in"`
	// ScreenLocked is true when the console session is locked.
	ScreenLocked *bool `json:"screen_locked,omitempty"`
	// ScreenSaver is true when a screen saver runs.
	ScreenSaver *bool `json:"screen_saver,omitempty"`
	// Present is the verdict used to pick the session policy: a user is
	// logged in and, when presence_uses_screen_state is set, the screen is
	// neither locked nor saved.
	Present bool `json:"present"`
}

// WakeRequest asks for a Wake-on-LAN of a Jump Client through a peer.
type WakeRequest struct {
	// SecureOnPassword is the optional 6-byte SecureOn password, as
	// "xx:xx:xx:xx:xx:xx" (hex, ':' or '-' separated) .
	SecureOnPassword string `json:"secureon_password,omitempty" validate:"omitempty,mac"`
}

// WakeResult answers a wake request.
type WakeResult struct {
	// TargetID is the client being woken.
	TargetID int64 `json:"target_id"`
	// RelayID is the online client on the same network that broadcast the
	// magic packet.
	RelayID int64 `json:"relay_id"`
	// MACAddress is the target's MAC address the packet was built for.
	MACAddress string `json:"mac_address"`
	// NextAttemptAt is when the next attempt on this target is allowed.
	NextAttemptAt time.Time `json:"next_attempt_at"`
}

// Statistics a Jump Client can report.
const (
	StatCPU         = "cpu"
	StatConsoleUser = "console_user"
	StatDisk        = "disk"
	StatScreen      = "screen"
	StatUptime      = "uptime"
)

// Upgrade modes.
const (
	UpgradeDisabled    = "disabled"
	UpgradeThisVersion = "this_version"
	UpgradeAlways      = "always"
)

// JumpClientSettings is the singleton of site-wide Jump Client settings,
// read and replaced at /api/v1/settings/jump-clients.
type JumpClientSettings struct {
	// Version increases on every write and is sent as the ETag.
	Version int64 `json:"version" jg:"readonly"`
	// UpdatedAt is when the settings were last written.
	UpdatedAt time.Time `json:"updated_at" jg:"readonly"`
	// Statistics are collected by clients: any of cpu, console_user, disk, screen, uptime.
	Statistics []string `json:"statistics" validate:"max=5,unique,dive,oneof=cpu console_user disk screen uptime"`
	// StatisticsIntervalSeconds is how often active clients report (15–86400); default 60.
	StatisticsIntervalSeconds int `json:"statistics_interval_seconds" validate:"omitempty,gte=15,lte=86400"`
	// UpgradeMode is disabled, this_version or always; default "always".
	UpgradeMode string `json:"upgrade_mode" validate:"omitempty,oneof=disabled this_version always"`
	// LostAfterDays marks clients lost after this many days offline (≥ 15, < DeletedAfterDays); default 90.
	LostAfterDays int `json:"lost_after_days" validate:"omitempty,gte=15,lte=3650"`
	// DeletedAfterDays deletes clients after this many days offline (≥ 15); default 180.
	DeletedAfterDays int `json:"deleted_after_days" validate:"omitempty,gte=15,lte=3650"`
	// UninstalledBehavior is keep (mark uninstalled) or remove; default "keep".
	UninstalledBehavior string `json:"uninstalled_behavior" validate:"omitempty,oneof=keep remove"`
	// RestrictLocalUninstall refuses uninstalling or disabling a client locally.
	RestrictLocalUninstall bool `json:"restrict_local_uninstall"`
	// DefaultConnectionType is active or standby; default "active".
	DefaultConnectionType string `json:"default_connection_type" validate:"omitempty,oneof=active standby"`
	// StandbyCheckInMinutes is how often standby clients check in (1–1440); default 60.
	StandbyCheckInMinutes int `json:"standby_check_in_minutes" validate:"omitempty,gte=1,lte=1440"`
	// WakeOnLANAllowed lets representatives wake clients through a peer.
	WakeOnLANAllowed bool `json:"wake_on_lan_allowed"`
	// PresenceUsesScreenState counts a customer present only if the screen is
	// unlocked and no screen saver runs.
	PresenceUsesScreenState bool `json:"presence_uses_screen_state"`
	// AdhocSessionsFromJumpClients starts ad-hoc sessions from an installed client.
	AdhocSessionsFromJumpClients bool `json:"adhoc_sessions_from_jump_clients"`
	// SimultaneousJumps is the default for items without a Jump Policy:
	// allow, join or disallow; default "join".
	SimultaneousJumps string `json:"simultaneous_jumps" validate:"omitempty,oneof=allow join disallow"`
	// UnattendedSessionsAllowed is the organisation-wide switch for
	// unattended (silent, unprompted) sessions on Jump Clients; default
	// true. Off, a session needs the end user's consent.
	UnattendedSessionsAllowed *bool `json:"unattended_sessions_allowed,omitempty"`
}

// User is a person (or robot) who uses the appliance.
type User struct {
	Meta
	// Username is the unique login name: 1–64 of letters, digits, '_', '-', '.', '@'.
	Username string `json:"username" validate:"required,max=64,username"`
	// DisplayName is shown to others, at most 128 characters.
	DisplayName string `json:"display_name" validate:"max=128"`
	// Email is the user's address, optional.
	Email string `json:"email" validate:"omitempty,email,max=254"`
	// Admin users may write configuration and see everything.
	Admin bool `json:"admin"`
	// Enabled users may sign in and use their tokens; default true.
	Enabled *bool `json:"enabled,omitempty"`
	// Password is write-only: 12–256 characters, stored as an argon2id hash.
	// Omit it in an update to keep the current password.
	Password string `json:"password,omitempty" validate:"omitempty,min=12,max=256" jg:"writeonly"`
	// HasPassword tells whether a password is set.
	HasPassword bool `json:"has_password" jg:"readonly"`
	// MFARequired makes this user enroll TOTP before the console opens,
	// whatever the console settings' mfa_required says; default false.
	// Omitted in an update, it keeps the current value.
	MFARequired *bool `json:"mfa_required,omitempty"`
	// MFAEnrolled tells whether the user has confirmed TOTP for the console;
	// an administrator resets it with DELETE /api/v1/users/{id}/mfa.
	MFAEnrolled bool   `json:"mfa_enrolled" jg:"readonly"`
	Labels      Labels `json:"labels" validate:"max=64"`
}

// GroupPolicy grants its member users roles on Jump Groups.
type GroupPolicy struct {
	Meta
	// Name is unique, 1–128 characters.
	Name string `json:"name" validate:"required,max=128"`
	// Description is free text, at most 1024 characters.
	Description string `json:"description" validate:"max=1024"`
	// Members are the user IDs in the policy. null leaves them unchanged in a
	// write, [] removes all.
	Members []int64 `json:"members" validate:"max=10000,dive,gte=1"`
	// JumpGroups are the Jump Groups the members reach, with their role. null
	// leaves them unchanged in a write, [] removes all. The same relation is
	// visible from the Jump Group side as memberships.
	JumpGroups []GroupPolicyJumpGroup `json:"jump_groups" validate:"max=1000,dive"`
	Labels     Labels                 `json:"labels" validate:"max=64"`
}

// GroupPolicyJumpGroup gives a group policy's members a role on a Jump Group.
type GroupPolicyJumpGroup struct {
	JumpGroupID  int64  `json:"jump_group_id" validate:"required,gte=1"`
	Role         string `json:"role" validate:"required,oneof=view start edit"`
	JumpPolicyID *int64 `json:"jump_policy_id,omitempty" validate:"omitempty,gte=1"`
}

// APIToken is a bearer token for the API. The secret is shown once, in the
// create response, and stored only as a hash.
type APIToken struct {
	Meta
	// Name describes the token, 1–128 characters.
	Name string `json:"name" validate:"required,max=128"`
	// UserID is the token's owner; default the caller. Only admins may
	// create tokens for others.
	UserID int64 `json:"user_id" validate:"omitempty,gte=1"`
	// ExpiresAt, when set, is when the token stops working, also for the
	// session channels opened with it. It must be in the future on create;
	// an update may set it to the past to expire the token at once. The
	// owner may only shorten a token's life (never remove or postpone the
	// expiry); an administrator may also postpone or remove it; nobody
	// changes the expiry of an expired token.
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	// LastUsedAt is when the token was last used (to the minute).
	LastUsedAt *time.Time `json:"last_used_at,omitempty" jg:"readonly"`
	// Prefix is the first characters of the token, to recognise it.
	Prefix string `json:"prefix" jg:"readonly"`
	// Token is the secret, returned only by create.
	Token string `json:"token,omitempty" jg:"readonly"`
}

// AuditObjectTypes are the object_type values of audit events: the
// singular snake_case name of each collection, and session, approval and
// access_code. GET /api/v1/audit-events?object_type= takes only these.
var AuditObjectTypes = []string{
	"access_code", "api_token", "approval", "console_settings", "group_policy", "jump_client", "jump_client_installer",
	"jump_client_settings", "jump_group", "jump_policy", "jumpoint", "protocol_tunnel_jump",
	"public_portal", "session", "session_policy", "user",
}

// AuditEvent records one change or session event, written before the action
// is acknowledged.
type AuditEvent struct {
	ID int64 `json:"id"`
	// Time is when it happened.
	Time time.Time `json:"time"`
	// ActorID and Actor name the user; Actor is "system" for the appliance.
	ActorID int64  `json:"actor_id"`
	Actor   string `json:"actor"`
	// Action is create, update, delete, or a session event name.
	Action string `json:"action"`
	// ObjectType is the collection's singular snake_case name, e.g. jump_group.
	ObjectType string `json:"object_type"`
	ObjectID   int64  `json:"object_id"`
	ObjectName string `json:"object_name"`
	// Diff maps each changed field to its old and new value. Secrets never
	// appear; a changed password shows as "(changed)".
	Diff map[string]FieldChange `json:"diff,omitempty"`
	// RemoteAddr is the client address of the request.
	RemoteAddr string `json:"remote_addr,omitempty"`
	// Details describe a session event: the reason of a refusal, a file's
	// name, size and sha256, a tunnel connection's peer, target, bytes and
	// duration.
	Details map[string]any `json:"details,omitempty"`
}

// FieldChange is the old and new value of one field.
type FieldChange struct {
	Old any `json:"old"`
	New any `json:"new"`
}

// WhoAmI answers GET /api/v1/whoami.
type WhoAmI struct {
	UserID   int64  `json:"user_id"`
	Username string `json:"username"`
	Admin    bool   `json:"admin"`
	TokenID  int64  `json:"token_id"`
	Version  string `json:"version"`
}

// Bool returns a pointer to b, for the optional booleans of requests.
func Bool(b bool) *bool { return &b }

// Int64 returns a pointer to v, for optional references.
func Int64(v int64) *int64 { return &v }
