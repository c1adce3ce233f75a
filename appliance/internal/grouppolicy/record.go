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

func toAPI(r *Record) *api.GroupPolicy {
	return &api.GroupPolicy{Meta: r.Meta(), Name: r.Name, Description: r.Description, Members: []int64{}, JumpGroups: []api.GroupPolicyJumpGroup{}}
}

func fromAPI(a *api.GroupPolicy, r *Record) error {
	r.Name, r.Description = a.Name, a.Description
	return nil
}
