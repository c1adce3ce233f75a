package jumpclient

import (
	"context"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/appliance/internal/agentid"
	"github.com/jumpgate/jumpgate/appliance/internal/auth"
	"github.com/jumpgate/jumpgate/appliance/internal/db"
	"github.com/jumpgate/jumpgate/appliance/internal/grouppolicy"
	"github.com/jumpgate/jumpgate/appliance/internal/page"
	"github.com/jumpgate/jumpgate/appliance/internal/problem"
	"github.com/jumpgate/jumpgate/appliance/internal/resource"
	"github.com/jumpgate/jumpgate/appliance/internal/route"
)

// Notifier is told about changes that connected agents must learn about at
// once. The agent hub implements it.
type Notifier interface {
	// Retire cuts the connection of (kind, id); with uninstall the agent is
	// first told to uninstall itself.
	Retire(kind string, id int64, uninstall bool, reason string)
	// Reconfigure sends (kind, id) its configuration again.
	Reconfigure(kind string, id int64)
	// IsConnected reports whether (kind, id) holds a connection now.
	IsConnected(kind string, id int64) bool
}

// Service is the jump-clients collection.
type Service struct {
	*resource.Service[api.JumpClient, Record]
	// Hub learns about edits and deletes; nil in tests without agents.
	Hub Notifier
}

// New returns the jump-clients collection over d.
func New(d *db.DB) *Service {
	return &Service{Service: &resource.Service[api.JumpClient, Record]{DB: d, Spec: resource.Spec[api.JumpClient, Record]{
		Kind: "jump_client", Path: api.PathJumpClients, Title: "Jump Client",
		ToAPI: toAPI, FromAPI: fromAPI, Defaults: defaults, Check: check, Hydrate: hydrate,
		BeforeDelete: func(ctx context.Context, tx *gorm.DB, r *Record) error {
			if err := agentid.Bury(ctx, tx, agentproto.KindJumpClient, r.ID, r.PublicKey, "deleted"); err != nil {
				return err
			}
			return tx.WithContext(ctx).Where("client_id = ?", r.ID).Delete(&State{}).Error
		},
		Name:         func(a *api.JumpClient) string { return a.Name },
		NonAdminRead: true,
		ReadScope: func(_ context.Context, p auth.Principal) resource.Scope {
			return grouppolicy.ItemScope(p.UserID)
		},
		Search: []string{"name", "tag"}, SearchDoc: "name, tag and hostname",
		SearchIn: []string{"id IN (SELECT client_id FROM jump_client_states WHERE " + page.LikeIn("hostname") + ")"},
		Sorts:    map[string]string{"name": "name", "tag": "tag"},
		Filters: map[string]resource.Filter{
			"name":            {Column: "name", Doc: "Only clients with this name."},
			"tag":             {Column: "tag", Doc: "Only clients with this tag."},
			"jump_group_id":   {Column: "jump_group_id", Int: true, Doc: "Only clients owned by this jump group (or user, with jump_group_type=personal)."},
			"jump_group_type": {Column: "jump_group_type", Doc: "shared or personal."},
			"installer_id":    {Column: "installer_id", Doc: "Only clients enrolled with this installer_id."},
			"connection_type": {Column: "connection_type", Doc: "active or standby."},
			"status": {Where: "id IN (SELECT client_id FROM jump_client_states WHERE status = ?)",
				Doc: "Only clients with this status: online, offline, lost or uninstalled."},
			"hostname": {Where: "id IN (SELECT client_id FROM jump_client_states WHERE hostname = ?)",
				Doc: "Only clients on this host name."},
		},
	}}}
}

func defaults(a *api.JumpClient) { a.ApplyDefaults() }

func check(ctx context.Context, tx *gorm.DB, a *api.JumpClient, _ int64) error {
	inv := &problem.Invalid{}
	if err := grouppolicy.CheckOwner(ctx, tx, inv, a.JumpGroupType, a.JumpGroupID); err != nil {
		return err
	}
	if err := resource.CheckRefs(ctx, tx, inv, refs, map[string]*int64{
		"public_portal_id": a.PublicPortalID, "jump_policy_id": a.JumpPolicyID,
		"attended_session_policy_id": a.AttendedSessionPolicyID, "unattended_session_policy_id": a.UnattendedSessionPolicyID,
	}); err != nil {
		return err
	}
	if !api.ValidMaxOfflineMinutes(a.MaxOfflineMinutes) {
		inv.Add("max_offline_minutes", api.MaxOfflineMinutesMessage)
	}
	return inv.Err()
}

func hydrate(ctx context.Context, tx *gorm.DB, items []*api.JumpClient) error {
	ids := make([]int64, len(items))
	byID := make(map[int64]*api.JumpClient, len(items))
	for i, it := range items {
		ids[i] = it.ID
		byID[it.ID] = it
	}
	var states []State
	if err := tx.WithContext(ctx).Where("client_id IN ?", ids).Find(&states).Error; err != nil {
		return fmt.Errorf("load jump client states: %w", err)
	}
	for i := range states {
		if a := byID[states[i].ClientID]; a != nil {
			applyState(a, &states[i])
		}
	}
	return nil
}

// Routes returns the jump-clients routes: list, read, patch and delete (no
// create: clients come from enrollment), and wake.
func (s *Service) Routes(wake gin.HandlerFunc) []route.Route {
	var out []route.Route
	for _, r := range resource.Routes(s.Service) {
		switch r.Method {
		case http.MethodPost, http.MethodPut:
			continue
		case http.MethodPatch:
			r.Summary = "Change a Jump Client's name, tag, comments, policies, jump group or connection type with a JSON merge patch"
			r.Handler = s.after(r.Handler, func(id int64) { s.Hub.Reconfigure(agentproto.KindJumpClient, id) })
		case http.MethodDelete:
			r.Summary = "Delete a Jump Client; its agent is disconnected and uninstalls itself"
			r.Handler = s.after(r.Handler, func(id int64) {
				s.Hub.Retire(agentproto.KindJumpClient, id, true, "the jump client was deleted on the appliance")
			})
		}
		out = append(out, r)
	}
	if wake != nil {
		out = append(out, route.Route{
			Method: http.MethodPost, Path: "/api/v1/" + api.PathJumpClients + "/:id/wake", Handler: wake,
			Tag: api.PathJumpClients, Status: http.StatusAccepted, AdminOnly: true,
			Summary: "Wake a Jump Client with Wake-on-LAN, broadcast by an online client on the same network",
			Request: api.WakeRequest{}, Response: api.WakeResult{},
		})
	}
	return out
}

// after runs h, then fn with the path id if h succeeded.
func (s *Service) after(h gin.HandlerFunc, fn func(id int64)) gin.HandlerFunc {
	return func(c *gin.Context) {
		h(c)
		if s.Hub == nil || len(c.Errors) > 0 || c.Writer.Status() >= 300 {
			return
		}
		if id, err := resource.ParseID(c); err == nil {
			fn(id)
		}
	}
}
