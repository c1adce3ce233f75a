package provider

import (
	"context"
	"strconv"

	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/jumpgate/jumpgate/api"
)

var _ datasource.DataSourceWithConfigure = (*jumpClientsDataSource)(nil)

// NewJumpClientsDataSource is the data source jumpgate_jump_clients.
func NewJumpClientsDataSource() datasource.DataSource {
	return &jumpClientsDataSource{}
}

// jumpClientsDataSource lists installed Jump Clients. Clients are made by
// enrollment, not by Terraform, so there is no resource to derive it from.
type jumpClientsDataSource struct {
	client *api.Client
}

type jumpClientsModel struct {
	ID             types.String      `tfsdk:"id"`
	Name           types.String      `tfsdk:"name"`
	Tag            types.String      `tfsdk:"tag"`
	Status         types.String      `tfsdk:"status"`
	Hostname       types.String      `tfsdk:"hostname"`
	InstallerID    types.String      `tfsdk:"installer_id"`
	ConnectionType types.String      `tfsdk:"connection_type"`
	JumpGroupID    types.Int64       `tfsdk:"jump_group_id"`
	JumpGroupType  types.String      `tfsdk:"jump_group_type"`
	Items          []jumpClientModel `tfsdk:"items"`
}

type jumpClientModel struct {
	ID                        types.String      `tfsdk:"id"`
	Name                      types.String      `tfsdk:"name"`
	JumpGroupID               types.Int64       `tfsdk:"jump_group_id"`
	JumpGroupType             types.String      `tfsdk:"jump_group_type"`
	PublicPortalID            types.Int64       `tfsdk:"public_portal_id"`
	Tag                       types.String      `tfsdk:"tag"`
	Comments                  types.String      `tfsdk:"comments"`
	JumpPolicyID              types.Int64       `tfsdk:"jump_policy_id"`
	AttendedSessionPolicyID   types.Int64       `tfsdk:"attended_session_policy_id"`
	UnattendedSessionPolicyID types.Int64       `tfsdk:"unattended_session_policy_id"`
	ConnectionType            types.String      `tfsdk:"connection_type"`
	MaxOfflineMinutes         types.Int64       `tfsdk:"max_offline_minutes"`
	SupportButtonProfile      types.String      `tfsdk:"support_button_profile"`
	SupportButtonDirectQueue  types.String      `tfsdk:"support_button_direct_queue"`
	InstallerID               types.String      `tfsdk:"installer_id"`
	Status                    types.String      `tfsdk:"status"`
	Hostname                  types.String      `tfsdk:"hostname"`
	FQDN                      types.String      `tfsdk:"fqdn"`
	OS                        types.String      `tfsdk:"os"`
	Platform                  types.String      `tfsdk:"platform"`
	PrivateIP                 types.String      `tfsdk:"private_ip"`
	PublicIP                  types.String      `tfsdk:"public_ip"`
	MACAddress                types.String      `tfsdk:"mac_address"`
	DefaultGateway            types.String      `tfsdk:"default_gateway"`
	ConsoleUser               types.String      `tfsdk:"console_user"`
	InstallMode               types.String      `tfsdk:"install_mode"`
	Headless                  types.Bool        `tfsdk:"headless"`
	AgentVersion              types.String      `tfsdk:"agent_version"`
	LastConnectAt             timetypes.RFC3339 `tfsdk:"last_connect_at"`
	LastDisconnectAt          timetypes.RFC3339 `tfsdk:"last_disconnect_at"`
	LastSeenAt                timetypes.RFC3339 `tfsdk:"last_seen_at"`
	Statistics                *statisticsModel  `tfsdk:"statistics"`
	Presence                  *presenceModel    `tfsdk:"presence"`
}

type statisticsModel struct {
	ReportedAt     timetypes.RFC3339 `tfsdk:"reported_at"`
	CPUPercent     types.Float64     `tfsdk:"cpu_percent"`
	LoadAverage    types.Float64     `tfsdk:"load_average"`
	ConsoleUser    types.String      `tfsdk:"console_user"`
	DiskTotalBytes types.Int64       `tfsdk:"disk_total_bytes"`
	DiskFreeBytes  types.Int64       `tfsdk:"disk_free_bytes"`
	Screen         types.String      `tfsdk:"screen"`
	UptimeSeconds  types.Int64       `tfsdk:"uptime_seconds"`
}

type presenceModel struct {
	UserLoggedIn types.Bool `tfsdk:"user_logged_in"`
	ScreenLocked types.Bool `tfsdk:"screen_locked"`
	ScreenSaver  types.Bool `tfsdk:"screen_saver"`
	Present      types.Bool `tfsdk:"present"`
}

// jumpClientFilters are the list filters, each an attribute of the same name.
var jumpClientFilters = []struct {
	name, description string
	int               bool
	validators        []validator.String
}{
	{name: "name", description: "The client's name."},
	{name: "tag", description: "The client's tag."},
	{name: "status", description: "`online`, `offline`, `lost` or `uninstalled`.",
		validators: []validator.String{stringvalidator.OneOf(api.ClientOnline, api.ClientOffline, api.ClientLost, api.ClientUninstalled)}},
	{name: "hostname", description: "The host name the agent reported."},
	{name: "installer_id", description: "The random `installer_id` of the installer the client was installed from " +
		"(`jumpgate_jump_client_installer.<name>.installer_id`; it changes when the installer's key is re-issued)."},
	{name: "connection_type", description: "`active` or `standby`.",
		validators: []validator.String{stringvalidator.OneOf(api.ConnectionActive, api.ConnectionStandby)}},
	{name: "jump_group_id", description: "The Jump Group (or, with `jump_group_type = \"personal\"`, the user).", int: true},
	{name: "jump_group_type", description: "`shared` or `personal`.",
		validators: []validator.String{stringvalidator.OneOf(api.JumpGroupShared, api.JumpGroupPersonal)}},
}

func (d *jumpClientsDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_jump_clients"
}

func (d *jumpClientsDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.client = configuredClient(req.ProviderData, &resp.Diagnostics)
}

func (d *jumpClientsDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	str := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{MarkdownDescription: desc, Computed: true}
	}
	num := func(desc string) schema.Int64Attribute {
		return schema.Int64Attribute{MarkdownDescription: desc, Computed: true}
	}
	when := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{MarkdownDescription: desc + " (RFC 3339); null if never.", Computed: true, CustomType: timetypes.RFC3339Type{}}
	}
	item := map[string]schema.Attribute{
		"id":                           str("The appliance's numeric id of the Jump Client, as a string."),
		"name":                         str("The client's name: from the installer, an override, else the host name."),
		"jump_group_id":                num("The Jump Group (or user, for `personal`) the client belongs to."),
		"jump_group_type":              str("`shared` or `personal`."),
		"public_portal_id":             num("The public portal the client connects through; null for the default."),
		"tag":                          str("The client's tag."),
		"comments":                     str("The client's comments."),
		"jump_policy_id":               num("The client's Jump Policy; null for none."),
		"attended_session_policy_id":   num("The session policy when the customer is present; null for none."),
		"unattended_session_policy_id": num("The session policy when the customer is not present; null for none."),
		"connection_type":              str("`active` or `standby`."),
		"max_offline_minutes":          num("Minutes offline after which the client is treated as uninstalled; 0 uses the global settings."),
		"support_button_profile":       str("The Support Button profile's code name; empty for none."),
		"support_button_direct_queue":  str("The Support Button direct queue (`team:<code-name>`); empty for none."),
		"installer_id":                 str("The random installer id of the installer the client was installed from."),
		"status":                       str("`online`, `offline`, `lost` or `uninstalled`."),
		"hostname":                     str("The host name the agent reported."),
		"fqdn":                         str("The fully qualified domain name the agent reported."),
		"os":                           str("The operating system, e.g. `Debian GNU/Linux 12 (bookworm)`."),
		"platform":                     str("The installer platform: one of `" + joinTicks(api.Platforms) + "`."),
		"private_ip":                   str("The endpoint's private IP address."),
		"public_ip":                    str("The endpoint's public IP address, as the appliance sees it."),
		"mac_address":                  str("The MAC address of the endpoint's primary interface."),
		"default_gateway":              str("The endpoint's default gateway."),
		"console_user":                 str("The user logged in at the console when the agent last reported."),
		"install_mode":                 str("`service` (system scope) or `user`."),
		"headless": schema.BoolAttribute{
			MarkdownDescription: "Installed with `--headless`: nobody there can answer a consent prompt, so the public portal's `automatic_behavior` answers it.",
			Computed:            true,
		},
		"agent_version":      str("The version of the agent that runs the client."),
		"last_connect_at":    when("When the client last connected"),
		"last_disconnect_at": when("When the client last disconnected"),
		"last_seen_at":       when("The client's last contact of any kind (connect, report, check-in)"),
		"statistics": schema.SingleNestedAttribute{
			MarkdownDescription: "The latest statistics the client reported, the ones selected in the Jump Client settings " +
				"(`jumpgate_jump_client_settings`); a figure not selected or unknown on the platform is null. Null before the first report.",
			Computed: true,
			Attributes: map[string]schema.Attribute{
				"reported_at": schema.StringAttribute{MarkdownDescription: "When the agent took the figures (RFC 3339).", Computed: true, CustomType: timetypes.RFC3339Type{}},
				"cpu_percent": schema.Float64Attribute{MarkdownDescription: "The busy share of all CPUs since the previous report, in percent.", Computed: true},
				"load_average": schema.Float64Attribute{
					MarkdownDescription: "The 1-minute load average.", Computed: true,
				},
				"console_user":     str("The user logged in at the console."),
				"disk_total_bytes": num("The size of the file system holding the install directory, in bytes."),
				"disk_free_bytes":  num("The free space on that file system, in bytes."),
				"screen":           str("The display (`headless` when there is none)."),
				"uptime_seconds":   num("The time since the host booted, in seconds."),
			},
		},
		"presence": schema.SingleNestedAttribute{
			MarkdownDescription: "Whether a customer is at the endpoint, as the client last reported; it picks the session policy. Null before the first report.",
			Computed:            true,
			Attributes: map[string]schema.Attribute{
				"user_logged_in": schema.BoolAttribute{MarkdownDescription: "A user has a session at the console.", Computed: true},
				"screen_locked":  schema.BoolAttribute{MarkdownDescription: "The console session is locked; null if unknown on the platform.", Computed: true},
				"screen_saver":   schema.BoolAttribute{MarkdownDescription: "A screen saver runs; null if unknown on the platform.", Computed: true},
				"present": schema.BoolAttribute{
					MarkdownDescription: "The verdict: a user is logged in and, when the settings' `presence_uses_screen_state` is on, the screen is neither locked nor saved.",
					Computed:            true,
				},
			},
		},
	}
	attrs := map[string]schema.Attribute{
		"id": schema.StringAttribute{MarkdownDescription: "A fixed identifier of this read, derived from the filters.", Computed: true},
		"items": schema.ListNestedAttribute{
			MarkdownDescription: "The matching Jump Clients in ascending id order.",
			Computed:            true,
			NestedObject:        schema.NestedAttributeObject{Attributes: item},
		},
	}
	for _, f := range jumpClientFilters {
		desc := "Only clients whose `" + f.name + "` is this value. " + f.description
		if f.int {
			attrs[f.name] = schema.Int64Attribute{MarkdownDescription: desc, Optional: true, Validators: []validator.Int64{int64validator.AtLeast(1)}}
		} else {
			attrs[f.name] = schema.StringAttribute{MarkdownDescription: desc, Optional: true, Validators: f.validators}
		}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the installed Jump Clients with their status, the facts their agents report and their latest statistics, " +
			"optionally filtered (exact matches; all filters must match). Jump Clients are made by running an installer on an endpoint, " +
			"not by Terraform.",
		Attributes: attrs,
	}
}

func (d *jumpClientsDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m jumpClientsModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	filters := map[string]string{}
	for name, v := range map[string]types.String{
		"name": m.Name, "tag": m.Tag, "status": m.Status, "hostname": m.Hostname, "installer_id": m.InstallerID,
		"connection_type": m.ConnectionType, "jump_group_type": m.JumpGroupType,
	} {
		if !v.IsNull() && !v.IsUnknown() {
			filters[name] = v.ValueString()
		}
	}
	if !m.JumpGroupID.IsNull() && !m.JumpGroupID.IsUnknown() {
		filters["jump_group_id"] = strconv.FormatInt(m.JumpGroupID.ValueInt64(), 10)
	}
	items, err := api.ListAll(ctx, d.client.ListJumpClients, &api.ListOptions{Filters: filters, Limit: 500})
	if err != nil {
		addAPIError(&resp.Diagnostics, "Cannot list the Jump Clients", err)
		return
	}
	m.Items = make([]jumpClientModel, 0, len(items))
	for i := range items {
		m.Items = append(m.Items, jumpClientFromAPI(&items[i]))
	}
	m.ID = types.StringValue("jump_clients?" + describe(filters))
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func jumpClientFromAPI(a *api.JumpClient) jumpClientModel {
	m := jumpClientModel{
		ID: idString(a.ID), Name: types.StringValue(a.Name),
		JumpGroupID: types.Int64Value(a.JumpGroupID), JumpGroupType: types.StringValue(a.JumpGroupType),
		PublicPortalID: int64Value(a.PublicPortalID), Tag: types.StringValue(a.Tag), Comments: types.StringValue(a.Comments),
		JumpPolicyID:              int64Value(a.JumpPolicyID),
		AttendedSessionPolicyID:   int64Value(a.AttendedSessionPolicyID),
		UnattendedSessionPolicyID: int64Value(a.UnattendedSessionPolicyID),
		ConnectionType:            types.StringValue(a.ConnectionType),
		MaxOfflineMinutes:         types.Int64Value(int64(a.MaxOfflineMinutes)),
		SupportButtonProfile:      types.StringValue(a.SupportButtonProfile),
		SupportButtonDirectQueue:  types.StringValue(a.SupportButtonDirectQueue),
		InstallerID:               types.StringValue(a.InstallerID), Status: types.StringValue(a.Status),
		Hostname: types.StringValue(a.Hostname), FQDN: types.StringValue(a.FQDN), OS: types.StringValue(a.OS),
		Platform: types.StringValue(a.Platform), PrivateIP: types.StringValue(a.PrivateIP), PublicIP: types.StringValue(a.PublicIP),
		MACAddress: types.StringValue(a.MACAddress), DefaultGateway: types.StringValue(a.DefaultGateway),
		ConsoleUser: types.StringValue(a.ConsoleUser), InstallMode: types.StringValue(a.InstallMode),
		Headless: types.BoolValue(a.Headless), AgentVersion: types.StringValue(a.AgentVersion),
		LastConnectAt: timeValue(a.LastConnectAt), LastDisconnectAt: timeValue(a.LastDisconnectAt), LastSeenAt: timeValue(a.LastSeenAt),
	}
	if s := a.Statistics; s != nil {
		m.Statistics = &statisticsModel{
			ReportedAt: timeValue(&s.ReportedAt), CPUPercent: types.Float64PointerValue(s.CPUPercent),
			LoadAverage: types.Float64PointerValue(s.LoadAverage), ConsoleUser: types.StringPointerValue(s.ConsoleUser),
			DiskTotalBytes: uint64Value(s.DiskTotalBytes), DiskFreeBytes: uint64Value(s.DiskFreeBytes),
			Screen: types.StringPointerValue(s.Screen), UptimeSeconds: types.Int64PointerValue(s.UptimeSeconds),
		}
	}
	if p := a.Presence; p != nil {
		m.Presence = &presenceModel{
			UserLoggedIn: types.BoolValue(p.UserLoggedIn), ScreenLocked: types.BoolPointerValue(p.ScreenLocked),
			ScreenSaver: types.BoolPointerValue(p.ScreenSaver), Present: types.BoolValue(p.Present),
		}
	}
	return m
}

// uint64Value is null for nil; byte counts fit an int64 (8 EiB).
func uint64Value(p *uint64) types.Int64 {
	if p == nil {
		return types.Int64Null()
	}
	return types.Int64Value(int64(*p))
}
