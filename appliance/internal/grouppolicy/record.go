// Package grouppolicy manages group policies: sets of users who get roles on
// Jump Groups. It owns the membership relation between group policies, users
// and Jump Groups, which the jumpgroup package also exposes.
package grouppolicy

import (
	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/internal/resource"
)

// Record is a group policy row.
type Record struct {
	resource.Base
	resource.Labeled
	Name        string `gorm:"size:128;not null;uniqueIndex"`
	Description string `gorm:"size:1024;not null"`
}

// TableName fixes the table name.
func (Record) TableName() string { return "group_policies" }

// Member puts a user in a group policy.
type Member struct {
	GroupPolicyID int64 `gorm:"primaryKey;autoIncrement:false"`
	UserID        int64 `gorm:"primaryKey;autoIncrement:false;index"`
}

// TableName fixes the table name.
func (Member) TableName() string { return "group_policy_members" }

// Membership gives a group policy's members a role on a Jump Group.
type Membership struct {
	ID            int64  `gorm:"primaryKey;autoIncrement"`
	GroupPolicyID int64  `gorm:"not null;uniqueIndex:idx_membership_pair"`
	JumpGroupID   int64  `gorm:"not null;uniqueIndex:idx_membership_pair;index"`
	Role          string `gorm:"size:16;not null"`
	JumpPolicyID  *int64 `gorm:"index"`
}

// TableName fixes the table name.
func (Membership) TableName() string { return "jump_group_memberships" }

// The references of members and memberships. Deleting a group policy, a
// user or a Jump Group removes the rows that name it; only a jump policy
// that a membership names refuses its delete.
var (
	memberGroupPolicy     = resource.Reference{Table: "group_policy_members", Column: "group_policy_id", Target: "group_policies", Cascade: true}
	memberUser            = resource.Reference{Table: "group_policy_members", Column: "user_id", Field: "members", Target: "users", Noun: "user", Cascade: true}
	membershipGroupPolicy = resource.Reference{Table: "jump_group_memberships", Column: "group_policy_id", Field: "group_policy_id", Target: "group_policies", Noun: "group policy", Cascade: true}
	membershipJumpGroup   = resource.Reference{Table: "jump_group_memberships", Column: "jump_group_id", Field: "jump_group_id", Target: "jump_groups", Noun: "jump group", Cascade: true}
	membershipJumpPolicy  = resource.Reference{Table: "jump_group_memberships", Column: "jump_policy_id", Field: "jump_policy_id", Target: "jump_policies", Noun: "jump policy", Title: "jump group memberships"}
)

func init() {
	resource.Register(memberGroupPolicy, memberUser, membershipGroupPolicy, membershipJumpGroup, membershipJumpPolicy)
}

func toAPI(r *Record) *api.GroupPolicy {
	return &api.GroupPolicy{Meta: r.Meta(), Name: r.Name, Description: r.Description, Members: []int64{}, JumpGroups: []api.GroupPolicyJumpGroup{}}
}

func fromAPI(a *api.GroupPolicy, r *Record) error {
	r.Name, r.Description = a.Name, a.Description
	return nil
}
