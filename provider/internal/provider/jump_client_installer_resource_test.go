package provider

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/api/keyinfo"
)

const installerAddr = "jumpgate_jump_client_installer.x"

func TestAccJumpClientInstaller(t *testing.T) {
	a := newAcc(t)
	ctx := context.Background()
	jp, err := a.Admin.CreateJumpPolicy(ctx, &api.JumpPolicy{DisplayName: "Business hours", CodeName: "business-hours"})
	if err != nil {
		t.Fatal(err)
	}
	sp, err := a.Admin.CreateSessionPolicy(ctx, &api.SessionPolicy{DisplayName: "Shell", CodeName: "shell", Permissions: api.SessionPermissions{Shell: true}})
	if err != nil {
		t.Fatal(err)
	}
	groups := `
resource "jumpgate_jump_group" "a" {
  name      = "A"
  code_name = "a"
}
resource "jumpgate_jump_group" "b" {
  name      = "B"
  code_name = "b"
}
`
	cfg := func(body string) string {
		return a.config(groups + `
resource "jumpgate_jump_client_installer" "x" {
` + body + `
}
`)
	}
	created := fmt.Sprintf(`
  jump_group_id              = jumpgate_jump_group.a.id
  name                       = "laptop"
  tag                        = "laptops"
  jump_policy_id             = %d
  attended_session_policy_id = %d
  allow_override_name        = true
`, jp.ID, sp.ID)
	// Everything that can change without re-signing the key info.
	edited := fmt.Sprintf(`
  jump_group_id                = jumpgate_jump_group.b.id
  name                         = "workstation"
  comments                     = "edited in place"
  tag                          = "desks"
  jump_policy_id               = %d
  unattended_session_policy_id = %d
  connection_type              = "standby"
  max_offline_minutes          = 30
  customer_client_start_mode   = "minimized"
  support_button_profile       = "sb"
  support_button_direct_queue  = "team:t1"
  elevate_install              = false
  elevate_prompt               = true
  allow_override_name          = true
`, jp.ID, sp.ID)
	// A new validity window and another override: new key info, same installer.
	extended := edited + `
  valid_duration     = 2880
  allow_override_tag = true
`
	rotated := extended + `
  rotation = "2026-11"
`
	var id, iid, key1, key2, key3, exp1, exp2 string
	a.test(t,
		resource.TestStep{
			Config: cfg(created),
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrWith(installerAddr, "id", capture(&id)),
				resource.TestCheckResourceAttrWith(installerAddr, "installer_id", capture(&iid)),
				resource.TestCheckResourceAttrWith(installerAddr, "key_info", capture(&key1)),
				resource.TestCheckResourceAttrWith(installerAddr, "expires_at", capture(&exp1)),
				resource.TestCheckResourceAttrWith(installerAddr, "expires_at", expiresIn(1440*time.Minute)),
				resource.TestCheckResourceAttr(installerAddr, "valid_duration", "1440"),
				resource.TestCheckResourceAttr(installerAddr, "jump_group_type", "shared"),
				resource.TestCheckResourceAttr(installerAddr, "connection_type", "active"), // the settings' default
				resource.TestCheckResourceAttr(installerAddr, "customer_client_start_mode", "normal"),
				resource.TestCheckResourceAttr(installerAddr, "elevate_install", "true"),
				resource.TestCheckResourceAttr(installerAddr, "elevate_prompt", "false"),
				resource.TestCheckResourceAttr(installerAddr, "max_offline_minutes", "0"),
				resource.TestCheckResourceAttr(installerAddr, "allow_override_name", "true"),
				resource.TestCheckResourceAttr(installerAddr, "allow_override_tag", "false"),
				resource.TestCheckNoResourceAttr(installerAddr, "public_portal_id"),
				resource.TestCheckResourceAttr(installerAddr, "expired", "false"),
				resource.TestCheckResourceAttr(installerAddr, "store_key_info", "true"),
				resource.TestCheckResourceAttr(installerAddr, "renew_on_expiry", "false"),
				resource.TestCheckResourceAttr(installerAddr, "downloads.#", strconv.Itoa(len(api.Platforms))),
				resource.TestCheckResourceAttr(installerAddr, "downloads.0.platform", api.PlatformLinuxAMD64),
				resource.TestCheckResourceAttr(installerAddr, "downloads.5.platform", api.PlatformWindowsAMD64),
				resource.TestCheckResourceAttrWith(installerAddr, "downloads.0.file_name", func(v string) error {
					return wantEqual(v, "jumpgate-jc-"+iid+"-linux-amd64.bin")
				}),
				resource.TestCheckResourceAttrWith(installerAddr, "downloads.0.command", func(v string) error {
					return wantContains(v, "curl -fSL", "$JUMPGATE_TOKEN", fmt.Sprintf("/api/v1/jump-client-installers/%s/download/linux-amd64", id))
				}),
				resource.TestCheckResourceAttrWith(installerAddr, "downloads.0.install_command", func(v string) error {
					return wantEqual(v, "sudo sh ./jumpgate-jc-"+iid+"-linux-amd64.bin")
				}),
				// The key info names this installer, its window and its overrides.
				resource.TestCheckResourceAttrWith(installerAddr, "key_info", keyInfoFor(&iid, &exp1, "name")),
			),
		},
		// Import by id and by installer_id: the key info is read back, the
		// inputs get their defaults.
		resource.TestStep{ResourceName: installerAddr, ImportState: true, ImportStateVerify: true},
		resource.TestStep{
			ResourceName: installerAddr, ImportState: true, ImportStateVerify: true,
			ImportStateIdFunc: func(s *terraform.State) (string, error) {
				return "installer_id=" + s.RootModule().Resources[installerAddr].Primary.Attributes["installer_id"], nil
			},
		},
		// Every setting in place; the key info stays.
		resource.TestStep{
			Config: cfg(edited),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(installerAddr, plancheck.ResourceActionUpdate),
				plancheck.ExpectKnownValue(installerAddr, tfjsonpath.New("key_info"), knownvalue.NotNull()),
				plancheck.ExpectKnownValue(installerAddr, tfjsonpath.New("installer_id"), knownvalue.NotNull()),
				plancheck.ExpectKnownValue(installerAddr, tfjsonpath.New("expires_at"), knownvalue.NotNull()),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrWith(installerAddr, "id", sameID(&id)),
				resource.TestCheckResourceAttrWith(installerAddr, "installer_id", sameID(&iid)),
				resource.TestCheckResourceAttrWith(installerAddr, "key_info", sameSecret(&key1)),
				resource.TestCheckResourceAttrWith(installerAddr, "expires_at", sameID(&exp1)),
				resource.TestCheckResourceAttrPair(installerAddr, "jump_group_id", "jumpgate_jump_group.b", "id"),
				resource.TestCheckResourceAttr(installerAddr, "name", "workstation"),
				resource.TestCheckResourceAttr(installerAddr, "comments", "edited in place"),
				resource.TestCheckResourceAttr(installerAddr, "tag", "desks"),
				resource.TestCheckNoResourceAttr(installerAddr, "attended_session_policy_id"),
				resource.TestCheckResourceAttr(installerAddr, "unattended_session_policy_id", strconv.FormatInt(sp.ID, 10)),
				resource.TestCheckResourceAttr(installerAddr, "connection_type", "standby"),
				resource.TestCheckResourceAttr(installerAddr, "max_offline_minutes", "30"),
				resource.TestCheckResourceAttr(installerAddr, "customer_client_start_mode", "minimized"),
				resource.TestCheckResourceAttr(installerAddr, "support_button_profile", "sb"),
				resource.TestCheckResourceAttr(installerAddr, "support_button_direct_queue", "team:t1"),
				resource.TestCheckResourceAttr(installerAddr, "elevate_install", "false"),
				resource.TestCheckResourceAttr(installerAddr, "elevate_prompt", "true"),
				func(*terraform.State) error { return a.checkInstaller(ctx, id, "workstation", "standby", 30) },
			),
		},
		// valid_duration and an override: a new window and new key info,
		// the same installer. The key info handed out before still enrolls:
		// an installer changed in place is not invalidated.
		resource.TestStep{
			Config: cfg(extended),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(installerAddr, plancheck.ResourceActionUpdate),
				plancheck.ExpectUnknownValue(installerAddr, tfjsonpath.New("key_info")),
				plancheck.ExpectUnknownValue(installerAddr, tfjsonpath.New("expires_at")),
				plancheck.ExpectKnownValue(installerAddr, tfjsonpath.New("installer_id"), knownvalue.NotNull()),
				plancheck.ExpectKnownValue(installerAddr, tfjsonpath.New("downloads"), knownvalue.NotNull()),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrWith(installerAddr, "id", sameID(&id)),
				resource.TestCheckResourceAttrWith(installerAddr, "installer_id", sameID(&iid)),
				resource.TestCheckResourceAttr(installerAddr, "valid_duration", "2880"),
				resource.TestCheckResourceAttr(installerAddr, "allow_override_tag", "true"),
				resource.TestCheckResourceAttrWith(installerAddr, "expires_at", capture(&exp2)),
				resource.TestCheckResourceAttrWith(installerAddr, "expires_at", expiresIn(2880*time.Minute)),
				resource.TestCheckResourceAttrWith(installerAddr, "key_info", capture(&key2)),
				resource.TestCheckResourceAttrWith(installerAddr, "key_info", changedSecret(&key1)),
				resource.TestCheckResourceAttrWith(installerAddr, "key_info", keyInfoFor(&iid, &exp2, "name", "tag")),
				a.enrollCheck(t, &key1, "host-old-key", nil),
				a.enrollCheck(t, &key2, "host-new-key", nil),
			),
		},
		// Rotation: a new installer id and key in place; the earlier key info
		// is refused, the new one enrolls.
		resource.TestStep{
			Config: cfg(rotated),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(installerAddr, plancheck.ResourceActionUpdate),
				plancheck.ExpectUnknownValue(installerAddr, tfjsonpath.New("installer_id")),
				plancheck.ExpectUnknownValue(installerAddr, tfjsonpath.New("key_info")),
				plancheck.ExpectUnknownValue(installerAddr, tfjsonpath.New("expires_at")),
				plancheck.ExpectUnknownValue(installerAddr, tfjsonpath.New("downloads")),
				plancheck.ExpectKnownValue(installerAddr, tfjsonpath.New("expired"), knownvalue.Bool(false)),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrWith(installerAddr, "id", sameID(&id)),
				resource.TestCheckResourceAttrWith(installerAddr, "installer_id", changed(&iid)),
				resource.TestCheckResourceAttrWith(installerAddr, "installer_id", capture(&iid)),
				resource.TestCheckResourceAttrWith(installerAddr, "key_info", changedSecret(&key2)),
				resource.TestCheckResourceAttrWith(installerAddr, "key_info", capture(&key3)),
				resource.TestCheckResourceAttrWith(installerAddr, "downloads.0.file_name", func(v string) error {
					return wantEqual(v, "jumpgate-jc-"+iid+"-linux-amd64.bin")
				}),
				resource.TestCheckResourceAttr(installerAddr, "rotation", "2026-11"),
				resource.TestCheckResourceAttr(installerAddr, "comments", "edited in place"),
				a.enrollCheck(t, &key2, "host-rotated-old", api.ErrForbidden),
				a.enrollCheck(t, &key3, "host-rotated-new", nil),
			),
		},
		// Plan-time validation, the appliance's limits.
		invalidInstaller(a, cfg(rotated), "valid_duration = 9", "must be 10–525600"),
		invalidInstaller(a, cfg(rotated), "valid_duration = 525601", "must be 10–525600"),
		invalidInstaller(a, cfg(rotated), fmt.Sprintf("name = %q", make129()), "must be at most 128 characters"),
		invalidInstaller(a, cfg(rotated), `customer_client_start_mode = "maximized"`, `must be one of: normal, minimized, hidden`),
		invalidInstaller(a, cfg(rotated), `jump_group_type = "team"`, `must be one of: shared, personal`),
		invalidInstaller(a, cfg(rotated), `connection_type = "passive"`, `must be one of: active, standby`),
		invalidInstaller(a, cfg(rotated), "max_offline_minutes = 3", "must be 0 (use the global setting) or 5–525600"),
		invalidInstaller(a, cfg(rotated), "max_offline_minutes = 525601", "must be 0 (use the global setting) or 5–525600"),
		invalidInstaller(a, cfg(rotated), `support_button_direct_queue = "t1"`, "must be team: followed by a team's code name"),
		invalidInstaller(a, cfg(rotated), `support_button_profile = "two words"`, "must be 1–64 letters, digits"),
		invalidInstaller(a, cfg(rotated), `tag = "`+strings.Repeat("t", 65)+`"`, "must be at most 64 characters"),
		// Drift: a change made outside Terraform is planned back, in place.
		resource.TestStep{
			PreConfig: func() {
				if _, err := a.Admin.PatchJumpClientInstaller(ctx, mustID(t, id), map[string]any{"comments": "by hand", "allow_override_comments": true}); err != nil {
					t.Fatal(err)
				}
			},
			Config: cfg(rotated),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(installerAddr, plancheck.ResourceActionUpdate),
				plancheck.ExpectKnownValue(installerAddr, tfjsonpath.New("installer_id"), knownvalue.NotNull()),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr(installerAddr, "comments", "edited in place"),
				resource.TestCheckResourceAttr(installerAddr, "allow_override_comments", "false"),
				resource.TestCheckResourceAttrWith(installerAddr, "installer_id", sameID(&iid)),
				resource.TestCheckResourceAttrWith(installerAddr, "key_info", sameSecret(&key3)),
			),
		},
		// A key rotated outside Terraform is followed, not undone: the state
		// takes the new installer id and key info, and the plan is empty.
		resource.TestStep{
			PreConfig: func() {
				if _, err := a.Admin.RotateInstallerKey(ctx, mustID(t, id)); err != nil {
					t.Fatal(err)
				}
			},
			Config: cfg(rotated),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectEmptyPlan(),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrWith(installerAddr, "installer_id", changed(&iid)),
				resource.TestCheckResourceAttrWith(installerAddr, "key_info", changedSecret(&key3)),
				resource.TestCheckResourceAttrWith(installerAddr, "key_info", func(v string) error {
					ki, err := a.Admin.GetInstallerKeyInfo(ctx, mustID(t, id))
					if err != nil {
						return err
					}
					return sameSecret(&ki.KeyInfo)(v)
				}),
			),
		},
		// Deleted outside Terraform: created again.
		resource.TestStep{
			PreConfig: func() {
				if err := a.Admin.DeleteJumpClientInstaller(ctx, mustID(t, id)); err != nil {
					t.Fatal(err)
				}
			},
			Config: cfg(rotated),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(installerAddr, plancheck.ResourceActionCreate),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrWith(installerAddr, "id", changed(&id)),
				resource.TestCheckResourceAttrWith(installerAddr, "id", capture(&id)),
				resource.TestCheckResourceAttr(installerAddr, "comments", "edited in place"),
			),
		},
		// The data sources.
		resource.TestStep{
			Config: cfg(rotated) + `
resource "jumpgate_jump_client_installer" "other" {
  jump_group_id = jumpgate_jump_group.a.id
  tag           = "other"
}
data "jumpgate_jump_client_installer" "by_installer_id" {
  installer_id = jumpgate_jump_client_installer.x.installer_id
}
data "jumpgate_jump_client_installer" "by_id" {
  id = jumpgate_jump_client_installer.other.id
}
data "jumpgate_jump_client_installers" "all" {
  depends_on = [jumpgate_jump_client_installer.x, jumpgate_jump_client_installer.other]
}
data "jumpgate_jump_client_installers" "in_a" {
  jump_group_id = jumpgate_jump_group.a.id
  depends_on    = [jumpgate_jump_client_installer.x, jumpgate_jump_client_installer.other]
}
data "jumpgate_jump_client_installers" "desks" {
  tag        = "desks"
  depends_on = [jumpgate_jump_client_installer.x, jumpgate_jump_client_installer.other]
}
`,
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrPair("data.jumpgate_jump_client_installer.by_installer_id", "id", installerAddr, "id"),
				resource.TestCheckResourceAttrPair("data.jumpgate_jump_client_installer.by_installer_id", "expires_at", installerAddr, "expires_at"),
				resource.TestCheckResourceAttrPair("data.jumpgate_jump_client_installer.by_installer_id", "downloads.2.url", installerAddr, "downloads.2.url"),
				resource.TestCheckResourceAttr("data.jumpgate_jump_client_installer.by_installer_id", "name", "workstation"),
				resource.TestCheckResourceAttr("data.jumpgate_jump_client_installer.by_installer_id", "allow_override_tag", "true"),
				resource.TestCheckResourceAttr("data.jumpgate_jump_client_installer.by_installer_id", "expired", "false"),
				resource.TestCheckNoResourceAttr("data.jumpgate_jump_client_installer.by_installer_id", "key_info"),
				resource.TestCheckNoResourceAttr("data.jumpgate_jump_client_installer.by_installer_id", "rotation"),
				resource.TestCheckResourceAttr("data.jumpgate_jump_client_installer.by_id", "tag", "other"),
				resource.TestCheckResourceAttr("data.jumpgate_jump_client_installers.all", "items.#", "2"),
				resource.TestCheckResourceAttr("data.jumpgate_jump_client_installers.in_a", "items.#", "1"),
				resource.TestCheckResourceAttr("data.jumpgate_jump_client_installers.in_a", "items.0.tag", "other"),
				resource.TestCheckResourceAttr("data.jumpgate_jump_client_installers.desks", "items.#", "1"),
				resource.TestCheckResourceAttrPair("data.jumpgate_jump_client_installers.desks", "items.0.installer_id", installerAddr, "installer_id"),
			),
		},
		resource.TestStep{
			Config: cfg(rotated) + `
data "jumpgate_jump_client_installer" "none" {
  installer_id = "0000000000000000"
}`,
			ExpectError: expectError(`No Jump Client Installer matches installer_id = "0000000000000000"`),
		},
	)
	// Destroyed: nothing is left on the appliance.
	l, err := a.Admin.ListJumpClientInstallers(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Items) != 0 {
		t.Fatalf("after destroy the appliance still has %d installers", len(l.Items))
	}
}

// TestAccJumpClientInstallerExpiry: an expired installer is reported, not
// recreated, unless renew_on_expiry asks for a renewal.
func TestAccJumpClientInstallerExpiry(t *testing.T) {
	a := newAcc(t)
	ctx := context.Background()
	g, err := a.Admin.CreateJumpGroup(ctx, &api.JumpGroup{Name: "Ops", CodeName: "ops"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := func(extra string) string {
		return a.config(fmt.Sprintf(`
resource "jumpgate_jump_client_installer" "x" {
  jump_group_id  = %d
  valid_duration = 10
%s
}
`, g.ID, extra))
	}
	var id, iid, key string
	expire := func() {
		t.Helper()
		a.expireInstaller(t, mustID(t, id))
	}
	a.test(t,
		resource.TestStep{
			Config: cfg(""),
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrWith(installerAddr, "id", capture(&id)),
				resource.TestCheckResourceAttrWith(installerAddr, "installer_id", capture(&iid)),
				resource.TestCheckResourceAttrWith(installerAddr, "expires_at", expiresIn(10*time.Minute)),
				resource.TestCheckResourceAttr(installerAddr, "expired", "false"),
			),
		},
		// Expired: the plan stays empty, the state says so, a warning tells
		// what to do, and the installer is refused at enrollment.
		resource.TestStep{
			PreConfig: expire,
			Config:    cfg(""),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectEmptyPlan(),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr(installerAddr, "expired", "true"),
				resource.TestCheckResourceAttrWith(installerAddr, "installer_id", sameID(&iid)),
				resource.TestCheckResourceAttrWith(installerAddr, "key_info", capture(&key)),
				a.enrollCheck(t, &key, "host-expired", api.ErrForbidden),
				func(*terraform.State) error {
					diags := a.readDiagnostics(t, "jumpgate_jump_client_installer", id)
					if len(diags) != 1 || diags[0].Severity != tfprotov6.DiagnosticSeverityWarning {
						return fmt.Errorf("want one warning from the refresh of an expired installer, got %s", describeDiags(diags))
					}
					d := diags[0].Summary + " " + diags[0].Detail
					if err := wantContains(d, "installer "+iid+" expired at ", "new installs are refused",
						"set renew_on_expiry = true or change rotation to issue a new key"); err != nil {
						return err
					}
					if strings.Contains(d, key) || strings.Contains(d, keyinfo.Prefix) {
						return errors.New("the warning contains the key info")
					}
					return nil
				},
			),
		},
		// Asking for renewal of an expired installer: an in-place update that
		// re-issues the key.
		resource.TestStep{
			Config: cfg("  renew_on_expiry = true"),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(installerAddr, plancheck.ResourceActionUpdate),
				plancheck.ExpectUnknownValue(installerAddr, tfjsonpath.New("installer_id")),
				plancheck.ExpectKnownValue(installerAddr, tfjsonpath.New("expired"), knownvalue.Bool(false)),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrWith(installerAddr, "id", sameID(&id)),
				resource.TestCheckResourceAttr(installerAddr, "expired", "false"),
				resource.TestCheckResourceAttrWith(installerAddr, "installer_id", changed(&iid)),
				resource.TestCheckResourceAttrWith(installerAddr, "installer_id", capture(&iid)),
				resource.TestCheckResourceAttrWith(installerAddr, "expires_at", expiresIn(10*time.Minute)),
				resource.TestCheckResourceAttrWith(installerAddr, "key_info", capture(&key)),
				a.enrollCheck(t, &key, "host-renewed", nil),
			),
		},
		// Not expired: renew_on_expiry plans nothing.
		resource.TestStep{
			Config:   cfg("  renew_on_expiry = true"),
			PlanOnly: true,
		},
		// Expired again with renew_on_expiry already set: the refresh alone
		// plans the renewal.
		resource.TestStep{
			PreConfig: expire,
			Config:    cfg("  renew_on_expiry = true"),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(installerAddr, plancheck.ResourceActionUpdate),
				plancheck.ExpectUnknownValue(installerAddr, tfjsonpath.New("installer_id")),
				plancheck.ExpectUnknownValue(installerAddr, tfjsonpath.New("key_info")),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrWith(installerAddr, "id", sameID(&id)),
				resource.TestCheckResourceAttr(installerAddr, "expired", "false"),
				resource.TestCheckResourceAttrWith(installerAddr, "installer_id", changed(&iid)),
				resource.TestCheckResourceAttrWith(installerAddr, "installer_id", capture(&iid)),
			),
		},
		// Without renew_on_expiry, a new valid_duration extends an expired
		// installer and keeps its installer id.
		resource.TestStep{
			PreConfig: expire,
			Config:    strings.Replace(cfg(""), "valid_duration = 10", "valid_duration = 20", 1),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(installerAddr, plancheck.ResourceActionUpdate),
				plancheck.ExpectKnownValue(installerAddr, tfjsonpath.New("installer_id"), knownvalue.NotNull()),
				plancheck.ExpectUnknownValue(installerAddr, tfjsonpath.New("expires_at")),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr(installerAddr, "expired", "false"),
				resource.TestCheckResourceAttrWith(installerAddr, "installer_id", sameID(&iid)),
				resource.TestCheckResourceAttrWith(installerAddr, "expires_at", expiresIn(20*time.Minute)),
				resource.TestCheckResourceAttrWith(installerAddr, "key_info", capture(&key)),
				a.enrollCheck(t, &key, "host-extended", nil),
			),
		},
	)
}

// invalidInstaller is a plan-only step with one bad installer setting.
func invalidInstaller(a *acc, cfg, setting, want string) resource.TestStep {
	return resource.TestStep{
		Config: cfg + `
resource "jumpgate_jump_client_installer" "bad" {
  jump_group_id = 1
  ` + setting + `
}`,
		PlanOnly:    true,
		ExpectError: expectError(want),
	}
}

// checkInstaller checks the installer as the appliance has it.
func (a *acc) checkInstaller(ctx context.Context, id, name, connectionType string, maxOffline int) error {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return err
	}
	in, err := a.Admin.GetJumpClientInstaller(ctx, n)
	if err != nil {
		return err
	}
	if in.Name != name || in.ConnectionType != connectionType || in.MaxOfflineMinutes != maxOffline {
		return fmt.Errorf("appliance has name %q, connection_type %q, max_offline_minutes %d", in.Name, in.ConnectionType, in.MaxOfflineMinutes)
	}
	return nil
}

// expireInstaller moves the installer's expiry a minute into the past, in
// the appliance's database (the appliance has no installer clock to set).
func (a *acc) expireInstaller(t *testing.T, id int64) {
	t.Helper()
	res := a.srv.App.DB.W.Table("jump_client_installers").Where("id = ?", id).
		Update("expires_at", time.Now().UTC().Add(-time.Minute).Truncate(time.Second))
	if res.Error != nil || res.RowsAffected != 1 {
		t.Fatalf("expire installer %d: %v (%d rows)", id, res.Error, res.RowsAffected)
	}
}

// enrollCheck enrolls a host with the key info in *key the way an agent
// does: want nil expects success (the client is then deleted again, so its
// Jump Group can be destroyed), else an error matching want.
func (a *acc) enrollCheck(t *testing.T, key *string, host string, want error) resource.TestCheckFunc {
	return func(*terraform.State) error {
		resp, _, err := a.srv.Enroll(t, *key, agentproto.Facts{HostID: host, Hostname: host}, agentproto.Overrides{})
		switch {
		case want == nil && err != nil:
			return fmt.Errorf("enrollment of %s refused: %w", host, err)
		case want == nil:
			return a.Admin.DeleteJumpClient(context.Background(), resp.ID)
		case err == nil:
			return fmt.Errorf("enrollment of %s accepted, want %v", host, want)
		case !errors.Is(err, want):
			return fmt.Errorf("enrollment of %s: got %v, want %v", host, err, want)
		}
		return nil
	}
}

// readDiagnostics refreshes one resource with only its id in the state,
// through the provider's protocol server as terraform does, and returns the
// diagnostics (terraform-plugin-testing does not expose warnings).
func (a *acc) readDiagnostics(t *testing.T, typeName, id string) []*tfprotov6.Diagnostic {
	t.Helper()
	ctx := context.Background()
	srv, err := providerserver.NewProtocol6WithError(New("test")())()
	if err != nil {
		t.Fatal(err)
	}
	sr, err := srv.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil || len(sr.Diagnostics) > 0 {
		t.Fatalf("provider schema: %v %s", err, describeDiags(sr.Diagnostics))
	}
	pt := sr.Provider.ValueType()
	cfg, err := tfprotov6.NewDynamicValue(pt, tftypes.NewValue(pt, map[string]tftypes.Value{
		"url":         tftypes.NewValue(tftypes.String, a.srv.URL),
		"token":       tftypes.NewValue(tftypes.String, a.srv.AdminToken),
		"ca_cert_pem": tftypes.NewValue(tftypes.String, string(a.srv.CAPEM)),
	}))
	if err != nil {
		t.Fatal(err)
	}
	cr, err := srv.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{Config: &cfg})
	if err != nil || len(cr.Diagnostics) > 0 {
		t.Fatalf("configure provider: %v %s", err, describeDiags(cr.Diagnostics))
	}
	rt := sr.ResourceSchemas[typeName].ValueType().(tftypes.Object)
	vals := map[string]tftypes.Value{}
	for k, at := range rt.AttributeTypes {
		vals[k] = tftypes.NewValue(at, nil)
	}
	vals["id"] = tftypes.NewValue(tftypes.String, id)
	st, err := tfprotov6.NewDynamicValue(rt, tftypes.NewValue(rt, vals))
	if err != nil {
		t.Fatal(err)
	}
	rr, err := srv.ReadResource(ctx, &tfprotov6.ReadResourceRequest{TypeName: typeName, CurrentState: &st})
	if err != nil {
		t.Fatal(err)
	}
	return rr.Diagnostics
}

func describeDiags(diags []*tfprotov6.Diagnostic) string {
	var parts []string
	for _, d := range diags {
		parts = append(parts, fmt.Sprintf("[%v] %s: %s", d.Severity, d.Summary, d.Detail))
	}
	return "[" + strings.Join(parts, "; ") + "]"
}

// capture stores an attribute's value in *dst.
func capture(dst *string) resource.CheckResourceAttrWithFunc {
	return func(v string) error { *dst = v; return nil }
}

// changed checks that an attribute no longer has the value in *old.
func changed(old *string) resource.CheckResourceAttrWithFunc {
	return func(v string) error {
		if v == *old {
			return fmt.Errorf("still %q", v)
		}
		return nil
	}
}

// sameSecret and changedSecret compare without printing the secret.
func sameSecret(old *string) resource.CheckResourceAttrWithFunc {
	return func(v string) error {
		if v == "" || v != *old {
			return errors.New("the secret changed (or is empty)")
		}
		return nil
	}
}

func changedSecret(old *string) resource.CheckResourceAttrWithFunc {
	return func(v string) error {
		if v == "" || v == *old {
			return errors.New("the secret did not change (or is empty)")
		}
		return nil
	}
}

// expiresIn checks an RFC 3339 expiry about d from now (the window started
// during this test step).
func expiresIn(d time.Duration) resource.CheckResourceAttrWithFunc {
	return func(v string) error {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return err
		}
		if left := time.Until(t); left > d || left < d-2*time.Minute {
			return fmt.Errorf("expires at %s, %s from now; want about %s", v, left.Round(time.Second), d)
		}
		return nil
	}
}

// keyInfoFor checks that key info names installer *iid, expiry *exp and
// exactly the overrides given.
func keyInfoFor(iid, exp *string, overrides ...string) resource.CheckResourceAttrWithFunc {
	return func(v string) error {
		p, _, _, err := keyinfo.Parse(v)
		if err != nil {
			return err
		}
		if p.InstallerID != *iid {
			return fmt.Errorf("key info names installer %s, want %s", p.InstallerID, *iid)
		}
		if got := p.ExpiresAt().Format(time.RFC3339); got != *exp {
			return fmt.Errorf("key info expires at %s, want %s", got, *exp)
		}
		got, want := slices.Clone(p.Overrides), slices.Clone(overrides)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			return fmt.Errorf("key info allows overrides %v, want %v", got, want)
		}
		return nil
	}
}

func wantEqual(got, want string) error {
	if got != want {
		return fmt.Errorf("got %q, want %q", got, want)
	}
	return nil
}

func wantContains(s string, parts ...string) error {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return fmt.Errorf("%q does not contain %q", s, p)
		}
	}
	return nil
}
