package controller

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/jumpgate/jumpgate/api"
)

func TestDiff(t *testing.T) {
	pid := int64(3)
	base := func() *api.JumpGroup {
		return &api.JumpGroup{Name: "Ops", CodeName: "ops", Memberships: []api.JumpGroupMembership{{GroupPolicyID: 1, Role: "view"}}}
	}
	actual := base()
	actual.Meta = api.Meta{ID: 7, Version: 3, CreatedAt: time.Now()}
	actual.Labels = map[string]string{"x": "y"}
	assert.Empty(t, diff(base(), actual), "read-only fields and labels are not compared")

	d := base()
	d.Memberships = nil
	actual.Name = "Other"
	assert.Equal(t, []string{"name"}, diff(d, actual), "nil top-level list: not managed")

	d = base()
	d.Memberships[0].JumpPolicyID = &pid
	assert.Equal(t, []string{"memberships", "name"}, diff(d, actual), "nested nil pointer is a value")
	actual.Memberships[0].JumpPolicyID = &pid
	d.Name = "Other"
	assert.Empty(t, diff(d, actual))

	d.Memberships = []api.JumpGroupMembership{}
	actual.Memberships = nil
	assert.Empty(t, diff(d, actual), "nil and empty lists are equal")
	actual.Memberships = []api.JumpGroupMembership{{GroupPolicyID: 1, Role: "view"}}
	assert.Equal(t, []string{"memberships"}, diff(d, actual))

	t1 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	t2 := t1.In(time.FixedZone("x", 3600))
	assert.Empty(t, diff(&api.JumpPolicy{ExpiresAt: &t1}, &api.JumpPolicy{ExpiresAt: &t2}), "times compare as instants")
	assert.Equal(t, []string{"expires_at"}, diff(&api.JumpPolicy{ExpiresAt: &t1}, &api.JumpPolicy{}))

	// A clearable top-level pointer: nil in desired is compared as absent.
	jp := int64(4)
	withPolicy := &api.JumpClientInstaller{JumpPolicyID: &jp, PublicPortalID: &jp}
	assert.Empty(t, diff(&api.JumpClientInstaller{}, withPolicy), "nil top-level pointer: not managed")
	assert.Equal(t, []string{"jump_policy_id"}, diff(&api.JumpClientInstaller{}, withPolicy, "jump_policy_id"),
		"nil clearable pointer: a value; others stay unmanaged")
	assert.Empty(t, diff(&api.JumpClientInstaller{}, &api.JumpClientInstaller{}, "jump_policy_id"))
}
