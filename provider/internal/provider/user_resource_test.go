package provider

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"golang.org/x/crypto/argon2"

	"github.com/jumpgate/jumpgate/api"
)

func TestAccUser(t *testing.T) {
	a := newAcc(t)
	ctx := context.Background()
	const addr = "jumpgate_user.jane"
	const pw1, wo1, wo2, wo3 = "correct horse battery", "write-only secret 1", "write-only secret 2", "write-only secret 3"
	user := func(body string) string {
		return a.config(`
resource "jumpgate_user" "jane" {
` + body + `
}
`)
	}
	first := user(`
  username     = "jane"
  display_name = "Jane Doe"
  email        = "jane@example.com"
  password     = "` + pw1 + `"`)
	renamed := `
  username     = "jane.doe"
  display_name = "Jane D."
  admin        = true
  enabled      = false
  mfa_required = true`
	withWO := func(pw string, version int, display string) string {
		return user(fmt.Sprintf(`
  username            = "jane.doe"
  display_name        = %q
  admin               = true
  enabled             = false
  password_wo         = %q
  password_wo_version = %d`, display, pw, version))
	}
	var id string
	a.test(t,
		resource.TestStep{
			Config: first,
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr(addr, "username", "jane"),
				resource.TestCheckResourceAttr(addr, "display_name", "Jane Doe"),
				resource.TestCheckResourceAttr(addr, "email", "jane@example.com"),
				resource.TestCheckResourceAttr(addr, "admin", "false"),
				resource.TestCheckResourceAttr(addr, "enabled", "true"),
				resource.TestCheckResourceAttr(addr, "has_password", "true"),
				resource.TestCheckResourceAttr(addr, "mfa_required", "false"),
				resource.TestCheckResourceAttr(addr, "mfa_enrolled", "false"),
				resource.TestCheckResourceAttrWith(addr, "id", func(v string) error { id = v; return nil }),
				a.checkPassword(&id, pw1),
			),
		},
		// Import by id and by username; the password cannot be read back.
		resource.TestStep{ResourceName: addr, ImportState: true, ImportStateVerify: true,
			ImportStateVerifyIgnore: []string{"password", "password_wo_version"}},
		resource.TestStep{ResourceName: addr, ImportState: true, ImportStateVerify: true, ImportStateId: "username=jane",
			ImportStateVerifyIgnore: []string{"password", "password_wo_version"}},
		// Update in place, username included; leaving the password out keeps it.
		resource.TestStep{
			Config: user(renamed),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrWith(addr, "id", sameID(&id)),
				resource.TestCheckResourceAttr(addr, "username", "jane.doe"),
				resource.TestCheckResourceAttr(addr, "display_name", "Jane D."),
				resource.TestCheckResourceAttr(addr, "email", ""),
				resource.TestCheckResourceAttr(addr, "admin", "true"),
				resource.TestCheckResourceAttr(addr, "enabled", "false"),
				resource.TestCheckResourceAttr(addr, "mfa_required", "true"),
				resource.TestCheckNoResourceAttr(addr, "password"),
				resource.TestCheckResourceAttr(addr, "has_password", "true"),
				a.checkPassword(&id, pw1),
			),
		},
		// The write-only password: sent, never in the state.
		resource.TestStep{
			Config: withWO(wo1, 1, "Jane D."),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrWith(addr, "id", sameID(&id)),
				resource.TestCheckNoResourceAttr(addr, "password_wo"),
				resource.TestCheckResourceAttr(addr, "password_wo_version", "1"),
				notInState(wo1),
				a.checkPassword(&id, wo1),
			),
		},
		// A new write-only value without a new version is not sent.
		resource.TestStep{
			Config: withWO(wo2, 1, "Jane Doe"),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr(addr, "display_name", "Jane Doe"),
				notInState(wo2),
				a.checkPassword(&id, wo1),
			),
		},
		// A new version sends it.
		resource.TestStep{
			Config: withWO(wo3, 2, "Jane Doe"),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrWith(addr, "id", sameID(&id)),
				resource.TestCheckResourceAttr(addr, "password_wo_version", "2"),
				notInState(wo3),
				a.checkPassword(&id, wo3),
			),
		},
		// Plan-time validation, the appliance's rules.
		resource.TestStep{
			Config:      withWO(wo3, 2, "Jane Doe") + `resource "jumpgate_user" "bad" { username = "-bad" }`,
			PlanOnly:    true,
			ExpectError: expectError("must be 1–64 letters, digits, '_', '-', '.' or '@'"),
		},
		resource.TestStep{
			Config: withWO(wo3, 2, "Jane Doe") + `resource "jumpgate_user" "bad" {
  username = "bad"
  password = "short"
}`,
			PlanOnly:    true,
			ExpectError: expectError("must be 12–256 characters"),
		},
		resource.TestStep{
			Config: withWO(wo3, 2, "Jane Doe") + `resource "jumpgate_user" "bad" {
  username    = "bad"
  password    = "long enough password"
  password_wo = "long enough password"
  password_wo_version = 1
}`,
			PlanOnly:    true,
			ExpectError: expectError(`Attribute "password_wo" cannot be specified when "password" is specified`),
		},
		resource.TestStep{
			Config: withWO(wo3, 2, "Jane Doe") + `resource "jumpgate_user" "bad" {
  username    = "bad"
  password_wo = "long enough password"
}`,
			PlanOnly:    true,
			ExpectError: expectError(`Attribute "password_wo_version" must be specified when "password_wo" is specified`),
		},
		resource.TestStep{
			Config: withWO(wo3, 2, "Jane Doe") + `resource "jumpgate_user" "bad" {
  username = "bad"
  email    = "jane@example..com"
}`,
			PlanOnly:    true,
			ExpectError: expectError("must be an e-mail address"),
		},
		// Drift: a change made outside Terraform is planned back.
		resource.TestStep{
			PreConfig: func() {
				if _, err := a.Admin.PatchUser(ctx, mustID(t, id), map[string]any{"display_name": "changed by hand", "enabled": true}); err != nil {
					t.Fatal(err)
				}
			},
			Config: withWO(wo3, 2, "Jane Doe"),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr(addr, "display_name", "Jane Doe"),
				resource.TestCheckResourceAttr(addr, "enabled", "false"),
				a.checkPassword(&id, wo3),
			),
		},
		// Deleted outside Terraform: recreated, with the write-only password.
		resource.TestStep{
			PreConfig: func() {
				if err := a.Admin.DeleteUser(ctx, mustID(t, id)); err != nil {
					t.Fatal(err)
				}
			},
			Config: withWO(wo3, 2, "Jane Doe"),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(addr, plancheck.ResourceActionCreate),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrWith(addr, "id", func(v string) error {
					if v == id {
						return fmt.Errorf("id %s was not renewed", v)
					}
					id = v
					return nil
				}),
				resource.TestCheckResourceAttr(addr, "has_password", "true"),
				a.checkPassword(&id, wo3),
			),
		},
		// The data sources; the bootstrap "admin" exists too.
		resource.TestStep{
			Config: withWO(wo3, 2, "Jane Doe") + `
resource "jumpgate_user" "robot" {
  username = "robot"
}
data "jumpgate_user" "by_name" {
  username = jumpgate_user.jane.username
}
data "jumpgate_user" "by_id" {
  id = jumpgate_user.robot.id
}
data "jumpgate_users" "all" {
  depends_on = [jumpgate_user.jane, jumpgate_user.robot]
}
data "jumpgate_users" "admins" {
  admin      = true
  depends_on = [jumpgate_user.jane, jumpgate_user.robot]
}
data "jumpgate_users" "enabled_non_admins" {
  admin      = false
  enabled    = true
  depends_on = [jumpgate_user.jane, jumpgate_user.robot]
}
`,
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrPair("data.jumpgate_user.by_name", "id", addr, "id"),
				resource.TestCheckResourceAttr("data.jumpgate_user.by_name", "display_name", "Jane Doe"),
				resource.TestCheckResourceAttr("data.jumpgate_user.by_name", "has_password", "true"),
				resource.TestCheckNoResourceAttr("data.jumpgate_user.by_name", "password_wo_version"),
				resource.TestCheckResourceAttr("data.jumpgate_user.by_id", "username", "robot"),
				resource.TestCheckResourceAttr("data.jumpgate_user.by_id", "has_password", "false"),
				resource.TestCheckResourceAttr("jumpgate_user.robot", "has_password", "false"),
				resource.TestCheckResourceAttr("data.jumpgate_users.all", "items.#", "3"),
				resource.TestCheckResourceAttr("data.jumpgate_users.admins", "items.#", "2"),
				resource.TestCheckResourceAttr("data.jumpgate_users.enabled_non_admins", "items.#", "1"),
				resource.TestCheckResourceAttr("data.jumpgate_users.enabled_non_admins", "items.0.username", "robot"),
			),
		},
		resource.TestStep{
			Config: withWO(wo3, 2, "Jane Doe") + `
data "jumpgate_user" "none" {
  username = "nobody"
}`,
			ExpectError: expectError(`No User matches username = "nobody"`),
		},
		// A password added to a user without one: has_password is planned.
		resource.TestStep{
			Config: withWO(wo3, 2, "Jane Doe") + `
resource "jumpgate_user" "robot" {
  username = "robot"
  password = "robots need passwords"
}`,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction("jumpgate_user.robot", plancheck.ResourceActionUpdate),
			}},
			Check: resource.TestCheckResourceAttr("jumpgate_user.robot", "has_password", "true"),
		},
	)
	// Destroyed: only the bootstrap admin is left.
	l, err := a.Admin.ListUsers(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Items) != 1 || l.Items[0].Username != "admin" {
		t.Fatalf("after destroy the appliance has users %v, want only admin", usernames(l.Items))
	}
}

func usernames(us []api.User) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.Username
	}
	return out
}

// checkPassword checks, in the appliance's database, that the user's
// password hash matches pw: the API has no sign-in to try it with.
func (a *acc) checkPassword(id *string, pw string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		var hash string
		if err := a.srv.App.DB.R.Raw("SELECT password_hash FROM users WHERE id = ?", *id).Row().Scan(&hash); err != nil {
			return fmt.Errorf("read password hash of user %s: %w", *id, err)
		}
		ok, err := argon2idMatches(hash, pw)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("user %s: the stored password is not the configured one", *id)
		}
		return nil
	}
}

// argon2idMatches checks pw against a PHC argon2id hash
// ($argon2id$v=19$m=…,t=…,p=…$salt$key), as the appliance does.
func argon2idMatches(hash, pw string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, fmt.Errorf("password hash is not argon2id: %d parts", len(parts))
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false, err
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false, err
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// notInState fails when secret appears in any attribute of any resource in
// the state.
func notInState(secret string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		for _, m := range s.Modules {
			for name, r := range m.Resources {
				for k, v := range r.Primary.Attributes {
					if strings.Contains(v, secret) {
						return fmt.Errorf("the secret is in the state: %s.%s", name, k)
					}
				}
			}
		}
		return nil
	}
}
