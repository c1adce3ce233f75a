package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/objectdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/setdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/jumpgate/jumpgate/api"
)

// NewJumpointResource is jumpgate_jumpoint.
func NewJumpointResource() resource.Resource {
	return &collectionResource[jumpointObject, jumpointModel]{spec: jumpointSpec}
}

// NewJumpointDataSource is the data source jumpgate_jumpoint.
func NewJumpointDataSource() datasource.DataSource {
	return &objectDataSource[jumpointObject, jumpointModel]{spec: jumpointSpec}
}

// NewJumpointsDataSource is the data source jumpgate_jumpoints.
func NewJumpointsDataSource() datasource.DataSource {
	return &listDataSource[jumpointObject, jumpointModel]{spec: jumpointSpec}
}

// jumpointObject is an api.Jumpoint with the node installer downloads the
// provider derives from the client's URL (the API object has none: the
// route GET /jumpoints/{id}/download/{platform} serves them).
type jumpointObject struct {
	api.Jumpoint
	Downloads []api.InstallerDownload
}

// withDownloads adds the downloads of every platform to a jumpoint read
// through c.
func withDownloads(c *api.Client, j *api.Jumpoint) *jumpointObject {
	o := &jumpointObject{Jumpoint: *j}
	base := strings.TrimRight(c.BaseURL(), "/")
	for _, p := range api.Platforms {
		name := api.JumpointInstallerFile(j.CodeName, p)
		url := fmt.Sprintf("%s/api/v1/%s/%d/download/%s", base, api.PathJumpoints, j.ID, p)
		d := api.InstallerDownload{Platform: p, FileName: name, URL: url}
		// The same commands as the Jump Client installers' downloads
		// (appliance/internal/installer Downloads).
		if p == api.PlatformWindowsAMD64 {
			d.Command = fmt.Sprintf(`curl.exe -fSL --cacert "$env:JUMPGATE_CA_CERT" -H "Authorization: Bearer $env:JUMPGATE_TOKEN" -o %s "%s"`, name, url)
		} else {
			d.Command = fmt.Sprintf(`curl -fSL --cacert "$JUMPGATE_CA_CERT" -H "Authorization: Bearer $JUMPGATE_TOKEN" -o %s '%s'`, name, url)
		}
		o.Downloads = append(o.Downloads, d)
	}
	return o
}

var jumpointSpec = &spec[jumpointObject, jumpointModel]{
	name: "jumpoint", plural: "jumpoints", title: "Jumpoint",
	lookup: []string{"code_name"},
	filters: []filter{
		{name: "code_name", description: "The unique code name."},
		{name: "name", description: "The display name."},
		{name: "platform", description: "The platform, e.g. `linux-amd64`."},
		{name: "enabled", description: "`true` for enabled jumpoints, `false` for disabled ones.", bool: true},
	},
	create: func(c *api.Client, ctx context.Context, in *jumpointObject) (*jumpointObject, error) {
		out, err := c.CreateJumpoint(ctx, &in.Jumpoint)
		if err != nil {
			return nil, err
		}
		return withDownloads(c, out), nil
	},
	get: func(c *api.Client, ctx context.Context, id int64) (*jumpointObject, error) {
		out, err := c.GetJumpoint(ctx, id)
		if err != nil {
			return nil, err
		}
		return withDownloads(c, out), nil
	},
	update: func(c *api.Client, ctx context.Context, id int64, in *jumpointObject, opts ...api.WriteOption) (*jumpointObject, error) {
		out, err := c.UpdateJumpoint(ctx, id, &in.Jumpoint, opts...)
		if err != nil {
			return nil, err
		}
		return withDownloads(c, out), nil
	},
	remove: (*api.Client).DeleteJumpoint,
	list: func(c *api.Client, ctx context.Context, o *api.ListOptions) (*api.List[jumpointObject], error) {
		l, err := c.ListJumpoints(ctx, o)
		if err != nil {
			return nil, err
		}
		out := &api.List[jumpointObject]{NextCursor: l.NextCursor, Items: make([]jumpointObject, 0, len(l.Items))}
		for i := range l.Items {
			out.Items = append(out.Items, *withDownloads(c, &l.Items[i]))
		}
		return out, nil
	},
	schema:     jumpointSchema,
	toAPI:      jumpointToAPI,
	fromAPI:    jumpointFromAPI,
	validate:   jumpointValidate,
	modifyPlan: jumpointModifyPlan,
}

type jumpointModel struct {
	ID                    types.String `tfsdk:"id"`
	Name                  types.String `tfsdk:"name"`
	CodeName              types.String `tfsdk:"code_name"`
	Platform              types.String `tfsdk:"platform"`
	Enabled               types.Bool   `tfsdk:"enabled"`
	Clustered             types.Bool   `tfsdk:"clustered"`
	ShellJumpEnabled      types.Bool   `tfsdk:"shell_jump_enabled"`
	ProtocolTunnelEnabled types.Bool   `tfsdk:"protocol_tunnel_enabled"`
	JumpZoneProxy         types.Object `tfsdk:"jump_zone_proxy"`
	Comments              types.String `tfsdk:"comments"`
	Connected             types.Bool   `tfsdk:"connected"`
	ConnectedNodes        types.List   `tfsdk:"connected_nodes"`
	Downloads             types.List   `tfsdk:"downloads"`
}

type jumpZoneProxyModel struct {
	Enabled            types.Bool   `tfsdk:"enabled"`
	Hostname           types.String `tfsdk:"hostname"`
	Port               types.Int64  `tfsdk:"port"`
	AllowedClientCIDRs types.Set    `tfsdk:"allowed_client_cidrs"`
}

type jumpointNodeModel struct {
	ID          types.Int64       `tfsdk:"id"`
	Hostname    types.String      `tfsdk:"hostname"`
	RemoteAddr  types.String      `tfsdk:"remote_addr"`
	Version     types.String      `tfsdk:"version"`
	ConnectedAt timetypes.RFC3339 `tfsdk:"connected_at"`
}

type jumpointDownloadModel struct {
	Platform types.String `tfsdk:"platform"`
	FileName types.String `tfsdk:"file_name"`
	URL      types.String `tfsdk:"url"`
	Command  types.String `tfsdk:"command"`
}

var (
	jumpZoneProxyAttrTypes = map[string]attr.Type{
		"enabled": types.BoolType, "hostname": types.StringType, "port": types.Int64Type,
		"allowed_client_cidrs": types.SetType{ElemType: types.StringType},
	}
	jumpointNodeObjectType = objectTypeOf(map[string]attrType{
		"id": types.Int64Type, "hostname": types.StringType, "remote_addr": types.StringType,
		"version": types.StringType, "connected_at": timetypes.RFC3339Type{},
	})
	jumpointDownloadObjectType = objectTypeOf(map[string]attrType{
		"platform": types.StringType, "file_name": types.StringType, "url": types.StringType, "command": types.StringType,
	})
)

// defaultJumpZoneProxy is the proxy of a jumpoint that declares none: off,
// as the appliance stores it.
func defaultJumpZoneProxy() types.Object {
	return types.ObjectValueMust(jumpZoneProxyAttrTypes, map[string]attr.Value{
		"enabled":              types.BoolValue(false),
		"hostname":             types.StringValue(""),
		"port":                 types.Int64Value(api.DefaultProxyPort),
		"allowed_client_cidrs": types.SetValueMust(types.StringType, []attr.Value{}),
	})
}

func jumpointSchema() schema.Schema {
	return schema.Schema{
		MarkdownDescription: "A Jumpoint: an agent inside a remote network that proxies jumps into it (Protocol Tunnel Jumps, Shell Jump), " +
			"optionally clustered over up to 10 nodes, and optionally a Jump Zone Proxy for Jump Clients without a direct route to the appliance. " +
			"Nodes are installed from the installers in `downloads`.",
		Attributes: map[string]schema.Attribute{
			"id": idAttribute("Jumpoint"),
			"name": schema.StringAttribute{
				MarkdownDescription: "Display name, " + limits[api.Jumpoint]("name") + ".",
				Required:            true,
				Validators:          stringRule[api.Jumpoint]("name"),
			},
			"code_name": schema.StringAttribute{
				MarkdownDescription: "Unique machine name: 1–64 letters, digits, `_`, `-` and `.`, starting with a letter or digit. " +
					"It names the node installer files (`" + api.JumpointInstallerFile("<code_name>", "<platform>") + "`).",
				Required:   true,
				Validators: stringRule[api.Jumpoint]("code_name"),
			},
			"platform": schema.StringAttribute{
				MarkdownDescription: "Operating system and architecture of the jumpoint's host: " + orList(quoteAll(api.Platforms)) +
					". Default `" + api.DefaultPlatform + "`. It can be changed in place; nodes already installed keep running.",
				Optional:   true,
				Computed:   true,
				Default:    stringdefault.StaticString(api.DefaultPlatform),
				Validators: stringRule[api.Jumpoint]("platform"),
			},
			"enabled": schema.BoolAttribute{
				MarkdownDescription: fmt.Sprintf("Whether the jumpoint serves jumps and its installers can be downloaded and installed. Default `%t`.", api.DefaultJumpointEnabled),
				Optional:            true,
				Computed:            true,
				Default:             booldefault.StaticBool(api.DefaultJumpointEnabled),
			},
			"clustered": schema.BoolAttribute{
				MarkdownDescription: fmt.Sprintf("Whether up to %d nodes may serve the jumpoint (otherwise one). "+
					"Cannot be set back to `false` while more than one node is enrolled. Default `false`.", api.MaxJumpointNodes),
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(false),
			},
			"shell_jump_enabled": schema.BoolAttribute{
				MarkdownDescription: "Whether Shell Jump items may go through this jumpoint. Default `false`.",
				Optional:            true,
				Computed:            true,
				Default:             booldefault.StaticBool(false),
			},
			"protocol_tunnel_enabled": schema.BoolAttribute{
				MarkdownDescription: "Whether Protocol Tunnel Jumps (`jumpgate_protocol_tunnel_jump`) may go through this jumpoint. " +
					"Cannot be turned off while Protocol Tunnel Jumps use the jumpoint. Default `false`.",
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(false),
			},
			"jump_zone_proxy": schema.SingleNestedAttribute{
				MarkdownDescription: "Makes the jumpoint a Jump Zone Proxy: Jump Clients that cannot reach the appliance connect through it. " +
					"Left out, the proxy is off. It cannot be turned off while Jump Client installers name this jumpoint as `jumpoint_proxy_id`.",
				Optional: true,
				Computed: true,
				Default:  objectdefault.StaticValue(defaultJumpZoneProxy()),
				Attributes: map[string]schema.Attribute{
					"enabled": schema.BoolAttribute{
						MarkdownDescription: "Whether the proxy is on; `hostname` is then required. Default `false`.",
						Optional:            true,
						Computed:            true,
						Default:             booldefault.StaticBool(false),
					},
					"hostname": schema.StringAttribute{
						MarkdownDescription: "DNS name or IP address Jump Clients dial to reach the proxy; required when `enabled`. Default `\"\"`.",
						Optional:            true,
						Computed:            true,
						Default:             stringdefault.StaticString(""),
						Validators:          stringRule[api.Jumpoint]("jump_zone_proxy.hostname"),
					},
					"port": schema.Int64Attribute{
						MarkdownDescription: fmt.Sprintf("TCP port of the proxy, "+limits[api.Jumpoint]("jump_zone_proxy.port")+". Default `%d`.", api.DefaultProxyPort),
						Optional:            true,
						Computed:            true,
						Default:             int64default.StaticInt64(api.DefaultProxyPort),
						Validators:          int64Rule[api.Jumpoint]("jump_zone_proxy.port"),
					},
					"allowed_client_cidrs": schema.SetAttribute{
						MarkdownDescription: "CIDR prefixes (IPv4 or IPv6, e.g. `10.0.0.0/8`) of the clients that may use the proxy; " + limits[api.Jumpoint]("jump_zone_proxy.allowed_client_cidrs") + ". " +
							"Empty (the default) allows none.",
						ElementType: types.StringType,
						Optional:    true,
						Computed:    true,
						Default:     setdefault.StaticValue(types.SetValueMust(types.StringType, []attr.Value{})),
						Validators:  setRule[api.Jumpoint]("jump_zone_proxy.allowed_client_cidrs"),
					},
				},
			},
			"comments": schema.StringAttribute{
				MarkdownDescription: "Free text, " + limits[api.Jumpoint]("comments") + ".",
				Optional:            true,
				Computed:            true,
				Default:             stringdefault.StaticString(""),
				Validators:          stringRule[api.Jumpoint]("comments"),
			},
			"connected": schema.BoolAttribute{
				MarkdownDescription: "Live status: whether at least one node is connected now. Read-only; it is refreshed on every read " +
					"and never causes a change.",
				Computed: true,
			},
			"connected_nodes": schema.ListNestedAttribute{
				MarkdownDescription: "Live status: the nodes connected now, in ascending id order. Read-only; refreshed on every read.",
				Computed:            true,
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"id": schema.Int64Attribute{
						MarkdownDescription: "The node's id.",
						Computed:            true,
					},
					"hostname": schema.StringAttribute{
						MarkdownDescription: "Host name the node reported.",
						Computed:            true,
					},
					"remote_addr": schema.StringAttribute{
						MarkdownDescription: "Address the node connected from, as the appliance saw it.",
						Computed:            true,
					},
					"version": schema.StringAttribute{
						MarkdownDescription: "Agent version of the node.",
						Computed:            true,
					},
					"connected_at": schema.StringAttribute{
						MarkdownDescription: "When the node connected (RFC 3339, UTC).",
						Computed:            true,
						CustomType:          timetypes.RFC3339Type{},
					},
				}},
			},
			"downloads": schema.ListNestedAttribute{
				MarkdownDescription: "The node installer of every platform, one entry per platform. A download needs an administrator's API token, " +
					"answers `409` while the jumpoint is disabled, and carries key info valid for 24 hours after the download: " +
					"install within that time or download again.",
				Computed:      true,
				PlanModifiers: []planmodifier.List{listplanmodifier.UseStateForUnknown()},
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"platform": schema.StringAttribute{
						MarkdownDescription: "The platform: " + orList(quoteAll(api.Platforms)) + ".",
						Computed:            true,
					},
					"file_name": schema.StringAttribute{
						MarkdownDescription: "The file the installer is saved as, one per platform: `" + api.JumpointInstallerFile("<code_name>", "<platform>") + "`, " +
							"or `." + api.InstallerFileExt(api.PlatformWindowsAMD64) + "` for `windows-amd64`.",
						Computed: true,
					},
					"url": schema.StringAttribute{
						MarkdownDescription: "The download URL on the appliance (`GET /api/v1/jumpoints/{id}/download/{platform}`).",
						Computed:            true,
					},
					"command": schema.StringAttribute{
						MarkdownDescription: "A copyable `curl` command that downloads the installer with `$JUMPGATE_CA_CERT` and `$JUMPGATE_TOKEN` " +
							"(PowerShell with `curl.exe` for `windows-amd64`). Leave out `--cacert` when the appliance has a certificate from a public CA.",
						Computed: true,
					},
				}},
			},
		},
	}
}

// jumpointValidate: the appliance requires a proxy host name when the
// proxy is enabled.
func jumpointValidate(ctx context.Context, m *jumpointModel, diags *diag.Diagnostics) {
	if m.JumpZoneProxy.IsNull() || m.JumpZoneProxy.IsUnknown() {
		return
	}
	var p jumpZoneProxyModel
	diags.Append(m.JumpZoneProxy.As(ctx, &p, jumpZoneProxyAsOptions)...)
	if diags.HasError() {
		return
	}
	if p.Enabled.ValueBool() && !p.Hostname.IsUnknown() && p.Hostname.ValueString() == "" {
		diags.AddAttributeError(path.Root("jump_zone_proxy").AtName("hostname"), "Missing jump zone proxy hostname",
			"jump_zone_proxy.hostname is required when jump_zone_proxy.enabled is true: set the DNS name or IP address Jump Clients dial to reach the proxy.")
	}
}

// jumpointModifyPlan: the downloads name the code name, so a new code name
// makes them unknown until applied (the id and URL do not change in place).
func jumpointModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.State.Raw.IsNull() {
		return
	}
	var planned, prior types.String
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("code_name"), &planned)...)
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("code_name"), &prior)...)
	if !resp.Diagnostics.HasError() && !planned.Equal(prior) {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("downloads"), types.ListUnknown(jumpointDownloadObjectType))...)
	}
}

// jumpZoneProxyAsOptions read a proxy object whose attributes may be
// unknown (in a configuration) into jumpZoneProxyModel.
var jumpZoneProxyAsOptions = basetypes.ObjectAsOptions{}

func jumpointToAPI(ctx context.Context, m, _ *jumpointModel, diags *diag.Diagnostics) *jumpointObject {
	a := api.Jumpoint{
		Name: m.Name.ValueString(), CodeName: m.CodeName.ValueString(), Platform: m.Platform.ValueString(),
		Enabled: boolPtr(m.Enabled), Clustered: m.Clustered.ValueBool(), ShellJumpEnabled: m.ShellJumpEnabled.ValueBool(),
		ProtocolTunnelEnabled: m.ProtocolTunnelEnabled.ValueBool(), Comments: m.Comments.ValueString(),
	}
	if !m.JumpZoneProxy.IsNull() && !m.JumpZoneProxy.IsUnknown() {
		var p jumpZoneProxyModel
		diags.Append(m.JumpZoneProxy.As(ctx, &p, jumpZoneProxyAsOptions)...)
		a.JumpZoneProxy = api.JumpZoneProxy{
			Enabled: p.Enabled.ValueBool(), Hostname: p.Hostname.ValueString(), Port: int(p.Port.ValueInt64()),
			AllowedClientCIDRs: stringsOf(ctx, p.AllowedClientCIDRs, diags),
		}
	}
	return &jumpointObject{Jumpoint: a}
}

func jumpointFromAPI(ctx context.Context, a *jumpointObject, m *jumpointModel, diags *diag.Diagnostics) {
	m.ID = idString(a.ID)
	m.Name = types.StringValue(a.Name)
	m.CodeName = types.StringValue(a.CodeName)
	m.Platform = types.StringValue(a.Platform)
	m.Enabled = boolValueOr(a.Enabled, true)
	m.Clustered = types.BoolValue(a.Clustered)
	m.ShellJumpEnabled = types.BoolValue(a.ShellJumpEnabled)
	m.ProtocolTunnelEnabled = types.BoolValue(a.ProtocolTunnelEnabled)
	m.Comments = types.StringValue(a.Comments)
	p := a.JumpZoneProxy
	// A set holds each prefix once, whatever was written outside Terraform.
	cidrs := []string{}
	seen := map[string]bool{}
	for _, c := range p.AllowedClientCIDRs {
		if !seen[c] {
			seen[c] = true
			cidrs = append(cidrs, c)
		}
	}
	proxy, d := types.ObjectValueFrom(ctx, jumpZoneProxyAttrTypes, jumpZoneProxyModel{
		Enabled: types.BoolValue(p.Enabled), Hostname: types.StringValue(p.Hostname), Port: types.Int64Value(int64(p.Port)),
		AllowedClientCIDRs: setOf(ctx, types.StringType, cidrs, diags),
	})
	diags.Append(d...)
	m.JumpZoneProxy = proxy
	m.Connected = types.BoolValue(a.Connected)
	nodes := make([]jumpointNodeModel, 0, len(a.ConnectedNodes))
	for _, n := range a.ConnectedNodes {
		nodes = append(nodes, jumpointNodeModel{
			ID: types.Int64Value(n.ID), Hostname: types.StringValue(n.Hostname), RemoteAddr: types.StringValue(n.RemoteAddr),
			Version: types.StringValue(n.Version), ConnectedAt: timeValue(&n.ConnectedAt),
		})
	}
	m.ConnectedNodes = listOf(ctx, jumpointNodeObjectType, nodes, diags)
	downloads := make([]jumpointDownloadModel, 0, len(a.Downloads))
	for _, x := range a.Downloads {
		downloads = append(downloads, jumpointDownloadModel{
			Platform: types.StringValue(x.Platform), FileName: types.StringValue(x.FileName),
			URL: types.StringValue(x.URL), Command: types.StringValue(x.Command),
		})
	}
	m.Downloads = listOf(ctx, jumpointDownloadObjectType, downloads, diags)
}
