package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
)

// TestAccJumpClients lists a Jump Client enrolled with the key info of an
// installer managed by Terraform.
func TestAccJumpClients(t *testing.T) {
	a := newAcc(t)
	ctx := context.Background()
	// The Jump Group is made outside Terraform: the enrolled clients stay
	// in it after the destroy.
	g, err := a.Admin.CreateJumpGroup(ctx, &api.JumpGroup{Name: "Servers", CodeName: "servers"})
	if err != nil {
		t.Fatal(err)
	}
	installer := a.config(fmt.Sprintf(`
resource "jumpgate_jump_client_installer" "x" {
  jump_group_id       = %d
  tag                 = "servers"
  comments            = "rack 4"
  max_offline_minutes = 60
  allow_override_name = true
}
resource "jumpgate_jump_client_installer" "other" {
  jump_group_id = %d
}
`, g.ID, g.ID))
	lists := fmt.Sprintf(`
data "jumpgate_jump_clients" "mine" {
  installer_id = jumpgate_jump_client_installer.x.installer_id
}
data "jumpgate_jump_clients" "other" {
  installer_id = jumpgate_jump_client_installer.other.installer_id
}
data "jumpgate_jump_clients" "offline_servers" {
  status        = "offline"
  tag           = "servers"
  jump_group_id = %d
}
data "jumpgate_jump_clients" "all" {
  depends_on = [jumpgate_jump_client_installer.x]
}
`, g.ID)
	const mine = "data.jumpgate_jump_clients.mine"
	var xKey, otherKey string
	var clientID, otherID int64
	a.test(t,
		resource.TestStep{
			Config: installer,
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrWith("jumpgate_jump_client_installer.x", "key_info", capture(&xKey)),
				resource.TestCheckResourceAttrWith("jumpgate_jump_client_installer.other", "key_info", capture(&otherKey)),
			),
		},
		resource.TestStep{
			PreConfig: func() {
				clientID = a.enrollHost(t, xKey, "web-01", agentproto.Overrides{Name: ptrTo("web 01")})
				otherID = a.enrollHost(t, otherKey, "db-01", agentproto.Overrides{})
				a.reportStatistics(t, clientID)
			},
			Config: installer + lists,
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr(mine, "items.#", "1"),
				resource.TestCheckResourceAttrWith(mine, "items.0.id", func(v string) error { return wantEqual(v, strconv.FormatInt(clientID, 10)) }),
				resource.TestCheckResourceAttr(mine, "items.0.name", "web 01"),
				resource.TestCheckResourceAttrPair(mine, "items.0.installer_id", "jumpgate_jump_client_installer.x", "installer_id"),
				resource.TestCheckResourceAttr(mine, "items.0.jump_group_id", strconv.FormatInt(g.ID, 10)),
				resource.TestCheckResourceAttr(mine, "items.0.jump_group_type", "shared"),
				resource.TestCheckResourceAttr(mine, "items.0.tag", "servers"),
				resource.TestCheckResourceAttr(mine, "items.0.comments", "rack 4"),
				resource.TestCheckResourceAttr(mine, "items.0.max_offline_minutes", "60"),
				resource.TestCheckResourceAttr(mine, "items.0.connection_type", "active"),
				resource.TestCheckNoResourceAttr(mine, "items.0.jump_policy_id"),
				resource.TestCheckResourceAttr(mine, "items.0.status", "offline"),
				resource.TestCheckResourceAttr(mine, "items.0.hostname", "web-01"),
				resource.TestCheckResourceAttr(mine, "items.0.fqdn", "web-01.example.com"),
				resource.TestCheckResourceAttr(mine, "items.0.os", "Debian GNU/Linux 12 (bookworm)"),
				resource.TestCheckResourceAttr(mine, "items.0.platform", api.PlatformLinuxAMD64),
				resource.TestCheckResourceAttr(mine, "items.0.private_ip", "10.0.0.7"),
				resource.TestCheckResourceAttr(mine, "items.0.mac_address", "02:00:00:00:00:07"),
				resource.TestCheckResourceAttr(mine, "items.0.default_gateway", "10.0.0.1"),
				resource.TestCheckResourceAttr(mine, "items.0.console_user", "alice"),
				resource.TestCheckResourceAttr(mine, "items.0.install_mode", "service"),
				resource.TestCheckResourceAttr(mine, "items.0.headless", "true"),
				resource.TestCheckResourceAttr(mine, "items.0.agent_version", "test"),
				resource.TestCheckResourceAttrSet(mine, "items.0.public_ip"),
				resource.TestCheckResourceAttr(mine, "items.0.statistics.reported_at", "2026-01-02T03:04:05Z"),
				resource.TestCheckResourceAttr(mine, "items.0.statistics.cpu_percent", "12.5"),
				resource.TestCheckResourceAttr(mine, "items.0.statistics.load_average", "0.75"),
				resource.TestCheckResourceAttr(mine, "items.0.statistics.console_user", "alice"),
				resource.TestCheckResourceAttr(mine, "items.0.statistics.disk_total_bytes", "107374182400"),
				resource.TestCheckResourceAttr(mine, "items.0.statistics.disk_free_bytes", "53687091200"),
				resource.TestCheckNoResourceAttr(mine, "items.0.statistics.screen"),
				resource.TestCheckResourceAttr(mine, "items.0.statistics.uptime_seconds", "86400"),
				resource.TestCheckResourceAttr(mine, "items.0.presence.user_logged_in", "true"),
				resource.TestCheckResourceAttr(mine, "items.0.presence.screen_locked", "false"),
				resource.TestCheckNoResourceAttr(mine, "items.0.presence.screen_saver"),
				resource.TestCheckResourceAttr(mine, "items.0.presence.present", "true"),
				resource.TestCheckResourceAttr("data.jumpgate_jump_clients.other", "items.#", "1"),
				resource.TestCheckResourceAttr("data.jumpgate_jump_clients.other", "items.0.name", "db-01"),
				resource.TestCheckNoResourceAttr("data.jumpgate_jump_clients.other", "items.0.statistics.reported_at"),
				resource.TestCheckNoResourceAttr("data.jumpgate_jump_clients.other", "items.0.presence.present"),
				resource.TestCheckResourceAttr("data.jumpgate_jump_clients.offline_servers", "items.#", "1"),
				resource.TestCheckResourceAttr("data.jumpgate_jump_clients.offline_servers", "items.0.name", "web 01"),
				resource.TestCheckResourceAttr("data.jumpgate_jump_clients.all", "items.#", "2"),
				func(*terraform.State) error {
					if otherID == clientID {
						return fmt.Errorf("both enrollments made client %d", clientID)
					}
					return nil
				},
			),
		},
		resource.TestStep{
			Config: installer + `
data "jumpgate_jump_clients" "bad" {
  status = "sleeping"
}
`,
			PlanOnly:    true,
			ExpectError: expectError(`value must be one of: ["online" "offline" "lost" "uninstalled"]`),
		},
		resource.TestStep{Config: installer},
	)
}

// enrollHost enrolls host with key info, as its agent would, and returns
// the new client's id.
func (a *acc) enrollHost(t *testing.T, keyInfo, host string, o agentproto.Overrides) int64 {
	t.Helper()
	resp, _, err := a.srv.Enroll(t, keyInfo, agentproto.Facts{
		HostID: host, Hostname: host, FQDN: host + ".example.com", OS: "Debian GNU/Linux 12 (bookworm)",
		PrivateIP: "10.0.0.7", MACAddress: "02:00:00:00:00:07", DefaultGateway: "10.0.0.1", ConsoleUser: "alice",
		InstallMode: api.InstallService, User: "root", Headless: true,
	}, o)
	if err != nil {
		t.Fatalf("enroll %s: %v", host, err)
	}
	return resp.ID
}

// reportStatistics stores statistics and presence for a client as its agent
// reports them over its connection (which this test does not open).
func (a *acc) reportStatistics(t *testing.T, clientID int64) {
	t.Helper()
	stats, _ := json.Marshal(map[string]any{
		"reported_at": "2026-01-02T03:04:05Z", "cpu_percent": 12.5, "load_average": 0.75, "console_user": "alice",
		"disk_total_bytes": 107374182400, "disk_free_bytes": 53687091200, "uptime_seconds": 86400,
	})
	presence, _ := json.Marshal(map[string]any{"user_logged_in": true, "screen_locked": false, "present": true})
	res := a.srv.App.DB.W.Table("jump_client_states").Where("client_id = ?", clientID).
		Updates(map[string]any{"stats": string(stats), "presence": string(presence)})
	if res.Error != nil || res.RowsAffected != 1 {
		t.Fatalf("store statistics of client %d: %v (%d rows)", clientID, res.Error, res.RowsAffected)
	}
}

func ptrTo[T any](v T) *T { return &v }
