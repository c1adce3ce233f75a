package api

// The defaults of the API objects: what the appliance stores for a field
// that a write leaves empty (its zero value, or null for the optional
// booleans). The appliance applies them with the objects' ApplyDefaults
// methods before it validates a write; the Terraform provider declares them
// as its schema defaults, and the Kubernetes operator applies them to the
// object it wants before comparing it with the appliance's. The OpenAPI
// document reports them as each property's default.
//
// Defaults that depend on what the appliance stores are not here: an
// installer's connection_type is the Jump Client settings'
// default_connection_type at the time it is created, and an API token's
// user_id is the caller.
//
// DefaultClipboardMaxBytes and DefaultValidDuration sit beside the limits
// they are part of.
const (
	// DefaultJumpGroupType is the jump_group_type of Jump Items and
	// installers: shared.
	DefaultJumpGroupType = JumpGroupShared

	// DefaultTimezone is a Jump Policy's time zone: UTC.
	DefaultTimezone = "UTC"
	// DefaultSimultaneousJumps is a Jump Policy's simultaneous_jumps, and
	// the Jump Client settings' one for items without a Jump Policy: join.
	DefaultSimultaneousJumps = SimultaneousJoin
	// DefaultApprovalMaxDuration is the longest approval of a Jump Policy,
	// in minutes: 60. It is also the length of a grant under no policy.
	DefaultApprovalMaxDuration = 60

	// DefaultClipboard is a session policy's clipboard direction: off.
	DefaultClipboard = ClipboardOff
	// DefaultPromptCustomer is a session policy's consent prompting: never.
	DefaultPromptCustomer = PromptNever
	// DefaultPromptTimeoutSeconds is how long a consent prompt waits: 180.
	DefaultPromptTimeoutSeconds = 180
	// DefaultOnTimeout is what an unanswered consent prompt means: deny.
	DefaultOnTimeout = OnTimeoutDeny
	// DefaultMaxSessionMinutes is a session policy's longest session: 120.
	DefaultMaxSessionMinutes = 120
	// DefaultRecording is each of a session policy's record_shell,
	// record_screen and record_tunnel: on.
	DefaultRecording = true

	// DefaultPlatform is a Jumpoint's platform: linux-amd64.
	DefaultPlatform = PlatformLinuxAMD64
	// DefaultJumpointEnabled is a Jumpoint's enabled: true.
	DefaultJumpointEnabled = true
	// DefaultProxyPort is a Jump Zone Proxy's TCP port: 8443.
	DefaultProxyPort = 8443

	// DefaultStartMode is an installer's customer_client_start_mode: normal.
	DefaultStartMode = StartModeNormal
	// DefaultElevateInstall is an installer's elevate_install: true.
	DefaultElevateInstall = true

	// DefaultTunnelListenAddress is the address a Protocol Tunnel Jump's
	// local listeners bind: 127.0.0.1.
	DefaultTunnelListenAddress = "127.0.0.1"

	// DefaultAutomaticBehavior is a public portal's automatic_behavior:
	// reject.
	DefaultAutomaticBehavior = AutomaticReject

	// DefaultUserEnabled is a user's enabled: true.
	DefaultUserEnabled = true

	// DefaultConnectionType is the Jump Client settings'
	// default_connection_type, and the connection type of a Jump Client
	// written without one: active.
	DefaultConnectionType = ConnectionActive
	// DefaultStatisticsIntervalSeconds is how often active Jump Clients
	// report statistics: 60.
	DefaultStatisticsIntervalSeconds = 60
	// DefaultUpgradeMode is the Jump Clients' upgrade mode: always.
	DefaultUpgradeMode = UpgradeAlways
	// DefaultLostAfterDays is when an offline Jump Client is marked lost: 90.
	DefaultLostAfterDays = 90
	// DefaultDeletedAfterDays is when an offline Jump Client is deleted: 180.
	DefaultDeletedAfterDays = 180
	// DefaultUninstalledBehavior is what happens to a Jump Client
	// uninstalled at the endpoint: keep.
	DefaultUninstalledBehavior = UninstalledKeep
	// DefaultStandbyCheckInMinutes is how often standby Jump Clients check
	// in: 60.
	DefaultStandbyCheckInMinutes = 60
	// DefaultUnattendedSessionsAllowed is the settings'
	// unattended_sessions_allowed: true.
	DefaultUnattendedSessionsAllowed = true
)

// What an unanswered consent prompt means (SessionPolicy.OnTimeout).
const (
	OnTimeoutAccept = "accept"
	OnTimeoutDeny   = "deny"
)

// What happens to a Jump Client uninstalled at the endpoint
// (JumpClientSettings.UninstalledBehavior).
const (
	// UninstalledKeep keeps the client, with status uninstalled.
	UninstalledKeep = "keep"
	// UninstalledRemove deletes the client.
	UninstalledRemove = "remove"
)

// DefaultStatistics returns the statistics a new appliance collects, in
// the order the appliance stores them. The settings have no default for
// them in a write: a write that leaves them out collects none.
func DefaultStatistics() []string {
	return []string{StatConsoleUser, StatCPU, StatDisk, StatUptime}
}

// DefaultJumpClientSettings are the Jump Client settings of a new appliance:
// what the Terraform provider and the Kubernetes operator put back when the
// resource that manages them is deleted. A PUT that omits statistics clears
// them, so send all of these.
func DefaultJumpClientSettings() *JumpClientSettings {
	s := &JumpClientSettings{Statistics: DefaultStatistics()}
	s.ApplyDefaults()
	return s
}

// setString sets *p to v when it is empty.
func setString(p *string, v string) {
	if *p == "" {
		*p = v
	}
}

// setInt sets *p to v when it is 0.
func setInt(p *int, v int) {
	if *p == 0 {
		*p = v
	}
}

// setBool sets *p to a pointer to v when it is nil.
func setBool(p **bool, v bool) {
	if *p == nil {
		*p = Bool(v)
	}
}

// ApplyDefaults fills the empty fields of p with their defaults.
func (p *SessionPermissions) ApplyDefaults() {
	setString(&p.Clipboard, DefaultClipboard)
	setInt(&p.ClipboardMaxBytes, DefaultClipboardMaxBytes)
}

// ApplyDefaults fills the empty fields of p and its permissions with their
// defaults. IdleTimeoutMinutes has none: 0 means never.
func (p *SessionPolicy) ApplyDefaults() {
	p.Permissions.ApplyDefaults()
	setString(&p.PromptCustomer, DefaultPromptCustomer)
	setInt(&p.PromptTimeoutSeconds, DefaultPromptTimeoutSeconds)
	setString(&p.OnTimeout, DefaultOnTimeout)
	setInt(&p.MaxSessionMinutes, DefaultMaxSessionMinutes)
	setBool(&p.RecordShell, DefaultRecording)
	setBool(&p.RecordScreen, DefaultRecording)
	setBool(&p.RecordTunnel, DefaultRecording)
}

// ApplyDefaults fills the empty fields of p with their defaults.
func (p *JumpPolicy) ApplyDefaults() {
	setString(&p.Timezone, DefaultTimezone)
	setString(&p.SimultaneousJumps, DefaultSimultaneousJumps)
	setInt(&p.ApprovalMaxDuration, DefaultApprovalMaxDuration)
}

// ApplyDefaults fills the empty fields of p with their defaults.
func (p *JumpZoneProxy) ApplyDefaults() {
	setInt(&p.Port, DefaultProxyPort)
}

// ApplyDefaults fills the empty fields of j and its Jump Zone Proxy with
// their defaults.
func (j *Jumpoint) ApplyDefaults() {
	setString(&j.Platform, DefaultPlatform)
	setBool(&j.Enabled, DefaultJumpointEnabled)
	j.JumpZoneProxy.ApplyDefaults()
}

// ApplyDefaults fills the empty fields of i with their defaults. The
// connection type is left alone: the appliance fills it from the Jump
// Client settings. MaxOfflineMinutes has none: 0 uses the global settings.
func (i *JumpClientInstaller) ApplyDefaults() {
	setInt(&i.ValidDuration, DefaultValidDuration)
	setString(&i.JumpGroupType, DefaultJumpGroupType)
	setString(&i.CustomerClientStartMode, DefaultStartMode)
	setBool(&i.ElevateInstall, DefaultElevateInstall)
}

// ApplyDefaults fills the empty fields of j with their defaults. A tunnel
// definition's local port has none: 0 picks a free port.
func (j *ProtocolTunnelJump) ApplyDefaults() {
	setString(&j.TunnelListenAddress, DefaultTunnelListenAddress)
	setString(&j.JumpGroupType, DefaultJumpGroupType)
}

// ApplyDefaults fills the empty fields of p with their defaults.
func (p *PublicPortal) ApplyDefaults() {
	setString(&p.AutomaticBehavior, DefaultAutomaticBehavior)
}

// ApplyDefaults fills the empty fields of c with their defaults.
func (c *JumpClient) ApplyDefaults() {
	setString(&c.JumpGroupType, DefaultJumpGroupType)
	setString(&c.ConnectionType, DefaultConnectionType)
}

// ApplyDefaults fills the empty fields of s with their defaults. Statistics
// are left alone: nil (left out) and [] both mean none.
func (s *JumpClientSettings) ApplyDefaults() {
	setInt(&s.StatisticsIntervalSeconds, DefaultStatisticsIntervalSeconds)
	setString(&s.UpgradeMode, DefaultUpgradeMode)
	setInt(&s.LostAfterDays, DefaultLostAfterDays)
	setInt(&s.DeletedAfterDays, DefaultDeletedAfterDays)
	setString(&s.UninstalledBehavior, DefaultUninstalledBehavior)
	setString(&s.DefaultConnectionType, DefaultConnectionType)
	setInt(&s.StandbyCheckInMinutes, DefaultStandbyCheckInMinutes)
	setString(&s.SimultaneousJumps, DefaultSimultaneousJumps)
	setBool(&s.UnattendedSessionsAllowed, DefaultUnattendedSessionsAllowed)
}

// ApplyDefaults fills the empty fields of u with their defaults.
func (u *User) ApplyDefaults() {
	setBool(&u.Enabled, DefaultUserEnabled)
}
