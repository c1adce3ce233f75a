package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/jumpgate/jumpgate/api"
)

// NewAPITokenResource is jumpgate_api_token.
func NewAPITokenResource() resource.Resource {
	return &collectionResource[api.APIToken, apiTokenModel]{spec: apiTokenSpec}
}

// NewAPITokenDataSource is the data source jumpgate_api_token.
func NewAPITokenDataSource() datasource.DataSource {
	return &objectDataSource[api.APIToken, apiTokenModel]{spec: apiTokenSpec}
}

// NewAPITokensDataSource is the data source jumpgate_api_tokens.
func NewAPITokensDataSource() datasource.DataSource {
	return &listDataSource[api.APIToken, apiTokenModel]{spec: apiTokenSpec}
}

var apiTokenSpec = &spec[api.APIToken, apiTokenModel]{
	name: "api_token", plural: "api_tokens", title: "API Token",
	lookup: []string{"name"},
	filters: []filter{
		{name: "user_id", int: true, description: "The owner's user ID."},
		{name: "name", description: "The token's name (names need not be unique)."},
	},
	omitInDataSource: []string{"token"},
	create:           (*api.Client).CreateAPIToken,
	get:              (*api.Client).GetAPIToken,
	update:           (*api.Client).UpdateAPIToken,
	remove:           (*api.Client).DeleteAPIToken,
	list:             (*api.Client).ListAPITokens,
	schema:           apiTokenSchema,
	toAPI:            apiTokenToAPI,
	fromAPI:          apiTokenFromAPI,
	modifyPlan:       apiTokenModifyPlan,
}

type apiTokenModel struct {
	ID         types.String      `tfsdk:"id"`
	Name       types.String      `tfsdk:"name"`
	UserID     types.Int64       `tfsdk:"user_id"`
	ExpiresAt  timetypes.RFC3339 `tfsdk:"expires_at"`
	Token      types.String      `tfsdk:"token"`
	Prefix     types.String      `tfsdk:"prefix"`
	LastUsedAt timetypes.RFC3339 `tfsdk:"last_used_at"`
}

func apiTokenSchema() schema.Schema {
	return schema.Schema{
		MarkdownDescription: "An API token: a bearer secret (`jgt_…`) that authenticates as its user, for the CLI, " +
			"automation or another provider configuration. The appliance stores only its SHA-256 and returns the secret " +
			"once, when the token is created: it is kept in the state as the sensitive `token`. " +
			"After `terraform import` the `token` is null, since it cannot be read back. " +
			"Destroying the resource revokes the token at once.",
		Attributes: map[string]schema.Attribute{
			"id": idAttribute("API Token"),
			"name": schema.StringAttribute{
				MarkdownDescription: "What the token is for, " + limits[api.APIToken]("name") + "; need not be unique. It can be changed in place.",
				Required:            true,
				Validators:          stringRule[api.APIToken]("name"),
			},
			"user_id": schema.Int64Attribute{
				MarkdownDescription: "ID of the user the token authenticates as (`jumpgate_user.<name>.id`, as a number). " +
					"Default: the user whose token the provider uses. A token cannot change owner: changing it replaces the token.",
				Optional: true,
				Computed: true,
				PlanModifiers: []planmodifier.Int64{
					int64planmodifier.UseStateForUnknown(),
					int64planmodifier.RequiresReplace(),
				},
				Validators: int64Rule[api.APIToken]("user_id"),
			},
			"expires_at": schema.StringAttribute{
				MarkdownDescription: "When the token stops working, as an RFC 3339 time in whole seconds (e.g. `2030-01-31T18:00:00Z` or `2030-01-31T19:00:00+01:00`; the appliance stores the instant, and another spelling of the same instant is no change); " +
					"null (the default) for never. It must be in the future when the token is created; " +
					"it can be changed in place, even to a past time, which expires the token at once. Only an administrator may postpone or remove it, and once the token has expired its expiry cannot be changed at all: replace the resource for a new token.",
				CustomType: timetypes.RFC3339Type{},
				Optional:   true,
				Validators: []validator.String{expiresAtValidator()},
			},
			"token": schema.StringAttribute{
				MarkdownDescription: "The secret, `jgt_…`, returned by the appliance only when the token is created. " +
					"Null after `terraform import`: the appliance cannot show it again (replace the resource for a new secret).",
				Computed:      true,
				Sensitive:     true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"prefix": schema.StringAttribute{
				MarkdownDescription: "The first characters of the secret, to recognise the token without revealing it.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"last_used_at": schema.StringAttribute{
				MarkdownDescription: "When the token was last used (recorded at most once a minute); null if never. " +
					"It changes whenever the token is used, which is not a change to plan.",
				CustomType: timetypes.RFC3339Type{},
				Computed:   true,
			},
		},
	}
}

// apiTokenModifyPlan refuses an expiry that is not in the future for a new
// token, as the appliance does (an update may set a past expiry).
func apiTokenModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	var plan apiTokenModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	creating := req.State.Raw.IsNull()
	if !creating {
		// A new owner replaces the token: it is created again.
		var state apiTokenModel
		resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
		creating = !plan.UserID.IsUnknown() && !plan.UserID.Equal(state.UserID)
	}
	if !creating || plan.ExpiresAt.IsNull() || plan.ExpiresAt.IsUnknown() {
		return
	}
	t, d := plan.ExpiresAt.ValueRFC3339Time()
	if d.HasError() {
		return
	}
	if !t.After(time.Now()) {
		resp.Diagnostics.AddAttributeError(path.Root("expires_at"), "Expiry in the past",
			fmt.Sprintf("expires_at: %s is not in the future; a new token must expire later than now.", t.UTC().Format(time.RFC3339)))
	}
}

func apiTokenToAPI(_ context.Context, m, _ *apiTokenModel, diags *diag.Diagnostics) *api.APIToken {
	a := &api.APIToken{Name: m.Name.ValueString(), ExpiresAt: timePtr(m.ExpiresAt, diags)}
	if p := int64Ptr(m.UserID); p != nil {
		a.UserID = *p
	}
	return a
}

func apiTokenFromAPI(_ context.Context, a *api.APIToken, m *apiTokenModel, _ *diag.Diagnostics) {
	m.ID = idString(a.ID)
	m.Name = types.StringValue(a.Name)
	m.UserID = types.Int64Value(a.UserID)
	m.ExpiresAt = sameInstantOr(m.ExpiresAt, a.ExpiresAt)
	m.Prefix = types.StringValue(a.Prefix)
	m.LastUsedAt = timeValue(a.LastUsedAt)
	// The secret is in the create answer only; reads keep the prior value.
	if a.Token != "" {
		m.Token = types.StringValue(a.Token)
	}
}
