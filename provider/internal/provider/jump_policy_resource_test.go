package provider

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/jumpgate/jumpgate/api"
)

func TestAccJumpPolicy(t *testing.T) {
	a := newAcc(t)
	ctx := context.Background()
	const addr = "jumpgate_jump_policy.p"
	u1, _ := a.srv.NewUser(t, false)
	u2, _ := a.srv.NewUser(t, false)

	minimal := a.config(`
resource "jumpgate_jump_policy" "p" {
  display_name = "Business hours"
  code_name    = "business-hours"
}
`)
	// full sets every attribute. The schedule is not in day order and the
	// expiry has an offset: the appliance keeps the order and answers in
	// UTC, and neither may show as a difference.
	fullHCL := fmt.Sprintf(`
resource "jumpgate_jump_policy" "p" {
  display_name     = "Business hours"
  code_name        = "business-hours"
  description      = "Weekdays only"
  schedule_enabled = true
  schedule = [
    { day = "friday", start_time = "08:00", end_time = "24:00" },
    { day = "monday", start_time = "00:00", end_time = "12:30" },
  ]
  timezone                     = "Europe/Berlin"
  schedule_strict              = true
  expires_at                   = "2031-06-01T12:00:00+02:00"
  simultaneous_jumps           = "disallow"
  ticket_id_required           = true
  ticket_id_webhook_url        = "https://tickets.example.com/check"
  approval_required            = true
  approval_user_ids            = [%d, %d]
  approval_max_duration        = 240
  session_start_notification   = true
  session_end_notification     = true
  notification_email_addresses = ["zoe@example.com", "al@example.com"]
  notification_webhook_url     = "http://hooks.example.com/jumpgate"
  recordings_disabled          = true
}
`, u2.ID, u1.ID)
	full := a.config(fullHCL)
	// bad adds a second policy with the given attributes to the full one.
	bad := func(attrs string) string {
		return full + `
resource "jumpgate_jump_policy" "bad" {
  display_name = "Bad"
  code_name    = "bad"
` + attrs + `
}
`
	}
	planError := func(attrs, words string) resource.TestStep {
		return resource.TestStep{Config: bad(attrs), PlanOnly: true, ExpectError: expectError(words)}
	}
	var id string
	steps := []resource.TestStep{
		{
			Config: minimal,
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr(addr, "display_name", "Business hours"),
				resource.TestCheckResourceAttr(addr, "description", ""),
				resource.TestCheckResourceAttr(addr, "schedule_enabled", "false"),
				resource.TestCheckResourceAttr(addr, "schedule.#", "0"),
				resource.TestCheckResourceAttr(addr, "timezone", "UTC"),
				resource.TestCheckNoResourceAttr(addr, "expires_at"),
				resource.TestCheckResourceAttr(addr, "simultaneous_jumps", "join"),
				resource.TestCheckResourceAttr(addr, "ticket_id_webhook_url", ""),
				resource.TestCheckResourceAttr(addr, "approval_user_ids.#", "0"),
				resource.TestCheckResourceAttr(addr, "approval_max_duration", "60"),
				resource.TestCheckResourceAttr(addr, "notification_email_addresses.#", "0"),
				resource.TestCheckResourceAttr(addr, "recordings_disabled", "false"),
				resource.TestCheckResourceAttrWith(addr, "id", func(v string) error { id = v; return nil }),
			),
		},
		{ResourceName: addr, ImportState: true, ImportStateVerify: true},
		{ResourceName: addr, ImportState: true, ImportStateVerify: true, ImportStateId: "code_name=business-hours"},
		// Update in place to every attribute set; the framework's second
		// plan checks that the schedule and the expiry round-trip.
		{
			Config: full,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrWith(addr, "id", sameID(&id)),
				resource.TestCheckResourceAttr(addr, "schedule.#", "2"),
				resource.TestCheckResourceAttr(addr, "schedule.0.day", "friday"),
				resource.TestCheckResourceAttr(addr, "schedule.0.end_time", "24:00"),
				resource.TestCheckResourceAttr(addr, "schedule.1.day", "monday"),
				resource.TestCheckResourceAttr(addr, "expires_at", "2031-06-01T12:00:00+02:00"),
				resource.TestCheckTypeSetElemAttr(addr, "approval_user_ids.*", fmt.Sprint(u1.ID)),
				resource.TestCheckTypeSetElemAttr(addr, "approval_user_ids.*", fmt.Sprint(u2.ID)),
				resource.TestCheckTypeSetElemAttr(addr, "notification_email_addresses.*", "al@example.com"),
				resource.TestCheckResourceAttr(addr, "simultaneous_jumps", "disallow"),
				func(*terraform.State) error {
					p, err := a.Admin.GetJumpPolicy(ctx, mustID(t, id))
					if err != nil {
						return err
					}
					if want := time.Date(2031, 6, 1, 10, 0, 0, 0, time.UTC); p.ExpiresAt == nil || !p.ExpiresAt.Equal(want) {
						return fmt.Errorf("appliance expires_at = %v, want %v", p.ExpiresAt, want)
					}
					if p.Timezone != "Europe/Berlin" || !p.ApprovalRequired || p.ApprovalMaxDuration != 240 || len(p.Schedule) != 2 {
						return fmt.Errorf("appliance has %+v", p)
					}
					return nil
				},
			),
		},
		// Import reads the expiry as the appliance renders it (UTC).
		{
			ResourceName: addr, ImportState: true, ImportStateVerify: true, ImportStateVerifyIgnore: []string{"expires_at"},
			ImportStateCheck: func(s []*terraform.InstanceState) error {
				if got := s[0].Attributes["expires_at"]; got != "2031-06-01T10:00:00Z" {
					return fmt.Errorf("imported expires_at = %q", got)
				}
				return nil
			},
		},
		// The appliance's own check of references, reported on the attribute.
		{
			Config:      bad(`approval_user_ids = [999999]`),
			ExpectError: expectError("user 999999 does not exist"),
		},
		// Drift: a change made outside Terraform is planned back.
		{
			PreConfig: func() {
				_, err := a.Admin.PatchJumpPolicy(ctx, mustID(t, id), map[string]any{
					"display_name": "changed by hand", "notification_email_addresses": []string{"other@example.com"},
					"schedule": []api.ScheduleEntry{{Day: "sunday", StartTime: "10:00", EndTime: "11:00"}},
				})
				if err != nil {
					t.Fatal(err)
				}
			},
			Config: full,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr(addr, "display_name", "Business hours"),
				resource.TestCheckResourceAttr(addr, "notification_email_addresses.#", "2"),
				resource.TestCheckResourceAttr(addr, "schedule.0.day", "friday"),
			),
		},
		// Deleted outside Terraform: recreated, not an error.
		{
			PreConfig: func() {
				if err := a.Admin.DeleteJumpPolicy(ctx, mustID(t, id)); err != nil {
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
		{
			Config: full + `
resource "jumpgate_jump_policy" "other" {
  display_name = "Other"
  code_name    = "other"
}
data "jumpgate_jump_policy" "by_code" {
  code_name = jumpgate_jump_policy.p.code_name
}
data "jumpgate_jump_policy" "by_id" {
  id = jumpgate_jump_policy.other.id
}
data "jumpgate_jump_policies" "all" {
  depends_on = [jumpgate_jump_policy.p, jumpgate_jump_policy.other]
}
data "jumpgate_jump_policies" "named" {
  display_name = "Other"
  depends_on   = [jumpgate_jump_policy.other]
}
`,
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrPair("data.jumpgate_jump_policy.by_code", "id", addr, "id"),
				resource.TestCheckResourceAttr("data.jumpgate_jump_policy.by_code", "schedule.0.day", "friday"),
				resource.TestCheckResourceAttr("data.jumpgate_jump_policy.by_code", "schedule.1.end_time", "12:30"),
				resource.TestCheckResourceAttr("data.jumpgate_jump_policy.by_code", "expires_at", "2031-06-01T10:00:00Z"),
				resource.TestCheckResourceAttr("data.jumpgate_jump_policy.by_code", "approval_user_ids.#", "2"),
				resource.TestCheckResourceAttr("data.jumpgate_jump_policy.by_id", "code_name", "other"),
				resource.TestCheckResourceAttr("data.jumpgate_jump_policy.by_id", "timezone", "UTC"),
				resource.TestCheckResourceAttr("data.jumpgate_jump_policies.all", "items.#", "2"),
				resource.TestCheckResourceAttr("data.jumpgate_jump_policies.named", "items.#", "1"),
				resource.TestCheckResourceAttr("data.jumpgate_jump_policies.named", "items.0.code_name", "other"),
			),
		},
		// A policy in use cannot be deleted: the appliance's 409 names the user.
		{
			PreConfig: func() {
				gp, err := a.Admin.CreateGroupPolicy(ctx, &api.GroupPolicy{Name: "ops"})
				if err != nil {
					t.Fatal(err)
				}
				jp := mustID(t, id)
				_, err = a.Admin.CreateJumpGroup(ctx, &api.JumpGroup{Name: "Ops", CodeName: "ops", Memberships: []api.JumpGroupMembership{
					{GroupPolicyID: gp.ID, Role: api.RoleView, JumpPolicyID: &jp},
				}})
				if err != nil {
					t.Fatal(err)
				}
			},
			Config:      a.config(""),
			ExpectError: expectError(`jump policy "business-hours" is still used by 1 jump group membership`),
		},
		{
			PreConfig: func() {
				groups, err := a.Admin.ListJumpGroups(ctx, nil)
				if err != nil || len(groups.Items) != 1 {
					t.Fatalf("jump groups: %v %v", groups, err)
				}
				if err := a.Admin.DeleteJumpGroup(ctx, groups.Items[0].ID); err != nil {
					t.Fatal(err)
				}
			},
			Config: a.config(""),
		},
	}
	// Plan-time validation, the appliance's rules. Put before the last
	// steps, since an ExpectError step must not be last.
	validation := []resource.TestStep{
		planError(`schedule = [{ day = "Monday", start_time = "08:00", end_time = "17:00" }]`, `must be one of`),
		planError(`schedule = [{ day = "monday", start_time = "24:00", end_time = "24:00" }]`, `must be a time of day HH:MM, 00:00–23:59 (24:00 is only an end time)`),
		planError(`schedule = [{ day = "monday", start_time = "08:00", end_time = "8:30" }]`, `must be a time of day HH:MM`),
		planError(`schedule = [{ day = "monday", start_time = "17:00", end_time = "09:00" }]`, `end_time 09:00 must be after start_time 17:00`),
		planError(`schedule_enabled = true`, `schedule must have at least one entry when schedule_enabled is true`),
		planError(`ticket_id_required = true`, `ticket_id_webhook_url is required when ticket_id_required is true`),
		planError(`approval_required = true`, `approval_user_ids must name at least one approver when approval_required is true`),
		planError("session_end_notification = true\nnotification_webhook_url = \"\"", `need notification_email_addresses or a notification_webhook_url`),
		planError(`timezone = "Mars/Olympus"`, `must be an IANA time zone`),
		planError(`expires_at = "2031-06-01T12:00:00.250+02:00"`, `has fractional seconds, which the appliance does not keep; use "2031-06-01T12:00:00+02:00"`),
		planError(`expires_at = "next tuesday"`, `not valid RFC3339 string format`),
		planError(`notification_email_addresses = ["Ops <ops@example.com>"]`, `must be an e-mail address`),
		planError(`ticket_id_webhook_url = "ftp://tickets.example.com"`, `must be an http:// or https:// URL`),
		planError(`approval_max_duration = 43201`, `must be 1–43200`),
		planError(`simultaneous_jumps = "sometimes"`, `must be one of`),
	}
	steps = append(steps[:5], append(validation, steps[5:]...)...)
	a.test(t, steps...)

	// Destroyed: nothing is left on the appliance.
	l, err := a.Admin.ListJumpPolicies(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Items) != 0 {
		t.Fatalf("after destroy the appliance still has %d jump policies", len(l.Items))
	}
}
