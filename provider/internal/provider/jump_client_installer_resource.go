package provider

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/boolplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/jumpgate/jumpgate/api"
)

// jumpgate_jump_client_installer is the Mass Deployment Wizard record. Unlike
// a replace-on-change design, every setting is updated in place (an
// installer handed out keeps working), and re-issuing the key is an explicit
// action: the rotation keeper, or renew_on_expiry once the installer has
// expired. Both call POST …/rotate-key, which keeps the record (its id and
// its history) and gives it a new installer_id, key info and validity window.

var (
	_ resource.ResourceWithConfigure      = (*jumpClientInstallerResource)(nil)
	_ resource.ResourceWithImportState    = (*jumpClientInstallerResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*jumpClientInstallerResource)(nil)
	_ resource.ResourceWithValidateConfig = (*jumpClientInstallerResource)(nil)
)

// NewJumpClientInstallerResource is jumpgate_jump_client_installer.
func NewJumpClientInstallerResource() resource.Resource {
	return &jumpClientInstallerResource{
		collectionResource: &collectionResource[api.JumpClientInstaller, jumpClientInstallerModel]{spec: jumpClientInstallerSpec},
	}
}

// NewJumpClientInstallerDataSource is the data source jumpgate_jump_client_installer.
func NewJumpClientInstallerDataSource() datasource.DataSource {
	return &objectDataSource[api.JumpClientInstaller, jumpClientInstallerModel]{spec: jumpClientInstallerSpec}
}

// NewJumpClientInstallersDataSource is the data source jumpgate_jump_client_installers.
func NewJumpClientInstallersDataSource() datasource.DataSource {
	return &listDataSource[api.JumpClientInstaller, jumpClientInstallerModel]{spec: jumpClientInstallerSpec}
}

// jumpClientInstallerResource is the generic collection resource with its
// own Read (key info, the expiry warning) and Update (key rotation).
// Create, Delete, ImportState, ValidateConfig and ModifyPlan (through the
// spec's hooks) are the generic ones.
type jumpClientInstallerResource struct {
	*collectionResource[api.JumpClientInstaller, jumpClientInstallerModel]
}

var jumpClientInstallerSpec = &spec[api.JumpClientInstaller, jumpClientInstallerModel]{
	name: "jump_client_installer", plural: "jump_client_installers", title: "Jump Client Installer",
	lookup: []string{"installer_id"},
	filters: []filter{
		{name: "installer_id", description: "The random installer id built into file names and key info."},
		{name: "name", description: "The name given to the clients."},
		{name: "tag", description: "The tag given to the clients."},
		{name: "jump_group_id", description: "The Jump Group (or, with `jump_group_type = \"personal\"`, the user) of the clients.", int: true},
		{name: "jump_group_type", description: "`shared` or `personal`."},
	},
	// key_info is never in reads or lists (the resource fetches it from
	// …/key-info); the others are inputs the API does not know.
	omitInDataSource: []string{"rotation", "renew_on_expiry", "store_key_info", "key_info"},
	create:           (*api.Client).CreateJumpClientInstaller,
	get:              (*api.Client).GetJumpClientInstaller,
	update:           (*api.Client).UpdateJumpClientInstaller,
	remove:           (*api.Client).DeleteJumpClientInstaller,
	list:             (*api.Client).ListJumpClientInstallers,
	schema:           jumpClientInstallerSchema,
	toAPI:            jumpClientInstallerToAPI,
	fromAPI:          jumpClientInstallerFromAPI,
	modifyPlan:       jumpClientInstallerModifyPlan,
}

type jumpClientInstallerModel struct {
	ID          types.String      `tfsdk:"id"`
	InstallerID types.String      `tfsdk:"installer_id"`
	ExpiresAt   timetypes.RFC3339 `tfsdk:"expires_at"`
	Expired     types.Bool        `tfsdk:"expired"`
	KeyInfo     types.String      `tfsdk:"key_info"`
	Downloads   types.List        `tfsdk:"downloads"`

	ValidDuration             types.Int64  `tfsdk:"valid_duration"`
	JumpGroupID               types.Int64  `tfsdk:"jump_group_id"`
	JumpGroupType             types.String `tfsdk:"jump_group_type"`
	PublicPortalID            types.Int64  `tfsdk:"public_portal_id"`
	Name                      types.String `tfsdk:"name"`
	Comments                  types.String `tfsdk:"comments"`
	Tag                       types.String `tfsdk:"tag"`
	JumpPolicyID              types.Int64  `tfsdk:"jump_policy_id"`
	AttendedSessionPolicyID   types.Int64  `tfsdk:"attended_session_policy_id"`
	UnattendedSessionPolicyID types.Int64  `tfsdk:"unattended_session_policy_id"`
	ConnectionType            types.String `tfsdk:"connection_type"`
	JumpointProxyID           types.Int64  `tfsdk:"jumpoint_proxy_id"`
	MaxOfflineMinutes         types.Int64  `tfsdk:"max_offline_minutes"`
	CustomerClientStartMode   types.String `tfsdk:"customer_client_start_mode"`
	SupportButtonProfile      types.String `tfsdk:"support_button_profile"`
	SupportButtonDirectQueue  types.String `tfsdk:"support_button_direct_queue"`
	ElevateInstall            types.Bool   `tfsdk:"elevate_install"`
	ElevatePrompt             types.Bool   `tfsdk:"elevate_prompt"`

	AllowOverrideJumpGroup                types.Bool `tfsdk:"allow_override_jump_group"`
	AllowOverridePublicPortal             types.Bool `tfsdk:"allow_override_public_portal"`
	AllowOverrideName                     types.Bool `tfsdk:"allow_override_name"`
	AllowOverrideComments                 types.Bool `tfsdk:"allow_override_comments"`
	AllowOverrideTag                      types.Bool `tfsdk:"allow_override_tag"`
	AllowOverrideJumpPolicy               types.Bool `tfsdk:"allow_override_jump_policy"`
	AllowOverrideAttendedSessionPolicy    types.Bool `tfsdk:"allow_override_attended_session_policy"`
	AllowOverrideUnattendedSessionPolicy  types.Bool `tfsdk:"allow_override_unattended_session_policy"`
	AllowOverrideMaxOfflineMinutes        types.Bool `tfsdk:"allow_override_max_offline_minutes"`
	AllowOverrideSupportButtonProfile     types.Bool `tfsdk:"allow_override_support_button_profile"`
	AllowOverrideSupportButtonDirectQueue types.Bool `tfsdk:"allow_override_support_button_direct_queue"`

	Rotation      types.String `tfsdk:"rotation"`
	RenewOnExpiry types.Bool   `tfsdk:"renew_on_expiry"`
	StoreKeyInfo  types.Bool   `tfsdk:"store_key_info"`
}

type installerDownloadModel struct {
	Platform       types.String `tfsdk:"platform"`
	FileName       types.String `tfsdk:"file_name"`
	URL            types.String `tfsdk:"url"`
	Command        types.String `tfsdk:"command"`
	InstallCommand types.String `tfsdk:"install_command"`
}

var installerDownloadObjectType = objectTypeOf(map[string]attrType{
	"platform": types.StringType, "file_name": types.StringType, "url": types.StringType,
	"command": types.StringType, "install_command": types.StringType,
})

// installerOverride is one allow_override_<field> flag.
type installerOverride struct {
	// field is the suffix after allow_override_.
	field string
	// flag and property are how an installation sets the field (Linux and
	// macOS, Windows MSI).
	flag, property string
	// what names the overridden setting in the documentation.
	what string
}

// installerOverrides are the overridable fields, in the order of the
// installer's command-line tables.
var installerOverrides = []installerOverride{
	{"name", "--jc-name", "JC_NAME", "`name`"},
	{"jump_group", "--jc-jump-group", "JC_JUMP_GROUP", "the Jump Group (`jumpgroup:<code-name>` or `user:<username>`)"},
	{"public_portal", "--jc-public-site-address", "JC_PUBLIC_SITE_ADDRESS", "the public portal (by its host name)"},
	{"attended_session_policy", "--jc-session-policy-present", "JC_SESSION_POLICY_PRESENT", "the customer-present session policy (by code name)"},
	{"unattended_session_policy", "--jc-session-policy-not-present", "JC_SESSION_POLICY_NOT_PRESENT", "the customer-not-present session policy (by code name)"},
	{"support_button_profile", "--jc-support-button-profile", "JC_SUPPORT_BUTTON_PROFILE", "`support_button_profile`"},
	{"support_button_direct_queue", "--jc-support-button-direct-queue", "JC_SUPPORT_BUTTON_DIRECT_QUEUE", "`support_button_direct_queue`"},
	{"jump_policy", "--jc-jump-policy", "JC_JUMP_POLICY", "the Jump Policy (by code name)"},
	{"tag", "--jc-tag", "JC_TAG", "`tag`"},
	{"comments", "--jc-comments", "JC_COMMENTS", "`comments`"},
	{"max_offline_minutes", "--jc-max-offline-minutes` / `--jc-ephemeral", "JC_MAX_OFFLINE_MINUTES` / `JC_EPHEMERAL=1", "`max_offline_minutes`"},
}

// overrideValues maps each allow_override_<field> suffix to its model value.
func (m *jumpClientInstallerModel) overrideValues() map[string]*types.Bool {
	return map[string]*types.Bool{
		"jump_group": &m.AllowOverrideJumpGroup, "public_portal": &m.AllowOverridePublicPortal, "name": &m.AllowOverrideName,
		"comments": &m.AllowOverrideComments, "tag": &m.AllowOverrideTag, "jump_policy": &m.AllowOverrideJumpPolicy,
		"attended_session_policy":   &m.AllowOverrideAttendedSessionPolicy,
		"unattended_session_policy": &m.AllowOverrideUnattendedSessionPolicy,
		"max_offline_minutes":       &m.AllowOverrideMaxOfflineMinutes,
		"support_button_profile":    &m.AllowOverrideSupportButtonProfile, "support_button_direct_queue": &m.AllowOverrideSupportButtonDirectQueue,
	}
}

// apiOverrides maps each allow_override_<field> suffix to its API field.
func apiOverrides(a *api.JumpClientInstaller) map[string]*bool {
	return map[string]*bool{
		"jump_group": &a.AllowOverrideJumpGroup, "public_portal": &a.AllowOverridePublicPortal, "name": &a.AllowOverrideName,
		"comments": &a.AllowOverrideComments, "tag": &a.AllowOverrideTag, "jump_policy": &a.AllowOverrideJumpPolicy,
		"attended_session_policy":   &a.AllowOverrideAttendedSessionPolicy,
		"unattended_session_policy": &a.AllowOverrideUnattendedSessionPolicy,
		"max_offline_minutes":       &a.AllowOverrideMaxOfflineMinutes,
		"support_button_profile":    &a.AllowOverrideSupportButtonProfile, "support_button_direct_queue": &a.AllowOverrideSupportButtonDirectQueue,
	}
}

func jumpClientInstallerSchema() schema.Schema {
	attrs := map[string]schema.Attribute{
		"id": idAttribute("Jump Client installer"),
		"installer_id": schema.StringAttribute{
			MarkdownDescription: "The random installer id built into the installer file names and the key info. " +
				"It changes when the key is re-issued (`rotation`, `renew_on_expiry`); Jump Clients record the one they were installed from.",
			Computed:      true,
			PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		},
		"expires_at": schema.StringAttribute{
			MarkdownDescription: "When the installer stops working (RFC 3339): the start of the current validity window plus `valid_duration`. " +
				"After it, downloads answer 410 and installations are refused; Jump Clients already installed keep working.",
			CustomType:    timetypes.RFC3339Type{},
			Computed:      true,
			PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		},
		"expired": schema.BoolAttribute{
			MarkdownDescription: "Whether `expires_at` had passed when the installer was last refreshed. An expired installer is reported " +
				"with a warning and left alone (no change is planned) unless `renew_on_expiry` is set.",
			Computed:      true,
			PlanModifiers: []planmodifier.Bool{boolplanmodifier.UseStateForUnknown()},
		},
		"key_info": schema.StringAttribute{
			MarkdownDescription: "The signed key info (`jgk1.…`) that a generic installer needs (`--key-info` or `KEY_INFO=`). " +
				"It carries the appliance URL, its CA pin, the installer id, the expiry and the allowed overrides, so it changes " +
				"with `valid_duration`, any `allow_override_*` and a key rotation. Sensitive: it lets anyone install a Jump Client " +
				"until it expires. Null when `store_key_info` is false; the `jumpgate_jump_client_installer_key_info` ephemeral " +
				"resource then reads it without writing it to the state.",
			Computed:      true,
			Sensitive:     true,
			PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		},
		"downloads": schema.ListNestedAttribute{
			MarkdownDescription: "One entry per platform with the download URL and copyable commands. The URL needs an administrator's " +
				"API token (`$JUMPGATE_TOKEN`) and answers 410 once the installer has expired.",
			Computed:      true,
			PlanModifiers: []planmodifier.List{listplanmodifier.UseStateForUnknown()},
			NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
				"platform": schema.StringAttribute{
					MarkdownDescription: "The platform: one of `" + joinTicks(api.Platforms) + "`.",
					Computed:            true,
				},
				"file_name": schema.StringAttribute{
					MarkdownDescription: "The file the installer is saved as, one per platform: `" + api.JumpClientInstallerFile("<installer_id>", "<platform>") + "` " +
						"(a self-extracting `sh` installer), or `." + api.InstallerFileExt(api.PlatformWindowsAMD64) + "` on Windows.",
					Computed: true,
				},
				"url": schema.StringAttribute{
					MarkdownDescription: "The download URL (`GET`, with `Authorization: Bearer <token>`).",
					Computed:            true,
				},
				"command": schema.StringAttribute{
					MarkdownDescription: "A `curl` command (PowerShell with `curl.exe` on Windows) that downloads the installer, " +
						"reading the CA certificate from `$JUMPGATE_CA_CERT` and the token from `$JUMPGATE_TOKEN`.",
					Computed: true,
				},
				"install_command": schema.StringAttribute{
					MarkdownDescription: "Runs the downloaded installer with its default flags (`sudo sh ./<file>.bin`, or the `.exe` with an `INSTALLDIR`).",
					Computed:            true,
				},
			}},
		},
		"valid_duration": schema.Int64Attribute{
			MarkdownDescription: fmt.Sprintf("How long the installer stays valid, in minutes: %d (10 minutes) to %d (1 year); default %d (1 day). "+
				"Setting a new value starts a new validity window from now (so it extends an expired installer, with the same installer id) "+
				"and changes `expires_at` and `key_info`. The validity does not limit how long installed Jump Clients stay.",
				api.MinValidDuration, api.MaxValidDuration, api.DefaultValidDuration),
			Optional:   true,
			Computed:   true,
			Default:    int64default.StaticInt64(api.DefaultValidDuration),
			Validators: int64Rule[api.JumpClientInstaller]("valid_duration"),
		},
		"jump_group_id": schema.Int64Attribute{
			MarkdownDescription: "The Jump Group the Jump Clients join (`jumpgate_jump_group.<name>.id`), or with `jump_group_type = \"personal\"` " +
				"the user whose personal list holds them. Changed in place: later installations join the new owner, installed clients stay where they are.",
			Required:   true,
			Validators: int64Rule[api.JumpClientInstaller]("jump_group_id"),
		},
		"jump_group_type": schema.StringAttribute{
			MarkdownDescription: "`shared`: `jump_group_id` is a Jump Group shared by its members; `personal`: it is a user. Default `" + api.DefaultJumpGroupType + "`.",
			Optional:            true,
			Computed:            true,
			Default:             stringdefault.StaticString(api.DefaultJumpGroupType),
			Validators:          stringRule[api.JumpClientInstaller]("jump_group_type"),
		},
		"public_portal_id": schema.Int64Attribute{
			MarkdownDescription: "The public portal the Jump Clients connect through; its session policy applies to their sessions when they have none. Null: the default portal.",
			Optional:            true,
			Validators:          int64Rule[api.JumpClientInstaller]("public_portal_id"),
		},
		"name": schema.StringAttribute{
			MarkdownDescription: "The name of the Jump Clients, " + limits[api.JumpClientInstaller]("name") + ". Empty (the default): the endpoint's host name.",
			Optional:            true,
			Computed:            true,
			Default:             stringdefault.StaticString(""),
			Validators:          stringRule[api.JumpClientInstaller]("name"),
		},
		"comments": schema.StringAttribute{
			MarkdownDescription: "Comments given to the Jump Clients, " + limits[api.JumpClientInstaller]("comments") + "; they help search for and identify endpoints.",
			Optional:            true,
			Computed:            true,
			Default:             stringdefault.StaticString(""),
			Validators:          stringRule[api.JumpClientInstaller]("comments"),
		},
		"tag": schema.StringAttribute{
			MarkdownDescription: "A tag that groups the Jump Clients in the console, " + limits[api.JumpClientInstaller]("tag") + ".",
			Optional:            true,
			Computed:            true,
			Default:             stringdefault.StaticString(""),
			Validators:          stringRule[api.JumpClientInstaller]("tag"),
		},
		"jump_policy_id": schema.Int64Attribute{
			MarkdownDescription: "The Jump Policy of the Jump Clients (when users may jump to them). Null: at any time.",
			Optional:            true,
			Validators:          int64Rule[api.JumpClientInstaller]("jump_policy_id"),
		},
		"attended_session_policy_id": schema.Int64Attribute{
			MarkdownDescription: "The session policy of sessions when the customer is present at the endpoint (\"Customer Present Session Policy\").",
			Optional:            true,
			Validators:          int64Rule[api.JumpClientInstaller]("attended_session_policy_id"),
		},
		"unattended_session_policy_id": schema.Int64Attribute{
			MarkdownDescription: "The session policy of sessions when the customer is not present (\"Customer Not Present Session Policy\").",
			Optional:            true,
			Validators:          int64Rule[api.JumpClientInstaller]("unattended_session_policy_id"),
		},
		"connection_type": schema.StringAttribute{
			MarkdownDescription: "`active` (holds a connection; can start unattended sessions) or `standby` (checks in; for Support Button use). " +
				"Left out, the appliance uses `default_connection_type` of the Jump Client settings when the installer is created, and keeps that value.",
			Optional:      true,
			Computed:      true,
			PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			Validators:    stringRule[api.JumpClientInstaller]("connection_type"),
		},
		"jumpoint_proxy_id": schema.Int64Attribute{
			MarkdownDescription: "A Jumpoint with an enabled Jump Zone Proxy that Jump Clients try when they cannot reach the appliance directly.",
			Optional:            true,
			Validators:          int64Rule[api.JumpClientInstaller]("jumpoint_proxy_id"),
		},
		"max_offline_minutes": schema.Int64Attribute{
			MarkdownDescription: "A Jump Client offline longer than this many minutes is treated as uninstalled and uninstalls itself: " +
				"0 (the default) uses only the global settings; otherwise 5 (\"ephemeral\") to 525600.",
			Optional:   true,
			Computed:   true,
			Default:    int64default.StaticInt64(0),
			Validators: append(int64Rule[api.JumpClientInstaller]("max_offline_minutes"), maxOfflineMinutesValidator()),
		},
		"customer_client_start_mode": schema.StringAttribute{
			MarkdownDescription: "How the customer client starts in a session: `normal`, `minimized` (in the taskbar or dock) or `hidden` (only a tray icon). " +
				"Default `" + api.DefaultStartMode + "`.",
			Optional:   true,
			Computed:   true,
			Default:    stringdefault.StaticString(api.DefaultStartMode),
			Validators: stringRule[api.JumpClientInstaller]("customer_client_start_mode"),
		},
		"support_button_profile": schema.StringAttribute{
			MarkdownDescription: "The code name of a Support Button profile for the Jump Clients; empty for none.",
			Optional:            true,
			Computed:            true,
			Default:             stringdefault.StaticString(""),
			Validators:          stringRule[api.JumpClientInstaller]("support_button_profile"),
		},
		"support_button_direct_queue": schema.StringAttribute{
			MarkdownDescription: "The queue that Support Button sessions go to, as `team:<code-name>` (" + limits[api.JumpClientInstaller]("support_button_direct_queue") + "); empty for none. " +
				"The Support Button profile must allow direct access to a queue.",
			Optional:   true,
			Computed:   true,
			Default:    stringdefault.StaticString(""),
			Validators: stringRule[api.JumpClientInstaller]("support_button_direct_queue"),
		},
		"elevate_install": schema.BoolAttribute{
			MarkdownDescription: fmt.Sprintf("Attempt an elevated install (a system service) where the platform supports it; default %t. "+
				"Otherwise, or if elevation fails, the Jump Client is installed in user mode.", api.DefaultElevateInstall),
			Optional: true,
			Computed: true,
			Default:  booldefault.StaticBool(api.DefaultElevateInstall),
		},
		"elevate_prompt": schema.BoolAttribute{
			MarkdownDescription: "Prompt for administrative credentials when an elevated install needs them; default false.",
			Optional:            true,
			Computed:            true,
			Default:             booldefault.StaticBool(false),
		},
		"rotation": schema.StringAttribute{
			MarkdownDescription: "A keeper: any change of this value (for example a date, or a counter you increase) re-issues the installer's key " +
				"in place — a new `installer_id`, `key_info`, validity window from now and download URLs, through `POST …/rotate-key`. " +
				"Key info and installer files handed out before then stop working; Jump Clients already installed are not affected. " +
				"Nothing in this resource forces a replacement: every other setting is updated in place as well.",
			Optional: true,
		},
		"renew_on_expiry": schema.BoolAttribute{
			MarkdownDescription: "When true and the installer was found expired, the next plan re-issues its key in place (as a `rotation` change does): " +
				"a new installer id and a new validity window. Default false: an expired installer is only reported, with a warning, " +
				"and the plan stays empty.",
			Optional: true,
			Computed: true,
			Default:  booldefault.StaticBool(false),
		},
		"store_key_info": schema.BoolAttribute{
			MarkdownDescription: "Keep `key_info` in the Terraform state (default true). When false, `key_info` stays null; read it with the " +
				"`jumpgate_jump_client_installer_key_info` ephemeral resource, which never writes it to the state or the plan.",
			Optional: true,
			Computed: true,
			Default:  booldefault.StaticBool(true),
		},
	}
	for _, o := range installerOverrides {
		attrs["allow_override_"+o.field] = schema.BoolAttribute{
			MarkdownDescription: fmt.Sprintf("Lets an installation override %s with `%s` (Linux, macOS) or `%s` (Windows). "+
				"An override that is not allowed fails the installation. Default false; changing it re-signs `key_info`.",
				o.what, o.flag, o.property),
			Optional: true,
			Computed: true,
			Default:  booldefault.StaticBool(false),
		}
	}
	return schema.Schema{
		MarkdownDescription: "A Jump Client installer (the Mass Deployment Wizard): the settings new Jump Clients get, which of them an " +
			"installation may override, and how long the installer stays valid. Every setting is updated in place, so installers " +
			"already handed out keep working; re-issuing the key is explicit (`rotation`, `renew_on_expiry`). Deleting the installer " +
			"does not remove the Jump Clients installed from it.",
		Attributes: attrs,
	}
}

func jumpClientInstallerToAPI(_ context.Context, m, _ *jumpClientInstallerModel, _ *diag.Diagnostics) *api.JumpClientInstaller {
	a := &api.JumpClientInstaller{
		ValidDuration: int(m.ValidDuration.ValueInt64()),
		JumpGroupID:   m.JumpGroupID.ValueInt64(), JumpGroupType: m.JumpGroupType.ValueString(),
		PublicPortalID: int64Ptr(m.PublicPortalID),
		Name:           m.Name.ValueString(), Comments: m.Comments.ValueString(), Tag: m.Tag.ValueString(),
		JumpPolicyID:              int64Ptr(m.JumpPolicyID),
		AttendedSessionPolicyID:   int64Ptr(m.AttendedSessionPolicyID),
		UnattendedSessionPolicyID: int64Ptr(m.UnattendedSessionPolicyID),
		// Unknown on create when left out: "" takes the settings' default.
		ConnectionType:           m.ConnectionType.ValueString(),
		JumpointProxyID:          int64Ptr(m.JumpointProxyID),
		MaxOfflineMinutes:        int(m.MaxOfflineMinutes.ValueInt64()),
		CustomerClientStartMode:  m.CustomerClientStartMode.ValueString(),
		SupportButtonProfile:     m.SupportButtonProfile.ValueString(),
		SupportButtonDirectQueue: m.SupportButtonDirectQueue.ValueString(),
		ElevateInstall:           boolPtr(m.ElevateInstall),
		ElevatePrompt:            m.ElevatePrompt.ValueBool(),
	}
	mv := m.overrideValues()
	for f, p := range apiOverrides(a) {
		*p = mv[f].ValueBool()
	}
	return a
}

// jumpClientInstallerFromAPI writes a onto m. key_info is only in the answers
// of create and rotate-key; otherwise m keeps the key info it has (Read and
// Update fetch it). The inputs rotation, renew_on_expiry and store_key_info
// are m's own.
func jumpClientInstallerFromAPI(ctx context.Context, a *api.JumpClientInstaller, m *jumpClientInstallerModel, diags *diag.Diagnostics) {
	m.ID = idString(a.ID)
	m.InstallerID = types.StringValue(a.InstallerID)
	m.ExpiresAt = timeValue(&a.ExpiresAt)
	m.Expired = types.BoolValue(installerExpired(a.ExpiresAt))
	switch {
	case !storesKeyInfo(m):
		m.KeyInfo = types.StringNull()
	case a.KeyInfo != "":
		m.KeyInfo = types.StringValue(a.KeyInfo)
	case m.KeyInfo.IsUnknown():
		m.KeyInfo = types.StringNull()
	}
	ds := make([]installerDownloadModel, 0, len(a.Downloads))
	for _, d := range a.Downloads {
		ds = append(ds, installerDownloadModel{
			Platform: types.StringValue(d.Platform), FileName: types.StringValue(d.FileName), URL: types.StringValue(d.URL),
			Command: types.StringValue(d.Command), InstallCommand: types.StringValue(d.InstallCommand),
		})
	}
	m.Downloads = listOf(ctx, installerDownloadObjectType, ds, diags)

	m.ValidDuration = types.Int64Value(int64(a.ValidDuration))
	m.JumpGroupID = types.Int64Value(a.JumpGroupID)
	m.JumpGroupType = types.StringValue(a.JumpGroupType)
	m.PublicPortalID = int64Value(a.PublicPortalID)
	m.Name = types.StringValue(a.Name)
	m.Comments = types.StringValue(a.Comments)
	m.Tag = types.StringValue(a.Tag)
	m.JumpPolicyID = int64Value(a.JumpPolicyID)
	m.AttendedSessionPolicyID = int64Value(a.AttendedSessionPolicyID)
	m.UnattendedSessionPolicyID = int64Value(a.UnattendedSessionPolicyID)
	m.ConnectionType = types.StringValue(a.ConnectionType)
	m.JumpointProxyID = int64Value(a.JumpointProxyID)
	m.MaxOfflineMinutes = types.Int64Value(int64(a.MaxOfflineMinutes))
	m.CustomerClientStartMode = types.StringValue(a.CustomerClientStartMode)
	m.SupportButtonProfile = types.StringValue(a.SupportButtonProfile)
	m.SupportButtonDirectQueue = types.StringValue(a.SupportButtonDirectQueue)
	m.ElevateInstall = boolValueOr(a.ElevateInstall, true)
	m.ElevatePrompt = types.BoolValue(a.ElevatePrompt)
	av := apiOverrides(a)
	for f, p := range m.overrideValues() {
		*p = types.BoolValue(*av[f])
	}
}

// installerExpired tells whether an installer that expires at t no longer
// works: the appliance refuses it from t on.
func installerExpired(t time.Time) bool { return !time.Now().Before(t) }

// storesKeyInfo is store_key_info, whose default (also after an import,
// before any plan) is true.
func storesKeyInfo(m *jumpClientInstallerModel) bool {
	return m.StoreKeyInfo.IsNull() || m.StoreKeyInfo.IsUnknown() || m.StoreKeyInfo.ValueBool()
}

// rotatesKey tells whether a change from state to plan re-issues the key: a
// changed rotation keeper, or renew_on_expiry on an installer the last
// refresh found expired. The decision rests on the refreshed state only, not
// the clock, so the plan and the final plan at apply time agree.
func rotatesKey(state, plan *jumpClientInstallerModel) bool {
	if !plan.Rotation.Equal(state.Rotation) {
		return true
	}
	return plan.RenewOnExpiry.ValueBool() && state.Expired.ValueBool()
}

// jumpClientInstallerModifyPlan marks what a change makes the appliance
// recompute: the key rotation everything that derives from the installer id
// and window, a new valid_duration the window and the key info, an override
// flag the key info. Without these, UseStateForUnknown keeps the values.
func jumpClientInstallerModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	var plan, state jumpClientInstallerModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if req.State.Raw.IsNull() {
		if !storesKeyInfo(&plan) {
			plan.KeyInfo = types.StringNull()
		}
		resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
		return
	}
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	newKey := false
	if rotatesKey(&state, &plan) {
		plan.InstallerID = types.StringUnknown()
		plan.ExpiresAt = timetypes.NewRFC3339Unknown()
		plan.Downloads = types.ListUnknown(installerDownloadObjectType)
		plan.Expired = types.BoolValue(false)
		newKey = true
	}
	if !plan.ValidDuration.Equal(state.ValidDuration) {
		plan.ExpiresAt = timetypes.NewRFC3339Unknown()
		if !plan.ValidDuration.IsUnknown() {
			plan.Expired = types.BoolValue(false) // a new window of at least 10 minutes from now
		} else {
			plan.Expired = types.BoolUnknown()
		}
		newKey = true
	}
	pv, sv := plan.overrideValues(), state.overrideValues()
	for f := range pv {
		if !pv[f].Equal(*sv[f]) {
			newKey = true
		}
	}
	switch {
	case !storesKeyInfo(&plan):
		plan.KeyInfo = types.StringNull()
	case newKey || state.KeyInfo.IsNull():
		plan.KeyInfo = types.StringUnknown()
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

// Read is the generic read, plus the key info (when stored) and a warning
// when the installer has expired.
func (r *jumpClientInstallerResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	r.collectionResource.Read(ctx, req, resp)
	if resp.Diagnostics.HasError() || resp.State.Raw.IsNull() {
		return
	}
	var m jumpClientInstallerModel
	resp.Diagnostics.Append(resp.State.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// After an import the inputs are null: give them their defaults so the
	// next plan does not change them.
	if m.StoreKeyInfo.IsNull() {
		m.StoreKeyInfo = types.BoolValue(true)
	}
	if m.RenewOnExpiry.IsNull() {
		m.RenewOnExpiry = types.BoolValue(false)
	}
	if !r.fetchKeyInfo(ctx, &m, &resp.Diagnostics) {
		if !resp.Diagnostics.HasError() {
			resp.State.RemoveResource(ctx)
		}
		return
	}
	if m.Expired.ValueBool() {
		resp.Diagnostics.Append(expiredWarning(&m))
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// Update replaces the settings (a PUT that changes nothing writes nothing;
// a 412 is retried as the generic Update does), then re-issues the key when
// the plan asks for it.
func (r *jumpClientInstallerResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state, cfg jumpClientInstallerModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id, ok := stateID(ctx, req.State, &resp.Diagnostics)
	if !ok {
		return
	}
	in := jumpClientInstallerToAPI(ctx, &plan, &cfg, &resp.Diagnostics)
	out, err := r.client.UpdateJumpClientInstaller(ctx, id, in, ifMatch(ctx, req.Private)...)
	if errors.Is(err, api.ErrPreconditionFailed) {
		out, err = r.retryUpdate(ctx, req, id, &cfg, in, err)
	}
	if err != nil {
		addAPIError(&resp.Diagnostics, "Cannot update the Jump Client Installer", err)
		return
	}
	if rotatesKey(&state, &plan) {
		out, err = r.client.RotateInstallerKey(ctx, id, api.IfMatch(out.Version))
		if err != nil {
			addAPIError(&resp.Diagnostics, "Cannot re-issue the key of the Jump Client Installer", err)
			return
		}
	}
	planned := plan.Expired
	jumpClientInstallerFromAPI(ctx, out, &plan, &resp.Diagnostics)
	if !planned.IsUnknown() {
		// The plan came from the refresh; an expiry passed since then is
		// reported by the next refresh rather than as an inconsistent result.
		plan.Expired = planned
	}
	if out.KeyInfo == "" && !r.fetchKeyInfo(ctx, &plan, &resp.Diagnostics) {
		if !resp.Diagnostics.HasError() {
			resp.Diagnostics.AddError("Cannot update the Jump Client Installer",
				fmt.Sprintf("Jump Client Installer %d was deleted outside Terraform during the update.", id))
		}
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	resp.Diagnostics.Append(setVersion(ctx, resp.Private, out.Version)...)
}

// fetchKeyInfo sets m's key_info from …/key-info when it is stored, else to
// null. It returns false, without a diagnostic, when the installer no
// longer exists. Key info is deterministic for the same installer id,
// window and overrides, so reading it again does not show as drift.
func (r *jumpClientInstallerResource) fetchKeyInfo(ctx context.Context, m *jumpClientInstallerModel, diags *diag.Diagnostics) bool {
	if !storesKeyInfo(m) {
		m.KeyInfo = types.StringNull()
		return true
	}
	id, err := strconv.ParseInt(m.ID.ValueString(), 10, 64)
	if err != nil || id <= 0 {
		diags.AddAttributeError(path.Root("id"), "Invalid id", fmt.Sprintf("%q is not a numeric appliance id", m.ID.ValueString()))
		return false
	}
	ki, err := r.client.GetInstallerKeyInfo(ctx, id)
	if errors.Is(err, api.ErrNotFound) {
		return false
	}
	if err != nil {
		addAPIError(diags, "Cannot read the key info of the Jump Client Installer", err)
		return false
	}
	m.KeyInfo = types.StringValue(ki.KeyInfo)
	return true
}

// expiredWarning is the warning of an expired installer. It never contains
// the key info.
func expiredWarning(m *jumpClientInstallerModel) diag.Diagnostic {
	return diag.NewWarningDiagnostic("Jump Client installer expired",
		fmt.Sprintf("installer %s expired at %s: new installs are refused; set renew_on_expiry = true or change rotation to issue a new key "+
			"(or change valid_duration to extend it with the same installer id). Jump Clients already installed are not affected.",
			m.InstallerID.ValueString(), m.ExpiresAt.ValueString()))
}
