package provider

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/echoprovider"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/keyinfo"
)

// TestAccJumpClientInstallerKeyInfo: with store_key_info = false the key
// info stays out of the state, and the ephemeral resource reads it.
func TestAccJumpClientInstallerKeyInfo(t *testing.T) {
	a := newAcc(t)
	ctx := context.Background()
	g, err := a.Admin.CreateJumpGroup(ctx, &api.JumpGroup{Name: "Ops", CodeName: "ops"})
	if err != nil {
		t.Fatal(err)
	}
	installer := func(store bool) string {
		return a.config(fmt.Sprintf(`
resource "jumpgate_jump_client_installer" "x" {
  jump_group_id  = %d
  store_key_info = %t
}
`, g.ID, store))
	}
	const ephemeralKey = `
ephemeral "jumpgate_jump_client_installer_key_info" "k" {
  id = jumpgate_jump_client_installer.x.id
}
`
	const echo = `
provider "echo" {
  data = ephemeral.jumpgate_jump_client_installer_key_info.k
}
resource "echo" "k" {}
`
	var id string
	// actualKey is the installer's key info as the appliance has it now.
	actualKey := func() (*api.InstallerKeyInfo, error) {
		return a.Admin.GetInstallerKeyInfo(ctx, mustID(t, id))
	}
	resource.ParallelTest(t, resource.TestCase{
		TerraformVersionChecks: []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_10_0)},
		ProtoV6ProviderFactories: map[string]func() (tfprotov6.ProviderServer, error){
			"jumpgate": factories["jumpgate"],
			"echo":     echoprovider.NewProviderServer(),
		},
		Steps: []resource.TestStep{
			{
				Config: installer(false),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectKnownValue(installerAddr, tfjsonpath.New("key_info"), knownvalue.Null()),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttrWith(installerAddr, "id", capture(&id)),
					resource.TestCheckNoResourceAttr(installerAddr, "key_info"),
					resource.TestCheckResourceAttr(installerAddr, "store_key_info", "false"),
				),
			},
			// The ephemeral resource alone: opened in plan and apply, never in
			// the state.
			{
				Config: installer(false) + ephemeralKey,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
				Check: func(s *terraform.State) error {
					ki, err := actualKey()
					if err != nil {
						return err
					}
					return noKeyInfoInState(s, ki.KeyInfo)
				},
			},
			// Echoed into a test resource, its values are the appliance's.
			{
				Config: installer(false) + ephemeralKey + echo,
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckNoResourceAttr(installerAddr, "key_info"),
					resource.TestCheckResourceAttrWith("echo.k", "data.key_info", func(v string) error {
						ki, err := actualKey()
						if err != nil {
							return err
						}
						if !strings.HasPrefix(v, keyinfo.Prefix) {
							return fmt.Errorf("echoed key info does not start with %q", keyinfo.Prefix)
						}
						return sameSecret(&ki.KeyInfo)(v)
					}),
					resource.TestCheckResourceAttrPair("echo.k", "data.installer_id", installerAddr, "installer_id"),
					resource.TestCheckResourceAttrPair("echo.k", "data.expires_at", installerAddr, "expires_at"),
					resource.TestCheckResourceAttrPair("echo.k", "data.id", installerAddr, "id"),
				),
			},
			// Storing it after all: planned unknown, then the appliance's.
			{
				Config: installer(true),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(installerAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectUnknownValue(installerAddr, tfjsonpath.New("key_info")),
				}},
				Check: resource.TestCheckResourceAttrWith(installerAddr, "key_info", func(v string) error {
					ki, err := actualKey()
					if err != nil {
						return err
					}
					return sameSecret(&ki.KeyInfo)(v)
				}),
			},
			// A bad id fails at plan time.
			{
				Config: installer(false) + `
ephemeral "jumpgate_jump_client_installer_key_info" "bad" {
  id = "abc"
}
`,
				PlanOnly:    true,
				ExpectError: expectError(`"abc" is not a numeric id`),
			},
			// And back: planned null, gone from the state.
			{
				Config: installer(false) + ephemeralKey,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(installerAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(installerAddr, tfjsonpath.New("key_info"), knownvalue.Null()),
				}},
				Check: func(s *terraform.State) error {
					ki, err := actualKey()
					if err != nil {
						return err
					}
					return noKeyInfoInState(s, ki.KeyInfo)
				},
			},
		},
	})
}

// noKeyInfoInState fails when any attribute of any resource in s holds key
// info: the given one or anything that looks like key info.
func noKeyInfoInState(s *terraform.State, key string) error {
	if key == "" {
		return fmt.Errorf("no key info to look for")
	}
	for _, m := range s.Modules {
		for addr, r := range m.Resources {
			if strings.Contains(addr, "jump_client_installer_key_info") {
				return fmt.Errorf("state holds the ephemeral resource %s", addr)
			}
			for k, v := range r.Primary.Attributes {
				if strings.Contains(v, key) || strings.Contains(v, keyinfo.Prefix) {
					return fmt.Errorf("state attribute %s.%s holds key info", addr, k)
				}
			}
		}
	}
	return nil
}
