package provider

import (
	"context"
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/jumpgate/jumpgate/api"
)

func TestAccSessionPolicy(t *testing.T) {
	a := newAcc(t)
	ctx := context.Background()
	const addr = "jumpgate_session_policy.p"

	minimal := a.config(`
resource "jumpgate_session_policy" "p" {
  code_name    = "support"
  display_name = "Support"
}
`)
	full := a.config(`
resource "jumpgate_session_policy" "p" {
  code_name    = "support"
  display_name = "Support team"
  description  = "Full access with consent"
  permissions = {
    shell               = true
    file_read           = true
    file_write          = true
    screen_view         = true
    screen_control      = true
    clipboard           = "both"
    clipboard_max_bytes = 1024
  }
  prompt_customer        = "always"
  prompt_timeout_seconds = 30
  on_timeout             = "accept"
  max_session_minutes    = 600
  idle_timeout_minutes   = 15
  record_screen          = false
}
`)
	partial := a.config(`
resource "jumpgate_session_policy" "p" {
  code_name    = "support"
  display_name = "Support"
  permissions = {
    tunnel = true
  }
}
`)
	planError := func(attrs, words string) resource.TestStep {
		return resource.TestStep{
			Config: minimal + `
resource "jumpgate_session_policy" "bad" {
  code_name    = "bad"
  display_name = "Bad"
` + attrs + `
}
`,
			PlanOnly:    true,
			ExpectError: expectError(words),
		}
	}
	defaults := func(shell, tunnel string) resource.TestCheckFunc {
		return resource.ComposeAggregateTestCheckFunc(
			resource.TestCheckResourceAttr(addr, "description", ""),
			resource.TestCheckResourceAttr(addr, "permissions.shell", shell),
			resource.TestCheckResourceAttr(addr, "permissions.file_read", "false"),
			resource.TestCheckResourceAttr(addr, "permissions.file_write", "false"),
			resource.TestCheckResourceAttr(addr, "permissions.tunnel", tunnel),
			resource.TestCheckResourceAttr(addr, "permissions.system_info", "false"),
			resource.TestCheckResourceAttr(addr, "permissions.screen_view", "false"),
			resource.TestCheckResourceAttr(addr, "permissions.screen_control", "false"),
			resource.TestCheckResourceAttr(addr, "permissions.clipboard", "off"),
			resource.TestCheckResourceAttr(addr, "permissions.clipboard_max_bytes", "8388608"),
			resource.TestCheckResourceAttr(addr, "prompt_customer", "never"),
			resource.TestCheckResourceAttr(addr, "prompt_timeout_seconds", "180"),
			resource.TestCheckResourceAttr(addr, "on_timeout", "deny"),
			resource.TestCheckResourceAttr(addr, "max_session_minutes", "120"),
			resource.TestCheckResourceAttr(addr, "idle_timeout_minutes", "0"),
			resource.TestCheckResourceAttr(addr, "record_shell", "true"),
			resource.TestCheckResourceAttr(addr, "record_screen", "true"),
			resource.TestCheckResourceAttr(addr, "record_tunnel", "true"),
		)
	}
	update := resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
		plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
	}}
	var id string
	a.test(t,
		resource.TestStep{
			Config: minimal,
			Check: resource.ComposeAggregateTestCheckFunc(
				defaults("false", "false"),
				resource.TestCheckResourceAttrWith(addr, "id", func(v string) error { id = v; return nil }),
			),
		},
		resource.TestStep{ResourceName: addr, ImportState: true, ImportStateVerify: true},
		resource.TestStep{ResourceName: addr, ImportState: true, ImportStateVerify: true, ImportStateId: "code_name=support"},
		// Update in place to every attribute set.
		resource.TestStep{
			Config:           full,
			ConfigPlanChecks: update,
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrWith(addr, "id", sameID(&id)),
				resource.TestCheckResourceAttr(addr, "permissions.file_write", "true"),
				resource.TestCheckResourceAttr(addr, "permissions.tunnel", "false"),
				resource.TestCheckResourceAttr(addr, "permissions.clipboard", "both"),
				resource.TestCheckResourceAttr(addr, "record_screen", "false"),
				resource.TestCheckResourceAttr(addr, "record_shell", "true"),
				func(*terraform.State) error {
					p, err := a.Admin.GetSessionPolicy(ctx, mustID(t, id))
					if err != nil {
						return err
					}
					want := api.SessionPermissions{Shell: true, FileRead: true, FileWrite: true, ScreenView: true, ScreenControl: true,
						Clipboard: api.ClipboardBoth, ClipboardMaxBytes: 1024}
					if p.Permissions != want || p.PromptCustomer != api.PromptAlways || p.PromptTimeoutSeconds != 30 ||
						p.OnTimeout != "accept" || p.MaxSessionMinutes != 600 || p.IdleTimeoutMinutes != 15 || *p.RecordScreen || !*p.RecordShell {
						return fmt.Errorf("appliance has %+v", p)
					}
					return nil
				},
			),
		},
		resource.TestStep{ResourceName: addr, ImportState: true, ImportStateVerify: true},
		// Permissions left out of the object take their defaults.
		resource.TestStep{
			Config:           partial,
			ConfigPlanChecks: update,
			Check: resource.ComposeAggregateTestCheckFunc(
				defaults("false", "true"),
				resource.TestCheckResourceAttrWith(addr, "id", sameID(&id)),
			),
		},
		// Plan-time validation, the appliance's rules.
		planError(`permissions = { file_write = true }`, `permissions.file_write requires permissions.file_read = true`),
		planError(`permissions = { screen_view = false, screen_control = true }`, `permissions.screen_control requires permissions.screen_view = true`),
		planError(`permissions = { clipboard = "sometimes" }`, `must be one of`),
		planError(`permissions = { clipboard_max_bytes = 8388609 }`, `must be 1–8388608`),
		planError(`prompt_customer = "maybe"`, `must be one of`),
		planError(`prompt_timeout_seconds = 5`, `5 must be 10–3600`),
		planError(`on_timeout = "ignore"`, `must be one of`),
		planError(`max_session_minutes = 10081`, `10081 must be 1–10080`),
		planError(`idle_timeout_minutes = 1441`, `1441 must be 0–1440`),
		// Back to the defaults: permissions left out are all off again.
		resource.TestStep{
			Config:           minimal,
			ConfigPlanChecks: update,
			Check:            defaults("false", "false"),
		},
		// Drift, also inside the permissions object, is planned back.
		resource.TestStep{
			PreConfig: func() {
				_, err := a.Admin.PatchSessionPolicy(ctx, mustID(t, id), map[string]any{
					"permissions": map[string]any{"shell": true}, "max_session_minutes": 5,
				})
				if err != nil {
					t.Fatal(err)
				}
			},
			Config:           minimal,
			ConfigPlanChecks: update,
			Check:            defaults("false", "false"),
		},
		// Deleted outside Terraform: recreated, not an error.
		resource.TestStep{
			PreConfig: func() {
				if err := a.Admin.DeleteSessionPolicy(ctx, mustID(t, id)); err != nil {
					t.Fatal(err)
				}
			},
			Config: full,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(addr, plancheck.ResourceActionCreate),
			}},
			Check: resource.TestCheckResourceAttrWith(addr, "id", func(v string) error {
				if v == id {
					return fmt.Errorf("id %s was not renewed", v)
				}
				id = v
				return nil
			}),
		},
		// The data sources.
		resource.TestStep{
			Config: full + `
resource "jumpgate_session_policy" "other" {
  code_name    = "other"
  display_name = "Other"
}
data "jumpgate_session_policy" "by_code" {
  code_name = jumpgate_session_policy.p.code_name
}
data "jumpgate_session_policy" "by_id" {
  id = jumpgate_session_policy.other.id
}
data "jumpgate_session_policies" "all" {
  depends_on = [jumpgate_session_policy.p, jumpgate_session_policy.other]
}
data "jumpgate_session_policies" "named" {
  display_name = "Support team"
  depends_on   = [jumpgate_session_policy.p]
}
`,
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrPair("data.jumpgate_session_policy.by_code", "id", addr, "id"),
				resource.TestCheckResourceAttr("data.jumpgate_session_policy.by_code", "permissions.screen_control", "true"),
				resource.TestCheckResourceAttr("data.jumpgate_session_policy.by_code", "permissions.clipboard_max_bytes", "1024"),
				resource.TestCheckResourceAttr("data.jumpgate_session_policy.by_code", "record_screen", "false"),
				resource.TestCheckResourceAttr("data.jumpgate_session_policy.by_id", "code_name", "other"),
				resource.TestCheckResourceAttr("data.jumpgate_session_policy.by_id", "permissions.clipboard", "off"),
				resource.TestCheckResourceAttr("data.jumpgate_session_policies.all", "items.#", "2"),
				resource.TestCheckResourceAttr("data.jumpgate_session_policies.named", "items.#", "1"),
				resource.TestCheckResourceAttr("data.jumpgate_session_policies.named", "items.0.code_name", "support"),
			),
		},
		// A policy in use cannot be deleted: the appliance's 409 names the user.
		resource.TestStep{
			PreConfig: func() {
				sp := mustID(t, id)
				if _, err := a.Admin.CreatePublicPortal(ctx, &api.PublicPortal{Hostname: "support.example.com", DisplayName: "Support", SessionPolicyID: &sp}); err != nil {
					t.Fatal(err)
				}
			},
			Config:      a.config(""),
			ExpectError: expectError(`session policy "support" is still used by 1 public portal`),
		},
		resource.TestStep{
			PreConfig: func() {
				portals, err := a.Admin.ListPublicPortals(ctx, nil)
				if err != nil || len(portals.Items) != 1 {
					t.Fatalf("public portals: %v %v", portals, err)
				}
				if err := a.Admin.DeletePublicPortal(ctx, portals.Items[0].ID); err != nil {
					t.Fatal(err)
				}
			},
			Config: a.config(""),
		},
	)
	// Destroyed: nothing is left on the appliance.
	l, err := a.Admin.ListSessionPolicies(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Items) != 0 {
		t.Fatalf("after destroy the appliance still has %d session policies", len(l.Items))
	}
}
