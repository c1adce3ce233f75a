package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/jumpgate/jumpgate/api"
)

// Cross-field checks of the Jump and Session Policies, mirroring
// appliance/internal/jumppolicy and appliance/internal/sessionpolicy.

// cfgKnown reports whether v is neither null nor unknown.
func cfgKnown(v attr.Value) bool { return !v.IsNull() && !v.IsUnknown() }

// cfgTrue reports whether a configured bool is known and true.
func cfgTrue(v types.Bool) bool { return cfgKnown(v) && v.ValueBool() }

// cfgOff reports whether a configured bool whose default is false is
// off: null (so the default) or false.
func cfgOff(v types.Bool) bool { return v.IsNull() || (!v.IsUnknown() && !v.ValueBool()) }

// cfgEmptyString reports whether a configured string is null or "" (an unknown
// value is not empty: it may be set at apply).
func cfgEmptyString(v types.String) bool {
	return v.IsNull() || (!v.IsUnknown() && v.ValueString() == "")
}

// cfgEmptyCollection reports whether a configured list or set is null or has
// no elements (an unknown one is not empty).
func cfgEmptyCollection(v interface {
	attr.Value
	Elements() []attr.Value
}) bool {
	return v.IsNull() || (!v.IsUnknown() && len(v.Elements()) == 0)
}

// validateJumpPolicy checks the cross-field rules of the appliance's
// jumppolicy.check on a configuration.
func validateJumpPolicy(ctx context.Context, m *jumpPolicyModel, diags *diag.Diagnostics) {
	if cfgTrue(m.ScheduleEnabled) && cfgEmptyCollection(m.Schedule) {
		diags.AddAttributeError(path.Root("schedule"), "Missing schedule",
			"schedule must have at least one entry when schedule_enabled is true: jumps would never be allowed.")
	}
	if cfgKnown(m.Schedule) {
		var entries []scheduleModel
		diags.Append(m.Schedule.ElementsAs(ctx, &entries, false)...)
		for i, e := range entries {
			if cfgKnown(e.StartTime) && cfgKnown(e.EndTime) && !api.ScheduleEndAfterStart(e.StartTime.ValueString(), e.EndTime.ValueString()) {
				diags.AddAttributeError(path.Root("schedule").AtListIndex(i).AtName("end_time"), "Invalid schedule entry",
					"end_time "+e.EndTime.ValueString()+" "+api.ScheduleEndMessage(e.StartTime.ValueString())+".")
			}
		}
	}
	if cfgTrue(m.TicketIDRequired) && cfgEmptyString(m.TicketIDWebhookURL) {
		diags.AddAttributeError(path.Root("ticket_id_webhook_url"), "Missing ticket ID webhook",
			"ticket_id_webhook_url is required when ticket_id_required is true: the appliance checks ticket IDs against it.")
	}
	if cfgTrue(m.ApprovalRequired) && cfgEmptyCollection(m.ApprovalUserIDs) {
		diags.AddAttributeError(path.Root("approval_user_ids"), "Missing approvers",
			"approval_user_ids must name at least one approver when approval_required is true.")
	}
	if (cfgTrue(m.SessionStartNotification) || cfgTrue(m.SessionEndNotification)) &&
		cfgEmptyCollection(m.NotificationEmailAddresses) && cfgEmptyString(m.NotificationWebhookURL) {
		diags.AddAttributeError(path.Root("notification_email_addresses"), "Missing notification recipient",
			"session_start_notification and session_end_notification need notification_email_addresses or a notification_webhook_url.")
	}
}

// validateSessionPolicy checks the cross-field rules of the appliance's
// sessionpolicy.check on a configuration.
func validateSessionPolicy(ctx context.Context, m *sessionPolicyModel, diags *diag.Diagnostics) {
	if !cfgKnown(m.Permissions) {
		return
	}
	var p permissionsModel
	diags.Append(m.Permissions.As(ctx, &p, basetypes.ObjectAsOptions{})...)
	if diags.HasError() {
		return
	}
	perms := path.Root("permissions")
	if cfgTrue(p.FileWrite) && cfgOff(p.FileRead) {
		diags.AddAttributeError(perms.AtName("file_write"), "Invalid permissions",
			"permissions.file_write requires permissions.file_read = true, since writes list the target directory.")
	}
	if cfgTrue(p.ScreenControl) && cfgOff(p.ScreenView) {
		diags.AddAttributeError(perms.AtName("screen_control"), "Invalid permissions",
			"permissions.screen_control requires permissions.screen_view = true.")
	}
}
