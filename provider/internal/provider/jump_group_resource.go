package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/setplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/jumpgate/jumpgate/api"
)

// NewJumpGroupResource is jumpgate_jump_group.
func NewJumpGroupResource() resource.Resource {
	return &collectionResource[api.JumpGroup, jumpGroupModel]{spec: jumpGroupSpec}
}

// NewJumpGroupDataSource is the data source jumpgate_jump_group.
func NewJumpGroupDataSource() datasource.DataSource {
	return &objectDataSource[api.JumpGroup, jumpGroupModel]{spec: jumpGroupSpec}
}

// NewJumpGroupsDataSource is the data source jumpgate_jump_groups.
func NewJumpGroupsDataSource() datasource.DataSource {
	return &listDataSource[api.JumpGroup, jumpGroupModel]{spec: jumpGroupSpec}
}

var jumpGroupSpec = &spec[api.JumpGroup, jumpGroupModel]{
	name: "jump_group", plural: "jump_groups", title: "Jump Group",
	lookup: []string{"code_name"},
	filters: []filter{
		{name: "name", description: "The display name."},
		{name: "code_name", description: "The unique code name."},
	},
	create:  (*api.Client).CreateJumpGroup,
	get:     (*api.Client).GetJumpGroup,
	update:  (*api.Client).UpdateJumpGroup,
	remove:  (*api.Client).DeleteJumpGroup,
	list:    (*api.Client).ListJumpGroups,
	schema:  jumpGroupSchema,
	toAPI:   jumpGroupToAPI,
	fromAPI: jumpGroupFromAPI,
}

type jumpGroupModel struct {
	ID          types.String `tfsdk:"id"`
	Name        types.String `tfsdk:"name"`
	CodeName    types.String `tfsdk:"code_name"`
	Comments    types.String `tfsdk:"comments"`
	Memberships types.Set    `tfsdk:"memberships"`
}

type membershipModel struct {
	GroupPolicyID types.Int64  `tfsdk:"group_policy_id"`
	Role          types.String `tfsdk:"role"`
	JumpPolicyID  types.Int64  `tfsdk:"jump_policy_id"`
}

func jumpGroupSchema() schema.Schema {
	return schema.Schema{
		MarkdownDescription: "A Jump Group: a set of Jump Items (Jump Clients, Protocol Tunnel Jumps) shared by its members. " +
			"Members come from group policies, each with a role on the group's items.",
		Attributes: map[string]schema.Attribute{
			"id": idAttribute("Jump Group"),
			"name": schema.StringAttribute{
				MarkdownDescription: "Display name, " + limits[api.JumpGroup]("name") + ".",
				Required:            true,
				Validators:          stringRule[api.JumpGroup]("name"),
			},
			"code_name": schema.StringAttribute{
				MarkdownDescription: "Unique machine name: 1–64 letters, digits, `_`, `-` and `.`, starting with a letter or digit. " +
					"Installers and the CLI refer to groups by it.",
				Required:   true,
				Validators: stringRule[api.JumpGroup]("code_name"),
			},
			"comments": schema.StringAttribute{
				MarkdownDescription: "Free text, " + limits[api.JumpGroup]("comments") + ".",
				Optional:            true,
				Computed:            true,
				Default:             stringdefault.StaticString(""),
				Validators:          stringRule[api.JumpGroup]("comments"),
			},
			"memberships": schema.SetNestedAttribute{
				MarkdownDescription: "The group policies whose members reach this group's items, with their role. " +
					"The same relation is visible from the group policy side as `jump_groups`: declare it on one side only. " +
					"Left out, the memberships are not managed here (whatever exists is kept and shown); `[]` removes them all.",
				Optional:      true,
				Computed:      true,
				PlanModifiers: []planmodifier.Set{setplanmodifier.UseStateForUnknown()},
				Validators:    setRule[api.JumpGroup]("memberships"),
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"group_policy_id": schema.Int64Attribute{
						MarkdownDescription: "ID of the group policy (`jumpgate_group_policy.<name>.id`, as a number).",
						Required:            true,
						Validators:          int64Rule[api.JumpGroup]("memberships.group_policy_id"),
					},
					"role": schema.StringAttribute{
						MarkdownDescription: "What members may do with the items: `view`, `start` (sessions) or `edit`.",
						Required:            true,
						Validators:          stringRule[api.JumpGroup]("memberships.role"),
					},
					"jump_policy_id": schema.Int64Attribute{
						MarkdownDescription: "Optional Jump Policy applied to jumps made through this membership, overriding the item's own.",
						Optional:            true,
						Validators:          int64Rule[api.JumpGroup]("memberships.jump_policy_id"),
					},
				}},
			},
		},
	}
}

func jumpGroupToAPI(ctx context.Context, m, cfg *jumpGroupModel, diags *diag.Diagnostics) *api.JumpGroup {
	a := &api.JumpGroup{Name: m.Name.ValueString(), CodeName: m.CodeName.ValueString(), Comments: m.Comments.ValueString()}
	if !cfg.Memberships.IsNull() && !m.Memberships.IsUnknown() {
		var ms []membershipModel
		diags.Append(m.Memberships.ElementsAs(ctx, &ms, false)...)
		a.Memberships = make([]api.JumpGroupMembership, 0, len(ms))
		for _, x := range ms {
			a.Memberships = append(a.Memberships, api.JumpGroupMembership{
				GroupPolicyID: x.GroupPolicyID.ValueInt64(), Role: x.Role.ValueString(), JumpPolicyID: int64Ptr(x.JumpPolicyID),
			})
		}
	}
	return a
}

func jumpGroupFromAPI(ctx context.Context, a *api.JumpGroup, m *jumpGroupModel, diags *diag.Diagnostics) {
	m.ID = idString(a.ID)
	m.Name = types.StringValue(a.Name)
	m.CodeName = types.StringValue(a.CodeName)
	m.Comments = types.StringValue(a.Comments)
	ms := make([]membershipModel, 0, len(a.Memberships))
	for _, x := range a.Memberships {
		ms = append(ms, membershipModel{GroupPolicyID: types.Int64Value(x.GroupPolicyID), Role: types.StringValue(x.Role), JumpPolicyID: int64Value(x.JumpPolicyID)})
	}
	m.Memberships = setOf(ctx, membershipObjectType, ms, diags)
}

var membershipObjectType = objectTypeOf(map[string]attrType{
	"group_policy_id": types.Int64Type, "role": types.StringType, "jump_policy_id": types.Int64Type,
})

// idAttribute is the computed string id of every resource.
func idAttribute(title string) schema.StringAttribute {
	return schema.StringAttribute{
		MarkdownDescription: "The appliance's numeric ID of the " + title + ", as a string. `terraform import` takes it.",
		Computed:            true,
		PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
	}
}
