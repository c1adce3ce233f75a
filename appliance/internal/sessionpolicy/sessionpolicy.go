// Package sessionpolicy manages Session Policies: what a session may do
// (permissions, consent prompting, time limits and recording).
package sessionpolicy

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/internal/db"
	"github.com/jumpgate/jumpgate/appliance/internal/problem"
	"github.com/jumpgate/jumpgate/appliance/internal/resource"
)

// Record is a Session Policy row.
type Record struct {
	resource.Base
	resource.Labeled
	CodeName             string                 `gorm:"size:64;not null;uniqueIndex"`
	DisplayName          string                 `gorm:"size:128;not null"`
	Description          string                 `gorm:"size:1024;not null"`
	Permissions          api.SessionPermissions `gorm:"serializer:json;type:text"`
	PromptCustomer       string                 `gorm:"size:16;not null"`
	PromptTimeoutSeconds int                    `gorm:"not null"`
	OnTimeout            string                 `gorm:"size:8;not null"`
	MaxSessionMinutes    int                    `gorm:"not null"`
	IdleTimeoutMinutes   int                    `gorm:"not null"`
	RecordShell          bool                   `gorm:"not null"`
	RecordScreen         bool                   `gorm:"not null"`
	RecordTunnel         bool                   `gorm:"not null"`
}

// TableName fixes the table name.
func (Record) TableName() string { return "session_policies" }

func toAPI(r *Record) *api.SessionPolicy {
	return &api.SessionPolicy{
		Meta: r.Meta(), CodeName: r.CodeName, DisplayName: r.DisplayName, Description: r.Description,
		Permissions: r.Permissions, PromptCustomer: r.PromptCustomer, PromptTimeoutSeconds: r.PromptTimeoutSeconds,
		OnTimeout: r.OnTimeout, MaxSessionMinutes: r.MaxSessionMinutes, IdleTimeoutMinutes: r.IdleTimeoutMinutes,
		RecordShell: api.Bool(r.RecordShell), RecordScreen: api.Bool(r.RecordScreen), RecordTunnel: api.Bool(r.RecordTunnel),
	}
}

func fromAPI(a *api.SessionPolicy, r *Record) error {
	r.CodeName, r.DisplayName, r.Description = a.CodeName, a.DisplayName, a.Description
	r.Permissions, r.PromptCustomer, r.PromptTimeoutSeconds, r.OnTimeout = a.Permissions, a.PromptCustomer, a.PromptTimeoutSeconds, a.OnTimeout
	r.MaxSessionMinutes, r.IdleTimeoutMinutes = a.MaxSessionMinutes, a.IdleTimeoutMinutes
	r.RecordShell, r.RecordScreen, r.RecordTunnel = *a.RecordShell, *a.RecordScreen, *a.RecordTunnel
	return nil
}

// Defaults fills the documented defaults of a session policy
// (api.SessionPolicy.ApplyDefaults).
func Defaults(a *api.SessionPolicy) { a.ApplyDefaults() }

func check(_ context.Context, _ *gorm.DB, a *api.SessionPolicy, _ int64) error {
	inv := &problem.Invalid{}
	if a.Permissions.ScreenControl && !a.Permissions.ScreenView {
		inv.Add("permissions.screen_control", "requires permissions.screen_view")
	}
	if a.Permissions.FileWrite && !a.Permissions.FileRead {
		inv.Add("permissions.file_write", "requires permissions.file_read, since writes list the target directory")
	}
	return inv.Err()
}

// Service is the session-policies collection.
type Service = resource.Service[api.SessionPolicy, Record]

// New returns the session-policies collection over d.
func New(d *db.DB) *Service {
	return &Service{DB: d, Spec: resource.Spec[api.SessionPolicy, Record]{
		Kind: "session_policy", Path: api.PathSessionPolicies, Title: "Session Policy",
		ToAPI: toAPI, FromAPI: fromAPI, Defaults: Defaults, Check: check,
		Unique: map[string]string{"code_name": "code_name"},
		BeforeDelete: func(ctx context.Context, tx *gorm.DB, r *Record) error {
			return resource.RefuseIfUsed(ctx, tx, fmt.Sprintf("session policy %q", r.CodeName), "session_policies", r.ID)
		},
		Name:         func(a *api.SessionPolicy) string { return a.CodeName },
		NonAdminRead: true,
		Search:       []string{"display_name", "code_name"}, SearchDoc: "display_name and code_name",
		Sorts: map[string]string{"display_name": "display_name", "code_name": "code_name"},
		Filters: map[string]resource.Filter{
			"code_name":    {Column: "code_name", Doc: "Only the session policy with this code name."},
			"display_name": {Column: "display_name", Doc: "Only session policies with this display name."},
		},
	}}
}
