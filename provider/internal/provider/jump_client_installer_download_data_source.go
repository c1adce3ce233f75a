package provider

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/jumpgate/jumpgate/api"
)

var _ datasource.DataSourceWithConfigure = (*jumpClientInstallerDownloadDataSource)(nil)

// NewJumpClientInstallerDownloadDataSource is the data source
// jumpgate_jump_client_installer_download.
func NewJumpClientInstallerDownloadDataSource() datasource.DataSource {
	return &jumpClientInstallerDownloadDataSource{}
}

// jumpClientInstallerDownloadDataSource gives one platform's download of an
// installer, and with output_path downloads the file.
type jumpClientInstallerDownloadDataSource struct {
	client *api.Client
}

type jumpClientInstallerDownloadModel struct {
	ID             types.String `tfsdk:"id"`
	InstallerID    types.Int64  `tfsdk:"installer_id"`
	Platform       types.String `tfsdk:"platform"`
	OutputPath     types.String `tfsdk:"output_path"`
	FileName       types.String `tfsdk:"file_name"`
	URL            types.String `tfsdk:"url"`
	Command        types.String `tfsdk:"command"`
	InstallCommand types.String `tfsdk:"install_command"`
	SHA256         types.String `tfsdk:"sha256"`
	Size           types.Int64  `tfsdk:"size"`
}

func (d *jumpClientInstallerDownloadDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_jump_client_installer_download"
}

func (d *jumpClientInstallerDownloadDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "One platform's download of a Jump Client installer: its URL and copyable download and install commands. " +
			"With `output_path`, the provider downloads the installer (its key info built in) to that file on every read, " +
			"that is on every plan and apply, and reports its SHA-256 and size.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "`<installer_id>/<platform>`.",
				Computed:            true,
			},
			"installer_id": schema.Int64Attribute{
				MarkdownDescription: "The numeric id of the installer: `jumpgate_jump_client_installer.<name>.id` (Terraform converts the " +
					"string to a number). Not the resource's random `installer_id`, which changes with every key rotation.",
				Required:   true,
				Validators: []validator.Int64{int64validator.AtLeast(1)},
			},
			"platform": schema.StringAttribute{
				MarkdownDescription: "The platform: one of `" + joinTicks(api.Platforms) + "`.",
				Required:            true,
				Validators:          []validator.String{stringvalidator.OneOf(api.Platforms...)},
			},
			"output_path": schema.StringAttribute{
				MarkdownDescription: "When set, the installer is downloaded to this path (parent directories are created), written to a " +
					"temporary file in the same directory and renamed into place, with mode 0700. The appliance must have an agent build " +
					"for the platform, and the installer must not have expired (the appliance answers 410, which fails the read).",
				Optional:   true,
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"file_name": schema.StringAttribute{
				MarkdownDescription: "The installer's file name: `" + api.JumpClientInstallerFile("<installer_id>", "<platform>") + "`, " +
					"or `." + api.InstallerFileExt(api.PlatformWindowsAMD64) + "` on Windows.",
				Computed: true,
			},
			"url": schema.StringAttribute{
				MarkdownDescription: "The download URL; it needs an administrator's API token.",
				Computed:            true,
			},
			"command": schema.StringAttribute{
				MarkdownDescription: "A `curl` command (PowerShell with `curl.exe` on Windows) that downloads the installer, reading the CA " +
					"certificate from `$JUMPGATE_CA_CERT` and the token from `$JUMPGATE_TOKEN`.",
				Computed: true,
			},
			"install_command": schema.StringAttribute{
				MarkdownDescription: "Runs the downloaded installer with its default flags.",
				Computed:            true,
			},
			"sha256": schema.StringAttribute{
				MarkdownDescription: "The hex SHA-256 of the file written to `output_path`; null without `output_path`.",
				Computed:            true,
			},
			"size": schema.Int64Attribute{
				MarkdownDescription: "The size in bytes of the file written to `output_path`; null without `output_path`.",
				Computed:            true,
			},
		},
	}
}

func (d *jumpClientInstallerDownloadDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.client = configuredClient(req.ProviderData, &resp.Diagnostics)
}

func (d *jumpClientInstallerDownloadDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m jumpClientInstallerDownloadModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id, platform := m.InstallerID.ValueInt64(), m.Platform.ValueString()
	inst, err := d.client.GetJumpClientInstaller(ctx, id)
	if err != nil {
		if errors.Is(err, api.ErrNotFound) {
			resp.Diagnostics.AddAttributeError(path.Root("installer_id"), "Jump Client installer not found",
				fmt.Sprintf("There is no Jump Client installer with id %d. Use the id attribute of a jumpgate_jump_client_installer resource.", id))
			return
		}
		addAPIError(&resp.Diagnostics, "Cannot read the Jump Client Installer", err)
		return
	}
	var dl *api.InstallerDownload
	for i := range inst.Downloads {
		if inst.Downloads[i].Platform == platform {
			dl = &inst.Downloads[i]
		}
	}
	if dl == nil {
		resp.Diagnostics.AddAttributeError(path.Root("platform"), "No download for this platform",
			fmt.Sprintf("The appliance lists no download of installer %d for platform %q.", id, platform))
		return
	}
	m.ID = types.StringValue(strconv.FormatInt(id, 10) + "/" + platform)
	m.FileName = types.StringValue(dl.FileName)
	m.URL = types.StringValue(dl.URL)
	m.Command = types.StringValue(dl.Command)
	m.InstallCommand = types.StringValue(dl.InstallCommand)
	m.SHA256, m.Size = types.StringNull(), types.Int64Null()
	expired := installerExpired(inst.ExpiresAt)
	if m.OutputPath.IsNull() {
		if expired {
			resp.Diagnostics.AddWarning("Jump Client installer expired",
				fmt.Sprintf("installer %s expired at %s: its download answers 410 and new installs are refused. Renew it on the "+
					"jumpgate_jump_client_installer resource (renew_on_expiry, rotation or valid_duration).",
					inst.InstallerID, inst.ExpiresAt.UTC().Format("2006-01-02T15:04:05Z07:00")))
		}
	} else {
		sum, size, err := d.download(ctx, id, platform, m.OutputPath.ValueString())
		if err != nil {
			addDownloadError(&resp.Diagnostics, inst, platform, err)
			return
		}
		m.SHA256, m.Size = types.StringValue(sum), types.Int64Value(size)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// download writes the installer to dst through a temporary file in the same
// directory, so dst is either the old file or the whole new one, and
// returns its hex SHA-256 and size.
func (d *jumpClientInstallerDownloadDataSource) download(ctx context.Context, id int64, platform, dst string) (string, int64, error) {
	dir := filepath.Dir(dst)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", 0, fmt.Errorf("create directory: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(dst)+".*.tmp")
	if err != nil {
		return "", 0, fmt.Errorf("create temporary file: %w", err)
	}
	done := false
	defer func() {
		if !done { // closing twice is harmless here
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o700); err != nil {
		return "", 0, fmt.Errorf("chmod temporary file: %w", err)
	}
	h := sha256.New()
	cw := &countingWriter{}
	if _, err := d.client.Download(ctx, fmt.Sprintf("%s/%d/download/%s", api.PathJumpClientInstallers, id, platform), io.MultiWriter(tmp, h, cw)); err != nil {
		return "", 0, err
	}
	if err := tmp.Sync(); err != nil {
		return "", 0, fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return "", 0, fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return "", 0, fmt.Errorf("rename into place: %w", err)
	}
	done = true
	return hex.EncodeToString(h.Sum(nil)), cw.n, nil
}

// addDownloadError explains a failed download, with what to do about the
// appliance's usual refusals.
func addDownloadError(diags *diag.Diagnostics, inst *api.JumpClientInstaller, platform string, err error) {
	const summary = "Cannot download the Jump Client installer"
	switch {
	case errors.Is(err, api.ErrGone):
		diags.AddAttributeError(path.Root("installer_id"), summary,
			fmt.Sprintf("Installer %s expired at %s, so the appliance refuses its download (410 Gone): %s. "+
				"Renew it on the jumpgate_jump_client_installer resource (renew_on_expiry = true, a new rotation value, or a new valid_duration), "+
				"or remove output_path.", inst.InstallerID, inst.ExpiresAt.UTC().Format("2006-01-02T15:04:05Z07:00"), err))
	case errors.Is(err, api.ErrUnavailable):
		diags.AddAttributeError(path.Root("platform"), summary,
			fmt.Sprintf("The appliance has no agent build for %s (503): %s. Start it with --agent-dir pointing at the agent builds.", platform, err))
	default:
		addAPIError(diags, summary, err)
	}
}

// countingWriter counts the bytes written through it.
type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}
