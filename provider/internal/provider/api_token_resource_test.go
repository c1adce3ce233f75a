package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/jumpgate/jumpgate/api"
)

func TestAccAPIToken(t *testing.T) {
	a := newAcc(t)
	ctx := context.Background()
	const addr = "jumpgate_api_token.ci"
	me, err := a.Admin.WhoAmI(ctx)
	if err != nil {
		t.Fatal(err)
	}
	in2days := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second).Format(time.RFC3339)
	in3days := time.Now().Add(72 * time.Hour).In(time.FixedZone("", 2*3600)).Truncate(time.Second).Format(time.RFC3339) // another offset: the same instant, no diff
	past := time.Now().Add(-time.Hour).UTC().Truncate(time.Second).Format(time.RFC3339)
	cfg := func(owner, body string, extra ...string) string {
		return a.config(`
resource "jumpgate_user" "robot" {
  username = "robot"
}
resource "jumpgate_user" "robot2" {
  username = "robot2"
}
resource "jumpgate_api_token" "ci" {
  user_id = jumpgate_user.` + owner + `.id
` + body + `
}
` + strings.Join(extra, ""))
	}
	mine := `
resource "jumpgate_api_token" "mine" {
  name = "mine"
}
`
	var id, secret, oldSecret string
	a.test(t,
		resource.TestStep{
			Config: cfg("robot", `
  name       = "CI"
  expires_at = "`+in2days+`"`, mine),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectSensitiveValue(addr, tfjsonpath.New("token")),
			},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrWith(addr, "id", func(v string) error { id = v; return nil }),
				resource.TestCheckResourceAttr(addr, "name", "CI"),
				resource.TestCheckResourceAttrPair(addr, "user_id", "jumpgate_user.robot", "id"),
				resource.TestCheckResourceAttr(addr, "expires_at", in2days),
				resource.TestCheckResourceAttrWith(addr, "token", func(v string) error {
					if !strings.HasPrefix(v, "jgt_") {
						return fmt.Errorf("token %.4s… does not start with jgt_", v)
					}
					secret = v
					return nil
				}),
				resource.TestCheckResourceAttrWith(addr, "prefix", func(v string) error {
					if v == "" || !strings.HasPrefix(secret, v) {
						return fmt.Errorf("prefix %q is not the start of the token", v)
					}
					return nil
				}),
				// The token works, as its owner.
				a.checkTokenIs(&secret, "robot"),
				// Without user_id: the provider's own user.
				resource.TestCheckResourceAttr("jumpgate_api_token.mine", "user_id", fmt.Sprint(me.UserID)),
			),
		},
		// It has been used: last_used_at is set by the refresh, with no diff.
		resource.TestStep{
			Config: cfg("robot", `
  name       = "CI"
  expires_at = "`+in2days+`"`, mine),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			Check:            resource.TestCheckResourceAttrSet(addr, "last_used_at"),
		},
		// Import: the secret cannot be read back.
		resource.TestStep{ResourceName: addr, ImportState: true, ImportStateVerify: true, ImportStateVerifyIgnore: []string{"token"},
			ImportStateCheck: func(s []*terraform.InstanceState) error {
				if len(s) != 1 || s[0].Attributes["token"] != "" {
					return fmt.Errorf("imported token state: want one instance without the secret")
				}
				return nil
			}},
		resource.TestStep{ResourceName: addr, ImportState: true, ImportStateVerify: true, ImportStateId: "name=CI", ImportStateVerifyIgnore: []string{"token"}},
		// Update in place: name and expiry; the secret stays.
		resource.TestStep{
			Config: cfg("robot", `
  name       = "CI pipeline"
  expires_at = "`+in3days+`"`),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrWith(addr, "id", sameID(&id)),
				resource.TestCheckResourceAttr(addr, "name", "CI pipeline"),
				resource.TestCheckResourceAttr(addr, "expires_at", in3days),
				resource.TestCheckResourceAttrWith(addr, "token", func(v string) error {
					if v != secret {
						return errors.New("the token changed in an in-place update")
					}
					return nil
				}),
				a.checkTokenIs(&secret, "robot"),
			),
		},
		// A new owner replaces the token: a new secret; the old one is revoked.
		resource.TestStep{
			Config: cfg("robot2", `
  name = "CI pipeline"`),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(addr, plancheck.ResourceActionDestroyBeforeCreate),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrWith(addr, "id", func(v string) error {
					if v == id {
						return fmt.Errorf("id %s was not renewed", v)
					}
					id = v
					return nil
				}),
				resource.TestCheckResourceAttrWith(addr, "token", func(v string) error {
					if v == secret {
						return errors.New("the replacement has the old secret")
					}
					oldSecret, secret = secret, v
					return nil
				}),
				resource.TestCheckNoResourceAttr(addr, "expires_at"),
				a.checkTokenIs(&secret, "robot2"),
				a.checkTokenRevoked(&oldSecret),
			),
		},
		// Plan-time validation, the appliance's rules.
		resource.TestStep{
			Config: cfg("robot2", `
  name = "CI pipeline"`, `
resource "jumpgate_api_token" "bad" {
  name       = "bad"
  expires_at = "`+past+`"
}`),
			PlanOnly:    true,
			ExpectError: expectError("is not in the future; a new token must expire later than now"),
		},
		resource.TestStep{
			Config: cfg("robot2", `
  name = "CI pipeline"`, `
resource "jumpgate_api_token" "bad" {
  name       = "bad"
  expires_at = "2030-01-01T00:00:00.5Z"
}`),
			PlanOnly:    true,
			ExpectError: expectError(`has fractional seconds, which the appliance does not keep; use "2030-01-01T00:00:00Z"`),
		},
		resource.TestStep{
			Config: cfg("robot2", `
  name = "CI pipeline"`, `
resource "jumpgate_api_token" "bad" {
  name       = "bad"
  expires_at = "tomorrow"
}`),
			PlanOnly:    true,
			ExpectError: expectError("Invalid RFC3339 String Value"),
		},
		resource.TestStep{
			Config: cfg("robot2", `
  name = "CI pipeline"`, fmt.Sprintf(`
resource "jumpgate_api_token" "bad" {
  name = %q
}`, string(make129()))),
			PlanOnly:    true,
			ExpectError: expectError("must be 1–128 characters"),
		},
		// Drift: a change made outside Terraform is planned back.
		resource.TestStep{
			PreConfig: func() {
				if _, err := a.Admin.UpdateAPIToken(ctx, mustID(t, id), &api.APIToken{Name: "renamed by hand"}); err != nil {
					t.Fatal(err)
				}
			},
			Config: cfg("robot2", `
  name = "CI pipeline"`),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
			}},
			Check: resource.TestCheckResourceAttr(addr, "name", "CI pipeline"),
		},
		// An expiry in the past is allowed in an update: the token expires at once.
		resource.TestStep{
			Config: cfg("robot2", `
  name       = "CI pipeline"
  expires_at = "`+past+`"`),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrWith(addr, "id", sameID(&id)),
				a.checkTokenRevoked(&secret),
			),
		},
		// Deleted (revoked) outside Terraform: created again, with a new secret.
		resource.TestStep{
			PreConfig: func() {
				if err := a.Admin.DeleteAPIToken(ctx, mustID(t, id)); err != nil {
					t.Fatal(err)
				}
			},
			Config: cfg("robot2", `
  name = "CI pipeline"`),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(addr, plancheck.ResourceActionCreate),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrWith(addr, "token", func(v string) error {
					if v == secret || v == "" {
						return errors.New("the recreated token has no new secret")
					}
					secret = v
					return nil
				}),
				a.checkTokenIs(&secret, "robot2"),
			),
		},
		// The data sources; the bootstrap admin token exists too.
		resource.TestStep{
			Config: cfg("robot2", `
  name = "CI pipeline"`, mine, `
data "jumpgate_api_token" "by_name" {
  name = jumpgate_api_token.ci.name
}
data "jumpgate_api_token" "by_id" {
  id = jumpgate_api_token.mine.id
}
data "jumpgate_api_tokens" "all" {
  depends_on = [jumpgate_api_token.ci, jumpgate_api_token.mine]
}
data "jumpgate_api_tokens" "robot2" {
  user_id    = jumpgate_user.robot2.id
  depends_on = [jumpgate_api_token.ci]
}
`),
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrPair("data.jumpgate_api_token.by_name", "id", addr, "id"),
				resource.TestCheckResourceAttrPair("data.jumpgate_api_token.by_name", "prefix", addr, "prefix"),
				resource.TestCheckNoResourceAttr("data.jumpgate_api_token.by_name", "token"),
				resource.TestCheckResourceAttr("data.jumpgate_api_token.by_id", "name", "mine"),
				resource.TestCheckResourceAttr("data.jumpgate_api_tokens.all", "items.#", "3"),
				resource.TestCheckResourceAttr("data.jumpgate_api_tokens.robot2", "items.#", "1"),
				resource.TestCheckResourceAttrPair("data.jumpgate_api_tokens.robot2", "items.0.id", addr, "id"),
				resource.TestCheckNoResourceAttr("data.jumpgate_api_tokens.robot2", "items.0.token"),
			),
		},
		resource.TestStep{
			Config: cfg("robot2", `
  name = "CI pipeline"`, `
data "jumpgate_api_token" "none" {
  name = "nope"
}`),
			ExpectError: expectError(`No API Token matches name = "nope"`),
		},
		resource.TestStep{Config: cfg("robot2", `
  name = "CI pipeline"`)},
	)
	// Destroyed: the token is revoked; only the bootstrap token is left.
	if _, err := a.srv.Client(t, secret).WhoAmI(ctx); !errors.Is(err, api.ErrUnauthorized) {
		t.Fatalf("after destroy the token still authenticates (err %v)", err)
	}
	l, err := a.Admin.ListAPITokens(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Items) != 1 || l.Items[0].Name != "bootstrap admin token" {
		t.Fatalf("after destroy the appliance has %d tokens, want only the bootstrap one", len(l.Items))
	}
}

// checkTokenIs checks that *secret authenticates as username.
func (a *acc) checkTokenIs(secret *string, username string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		c, err := api.New(a.srv.URL, api.WithToken(*secret), api.WithCACertPEM(a.srv.CAPEM))
		if err != nil {
			return err
		}
		who, err := c.WhoAmI(context.Background())
		if err != nil {
			return fmt.Errorf("the token does not authenticate: %w", err)
		}
		if who.Username != username {
			return fmt.Errorf("the token authenticates as %q, want %q", who.Username, username)
		}
		return nil
	}
}

// checkTokenRevoked checks that *secret no longer authenticates.
func (a *acc) checkTokenRevoked(secret *string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		c, err := api.New(a.srv.URL, api.WithToken(*secret), api.WithCACertPEM(a.srv.CAPEM))
		if err != nil {
			return err
		}
		if _, err := c.WhoAmI(context.Background()); !errors.Is(err, api.ErrUnauthorized) {
			return fmt.Errorf("the token still authenticates (err %v)", err)
		}
		return nil
	}
}
