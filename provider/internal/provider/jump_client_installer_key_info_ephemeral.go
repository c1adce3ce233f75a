package provider

import (
	"context"
	"fmt"
	"strconv"

	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/jumpgate/jumpgate/api"
)

var _ ephemeral.EphemeralResourceWithConfigure = (*jumpClientInstallerKeyInfoEphemeral)(nil)

// NewJumpClientInstallerKeyInfoEphemeralResource is the ephemeral resource
// jumpgate_jump_client_installer_key_info.
func NewJumpClientInstallerKeyInfoEphemeralResource() ephemeral.EphemeralResource {
	return &jumpClientInstallerKeyInfoEphemeral{}
}

// jumpClientInstallerKeyInfoEphemeral reads an installer's key info during a
// plan or apply; Terraform never writes it to the plan or the state.
type jumpClientInstallerKeyInfoEphemeral struct {
	client *api.Client
}

type jumpClientInstallerKeyInfoModel struct {
	ID          types.String      `tfsdk:"id"`
	InstallerID types.String      `tfsdk:"installer_id"`
	KeyInfo     types.String      `tfsdk:"key_info"`
	ExpiresAt   timetypes.RFC3339 `tfsdk:"expires_at"`
}

func (e *jumpClientInstallerKeyInfoEphemeral) Metadata(_ context.Context, req ephemeral.MetadataRequest, resp *ephemeral.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_jump_client_installer_key_info"
}

func (e *jumpClientInstallerKeyInfoEphemeral) Schema(_ context.Context, _ ephemeral.SchemaRequest, resp *ephemeral.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The signed key info of a Jump Client installer, read during each plan and apply and never stored in the " +
			"plan or the state. Use it with `store_key_info = false` on the `jumpgate_jump_client_installer` resource to pass the key " +
			"to something that accepts ephemeral values (a write-only attribute, a provider configuration, another ephemeral resource).",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "The id of the installer (`jumpgate_jump_client_installer.<name>.id`).",
				Required:            true,
				Validators:          []validator.String{numericIDValidator("jumpgate_jump_client_installer")},
			},
			"installer_id": schema.StringAttribute{
				MarkdownDescription: "The installer's current random installer id, which the key info names.",
				Computed:            true,
			},
			"key_info": schema.StringAttribute{
				MarkdownDescription: "The signed key info (`jgk1.…`) for `--key-info` / `KEY_INFO=` of a generic installer. " +
					"It stops working when the installer expires or its key is re-issued.",
				Computed:  true,
				Sensitive: true,
			},
			"expires_at": schema.StringAttribute{
				MarkdownDescription: "When the key info stops working (RFC 3339).",
				CustomType:          timetypes.RFC3339Type{},
				Computed:            true,
			},
		},
	}
}

func (e *jumpClientInstallerKeyInfoEphemeral) Configure(_ context.Context, req ephemeral.ConfigureRequest, resp *ephemeral.ConfigureResponse) {
	e.client = configuredClient(req.ProviderData, &resp.Diagnostics)
}

func (e *jumpClientInstallerKeyInfoEphemeral) Open(ctx context.Context, req ephemeral.OpenRequest, resp *ephemeral.OpenResponse) {
	var m jumpClientInstallerKeyInfoModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id, err := strconv.ParseInt(m.ID.ValueString(), 10, 64)
	if err != nil || id <= 0 {
		resp.Diagnostics.AddError("Invalid id", fmt.Sprintf("%q is not the numeric id of a Jump Client installer", m.ID.ValueString()))
		return
	}
	ki, err := e.client.GetInstallerKeyInfo(ctx, id)
	if err != nil {
		addAPIError(&resp.Diagnostics, "Cannot read the key info of the Jump Client Installer", err)
		return
	}
	m.InstallerID = types.StringValue(ki.InstallerID)
	m.KeyInfo = types.StringValue(ki.KeyInfo)
	m.ExpiresAt = timeValue(&ki.ExpiresAt)
	if installerExpired(ki.ExpiresAt) {
		resp.Diagnostics.Append(diag.NewWarningDiagnostic("Jump Client installer expired",
			fmt.Sprintf("installer %s expired at %s: its key info is refused at installation. Renew it on the jumpgate_jump_client_installer "+
				"resource (renew_on_expiry, rotation or valid_duration).", ki.InstallerID, m.ExpiresAt.ValueString())))
	}
	resp.Diagnostics.Append(resp.Result.Set(ctx, &m)...)
}
