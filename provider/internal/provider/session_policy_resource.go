package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/objectdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/jumpgate/jumpgate/api"
)

// NewSessionPolicyResource is jumpgate_session_policy.
func NewSessionPolicyResource() resource.Resource {
	return &collectionResource[api.SessionPolicy, sessionPolicyModel]{spec: sessionPolicySpec}
}

// NewSessionPolicyDataSource is the data source jumpgate_session_policy.
func NewSessionPolicyDataSource() datasource.DataSource {
	return &objectDataSource[api.SessionPolicy, sessionPolicyModel]{spec: sessionPolicySpec}
}

// NewSessionPoliciesDataSource is the data source jumpgate_session_policies.
func NewSessionPoliciesDataSource() datasource.DataSource {
	return &listDataSource[api.SessionPolicy, sessionPolicyModel]{spec: sessionPolicySpec}
}

var sessionPolicySpec = &spec[api.SessionPolicy, sessionPolicyModel]{
	name: "session_policy", plural: "session_policies", title: "Session Policy",
	lookup: []string{"code_name"},
	filters: []filter{
		{name: "code_name", description: "The unique code name."},
		{name: "display_name", description: "The display name."},
	},
	create:   (*api.Client).CreateSessionPolicy,
	get:      (*api.Client).GetSessionPolicy,
	update:   (*api.Client).UpdateSessionPolicy,
	remove:   (*api.Client).DeleteSessionPolicy,
	list:     (*api.Client).ListSessionPolicies,
	schema:   sessionPolicySchema,
	toAPI:    sessionPolicyToAPI,
	fromAPI:  sessionPolicyFromAPI,
	validate: validateSessionPolicy,
}

type sessionPolicyModel struct {
	ID                   types.String `tfsdk:"id"`
	CodeName             types.String `tfsdk:"code_name"`
	DisplayName          types.String `tfsdk:"display_name"`
	Description          types.String `tfsdk:"description"`
	Permissions          types.Object `tfsdk:"permissions"`
	PromptCustomer       types.String `tfsdk:"prompt_customer"`
	PromptTimeoutSeconds types.Int64  `tfsdk:"prompt_timeout_seconds"`
	OnTimeout            types.String `tfsdk:"on_timeout"`
	MaxSessionMinutes    types.Int64  `tfsdk:"max_session_minutes"`
	IdleTimeoutMinutes   types.Int64  `tfsdk:"idle_timeout_minutes"`
	RecordShell          types.Bool   `tfsdk:"record_shell"`
	RecordScreen         types.Bool   `tfsdk:"record_screen"`
	RecordTunnel         types.Bool   `tfsdk:"record_tunnel"`
}

type permissionsModel struct {
	Shell             types.Bool   `tfsdk:"shell"`
	FileRead          types.Bool   `tfsdk:"file_read"`
	FileWrite         types.Bool   `tfsdk:"file_write"`
	Tunnel            types.Bool   `tfsdk:"tunnel"`
	SystemInfo        types.Bool   `tfsdk:"system_info"`
	ScreenView        types.Bool   `tfsdk:"screen_view"`
	ScreenControl     types.Bool   `tfsdk:"screen_control"`
	Clipboard         types.String `tfsdk:"clipboard"`
	ClipboardMaxBytes types.Int64  `tfsdk:"clipboard_max_bytes"`
}

var permissionsAttrTypes = map[string]attr.Type{
	"shell": types.BoolType, "file_read": types.BoolType, "file_write": types.BoolType, "tunnel": types.BoolType,
	"system_info": types.BoolType, "screen_view": types.BoolType, "screen_control": types.BoolType,
	"clipboard": types.StringType, "clipboard_max_bytes": types.Int64Type,
}

// permissionsValue converts API permissions into the permissions object.
func permissionsValue(p api.SessionPermissions) types.Object {
	return types.ObjectValueMust(permissionsAttrTypes, map[string]attr.Value{
		"shell": types.BoolValue(p.Shell), "file_read": types.BoolValue(p.FileRead), "file_write": types.BoolValue(p.FileWrite),
		"tunnel": types.BoolValue(p.Tunnel), "system_info": types.BoolValue(p.SystemInfo),
		"screen_view": types.BoolValue(p.ScreenView), "screen_control": types.BoolValue(p.ScreenControl),
		"clipboard": types.StringValue(p.Clipboard), "clipboard_max_bytes": types.Int64Value(int64(p.ClipboardMaxBytes)),
	})
}

// defaultPermissions are the permissions of a policy that declares none:
// all off, with the clipboard defaults.
func defaultPermissions() api.SessionPermissions {
	var p api.SessionPermissions
	p.ApplyDefaults()
	return p
}

func sessionPolicySchema() schema.Schema {
	permission := func(what, needs string) schema.BoolAttribute {
		desc := "Allow " + what + "."
		if needs != "" {
			desc += " Needs `" + needs + "`."
		}
		return schema.BoolAttribute{
			MarkdownDescription: desc + " Default `false`.",
			Optional:            true,
			Computed:            true,
			Default:             booldefault.StaticBool(false),
		}
	}
	record := func(what string) schema.BoolAttribute {
		return schema.BoolAttribute{
			MarkdownDescription: fmt.Sprintf("Record %s. Default `%t`.", what, api.DefaultRecording),
			Optional:            true,
			Computed:            true,
			Default:             booldefault.StaticBool(api.DefaultRecording),
		}
	}
	return schema.Schema{
		MarkdownDescription: "A Session Policy: what a session may do (permissions, clipboard), whether the customer is asked to consent, " +
			"time limits and recording. Protocol Tunnel Jumps, public portals and Jump Client installers refer to it by id. " +
			"A policy still in use cannot be deleted: the appliance answers 409 naming what uses it.",
		Attributes: map[string]schema.Attribute{
			"id": idAttribute("Session Policy"),
			"code_name": schema.StringAttribute{
				MarkdownDescription: "Unique machine name: 1–64 letters, digits, `_`, `-` and `.`, starting with a letter or digit.",
				Required:            true,
				Validators:          stringRule[api.SessionPolicy]("code_name"),
			},
			"display_name": schema.StringAttribute{
				MarkdownDescription: "Name shown to users, " + limits[api.SessionPolicy]("display_name") + ".",
				Required:            true,
				Validators:          stringRule[api.SessionPolicy]("display_name"),
			},
			"description": schema.StringAttribute{
				MarkdownDescription: "Free text, " + limits[api.SessionPolicy]("description") + ". Default `\"\"`.",
				Optional:            true,
				Computed:            true,
				Default:             stringdefault.StaticString(""),
				Validators:          stringRule[api.SessionPolicy]("description"),
			},
			"permissions": schema.SingleNestedAttribute{
				MarkdownDescription: fmt.Sprintf("What the representative may do in a session. Every permission defaults to `false`; "+
					"left out entirely, all are off, the clipboard is `%s` and its limit %d MiB.", api.DefaultClipboard, api.DefaultClipboardMaxBytes>>20),
				Optional: true,
				Computed: true,
				Default:  objectdefault.StaticValue(permissionsValue(defaultPermissions())),
				Attributes: map[string]schema.Attribute{
					"shell":          permission("a shell on the endpoint", ""),
					"file_read":      permission("listing and downloading files", ""),
					"file_write":     permission("uploading, changing and deleting files", "file_read"),
					"tunnel":         permission("TCP tunnels to the endpoint's network", ""),
					"system_info":    permission("reading the endpoint's system information", ""),
					"screen_view":    permission("viewing the screen", ""),
					"screen_control": permission("controlling the screen (mouse and keyboard)", "screen_view"),
					"clipboard": schema.StringAttribute{
						MarkdownDescription: fmt.Sprintf("Clipboard sharing: `off`, `to_endpoint`, `from_endpoint` or `both`. Default `%s`.", api.DefaultClipboard),
						Optional:            true,
						Computed:            true,
						Default:             stringdefault.StaticString(api.DefaultClipboard),
						Validators:          stringRule[api.SessionPolicy]("permissions.clipboard"),
					},
					"clipboard_max_bytes": schema.Int64Attribute{
						MarkdownDescription: fmt.Sprintf("Largest clipboard transfer in bytes: 1–%[1]d (%[2]d MiB). Default `%[1]d`.", api.DefaultClipboardMaxBytes, api.DefaultClipboardMaxBytes>>20),
						Optional:            true,
						Computed:            true,
						Default:             int64default.StaticInt64(api.DefaultClipboardMaxBytes),
						Validators:          int64Rule[api.SessionPolicy]("permissions.clipboard_max_bytes"),
					},
				},
			},
			"prompt_customer": schema.StringAttribute{
				MarkdownDescription: "Ask the customer to consent to a session: `never`, `always`, or `not_present` " +
					"(despite its name, prompt only when a customer is present at the endpoint). Default `" + api.DefaultPromptCustomer + "`.",
				Optional:   true,
				Computed:   true,
				Default:    stringdefault.StaticString(api.DefaultPromptCustomer),
				Validators: stringRule[api.SessionPolicy]("prompt_customer"),
			},
			"prompt_timeout_seconds": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("How long the consent prompt waits, in seconds: "+limits[api.SessionPolicy]("prompt_timeout_seconds")+". Default `%d`.", api.DefaultPromptTimeoutSeconds),
				Optional:            true,
				Computed:            true,
				Default:             int64default.StaticInt64(api.DefaultPromptTimeoutSeconds),
				Validators:          int64Rule[api.SessionPolicy]("prompt_timeout_seconds"),
			},
			"on_timeout": schema.StringAttribute{
				MarkdownDescription: "What an unanswered prompt means when it times out: `accept` or `deny`. Default `" + api.DefaultOnTimeout + "`.",
				Optional:            true,
				Computed:            true,
				Default:             stringdefault.StaticString(api.DefaultOnTimeout),
				Validators:          stringRule[api.SessionPolicy]("on_timeout"),
			},
			"max_session_minutes": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("Sessions end after this long, in minutes: "+limits[api.SessionPolicy]("max_session_minutes")+" (a week). Default `%d`.", api.DefaultMaxSessionMinutes),
				Optional:            true,
				Computed:            true,
				Default:             int64default.StaticInt64(api.DefaultMaxSessionMinutes),
				Validators:          int64Rule[api.SessionPolicy]("max_session_minutes"),
			},
			"idle_timeout_minutes": schema.Int64Attribute{
				MarkdownDescription: "Sessions end after this many minutes without an open stream: 0 (never)–1440. Default `0`.",
				Optional:            true,
				Computed:            true,
				Default:             int64default.StaticInt64(0),
				Validators:          int64Rule[api.SessionPolicy]("idle_timeout_minutes"),
			},
			"record_shell":  record("shell sessions (as asciicast)"),
			"record_screen": record("screen sessions"),
			"record_tunnel": record("tunnel connections (a log of them)"),
		},
	}
}

func sessionPolicyToAPI(ctx context.Context, m, _ *sessionPolicyModel, diags *diag.Diagnostics) *api.SessionPolicy {
	a := &api.SessionPolicy{
		CodeName: m.CodeName.ValueString(), DisplayName: m.DisplayName.ValueString(), Description: m.Description.ValueString(),
		PromptCustomer: m.PromptCustomer.ValueString(), PromptTimeoutSeconds: int(m.PromptTimeoutSeconds.ValueInt64()),
		OnTimeout: m.OnTimeout.ValueString(), MaxSessionMinutes: int(m.MaxSessionMinutes.ValueInt64()),
		IdleTimeoutMinutes: int(m.IdleTimeoutMinutes.ValueInt64()),
		RecordShell:        boolPtr(m.RecordShell), RecordScreen: boolPtr(m.RecordScreen), RecordTunnel: boolPtr(m.RecordTunnel),
	}
	if cfgKnown(m.Permissions) {
		var p permissionsModel
		diags.Append(m.Permissions.As(ctx, &p, basetypes.ObjectAsOptions{})...)
		a.Permissions = api.SessionPermissions{
			Shell: p.Shell.ValueBool(), FileRead: p.FileRead.ValueBool(), FileWrite: p.FileWrite.ValueBool(),
			Tunnel: p.Tunnel.ValueBool(), SystemInfo: p.SystemInfo.ValueBool(),
			ScreenView: p.ScreenView.ValueBool(), ScreenControl: p.ScreenControl.ValueBool(),
			Clipboard: p.Clipboard.ValueString(), ClipboardMaxBytes: int(p.ClipboardMaxBytes.ValueInt64()),
		}
	}
	return a
}

func sessionPolicyFromAPI(_ context.Context, a *api.SessionPolicy, m *sessionPolicyModel, _ *diag.Diagnostics) {
	m.ID = idString(a.ID)
	m.CodeName = types.StringValue(a.CodeName)
	m.DisplayName = types.StringValue(a.DisplayName)
	m.Description = types.StringValue(a.Description)
	m.Permissions = permissionsValue(a.Permissions)
	m.PromptCustomer = types.StringValue(a.PromptCustomer)
	m.PromptTimeoutSeconds = types.Int64Value(int64(a.PromptTimeoutSeconds))
	m.OnTimeout = types.StringValue(a.OnTimeout)
	m.MaxSessionMinutes = types.Int64Value(int64(a.MaxSessionMinutes))
	m.IdleTimeoutMinutes = types.Int64Value(int64(a.IdleTimeoutMinutes))
	m.RecordShell = boolValueOr(a.RecordShell, true)
	m.RecordScreen = boolValueOr(a.RecordScreen, true)
	m.RecordTunnel = boolValueOr(a.RecordTunnel, true)
}
