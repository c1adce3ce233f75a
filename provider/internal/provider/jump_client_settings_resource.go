package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	dschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/setdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/jumpgate/jumpgate/api"
)

// The Jump Client settings are a singleton (GET/PUT/PATCH
// /api/v1/settings/jump-clients): there is nothing to create or delete, so
// the resource does not use the generic collectionResource. Create replaces
// the settings with the configuration, Delete puts the appliance defaults
// back.

var (
	_ resource.ResourceWithConfigure      = (*jumpClientSettingsResource)(nil)
	_ resource.ResourceWithImportState    = (*jumpClientSettingsResource)(nil)
	_ resource.ResourceWithValidateConfig = (*jumpClientSettingsResource)(nil)
	_ datasource.DataSourceWithConfigure  = (*jumpClientSettingsDataSource)(nil)
)

// NewJumpClientSettingsResource is jumpgate_jump_client_settings.
func NewJumpClientSettingsResource() resource.Resource { return &jumpClientSettingsResource{} }

// NewJumpClientSettingsDataSource is the data source jumpgate_jump_client_settings.
func NewJumpClientSettingsDataSource() datasource.DataSource { return &jumpClientSettingsDataSource{} }

type jumpClientSettingsResource struct {
	client *api.Client
}

// jumpClientSettingsID is the fixed id of the singleton.
const jumpClientSettingsID = "jump_client_settings"

type jumpClientSettingsModel struct {
	ID                           types.String `tfsdk:"id"`
	Statistics                   types.Set    `tfsdk:"statistics"`
	StatisticsIntervalSeconds    types.Int64  `tfsdk:"statistics_interval_seconds"`
	UpgradeMode                  types.String `tfsdk:"upgrade_mode"`
	LostAfterDays                types.Int64  `tfsdk:"lost_after_days"`
	DeletedAfterDays             types.Int64  `tfsdk:"deleted_after_days"`
	UninstalledBehavior          types.String `tfsdk:"uninstalled_behavior"`
	RestrictLocalUninstall       types.Bool   `tfsdk:"restrict_local_uninstall"`
	DefaultConnectionType        types.String `tfsdk:"default_connection_type"`
	StandbyCheckInMinutes        types.Int64  `tfsdk:"standby_check_in_minutes"`
	WakeOnLANAllowed             types.Bool   `tfsdk:"wake_on_lan_allowed"`
	PresenceUsesScreenState      types.Bool   `tfsdk:"presence_uses_screen_state"`
	AdhocSessionsFromJumpClients types.Bool   `tfsdk:"adhoc_sessions_from_jump_clients"`
	SimultaneousJumps            types.String `tfsdk:"simultaneous_jumps"`
	UnattendedSessionsAllowed    types.Bool   `tfsdk:"unattended_sessions_allowed"`
}

func (r *jumpClientSettingsResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_jump_client_settings"
}

func (r *jumpClientSettingsResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = jumpClientSettingsSchema()
}

func jumpClientSettingsSchema() schema.Schema {
	def := api.DefaultJumpClientSettings()
	stats := make([]attr.Value, len(def.Statistics))
	for i, s := range def.Statistics {
		stats[i] = types.StringValue(s)
	}
	optBool := func(desc string, v bool) schema.BoolAttribute {
		return schema.BoolAttribute{MarkdownDescription: fmt.Sprintf("%s Default `%t`.", desc, v), Optional: true, Computed: true, Default: booldefault.StaticBool(v)}
	}
	return schema.Schema{
		MarkdownDescription: "The site-wide Jump Client settings of the appliance, a singleton: declare this resource at most once. " +
			"Creating it replaces the current settings with the configuration (every setting left out gets its default); " +
			"destroying it puts every setting back to the default of a new appliance. " +
			"Import it with `terraform import jumpgate_jump_client_settings.this jump_client_settings` (any id is accepted).",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "Always `" + jumpClientSettingsID + "`.",
				Computed:            true,
				Default:             stringdefault.StaticString(jumpClientSettingsID),
			},
			"statistics": schema.SetAttribute{
				MarkdownDescription: "Statistics active Jump Clients report: any of `cpu`, `console_user`, `disk`, `screen` and `uptime`. " +
					"Default `[\"" + strings.Join(def.Statistics, "\", \"") + "\"]` (the setting of a new appliance); `[]` for none.",
				ElementType: types.StringType,
				Optional:    true,
				Computed:    true,
				Default:     setdefault.StaticValue(types.SetValueMust(types.StringType, stats)),
				Validators:  setRule[api.JumpClientSettings]("statistics"),
			},
			"statistics_interval_seconds": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("How often active Jump Clients report statistics, "+limits[api.JumpClientSettings]("statistics_interval_seconds")+" seconds. Default `%d`.", def.StatisticsIntervalSeconds),
				Optional:            true,
				Computed:            true,
				Default:             int64default.StaticInt64(int64(def.StatisticsIntervalSeconds)),
				Validators:          int64Rule[api.JumpClientSettings]("statistics_interval_seconds"),
			},
			"upgrade_mode": schema.StringAttribute{
				MarkdownDescription: "Whether Jump Clients upgrade to the appliance's agent build: `disabled`, `this_version` " +
					"(upgrade to the version the appliance runs now, not after the appliance's next upgrade) or `always`. Default `" + def.UpgradeMode + "`.",
				Optional:   true,
				Computed:   true,
				Default:    stringdefault.StaticString(def.UpgradeMode),
				Validators: stringRule[api.JumpClientSettings]("upgrade_mode"),
			},
			"lost_after_days": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("Days offline after which a Jump Client is marked lost, "+limits[api.JumpClientSettings]("lost_after_days")+" and less than `deleted_after_days`. Default `%d`.", def.LostAfterDays),
				Optional:            true,
				Computed:            true,
				Default:             int64default.StaticInt64(int64(def.LostAfterDays)),
				Validators:          int64Rule[api.JumpClientSettings]("lost_after_days"),
			},
			"deleted_after_days": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("Days offline after which a Jump Client is deleted, "+limits[api.JumpClientSettings]("deleted_after_days")+" and more than `lost_after_days`. Default `%d`.", def.DeletedAfterDays),
				Optional:            true,
				Computed:            true,
				Default:             int64default.StaticInt64(int64(def.DeletedAfterDays)),
				Validators:          int64Rule[api.JumpClientSettings]("deleted_after_days"),
			},
			"uninstalled_behavior": schema.StringAttribute{
				MarkdownDescription: "What happens to a Jump Client uninstalled at the endpoint: `keep` (marked uninstalled) or `remove`. Default `" + def.UninstalledBehavior + "`.",
				Optional:            true,
				Computed:            true,
				Default:             stringdefault.StaticString(def.UninstalledBehavior),
				Validators:          stringRule[api.JumpClientSettings]("uninstalled_behavior"),
			},
			"restrict_local_uninstall": optBool("Refuse uninstalling or disabling a Jump Client locally at the endpoint.", false),
			"default_connection_type": schema.StringAttribute{
				MarkdownDescription: "Connection type of installers that do not set one: `active` (always connected) or `standby` (checks in). Default `" + def.DefaultConnectionType + "`.",
				Optional:            true,
				Computed:            true,
				Default:             stringdefault.StaticString(def.DefaultConnectionType),
				Validators:          stringRule[api.JumpClientSettings]("default_connection_type"),
			},
			"standby_check_in_minutes": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("How often standby Jump Clients check in, "+limits[api.JumpClientSettings]("standby_check_in_minutes")+" minutes. Default `%d`.", def.StandbyCheckInMinutes),
				Optional:            true,
				Computed:            true,
				Default:             int64default.StaticInt64(int64(def.StandbyCheckInMinutes)),
				Validators:          int64Rule[api.JumpClientSettings]("standby_check_in_minutes"),
			},
			"wake_on_lan_allowed":              optBool("Let users wake Jump Clients' endpoints through a peer on the same network.", false),
			"presence_uses_screen_state":       optBool("Count the end user present only while the screen is unlocked and no screen saver runs.", false),
			"adhoc_sessions_from_jump_clients": optBool("Let ad-hoc sessions start from an installed Jump Client.", false),
			"simultaneous_jumps": schema.StringAttribute{
				MarkdownDescription: "For Jump Clients without a Jump Policy, what a second user's request does while a session is active: " +
					"`allow` (a separate session), `join` (join the active one) or `disallow`. Default `" + def.SimultaneousJumps + "`.",
				Optional:   true,
				Computed:   true,
				Default:    stringdefault.StaticString(def.SimultaneousJumps),
				Validators: stringRule[api.JumpClientSettings]("simultaneous_jumps"),
			},
			"unattended_sessions_allowed": optBool("Allow unattended (unprompted) sessions on Jump Clients; "+
				"when `false`, every Jump Client session needs the end user's consent.", *def.UnattendedSessionsAllowed),
		},
	}
}

func (r *jumpClientSettingsResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.client = configuredClient(req.ProviderData, &resp.Diagnostics)
}

// ValidateConfig checks lost_after_days < deleted_after_days, taking the
// default for the one left out.
func (r *jumpClientSettingsResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m jumpClientSettingsModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || m.LostAfterDays.IsUnknown() || m.DeletedAfterDays.IsUnknown() {
		return
	}
	def := api.DefaultJumpClientSettings()
	lost, deleted := int64(def.LostAfterDays), int64(def.DeletedAfterDays)
	if !m.LostAfterDays.IsNull() {
		lost = m.LostAfterDays.ValueInt64()
	}
	if !m.DeletedAfterDays.IsNull() {
		deleted = m.DeletedAfterDays.ValueInt64()
	}
	if !api.LostBeforeDeleted(int(lost), int(deleted)) {
		resp.Diagnostics.AddAttributeError(path.Root("lost_after_days"), "Invalid offline limits",
			fmt.Sprintf("lost_after_days (%d) must be less than deleted_after_days (%d), so Jump Clients are marked lost before they are deleted.", lost, deleted))
	}
}

func (r *jumpClientSettingsResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var m jumpClientSettingsModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	in := jumpClientSettingsToAPI(ctx, &m, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	out, err := r.client.UpdateJumpClientSettings(ctx, in)
	if err != nil {
		addAPIError(&resp.Diagnostics, "Cannot set the Jump Client settings", err)
		return
	}
	jumpClientSettingsFromAPI(ctx, out, &m, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
	resp.Diagnostics.Append(setVersion(ctx, resp.Private, out.Version)...)
}

func (r *jumpClientSettingsResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var m jumpClientSettingsModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// The settings always exist: there is no 404 to handle.
	out, err := r.client.GetJumpClientSettings(ctx)
	if err != nil {
		addAPIError(&resp.Diagnostics, "Cannot read the Jump Client settings", err)
		return
	}
	jumpClientSettingsFromAPI(ctx, out, &m, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
	resp.Diagnostics.Append(setVersion(ctx, resp.Private, out.Version)...)
}

func (r *jumpClientSettingsResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var m jumpClientSettingsModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	in := jumpClientSettingsToAPI(ctx, &m, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	out, err := r.client.UpdateJumpClientSettings(ctx, in, ifMatch(ctx, req.Private)...)
	if err != nil {
		addAPIError(&resp.Diagnostics, "Cannot update the Jump Client settings", err)
		return
	}
	jumpClientSettingsFromAPI(ctx, out, &m, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
	resp.Diagnostics.Append(setVersion(ctx, resp.Private, out.Version)...)
}

// Delete puts the defaults of a new appliance back; the settings themselves
// cannot be deleted.
func (r *jumpClientSettingsResource) Delete(ctx context.Context, _ resource.DeleteRequest, resp *resource.DeleteResponse) {
	if _, err := r.client.UpdateJumpClientSettings(ctx, api.DefaultJumpClientSettings()); err != nil {
		addAPIError(&resp.Diagnostics, "Cannot reset the Jump Client settings to their defaults", err)
	}
}

// ImportState accepts any id: there is one set of settings.
func (r *jumpClientSettingsResource) ImportState(ctx context.Context, _ resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), jumpClientSettingsID)...)
}

func jumpClientSettingsToAPI(ctx context.Context, m *jumpClientSettingsModel, diags *diag.Diagnostics) *api.JumpClientSettings {
	return &api.JumpClientSettings{
		Statistics:                   stringsOf(ctx, m.Statistics, diags),
		StatisticsIntervalSeconds:    int(m.StatisticsIntervalSeconds.ValueInt64()),
		UpgradeMode:                  m.UpgradeMode.ValueString(),
		LostAfterDays:                int(m.LostAfterDays.ValueInt64()),
		DeletedAfterDays:             int(m.DeletedAfterDays.ValueInt64()),
		UninstalledBehavior:          m.UninstalledBehavior.ValueString(),
		RestrictLocalUninstall:       m.RestrictLocalUninstall.ValueBool(),
		DefaultConnectionType:        m.DefaultConnectionType.ValueString(),
		StandbyCheckInMinutes:        int(m.StandbyCheckInMinutes.ValueInt64()),
		WakeOnLANAllowed:             m.WakeOnLANAllowed.ValueBool(),
		PresenceUsesScreenState:      m.PresenceUsesScreenState.ValueBool(),
		AdhocSessionsFromJumpClients: m.AdhocSessionsFromJumpClients.ValueBool(),
		SimultaneousJumps:            m.SimultaneousJumps.ValueString(),
		UnattendedSessionsAllowed:    boolPtr(m.UnattendedSessionsAllowed),
	}
}

func jumpClientSettingsFromAPI(ctx context.Context, a *api.JumpClientSettings, m *jumpClientSettingsModel, diags *diag.Diagnostics) {
	m.ID = types.StringValue(jumpClientSettingsID)
	stats := a.Statistics
	if stats == nil {
		stats = []string{}
	}
	m.Statistics = setOf(ctx, types.StringType, stats, diags)
	m.StatisticsIntervalSeconds = types.Int64Value(int64(a.StatisticsIntervalSeconds))
	m.UpgradeMode = types.StringValue(a.UpgradeMode)
	m.LostAfterDays = types.Int64Value(int64(a.LostAfterDays))
	m.DeletedAfterDays = types.Int64Value(int64(a.DeletedAfterDays))
	m.UninstalledBehavior = types.StringValue(a.UninstalledBehavior)
	m.RestrictLocalUninstall = types.BoolValue(a.RestrictLocalUninstall)
	m.DefaultConnectionType = types.StringValue(a.DefaultConnectionType)
	m.StandbyCheckInMinutes = types.Int64Value(int64(a.StandbyCheckInMinutes))
	m.WakeOnLANAllowed = types.BoolValue(a.WakeOnLANAllowed)
	m.PresenceUsesScreenState = types.BoolValue(a.PresenceUsesScreenState)
	m.AdhocSessionsFromJumpClients = types.BoolValue(a.AdhocSessionsFromJumpClients)
	m.SimultaneousJumps = types.StringValue(a.SimultaneousJumps)
	m.UnattendedSessionsAllowed = boolValueOr(a.UnattendedSessionsAllowed, true)
}

// jumpClientSettingsDataSource is the data source jumpgate_jump_client_settings.
type jumpClientSettingsDataSource struct {
	client *api.Client
}

func (d *jumpClientSettingsDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_jump_client_settings"
}

func (d *jumpClientSettingsDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = dschema.Schema{
		MarkdownDescription: "Reads the site-wide Jump Client settings. Every attribute of the `jumpgate_jump_client_settings` resource is available. " +
			"Any user may read them.",
		Attributes: dataAttributes(jumpClientSettingsSchema().Attributes, nil),
	}
}

func (d *jumpClientSettingsDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.client = configuredClient(req.ProviderData, &resp.Diagnostics)
}

func (d *jumpClientSettingsDataSource) Read(ctx context.Context, _ datasource.ReadRequest, resp *datasource.ReadResponse) {
	out, err := d.client.GetJumpClientSettings(ctx)
	if err != nil {
		addAPIError(&resp.Diagnostics, "Cannot read the Jump Client settings", err)
		return
	}
	var m jumpClientSettingsModel
	jumpClientSettingsFromAPI(ctx, out, &m, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
