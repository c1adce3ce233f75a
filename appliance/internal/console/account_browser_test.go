package console_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
	"github.com/jumpgate/jumpgate/internal/browsertest"
)

// totpCode is the code of secret at t.
func totpCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCode(secret, at)
	require.NoError(t, err)
	return code
}

// wrongCode is a 6-digit code that no step near now accepts.
func wrongCode(t *testing.T, secret string) string {
	now := time.Now()
	near := map[string]bool{}
	for _, d := range []time.Duration{-60, -30, 0, 30, 60} {
		near[totpCode(t, secret, now.Add(d*time.Second))] = true
	}
	for i := 0; ; i++ {
		c := fmt.Sprintf("%06d", 123456+i*111111%1000000)
		if !near[c] {
			return c
		}
	}
}

// TestAccount_EnrollMFAAndSignInWithCode: the admin enrolls TOTP on
// /account (the QR code and the secret show; the code is computed here from
// the secret on the page), sees the recovery codes once with their copy and
// download actions, signs out, and signing in again asks for the code: a
// wrong one is refused, the right one lands.
func TestAccount_EnrollMFAAndSignInWithCode(t *testing.T) {
	srv := appliancetest.NewServer(t)
	p := signIn(t, srv, "/account", "admin", srv.AdminPassword)
	p.Find("heading", "Your account")
	p.WaitPath("/account")
	p.Find("heading", "Browser sessions")
	p.WaitText("(this browser)")
	p.Screenshot("account")
	assertAccessible(t, p, "/account")

	p.Click("button", "Set up two-factor authentication")
	p.Find("image", "QR code of your two-factor secret, for your authenticator app")
	secret := browsertest.Eval[string](p, `(document.querySelector("code.secret") || {}).textContent || ""`)
	require.NotEmpty(t, secret, "the secret for manual entry is on the page")
	p.Screenshot("account-mfa-enroll")
	assertAccessible(t, p, "/account (enrollment)")

	// A code of the step before now: the sign-in below uses a later one,
	// since a step that served once is refused.
	p.Fill("Code from the app", totpCode(t, secret, time.Now().Add(-30*time.Second)))
	p.Click("button", "Turn on two-factor authentication")
	p.Find("heading", "Your recovery codes")
	p.WaitText("Store these now.")
	codes := strings.Fields(p.Text("list", "Recovery codes"))
	assert.GreaterOrEqual(t, len(codes), 5, "recovery codes: %v", codes)
	p.Find("button", "Copy recovery codes")
	p.Find("link", "Download recovery codes")
	p.Screenshot("account-recovery-codes")
	assertAccessible(t, p, "/account (recovery codes)")
	p.Click("button", "I have stored them")
	p.Find("heading", "Turn off two-factor authentication")

	p.Click("button", "Sign out")
	p.Find("heading", "Sign in to Jumpgate")
	p.Fill("Username", "admin")
	p.Fill("Password", srv.AdminPassword)
	p.Click("button", "Sign in")
	p.Fill("Authentication code", wrongCode(t, secret))
	p.Click("button", "Sign in")
	assert.Contains(t, p.Text("alert", ""), "wrong")
	p.Screenshot("login-mfa-wrong-code")
	p.Fill("Authentication code", totpCode(t, secret, time.Now()))
	p.Click("button", "Sign in")
	// Signing out of /account went to /login?next=/account: back there.
	p.Find("heading", "Your account")
	p.WaitPath("/account")
	p.WaitText("Two-factor authentication is on")
	assert.Empty(t, p.Errors(), "the pages logged errors (a CSP violation is one)")
}

// TestAccount_RequiredMFAGoesToEnrollment: with MFA required for everyone,
// an unenrolled user who signs in lands on /account's enrollment, and
// another console page sends them back there.
func TestAccount_RequiredMFAGoesToEnrollment(t *testing.T) {
	srv := appliancetest.NewServer(t)
	_, err := srv.Admin.PatchConsoleSettings(context.Background(), map[string]any{"mfa_required": true})
	require.NoError(t, err)
	p := signIn(t, srv, "/items", "admin", srv.AdminPassword)
	p.Find("heading", "Your account")
	p.WaitPath("/account")
	p.WaitText("Your administrator requires two-factor authentication")
	p.Find("button", "Set up two-factor authentication")
	p.Open("/recordings")
	p.Find("heading", "Your account")
	p.WaitPath("/account")
	p.Screenshot("account-mfa-required")
	assert.Empty(t, p.Errors())
}

// TestAccount_EndOtherBrowserSession: a second sign-in of the admin is
// listed on /account and ended there; its cookie stops working.
func TestAccount_EndOtherBrowserSession(t *testing.T) {
	srv := appliancetest.NewServer(t)
	other := signIn(t, srv, "/items", "admin", srv.AdminPassword)
	other.Find("heading", "Jump Items")
	p := signIn(t, srv, "/account", "admin", srv.AdminPassword)
	p.Find("heading", "Browser sessions")
	p.Find("button", "End this browser session (sign out)")
	// The other browser's row has an End button of its own.
	ids := browsertest.Eval[[]string](p, `Array.from(document.querySelectorAll("button[aria-label^='End browser session ']"), (b) => b.getAttribute("aria-label"))`)
	require.Len(t, ids, 1, "the other browser session is listed")
	p.Click("button", ids[0])
	eventually(t, "the other session gone from the list", func() bool {
		return len(browsertest.Eval[[]string](p, `Array.from(document.querySelectorAll("button[aria-label^='End browser session ']"), (b) => b.getAttribute("aria-label"))`)) == 0
	})
	other.Open("/items")
	other.Find("heading", "Sign in to Jumpgate")
	assert.Empty(t, p.Errors())
}

// TestApprovals_GrantPending: a pending request made by another
// administrator through the API shows on /approvals, and the admin (its
// policy's approver) grants it for 30 minutes.
func TestApprovals_GrantPending(t *testing.T) {
	srv := appliancetest.NewServer(t)
	ctx := context.Background()
	admins, err := srv.Admin.ListUsers(ctx, &api.ListOptions{Filters: map[string]string{"username": "admin"}})
	require.NoError(t, err)
	require.Len(t, admins.Items, 1)
	group, err := srv.Admin.CreateJumpGroup(ctx, &api.JumpGroup{Name: "Databases", CodeName: "databases"})
	require.NoError(t, err)
	jp, err := srv.Admin.CreateJumpPolicy(ctx, &api.JumpPolicy{DisplayName: "Needs approval", CodeName: "needs-approval",
		ApprovalRequired: true, ApprovalUserIDs: []int64{admins.Items[0].ID}})
	require.NoError(t, err)
	jpt, err := srv.Admin.CreateJumpoint(ctx, &api.Jumpoint{Name: "DC 1", CodeName: "dc1", ProtocolTunnelEnabled: true})
	require.NoError(t, err)
	item, err := srv.Admin.CreateProtocolTunnelJump(ctx, &api.ProtocolTunnelJump{Name: "orders-db", JumpointID: jpt.ID, Hostname: "db.internal",
		TunnelDefinitions: []api.TunnelDefinition{{RemotePort: 5432}}, JumpGroupID: group.ID, JumpPolicyID: &jp.ID})
	require.NoError(t, err)
	requester, rc := srv.NewUser(t, true)
	_, err = rc.Do(ctx, http.MethodPost, api.PathSessions, nil,
		&api.SessionRequest{ItemType: api.ItemProtocolTunnelJump, ItemID: item.ID, Reason: "INC-4711 slow queries"}, nil)
	var prob *api.Problem
	require.ErrorAs(t, err, &prob)
	require.Equal(t, api.RefusedApprovalRequired, prob.Reason)

	p := signIn(t, srv, "/approvals", "admin", srv.AdminPassword)
	p.Find("heading", "Approvals")
	p.WaitText("INC-4711 slow queries")
	p.Screenshot("approvals")
	assertAccessible(t, p, "/approvals")
	list, err := srv.Admin.ListApprovals(ctx, &api.ListOptions{Filters: map[string]string{"status": api.ApprovalPending}})
	require.NoError(t, err)
	require.Len(t, list.Items, 1)
	a := list.Items[0]
	p.Click("button", fmt.Sprintf("Decide request %d by %s", a.ID, requester.Username))
	p.Fill("Duration in minutes", "30")
	p.Fill("Comment", "go ahead")
	p.Screenshot("approvals-decide")
	p.Click("button", "Grant")
	p.WaitText(fmt.Sprintf("Request %d granted until", a.ID))
	got, err := srv.Admin.ListApprovals(ctx, &api.ListOptions{Filters: map[string]string{"status": api.ApprovalGranted}})
	require.NoError(t, err)
	require.Len(t, got.Items, 1)
	require.NotNil(t, got.Items[0].ExpiresAt)
	assert.WithinDuration(t, time.Now().Add(30*time.Minute), *got.Items[0].ExpiresAt, 2*time.Minute)
	assert.Equal(t, "go ahead", got.Items[0].Comment)
	assert.Empty(t, p.Errors())
}

// TestCodes_CreateAndList: a code made through the API is listed; one made
// on the page shows once, with its join command and copy buttons, and is
// listed too.
func TestCodes_CreateAndList(t *testing.T) {
	srv := appliancetest.NewServer(t)
	_, err := srv.Admin.CreateAccessCode(context.Background(), &api.AccessCode{Comment: "made through the API"})
	require.NoError(t, err)
	p := signIn(t, srv, "/codes", "admin", srv.AdminPassword)
	p.Find("heading", "Access codes")
	p.WaitText("made through the API")
	assertAccessible(t, p, "/codes")
	p.Fill("Comment", "for Carol, ticket 88")
	p.Click("button", "Create access code")
	p.Find("heading", "Access code created")
	p.WaitText("Hand it over now.")
	code := browsertest.Eval[string](p, `(document.querySelector("code.access-code") || {}).textContent || ""`)
	assert.NotEmpty(t, code)
	p.Find("button", "Copy code")
	p.WaitText("for Carol, ticket 88")
	p.Screenshot("codes-created")
	assertAccessible(t, p, "/codes (created)")
	p.Click("button", "Done")
	p.Find("heading", "New access code")
	codes, err := srv.Admin.ListAccessCodes(context.Background(), nil)
	require.NoError(t, err)
	assert.Len(t, codes.Items, 2)
	assert.Empty(t, p.Errors())
}
