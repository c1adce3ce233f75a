package provider

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/jumpgate/jumpgate/api"
)

func TestAccPublicPortal(t *testing.T) {
	a := newAcc(t)
	ctx := context.Background()
	const addr = "jumpgate_public_portal.support"
	sp, err := a.Admin.CreateSessionPolicy(ctx, &api.SessionPolicy{CodeName: "portal-sp", DisplayName: "Portal session policy"})
	if err != nil {
		t.Fatal(err)
	}
	first := a.config(`
resource "jumpgate_public_portal" "support" {
  hostname     = "support.example.com"
  display_name = "Support"
}
`)
	second := func(isDefault bool) string {
		return fmt.Sprintf(`
resource "jumpgate_public_portal" "support" {
  hostname           = "help.example.com"
  display_name       = "Help desk"
  default            = %t
  automatic_behavior = "accept"
  session_policy_id  = %d
}
`, isDefault, sp.ID)
	}
	badHost := func(host string) string {
		return a.config(second(true) + fmt.Sprintf(`
resource "jumpgate_public_portal" "bad" {
  hostname     = %q
  display_name = "bad"
}`, host))
	}
	// Another portal that takes over as the default: it depends on the
	// first, so the first is unset before it is set.
	const otherDefault = `
resource "jumpgate_public_portal" "other" {
  hostname     = "other.example.com"
  display_name = "Other"
  default      = true
  depends_on   = [jumpgate_public_portal.support]
}
`
	var id string
	a.test(t,
		resource.TestStep{
			Config: first,
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrWith(addr, "id", func(v string) error { id = v; return nil }),
				resource.TestCheckResourceAttr(addr, "hostname", "support.example.com"),
				resource.TestCheckResourceAttr(addr, "display_name", "Support"),
				// The appliance's defaults.
				resource.TestCheckResourceAttr(addr, "default", "false"),
				resource.TestCheckResourceAttr(addr, "automatic_behavior", "reject"),
				resource.TestCheckNoResourceAttr(addr, "session_policy_id"),
			),
		},
		// Import by id and by host name.
		resource.TestStep{ResourceName: addr, ImportState: true, ImportStateVerify: true},
		resource.TestStep{ResourceName: addr, ImportState: true, ImportStateVerify: true, ImportStateId: "hostname=support.example.com"},
		// Update in place, every attribute.
		resource.TestStep{
			Config: a.config(second(true)),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrWith(addr, "id", sameID(&id)),
				resource.TestCheckResourceAttr(addr, "hostname", "help.example.com"),
				resource.TestCheckResourceAttr(addr, "display_name", "Help desk"),
				resource.TestCheckResourceAttr(addr, "default", "true"),
				resource.TestCheckResourceAttr(addr, "automatic_behavior", "accept"),
				resource.TestCheckResourceAttr(addr, "session_policy_id", strconv.FormatInt(sp.ID, 10)),
				func(*terraform.State) error {
					p, err := a.Admin.GetPublicPortal(ctx, mustID(t, id))
					if err != nil {
						return err
					}
					if !p.Default || p.Hostname != "help.example.com" || p.SessionPolicyID == nil || *p.SessionPolicyID != sp.ID {
						return fmt.Errorf("appliance has %+v", p)
					}
					return nil
				},
			),
		},
		// Plan-time validation: host names as the appliance stores them, and the enums.
		resource.TestStep{
			Config:      badHost("Portal.Example.com"),
			PlanOnly:    true,
			ExpectError: expectError(`must be in lower case (the appliance stores host names in lower case): use "portal.example.com"`),
		},
		resource.TestStep{
			Config:      badHost("portal.example.com."),
			PlanOnly:    true,
			ExpectError: expectError(`must not end with a dot (the appliance stores host names without it): use "portal.example.com"`),
		},
		resource.TestStep{
			Config:      badHost("not a host"),
			PlanOnly:    true,
			ExpectError: expectError(`"not a host" must be a DNS host name or an IP address`),
		},
		resource.TestStep{
			Config: a.config(second(true) + `
resource "jumpgate_public_portal" "bad" {
  hostname           = "bad.example.com"
  display_name       = "bad"
  automatic_behavior = "ask"
}`),
			PlanOnly:    true,
			ExpectError: expectError(`"ask" must be one of: accept, reject`),
		},
		resource.TestStep{
			Config: a.config(second(true) + fmt.Sprintf(`
resource "jumpgate_public_portal" "bad" {
  hostname     = "bad.example.com"
  display_name = %q
}`, string(make129()))),
			PlanOnly:    true,
			ExpectError: expectError("must be 1–128 characters"),
		},
		// At most one default portal: the appliance refuses a second one (409).
		resource.TestStep{
			Config: a.config(second(true) + `
resource "jumpgate_public_portal" "other" {
  hostname     = "other.example.com"
  display_name = "Other"
  default      = true
}`),
			ExpectError: regexp.MustCompile(`Cannot create the Public Portal(.|\n)*` +
				expectError(`409 conflict: public portal "help.example.com" is already the default; unset it first`).String()),
		},
		// Host names are unique (409).
		resource.TestStep{
			Config: a.config(second(true) + `
resource "jumpgate_public_portal" "other" {
  hostname     = "help.example.com"
  display_name = "Other"
}`),
			ExpectError: expectError(`a public portal with hostname "help.example.com" already exists`),
		},
		// Moving the default in one apply: the new default depends on the old one.
		resource.TestStep{
			Config: a.config(second(false) + otherDefault),
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrWith(addr, "id", sameID(&id)),
				resource.TestCheckResourceAttr(addr, "default", "false"),
				resource.TestCheckResourceAttr("jumpgate_public_portal.other", "default", "true"),
			),
		},
		// Drift: changes made outside Terraform are planned back.
		resource.TestStep{
			PreConfig: func() {
				if _, err := a.Admin.PatchPublicPortal(ctx, mustID(t, id), map[string]any{
					"display_name": "by hand", "automatic_behavior": "reject", "session_policy_id": nil,
				}); err != nil {
					t.Fatal(err)
				}
			},
			Config: a.config(second(false) + otherDefault),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrWith(addr, "id", sameID(&id)),
				resource.TestCheckResourceAttr(addr, "display_name", "Help desk"),
				resource.TestCheckResourceAttr(addr, "automatic_behavior", "accept"),
				resource.TestCheckResourceAttr(addr, "session_policy_id", strconv.FormatInt(sp.ID, 10)),
			),
		},
		// Deleted outside Terraform: recreated, not an error.
		resource.TestStep{
			PreConfig: func() {
				if err := a.Admin.DeletePublicPortal(ctx, mustID(t, id)); err != nil {
					t.Fatal(err)
				}
			},
			Config: a.config(second(false) + otherDefault),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(addr, plancheck.ResourceActionCreate),
			}},
			Check: resource.TestCheckResourceAttrWith(addr, "id", func(v string) error {
				if v == id {
					return fmt.Errorf("id %s was not renewed", v)
				}
				return nil
			}),
		},
		// The data sources.
		resource.TestStep{
			Config: a.config(second(false) + otherDefault + `
data "jumpgate_public_portal" "by_host" {
  hostname = jumpgate_public_portal.support.hostname
}
data "jumpgate_public_portal" "by_id" {
  id = jumpgate_public_portal.other.id
}
data "jumpgate_public_portals" "all" {
  depends_on = [jumpgate_public_portal.support, jumpgate_public_portal.other]
}
data "jumpgate_public_portals" "default" {
  default    = true
  depends_on = [jumpgate_public_portal.support, jumpgate_public_portal.other]
}
data "jumpgate_public_portals" "by_host" {
  hostname   = "other.example.com"
  depends_on = [jumpgate_public_portal.support, jumpgate_public_portal.other]
}
`),
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrPair("data.jumpgate_public_portal.by_host", "id", addr, "id"),
				resource.TestCheckResourceAttr("data.jumpgate_public_portal.by_host", "display_name", "Help desk"),
				resource.TestCheckResourceAttr("data.jumpgate_public_portal.by_host", "session_policy_id", strconv.FormatInt(sp.ID, 10)),
				resource.TestCheckResourceAttr("data.jumpgate_public_portal.by_id", "hostname", "other.example.com"),
				resource.TestCheckResourceAttr("data.jumpgate_public_portal.by_id", "default", "true"),
				resource.TestCheckResourceAttr("data.jumpgate_public_portals.all", "items.#", "2"),
				resource.TestCheckResourceAttr("data.jumpgate_public_portals.default", "items.#", "1"),
				resource.TestCheckResourceAttr("data.jumpgate_public_portals.default", "items.0.hostname", "other.example.com"),
				resource.TestCheckResourceAttr("data.jumpgate_public_portals.by_host", "items.#", "1"),
				resource.TestCheckResourceAttr("data.jumpgate_public_portals.by_host", "items.0.display_name", "Other"),
			),
		},
		resource.TestStep{
			Config: a.config(second(false) + otherDefault + `
data "jumpgate_public_portal" "none" {
  hostname = "nope.example.com"
}`),
			ExpectError: expectError(`No Public Portal matches hostname = "nope.example.com"`),
		},
		resource.TestStep{Config: a.config(second(false) + otherDefault)},
	)
	// Destroyed: nothing is left on the appliance.
	l, err := a.Admin.ListPublicPortals(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Items) != 0 {
		t.Fatalf("after destroy the appliance still has %d public portals", len(l.Items))
	}
}
