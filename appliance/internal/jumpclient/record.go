// Package jumpclient manages installed Jump Clients: the jump-clients
// collection, enrollment of new agents from installer key info, and the
// lifecycle rules: lost, then deleted, after their days offline, and
// uninstalled.
package jumpclient

import (
	"time"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/internal/grouppolicy"
	"github.com/jumpgate/jumpgate/appliance/internal/resource"
)

// Record is a Jump Client row: its Jump Item fields, set at enrollment and
// editable through the API, and its identity. What the agent reports lives
// in State, so that frequent reports never race with edits.
type Record struct {
	resource.Base
	Name                      string `gorm:"size:128;not null;index"`
	JumpGroupID               int64  `gorm:"not null;index:idx_jc_owner"`
	JumpGroupType             string `gorm:"size:8;not null;index:idx_jc_owner"`
	PublicPortalID            *int64 `gorm:"index"`
	Tag                       string `gorm:"size:64;not null;index"`
	Comments                  string `gorm:"size:1024;not null"`
	JumpPolicyID              *int64 `gorm:"index"`
	AttendedSessionPolicyID   *int64 `gorm:"index"`
	UnattendedSessionPolicyID *int64 `gorm:"index"`
	ConnectionType            string `gorm:"size:8;not null"`
	MaxOfflineMinutes         int    `gorm:"not null"`
	SupportButtonProfile      string `gorm:"size:64;not null"`
	SupportButtonDirectQueue  string `gorm:"size:70;not null"`

	// InstallerID is the installer the client enrolled with.
	InstallerID string `gorm:"size:32;not null;index"`
	// HostID, InstallMode and RunUser identify one install on one host:
	// a reinstall with the same three re-binds the client (see Enroll).
	HostID      string `gorm:"size:128;not null;index:idx_jc_host"`
	InstallMode string `gorm:"size:8;not null;index:idx_jc_host"`
	RunUser     string `gorm:"size:128;not null;index:idx_jc_host"`
	Platform    string `gorm:"size:32;not null"`
	// PublicKey is the agent's Ed25519 key.
	PublicKey []byte `gorm:"not null"`
}

// TableName fixes the table name.
func (Record) TableName() string { return "jump_clients" }

// State is what a Jump Client's agent reports, one row per client.
type State struct {
	ClientID         int64  `gorm:"primaryKey;autoIncrement:false"`
	Status           string `gorm:"size:16;not null;index"`
	Hostname         string `gorm:"size:253;not null;index"`
	FQDN             string `gorm:"size:253;not null"`
	OS               string `gorm:"size:128;not null"`
	PrivateIP        string `gorm:"size:64;not null"`
	PublicIP         string `gorm:"size:64;not null"`
	MACAddress       string `gorm:"size:32;not null"`
	DefaultGateway   string `gorm:"size:64;not null;index"`
	ConsoleUser      string `gorm:"size:128;not null"`
	Headless         bool   `gorm:"not null;default:false"`
	Version          string `gorm:"size:64;not null"`
	LastConnectAt    *time.Time
	LastDisconnectAt *time.Time
	LastSeenAt       *time.Time                `gorm:"index"`
	Stats            *api.JumpClientStatistics `gorm:"serializer:json;type:text"`
	Presence         *api.JumpClientPresence   `gorm:"serializer:json;type:text"`
}

// TableName fixes the table name.
func (State) TableName() string { return "jump_client_states" }

// refs are the references of a Jump Client, and of its state, which the
// client's delete removes. A client's installer_id names its installer by
// the installer's own installer_id, not a row id: a client outlives the
// installer it enrolled with.
var refs = append([]resource.Reference{
	{Table: "jump_clients", Column: "public_portal_id", Field: "public_portal_id", Target: "public_portals", Noun: "public portal", Title: "jump clients"},
	{Table: "jump_clients", Column: "jump_policy_id", Field: "jump_policy_id", Target: "jump_policies", Noun: "jump policy", Title: "jump clients"},
	{Table: "jump_clients", Column: "attended_session_policy_id", Field: "attended_session_policy_id", Target: "session_policies", Noun: "session policy",
		Title: "jump clients (attended)"},
	{Table: "jump_clients", Column: "unattended_session_policy_id", Field: "unattended_session_policy_id", Target: "session_policies", Noun: "session policy",
		Title: "jump clients (unattended)"},
	{Table: "jump_client_states", Column: "client_id", Target: "jump_clients", Cascade: true},
}, grouppolicy.OwnerRefs("jump_clients", "jump clients")...)

func init() { resource.Register(refs...) }

func toAPI(r *Record) *api.JumpClient {
	return &api.JumpClient{
		Meta: r.Meta(), Name: r.Name, JumpGroupID: r.JumpGroupID, JumpGroupType: r.JumpGroupType,
		PublicPortalID: r.PublicPortalID, Tag: r.Tag, Comments: r.Comments, JumpPolicyID: r.JumpPolicyID,
		AttendedSessionPolicyID: r.AttendedSessionPolicyID, UnattendedSessionPolicyID: r.UnattendedSessionPolicyID,
		ConnectionType: r.ConnectionType, MaxOfflineMinutes: r.MaxOfflineMinutes,
		SupportButtonProfile: r.SupportButtonProfile, SupportButtonDirectQueue: r.SupportButtonDirectQueue,
		InstallerID: r.InstallerID, InstallMode: r.InstallMode, Platform: r.Platform, Status: api.ClientOffline,
	}
}

func fromAPI(a *api.JumpClient, r *Record) error {
	r.Name, r.JumpGroupID, r.JumpGroupType, r.PublicPortalID = a.Name, a.JumpGroupID, a.JumpGroupType, a.PublicPortalID
	r.Tag, r.Comments, r.JumpPolicyID = a.Tag, a.Comments, a.JumpPolicyID
	r.AttendedSessionPolicyID, r.UnattendedSessionPolicyID = a.AttendedSessionPolicyID, a.UnattendedSessionPolicyID
	r.ConnectionType, r.MaxOfflineMinutes = a.ConnectionType, a.MaxOfflineMinutes
	r.SupportButtonProfile, r.SupportButtonDirectQueue = a.SupportButtonProfile, a.SupportButtonDirectQueue
	return nil
}

// applyState copies a state row onto an api object.
func applyState(a *api.JumpClient, s *State) {
	a.Status, a.Hostname, a.FQDN, a.OS = s.Status, s.Hostname, s.FQDN, s.OS
	a.PrivateIP, a.PublicIP, a.MACAddress, a.DefaultGateway = s.PrivateIP, s.PublicIP, s.MACAddress, s.DefaultGateway
	a.ConsoleUser, a.AgentVersion, a.Headless = s.ConsoleUser, s.Version, s.Headless
	a.LastConnectAt, a.LastDisconnectAt, a.LastSeenAt = s.LastConnectAt, s.LastDisconnectAt, s.LastSeenAt
	a.Statistics, a.Presence = s.Stats, s.Presence
}
