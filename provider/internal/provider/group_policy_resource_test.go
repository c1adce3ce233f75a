package provider

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/jumpgate/jumpgate/api"
)

func TestAccGroupPolicy(t *testing.T) {
	a := newAcc(t)
	ctx := context.Background()
	const addr = "jumpgate_group_policy.dba"
	jp, err := a.Admin.CreateJumpPolicy(ctx, &api.JumpPolicy{DisplayName: "Night", CodeName: "night"})
	if err != nil {
		t.Fatal(err)
	}
	base := `
resource "jumpgate_user" "u1" {
  username = "u1"
}
resource "jumpgate_user" "u2" {
  username = "u2"
}
resource "jumpgate_jump_group" "jg1" {
  name      = "JG1"
  code_name = "jg1"
}
resource "jumpgate_jump_group" "jg2" {
  name      = "JG2"
  code_name = "jg2"
}
`
	cfg := func(body string, extra ...string) string {
		s := a.config(base + `
resource "jumpgate_group_policy" "dba" {
` + body + `
}
`)
		for _, e := range extra {
			s += e
		}
		return s
	}
	first := cfg(fmt.Sprintf(`
  name        = "DBA"
  description = "Database admins"
  members     = [jumpgate_user.u1.id]
  jump_groups = [
    { jump_group_id = jumpgate_jump_group.jg1.id, role = "start" },
    { jump_group_id = jumpgate_jump_group.jg2.id, role = "view", jump_policy_id = %d },
  ]`, jp.ID))
	updated := cfg(`
  name        = "DBAs"
  members     = [jumpgate_user.u1.id, jumpgate_user.u2.id]
  jump_groups = [{ jump_group_id = jumpgate_jump_group.jg1.id, role = "edit" }]`)
	unmanaged := cfg(`
  name = "DBAs"`)
	unmanagedDesc := cfg(`
  name        = "DBAs"
  description = "kept relations"`)
	jg3 := `
resource "jumpgate_jump_group" "jg3" {
  name        = "JG3"
  code_name   = "jg3"
  memberships = [{ group_policy_id = jumpgate_group_policy.dba.id, role = "view" }]
}
`
	cleared := cfg(`
  name        = "DBAs"
  members     = []
  jump_groups = []`)
	oneMember := cfg(`
  name        = "DBAs"
  members     = [jumpgate_user.u1.id]
  jump_groups = []`)
	var id string
	a.test(t,
		resource.TestStep{
			Config: first,
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrWith(addr, "id", func(v string) error { id = v; return nil }),
				resource.TestCheckResourceAttr(addr, "name", "DBA"),
				resource.TestCheckResourceAttr(addr, "description", "Database admins"),
				resource.TestCheckResourceAttr(addr, "members.#", "1"),
				resource.TestCheckTypeSetElemAttrPair(addr, "members.*", "jumpgate_user.u1", "id"),
				resource.TestCheckResourceAttr(addr, "jump_groups.#", "2"),
				resource.TestCheckTypeSetElemNestedAttrs(addr, "jump_groups.*", map[string]string{"role": "start"}),
				resource.TestCheckTypeSetElemNestedAttrs(addr, "jump_groups.*", map[string]string{"role": "view", "jump_policy_id": strconv.FormatInt(jp.ID, 10)}),
				// The other side of the relation.
				a.checkMemberships("jumpgate_jump_group.jg1", &id, "start"),
				a.checkMemberships("jumpgate_jump_group.jg2", &id, "view"),
			),
		},
		// Import by id and by name.
		resource.TestStep{ResourceName: addr, ImportState: true, ImportStateVerify: true},
		resource.TestStep{ResourceName: addr, ImportState: true, ImportStateVerify: true, ImportStateId: "name=DBA"},
		// Update in place.
		resource.TestStep{
			Config: updated,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrWith(addr, "id", sameID(&id)),
				resource.TestCheckResourceAttr(addr, "name", "DBAs"),
				resource.TestCheckResourceAttr(addr, "description", ""),
				resource.TestCheckResourceAttr(addr, "members.#", "2"),
				resource.TestCheckResourceAttr(addr, "jump_groups.#", "1"),
				resource.TestCheckTypeSetElemNestedAttrs(addr, "jump_groups.*", map[string]string{"role": "edit"}),
				a.checkMemberships("jumpgate_jump_group.jg1", &id, "edit"),
				a.checkMemberships("jumpgate_jump_group.jg2", &id),
			),
		},
		// Left out: not managed, kept and shown, nothing to do.
		resource.TestStep{
			Config: unmanaged,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(addr, plancheck.ResourceActionNoop),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr(addr, "members.#", "2"),
				resource.TestCheckResourceAttr(addr, "jump_groups.#", "1"),
			),
		},
		// Declared on the Jump Group side instead: no diff on this side.
		resource.TestStep{
			Config: unmanaged + jg3,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(addr, plancheck.ResourceActionNoop),
				plancheck.ExpectResourceAction("jumpgate_jump_group.jg3", plancheck.ResourceActionCreate),
			}},
			Check: a.checkMemberships("jumpgate_jump_group.jg3", &id, "view"),
		},
		// An update of this side leaves the unmanaged relations alone.
		resource.TestStep{
			Config: unmanagedDesc + jg3,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrWith(addr, "id", sameID(&id)),
				resource.TestCheckResourceAttr(addr, "description", "kept relations"),
				resource.TestCheckResourceAttr(addr, "members.#", "2"),
				resource.TestCheckResourceAttr(addr, "jump_groups.#", "2"),
				resource.TestCheckTypeSetElemNestedAttrs(addr, "jump_groups.*", map[string]string{"role": "view"}),
				a.checkMemberships("jumpgate_jump_group.jg3", &id, "view"),
				a.checkMemberships("jumpgate_jump_group.jg1", &id, "edit"),
			),
		},
		// A Jump Group holding a membership is destroyed (first) while this
		// side is updated: the deletion moves this policy's version, and the
		// update still goes through, with the relation planned as unknown.
		resource.TestStep{
			Config: unmanaged,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
				plancheck.ExpectResourceAction("jumpgate_jump_group.jg3", plancheck.ResourceActionDestroy),
				plancheck.ExpectUnknownValue(addr, tfjsonpath.New("jump_groups")),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrWith(addr, "id", sameID(&id)),
				resource.TestCheckResourceAttr(addr, "description", ""),
				resource.TestCheckResourceAttr(addr, "members.#", "2"),
				resource.TestCheckResourceAttr(addr, "jump_groups.#", "1"),
			),
		},
		// [] clears both relations.
		resource.TestStep{
			Config: cleared,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrWith(addr, "id", sameID(&id)),
				resource.TestCheckResourceAttr(addr, "members.#", "0"),
				resource.TestCheckResourceAttr(addr, "jump_groups.#", "0"),
				a.checkMemberships("jumpgate_jump_group.jg1", &id),
				func(*terraform.State) error {
					gp, err := a.Admin.GetGroupPolicy(ctx, mustID(t, id))
					if err != nil {
						return err
					}
					if len(gp.Members) != 0 || len(gp.JumpGroups) != 0 {
						return fmt.Errorf("after [] the group policy still has members %v and jump groups %v", gp.Members, gp.JumpGroups)
					}
					return nil
				},
			),
		},
		// Plan-time validation, the appliance's rules.
		resource.TestStep{
			Config: cleared + `
resource "jumpgate_group_policy" "bad" {
  name        = "bad"
  jump_groups = [
    { jump_group_id = 7, role = "view" },
    { jump_group_id = 7, role = "edit" },
  ]
}`,
			PlanOnly:    true,
			ExpectError: expectError("Jump Group 7 is listed more than once"),
		},
		resource.TestStep{
			Config: cleared + `
resource "jumpgate_group_policy" "bad" {
  name        = "bad"
  jump_groups = [{ jump_group_id = 7, role = "admin" }]
}`,
			PlanOnly:    true,
			ExpectError: expectError(`must be one of: view, start, edit`),
		},
		resource.TestStep{
			Config: cleared + fmt.Sprintf(`
resource "jumpgate_group_policy" "bad" {
  name = %q
}`, string(make129())),
			PlanOnly:    true,
			ExpectError: expectError("must be 1–128 characters"),
		},
		// Drift: changes made outside Terraform are planned back, managed
		// relations included.
		resource.TestStep{Config: oneMember},
		resource.TestStep{
			PreConfig: func() {
				if _, err := a.Admin.PatchGroupPolicy(ctx, mustID(t, id), map[string]any{"description": "by hand", "members": []int64{}}); err != nil {
					t.Fatal(err)
				}
			},
			Config: oneMember,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr(addr, "description", ""),
				resource.TestCheckResourceAttr(addr, "members.#", "1"),
			),
		},
		// Deleted outside Terraform: recreated.
		resource.TestStep{
			PreConfig: func() {
				if err := a.Admin.DeleteGroupPolicy(ctx, mustID(t, id)); err != nil {
					t.Fatal(err)
				}
			},
			Config: oneMember,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(addr, plancheck.ResourceActionCreate),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrWith(addr, "id", func(v string) error {
					if v == id {
						return fmt.Errorf("id %s was not renewed", v)
					}
					return nil
				}),
				resource.TestCheckResourceAttr(addr, "members.#", "1"),
			),
		},
		// The data sources.
		resource.TestStep{
			Config: oneMember + `
resource "jumpgate_group_policy" "other" {
  name        = "Other"
  jump_groups = [{ jump_group_id = jumpgate_jump_group.jg2.id, role = "start" }]
}
data "jumpgate_group_policy" "by_name" {
  name = jumpgate_group_policy.dba.name
}
data "jumpgate_group_policy" "by_id" {
  id = jumpgate_group_policy.other.id
}
data "jumpgate_group_policies" "all" {
  depends_on = [jumpgate_group_policy.dba, jumpgate_group_policy.other]
}
data "jumpgate_group_policies" "named" {
  name       = "Other"
  depends_on = [jumpgate_group_policy.other]
}
`,
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrPair("data.jumpgate_group_policy.by_name", "id", addr, "id"),
				resource.TestCheckResourceAttr("data.jumpgate_group_policy.by_name", "members.#", "1"),
				resource.TestCheckTypeSetElemAttrPair("data.jumpgate_group_policy.by_name", "members.*", "jumpgate_user.u1", "id"),
				resource.TestCheckResourceAttr("data.jumpgate_group_policy.by_id", "name", "Other"),
				resource.TestCheckResourceAttr("data.jumpgate_group_policy.by_id", "jump_groups.#", "1"),
				resource.TestCheckResourceAttr("data.jumpgate_group_policy.by_id", "jump_groups.0.role", "start"),
				resource.TestCheckResourceAttr("data.jumpgate_group_policies.all", "items.#", "2"),
				resource.TestCheckResourceAttr("data.jumpgate_group_policies.named", "items.#", "1"),
				resource.TestCheckResourceAttr("data.jumpgate_group_policies.named", "items.0.name", "Other"),
			),
		},
		resource.TestStep{
			Config: oneMember + `
data "jumpgate_group_policy" "none" {
  name = "nope"
}`,
			ExpectError: expectError(`No Group Policy matches name = "nope"`),
		},
		resource.TestStep{Config: oneMember},
	)
	// Destroyed: nothing is left on the appliance.
	l, err := a.Admin.ListGroupPolicies(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Items) != 0 {
		t.Fatalf("after destroy the appliance still has %d group policies", len(l.Items))
	}
}

// checkMemberships checks, through the API, the memberships of the Jump
// Group at jumpGroupAddr: the group policy *gpID has exactly the given
// roles (none when roles is empty).
func (a *acc) checkMemberships(jumpGroupAddr string, gpID *string, roles ...string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		rs, ok := s.RootModule().Resources[jumpGroupAddr]
		if !ok {
			return fmt.Errorf("%s is not in the state", jumpGroupAddr)
		}
		jgID, err := strconv.ParseInt(rs.Primary.ID, 10, 64)
		if err != nil {
			return err
		}
		gp, err := strconv.ParseInt(*gpID, 10, 64)
		if err != nil {
			return err
		}
		jg, err := a.Admin.GetJumpGroup(context.Background(), jgID)
		if err != nil {
			return err
		}
		var got []string
		for _, m := range jg.Memberships {
			if m.GroupPolicyID == gp {
				got = append(got, m.Role)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(roles) {
			return fmt.Errorf("%s: group policy %d has roles %v, want %v", jumpGroupAddr, gp, got, roles)
		}
		return nil
	}
}
