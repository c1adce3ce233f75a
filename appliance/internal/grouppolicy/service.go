package grouppolicy

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/internal/db"
	"github.com/jumpgate/jumpgate/appliance/internal/problem"
	"github.com/jumpgate/jumpgate/appliance/internal/resource"
)

// Service is the group-policies collection.
type Service = resource.Service[api.GroupPolicy, Record]

// New returns the group-policies collection over d.
func New(d *db.DB) *Service {
	return &Service{DB: d, Spec: resource.Spec[api.GroupPolicy, Record]{
		Kind: "group_policy", Path: api.PathGroupPolicies, Title: "Group Policy",
		ToAPI: toAPI, FromAPI: fromAPI,
		Unique:  map[string]string{"name": "name"},
		Check:   check,
		Hydrate: hydrate,
		Save:    save,
		BeforeDelete: func(ctx context.Context, tx *gorm.DB, r *Record) error {
			if err := tx.Where("group_policy_id = ?", r.ID).Delete(&Member{}).Error; err != nil {
				return err
			}
			var groups []int64
			if err := tx.Model(&Membership{}).Where("group_policy_id = ?", r.ID).Pluck("jump_group_id", &groups).Error; err != nil {
				return err
			}
			if err := tx.Where("group_policy_id = ?", r.ID).Delete(&Membership{}).Error; err != nil {
				return err
			}
			return bumpVersions(ctx, tx, "jump_groups", groups)
		},
		Name:   func(a *api.GroupPolicy) string { return a.Name },
		Search: []string{"name"}, SearchDoc: "name",
		Sorts: map[string]string{"name": "name"},
		Filters: map[string]resource.Filter{
			"name": {Column: "name", Doc: "Only the group policy with this name."},
		},
	}}
}

func check(ctx context.Context, tx *gorm.DB, a *api.GroupPolicy, _ int64) error {
	inv := &problem.Invalid{}
	if err := memberUser.CheckList(ctx, tx, inv, a.Members); err != nil {
		return err
	}
	seenG := map[int64]bool{}
	for i, jg := range a.JumpGroups {
		f := fmt.Sprintf("jump_groups[%d]", i)
		if seenG[jg.JumpGroupID] {
			inv.Add(f+".jump_group_id", "jump group %d is listed twice", jg.JumpGroupID)
		}
		seenG[jg.JumpGroupID] = true
		id := jg.JumpGroupID
		if err := membershipJumpGroup.Check(ctx, tx, inv, f+".", &id); err != nil {
			return err
		}
		if err := membershipJumpPolicy.Check(ctx, tx, inv, f+".", jg.JumpPolicyID); err != nil {
			return err
		}
	}
	return inv.Err()
}

func save(ctx context.Context, tx *gorm.DB, a *api.GroupPolicy, r *Record) error {
	tx = tx.WithContext(ctx)
	if a.Members != nil {
		if err := tx.Where("group_policy_id = ?", r.ID).Delete(&Member{}).Error; err != nil {
			return err
		}
		for _, u := range a.Members {
			if err := tx.Create(&Member{GroupPolicyID: r.ID, UserID: u}).Error; err != nil {
				return fmt.Errorf("add group policy member: %w", err)
			}
		}
	}
	if a.JumpGroups != nil {
		var old []Membership
		if err := tx.Where("group_policy_id = ?", r.ID).Find(&old).Error; err != nil {
			return err
		}
		if err := tx.Where("group_policy_id = ?", r.ID).Delete(&Membership{}).Error; err != nil {
			return err
		}
		next := make([]Membership, 0, len(a.JumpGroups))
		for _, jg := range a.JumpGroups {
			row := Membership{GroupPolicyID: r.ID, JumpGroupID: jg.JumpGroupID, Role: jg.Role, JumpPolicyID: jg.JumpPolicyID}
			if err := tx.Create(&row).Error; err != nil {
				return fmt.Errorf("add jump group membership: %w", err)
			}
			next = append(next, row)
		}
		// The jump groups show the relation as memberships; move their versions.
		return bumpVersions(ctx, tx, "jump_groups", changedPeers(old, next, func(m Membership) int64 { return m.JumpGroupID }))
	}
	return nil
}
