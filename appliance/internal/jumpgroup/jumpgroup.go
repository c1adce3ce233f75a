// Package jumpgroup manages Jump Groups: shared sets of Jump Items whose
// members get a role on the items through group policies.
package jumpgroup

import (
	"context"

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
			// The Jump Items a group holds name it (grouppolicy.OwnerRefs);
			// its memberships go with it.
			held, err := resource.UsesOf(ctx, tx, "jump_groups", r.ID)
			if err != nil {
				return err
			}
			if len(held) > 0 {
				return problem.Conflict("jump group %q still holds %s; move or delete them first", r.CodeName, resource.UsedBy(held))
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
		Search: []string{"name", "code_name"}, SearchDoc: "name and code_name",
		Sorts: map[string]string{"name": "name", "code_name": "code_name"},
		Filters: map[string]resource.Filter{
			"name":      {Column: "name", Doc: "Only jump groups with this name."},
			"code_name": {Column: "code_name", Doc: "Only the jump group with this code name."},
		},
	}}
}
