package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/jumpgate/jumpgate/api"
)

// NewPublicPortalResource is jumpgate_public_portal.
func NewPublicPortalResource() resource.Resource {
	return &collectionResource[api.PublicPortal, publicPortalModel]{spec: publicPortalSpec}
}

// NewPublicPortalDataSource is the data source jumpgate_public_portal.
func NewPublicPortalDataSource() datasource.DataSource {
	return &objectDataSource[api.PublicPortal, publicPortalModel]{spec: publicPortalSpec}
}

// NewPublicPortalsDataSource is the data source jumpgate_public_portals.
func NewPublicPortalsDataSource() datasource.DataSource {
	return &listDataSource[api.PublicPortal, publicPortalModel]{spec: publicPortalSpec}
}

var publicPortalSpec = &spec[api.PublicPortal, publicPortalModel]{
	name: "public_portal", plural: "public_portals", title: "Public Portal",
	lookup: []string{"hostname"},
	filters: []filter{
		{name: "hostname", description: "The host name (lower case)."},
		{name: "default", description: "`true` for the default portal, `false` for the others.", bool: true},
	},
	create:  (*api.Client).CreatePublicPortal,
	get:     (*api.Client).GetPublicPortal,
	update:  (*api.Client).UpdatePublicPortal,
	remove:  (*api.Client).DeletePublicPortal,
	list:    (*api.Client).ListPublicPortals,
	schema:  publicPortalSchema,
	toAPI:   publicPortalToAPI,
	fromAPI: publicPortalFromAPI,
}

type publicPortalModel struct {
	ID                types.String `tfsdk:"id"`
	Hostname          types.String `tfsdk:"hostname"`
	DisplayName       types.String `tfsdk:"display_name"`
	Default           types.Bool   `tfsdk:"default"`
	SessionPolicyID   types.Int64  `tfsdk:"session_policy_id"`
	AutomaticBehavior types.String `tfsdk:"automatic_behavior"`
}

func publicPortalSchema() schema.Schema {
	return schema.Schema{
		MarkdownDescription: "A public portal: a public site through which customers and Jump Clients connect. " +
			"At most one portal is the default; it serves Jump Clients that name no portal, Protocol Tunnel Jumps and access codes.",
		Attributes: map[string]schema.Attribute{
			"id": idAttribute("Public Portal"),
			"hostname": schema.StringAttribute{
				MarkdownDescription: "The site's DNS name or IP address, unique across portals. Write it in lower case and without a trailing dot, " +
					"as the appliance stores it.",
				Required:   true,
				Validators: append(stringRule[api.PublicPortal]("hostname"), portalHostValidators()...),
			},
			"display_name": schema.StringAttribute{
				MarkdownDescription: "Name shown to users, " + limits[api.PublicPortal]("display_name") + ".",
				Required:            true,
				Validators:          stringRule[api.PublicPortal]("display_name"),
			},
			"default": schema.BoolAttribute{
				MarkdownDescription: "Whether this is the default portal. At most one portal may be: setting it while another portal is the default " +
					"fails (`409`), so to move the default, unset it on the old portal in one apply and set it on the new one in the next " +
					"(or make the new portal `depends_on` the old one). Default `false`.",
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(false),
			},
			"session_policy_id": schema.Int64Attribute{
				MarkdownDescription: "ID of the Session Policy (`jumpgate_session_policy.<name>.id`) of sessions on Jump Clients that name this portal " +
					"and have no policy of their own; the default portal's also serves Jump Clients that name no portal, " +
					"Protocol Tunnel Jumps and access codes. Unset for none.",
				Optional:   true,
				Validators: int64Rule[api.PublicPortal]("session_policy_id"),
			},
			"automatic_behavior": schema.StringAttribute{
				MarkdownDescription: "How consent prompts are answered on headless Jump Clients: `accept` or `reject`. Default `" + api.DefaultAutomaticBehavior + "`.",
				Optional:            true,
				Computed:            true,
				Default:             stringdefault.StaticString(api.DefaultAutomaticBehavior),
				Validators:          stringRule[api.PublicPortal]("automatic_behavior"),
			},
		},
	}
}

func publicPortalToAPI(_ context.Context, m, _ *publicPortalModel, _ *diag.Diagnostics) *api.PublicPortal {
	return &api.PublicPortal{
		Hostname: m.Hostname.ValueString(), DisplayName: m.DisplayName.ValueString(), Default: m.Default.ValueBool(),
		SessionPolicyID: int64Ptr(m.SessionPolicyID), AutomaticBehavior: m.AutomaticBehavior.ValueString(),
	}
}

func publicPortalFromAPI(_ context.Context, a *api.PublicPortal, m *publicPortalModel, _ *diag.Diagnostics) {
	m.ID = idString(a.ID)
	m.Hostname = types.StringValue(a.Hostname)
	m.DisplayName = types.StringValue(a.DisplayName)
	m.Default = types.BoolValue(a.Default)
	m.SessionPolicyID = int64Value(a.SessionPolicyID)
	m.AutomaticBehavior = types.StringValue(a.AutomaticBehavior)
}
