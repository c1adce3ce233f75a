package provider

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/jumpgate/jumpgate/api"
)

func TestAccConsoleSettings(t *testing.T) {
	a := newAcc(t)
	ctx := context.Background()
	const addr = "jumpgate_console_settings.this"
	// The schema defaults are those of a new appliance.
	initial, err := a.Admin.GetConsoleSettings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := consoleSettingsDiff(initial, defaultConsoleSettings()); d != "" {
		t.Fatalf("the provider's defaults differ from a new appliance's settings: %s", d)
	}
	cfg := func(body string) string {
		return a.config(`
resource "jumpgate_console_settings" "this" {
` + body + `
}
`)
	}
	custom := cfg(`
  mfa_required                 = true
  session_idle_timeout_minutes = 15
  session_lifetime_hours       = 8
  trusted_origins              = ["https://support.example.com", "http://[::1]:8443"]`)
	changed := cfg(`
  session_lifetime_hours = 24
  trusted_origins        = []`)
	defaults := cfg(``)
	wantCustom := &api.ConsoleSettings{MFARequired: api.Bool(true), SessionIdleTimeoutMinutes: 15, SessionLifetimeHours: 8,
		TrustedOrigins: []string{"http://[::1]:8443", "https://support.example.com"}}
	wantChanged := defaultConsoleSettings()
	wantChanged.SessionLifetimeHours = 24
	a.test(t,
		resource.TestStep{
			Config: custom,
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr(addr, "id", "console_settings"),
				resource.TestCheckResourceAttr(addr, "mfa_required", "true"),
				resource.TestCheckResourceAttr(addr, "trusted_origins.#", "2"),
				resource.TestCheckTypeSetElemAttr(addr, "trusted_origins.*", "https://support.example.com"),
				a.checkConsoleSettings(wantCustom),
			),
		},
		// Import takes any id.
		resource.TestStep{ResourceName: addr, ImportState: true, ImportStateVerify: true, ImportStateId: "console_settings"},
		resource.TestStep{ResourceName: addr, ImportState: true, ImportStateVerify: true, ImportStateId: "anything"},
		// Update in place; settings left out go back to their defaults.
		resource.TestStep{
			Config: changed,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr(addr, "mfa_required", "false"),
				resource.TestCheckResourceAttr(addr, "session_idle_timeout_minutes", "30"),
				resource.TestCheckResourceAttr(addr, "trusted_origins.#", "0"),
				a.checkConsoleSettings(wantChanged),
			),
		},
		// Plan-time validation, the appliance's rules.
		resource.TestStep{
			Config:      cfg(`session_idle_timeout_minutes = 4`),
			PlanOnly:    true,
			ExpectError: expectError("4 must be 5–1440"),
		},
		resource.TestStep{
			Config:      cfg(`session_lifetime_hours = 721`),
			PlanOnly:    true,
			ExpectError: expectError("721 must be 1–720"),
		},
		resource.TestStep{
			Config:      cfg(`trusted_origins = ["https://support.example.com/"]`),
			PlanOnly:    true,
			ExpectError: expectError(`"https://support.example.com/" must be an origin such as`),
		},
		resource.TestStep{
			Config:      cfg(`trusted_origins = ["https://Support.example.com:443"]`),
			PlanOnly:    true,
			ExpectError: expectError(`must be an origin such as`),
		},
		// Drift, on a configured setting and on a defaulted one.
		resource.TestStep{
			PreConfig: func() {
				if _, err := a.Admin.PatchConsoleSettings(ctx, map[string]any{"session_lifetime_hours": 2, "mfa_required": true}); err != nil {
					t.Fatal(err)
				}
			},
			Config: changed,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
			}},
			Check: a.checkConsoleSettings(wantChanged),
		},
		// An empty block means the defaults.
		resource.TestStep{
			Config: defaults,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
			}},
			Check: a.checkConsoleSettings(defaultConsoleSettings()),
		},
		// The data source.
		resource.TestStep{
			Config: custom + `
data "jumpgate_console_settings" "current" {
  depends_on = [jumpgate_console_settings.this]
}
`,
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr("data.jumpgate_console_settings.current", "id", "console_settings"),
				resource.TestCheckResourceAttr("data.jumpgate_console_settings.current", "mfa_required", "true"),
				resource.TestCheckResourceAttr("data.jumpgate_console_settings.current", "session_idle_timeout_minutes", "15"),
				resource.TestCheckResourceAttr("data.jumpgate_console_settings.current", "session_lifetime_hours", "8"),
				resource.TestCheckResourceAttr("data.jumpgate_console_settings.current", "trusted_origins.#", "2"),
			),
		},
	)
	// Destroyed: the settings are those of a new appliance again.
	after, err := a.Admin.GetConsoleSettings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := consoleSettingsDiff(after, initial); d != "" {
		t.Fatalf("after destroy the settings are not the defaults: %s", d)
	}
}

// checkConsoleSettings compares the appliance's console settings with want.
func (a *acc) checkConsoleSettings(want *api.ConsoleSettings) resource.TestCheckFunc {
	return func(*terraform.State) error {
		got, err := a.Admin.GetConsoleSettings(context.Background())
		if err != nil {
			return err
		}
		if d := consoleSettingsDiff(got, want); d != "" {
			return fmt.Errorf("appliance console settings: %s", d)
		}
		return nil
	}
}

// consoleSettingsDiff describes how got differs from want, ignoring the
// version, the time of the last write and the order of the origins.
func consoleSettingsDiff(got, want *api.ConsoleSettings) string {
	g, w := *got, *want
	g.Version, w.Version, g.UpdatedAt, w.UpdatedAt = 0, 0, time.Time{}, time.Time{}
	g.TrustedOrigins, w.TrustedOrigins = sortedCopy(g.TrustedOrigins), sortedCopy(w.TrustedOrigins)
	if !reflect.DeepEqual(g, w) {
		return fmt.Sprintf("got %+v, want %+v", g, w)
	}
	return ""
}
