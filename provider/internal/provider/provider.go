// Package provider implements the Jumpgate Terraform provider on
// terraform-plugin-framework. It reaches the appliance only through the api
// package's client.
package provider

import (
	"context"
	"os"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/jumpgate/jumpgate/api"
)

// Address is the provider's source address.
const Address = "registry.terraform.io/jumpgate/jumpgate"

var (
	_ provider.Provider                       = (*jumpgateProvider)(nil)
	_ provider.ProviderWithEphemeralResources = (*jumpgateProvider)(nil)
)

// New returns a constructor of the provider at version.
func New(version string) func() provider.Provider {
	return func() provider.Provider { return &jumpgateProvider{version: version} }
}

type jumpgateProvider struct {
	version string
}

type providerModel struct {
	URL       types.String `tfsdk:"url"`
	Token     types.String `tfsdk:"token"`
	CACertPEM types.String `tfsdk:"ca_cert_pem"`
}

func (p *jumpgateProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "jumpgate"
	resp.Version = p.version
}

func (p *jumpgateProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Declares the configuration of a [Jumpgate](https://jumpgate.dev) appliance: " +
			"Jump Groups, Jump and Session Policies, Jumpoints, Jump Client installers, Protocol Tunnel Jumps, " +
			"public portals, users, group policies, API tokens and the Jump Client settings. " +
			"The provider talks to the appliance's HTTP API with an administrator's API token.",
		Attributes: map[string]schema.Attribute{
			"url": schema.StringAttribute{
				MarkdownDescription: "Base URL of the appliance, e.g. `https://jumpgate.example.com:8443`. " +
					"Falls back to the `JUMPGATE_URL` environment variable.",
				Optional: true,
			},
			"token": schema.StringAttribute{
				MarkdownDescription: "API token of an administrator (`jgt_…`). Falls back to `JUMPGATE_TOKEN`. " +
					"Configuration changes need an administrator; a non-administrator's token can only read what it may see.",
				Optional:  true,
				Sensitive: true,
			},
			"ca_cert_pem": schema.StringAttribute{
				MarkdownDescription: "PEM of the CA certificate that signed the appliance's TLS certificate " +
					"(the appliance writes it as `ca.pem` in its data dir). When set, only this CA is trusted. " +
					"Falls back to `JUMPGATE_CA_CERT`, which holds a path to the PEM file (as for the `jumpgate` CLI) " +
					"or the PEM itself. Leave both unset when the appliance has a certificate from a public CA.",
				Optional: true,
			},
		},
	}
}

func (p *jumpgateProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var cfg providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	for name, v := range map[string]types.String{"url": cfg.URL, "token": cfg.Token, "ca_cert_pem": cfg.CACertPEM} {
		if v.IsUnknown() {
			resp.Diagnostics.AddAttributeError(path.Root(name), "Unknown provider setting",
				"The provider's "+name+" is not known until apply. Set it from a value known at plan time (a literal, a variable or an environment variable).")
		}
	}
	if resp.Diagnostics.HasError() {
		return
	}
	url := setting(cfg.URL, api.EnvURL)
	token := setting(cfg.Token, api.EnvToken)
	ca := cfg.CACertPEM.ValueString()
	if ca == "" {
		if v := os.Getenv(api.EnvCACert); v != "" {
			if strings.Contains(v, "-----BEGIN") {
				ca = v
			} else {
				b, err := os.ReadFile(v)
				if err != nil {
					resp.Diagnostics.AddAttributeError(path.Root("ca_cert_pem"), "Cannot read the CA certificate",
						api.EnvCACert+" names a file that cannot be read: "+err.Error())
					return
				}
				ca = string(b)
			}
		}
	}
	if url == "" {
		resp.Diagnostics.AddAttributeError(path.Root("url"), "Missing appliance URL",
			"Set url in the provider block or the "+api.EnvURL+" environment variable, e.g. https://jumpgate.example.com:8443.")
	}
	if token == "" {
		resp.Diagnostics.AddAttributeError(path.Root("token"), "Missing API token",
			"Set token in the provider block or the "+api.EnvToken+" environment variable to an administrator's API token "+
				"(make run prints the bootstrap admin's; jumpgate tokens create makes more).")
	}
	if resp.Diagnostics.HasError() {
		return
	}
	opts := []api.Option{api.WithToken(token), api.WithUserAgent("terraform-provider-jumpgate/" + p.version)}
	if ca != "" {
		opts = append(opts, api.WithCACertPEM([]byte(ca)))
	}
	c, err := api.New(url, opts...)
	if err != nil {
		attr := "url"
		if strings.Contains(err.Error(), "ca certificate") {
			attr = "ca_cert_pem"
		}
		resp.Diagnostics.AddAttributeError(path.Root(attr), "Invalid provider configuration", err.Error())
		return
	}
	resp.ResourceData = c
	resp.DataSourceData = c
	resp.EphemeralResourceData = c
}

// setting is the configured value, else the environment variable env.
func setting(v types.String, env string) string {
	if s := v.ValueString(); s != "" {
		return s
	}
	return os.Getenv(env)
}

func (p *jumpgateProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		NewJumpGroupResource,
		// policies: jump_policy, session_policy
		NewJumpPolicyResource, NewSessionPolicyResource,
		// network: jumpoint, protocol_tunnel_jump, public_portal
		NewJumpointResource, NewProtocolTunnelJumpResource, NewPublicPortalResource,
		// installers: jump_client_installer
		NewJumpClientInstallerResource,
		// identity: user, group_policy, api_token, jump_client_settings, console_settings
		NewUserResource, NewGroupPolicyResource, NewAPITokenResource, NewJumpClientSettingsResource, NewConsoleSettingsResource,
	}
}

func (p *jumpgateProvider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		NewJumpGroupDataSource, NewJumpGroupsDataSource,
		// policies: jump_policy, session_policy
		NewJumpPolicyDataSource, NewJumpPoliciesDataSource, NewSessionPolicyDataSource, NewSessionPoliciesDataSource,
		// network: jumpoint, protocol_tunnel_jump, public_portal
		NewJumpointDataSource, NewJumpointsDataSource, NewProtocolTunnelJumpDataSource, NewProtocolTunnelJumpsDataSource,
		NewPublicPortalDataSource, NewPublicPortalsDataSource,
		// installers: jump_client_installer, jump_client_installer_download, jump_clients
		NewJumpClientInstallerDataSource, NewJumpClientInstallersDataSource, NewJumpClientInstallerDownloadDataSource, NewJumpClientsDataSource,
		// identity: user, group_policy, api_token, jump_client_settings, console_settings
		NewUserDataSource, NewUsersDataSource, NewGroupPolicyDataSource, NewGroupPoliciesDataSource,
		NewAPITokenDataSource, NewAPITokensDataSource, NewJumpClientSettingsDataSource, NewConsoleSettingsDataSource,
	}
}

func (p *jumpgateProvider) EphemeralResources(context.Context) []func() ephemeral.EphemeralResource {
	return []func() ephemeral.EphemeralResource{
		// installers: jump_client_installer_key_info
		NewJumpClientInstallerKeyInfoEphemeralResource,
	}
}
