// Package tunneljump manages Protocol Tunnel Jumps: Jump Items
// that tunnel TCP from the user's machine through a Jumpoint to one host.
package tunneljump

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/internal/auth"
	"github.com/jumpgate/jumpgate/appliance/internal/db"
	"github.com/jumpgate/jumpgate/appliance/internal/grouppolicy"
	"github.com/jumpgate/jumpgate/appliance/internal/problem"
	"github.com/jumpgate/jumpgate/appliance/internal/resource"
)

// Record is a Protocol Tunnel Jump row.
type Record struct {
	resource.Base
	resource.Labeled
	Name                string                 `gorm:"size:128;not null;index"`
	JumpointID          int64                  `gorm:"not null;index"`
	Hostname            string                 `gorm:"size:253;not null"`
	TunnelDefinitions   []api.TunnelDefinition `gorm:"serializer:json;type:text"`
	TunnelListenAddress string                 `gorm:"size:15;not null"`
	JumpGroupID         int64                  `gorm:"not null;index:idx_ptj_owner"`
	JumpGroupType       string                 `gorm:"size:8;not null;index:idx_ptj_owner"`
	Tag                 string                 `gorm:"size:64;not null;index"`
	Comments            string                 `gorm:"size:1024;not null"`
	JumpPolicyID        *int64                 `gorm:"index"`
	SessionPolicyID     *int64                 `gorm:"index"`
}

// TableName fixes the table name.
func (Record) TableName() string { return "protocol_tunnel_jumps" }

// refs are the references of a protocol tunnel jump. check tests the
// jumpoint itself, since it must also allow protocol tunnels.
var refs = append([]resource.Reference{
	{Table: "protocol_tunnel_jumps", Column: "jumpoint_id", Field: "jumpoint_id", Target: "jumpoints", Noun: "jumpoint", Title: "protocol tunnel jumps"},
	{Table: "protocol_tunnel_jumps", Column: "jump_policy_id", Field: "jump_policy_id", Target: "jump_policies", Noun: "jump policy", Title: "protocol tunnel jumps"},
	{Table: "protocol_tunnel_jumps", Column: "session_policy_id", Field: "session_policy_id", Target: "session_policies", Noun: "session policy", Title: "protocol tunnel jumps"},
}, grouppolicy.OwnerRefs("protocol_tunnel_jumps", "protocol tunnel jumps")...)

func init() { resource.Register(refs...) }

func toAPI(r *Record) *api.ProtocolTunnelJump {
	return &api.ProtocolTunnelJump{
		Meta: r.Meta(), Name: r.Name, JumpointID: r.JumpointID, Hostname: r.Hostname,
		TunnelDefinitions: r.TunnelDefinitions, TunnelListenAddress: r.TunnelListenAddress,
		JumpGroupID: r.JumpGroupID, JumpGroupType: r.JumpGroupType, Tag: r.Tag, Comments: r.Comments,
		JumpPolicyID: r.JumpPolicyID, SessionPolicyID: r.SessionPolicyID,
	}
}

func fromAPI(a *api.ProtocolTunnelJump, r *Record) error {
	r.Name, r.JumpointID, r.Hostname = a.Name, a.JumpointID, a.Hostname
	r.TunnelDefinitions, r.TunnelListenAddress = a.TunnelDefinitions, a.TunnelListenAddress
	r.JumpGroupID, r.JumpGroupType, r.Tag, r.Comments = a.JumpGroupID, a.JumpGroupType, a.Tag, a.Comments
	r.JumpPolicyID, r.SessionPolicyID = a.JumpPolicyID, a.SessionPolicyID
	return nil
}

func defaults(a *api.ProtocolTunnelJump) { a.ApplyDefaults() }

func check(ctx context.Context, tx *gorm.DB, a *api.ProtocolTunnelJump, _ int64) error {
	inv := &problem.Invalid{}
	seen := map[int]int{}
	for i, d := range a.TunnelDefinitions {
		if d.LocalPort == 0 {
			continue
		}
		if j, dup := seen[d.LocalPort]; dup {
			inv.Add(fmt.Sprintf("tunnel_definitions[%d].local_port", i), "port %d is already used by tunnel_definitions[%d]", d.LocalPort, j)
		}
		seen[d.LocalPort] = i
	}
	var jp struct{ ProtocolTunnelEnabled bool }
	err := tx.WithContext(ctx).Table("jumpoints").Select("protocol_tunnel_enabled").Where("id = ?", a.JumpointID).Take(&jp).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		inv.Add("jumpoint_id", "jumpoint %d does not exist", a.JumpointID)
	case err != nil:
		return err
	case !jp.ProtocolTunnelEnabled:
		inv.Add("jumpoint_id", "jumpoint %d does not allow protocol tunnel jumps (protocol_tunnel_enabled is false)", a.JumpointID)
	}
	if err := grouppolicy.CheckOwner(ctx, tx, inv, a.JumpGroupType, a.JumpGroupID); err != nil {
		return err
	}
	if err := resource.CheckRefs(ctx, tx, inv, refs, map[string]*int64{
		"jump_policy_id": a.JumpPolicyID, "session_policy_id": a.SessionPolicyID,
	}); err != nil {
		return err
	}
	return inv.Err()
}

// Service is the protocol-tunnel-jumps collection.
type Service = resource.Service[api.ProtocolTunnelJump, Record]

// New returns the protocol-tunnel-jumps collection over d.
func New(d *db.DB) *Service {
	return &Service{DB: d, Spec: resource.Spec[api.ProtocolTunnelJump, Record]{
		Kind: "protocol_tunnel_jump", Path: api.PathProtocolTunnelJumps, Title: "Protocol Tunnel Jump",
		ToAPI: toAPI, FromAPI: fromAPI, Defaults: defaults, Check: check,
		Name:         func(a *api.ProtocolTunnelJump) string { return a.Name },
		NonAdminRead: true,
		ReadScope: func(_ context.Context, p auth.Principal) resource.Scope {
			return grouppolicy.ItemScope(p.UserID)
		},
		Search: []string{"name", "tag", "hostname"}, SearchDoc: "name, tag and hostname",
		Sorts: map[string]string{"name": "name", "tag": "tag", "hostname": "hostname"},
		Filters: map[string]resource.Filter{
			"name":            {Column: "name", Doc: "Only items with this name."},
			"tag":             {Column: "tag", Doc: "Only items with this tag."},
			"jumpoint_id":     {Column: "jumpoint_id", Int: true, Doc: "Only items through this jumpoint."},
			"jump_group_id":   {Column: "jump_group_id", Int: true, Doc: "Only items owned by this jump group (or user, with jump_group_type=personal)."},
			"jump_group_type": {Column: "jump_group_type", Doc: "shared or personal."},
		},
	}}
}
