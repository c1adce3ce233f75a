package provider

import (
	"context"
	"fmt"

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

// The console settings are a singleton (GET/PUT/PATCH
// /api/v1/settings/console), managed like the Jump Client settings: Create
// replaces the settings with the configuration, Delete puts the appliance
// defaults back.

var (
	_ resource.ResourceWithConfigure     = (*consoleSettingsResource)(nil)
	_ resource.ResourceWithImportState   = (*consoleSettingsResource)(nil)
	_ datasource.DataSourceWithConfigure = (*consoleSettingsDataSource)(nil)
)

// NewConsoleSettingsResource is jumpgate_console_settings.
func NewConsoleSettingsResource() resource.Resource { return &consoleSettingsResource{} }

// NewConsoleSettingsDataSource is the data source jumpgate_console_settings.
func NewConsoleSettingsDataSource() datasource.DataSource { return &consoleSettingsDataSource{} }

type consoleSettingsResource struct {
	client *api.Client
}

// consoleSettingsID is the fixed id of the singleton.
const consoleSettingsID = "console_settings"

type consoleSettingsModel struct {
	ID                        types.String `tfsdk:"id"`
	MFARequired               types.Bool   `tfsdk:"mfa_required"`
	SessionIdleTimeoutMinutes types.Int64  `tfsdk:"session_idle_timeout_minutes"`
	SessionLifetimeHours      types.Int64  `tfsdk:"session_lifetime_hours"`
	TrustedOrigins            types.Set    `tfsdk:"trusted_origins"`
}

// defaultConsoleSettings are the console settings of a new appliance.
func defaultConsoleSettings() *api.ConsoleSettings {
	var s api.ConsoleSettings
	s.ApplyDefaults()
	return &s
}

func (r *consoleSettingsResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_console_settings"
}

func (r *consoleSettingsResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = consoleSettingsSchema()
}

func consoleSettingsSchema() schema.Schema {
	return schema.Schema{
		MarkdownDescription: "The console settings of the appliance (browser sign-in: MFA, session lifetimes, trusted origins), a singleton: " +
			"declare this resource at most once. Creating it replaces the current settings with the configuration (every setting left out " +
			"gets its default); destroying it puts every setting back to the default of a new appliance. " +
			"Import it with `terraform import jumpgate_console_settings.this console_settings` (any id is accepted).",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "Always `" + consoleSettingsID + "`.",
				Computed:            true,
				Default:             stringdefault.StaticString(consoleSettingsID),
			},
			"mfa_required": schema.BoolAttribute{
				MarkdownDescription: fmt.Sprintf("Make every user enroll TOTP before the web console opens; a user's own `mfa_required` asks it of that user alone. Default `%t`.", api.DefaultMFARequired),
				Optional:            true,
				Computed:            true,
				Default:             booldefault.StaticBool(api.DefaultMFARequired),
			},
			"session_idle_timeout_minutes": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("End a browser session after this long without a request, "+limits[api.ConsoleSettings]("session_idle_timeout_minutes")+" minutes. Default `%d`.", api.DefaultSessionIdleTimeoutMinutes),
				Optional:            true,
				Computed:            true,
				Default:             int64default.StaticInt64(api.DefaultSessionIdleTimeoutMinutes),
				Validators:          int64Rule[api.ConsoleSettings]("session_idle_timeout_minutes"),
			},
			"session_lifetime_hours": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("End a browser session this long after sign-in, however busy, "+limits[api.ConsoleSettings]("session_lifetime_hours")+" hours. Default `%d`.", api.DefaultSessionLifetimeHours),
				Optional:            true,
				Computed:            true,
				Default:             int64default.StaticInt64(api.DefaultSessionLifetimeHours),
				Validators:          int64Rule[api.ConsoleSettings]("session_lifetime_hours"),
			},
			"trusted_origins": schema.SetAttribute{
				MarkdownDescription: "Origins besides the appliance's own that may send state-changing requests and open WebSockets with a browser session, " +
					"such as a reverse proxy's public origin `https://support.example.com`; " + limits[api.ConsoleSettings]("trusted_origins") + ". " +
					"Each is spelled as a browser sends it in the `Origin` header: `http://` or `https://`, the host in lower case, " +
					"an optional port other than the scheme's default, and no path (not even `/`). Default `[]`.",
				ElementType: types.StringType,
				Optional:    true,
				Computed:    true,
				Default:     setdefault.StaticValue(types.SetValueMust(types.StringType, nil)),
				Validators:  setRule[api.ConsoleSettings]("trusted_origins"),
			},
		},
	}
}

func (r *consoleSettingsResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.client = configuredClient(req.ProviderData, &resp.Diagnostics)
}

func (r *consoleSettingsResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var m consoleSettingsModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	in := consoleSettingsToAPI(ctx, &m, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	out, err := r.client.UpdateConsoleSettings(ctx, in)
	if err != nil {
		addAPIError(&resp.Diagnostics, "Cannot set the console settings", err)
		return
	}
	consoleSettingsFromAPI(ctx, out, &m, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
	resp.Diagnostics.Append(setVersion(ctx, resp.Private, out.Version)...)
}

func (r *consoleSettingsResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var m consoleSettingsModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// The settings always exist: there is no 404 to handle.
	out, err := r.client.GetConsoleSettings(ctx)
	if err != nil {
		addAPIError(&resp.Diagnostics, "Cannot read the console settings", err)
		return
	}
	consoleSettingsFromAPI(ctx, out, &m, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
	resp.Diagnostics.Append(setVersion(ctx, resp.Private, out.Version)...)
}

func (r *consoleSettingsResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var m consoleSettingsModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	in := consoleSettingsToAPI(ctx, &m, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	out, err := r.client.UpdateConsoleSettings(ctx, in, ifMatch(ctx, req.Private)...)
	if err != nil {
		addAPIError(&resp.Diagnostics, "Cannot update the console settings", err)
		return
	}
	consoleSettingsFromAPI(ctx, out, &m, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
	resp.Diagnostics.Append(setVersion(ctx, resp.Private, out.Version)...)
}

// Delete puts the defaults of a new appliance back; the settings themselves
// cannot be deleted.
func (r *consoleSettingsResource) Delete(ctx context.Context, _ resource.DeleteRequest, resp *resource.DeleteResponse) {
	if _, err := r.client.UpdateConsoleSettings(ctx, defaultConsoleSettings()); err != nil {
		addAPIError(&resp.Diagnostics, "Cannot reset the console settings to their defaults", err)
	}
}

// ImportState accepts any id: there is one set of console settings.
func (r *consoleSettingsResource) ImportState(ctx context.Context, _ resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), consoleSettingsID)...)
}

func consoleSettingsToAPI(ctx context.Context, m *consoleSettingsModel, diags *diag.Diagnostics) *api.ConsoleSettings {
	origins := stringsOf(ctx, m.TrustedOrigins, diags)
	if origins == nil {
		origins = []string{}
	}
	return &api.ConsoleSettings{
		MFARequired:               boolPtr(m.MFARequired),
		SessionIdleTimeoutMinutes: int(m.SessionIdleTimeoutMinutes.ValueInt64()),
		SessionLifetimeHours:      int(m.SessionLifetimeHours.ValueInt64()),
		TrustedOrigins:            origins,
	}
}

func consoleSettingsFromAPI(ctx context.Context, a *api.ConsoleSettings, m *consoleSettingsModel, diags *diag.Diagnostics) {
	m.ID = types.StringValue(consoleSettingsID)
	m.MFARequired = boolValueOr(a.MFARequired, api.DefaultMFARequired)
	m.SessionIdleTimeoutMinutes = types.Int64Value(int64(a.SessionIdleTimeoutMinutes))
	m.SessionLifetimeHours = types.Int64Value(int64(a.SessionLifetimeHours))
	origins := a.TrustedOrigins
	if origins == nil {
		origins = []string{}
	}
	m.TrustedOrigins = setOf(ctx, types.StringType, origins, diags)
}

// consoleSettingsDataSource is the data source jumpgate_console_settings.
type consoleSettingsDataSource struct {
	client *api.Client
}

func (d *consoleSettingsDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_console_settings"
}

func (d *consoleSettingsDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = dschema.Schema{
		MarkdownDescription: "Reads the console settings (browser sign-in: MFA, session lifetimes, trusted origins). " +
			"Every attribute of the `jumpgate_console_settings` resource is available. Any user may read them.",
		Attributes: dataAttributes(consoleSettingsSchema().Attributes, nil),
	}
}

func (d *consoleSettingsDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.client = configuredClient(req.ProviderData, &resp.Diagnostics)
}

func (d *consoleSettingsDataSource) Read(ctx context.Context, _ datasource.ReadRequest, resp *datasource.ReadResponse) {
	out, err := d.client.GetConsoleSettings(ctx)
	if err != nil {
		addAPIError(&resp.Diagnostics, "Cannot read the console settings", err)
		return
	}
	var m consoleSettingsModel
	consoleSettingsFromAPI(ctx, out, &m, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
