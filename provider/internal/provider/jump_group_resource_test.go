package provider

import (
	"context"
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
)

func TestAccJumpGroup(t *testing.T) {
	a := newAcc(t)
	ctx := context.Background()
	const addr = "jumpgate_jump_group.ops"
	cfg := func(name, comments string) string {
		return a.config(fmt.Sprintf(`
resource "jumpgate_jump_group" "ops" {
  name      = %q
  code_name = "ops"
  comments  = %q
}
`, name, comments))
	}
	var id string
	a.test(t,
		resource.TestStep{
			Config: cfg("Operations", "first"),
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr(addr, "name", "Operations"),
				resource.TestCheckResourceAttr(addr, "code_name", "ops"),
				resource.TestCheckResourceAttr(addr, "comments", "first"),
				resource.TestCheckResourceAttr(addr, "memberships.#", "0"),
				resource.TestCheckResourceAttrWith(addr, "id", func(v string) error { id = v; return nil }),
			),
		},
		// Import by id and by code name.
		resource.TestStep{ResourceName: addr, ImportState: true, ImportStateVerify: true},
		resource.TestStep{ResourceName: addr, ImportState: true, ImportStateVerify: true, ImportStateId: "code_name=ops"},
		// Update in place.
		resource.TestStep{
			Config: cfg("Operations team", ""),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr(addr, "name", "Operations team"),
				resource.TestCheckResourceAttr(addr, "comments", ""),
				resource.TestCheckResourceAttrWith(addr, "id", sameID(&id)),
			),
		},
		// Plan-time validation, the appliance's rules.
		resource.TestStep{
			Config: cfg("Operations team", "") + `
resource "jumpgate_jump_group" "bad" {
  name      = "x"
  code_name = "-bad code"
}`,
			PlanOnly:    true,
			ExpectError: expectError("must be 1–64 letters, digits"),
		},
		resource.TestStep{
			Config: cfg("Operations team", "") + fmt.Sprintf(`
resource "jumpgate_jump_group" "bad" {
  name      = %q
  code_name = "b"
}`, string(make129())),
			PlanOnly:    true,
			ExpectError: expectError("must be 1–128 characters"),
		},
		// Drift: a change made outside Terraform is planned back.
		resource.TestStep{
			PreConfig: func() {
				n := mustID(t, id)
				if _, err := a.Admin.PatchJumpGroup(ctx, n, map[string]any{"name": "changed by hand"}); err != nil {
					t.Fatal(err)
				}
			},
			Config: cfg("Operations team", ""),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
			}},
			Check: resource.TestCheckResourceAttr(addr, "name", "Operations team"),
		},
		// Deleted outside Terraform: recreated, not an error.
		resource.TestStep{
			PreConfig: func() {
				if err := a.Admin.DeleteJumpGroup(ctx, mustID(t, id)); err != nil {
					t.Fatal(err)
				}
			},
			Config: cfg("Operations team", ""),
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
			Config: cfg("Operations team", "") + `
resource "jumpgate_jump_group" "other" {
  name      = "Other"
  code_name = "other"
}
data "jumpgate_jump_group" "by_code" {
  code_name  = jumpgate_jump_group.ops.code_name
}
data "jumpgate_jump_group" "by_id" {
  id = jumpgate_jump_group.other.id
}
data "jumpgate_jump_groups" "all" {
  depends_on = [jumpgate_jump_group.ops, jumpgate_jump_group.other]
}
data "jumpgate_jump_groups" "named" {
  name       = "Other"
  depends_on = [jumpgate_jump_group.other]
}
`,
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrPair("data.jumpgate_jump_group.by_code", "id", addr, "id"),
				resource.TestCheckResourceAttr("data.jumpgate_jump_group.by_code", "name", "Operations team"),
				resource.TestCheckResourceAttr("data.jumpgate_jump_group.by_id", "code_name", "other"),
				resource.TestCheckResourceAttr("data.jumpgate_jump_groups.all", "items.#", "2"),
				resource.TestCheckResourceAttr("data.jumpgate_jump_groups.named", "items.#", "1"),
				resource.TestCheckResourceAttr("data.jumpgate_jump_groups.named", "items.0.code_name", "other"),
			),
		},
		resource.TestStep{
			Config: cfg("Operations team", "") + `
data "jumpgate_jump_group" "none" {
  code_name = "nope"
}`,
			ExpectError: expectError(`No Jump Group matches code_name = "nope"`),
		},
		resource.TestStep{Config: cfg("Operations team", "")},
	)
	// Destroyed: nothing is left on the appliance.
	l, err := a.Admin.ListJumpGroups(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Items) != 0 {
		t.Fatalf("after destroy the appliance still has %d jump groups", len(l.Items))
	}
}

// sameID checks that an id attribute kept its value (an in-place update).
func sameID(id *string) resource.CheckResourceAttrWithFunc {
	return func(v string) error {
		if v != *id {
			return fmt.Errorf("id changed from %s to %s: the resource was replaced", *id, v)
		}
		return nil
	}
}

func mustID(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil || n <= 0 {
		t.Fatalf("bad id %q", s)
	}
	return n
}

func make129() []byte {
	b := make([]byte, 129)
	for i := range b {
		b[i] = 'x'
	}
	return b
}
