package grouppolicy

import (
	"context"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/internal/problem"
	"github.com/jumpgate/jumpgate/appliance/internal/resource"
)

// VisibleJumpGroups is a subquery of the ids of the Jump Groups a user is a
// member of through any group policy.
func VisibleJumpGroups(tx *gorm.DB, userID int64) *gorm.DB {
	return tx.Session(&gorm.Session{NewDB: true}).Table("jump_group_memberships AS m").
		Select("m.jump_group_id").
		Joins("JOIN group_policy_members AS gm ON gm.group_policy_id = m.group_policy_id").
		Where("gm.user_id = ?", userID)
}

// ItemScope limits a Jump Item query (a table with jump_group_id and
// jump_group_type) to the items a user can see: those in shared groups the
// user is a member of, and those on the user's personal list.
func ItemScope(userID int64) resource.Scope {
	return func(tx *gorm.DB) *gorm.DB {
		return tx.Where("(jump_group_type = ? AND jump_group_id IN (?)) OR (jump_group_type = ? AND jump_group_id = ?)",
			api.JumpGroupShared, VisibleJumpGroups(tx, userID), api.JumpGroupPersonal, userID)
	}
}

// MembershipsByJumpGroup loads the memberships of the given Jump Groups.
func MembershipsByJumpGroup(ctx context.Context, tx *gorm.DB, ids []int64) (map[int64][]api.JumpGroupMembership, error) {
	var rows []Membership
	if err := tx.WithContext(ctx).Where("jump_group_id IN ?", ids).Order("group_policy_id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load memberships: %w", err)
	}
	out := map[int64][]api.JumpGroupMembership{}
	for _, m := range rows {
		out[m.JumpGroupID] = append(out[m.JumpGroupID], api.JumpGroupMembership{GroupPolicyID: m.GroupPolicyID, Role: m.Role, JumpPolicyID: m.JumpPolicyID})
	}
	return out, nil
}

// CheckMemberships validates memberships as seen from a Jump Group.
func CheckMemberships(ctx context.Context, tx *gorm.DB, ms []api.JumpGroupMembership) error {
	inv := &problem.Invalid{}
	seen := map[int64]bool{}
	for i, m := range ms {
		f := fmt.Sprintf("memberships[%d]", i)
		if seen[m.GroupPolicyID] {
			inv.Add(f+".group_policy_id", "group policy %d is listed twice", m.GroupPolicyID)
		}
		seen[m.GroupPolicyID] = true
		gp := m.GroupPolicyID
		if err := membershipGroupPolicy.Check(ctx, tx, inv, f+".", &gp); err != nil {
			return err
		}
		if err := membershipJumpPolicy.Check(ctx, tx, inv, f+".", m.JumpPolicyID); err != nil {
			return err
		}
	}
	return inv.Err()
}

// ReplaceJumpGroupMemberships replaces all memberships of a Jump Group and
// moves the version of every group policy whose jump_groups changed.
func ReplaceJumpGroupMemberships(ctx context.Context, tx *gorm.DB, jumpGroupID int64, ms []api.JumpGroupMembership) error {
	var old []Membership
	if err := tx.WithContext(ctx).Where("jump_group_id = ?", jumpGroupID).Find(&old).Error; err != nil {
		return fmt.Errorf("replace memberships: %w", err)
	}
	if err := tx.WithContext(ctx).Where("jump_group_id = ?", jumpGroupID).Delete(&Membership{}).Error; err != nil {
		return fmt.Errorf("replace memberships: %w", err)
	}
	next := make([]Membership, 0, len(ms))
	for _, m := range ms {
		row := Membership{GroupPolicyID: m.GroupPolicyID, JumpGroupID: jumpGroupID, Role: m.Role, JumpPolicyID: m.JumpPolicyID}
		if err := tx.WithContext(ctx).Create(&row).Error; err != nil {
			return fmt.Errorf("replace memberships: %w", err)
		}
		next = append(next, row)
	}
	key := func(m Membership) int64 { return m.GroupPolicyID }
	return bumpVersions(ctx, tx, "group_policies", changedPeers(old, next, key))
}

// DeleteForJumpGroup removes the memberships of a deleted Jump Group.
func DeleteForJumpGroup(ctx context.Context, tx *gorm.DB, jumpGroupID int64) error {
	var ids []int64
	if err := tx.WithContext(ctx).Model(&Membership{}).Where("jump_group_id = ?", jumpGroupID).Pluck("group_policy_id", &ids).Error; err != nil {
		return fmt.Errorf("delete memberships: %w", err)
	}
	if err := tx.WithContext(ctx).Where("jump_group_id = ?", jumpGroupID).Delete(&Membership{}).Error; err != nil {
		return err
	}
	return bumpVersions(ctx, tx, "group_policies", ids)
}

// DeleteForUser removes a deleted user from every group policy.
func DeleteForUser(ctx context.Context, tx *gorm.DB, userID int64) error {
	var ids []int64
	if err := tx.WithContext(ctx).Model(&Member{}).Where("user_id = ?", userID).Pluck("group_policy_id", &ids).Error; err != nil {
		return fmt.Errorf("delete group policy members: %w", err)
	}
	if err := tx.WithContext(ctx).Where("user_id = ?", userID).Delete(&Member{}).Error; err != nil {
		return err
	}
	return bumpVersions(ctx, tx, "group_policies", ids)
}

// changedPeers returns the sorted peer ids (by key) whose membership differs
// between old and next: added, removed, or with another role or policy.
func changedPeers(old, next []Membership, key func(Membership) int64) []int64 {
	was := map[int64]Membership{}
	for _, m := range old {
		was[key(m)] = m
	}
	seen := map[int64]bool{}
	var ids []int64
	for _, m := range next {
		k := key(m)
		seen[k] = true
		if o, ok := was[k]; !ok || o.Role != m.Role || !sameID(o.JumpPolicyID, m.JumpPolicyID) {
			ids = append(ids, k)
		}
	}
	for k := range was {
		if !seen[k] {
			ids = append(ids, k)
		}
	}
	slices.Sort(ids)
	return ids
}

func sameID(a, b *int64) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }

// bumpVersions moves the version of rows of table whose representation a
// write on the other side of a relation changed, so their ETags change and a
// write with a stale If-Match fails instead of undoing that change.
func bumpVersions(ctx context.Context, tx *gorm.DB, table string, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	err := tx.WithContext(ctx).Table(table).Where("id IN ?", ids).
		Updates(map[string]any{"version": gorm.Expr("version + 1"), "updated_at": time.Now().UTC().Truncate(time.Microsecond)}).Error
	if err != nil {
		return fmt.Errorf("bump %s versions: %w", table, err)
	}
	return nil
}

func hydrate(ctx context.Context, tx *gorm.DB, items []*api.GroupPolicy) error {
	ids := make([]int64, len(items))
	byID := map[int64]*api.GroupPolicy{}
	for i, it := range items {
		ids[i] = it.ID
		byID[it.ID] = it
	}
	var members []Member
	if err := tx.WithContext(ctx).Where("group_policy_id IN ?", ids).Order("user_id").Find(&members).Error; err != nil {
		return fmt.Errorf("load group policy members: %w", err)
	}
	for _, m := range members {
		gp := byID[m.GroupPolicyID]
		gp.Members = append(gp.Members, m.UserID)
	}
	var ms []Membership
	if err := tx.WithContext(ctx).Where("group_policy_id IN ?", ids).Order("jump_group_id").Find(&ms).Error; err != nil {
		return fmt.Errorf("load group policy jump groups: %w", err)
	}
	for _, m := range ms {
		gp := byID[m.GroupPolicyID]
		gp.JumpGroups = append(gp.JumpGroups, api.GroupPolicyJumpGroup{JumpGroupID: m.JumpGroupID, Role: m.Role, JumpPolicyID: m.JumpPolicyID})
	}
	return nil
}

// A Jump Item's jump_group_id names a Jump Group when its jump_group_type
// is shared, and a user when it is personal (the user's personal list).
var (
	sharedOwner = resource.Reference{Column: "jump_group_id", Field: "jump_group_id", Target: "jump_groups", Noun: "jump group",
		Where: "jump_group_type = '" + api.JumpGroupShared + "'"}
	personalOwner = resource.Reference{Column: "jump_group_id", Field: "jump_group_id", Target: "users", Noun: "user (personal list)",
		Where: "jump_group_type = '" + api.JumpGroupPersonal + "'"}
)

// OwnerRefs returns the references of the jump_group_id of a Jump Item
// table, whose rows title names as a plural: to a Jump Group, which then
// holds them, and to a user, on whose personal list they are.
func OwnerRefs(table, title string) []resource.Reference {
	shared, personal := sharedOwner, personalOwner
	shared.Table, shared.Title = table, title
	personal.Table, personal.Title = table, title
	return []resource.Reference{shared, personal}
}

// IsPersonal reports whether r puts rows on a user's personal list.
func IsPersonal(r resource.Reference) bool {
	return r.Column == personalOwner.Column && r.Target == personalOwner.Target && r.Where == personalOwner.Where
}

// CheckOwner validates a Jump Item's jump_group_id against its
// jump_group_type: a Jump Group when shared, a user when personal.
func CheckOwner(ctx context.Context, tx *gorm.DB, inv *problem.Invalid, typ string, id int64) error {
	if typ == api.JumpGroupPersonal {
		return personalOwner.Check(ctx, tx, inv, "", &id)
	}
	return sharedOwner.Check(ctx, tx, inv, "", &id)
}
