package provider

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

func TestAccJumpoint(t *testing.T) {
	a := newAcc(t)
	ctx := context.Background()
	const addr = "jumpgate_jumpoint.dc"
	minimal := func(name, codeName string) string {
		return a.config(fmt.Sprintf(`
resource "jumpgate_jumpoint" "dc" {
  name      = %q
  code_name = %q
}
`, name, codeName))
	}
	full := func(name, comments string) string {
		return a.config(fmt.Sprintf(`
resource "jumpgate_jumpoint" "dc" {
  name                    = %q
  code_name               = "dc-east"
  platform                = "windows-amd64"
  clustered               = true
  shell_jump_enabled      = true
  protocol_tunnel_enabled = true
  comments                = %q
  jump_zone_proxy = {
    enabled              = true
    hostname             = "proxy.example.com"
    allowed_client_cidrs = ["10.0.0.0/8", "192.168.1.7/24", "fd00::/8"]
  }
}
`, name, comments))
	}
	var id string
	a.test(t,
		resource.TestStep{
			Config: minimal("Datacenter", "dc1"),
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrWith(addr, "id", func(v string) error { id = v; return nil }),
				resource.TestCheckResourceAttr(addr, "name", "Datacenter"),
				resource.TestCheckResourceAttr(addr, "code_name", "dc1"),
				// The appliance's defaults.
				resource.TestCheckResourceAttr(addr, "platform", "linux-amd64"),
				resource.TestCheckResourceAttr(addr, "enabled", "true"),
				resource.TestCheckResourceAttr(addr, "clustered", "false"),
				resource.TestCheckResourceAttr(addr, "shell_jump_enabled", "false"),
				resource.TestCheckResourceAttr(addr, "protocol_tunnel_enabled", "false"),
				resource.TestCheckResourceAttr(addr, "comments", ""),
				resource.TestCheckResourceAttr(addr, "jump_zone_proxy.enabled", "false"),
				resource.TestCheckResourceAttr(addr, "jump_zone_proxy.hostname", ""),
				resource.TestCheckResourceAttr(addr, "jump_zone_proxy.port", "8443"),
				resource.TestCheckResourceAttr(addr, "jump_zone_proxy.allowed_client_cidrs.#", "0"),
				resource.TestCheckResourceAttr(addr, "connected", "false"),
				resource.TestCheckResourceAttr(addr, "connected_nodes.#", "0"),
				// One installer per platform, named by the code name.
				resource.TestCheckResourceAttr(addr, "downloads.#", "6"),
				resource.TestCheckResourceAttr(addr, "downloads.0.platform", "linux-amd64"),
				resource.TestCheckResourceAttr(addr, "downloads.0.file_name", "jumpgate-jumpoint-dc1-linux-amd64.bin"),
				resource.TestCheckResourceAttr(addr, "downloads.5.platform", "windows-amd64"),
				resource.TestCheckResourceAttr(addr, "downloads.5.file_name", "jumpgate-jumpoint-dc1-windows-amd64.exe"),
				func(s *terraform.State) error {
					attrs := s.RootModule().Resources[addr].Primary.Attributes
					url := fmt.Sprintf("%s/api/v1/jumpoints/%s/download/linux-amd64", a.srv.URL, id)
					if attrs["downloads.0.url"] != url {
						return fmt.Errorf("downloads.0.url = %q, want %q", attrs["downloads.0.url"], url)
					}
					want := `curl -fSL --cacert "$JUMPGATE_CA_CERT" -H "Authorization: Bearer $JUMPGATE_TOKEN" -o jumpgate-jumpoint-dc1-linux-amd64.bin '` + url + `'`
					if attrs["downloads.0.command"] != want {
						return fmt.Errorf("downloads.0.command = %q, want %q", attrs["downloads.0.command"], want)
					}
					if c := attrs["downloads.5.command"]; !strings.HasPrefix(c, `curl.exe -fSL --cacert "$env:JUMPGATE_CA_CERT"`) ||
						!strings.Contains(c, `-o jumpgate-jumpoint-dc1-windows-amd64.exe "`+a.srv.URL+"/api/v1/jumpoints/"+id+`/download/windows-amd64"`) {
						return fmt.Errorf("downloads.5.command = %q", c)
					}
					return nil
				},
				// The URL reaches this jumpoint's download route: the test
				// appliance has no agent builds, so it answers 503 (an
				// unknown jumpoint or platform would be 404).
				a.checkDownloadStatus(t, addr, "downloads.0.url", http.StatusServiceUnavailable),
			),
		},
		// Import by id and by code name.
		resource.TestStep{ResourceName: addr, ImportState: true, ImportStateVerify: true},
		resource.TestStep{ResourceName: addr, ImportState: true, ImportStateVerify: true, ImportStateId: "code_name=dc1"},
		// Update in place, every attribute; the downloads follow the new code name.
		resource.TestStep{
			Config: full("Datacenter East", "first"),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrWith(addr, "id", sameID(&id)),
				resource.TestCheckResourceAttr(addr, "name", "Datacenter East"),
				resource.TestCheckResourceAttr(addr, "code_name", "dc-east"),
				resource.TestCheckResourceAttr(addr, "platform", "windows-amd64"),
				resource.TestCheckResourceAttr(addr, "clustered", "true"),
				resource.TestCheckResourceAttr(addr, "shell_jump_enabled", "true"),
				resource.TestCheckResourceAttr(addr, "protocol_tunnel_enabled", "true"),
				resource.TestCheckResourceAttr(addr, "comments", "first"),
				resource.TestCheckResourceAttr(addr, "jump_zone_proxy.enabled", "true"),
				resource.TestCheckResourceAttr(addr, "jump_zone_proxy.hostname", "proxy.example.com"),
				resource.TestCheckResourceAttr(addr, "jump_zone_proxy.port", "8443"),
				resource.TestCheckResourceAttr(addr, "jump_zone_proxy.allowed_client_cidrs.#", "3"),
				resource.TestCheckTypeSetElemAttr(addr, "jump_zone_proxy.allowed_client_cidrs.*", "192.168.1.7/24"),
				resource.TestCheckResourceAttr(addr, "downloads.0.file_name", "jumpgate-jumpoint-dc-east-linux-amd64.bin"),
				resource.TestCheckResourceAttr(addr, "downloads.5.file_name", "jumpgate-jumpoint-dc-east-windows-amd64.exe"),
				func(*terraform.State) error {
					j, err := a.Admin.GetJumpoint(ctx, mustID(t, id))
					if err != nil {
						return err
					}
					if j.Platform != "windows-amd64" || !j.JumpZoneProxy.Enabled || j.JumpZoneProxy.Port != 8443 || len(j.JumpZoneProxy.AllowedClientCIDRs) != 3 {
						return fmt.Errorf("appliance has %+v", j)
					}
					return nil
				},
			),
		},
		// The proxy back off with a port of its own: a nested attribute changes in place.
		resource.TestStep{
			Config: a.config(`
resource "jumpgate_jumpoint" "dc" {
  name                    = "Datacenter East"
  code_name               = "dc-east"
  platform                = "windows-amd64"
  clustered               = true
  shell_jump_enabled      = true
  protocol_tunnel_enabled = true
  comments                = "first"
  enabled                 = false
  jump_zone_proxy = {
    hostname = "proxy.example.com"
    port     = 9443
  }
}
`),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrWith(addr, "id", sameID(&id)),
				resource.TestCheckResourceAttr(addr, "enabled", "false"),
				resource.TestCheckResourceAttr(addr, "jump_zone_proxy.enabled", "false"),
				resource.TestCheckResourceAttr(addr, "jump_zone_proxy.port", "9443"),
				resource.TestCheckResourceAttr(addr, "jump_zone_proxy.allowed_client_cidrs.#", "0"),
				// A disabled jumpoint's installer is refused.
				a.checkDownloadStatus(t, addr, "downloads.0.url", http.StatusConflict),
			),
		},
		// Plan-time validation, the appliance's rules.
		resource.TestStep{
			Config: full("Datacenter East", "first") + `
resource "jumpgate_jumpoint" "bad" {
  name      = "x"
  code_name = "bad"
  jump_zone_proxy = {
    enabled = true
  }
}`,
			PlanOnly:    true,
			ExpectError: expectError("jump_zone_proxy.hostname is required when jump_zone_proxy.enabled is true"),
		},
		resource.TestStep{
			Config: full("Datacenter East", "first") + `
resource "jumpgate_jumpoint" "bad" {
  name      = "x"
  code_name = "bad"
  platform  = "linux-386"
}`,
			PlanOnly:    true,
			ExpectError: expectError(`must be one of: linux-amd64, linux-arm64`),
		},
		resource.TestStep{
			Config: full("Datacenter East", "first") + `
resource "jumpgate_jumpoint" "bad" {
  name      = "x"
  code_name = "bad"
  jump_zone_proxy = {
    enabled              = true
    hostname             = "proxy.example.com"
    port                 = 65536
  }
}`,
			PlanOnly:    true,
			ExpectError: expectError("65536 must be 1–65535"),
		},
		resource.TestStep{
			Config: full("Datacenter East", "first") + `
resource "jumpgate_jumpoint" "bad" {
  name      = "x"
  code_name = "bad"
  jump_zone_proxy = {
    allowed_client_cidrs = ["10.0.0.0/33"]
  }
}`,
			PlanOnly:    true,
			ExpectError: expectError(`"10.0.0.0/33" must be a CIDR prefix`),
		},
		resource.TestStep{
			Config: full("Datacenter East", "first") + fmt.Sprintf(`
resource "jumpgate_jumpoint" "bad" {
  name      = %q
  code_name = "bad"
}`, string(make129())),
			PlanOnly:    true,
			ExpectError: expectError("must be 1–128 characters"),
		},
		// Drift: changes made outside Terraform are planned back.
		resource.TestStep{
			PreConfig: func() {
				if _, err := a.Admin.PatchJumpoint(ctx, mustID(t, id), map[string]any{
					"name": "changed by hand", "jump_zone_proxy": map[string]any{"enabled": false, "hostname": "", "port": 1, "allowed_client_cidrs": []string{"1.2.3.0/24"}},
				}); err != nil {
					t.Fatal(err)
				}
			},
			Config: full("Datacenter East", "first"),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrWith(addr, "id", sameID(&id)),
				resource.TestCheckResourceAttr(addr, "name", "Datacenter East"),
				resource.TestCheckResourceAttr(addr, "jump_zone_proxy.enabled", "true"),
				resource.TestCheckResourceAttr(addr, "jump_zone_proxy.port", "8443"),
				resource.TestCheckResourceAttr(addr, "jump_zone_proxy.allowed_client_cidrs.#", "3"),
			),
		},
		// Live status: a node connects. Nothing to change, and the state shows it.
		resource.TestStep{
			PreConfig: func() {
				err := a.srv.App.DB.W.Table("jumpoint_nodes").Create(map[string]any{
					"jumpoint_id": mustID(t, id), "hostname": "jp-node-1", "remote_addr": "203.0.113.7", "version": "9.9.9",
					"connected": true, "connected_at": time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), "created_at": time.Now().UTC(),
					"host_id": "h1", "platform": "windows-amd64",
					// Presence belongs to a live appliance process, else it is reaped.
					"instance_id": a.srv.App.Server.Instance.ID,
				}).Error
				if err != nil {
					t.Fatal(err)
				}
			},
			Config: full("Datacenter East", "first"),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectEmptyPlan(),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr(addr, "connected", "true"),
				resource.TestCheckResourceAttr(addr, "connected_nodes.#", "1"),
				resource.TestCheckResourceAttr(addr, "connected_nodes.0.hostname", "jp-node-1"),
				resource.TestCheckResourceAttr(addr, "connected_nodes.0.remote_addr", "203.0.113.7"),
				resource.TestCheckResourceAttr(addr, "connected_nodes.0.version", "9.9.9"),
				resource.TestCheckResourceAttr(addr, "connected_nodes.0.connected_at", "2025-01-02T03:04:05Z"),
			),
		},
		// An update while the node is connected, then the node goes away.
		resource.TestStep{
			Config: full("Datacenter East", "second"),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr(addr, "comments", "second"),
				resource.TestCheckResourceAttr(addr, "connected", "true"),
			),
		},
		resource.TestStep{
			PreConfig: func() {
				if err := a.srv.App.DB.W.Exec("UPDATE jumpoint_nodes SET connected = ? WHERE jumpoint_id = ?", false, mustID(t, id)).Error; err != nil {
					t.Fatal(err)
				}
			},
			Config: full("Datacenter East", "second"),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectEmptyPlan(),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr(addr, "connected", "false"),
				resource.TestCheckResourceAttr(addr, "connected_nodes.#", "0"),
			),
		},
		// Deleted outside Terraform: recreated, not an error.
		resource.TestStep{
			PreConfig: func() {
				if err := a.Admin.DeleteJumpoint(ctx, mustID(t, id)); err != nil {
					t.Fatal(err)
				}
			},
			Config: full("Datacenter East", "second"),
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
			Config: full("Datacenter East", "second") + `
resource "jumpgate_jumpoint" "other" {
  name      = "Branch"
  code_name = "branch"
  enabled   = false
}
data "jumpgate_jumpoint" "by_code" {
  code_name = jumpgate_jumpoint.dc.code_name
}
data "jumpgate_jumpoint" "by_id" {
  id = jumpgate_jumpoint.other.id
}
data "jumpgate_jumpoints" "all" {
  depends_on = [jumpgate_jumpoint.dc, jumpgate_jumpoint.other]
}
data "jumpgate_jumpoints" "disabled" {
  enabled    = false
  depends_on = [jumpgate_jumpoint.dc, jumpgate_jumpoint.other]
}
data "jumpgate_jumpoints" "windows" {
  platform   = "windows-amd64"
  depends_on = [jumpgate_jumpoint.dc, jumpgate_jumpoint.other]
}
`,
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrPair("data.jumpgate_jumpoint.by_code", "id", addr, "id"),
				resource.TestCheckResourceAttr("data.jumpgate_jumpoint.by_code", "jump_zone_proxy.hostname", "proxy.example.com"),
				resource.TestCheckResourceAttr("data.jumpgate_jumpoint.by_code", "jump_zone_proxy.allowed_client_cidrs.#", "3"),
				resource.TestCheckResourceAttrPair("data.jumpgate_jumpoint.by_code", "downloads.5.command", addr, "downloads.5.command"),
				resource.TestCheckResourceAttr("data.jumpgate_jumpoint.by_id", "code_name", "branch"),
				resource.TestCheckResourceAttr("data.jumpgate_jumpoint.by_id", "enabled", "false"),
				resource.TestCheckResourceAttr("data.jumpgate_jumpoints.all", "items.#", "2"),
				resource.TestCheckResourceAttr("data.jumpgate_jumpoints.disabled", "items.#", "1"),
				resource.TestCheckResourceAttr("data.jumpgate_jumpoints.disabled", "items.0.code_name", "branch"),
				resource.TestCheckResourceAttr("data.jumpgate_jumpoints.windows", "items.#", "1"),
				resource.TestCheckResourceAttr("data.jumpgate_jumpoints.windows", "items.0.code_name", "dc-east"),
				resource.TestCheckResourceAttr("data.jumpgate_jumpoints.windows", "items.0.downloads.#", "6"),
			),
		},
		resource.TestStep{
			Config: full("Datacenter East", "second") + `
data "jumpgate_jumpoint" "none" {
  code_name = "nope"
}`,
			ExpectError: expectError(`No Jumpoint matches code_name = "nope"`),
		},
		resource.TestStep{Config: full("Datacenter East", "second")},
	)
	// Destroyed: nothing is left on the appliance.
	l, err := a.Admin.ListJumpoints(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Items) != 0 {
		t.Fatalf("after destroy the appliance still has %d jumpoints", len(l.Items))
	}
}

// checkDownloadStatus GETs the URL in attribute key of resource addr as the
// admin and checks the status code.
func (a *acc) checkDownloadStatus(t *testing.T, addr, key string, want int) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		rs, ok := s.RootModule().Resources[addr]
		if !ok {
			return fmt.Errorf("%s is not in the state", addr)
		}
		url := rs.Primary.Attributes[key]
		req, err := http.NewRequest(http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+a.srv.AdminToken)
		hc := a.srv.HTTPClient(t)
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			return fmt.Errorf("GET %s: status %d, want %d", url, resp.StatusCode, want)
		}
		return nil
	}
}
