package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/setplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/jumpgate/jumpgate/api"
)

var (
	_ resource.ResourceWithConfigure      = (*collectionResource[api.GroupPolicy, groupPolicyModel])(nil)
	_ resource.ResourceWithImportState    = (*collectionResource[api.GroupPolicy, groupPolicyModel])(nil)
	_ resource.ResourceWithValidateConfig = (*collectionResource[api.GroupPolicy, groupPolicyModel])(nil)
)

// NewGroupPolicyResource is jumpgate_group_policy.
func NewGroupPolicyResource() resource.Resource {
	// An update whose If-Match fails only because a Jump Group's write moved
	// this policy's version (memberships are visible from both sides) is
	// retried by collectionResource.retryUpdate.
	return &collectionResource[api.GroupPolicy, groupPolicyModel]{spec: groupPolicySpec}
}

// NewGroupPolicyDataSource is the data source jumpgate_group_policy.
func NewGroupPolicyDataSource() datasource.DataSource {
	return &objectDataSource[api.GroupPolicy, groupPolicyModel]{spec: groupPolicySpec}
}

// NewGroupPoliciesDataSource is the data source jumpgate_group_policies.
func NewGroupPoliciesDataSource() datasource.DataSource {
	return &listDataSource[api.GroupPolicy, groupPolicyModel]{spec: groupPolicySpec}
}

var groupPolicySpec = &spec[api.GroupPolicy, groupPolicyModel]{
	name: "group_policy", plural: "group_policies", title: "Group Policy",
	lookup: []string{"name"},
	filters: []filter{
		{name: "name", description: "The unique name."},
	},
	create:     (*api.Client).CreateGroupPolicy,
	get:        (*api.Client).GetGroupPolicy,
	update:     (*api.Client).UpdateGroupPolicy,
	remove:     (*api.Client).DeleteGroupPolicy,
	list:       (*api.Client).ListGroupPolicies,
	schema:     groupPolicySchema,
	toAPI:      groupPolicyToAPI,
	fromAPI:    groupPolicyFromAPI,
	validate:   groupPolicyValidate,
	modifyPlan: groupPolicyModifyPlan,
}

type groupPolicyModel struct {
	ID          types.String `tfsdk:"id"`
	Name        types.String `tfsdk:"name"`
	Description types.String `tfsdk:"description"`
	Members     types.Set    `tfsdk:"members"`
	JumpGroups  types.Set    `tfsdk:"jump_groups"`
}

type groupPolicyJumpGroupModel struct {
	JumpGroupID  types.Int64  `tfsdk:"jump_group_id"`
	Role         types.String `tfsdk:"role"`
	JumpPolicyID types.Int64  `tfsdk:"jump_policy_id"`
}

var groupPolicyJumpGroupObjectType = objectTypeOf(map[string]attrType{
	"jump_group_id": types.Int64Type, "role": types.StringType, "jump_policy_id": types.Int64Type,
})

func groupPolicySchema() schema.Schema {
	return schema.Schema{
		MarkdownDescription: "A group policy: a set of users (`members`) who get a role on the items of Jump Groups (`jump_groups`). " +
			"Both relations are also visible from their other side: a user's memberships are deleted with the user, and " +
			"`jump_groups` is the same relation as a `jumpgate_jump_group`'s `memberships`. " +
			"Declare each relation on one side only: leave `jump_groups` out here when the Jump Groups declare `memberships`, or the other way round.",
		Attributes: map[string]schema.Attribute{
			"id": idAttribute("Group Policy"),
			"name": schema.StringAttribute{
				MarkdownDescription: "Unique name, " + limits[api.GroupPolicy]("name") + ".",
				Required:            true,
				Validators:          stringRule[api.GroupPolicy]("name"),
			},
			"description": schema.StringAttribute{
				MarkdownDescription: "Free text, " + limits[api.GroupPolicy]("description") + ". Default `\"\"`.",
				Optional:            true,
				Computed:            true,
				Default:             stringdefault.StaticString(""),
				Validators:          stringRule[api.GroupPolicy]("description"),
			},
			"members": schema.SetAttribute{
				MarkdownDescription: "IDs of the users in the policy (`jumpgate_user.<name>.id`, as numbers), " + limits[api.GroupPolicy]("members") + ". " +
					"Left out, the members are not managed here (whatever exists is kept and shown); `[]` removes them all.",
				ElementType:   types.Int64Type,
				Optional:      true,
				Computed:      true,
				PlanModifiers: []planmodifier.Set{setplanmodifier.UseStateForUnknown()},
				Validators:    setRule[api.GroupPolicy]("members"),
			},
			"jump_groups": schema.SetNestedAttribute{
				MarkdownDescription: "The Jump Groups whose items the members reach, with their role, " + limits[api.GroupPolicy]("jump_groups") + ", each group once. " +
					"The same relation is a `jumpgate_jump_group`'s `memberships`: declare it on one side only. " +
					"Left out, it is not managed here (whatever exists is kept and shown); `[]` removes them all.",
				Optional:      true,
				Computed:      true,
				PlanModifiers: []planmodifier.Set{setplanmodifier.UseStateForUnknown()},
				Validators:    setRule[api.GroupPolicy]("jump_groups"),
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"jump_group_id": schema.Int64Attribute{
						MarkdownDescription: "ID of the Jump Group (`jumpgate_jump_group.<name>.id`, as a number).",
						Required:            true,
						Validators:          int64Rule[api.GroupPolicy]("jump_groups.jump_group_id"),
					},
					"role": schema.StringAttribute{
						MarkdownDescription: "What members may do with the group's items: `view`, `start` (sessions) or `edit`.",
						Required:            true,
						Validators:          stringRule[api.GroupPolicy]("jump_groups.role"),
					},
					"jump_policy_id": schema.Int64Attribute{
						MarkdownDescription: "Optional Jump Policy applied to jumps made through this membership, overriding the item's own.",
						Optional:            true,
						Validators:          int64Rule[api.GroupPolicy]("jump_groups.jump_policy_id"),
					},
				}},
			},
		},
	}
}

// groupPolicyModifyPlan plans the unmanaged relations as unknown when the
// group policy is updated: the other side may change them in the same apply
// (a Jump Group deleted, its memberships rewritten). Without an update they
// keep the prior state, so they never cause a diff by themselves.
func groupPolicyModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.State.Raw.IsNull() || resp.Plan.Raw.Equal(req.State.Raw) {
		return
	}
	var cfg groupPolicyModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if cfg.Members.IsNull() {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("members"), types.SetUnknown(types.Int64Type))...)
	}
	if cfg.JumpGroups.IsNull() {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("jump_groups"), types.SetUnknown(groupPolicyJumpGroupObjectType))...)
	}
}

// groupPolicyValidate refuses a Jump Group listed twice, as the appliance does.
func groupPolicyValidate(ctx context.Context, m *groupPolicyModel, diags *diag.Diagnostics) {
	if m.JumpGroups.IsNull() || m.JumpGroups.IsUnknown() {
		return
	}
	var jgs []groupPolicyJumpGroupModel
	diags.Append(m.JumpGroups.ElementsAs(ctx, &jgs, false)...)
	seen := map[int64]bool{}
	for _, jg := range jgs {
		if jg.JumpGroupID.IsNull() || jg.JumpGroupID.IsUnknown() {
			continue
		}
		id := jg.JumpGroupID.ValueInt64()
		if seen[id] {
			diags.AddAttributeError(path.Root("jump_groups"), "Jump Group listed twice",
				fmt.Sprintf("jump_groups: Jump Group %d is listed more than once; a group policy has one role per Jump Group.", id))
		}
		seen[id] = true
	}
}

func groupPolicyToAPI(ctx context.Context, m, cfg *groupPolicyModel, diags *diag.Diagnostics) *api.GroupPolicy {
	a := &api.GroupPolicy{Name: m.Name.ValueString(), Description: m.Description.ValueString()}
	// Null in the configuration: not managed here, sent as null (unchanged).
	if !cfg.Members.IsNull() && !m.Members.IsUnknown() {
		a.Members = int64sOf(ctx, m.Members, diags)
	}
	if !cfg.JumpGroups.IsNull() && !m.JumpGroups.IsUnknown() {
		var jgs []groupPolicyJumpGroupModel
		diags.Append(m.JumpGroups.ElementsAs(ctx, &jgs, false)...)
		a.JumpGroups = make([]api.GroupPolicyJumpGroup, 0, len(jgs))
		for _, x := range jgs {
			a.JumpGroups = append(a.JumpGroups, api.GroupPolicyJumpGroup{
				JumpGroupID: x.JumpGroupID.ValueInt64(), Role: x.Role.ValueString(), JumpPolicyID: int64Ptr(x.JumpPolicyID),
			})
		}
	}
	return a
}

func groupPolicyFromAPI(ctx context.Context, a *api.GroupPolicy, m *groupPolicyModel, diags *diag.Diagnostics) {
	m.ID = idString(a.ID)
	m.Name = types.StringValue(a.Name)
	m.Description = types.StringValue(a.Description)
	members := a.Members
	if members == nil {
		members = []int64{}
	}
	m.Members = setOf(ctx, types.Int64Type, members, diags)
	jgs := make([]groupPolicyJumpGroupModel, 0, len(a.JumpGroups))
	for _, x := range a.JumpGroups {
		jgs = append(jgs, groupPolicyJumpGroupModel{JumpGroupID: types.Int64Value(x.JumpGroupID), Role: types.StringValue(x.Role), JumpPolicyID: int64Value(x.JumpPolicyID)})
	}
	m.JumpGroups = setOf(ctx, groupPolicyJumpGroupObjectType, jgs, diags)
}
