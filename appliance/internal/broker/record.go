package broker

import (
	"time"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/internal/resource"
)

// Record is a session row. Every session request that names a visible item
// makes one, refused requests included, so that the session list and the
// audit trail tell the whole story.
type Record struct {
	ID            int64  `gorm:"primaryKey;autoIncrement"`
	ItemType      string `gorm:"size:32;not null;index:idx_session_item"`
	ItemID        int64  `gorm:"not null;index:idx_session_item"`
	ItemName      string `gorm:"size:128;not null"`
	UserID        int64  `gorm:"not null;index"`
	Username      string `gorm:"size:64;not null"`
	Mode          string `gorm:"size:16;not null"`
	Status        string `gorm:"size:16;not null;index"`
	RefusedReason string `gorm:"size:32;not null"`
	Detail        string `gorm:"size:1024;not null"`
	TicketID      string `gorm:"size:256;not null"`
	Reason        string `gorm:"size:1024;not null"`
	JumpPolicyID  *int64
	// SessionPolicyID nil is the built-in default policy.
	SessionPolicyID *int64
	Permissions     api.SessionPermissions `gorm:"serializer:json;type:text"`
	CustomerPresent *bool
	Recording       bool   `gorm:"not null"`
	RecordTunnel    bool   `gorm:"not null"`
	ControlRevoked  bool   `gorm:"not null"`
	CustomerName    string `gorm:"size:128;not null"`
	AccessCodeID    *int64
	AutoEnd         bool `gorm:"not null"`
	// The target, fixed at start: a Jump Client's id is ItemID; a tunnel
	// jump's Jumpoint, host and remote ports.
	JumpointID  int64  `gorm:"not null"`
	TargetHost  string `gorm:"size:253;not null"`
	TunnelPorts []int  `gorm:"serializer:json;type:text"`

	RequestedAt time.Time `gorm:"not null;index"`
	StartedAt   *time.Time
	EndsAt      *time.Time
	EndedAt     *time.Time
	EndedBy     string `gorm:"size:64;not null"`
	EndReason   string `gorm:"size:32;not null"`
	Rating      *int
	Feedback    string            `gorm:"size:4096;not null"`
	Tunnels     []api.TunnelStats `gorm:"serializer:json;type:text"`
	// InstanceID is the appliance process that runs the session
	// (instance.Column): a start ends only open sessions whose process is
	// dead.
	InstanceID string `gorm:"size:32;not null;default:''"`
}

// TableName fixes the table name.
func (Record) TableName() string { return "sessions" }

// Participant is a representative in a session.
type Participant struct {
	ID        int64     `gorm:"primaryKey;autoIncrement"`
	SessionID int64     `gorm:"not null;index"`
	UserID    int64     `gorm:"not null;index"`
	Username  string    `gorm:"size:64;not null"`
	JoinedAt  time.Time `gorm:"not null"`
	LeftAt    *time.Time
}

// TableName fixes the table name.
func (Participant) TableName() string { return "session_participants" }

// ApprovalRecord is an approval request and its answer.
type ApprovalRecord struct {
	ID           int64     `gorm:"primaryKey;autoIncrement"`
	ItemType     string    `gorm:"size:32;not null;index:idx_approval_item"`
	ItemID       int64     `gorm:"not null;index:idx_approval_item"`
	ItemName     string    `gorm:"size:128;not null"`
	JumpPolicyID int64     `gorm:"not null"`
	UserID       int64     `gorm:"not null;index"`
	Username     string    `gorm:"size:64;not null"`
	Reason       string    `gorm:"size:1024;not null"`
	Status       string    `gorm:"size:16;not null;index"`
	RequestedAt  time.Time `gorm:"not null"`
	DecidedAt    *time.Time
	DecidedBy    string `gorm:"size:64;not null"`
	Comment      string `gorm:"size:1024;not null"`
	ExpiresAt    *time.Time
}

// TableName fixes the table name.
func (ApprovalRecord) TableName() string { return "session_approvals" }

// CodeRecord is a one-time access code. Only the code's SHA-256 is kept.
type CodeRecord struct {
	ID              int64  `gorm:"primaryKey;autoIncrement"`
	CodeHash        string `gorm:"size:64;not null;uniqueIndex"`
	UserID          int64  `gorm:"not null;index"`
	Username        string `gorm:"size:64;not null"`
	SessionPolicyID *int64
	Comment         string    `gorm:"size:1024;not null"`
	CreatedAt       time.Time `gorm:"not null"`
	ExpiresAt       time.Time `gorm:"not null"`
	UsedAt          *time.Time
	SessionID       *int64
}

// TableName fixes the table name.
func (CodeRecord) TableName() string { return "access_codes" }

// codePolicy is the session policy an access code gives its session. The
// other ids of sessions, their participants, approvals, access codes and
// recordings are history: they keep the names they need (username, item
// name) and outlive what they name.
var codePolicy = resource.Reference{Table: "access_codes", Column: "session_policy_id", Field: "session_policy_id",
	Target: "session_policies", Noun: "session policy", Title: "access codes"}

func init() { resource.Register(codePolicy) }

// RecordingRecord is one recording file of a session.
type RecordingRecord struct {
	ID        int64  `gorm:"primaryKey;autoIncrement"`
	SessionID int64  `gorm:"not null;index"`
	Kind      string `gorm:"size:16;not null"`
	FileName  string `gorm:"size:128;not null"`
	// Path is relative to the appliance's recordings directory.
	Path      string    `gorm:"size:512;not null"`
	StartedAt time.Time `gorm:"not null"`
	EndedAt   *time.Time
	Size      int64  `gorm:"not null"`
	SHA256    string `gorm:"size:64;not null"`
}

// TableName fixes the table name.
func (RecordingRecord) TableName() string { return "session_recordings" }

func (r *Record) toAPI() *api.Session {
	s := &api.Session{
		ID: r.ID, ItemType: r.ItemType, ItemID: r.ItemID, ItemName: r.ItemName, UserID: r.UserID, Username: r.Username,
		Mode: r.Mode, Status: r.Status, RefusedReason: r.RefusedReason, Detail: r.Detail, TicketID: r.TicketID, Reason: r.Reason,
		JumpPolicyID: r.JumpPolicyID, SessionPolicyID: r.SessionPolicyID, Permissions: r.Permissions,
		CustomerPresent: r.CustomerPresent, Recording: r.Recording, ControlRevoked: r.ControlRevoked,
		CustomerName: r.CustomerName, AutoEnd: r.AutoEnd, RequestedAt: r.RequestedAt, StartedAt: r.StartedAt,
		EndsAt: r.EndsAt, EndedAt: r.EndedAt, EndedBy: r.EndedBy, EndReason: r.EndReason, Rating: r.Rating, Feedback: r.Feedback,
		Participants: []api.SessionParticipant{}, Tunnels: r.Tunnels, Recordings: []api.Recording{},
	}
	if s.Tunnels == nil {
		s.Tunnels = []api.TunnelStats{}
	}
	return s
}

func (a *ApprovalRecord) toAPI() *api.Approval {
	return &api.Approval{
		ID: a.ID, ItemType: a.ItemType, ItemID: a.ItemID, ItemName: a.ItemName, JumpPolicyID: a.JumpPolicyID,
		UserID: a.UserID, Username: a.Username, Reason: a.Reason, Status: a.Status, RequestedAt: a.RequestedAt,
		DecidedAt: a.DecidedAt, DecidedBy: a.DecidedBy, Comment: a.Comment, ExpiresAt: a.ExpiresAt,
	}
}

func (c *CodeRecord) toAPI(now time.Time) *api.AccessCode {
	st := api.CodePending
	switch {
	case c.UsedAt != nil:
		st = api.CodeUsed
	case !now.Before(c.ExpiresAt):
		st = api.CodeExpired
	}
	return &api.AccessCode{
		ID: c.ID, SessionPolicyID: c.SessionPolicyID, Comment: c.Comment, UserID: c.UserID, Username: c.Username,
		CreatedAt: c.CreatedAt, ExpiresAt: c.ExpiresAt, Status: st, SessionID: c.SessionID,
	}
}

func (r *RecordingRecord) toAPI() api.Recording {
	return api.Recording{ID: r.ID, SessionID: r.SessionID, Kind: r.Kind, FileName: r.FileName, StartedAt: r.StartedAt,
		EndedAt: r.EndedAt, Size: r.Size, SHA256: r.SHA256}
}
