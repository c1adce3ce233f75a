package provider

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/jumpgate/jumpgate/agent/agenttest"
	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
)

// TestAccJumpClientInstallerDownload downloads real installers (the agent
// built for this host) through the data source.
func TestAccJumpClientInstallerDownload(t *testing.T) {
	platform := agenttest.HostPlatform()
	if platform == "" || platform == api.PlatformWindowsAMD64 {
		t.Skipf("no .bin installer platform for this host")
	}
	// Another platform, one the appliance has no build of.
	other := api.PlatformWindowsAMD64
	a := newAcc(t, appliancetest.WithAgentDir(agenttest.AgentDir(t, "test")))
	ctx := context.Background()
	g, err := a.Admin.CreateJumpGroup(ctx, &api.JumpGroup{Name: "Ops", CodeName: "ops"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "sub", "installer.bin")
	const dlAddr = "data.jumpgate_jump_client_installer_download.host"
	installer := func(extra string) string {
		return fmt.Sprintf(`
resource "jumpgate_jump_client_installer" "x" {
  jump_group_id = %d
%s
}
`, g.ID, extra)
	}
	download := func(outputPath string) string {
		attr := ""
		if outputPath != "" {
			attr = fmt.Sprintf("output_path = %q", outputPath)
		}
		return fmt.Sprintf(`
data "jumpgate_jump_client_installer_download" "host" {
  installer_id = jumpgate_jump_client_installer.x.id
  platform     = %q
  %s
  # Read after the installer's changes (a renewal) are applied.
  depends_on = [jumpgate_jump_client_installer.x]
}
`, platform, attr)
	}
	windows := fmt.Sprintf(`
data "jumpgate_jump_client_installer_download" "windows" {
  installer_id = jumpgate_jump_client_installer.x.id
  platform     = %q
}
output "windows_command" {
  value = data.jumpgate_jump_client_installer_download.windows.command
}
`, other)
	var id, iid, sum1 string
	a.test(t,
		resource.TestStep{
			Config: a.config(installer("") + download(out) + windows),
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrWith(installerAddr, "id", capture(&id)),
				resource.TestCheckResourceAttrWith(installerAddr, "installer_id", capture(&iid)),
				resource.TestCheckResourceAttrWith(dlAddr, "id", func(v string) error { return wantEqual(v, id+"/"+platform) }),
				resource.TestCheckResourceAttrWith(dlAddr, "file_name", func(v string) error { return wantEqual(v, "jumpgate-jc-"+iid+"-"+platform+".bin") }),
				resource.TestCheckResourceAttrWith(dlAddr, "url", func(v string) error {
					return wantEqual(v, fmt.Sprintf("%s/api/v1/jump-client-installers/%s/download/%s", a.srv.URL, id, platform))
				}),
				resource.TestCheckResourceAttrWith(dlAddr, "command", func(v string) error {
					return wantContains(v, "curl -fSL", "-o jumpgate-jc-"+iid+"-"+platform+".bin", fmt.Sprintf("/jump-client-installers/%s/download/%s", id, platform))
				}),
				resource.TestCheckResourceAttrWith(dlAddr, "install_command", func(v string) error { return wantEqual(v, "sudo sh ./jumpgate-jc-"+iid+"-"+platform+".bin") }),
				// The file is the appliance's installer: the hash and size
				// reported are the file's, and it carries the key info.
				resource.TestCheckResourceAttrWith(dlAddr, "sha256", capture(&sum1)),
				checkDownloadedFile(out, dlAddr),
				func(*terraform.State) error {
					ki, err := a.Admin.GetInstallerKeyInfo(ctx, mustID(t, id))
					if err != nil {
						return err
					}
					b, err := os.ReadFile(out)
					if err != nil {
						return err
					}
					if !bytes.Contains(b, []byte(ki.KeyInfo)) {
						return fmt.Errorf("the downloaded installer does not carry the installer's key info")
					}
					return nil
				},
				// The Windows entry needs no build: no output_path, no download.
				resource.TestCheckResourceAttrWith("data.jumpgate_jump_client_installer_download.windows", "command", func(v string) error {
					return wantContains(v, "curl.exe -fSL", "$env:JUMPGATE_TOKEN", "-o jumpgate-jc-"+iid+"-windows-amd64.exe")
				}),
				resource.TestCheckNoResourceAttr("data.jumpgate_jump_client_installer_download.windows", "sha256"),
				func(s *terraform.State) error {
					o := s.RootModule().Outputs["windows_command"]
					want := s.RootModule().Resources["data.jumpgate_jump_client_installer_download.windows"].Primary.Attributes["command"]
					if o == nil || o.Value != want {
						return fmt.Errorf("output windows_command is %v, want %q", o, want)
					}
					return nil
				},
			),
		},
		// A platform the appliance has no build of cannot be downloaded.
		resource.TestStep{
			Config: a.config(installer("") + download(out) + fmt.Sprintf(`
data "jumpgate_jump_client_installer_download" "nobuild" {
  installer_id = jumpgate_jump_client_installer.x.id
  platform     = %q
  output_path  = %q
}
`, other, filepath.Join(dir, "installer.exe"))),
			ExpectError: expectError("The appliance has no agent build for " + other + " (503)"),
		},
		// Bad arguments fail at plan time.
		resource.TestStep{
			Config: a.config(installer("") + `
data "jumpgate_jump_client_installer_download" "bad" {
  installer_id = jumpgate_jump_client_installer.x.id
  platform     = "amiga"
}
`),
			ExpectError: expectError(`platform value must be one of`),
		},
		resource.TestStep{
			Config: a.config(installer("") + `
data "jumpgate_jump_client_installer_download" "missing" {
  installer_id = 999999
  platform     = "linux-amd64"
}
`),
			ExpectError: expectError("There is no Jump Client installer with id 999999"),
		},
		// Expired: the download is refused with the appliance's 410 …
		resource.TestStep{
			PreConfig:   func() { a.expireInstaller(t, mustID(t, id)) },
			Config:      a.config(installer("") + download(out)),
			ExpectError: expectError("so the appliance refuses its download (410 Gone)"),
		},
		// … but without output_path the commands are still given, and the
		// plan stays clean.
		resource.TestStep{
			Config: a.config(installer("") + download("") + windows),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectEmptyPlan(),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr(installerAddr, "expired", "true"),
				resource.TestCheckNoResourceAttr(dlAddr, "sha256"),
				resource.TestCheckNoResourceAttr(dlAddr, "size"),
				resource.TestCheckResourceAttrWith(dlAddr, "file_name", func(v string) error { return wantEqual(v, "jumpgate-jc-"+iid+"-"+platform+".bin") }),
			),
		},
		// Renewed in the same apply: the download is read after the update
		// (depends_on) and carries the new key.
		resource.TestStep{
			Config: a.config(installer("  renew_on_expiry = true") + download(out)),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(installerAddr, plancheck.ResourceActionUpdate),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr(installerAddr, "expired", "false"),
				resource.TestCheckResourceAttrWith(installerAddr, "installer_id", changed(&iid)),
				resource.TestCheckResourceAttrPair(dlAddr, "file_name", installerAddr, "downloads.0.file_name"),
				resource.TestCheckResourceAttrWith(dlAddr, "sha256", changed(&sum1)),
				checkDownloadedFile(out, dlAddr),
				resource.TestCheckResourceAttrWith(installerAddr, "key_info", func(v string) error {
					b, err := os.ReadFile(out)
					if err != nil {
						return err
					}
					if !bytes.Contains(b, []byte(v)) {
						return fmt.Errorf("the downloaded installer does not carry the renewed key info")
					}
					return nil
				}),
			),
		},
	)
}

// checkDownloadedFile checks that the file at path has mode 0700 and the
// sha256 and size that the data source at addr reports.
func checkDownloadedFile(path, addr string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		fi, err := os.Stat(path)
		if err != nil {
			return err
		}
		if fi.Mode().Perm() != 0o700 {
			return fmt.Errorf("%s has mode %v, want 0700", path, fi.Mode().Perm())
		}
		sum := sha256.Sum256(b)
		attrs := s.RootModule().Resources[addr].Primary.Attributes
		if attrs["sha256"] != hex.EncodeToString(sum[:]) {
			return fmt.Errorf("sha256 %s, the file's is %x", attrs["sha256"], sum)
		}
		if attrs["size"] != strconv.Itoa(len(b)) {
			return fmt.Errorf("size %s, the file has %d bytes", attrs["size"], len(b))
		}
		left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*.tmp"))
		if len(left) > 0 {
			return fmt.Errorf("temporary files left behind: %v", left)
		}
		return nil
	}
}
