package provider

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/jumpgate/jumpgate/api"
)

func TestAccJumpClientSettings(t *testing.T) {
	a := newAcc(t)
	ctx := context.Background()
	const addr = "jumpgate_jump_client_settings.this"
	// The schema defaults are those of a new appliance.
	initial, err := a.Admin.GetJumpClientSettings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := settingsDiff(initial, api.DefaultJumpClientSettings()); d != "" {
		t.Fatalf("the provider's defaults differ from a new appliance's settings: %s", d)
	}
	cfg := func(body string) string {
		return a.config(`
resource "jumpgate_jump_client_settings" "this" {
` + body + `
}
`)
	}
	custom := cfg(`
  statistics                       = ["cpu", "screen"]
  statistics_interval_seconds      = 120
  upgrade_mode                     = "disabled"
  lost_after_days                  = 30
  deleted_after_days               = 60
  uninstalled_behavior             = "remove"
  restrict_local_uninstall         = true
  default_connection_type          = "standby"
  standby_check_in_minutes         = 15
  wake_on_lan_allowed              = true
  presence_uses_screen_state       = true
  adhoc_sessions_from_jump_clients = true
  simultaneous_jumps               = "disallow"
  unattended_sessions_allowed      = false`)
	changed := cfg(`
  statistics         = []
  upgrade_mode       = "this_version"
  lost_after_days    = 100
  simultaneous_jumps = "allow"`)
	defaults := cfg(``)
	wantCustom := &api.JumpClientSettings{
		Statistics: []string{"cpu", "screen"}, StatisticsIntervalSeconds: 120, UpgradeMode: "disabled",
		LostAfterDays: 30, DeletedAfterDays: 60, UninstalledBehavior: "remove", RestrictLocalUninstall: true,
		DefaultConnectionType: "standby", StandbyCheckInMinutes: 15, WakeOnLANAllowed: true, PresenceUsesScreenState: true,
		AdhocSessionsFromJumpClients: true, SimultaneousJumps: "disallow", UnattendedSessionsAllowed: api.Bool(false),
	}
	wantChanged := api.DefaultJumpClientSettings()
	wantChanged.Statistics, wantChanged.UpgradeMode, wantChanged.LostAfterDays, wantChanged.SimultaneousJumps = []string{}, "this_version", 100, "allow"
	a.test(t,
		resource.TestStep{
			Config: custom,
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr(addr, "id", "jump_client_settings"),
				resource.TestCheckResourceAttr(addr, "statistics.#", "2"),
				resource.TestCheckTypeSetElemAttr(addr, "statistics.*", "screen"),
				resource.TestCheckResourceAttr(addr, "lost_after_days", "30"),
				resource.TestCheckResourceAttr(addr, "unattended_sessions_allowed", "false"),
				a.checkSettings(wantCustom),
			),
		},
		// Import takes any id.
		resource.TestStep{ResourceName: addr, ImportState: true, ImportStateVerify: true, ImportStateId: "jump_client_settings"},
		resource.TestStep{ResourceName: addr, ImportState: true, ImportStateVerify: true, ImportStateId: "anything"},
		// Update in place; settings left out go back to their defaults.
		resource.TestStep{
			Config: changed,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr(addr, "statistics.#", "0"),
				resource.TestCheckResourceAttr(addr, "deleted_after_days", "180"),
				resource.TestCheckResourceAttr(addr, "unattended_sessions_allowed", "true"),
				a.checkSettings(wantChanged),
			),
		},
		// Plan-time validation, the appliance's rules.
		resource.TestStep{
			Config: cfg(`
  lost_after_days    = 60
  deleted_after_days = 60`),
			PlanOnly:    true,
			ExpectError: expectError("lost_after_days (60) must be less than deleted_after_days (60)"),
		},
		resource.TestStep{
			Config: cfg(`
  lost_after_days = 200`),
			PlanOnly:    true,
			ExpectError: expectError("lost_after_days (200) must be less than deleted_after_days (180)"),
		},
		resource.TestStep{
			Config: cfg(`
  lost_after_days = 14`),
			PlanOnly:    true,
			ExpectError: expectError("14 must be 15–3650"),
		},
		resource.TestStep{
			Config: cfg(`
  statistics = ["cpu", "memory"]`),
			PlanOnly:    true,
			ExpectError: expectError(`"memory" must be one of: cpu, console_user, disk, screen, uptime`),
		},
		resource.TestStep{
			Config: cfg(`
  statistics_interval_seconds = 10`),
			PlanOnly:    true,
			ExpectError: expectError("10 must be 15–86400"),
		},
		// Drift, on a configured setting and on a defaulted one.
		resource.TestStep{
			PreConfig: func() {
				if _, err := a.Admin.PatchJumpClientSettings(ctx, map[string]any{"upgrade_mode": "always", "wake_on_lan_allowed": true}); err != nil {
					t.Fatal(err)
				}
			},
			Config: changed,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
			}},
			Check: a.checkSettings(wantChanged),
		},
		// An empty block means the defaults.
		resource.TestStep{
			Config: defaults,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
			}},
			Check: a.checkSettings(api.DefaultJumpClientSettings()),
		},
		// The data source.
		resource.TestStep{
			Config: custom + `
data "jumpgate_jump_client_settings" "current" {
  depends_on = [jumpgate_jump_client_settings.this]
}
`,
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr("data.jumpgate_jump_client_settings.current", "id", "jump_client_settings"),
				resource.TestCheckResourceAttr("data.jumpgate_jump_client_settings.current", "statistics.#", "2"),
				resource.TestCheckResourceAttr("data.jumpgate_jump_client_settings.current", "upgrade_mode", "disabled"),
				resource.TestCheckResourceAttr("data.jumpgate_jump_client_settings.current", "deleted_after_days", "60"),
				resource.TestCheckResourceAttr("data.jumpgate_jump_client_settings.current", "unattended_sessions_allowed", "false"),
			),
		},
	)
	// Destroyed: the settings are those of a new appliance again.
	after, err := a.Admin.GetJumpClientSettings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := settingsDiff(after, initial); d != "" {
		t.Fatalf("after destroy the settings are not the defaults: %s", d)
	}
}

// checkSettings compares the appliance's settings with want.
func (a *acc) checkSettings(want *api.JumpClientSettings) resource.TestCheckFunc {
	return func(*terraform.State) error {
		got, err := a.Admin.GetJumpClientSettings(context.Background())
		if err != nil {
			return err
		}
		if d := settingsDiff(got, want); d != "" {
			return fmt.Errorf("appliance settings: %s", d)
		}
		return nil
	}
}

// settingsDiff describes how got differs from want, ignoring the version,
// the time of the last write and the order of statistics.
func settingsDiff(got, want *api.JumpClientSettings) string {
	g, w := *got, *want
	g.Version, w.Version, g.UpdatedAt, w.UpdatedAt = 0, 0, time.Time{}, time.Time{}
	g.Statistics, w.Statistics = sortedCopy(g.Statistics), sortedCopy(w.Statistics)
	if !reflect.DeepEqual(g, w) {
		return fmt.Sprintf("got %+v, want %+v", g, w)
	}
	return ""
}

func sortedCopy(s []string) []string {
	out := append([]string{}, s...)
	slices.Sort(out)
	return out
}
