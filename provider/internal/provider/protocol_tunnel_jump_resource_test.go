package provider

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/jumpgate/jumpgate/api"
)

func TestAccProtocolTunnelJump(t *testing.T) {
	a := newAcc(t)
	ctx := context.Background()
	const addr = "jumpgate_protocol_tunnel_jump.db"
	jp, err := a.Admin.CreateJumpPolicy(ctx, &api.JumpPolicy{CodeName: "tunnel-jp", DisplayName: "Tunnel jump policy"})
	if err != nil {
		t.Fatal(err)
	}
	sp, err := a.Admin.CreateSessionPolicy(ctx, &api.SessionPolicy{CodeName: "tunnel-sp", DisplayName: "Tunnel session policy"})
	if err != nil {
		t.Fatal(err)
	}
	me, err := a.Admin.WhoAmI(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// What the item needs: a Jump Group and jumpoints that allow tunnels.
	const base = `
resource "jumpgate_jump_group" "ops" {
  name      = "Operations"
  code_name = "ops"
}
resource "jumpgate_jumpoint" "dc" {
  name                    = "Datacenter"
  code_name               = "dc"
  protocol_tunnel_enabled = true
}
resource "jumpgate_jumpoint" "dc2" {
  name                    = "Datacenter 2"
  code_name               = "dc2"
  protocol_tunnel_enabled = true
}
`
	cfg := func(item string) string { return a.config(base + item) }
	const first = `
resource "jumpgate_protocol_tunnel_jump" "db" {
  name          = "Orders DB"
  jumpoint_id   = jumpgate_jumpoint.dc.id
  jump_group_id = jumpgate_jump_group.ops.id
  hostname      = "db.internal"
  tunnel_definitions = [
    { remote_port = 5432 },
    { local_port = 15433, remote_port = 5433 },
  ]
}
`
	second := fmt.Sprintf(`
resource "jumpgate_protocol_tunnel_jump" "db" {
  name                  = "Orders DB (replica)"
  jumpoint_id           = jumpgate_jumpoint.dc2.id
  jump_group_id         = %d
  jump_group_type       = "personal"
  hostname              = "10.1.2.3"
  tunnel_listen_address = "127.0.0.2"
  tag                   = "databases"
  comments              = "read only"
  jump_policy_id        = %d
  session_policy_id     = %d
  tunnel_definitions = [
    { local_port = 15433, remote_port = 5433 },
    { remote_port = 5432 },
    { local_port = 0, remote_port = 8080 },
  ]
}
`, me.UserID, jp.ID, sp.ID)
	bad := func(body string) string {
		return cfg(second + `
resource "jumpgate_protocol_tunnel_jump" "bad" {
  name          = "bad"
  jumpoint_id   = 1
  jump_group_id = 1
  hostname      = "bad.internal"
` + body + "\n}\n")
	}
	// Two more items, with the same name.
	const others = `
resource "jumpgate_protocol_tunnel_jump" "web" {
  name               = "Intranet"
  jumpoint_id        = jumpgate_jumpoint.dc.id
  jump_group_id      = jumpgate_jump_group.ops.id
  hostname           = "intranet.internal"
  tag                = "web"
  tunnel_definitions = [{ local_port = 8443, remote_port = 443 }]
}
resource "jumpgate_protocol_tunnel_jump" "web2" {
  name               = "Intranet"
  jumpoint_id        = jumpgate_jumpoint.dc2.id
  jump_group_id      = jumpgate_jump_group.ops.id
  hostname           = "intranet2.internal"
  tunnel_definitions = [{ remote_port = 443 }]
}
`
	var id string
	a.test(t,
		resource.TestStep{
			Config: cfg(first),
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrWith(addr, "id", func(v string) error { id = v; return nil }),
				resource.TestCheckResourceAttr(addr, "name", "Orders DB"),
				resource.TestCheckResourceAttrPair(addr, "jumpoint_id", "jumpgate_jumpoint.dc", "id"),
				resource.TestCheckResourceAttrPair(addr, "jump_group_id", "jumpgate_jump_group.ops", "id"),
				resource.TestCheckResourceAttr(addr, "hostname", "db.internal"),
				resource.TestCheckResourceAttr(addr, "tunnel_definitions.#", "2"),
				resource.TestCheckResourceAttr(addr, "tunnel_definitions.0.local_port", "0"),
				resource.TestCheckResourceAttr(addr, "tunnel_definitions.0.remote_port", "5432"),
				resource.TestCheckResourceAttr(addr, "tunnel_definitions.1.local_port", "15433"),
				resource.TestCheckResourceAttr(addr, "tunnel_definitions.1.remote_port", "5433"),
				// The appliance's defaults.
				resource.TestCheckResourceAttr(addr, "tunnel_listen_address", "127.0.0.1"),
				resource.TestCheckResourceAttr(addr, "jump_group_type", "shared"),
				resource.TestCheckResourceAttr(addr, "tag", ""),
				resource.TestCheckResourceAttr(addr, "comments", ""),
				resource.TestCheckNoResourceAttr(addr, "jump_policy_id"),
				resource.TestCheckNoResourceAttr(addr, "session_policy_id"),
			),
		},
		// Import by id and by name.
		resource.TestStep{ResourceName: addr, ImportState: true, ImportStateVerify: true},
		resource.TestStep{ResourceName: addr, ImportState: true, ImportStateVerify: true, ImportStateId: "name=Orders DB"},
		// Update in place, every attribute: another jumpoint, a personal owner, policies, reordered ports.
		resource.TestStep{
			Config: cfg(second),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrWith(addr, "id", sameID(&id)),
				resource.TestCheckResourceAttr(addr, "name", "Orders DB (replica)"),
				resource.TestCheckResourceAttrPair(addr, "jumpoint_id", "jumpgate_jumpoint.dc2", "id"),
				resource.TestCheckResourceAttr(addr, "jump_group_id", strconv.FormatInt(me.UserID, 10)),
				resource.TestCheckResourceAttr(addr, "jump_group_type", "personal"),
				resource.TestCheckResourceAttr(addr, "hostname", "10.1.2.3"),
				resource.TestCheckResourceAttr(addr, "tunnel_listen_address", "127.0.0.2"),
				resource.TestCheckResourceAttr(addr, "tag", "databases"),
				resource.TestCheckResourceAttr(addr, "comments", "read only"),
				resource.TestCheckResourceAttr(addr, "jump_policy_id", strconv.FormatInt(jp.ID, 10)),
				resource.TestCheckResourceAttr(addr, "session_policy_id", strconv.FormatInt(sp.ID, 10)),
				resource.TestCheckResourceAttr(addr, "tunnel_definitions.#", "3"),
				resource.TestCheckResourceAttr(addr, "tunnel_definitions.0.local_port", "15433"),
				resource.TestCheckResourceAttr(addr, "tunnel_definitions.1.local_port", "0"),
				resource.TestCheckResourceAttr(addr, "tunnel_definitions.2.remote_port", "8080"),
				func(*terraform.State) error {
					p, err := a.Admin.GetProtocolTunnelJump(ctx, mustID(t, id))
					if err != nil {
						return err
					}
					if len(p.TunnelDefinitions) != 3 || p.TunnelDefinitions[0] != (api.TunnelDefinition{LocalPort: 15433, RemotePort: 5433}) ||
						p.JumpGroupType != "personal" || p.JumpPolicyID == nil || *p.JumpPolicyID != jp.ID {
						return fmt.Errorf("appliance has %+v", p)
					}
					return nil
				},
			),
		},
		// Plan-time validation, the appliance's rules.
		resource.TestStep{
			Config:      bad(`tunnel_definitions = [{ remote_port = 22 }]` + "\n" + `tunnel_listen_address = "10.0.0.1"`),
			PlanOnly:    true,
			ExpectError: expectError(`"10.0.0.1" must be an IPv4 address in 127.0.0.0/8`),
		},
		resource.TestStep{
			Config:      bad(`tunnel_definitions = [{ remote_port = 22 }]` + "\n" + `tunnel_listen_address = "127.000.0.1"`),
			PlanOnly:    true,
			ExpectError: expectError(`must be an IPv4 address in 127.0.0.0/8`),
		},
		resource.TestStep{
			Config:      bad(`tunnel_definitions = [{ remote_port = 65536 }]`),
			PlanOnly:    true,
			ExpectError: expectError(`65536 must be 1–65535`),
		},
		resource.TestStep{
			Config:      bad(`tunnel_definitions = [{ remote_port = 0 }]`),
			PlanOnly:    true,
			ExpectError: expectError(`0 must be 1–65535`),
		},
		resource.TestStep{
			Config:      bad(`tunnel_definitions = [{ local_port = 70000, remote_port = 22 }]`),
			PlanOnly:    true,
			ExpectError: expectError(`70000 must be 0–65535`),
		},
		resource.TestStep{
			Config:      bad(`tunnel_definitions = []`),
			PlanOnly:    true,
			ExpectError: expectError(`must have 1–100 items`),
		},
		resource.TestStep{
			Config:      bad(`tunnel_definitions = [for p in range(1, 102) : { remote_port = p }]`),
			PlanOnly:    true,
			ExpectError: expectError(`must have 1–100 items`),
		},
		resource.TestStep{
			Config: bad(`tunnel_definitions = [
    { local_port = 2222, remote_port = 22 },
    { remote_port = 80 },
    { remote_port = 81 },
    { local_port = 2222, remote_port = 23 },
  ]`),
			PlanOnly:    true,
			ExpectError: expectError(`tunnel_definitions[3].local_port: port 2222 is already used by tunnel_definitions[0]`),
		},
		resource.TestStep{
			Config:      bad(`tunnel_definitions = [{ remote_port = 22 }]` + "\n" + `jump_group_type = "team"`),
			PlanOnly:    true,
			ExpectError: expectError(`"team" must be one of: shared, personal`),
		},
		resource.TestStep{
			Config:      bad(`tunnel_definitions = [{ remote_port = 22 }]` + "\n" + fmt.Sprintf(`tag = %q`, strings.Repeat("t", 65))),
			PlanOnly:    true,
			ExpectError: expectError(`must be at most 64 characters`),
		},
		resource.TestStep{
			Config: cfg(second + `
resource "jumpgate_protocol_tunnel_jump" "bad" {
  name               = "bad"
  jumpoint_id        = 1
  jump_group_id      = 1
  hostname           = "not a host"
  tunnel_definitions = [{ remote_port = 22 }]
}`),
			PlanOnly:    true,
			ExpectError: expectError(`"not a host" must be a DNS host name or an IP address`),
		},
		resource.TestStep{
			Config: cfg(second) + fmt.Sprintf(`
resource "jumpgate_protocol_tunnel_jump" "bad" {
  name               = %q
  jumpoint_id        = 1
  jump_group_id      = 1
  hostname           = "bad.internal"
  tunnel_definitions = [{ remote_port = 22 }]
}`, string(make129())),
			PlanOnly:    true,
			ExpectError: expectError("must be 1–128 characters"),
		},
		// Rules only the appliance can check arrive as errors on the attribute.
		resource.TestStep{
			Config: cfg(second) + `
resource "jumpgate_jumpoint" "plain" {
  name      = "No tunnels"
  code_name = "plain"
}
resource "jumpgate_protocol_tunnel_jump" "bad" {
  name               = "bad"
  jumpoint_id        = jumpgate_jumpoint.plain.id
  jump_group_id      = jumpgate_jump_group.ops.id
  hostname           = "bad.internal"
  tunnel_definitions = [{ remote_port = 22 }]
}`,
			ExpectError: expectError("does not allow protocol tunnel jumps (protocol_tunnel_enabled is false)"),
		},
		// A jumpoint in use keeps protocol_tunnel_enabled (409).
		resource.TestStep{
			Config: a.config(strings.Replace(base, `code_name               = "dc2"
  protocol_tunnel_enabled = true`, `code_name               = "dc2"
  protocol_tunnel_enabled = false`, 1) + second),
			ExpectError: expectError(`jumpoint "dc2" still serves 1 protocol tunnel jump;`),
		},
		// Drift: changes made outside Terraform are planned back.
		resource.TestStep{
			PreConfig: func() {
				if _, err := a.Admin.PatchProtocolTunnelJump(ctx, mustID(t, id), map[string]any{
					"tag": "by hand", "tunnel_definitions": []map[string]any{{"local_port": 1, "remote_port": 2}}, "session_policy_id": nil,
				}); err != nil {
					t.Fatal(err)
				}
			},
			Config: cfg(second),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrWith(addr, "id", sameID(&id)),
				resource.TestCheckResourceAttr(addr, "tag", "databases"),
				resource.TestCheckResourceAttr(addr, "tunnel_definitions.#", "3"),
				resource.TestCheckResourceAttr(addr, "session_policy_id", strconv.FormatInt(sp.ID, 10)),
			),
		},
		// Deleted outside Terraform: recreated, not an error.
		resource.TestStep{
			PreConfig: func() {
				if err := a.Admin.DeleteProtocolTunnelJump(ctx, mustID(t, id)); err != nil {
					t.Fatal(err)
				}
			},
			Config: cfg(second),
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
			Config: cfg(second + others + `
data "jumpgate_protocol_tunnel_jump" "by_name" {
  name = jumpgate_protocol_tunnel_jump.db.name
}
data "jumpgate_protocol_tunnel_jump" "by_id" {
  id = jumpgate_protocol_tunnel_jump.web.id
}
data "jumpgate_protocol_tunnel_jumps" "all" {
  depends_on = [jumpgate_protocol_tunnel_jump.db, jumpgate_protocol_tunnel_jump.web, jumpgate_protocol_tunnel_jump.web2]
}
data "jumpgate_protocol_tunnel_jumps" "through_dc2" {
  jumpoint_id = jumpgate_jumpoint.dc2.id
  depends_on  = [jumpgate_protocol_tunnel_jump.db, jumpgate_protocol_tunnel_jump.web, jumpgate_protocol_tunnel_jump.web2]
}
data "jumpgate_protocol_tunnel_jumps" "web_shared" {
  tag             = "web"
  jump_group_type = "shared"
  jump_group_id   = jumpgate_jump_group.ops.id
  depends_on      = [jumpgate_protocol_tunnel_jump.db, jumpgate_protocol_tunnel_jump.web, jumpgate_protocol_tunnel_jump.web2]
}
`),
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrPair("data.jumpgate_protocol_tunnel_jump.by_name", "id", addr, "id"),
				resource.TestCheckResourceAttr("data.jumpgate_protocol_tunnel_jump.by_name", "tunnel_definitions.0.local_port", "15433"),
				resource.TestCheckResourceAttr("data.jumpgate_protocol_tunnel_jump.by_name", "jump_policy_id", strconv.FormatInt(jp.ID, 10)),
				resource.TestCheckResourceAttr("data.jumpgate_protocol_tunnel_jump.by_id", "hostname", "intranet.internal"),
				resource.TestCheckResourceAttr("data.jumpgate_protocol_tunnel_jump.by_id", "tunnel_definitions.0.remote_port", "443"),
				resource.TestCheckNoResourceAttr("data.jumpgate_protocol_tunnel_jump.by_id", "jump_policy_id"),
				resource.TestCheckResourceAttr("data.jumpgate_protocol_tunnel_jumps.all", "items.#", "3"),
				resource.TestCheckResourceAttr("data.jumpgate_protocol_tunnel_jumps.through_dc2", "items.#", "2"),
				resource.TestCheckResourceAttr("data.jumpgate_protocol_tunnel_jumps.web_shared", "items.#", "1"),
				resource.TestCheckResourceAttr("data.jumpgate_protocol_tunnel_jumps.web_shared", "items.0.hostname", "intranet.internal"),
			),
		},
		// A name two items share is ambiguous.
		resource.TestStep{
			Config: cfg(second + others + `
data "jumpgate_protocol_tunnel_jump" "ambiguous" {
  name = "Intranet"
}`),
			ExpectError: expectError(`2 objects of type Protocol Tunnel Jump match name = "Intranet"`),
		},
		resource.TestStep{Config: cfg(second)},
	)
	// Destroyed: nothing is left on the appliance.
	l, err := a.Admin.ListProtocolTunnelJumps(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	js, err := a.Admin.ListJumpoints(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Items) != 0 || len(js.Items) != 0 {
		t.Fatalf("after destroy the appliance still has %d protocol tunnel jumps and %d jumpoints", len(l.Items), len(js.Items))
	}
}
