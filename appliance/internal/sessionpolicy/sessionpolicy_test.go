package sessionpolicy_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
	"github.com/jumpgate/jumpgate/appliance/internal/resource"
)

// TestSessionPolicy_NewReferenceRefusesDelete adds a reference column that
// this package has never heard of: once the referring side declares it, a
// session policy that a row names cannot be deleted, and the 409 names the
// referring rows after those the session policy has always known.
//
// The registration stays for the rest of this test binary, so no other
// test of this package may run beside it on a database without widgets.
func TestSessionPolicy_NewReferenceRefusesDelete(t *testing.T) {
	ctx := context.Background()
	s := appliancetest.NewServer(t)
	c := s.Admin
	sp, err := c.CreateSessionPolicy(ctx, &api.SessionPolicy{CodeName: "widget-policy", DisplayName: "Widgets",
		Permissions: api.SessionPermissions{Shell: true}})
	require.NoError(t, err)
	portal, err := c.CreatePublicPortal(ctx, &api.PublicPortal{Hostname: "widgets.example.com", DisplayName: "Widgets", SessionPolicyID: &sp.ID})
	require.NoError(t, err)

	require.NoError(t, s.App.DB.W.Exec("CREATE TABLE widgets (id INTEGER PRIMARY KEY, session_policy_id INTEGER)").Error)
	resource.Register(resource.Reference{Table: "widgets", Column: "session_policy_id", Field: "session_policy_id",
		Target: "session_policies", Noun: "session policy", Title: "widgets"})
	require.NoError(t, s.App.DB.W.Exec("INSERT INTO widgets (session_policy_id) VALUES (?), (?)", sp.ID, sp.ID).Error)

	err = c.DeleteSessionPolicy(ctx, sp.ID)
	var p *api.Problem
	require.True(t, errors.As(err, &p), "got %v", err)
	assert.Equal(t, http.StatusConflict, p.Status)
	assert.Equal(t, `session policy "widget-policy" is still used by 1 public portal and 2 widgets`, p.Detail)

	require.NoError(t, c.DeletePublicPortal(ctx, portal.ID))
	err = c.DeleteSessionPolicy(ctx, sp.ID)
	require.True(t, errors.As(err, &p), "got %v", err)
	assert.Equal(t, `session policy "widget-policy" is still used by 2 widgets`, p.Detail)

	require.NoError(t, s.App.DB.W.Exec("DELETE FROM widgets").Error)
	require.NoError(t, c.DeleteSessionPolicy(ctx, sp.ID))
}
