// Package jumpgroup manages Jump Groups: shared sets of Jump Items whose
// members get a role on the items through group policies.
package jumpgroup

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/internal/auth"
	"github.com/jumpgate/jumpgate/appliance/internal/db"
	"github.com/jumpgate/jumpgate/appliance/internal/grouppolicy"
	"github.com/jumpgate/jumpgate/appliance/internal/problem"
	"github.com/jumpgate/jumpgate/appliance/internal/resource"
)

// Record is a Jump Group row.
type Record struct {
	resource.Base
	resource.Labeled
	Name     string `gorm:"size:128;not null;index"`
	CodeName string `gorm:"size:64;not null;uniqueIndex"`
	Comments string `gorm:"size:1024;not null"`
}

// TableName fixes the table name.
func (Record) TableName() string { return "jump_groups" }

func toAPI(r *Record) *api.JumpGroup {
	return &api.JumpGroup{Meta: r.Meta(), Name: r.Name, CodeName: r.CodeName, Comments: r.Comments, Memberships: []api.JumpGroupMembership{}}
}

func fromAPI(a *api.JumpGroup, r *Record) error {
	r.Name, r.CodeName, r.Comments = a.Name, a.CodeName, a.Comments
	return nil
}

// Service is the jump-groups collection.
type Service = resource.Service[api.JumpGroup, Record]

// Holders are the tables of objects that belong to a Jump Group (through
// jump_group_id with jump_group_type "shared"); a group that still holds any
// cannot be deleted.
var Holders = []struct{ Table, Title string }{
	{"protocol_tunnel_jumps", "protocol tunnel jumps"},
	{"jump_client_installers", "jump client installers"},
	{"jump_clients", "jump clients"},
}

// New returns the jump-groups collection over d.
func New(d *db.DB) *Service {
	return &Service{DB: d, Spec: resource.Spec[api.JumpGroup, Record]{
		Kind: "jump_group", Path: api.PathJumpGroups, Title: "Jump Group",
		ToAPI: toAPI, FromAPI: fromAPI,
		Unique: map[string]string{"code_name": "code_name"},
		Check: func(ctx context.Context, tx *gorm.DB, a *api.JumpGroup, _ int64) error {
			return grouppolicy.CheckMemberships(ctx, tx, a.Memberships)
		},
		Hydrate: func(ctx context.Context, tx *gorm.DB, items []*api.JumpGroup) error {
			ids := make([]int64, len(items))
			for i, it := range items {
				ids[i] = it.ID
			}
			ms, err := grouppolicy.MembershipsByJumpGroup(ctx, tx, ids)
			if err != nil {
				return err
			}
			for _, it := range items {
				if m := ms[it.ID]; m != nil {
					it.Memberships = m
				}
			}
			return nil
		},
		Save: func(ctx context.Context, tx *gorm.DB, a *api.JumpGroup, r *Record) error {
			if a.Memberships == nil {
				return nil
			}
			return grouppolicy.ReplaceJumpGroupMemberships(ctx, tx, r.ID, a.Memberships)
		},
		BeforeDelete: func(ctx context.Context, tx *gorm.DB, r *Record) error {
			var held []string
			for _, h := range Holders {
				var n int64
				if err := tx.WithContext(ctx).Table(h.Table).Where("jump_group_type = ? AND jump_group_id = ?", api.JumpGroupShared, r.ID).Count(&n).Error; err != nil {
					return fmt.Errorf("count %s: %w", h.Table, err)
				}
				if n > 0 {
					held = append(held, resource.Counted(n, h.Title))
				}
			}
			if len(held) > 0 {
				return problem.Conflict("jump group %q still holds %s; move or delete them first", r.CodeName, resource.CountList(held))
			}
			return grouppolicy.DeleteForJumpGroup(ctx, tx, r.ID)
		},
		Name:         func(a *api.JumpGroup) string { return a.CodeName },
		NonAdminRead: true,
		ReadScope: func(_ context.Context, p auth.Principal) resource.Scope {
			return func(tx *gorm.DB) *gorm.DB {
				return tx.Where("id IN (?)", grouppolicy.VisibleJumpGroups(tx, p.UserID))
			}
		},
		Filters: map[string]resource.Filter{
			"name":      {Column: "name", Doc: "Only jump groups with this name."},
			"code_name": {Column: "code_name", Doc: "Only the jump group with this code name."},
		},
	}}
}
