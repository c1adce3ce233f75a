package server_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
)

// testSessions checks the broker's API without an agent: bad requests,
// refusals and who may see and act on a session, approval and code.
func testSessions(t *testing.T, s *appliancetest.Server, fx *fixtures) {
	ctx := context.Background()
	admin := s.Admin
	post := func(c *api.Client, body any) (*api.Session, error) {
		var out api.Session
		_, err := c.Do(ctx, http.MethodPost, api.PathSessions, nil, body, &out)
		return &out, err
	}

	t.Run("bad requests", func(t *testing.T) {
		for _, tt := range []struct {
			name  string
			body  map[string]any
			want  error
			field string
		}{
			{"unknown member", map[string]any{"item_type": "jump_client", "item_id": 1, "sudo": true}, api.ErrBadRequest, "sudo"},
			{"no item type", map[string]any{"item_id": 1}, api.ErrValidation, "item_type"},
			{"unknown item type", map[string]any{"item_type": "rdp", "item_id": 1}, api.ErrValidation, "item_type"},
			{"no item", map[string]any{"item_type": "jump_client"}, api.ErrValidation, "item_id"},
			{"bad mode", map[string]any{"item_type": "jump_client", "item_id": 1, "mode": "stealth"}, api.ErrValidation, "mode"},
			{"long ticket", map[string]any{"item_type": "jump_client", "item_id": 1, "ticket_id": long(257)}, api.ErrValidation, "ticket_id"},
			{"wrong type", map[string]any{"item_type": "jump_client", "item_id": "one"}, api.ErrValidation, "item_id"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				_, err := post(admin, tt.body)
				assertProblem(t, err, tt.want, tt.field)
			})
		}
	})

	t.Run("a missing item is 404 and audited", func(t *testing.T) {
		_, err := post(admin, &api.SessionRequest{ItemType: api.ItemJumpClient, ItemID: missing})
		assert.ErrorIs(t, err, api.ErrNotFound)
		l, err := admin.ListAuditEvents(ctx, &api.ListOptions{Filters: map[string]string{"action": "session.refused", "object_type": "jump_client"}})
		require.NoError(t, err)
		require.NotEmpty(t, l.Items)
		assert.Equal(t, api.RefusedItemNotFound, l.Items[len(l.Items)-1].Details["reason"])
	})

	// No node of the fixture jumpoint is connected: the broker refuses,
	// and the refused session is kept.
	_, err := post(admin, &api.SessionRequest{ItemType: api.ItemProtocolTunnelJump, ItemID: fx.tunnelJump.ID, Reason: "check"})
	var p *api.Problem
	require.ErrorAs(t, err, &p)
	assert.Equal(t, http.StatusForbidden, p.Status)
	assert.Equal(t, api.ProblemSessionRefused, p.Type)
	assert.Equal(t, api.RefusedEndpointOffline, p.Reason)
	require.NotZero(t, p.SessionID)
	refused, err := admin.GetSession(ctx, p.SessionID)
	require.NoError(t, err)
	assert.Equal(t, api.SessionRefused, refused.Status)
	assert.Equal(t, api.RefusedEndpointOffline, refused.RefusedReason)
	assert.Equal(t, "check", refused.Reason)

	t.Run("refused sessions cannot be ended, rated or connected to", func(t *testing.T) {
		_, err := admin.EndSession(ctx, refused.ID, &api.SessionEnd{})
		assert.ErrorIs(t, err, api.ErrConflict)
		_, err = admin.SessionFeedback(ctx, refused.ID, &api.SessionFeedback{Rating: 5})
		assert.ErrorIs(t, err, api.ErrConflict)
		_, err = admin.Do(ctx, http.MethodGet, api.PathSessions+"/"+itoa(refused.ID)+"/connect", nil, nil, nil)
		assert.ErrorIs(t, err, api.ErrConflict)
		_, err = admin.Do(ctx, http.MethodGet, api.PathSessions+"/"+itoa(refused.ID)+"/recordings/1", nil, nil, nil)
		assert.ErrorIs(t, err, api.ErrNotFound)
	})

	t.Run("feedback is validated", func(t *testing.T) {
		_, err := admin.Do(ctx, http.MethodPost, api.PathSessions+"/"+itoa(refused.ID)+"/feedback", nil, map[string]any{"rating": 9}, nil)
		assertProblem(t, err, api.ErrValidation, "rating")
	})

	t.Run("others' sessions are invisible", func(t *testing.T) {
		_, other := s.NewUser(t, false)
		_, err := other.GetSession(ctx, refused.ID)
		assert.ErrorIs(t, err, api.ErrNotFound)
		_, err = other.EndSession(ctx, refused.ID, &api.SessionEnd{})
		assert.ErrorIs(t, err, api.ErrNotFound)
		l, err := other.ListSessions(ctx, nil)
		require.NoError(t, err)
		assert.Empty(t, l.Items)
		// The tunnel jump is not in any group the user is in: 404, not 403.
		_, err = post(other, &api.SessionRequest{ItemType: api.ItemProtocolTunnelJump, ItemID: fx.tunnelJump.ID})
		assert.ErrorIs(t, err, api.ErrNotFound)
		l, err = admin.ListSessions(ctx, &api.ListOptions{Filters: map[string]string{"status": "refused"}})
		require.NoError(t, err)
		assert.NotEmpty(t, l.Items)
		_, err = admin.ListSessions(ctx, &api.ListOptions{Filters: map[string]string{"status": "bogus"}})
		assertProblem(t, err, api.ErrValidation, "status")
		_, err = admin.ListSessions(ctx, &api.ListOptions{Filters: map[string]string{"color": "red"}})
		assertProblem(t, err, api.ErrBadRequest, "color")
	})

	t.Run("access codes", func(t *testing.T) {
		u, rep := s.NewUser(t, false)
		code, err := rep.CreateAccessCode(ctx, &api.AccessCode{Comment: "printer"})
		require.NoError(t, err)
		assert.Len(t, code.Code, 14, "1234-5678-9012")
		assert.Equal(t, api.CodePending, code.Status)
		assert.Equal(t, u.ID, code.UserID)
		assert.Contains(t, code.JoinCommand, code.Code)
		got, err := rep.GetAccessCode(ctx, code.ID)
		require.NoError(t, err)
		assert.Empty(t, got.Code, "the code is shown once")
		_, other := s.NewUser(t, false)
		_, err = other.GetAccessCode(ctx, code.ID)
		assert.ErrorIs(t, err, api.ErrNotFound)
		_, err = rep.CreateAccessCode(ctx, &api.AccessCode{SessionPolicyID: &fx.sessionPolicy.ID})
		assert.ErrorIs(t, err, api.ErrForbidden, "only administrators choose a code's policy")
		_, err = admin.CreateAccessCode(ctx, &api.AccessCode{SessionPolicyID: ptr(int64(missing))})
		assertProblem(t, err, api.ErrValidation, "session_policy_id")
	})

	t.Run("approvals", func(t *testing.T) {
		_, err := admin.GrantApproval(ctx, missing, &api.ApprovalDecision{})
		assert.ErrorIs(t, err, api.ErrNotFound)
		_, err = admin.Do(ctx, http.MethodPost, "approvals/1/grant", nil, map[string]any{"duration_minutes": -1}, nil)
		assertProblem(t, err, api.ErrValidation, "duration_minutes")
		_, err = admin.Do(ctx, http.MethodGet, "approvals", map[string][]string{"status": {"maybe"}}, nil, nil)
		assertProblem(t, err, api.ErrValidation, "status")
	})
}
