package server_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
)

// TestAPIToken_ExpiryIsOnlyShortened: a token's owner may shorten its
// life, never lengthen or lift it, and nobody revives an expired token; an
// administrator may lengthen a live one.
func TestAPIToken_ExpiryIsOnlyShortened(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, s *appliancetest.Server) {
		ctx := context.Background()
		admin := s.Admin
		u, owner := s.NewUser(t, false)
		patch := func(c *api.Client, id int64, body map[string]any) (*api.APIToken, error) {
			var out api.APIToken
			_, err := c.Do(ctx, http.MethodPatch, fmt.Sprintf("%s/%d", api.PathAPITokens, id), nil, body, &out)
			return &out, err
		}
		at := func(d time.Duration) string { return time.Now().Add(d).UTC().Format(time.RFC3339) }
		inHour := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
		tok, err := owner.CreateAPIToken(ctx, &api.APIToken{Name: "mine", ExpiresAt: &inHour})
		require.NoError(t, err)

		t.Run("the owner may not lift the expiry", func(t *testing.T) {
			_, err := patch(owner, tok.ID, map[string]any{"expires_at": nil})
			assertProblem(t, err, api.ErrValidation, "expires_at")
			_, err = owner.UpdateAPIToken(ctx, tok.ID, &api.APIToken{Name: "mine"})
			assertProblem(t, err, api.ErrValidation, "expires_at")
		})
		t.Run("the owner may not lengthen it", func(t *testing.T) {
			_, err := patch(owner, tok.ID, map[string]any{"expires_at": at(2 * time.Hour)})
			assertProblem(t, err, api.ErrValidation, "expires_at")
			got, err := admin.GetAPIToken(ctx, tok.ID)
			require.NoError(t, err)
			require.NotNil(t, got.ExpiresAt)
			assert.True(t, inHour.Equal(*got.ExpiresAt), "unchanged: %v", got.ExpiresAt)
		})
		t.Run("the owner may shorten it and rename it", func(t *testing.T) {
			got, err := patch(owner, tok.ID, map[string]any{"expires_at": at(30 * time.Minute), "name": "shorter"})
			require.NoError(t, err)
			assert.Equal(t, "shorter", got.Name)
			require.NotNil(t, got.ExpiresAt)
			assert.True(t, got.ExpiresAt.Before(inHour))
		})
		t.Run("the owner may give a token without expiry one", func(t *testing.T) {
			forever, err := owner.CreateAPIToken(ctx, &api.APIToken{Name: "forever"})
			require.NoError(t, err)
			got, err := patch(owner, forever.ID, map[string]any{"expires_at": at(time.Hour)})
			require.NoError(t, err)
			assert.NotNil(t, got.ExpiresAt)
		})
		t.Run("an administrator may lengthen a live token", func(t *testing.T) {
			got, err := patch(admin, tok.ID, map[string]any{"expires_at": nil})
			require.NoError(t, err)
			assert.Nil(t, got.ExpiresAt)
		})
		t.Run("nobody revives an expired token", func(t *testing.T) {
			dead, err := admin.CreateAPIToken(ctx, &api.APIToken{Name: "dead", UserID: u.ID})
			require.NoError(t, err)
			// Shortening to the past is allowed: it ends the token now.
			_, err = patch(owner, dead.ID, map[string]any{"expires_at": at(-time.Second)})
			require.NoError(t, err)
			_, err = s.Client(t, dead.Token).WhoAmI(ctx)
			assertProblem(t, err, api.ErrUnauthorized, "")
			for _, c := range []*api.Client{owner, admin} {
				for _, body := range []map[string]any{{"expires_at": nil}, {"expires_at": at(time.Hour)}} {
					_, err := patch(c, dead.ID, body)
					assertProblem(t, err, api.ErrValidation, "expires_at")
					assert.Contains(t, problemDetail(err)+fmt.Sprint(err), "expired")
				}
			}
			// Renaming it keeps it dead.
			_, err = patch(owner, dead.ID, map[string]any{"name": "still dead"})
			require.NoError(t, err)
			_, err = s.Client(t, dead.Token).WhoAmI(ctx)
			assertProblem(t, err, api.ErrUnauthorized, "")
		})
	})
}

// TestJumpPolicy_WebhookURLsHiddenFromNonAdmins: webhook URLs carry
// secrets; non-administrators read them empty, cannot write the policy
// back, and administrators still read them.
func TestJumpPolicy_WebhookURLsHiddenFromNonAdmins(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, s *appliancetest.Server) {
		ctx := context.Background()
		admin := s.Admin
		const ticket, notify = "https://tickets.example.com/check?key=s3cret", "https://hooks.example.com/T0/B0/s3cret"
		jp, err := admin.CreateJumpPolicy(ctx, &api.JumpPolicy{DisplayName: "Hooks", CodeName: "hooks", TicketIDRequired: true,
			TicketIDWebhookURL: ticket, SessionEndNotification: true, NotificationWebhookURL: notify})
		require.NoError(t, err)
		assert.Equal(t, ticket, jp.TicketIDWebhookURL, "the create answer to an administrator")
		_, rep := s.NewUser(t, false)

		got, err := rep.GetJumpPolicy(ctx, jp.ID)
		require.NoError(t, err)
		assert.Empty(t, got.TicketIDWebhookURL)
		assert.Empty(t, got.NotificationWebhookURL)
		assert.True(t, got.TicketIDRequired, "the rest is readable")
		l, err := rep.ListJumpPolicies(ctx, nil)
		require.NoError(t, err)
		for _, p := range l.Items {
			assert.Empty(t, p.TicketIDWebhookURL)
			assert.Empty(t, p.NotificationWebhookURL)
		}

		// Writing back what was read, with its version, changes nothing.
		_, err = rep.UpdateJumpPolicy(ctx, jp.ID, got, api.IfMatch(got.Version))
		assertProblem(t, err, api.ErrForbidden, "")
		_, err = rep.PatchJumpPolicy(ctx, jp.ID, map[string]any{"description": "x"}, api.IfMatch(got.Version))
		assertProblem(t, err, api.ErrForbidden, "")

		for _, g := range []func() (*api.JumpPolicy, error){
			func() (*api.JumpPolicy, error) { return admin.GetJumpPolicy(ctx, jp.ID) },
			func() (*api.JumpPolicy, error) {
				return admin.PatchJumpPolicy(ctx, jp.ID, map[string]any{"description": "edited"})
			},
		} {
			full, err := g()
			require.NoError(t, err)
			assert.Equal(t, ticket, full.TicketIDWebhookURL, "administrators read them")
			assert.Equal(t, notify, full.NotificationWebhookURL)
		}
		l, err = admin.ListJumpPolicies(ctx, nil)
		require.NoError(t, err)
		require.NotEmpty(t, l.Items)
		assert.Equal(t, notify, l.Items[len(l.Items)-1].NotificationWebhookURL)
	})
}
