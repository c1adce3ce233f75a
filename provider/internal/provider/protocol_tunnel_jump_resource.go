package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/jumpgate/jumpgate/api"
)

// NewProtocolTunnelJumpResource is jumpgate_protocol_tunnel_jump.
func NewProtocolTunnelJumpResource() resource.Resource {
	return &collectionResource[api.ProtocolTunnelJump, protocolTunnelJumpModel]{spec: protocolTunnelJumpSpec}
}

// NewProtocolTunnelJumpDataSource is the data source jumpgate_protocol_tunnel_jump.
func NewProtocolTunnelJumpDataSource() datasource.DataSource {
	return &objectDataSource[api.ProtocolTunnelJump, protocolTunnelJumpModel]{spec: protocolTunnelJumpSpec}
}

// NewProtocolTunnelJumpsDataSource is the data source jumpgate_protocol_tunnel_jumps.
func NewProtocolTunnelJumpsDataSource() datasource.DataSource {
	return &listDataSource[api.ProtocolTunnelJump, protocolTunnelJumpModel]{spec: protocolTunnelJumpSpec}
}

// maxTunnelDefinitions is the appliance's limit of port pairs per item.
const maxTunnelDefinitions = 100

var protocolTunnelJumpSpec = &spec[api.ProtocolTunnelJump, protocolTunnelJumpModel]{
	name: "protocol_tunnel_jump", plural: "protocol_tunnel_jumps", title: "Protocol Tunnel Jump",
	// Names are not unique: an ambiguous name is reported, and the id
	// still finds the item.
	lookup: []string{"name"},
	filters: []filter{
		{name: "name", description: "The display name."},
		{name: "tag", description: "The tag."},
		{name: "jumpoint_id", description: "The jumpoint the items go through.", int: true},
		{name: "jump_group_id", description: "The owning Jump Group (or user, with `jump_group_type = \"personal\"`).", int: true},
		{name: "jump_group_type", description: "`shared` or `personal`."},
	},
	create:   (*api.Client).CreateProtocolTunnelJump,
	get:      (*api.Client).GetProtocolTunnelJump,
	update:   (*api.Client).UpdateProtocolTunnelJump,
	remove:   (*api.Client).DeleteProtocolTunnelJump,
	list:     (*api.Client).ListProtocolTunnelJumps,
	schema:   protocolTunnelJumpSchema,
	toAPI:    protocolTunnelJumpToAPI,
	fromAPI:  protocolTunnelJumpFromAPI,
	validate: protocolTunnelJumpValidate,
}

type protocolTunnelJumpModel struct {
	ID                  types.String `tfsdk:"id"`
	Name                types.String `tfsdk:"name"`
	JumpointID          types.Int64  `tfsdk:"jumpoint_id"`
	Hostname            types.String `tfsdk:"hostname"`
	TunnelDefinitions   types.List   `tfsdk:"tunnel_definitions"`
	TunnelListenAddress types.String `tfsdk:"tunnel_listen_address"`
	JumpGroupID         types.Int64  `tfsdk:"jump_group_id"`
	JumpGroupType       types.String `tfsdk:"jump_group_type"`
	Tag                 types.String `tfsdk:"tag"`
	Comments            types.String `tfsdk:"comments"`
	JumpPolicyID        types.Int64  `tfsdk:"jump_policy_id"`
	SessionPolicyID     types.Int64  `tfsdk:"session_policy_id"`
}

type tunnelDefinitionModel struct {
	LocalPort  types.Int64 `tfsdk:"local_port"`
	RemotePort types.Int64 `tfsdk:"remote_port"`
}

var tunnelDefinitionObjectType = objectTypeOf(map[string]attrType{
	"local_port": types.Int64Type, "remote_port": types.Int64Type,
})

func protocolTunnelJumpSchema() schema.Schema {
	return schema.Schema{
		MarkdownDescription: "A Protocol Tunnel Jump: a Jump Item that tunnels TCP ports from the user's machine through a Jumpoint to one host " +
			"(databases, RDP, HTTP consoles). The jumpoint must have `protocol_tunnel_enabled`. Deleting the item ends its sessions.",
		Attributes: map[string]schema.Attribute{
			"id": idAttribute("Protocol Tunnel Jump"),
			"name": schema.StringAttribute{
				MarkdownDescription: "Display name, " + limits[api.ProtocolTunnelJump]("name") + ". Not unique.",
				Required:            true,
				Validators:          stringRule[api.ProtocolTunnelJump]("name"),
			},
			"jumpoint_id": schema.Int64Attribute{
				MarkdownDescription: "ID of the Jumpoint in the target's network (`jumpgate_jumpoint.<name>.id`); it must have `protocol_tunnel_enabled = true`.",
				Required:            true,
				Validators:          int64Rule[api.ProtocolTunnelJump]("jumpoint_id"),
			},
			"hostname": schema.StringAttribute{
				MarkdownDescription: "DNS name or IP address of the target host, as the jumpoint resolves it.",
				Required:            true,
				Validators:          stringRule[api.ProtocolTunnelJump]("hostname"),
			},
			"tunnel_definitions": schema.ListNestedAttribute{
				MarkdownDescription: fmt.Sprintf("The port pairs tunnelled, 1–%d of them, in order. "+
					"A `local_port` other than 0 may appear only once.", maxTunnelDefinitions),
				Required:   true,
				Validators: listRule[api.ProtocolTunnelJump]("tunnel_definitions"),
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"local_port": schema.Int64Attribute{
						MarkdownDescription: "Port the user's local listener binds, " + limits[api.ProtocolTunnelJump]("tunnel_definitions.local_port") + "; 0 (the default) picks a free port when the session starts.",
						Optional:            true,
						Computed:            true,
						Default:             int64default.StaticInt64(0),
						Validators:          int64Rule[api.ProtocolTunnelJump]("tunnel_definitions.local_port"),
					},
					"remote_port": schema.Int64Attribute{
						MarkdownDescription: "Port on the target host, " + limits[api.ProtocolTunnelJump]("tunnel_definitions.remote_port") + ".",
						Required:            true,
						Validators:          int64Rule[api.ProtocolTunnelJump]("tunnel_definitions.remote_port"),
					},
				}},
			},
			"tunnel_listen_address": schema.StringAttribute{
				MarkdownDescription: "IPv4 address in 127.0.0.0/8 the user's local listeners bind, in canonical form. Default `" + api.DefaultTunnelListenAddress + "`.",
				Optional:            true,
				Computed:            true,
				Default:             stringdefault.StaticString(api.DefaultTunnelListenAddress),
				Validators:          append(stringRule[api.ProtocolTunnelJump]("tunnel_listen_address"), canonicalLoopbackValidator()),
			},
			"jump_group_id": schema.Int64Attribute{
				MarkdownDescription: "Owner of the item: the ID of a Jump Group (`jumpgate_jump_group.<name>.id`) when `jump_group_type` is `shared`, " +
					"or of a user whose personal list holds it when `personal`.",
				Required:   true,
				Validators: int64Rule[api.ProtocolTunnelJump]("jump_group_id"),
			},
			"jump_group_type": schema.StringAttribute{
				MarkdownDescription: "`shared` (`jump_group_id` is a Jump Group) or `personal` (`jump_group_id` is a user). Default `" + api.DefaultJumpGroupType + "`.",
				Optional:            true,
				Computed:            true,
				Default:             stringdefault.StaticString(api.DefaultJumpGroupType),
				Validators:          stringRule[api.ProtocolTunnelJump]("jump_group_type"),
			},
			"tag": schema.StringAttribute{
				MarkdownDescription: "Groups items in the console, " + limits[api.ProtocolTunnelJump]("tag") + ". Default `\"\"`.",
				Optional:            true,
				Computed:            true,
				Default:             stringdefault.StaticString(""),
				Validators:          stringRule[api.ProtocolTunnelJump]("tag"),
			},
			"comments": schema.StringAttribute{
				MarkdownDescription: "Free text, " + limits[api.ProtocolTunnelJump]("comments") + ".",
				Optional:            true,
				Computed:            true,
				Default:             stringdefault.StaticString(""),
				Validators:          stringRule[api.ProtocolTunnelJump]("comments"),
			},
			"jump_policy_id": schema.Int64Attribute{
				MarkdownDescription: "ID of the item's Jump Policy (`jumpgate_jump_policy.<name>.id`), or unset for none.",
				Optional:            true,
				Validators:          int64Rule[api.ProtocolTunnelJump]("jump_policy_id"),
			},
			"session_policy_id": schema.Int64Attribute{
				MarkdownDescription: "ID of the item's Session Policy (`jumpgate_session_policy.<name>.id`), or unset to use the default portal's.",
				Optional:            true,
				Validators:          int64Rule[api.ProtocolTunnelJump]("session_policy_id"),
			},
		},
	}
}

// protocolTunnelJumpValidate: local ports other than 0 are unique, as the
// appliance requires.
func protocolTunnelJumpValidate(ctx context.Context, m *protocolTunnelJumpModel, diags *diag.Diagnostics) {
	if m.TunnelDefinitions.IsNull() || m.TunnelDefinitions.IsUnknown() {
		return
	}
	var defs []tunnelDefinitionModel
	diags.Append(m.TunnelDefinitions.ElementsAs(ctx, &defs, false)...)
	if diags.HasError() {
		return
	}
	seen := map[int64]int{}
	for i, d := range defs {
		if d.LocalPort.IsNull() || d.LocalPort.IsUnknown() || d.LocalPort.ValueInt64() == 0 {
			continue
		}
		p := d.LocalPort.ValueInt64()
		if j, dup := seen[p]; dup {
			diags.AddAttributeError(path.Root("tunnel_definitions").AtListIndex(i).AtName("local_port"), "Duplicate local port",
				fmt.Sprintf("tunnel_definitions[%d].local_port: port %d is already used by tunnel_definitions[%d]; "+
					"each local port other than 0 may appear once (0 picks a free port).", i, p, j))
			continue
		}
		seen[p] = i
	}
}

func protocolTunnelJumpToAPI(ctx context.Context, m, _ *protocolTunnelJumpModel, diags *diag.Diagnostics) *api.ProtocolTunnelJump {
	a := &api.ProtocolTunnelJump{
		Name: m.Name.ValueString(), JumpointID: m.JumpointID.ValueInt64(), Hostname: m.Hostname.ValueString(),
		TunnelListenAddress: m.TunnelListenAddress.ValueString(),
		JumpGroupID:         m.JumpGroupID.ValueInt64(), JumpGroupType: m.JumpGroupType.ValueString(),
		Tag: m.Tag.ValueString(), Comments: m.Comments.ValueString(),
		JumpPolicyID: int64Ptr(m.JumpPolicyID), SessionPolicyID: int64Ptr(m.SessionPolicyID),
	}
	var defs []tunnelDefinitionModel
	diags.Append(m.TunnelDefinitions.ElementsAs(ctx, &defs, false)...)
	a.TunnelDefinitions = make([]api.TunnelDefinition, 0, len(defs))
	for _, d := range defs {
		a.TunnelDefinitions = append(a.TunnelDefinitions, api.TunnelDefinition{
			LocalPort: int(d.LocalPort.ValueInt64()), RemotePort: int(d.RemotePort.ValueInt64()),
		})
	}
	return a
}

func protocolTunnelJumpFromAPI(ctx context.Context, a *api.ProtocolTunnelJump, m *protocolTunnelJumpModel, diags *diag.Diagnostics) {
	m.ID = idString(a.ID)
	m.Name = types.StringValue(a.Name)
	m.JumpointID = types.Int64Value(a.JumpointID)
	m.Hostname = types.StringValue(a.Hostname)
	defs := make([]tunnelDefinitionModel, 0, len(a.TunnelDefinitions))
	for _, d := range a.TunnelDefinitions {
		defs = append(defs, tunnelDefinitionModel{LocalPort: types.Int64Value(int64(d.LocalPort)), RemotePort: types.Int64Value(int64(d.RemotePort))})
	}
	m.TunnelDefinitions = listOf(ctx, tunnelDefinitionObjectType, defs, diags)
	m.TunnelListenAddress = types.StringValue(a.TunnelListenAddress)
	m.JumpGroupID = types.Int64Value(a.JumpGroupID)
	m.JumpGroupType = types.StringValue(a.JumpGroupType)
	m.Tag = types.StringValue(a.Tag)
	m.Comments = types.StringValue(a.Comments)
	m.JumpPolicyID = int64Value(a.JumpPolicyID)
	m.SessionPolicyID = int64Value(a.SessionPolicyID)
}
