package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/boolplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/jumpgate/jumpgate/api"
)

var (
	_ resource.ResourceWithConfigure   = (*userResource)(nil)
	_ resource.ResourceWithImportState = (*userResource)(nil)
	_ resource.ResourceWithModifyPlan  = (*userResource)(nil)
)

// NewUserResource is jumpgate_user.
func NewUserResource() resource.Resource {
	return &userResource{collectionResource[api.User, userModel]{spec: userSpec}}
}

// NewUserDataSource is the data source jumpgate_user.
func NewUserDataSource() datasource.DataSource {
	return &objectDataSource[api.User, userModel]{spec: userSpec}
}

// NewUsersDataSource is the data source jumpgate_users.
func NewUsersDataSource() datasource.DataSource {
	return &listDataSource[api.User, userModel]{spec: userSpec}
}

// userResource is the generic resource with one difference: an update sends
// a password only when it changed (the appliance re-hashes and audits any
// password it is sent), which needs the prior state that toAPI does not get.
type userResource struct {
	collectionResource[api.User, userModel]
}

// userWrites tells toAPI, during an update, which passwords to send.
type userWrites struct {
	password   bool // password differs from the prior state
	passwordWO bool // password_wo_version differs from the prior state
}

type userWritesKey struct{}

func (r *userResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state userModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	w := userWrites{
		password:   !plan.Password.Equal(state.Password),
		passwordWO: !plan.PasswordWOVersion.Equal(state.PasswordWOVersion),
	}
	r.collectionResource.Update(context.WithValue(ctx, userWritesKey{}, w), req, resp)
}

var userSpec = &spec[api.User, userModel]{
	name: "user", plural: "users", title: "User",
	lookup: []string{"username"},
	filters: []filter{
		{name: "username", description: "The username (exact, case-sensitive)."},
		{name: "admin", bool: true, description: "`true` lists only administrators, `false` only the others."},
		{name: "enabled", bool: true, description: "`true` lists only enabled users, `false` only disabled ones."},
	},
	omitInDataSource: []string{"password", "password_wo", "password_wo_version"},
	create:           (*api.Client).CreateUser,
	get:              (*api.Client).GetUser,
	update:           (*api.Client).UpdateUser,
	remove:           (*api.Client).DeleteUser,
	list:             (*api.Client).ListUsers,
	schema:           userSchema,
	toAPI:            userToAPI,
	fromAPI:          userFromAPI,
	modifyPlan:       userModifyPlan,
}

type userModel struct {
	ID                types.String `tfsdk:"id"`
	Username          types.String `tfsdk:"username"`
	DisplayName       types.String `tfsdk:"display_name"`
	Email             types.String `tfsdk:"email"`
	Admin             types.Bool   `tfsdk:"admin"`
	Enabled           types.Bool   `tfsdk:"enabled"`
	Password          types.String `tfsdk:"password"`
	PasswordWO        types.String `tfsdk:"password_wo"`
	PasswordWOVersion types.Int64  `tfsdk:"password_wo_version"`
	HasPassword       types.Bool   `tfsdk:"has_password"`
	MFARequired       types.Bool   `tfsdk:"mfa_required"`
	MFAEnrolled       types.Bool   `tfsdk:"mfa_enrolled"`
}

func userSchema() schema.Schema {
	pwLen := rule[api.User]("password")
	return schema.Schema{
		MarkdownDescription: "A user of the appliance: a person or a robot who uses API tokens. " +
			"Users reach Jump Items through the group policies they are members of (`jumpgate_group_policy`). " +
			"The appliance keeps at least one enabled administrator and refuses to delete the user whose token the provider uses. " +
			"Deleting a user deletes their API tokens and group policy memberships; a user with items on their personal list cannot be deleted.\n\n" +
			"The appliance never returns a password, so a password changed outside Terraform is not detected. " +
			"Set it with `password` (kept in the state, marked sensitive) or, with Terraform 1.11 or later, " +
			"with the write-only `password_wo` (never stored in the plan or state), which is sent on create and whenever `password_wo_version` changes.",
		Attributes: map[string]schema.Attribute{
			"id": idAttribute("User"),
			"username": schema.StringAttribute{
				MarkdownDescription: "Unique login name: 1–64 letters, digits, `_`, `-`, `.` and `@`, starting with a letter or digit. " +
					"Unique regardless of case (`Jane` and `jane` cannot both exist), stored as written. It can be changed in place.",
				Required:   true,
				Validators: stringRule[api.User]("username"),
			},
			"display_name": schema.StringAttribute{
				MarkdownDescription: "Name shown to others, " + limits[api.User]("display_name") + ". Default `\"\"`.",
				Optional:            true,
				Computed:            true,
				Default:             stringdefault.StaticString(""),
				Validators:          stringRule[api.User]("display_name"),
			},
			"email": schema.StringAttribute{
				MarkdownDescription: "E-mail address, " + limits[api.User]("email") + "; `\"\"` (the default) for none.",
				Optional:            true,
				Computed:            true,
				Default:             stringdefault.StaticString(""),
				Validators:          stringRule[api.User]("email"),
			},
			"admin": schema.BoolAttribute{
				MarkdownDescription: "Administrators write configuration and see everything. Default `false`. " +
					"The last enabled administrator cannot be demoted.",
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(false),
			},
			"enabled": schema.BoolAttribute{
				MarkdownDescription: fmt.Sprintf("Disabled users cannot use the appliance: their API tokens stop working at once. Default `%t`. "+
					"The last enabled administrator cannot be disabled.", api.DefaultUserEnabled),
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(api.DefaultUserEnabled),
			},
			"mfa_required": schema.BoolAttribute{
				MarkdownDescription: "The user must enroll TOTP (in the web console) before the console opens, whatever " +
					"`jumpgate_console_settings.mfa_required` says. Default `false`. Bearer tokens are not affected.",
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(false),
			},
			"mfa_enrolled": schema.BoolAttribute{
				MarkdownDescription: "Whether the user has confirmed a TOTP enrollment. Read only: a user enrolls in the console, and an administrator resets it there or with `DELETE /api/v1/users/{id}/mfa`.",
				Computed:            true,
				PlanModifiers:       []planmodifier.Bool{boolplanmodifier.UseStateForUnknown()},
			},
			"password": schema.StringAttribute{
				MarkdownDescription: "Password, 12–256 characters, stored by the appliance as an argon2id hash and by Terraform in the state (sensitive). " +
					"Sent when it changes; removing it from the configuration keeps the current password. " +
					"Conflicts with `password_wo`, which keeps the password out of the state. `terraform import` cannot read it: the next apply sends it again.",
				Optional:   true,
				Sensitive:  true,
				Validators: []validator.String{pwLen, stringvalidator.ConflictsWith(path.MatchRoot("password_wo"))},
			},
			"password_wo": schema.StringAttribute{
				MarkdownDescription: "Write-only password (Terraform 1.11 or later), 12–256 characters: never stored in the plan or state. " +
					"Sent on create and whenever `password_wo_version` changes, which is therefore required with it: " +
					"change the version to set a new password. Conflicts with `password`.",
				Optional:  true,
				Sensitive: true,
				WriteOnly: true,
				Validators: []validator.String{pwLen,
					stringvalidator.ConflictsWith(path.MatchRoot("password")),
					stringvalidator.AlsoRequires(path.MatchRoot("password_wo_version"))},
			},
			"password_wo_version": schema.Int64Attribute{
				MarkdownDescription: "Any number, kept in the state: changing it sends `password_wo` to the appliance again. Requires `password_wo`.",
				Optional:            true,
				Validators:          []validator.Int64{int64validator.AlsoRequires(path.MatchRoot("password_wo"))},
			},
			"has_password": schema.BoolAttribute{
				MarkdownDescription: "Whether the user has a password (users without one use only API tokens).",
				Computed:            true,
			},
		},
	}
}

// userModifyPlan predicts has_password: true once a password is sent, else
// what the appliance has (a password cannot be removed through the API).
func userModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	var plan, cfg userModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	has := types.BoolValue(false)
	sendPW, sendWO := true, true // on create
	if !req.State.Raw.IsNull() {
		var state userModel
		resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
		if resp.Diagnostics.HasError() {
			return
		}
		has = state.HasPassword
		sendPW = !plan.Password.Equal(state.Password)
		sendWO = !plan.PasswordWOVersion.Equal(state.PasswordWOVersion)
	}
	switch {
	case sendPW && plan.Password.IsUnknown(), sendWO && cfg.PasswordWO.IsUnknown():
		has = types.BoolUnknown()
	case sendPW && !plan.Password.IsNull(), sendWO && !cfg.PasswordWO.IsNull():
		has = types.BoolValue(true)
	}
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("has_password"), has)...)
}

func userToAPI(ctx context.Context, m, cfg *userModel, _ *diag.Diagnostics) *api.User {
	a := &api.User{
		Username: m.Username.ValueString(), DisplayName: m.DisplayName.ValueString(), Email: m.Email.ValueString(),
		Admin: m.Admin.ValueBool(), Enabled: boolPtr(m.Enabled), MFARequired: boolPtr(m.MFARequired),
	}
	// On create both are sent when set; on update only what changed.
	w, update := ctx.Value(userWritesKey{}).(userWrites)
	if !m.Password.IsNull() && !m.Password.IsUnknown() && (!update || w.password) {
		a.Password = m.Password.ValueString()
	}
	// password_wo is only in the configuration: plans and states hold null.
	if !cfg.PasswordWO.IsNull() && !cfg.PasswordWO.IsUnknown() && (!update || w.passwordWO) {
		a.Password = cfg.PasswordWO.ValueString()
	}
	return a
}

func userFromAPI(_ context.Context, a *api.User, m *userModel, _ *diag.Diagnostics) {
	m.ID = idString(a.ID)
	m.Username = types.StringValue(a.Username)
	m.DisplayName = types.StringValue(a.DisplayName)
	m.Email = types.StringValue(a.Email)
	m.Admin = types.BoolValue(a.Admin)
	m.Enabled = boolValueOr(a.Enabled, true)
	m.HasPassword = types.BoolValue(a.HasPassword)
	m.MFARequired = boolValueOr(a.MFARequired, false)
	m.MFAEnrolled = types.BoolValue(a.MFAEnrolled)
	// The API never returns passwords: password and password_wo_version keep
	// the prior value; password_wo is never stored.
	m.PasswordWO = types.StringNull()
}
