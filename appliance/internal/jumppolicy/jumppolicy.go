// Package jumppolicy manages Jump Policies: when and how Jump Items may be
// jumped to (schedules, expiry, simultaneous jumps, approval, ticket IDs,
// notifications and recording).
package jumppolicy

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/internal/auth"
	"github.com/jumpgate/jumpgate/appliance/internal/db"
	"github.com/jumpgate/jumpgate/appliance/internal/problem"
	"github.com/jumpgate/jumpgate/appliance/internal/resource"
)

// Record is a Jump Policy row; lists are stored as JSON.
type Record struct {
	resource.Base
	resource.Labeled
	DisplayName                string              `gorm:"size:128;not null"`
	CodeName                   string              `gorm:"size:64;not null;uniqueIndex"`
	Description                string              `gorm:"size:1024;not null"`
	ScheduleEnabled            bool                `gorm:"not null"`
	Schedule                   []api.ScheduleEntry `gorm:"serializer:json;type:text"`
	Timezone                   string              `gorm:"size:64;not null"`
	ScheduleStrict             bool                `gorm:"not null"`
	ExpiresAt                  *time.Time
	SimultaneousJumps          string   `gorm:"size:16;not null"`
	TicketIDRequired           bool     `gorm:"not null"`
	TicketIDWebhookURL         string   `gorm:"size:2048;not null"`
	ApprovalRequired           bool     `gorm:"not null"`
	ApprovalUserIDs            []int64  `gorm:"serializer:json;type:text"`
	ApprovalMaxDuration        int      `gorm:"not null"`
	SessionStartNotification   bool     `gorm:"not null"`
	SessionEndNotification     bool     `gorm:"not null"`
	NotificationEmailAddresses []string `gorm:"serializer:json;type:text"`
	NotificationWebhookURL     string   `gorm:"size:2048;not null"`
	RecordingsDisabled         bool     `gorm:"not null"`
}

// TableName fixes the table name.
func (Record) TableName() string { return "jump_policies" }

func toAPI(r *Record) *api.JumpPolicy {
	return &api.JumpPolicy{
		Meta: r.Meta(), DisplayName: r.DisplayName, CodeName: r.CodeName, Description: r.Description,
		ScheduleEnabled: r.ScheduleEnabled, Schedule: orEmpty(r.Schedule), Timezone: r.Timezone, ScheduleStrict: r.ScheduleStrict,
		ExpiresAt: r.ExpiresAt, SimultaneousJumps: r.SimultaneousJumps,
		TicketIDRequired: r.TicketIDRequired, TicketIDWebhookURL: r.TicketIDWebhookURL,
		ApprovalRequired: r.ApprovalRequired, ApprovalUserIDs: orEmpty(r.ApprovalUserIDs), ApprovalMaxDuration: r.ApprovalMaxDuration,
		SessionStartNotification: r.SessionStartNotification, SessionEndNotification: r.SessionEndNotification,
		NotificationEmailAddresses: orEmpty(r.NotificationEmailAddresses), NotificationWebhookURL: r.NotificationWebhookURL,
		RecordingsDisabled: r.RecordingsDisabled,
	}
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func fromAPI(a *api.JumpPolicy, r *Record) error {
	r.DisplayName, r.CodeName, r.Description = a.DisplayName, a.CodeName, a.Description
	r.ScheduleEnabled, r.Schedule, r.Timezone, r.ScheduleStrict = a.ScheduleEnabled, orEmpty(a.Schedule), a.Timezone, a.ScheduleStrict
	r.ExpiresAt, r.SimultaneousJumps = a.ExpiresAt, a.SimultaneousJumps
	r.TicketIDRequired, r.TicketIDWebhookURL = a.TicketIDRequired, a.TicketIDWebhookURL
	r.ApprovalRequired, r.ApprovalUserIDs, r.ApprovalMaxDuration = a.ApprovalRequired, orEmpty(a.ApprovalUserIDs), a.ApprovalMaxDuration
	r.SessionStartNotification, r.SessionEndNotification = a.SessionStartNotification, a.SessionEndNotification
	r.NotificationEmailAddresses, r.NotificationWebhookURL = orEmpty(a.NotificationEmailAddresses), a.NotificationWebhookURL
	r.RecordingsDisabled = a.RecordingsDisabled
	return nil
}

// defaults fills the defaults and keeps the expiry as stored: whole
// seconds in UTC.
func defaults(a *api.JumpPolicy) {
	a.ApplyDefaults()
	if a.ExpiresAt != nil {
		t := a.ExpiresAt.UTC().Truncate(time.Second)
		a.ExpiresAt = &t
	}
}

func check(ctx context.Context, tx *gorm.DB, a *api.JumpPolicy, _ int64) error {
	inv := &problem.Invalid{}
	if a.ScheduleEnabled && len(a.Schedule) == 0 {
		inv.Add("schedule", "must have at least one entry when schedule_enabled is true")
	}
	for i, e := range a.Schedule {
		if e.StartTime != "" && e.EndTime != "" && !api.ScheduleEndAfterStart(e.StartTime, e.EndTime) {
			inv.Add(fmt.Sprintf("schedule[%d].end_time", i), "%s", api.ScheduleEndMessage(e.StartTime))
		}
	}
	if a.TicketIDRequired && a.TicketIDWebhookURL == "" {
		inv.Add("ticket_id_webhook_url", "is required when ticket_id_required is true")
	}
	if a.ApprovalRequired && len(a.ApprovalUserIDs) == 0 {
		inv.Add("approval_user_ids", "must name at least one approver when approval_required is true")
	}
	if err := resource.RefList(ctx, tx, inv, "approval_user_ids", "users", "user", a.ApprovalUserIDs); err != nil {
		return err
	}
	if (a.SessionStartNotification || a.SessionEndNotification) && len(a.NotificationEmailAddresses) == 0 && a.NotificationWebhookURL == "" {
		inv.Add("notification_email_addresses", "need an address or a notification_webhook_url when notifications are on")
	}
	return inv.Err()
}

// Service is the jump-policies collection.
type Service = resource.Service[api.JumpPolicy, Record]

// New returns the jump-policies collection over d.
func New(d *db.DB) *Service {
	return &Service{DB: d, Spec: resource.Spec[api.JumpPolicy, Record]{
		Kind: "jump_policy", Path: api.PathJumpPolicies, Title: "Jump Policy",
		ToAPI: toAPI, FromAPI: fromAPI, Defaults: defaults, Check: check,
		Unique: map[string]string{"code_name": "code_name"},
		BeforeDelete: func(ctx context.Context, tx *gorm.DB, r *Record) error {
			return resource.RefuseIfUsed(ctx, tx, fmt.Sprintf("jump policy %q", r.CodeName), "jump_policies", r.ID)
		},
		Name: func(a *api.JumpPolicy) string { return a.CodeName },
		// Webhook URLs often carry a secret in their path or query: only
		// administrators (the console's admins, the provider, the
		// operator) read them. Only administrators write jump policies,
		// so the hidden value is never written back.
		RedactFor: func(p auth.Principal, a *api.JumpPolicy) {
			if !p.Admin {
				a.TicketIDWebhookURL, a.NotificationWebhookURL = "", ""
			}
		},
		NonAdminRead: true,
		Search:       []string{"display_name", "code_name"}, SearchDoc: "display_name and code_name",
		Sorts: map[string]string{"display_name": "display_name", "code_name": "code_name"},
		Filters: map[string]resource.Filter{
			"code_name":    {Column: "code_name", Doc: "Only the jump policy with this code name."},
			"display_name": {Column: "display_name", Doc: "Only jump policies with this display name."},
		},
	}}
}
