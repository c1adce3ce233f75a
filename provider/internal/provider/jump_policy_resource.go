package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/setdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/jumpgate/jumpgate/api"
)

// NewJumpPolicyResource is jumpgate_jump_policy.
func NewJumpPolicyResource() resource.Resource {
	return &collectionResource[api.JumpPolicy, jumpPolicyModel]{spec: jumpPolicySpec}
}

// NewJumpPolicyDataSource is the data source jumpgate_jump_policy.
func NewJumpPolicyDataSource() datasource.DataSource {
	return &objectDataSource[api.JumpPolicy, jumpPolicyModel]{spec: jumpPolicySpec}
}

// NewJumpPoliciesDataSource is the data source jumpgate_jump_policies.
func NewJumpPoliciesDataSource() datasource.DataSource {
	return &listDataSource[api.JumpPolicy, jumpPolicyModel]{spec: jumpPolicySpec}
}

var jumpPolicySpec = &spec[api.JumpPolicy, jumpPolicyModel]{
	name: "jump_policy", plural: "jump_policies", title: "Jump Policy",
	lookup: []string{"code_name"},
	filters: []filter{
		{name: "code_name", description: "The unique code name."},
		{name: "display_name", description: "The display name."},
	},
	create:   (*api.Client).CreateJumpPolicy,
	get:      (*api.Client).GetJumpPolicy,
	update:   (*api.Client).UpdateJumpPolicy,
	remove:   (*api.Client).DeleteJumpPolicy,
	list:     (*api.Client).ListJumpPolicies,
	schema:   jumpPolicySchema,
	toAPI:    jumpPolicyToAPI,
	fromAPI:  jumpPolicyFromAPI,
	validate: validateJumpPolicy,
}

type jumpPolicyModel struct {
	ID                         types.String      `tfsdk:"id"`
	DisplayName                types.String      `tfsdk:"display_name"`
	CodeName                   types.String      `tfsdk:"code_name"`
	Description                types.String      `tfsdk:"description"`
	ScheduleEnabled            types.Bool        `tfsdk:"schedule_enabled"`
	Schedule                   types.List        `tfsdk:"schedule"`
	Timezone                   types.String      `tfsdk:"timezone"`
	ScheduleStrict             types.Bool        `tfsdk:"schedule_strict"`
	ExpiresAt                  timetypes.RFC3339 `tfsdk:"expires_at"`
	SimultaneousJumps          types.String      `tfsdk:"simultaneous_jumps"`
	TicketIDRequired           types.Bool        `tfsdk:"ticket_id_required"`
	TicketIDWebhookURL         types.String      `tfsdk:"ticket_id_webhook_url"`
	ApprovalRequired           types.Bool        `tfsdk:"approval_required"`
	ApprovalUserIDs            types.Set         `tfsdk:"approval_user_ids"`
	ApprovalMaxDuration        types.Int64       `tfsdk:"approval_max_duration"`
	SessionStartNotification   types.Bool        `tfsdk:"session_start_notification"`
	SessionEndNotification     types.Bool        `tfsdk:"session_end_notification"`
	NotificationEmailAddresses types.Set         `tfsdk:"notification_email_addresses"`
	NotificationWebhookURL     types.String      `tfsdk:"notification_webhook_url"`
	RecordingsDisabled         types.Bool        `tfsdk:"recordings_disabled"`
}

type scheduleModel struct {
	Day       types.String `tfsdk:"day"`
	StartTime types.String `tfsdk:"start_time"`
	EndTime   types.String `tfsdk:"end_time"`
}

var scheduleObjectType = objectTypeOf(map[string]attrType{
	"day": types.StringType, "start_time": types.StringType, "end_time": types.StringType,
})

func jumpPolicySchema() schema.Schema {
	return schema.Schema{
		MarkdownDescription: "A Jump Policy: when and how Jump Items may be jumped to — weekly schedule windows, an expiry, " +
			"simultaneous jumps, ticket IDs, approvals, session notifications and recording. " +
			"Protocol Tunnel Jumps, Jump Client installers and Jump Group memberships refer to it by id. " +
			"A policy still in use cannot be deleted: the appliance answers 409 naming what uses it.",
		Attributes: map[string]schema.Attribute{
			"id": idAttribute("Jump Policy"),
			"display_name": schema.StringAttribute{
				MarkdownDescription: "Name shown to users, " + limits[api.JumpPolicy]("display_name") + ".",
				Required:            true,
				Validators:          stringRule[api.JumpPolicy]("display_name"),
			},
			"code_name": schema.StringAttribute{
				MarkdownDescription: "Unique machine name: 1–64 letters, digits, `_`, `-` and `.`, starting with a letter or digit.",
				Required:            true,
				Validators:          stringRule[api.JumpPolicy]("code_name"),
			},
			"description": schema.StringAttribute{
				MarkdownDescription: "Free text, " + limits[api.JumpPolicy]("description") + ". Default `\"\"`.",
				Optional:            true,
				Computed:            true,
				Default:             stringdefault.StaticString(""),
				Validators:          stringRule[api.JumpPolicy]("description"),
			},
			"schedule_enabled": schema.BoolAttribute{
				MarkdownDescription: "Allow jumps only within the `schedule` windows; needs at least one `schedule` entry. Default `false`.",
				Optional:            true,
				Computed:            true,
				Default:             booldefault.StaticBool(false),
			},
			"schedule": schema.ListNestedAttribute{
				MarkdownDescription: "Weekly windows, in `timezone`, when jumps are allowed (if `schedule_enabled`). At most 100 entries; " +
					"the appliance keeps them in the order written. A window past midnight is two entries " +
					"(one ending at `24:00`, one starting at `00:00`). Default `[]`.",
				Optional:   true,
				Computed:   true,
				Default:    listdefault.StaticValue(types.ListValueMust(scheduleObjectType, []attr.Value{})),
				Validators: listRule[api.JumpPolicy]("schedule"),
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"day": schema.StringAttribute{
						MarkdownDescription: "Day of the week in lower case: `monday` … `sunday`.",
						Required:            true,
						Validators:          stringRule[api.JumpPolicy]("schedule.day"),
					},
					"start_time": schema.StringAttribute{
						MarkdownDescription: "Start of the window as `HH:MM`, `00:00`–`23:59`.",
						Required:            true,
						Validators:          stringRule[api.JumpPolicy]("schedule.start_time"),
					},
					"end_time": schema.StringAttribute{
						MarkdownDescription: "End of the window as `HH:MM`, after `start_time`; `24:00` is midnight at the end of the day.",
						Required:            true,
						Validators:          stringRule[api.JumpPolicy]("schedule.end_time"),
					},
				}},
			},
			"timezone": schema.StringAttribute{
				MarkdownDescription: "IANA time zone of the schedule, such as `Europe/Berlin`. Default `" + api.DefaultTimezone + "`.",
				Optional:            true,
				Computed:            true,
				Default:             stringdefault.StaticString(api.DefaultTimezone),
				Validators:          stringRule[api.JumpPolicy]("timezone"),
			},
			"schedule_strict": schema.BoolAttribute{
				MarkdownDescription: "End running sessions when their schedule window closes. Default `false`.",
				Optional:            true,
				Computed:            true,
				Default:             booldefault.StaticBool(false),
			},
			"expires_at": schema.StringAttribute{
				MarkdownDescription: "When the policy stops allowing any jump, as an RFC 3339 time in whole seconds " +
					"(e.g. `2030-01-31T18:00:00Z` or with an offset such as `+02:00`; the appliance stores it in UTC, and the same instant " +
					"written with another offset is not a change). Unset: the policy never expires.",
				Optional:   true,
				CustomType: timetypes.RFC3339Type{},
				Validators: []validator.String{expiresAtValidator()},
			},
			"simultaneous_jumps": schema.StringAttribute{
				MarkdownDescription: "What happens when a second user jumps to an item already in a session: " +
					"`allow` (independent sessions), `join` (they join the running session) or `disallow`. Default `" + api.DefaultSimultaneousJumps + "`.",
				Optional:   true,
				Computed:   true,
				Default:    stringdefault.StaticString(api.DefaultSimultaneousJumps),
				Validators: stringRule[api.JumpPolicy]("simultaneous_jumps"),
			},
			"ticket_id_required": schema.BoolAttribute{
				MarkdownDescription: "Ask for a ticket ID before a jump, checked against `ticket_id_webhook_url` (which it needs). Default `false`.",
				Optional:            true,
				Computed:            true,
				Default:             booldefault.StaticBool(false),
			},
			"ticket_id_webhook_url": schema.StringAttribute{
				MarkdownDescription: "http(s) URL, " + limits[api.JumpPolicy]("ticket_id_webhook_url") + " and without user info, that validates ticket IDs. Default `\"\"` (none).",
				Optional:            true,
				Computed:            true,
				Default:             stringdefault.StaticString(""),
				Validators:          stringRule[api.JumpPolicy]("ticket_id_webhook_url"),
			},
			"approval_required": schema.BoolAttribute{
				MarkdownDescription: "Make jumps wait for a grant by one of `approval_user_ids` (which it needs). Default `false`.",
				Optional:            true,
				Computed:            true,
				Default:             booldefault.StaticBool(false),
			},
			"approval_user_ids": schema.SetAttribute{
				MarkdownDescription: "IDs of the users who may approve jumps (`jumpgate_user.<name>.id`, as numbers); existing users, " + limits[api.JumpPolicy]("approval_user_ids") + ". Default `[]`.",
				ElementType:         types.Int64Type,
				Optional:            true,
				Computed:            true,
				Default:             setdefault.StaticValue(types.SetValueMust(types.Int64Type, []attr.Value{})),
				Validators:          setRule[api.JumpPolicy]("approval_user_ids"),
			},
			"approval_max_duration": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("Longest approval an approver may grant, in minutes: "+limits[api.JumpPolicy]("approval_max_duration")+" (30 days). Default `%d`.", api.DefaultApprovalMaxDuration),
				Optional:            true,
				Computed:            true,
				Default:             int64default.StaticInt64(api.DefaultApprovalMaxDuration),
				Validators:          int64Rule[api.JumpPolicy]("approval_max_duration"),
			},
			"session_start_notification": schema.BoolAttribute{
				MarkdownDescription: "Notify when a session starts; needs `notification_email_addresses` or `notification_webhook_url`. Default `false`.",
				Optional:            true,
				Computed:            true,
				Default:             booldefault.StaticBool(false),
			},
			"session_end_notification": schema.BoolAttribute{
				MarkdownDescription: "Notify when a session ends; needs `notification_email_addresses` or `notification_webhook_url`. Default `false`.",
				Optional:            true,
				Computed:            true,
				Default:             booldefault.StaticBool(false),
			},
			"notification_email_addresses": schema.SetAttribute{
				MarkdownDescription: "E-mail addresses (" + limits[api.JumpPolicy]("notification_email_addresses") + ", each at most 254 characters) that receive start and end notifications. " +
					"The appliance stores them but sends no e-mail yet. Default `[]`.",
				ElementType: types.StringType,
				Optional:    true,
				Computed:    true,
				Default:     setdefault.StaticValue(types.SetValueMust(types.StringType, []attr.Value{})),
				Validators:  setRule[api.JumpPolicy]("notification_email_addresses"),
			},
			"notification_webhook_url": schema.StringAttribute{
				MarkdownDescription: "http(s) URL, " + limits[api.JumpPolicy]("notification_webhook_url") + " and without user info, that receives start and end notifications as JSON POSTs. Default `\"\"` (none).",
				Optional:            true,
				Computed:            true,
				Default:             stringdefault.StaticString(""),
				Validators:          stringRule[api.JumpPolicy]("notification_webhook_url"),
			},
			"recordings_disabled": schema.BoolAttribute{
				MarkdownDescription: "Turn session recording off for items under this policy. Default `false`.",
				Optional:            true,
				Computed:            true,
				Default:             booldefault.StaticBool(false),
			},
		},
	}
}

func jumpPolicyToAPI(ctx context.Context, m, _ *jumpPolicyModel, diags *diag.Diagnostics) *api.JumpPolicy {
	a := &api.JumpPolicy{
		DisplayName: m.DisplayName.ValueString(), CodeName: m.CodeName.ValueString(), Description: m.Description.ValueString(),
		ScheduleEnabled: m.ScheduleEnabled.ValueBool(), Timezone: m.Timezone.ValueString(), ScheduleStrict: m.ScheduleStrict.ValueBool(),
		ExpiresAt: timePtr(m.ExpiresAt, diags), SimultaneousJumps: m.SimultaneousJumps.ValueString(),
		TicketIDRequired: m.TicketIDRequired.ValueBool(), TicketIDWebhookURL: m.TicketIDWebhookURL.ValueString(),
		ApprovalRequired: m.ApprovalRequired.ValueBool(), ApprovalUserIDs: int64sOf(ctx, m.ApprovalUserIDs, diags),
		ApprovalMaxDuration:      int(m.ApprovalMaxDuration.ValueInt64()),
		SessionStartNotification: m.SessionStartNotification.ValueBool(), SessionEndNotification: m.SessionEndNotification.ValueBool(),
		NotificationEmailAddresses: stringsOf(ctx, m.NotificationEmailAddresses, diags),
		NotificationWebhookURL:     m.NotificationWebhookURL.ValueString(),
		RecordingsDisabled:         m.RecordingsDisabled.ValueBool(),
	}
	var entries []scheduleModel
	if cfgKnown(m.Schedule) {
		diags.Append(m.Schedule.ElementsAs(ctx, &entries, false)...)
	}
	a.Schedule = make([]api.ScheduleEntry, 0, len(entries))
	for _, e := range entries {
		a.Schedule = append(a.Schedule, api.ScheduleEntry{Day: e.Day.ValueString(), StartTime: e.StartTime.ValueString(), EndTime: e.EndTime.ValueString()})
	}
	return a
}

func jumpPolicyFromAPI(ctx context.Context, a *api.JumpPolicy, m *jumpPolicyModel, diags *diag.Diagnostics) {
	m.ID = idString(a.ID)
	m.DisplayName = types.StringValue(a.DisplayName)
	m.CodeName = types.StringValue(a.CodeName)
	m.Description = types.StringValue(a.Description)
	m.ScheduleEnabled = types.BoolValue(a.ScheduleEnabled)
	entries := make([]scheduleModel, 0, len(a.Schedule))
	for _, e := range a.Schedule {
		entries = append(entries, scheduleModel{Day: types.StringValue(e.Day), StartTime: types.StringValue(e.StartTime), EndTime: types.StringValue(e.EndTime)})
	}
	m.Schedule = listOf(ctx, scheduleObjectType, entries, diags)
	m.Timezone = types.StringValue(a.Timezone)
	m.ScheduleStrict = types.BoolValue(a.ScheduleStrict)
	m.ExpiresAt = sameInstantOr(m.ExpiresAt, a.ExpiresAt)
	m.SimultaneousJumps = types.StringValue(a.SimultaneousJumps)
	m.TicketIDRequired = types.BoolValue(a.TicketIDRequired)
	m.TicketIDWebhookURL = types.StringValue(a.TicketIDWebhookURL)
	m.ApprovalRequired = types.BoolValue(a.ApprovalRequired)
	m.ApprovalUserIDs = setOf(ctx, types.Int64Type, withoutRepeats(a.ApprovalUserIDs), diags)
	m.ApprovalMaxDuration = types.Int64Value(int64(a.ApprovalMaxDuration))
	m.SessionStartNotification = types.BoolValue(a.SessionStartNotification)
	m.SessionEndNotification = types.BoolValue(a.SessionEndNotification)
	m.NotificationEmailAddresses = setOf(ctx, types.StringType, withoutRepeats(a.NotificationEmailAddresses), diags)
	m.NotificationWebhookURL = types.StringValue(a.NotificationWebhookURL)
	m.RecordingsDisabled = types.BoolValue(a.RecordingsDisabled)
}

// withoutRepeats drops repeated elements, keeping the first of each: a set cannot
// hold them (the appliance keeps repeated e-mail addresses as written).
func withoutRepeats[T comparable](s []T) []T {
	out := make([]T, 0, len(s))
	seen := make(map[T]bool, len(s))
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
