package controller_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/operator/api/v1alpha1"
)

func jumpPolicy(name, display string) *v1alpha1.JumpPolicy {
	return &v1alpha1.JumpPolicy{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1alpha1.JumpPolicySpec{DisplayName: display}}
}

// assertSteady checks that, over a second of resyncs (the env must run with a
// short resync period), the operator reconciles obj again and again without
// writing to its appliance object: version stays the same and no
// DriftCorrected Event appears (the appliance does not count a write of
// equal values as a new version, so the Events are what shows a loop). It
// catches defaults and normalisation of the appliance that Desired does not
// reproduce, which would otherwise be "corrected" at every resync.
func assertSteady(e *env, obj client.Object, version func() (int64, error)) {
	e.t.Helper()
	kind, name := kindName(obj), obj.GetName()
	before, err := version()
	require.NoError(e.t, err)
	n := e.Reconciles(kind, name)
	time.Sleep(time.Second)
	after, err := version()
	require.NoError(e.t, err)
	assert.Equal(e.t, before, after, "%s %s: resyncs without drift wrote to the appliance", kind, name)
	assert.GreaterOrEqual(e.t, e.Reconciles(kind, name)-n, 2, "%s %s: resyncs during the second", kind, name)
	noEvent(e, obj, v1alpha1.ReasonDriftCorrected)
}

// noEvent asserts that obj has no Event with this reason.
func noEvent(e *env, obj client.Object, reason string) {
	e.t.Helper()
	for _, ev := range e.Events(obj) {
		if ev.Reason == reason {
			e.t.Errorf("%s %s: unexpected Event %s: %s", kindName(obj), obj.GetName(), reason, ev.Note)
			return
		}
	}
}

// TestJumpPolicy_Lifecycle: a minimal spec gets the appliance's defaults and
// stays steady; a fully populated spec is mapped field by field, in place,
// and stays steady too; removing fields clears them; drift, including an
// expiry added by hand, is written back; delete removes the policy.
func TestJumpPolicy_Lifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withResync(300*time.Millisecond))
	alice, err := e.API.CreateUser(e.ctx, &api.User{Username: "alice"})
	require.NoError(t, err)
	bob, err := e.API.CreateUser(e.ctx, &api.User{Username: "bob@example.com"})
	require.NoError(t, err)

	jp := jumpPolicy("after-hours", "After hours")
	e.Create(jp)
	id := e.WaitReady(jp)
	get := func() (*api.JumpPolicy, error) { return e.API.GetJumpPolicy(e.ctx, id) }
	version := func() (int64, error) {
		a, err := get()
		if err != nil {
			return 0, err
		}
		return a.Version, nil
	}
	a, err := get()
	require.NoError(t, err)
	assert.Equal(t, "After hours", a.DisplayName)
	assert.Equal(t, "after-hours", a.CodeName, "codeName defaults to metadata.name")
	assert.Equal(t, "UTC", a.Timezone)
	assert.Equal(t, api.SimultaneousJoin, a.SimultaneousJumps)
	assert.Equal(t, 60, a.ApprovalMaxDuration)
	assert.Nil(t, a.ExpiresAt)
	assert.Empty(t, a.Schedule)
	assert.Empty(t, a.ApprovalUserIDs)
	assert.Equal(t, e.NS+".after-hours", a.Labels[v1alpha1.OwnerLabel])
	assertSteady(e, jp, version)

	// Fully populated: every field reaches the appliance. The expiry is
	// given in another zone and with a fraction the appliance drops.
	expires := time.Date(2031, 3, 4, 15, 4, 5, 0, time.FixedZone("CET", 3600))
	e.Update(jp, func() {
		jp.Spec = v1alpha1.JumpPolicySpec{
			DisplayName: "After hours (ops)", CodeName: "ops-after-hours", Description: "nights and weekends",
			ScheduleEnabled: true,
			Schedule: []v1alpha1.ScheduleWindow{
				{Day: "sunday", StartTime: "00:00", EndTime: "24:00"},
				{Day: "monday", StartTime: "18:00", EndTime: "23:59"},
				{Day: "monday", StartTime: "00:00", EndTime: "06:00"},
			},
			Timezone: "Europe/Berlin", ScheduleStrict: true, ExpiresAt: &metav1.Time{Time: expires},
			SimultaneousJumps: "disallow",
			TicketIDRequired:  true, TicketIDWebhookURL: "https://tickets.example.com/check",
			ApprovalRequired: true, ApproverUsernames: []string{"bob@example.com", "alice"}, ApprovalMaxDuration: 240,
			SessionStartNotification: true, SessionEndNotification: true,
			NotificationEmailAddresses: []string{"soc@example.com", "audit@example.com"},
			NotificationWebhookURL:     "https://hooks.example.com/jumpgate",
			RecordingsDisabled:         true,
		}
	})
	assert.Equal(t, id, e.WaitReady(jp), "updated in place")
	e.WaitEvent(jp, "Updated")
	a, err = get()
	require.NoError(t, err)
	assert.Equal(t, "After hours (ops)", a.DisplayName)
	assert.Equal(t, "ops-after-hours", a.CodeName)
	assert.Equal(t, "nights and weekends", a.Description)
	assert.True(t, a.ScheduleEnabled)
	assert.ElementsMatch(t, []api.ScheduleEntry{
		{Day: "sunday", StartTime: "00:00", EndTime: "24:00"},
		{Day: "monday", StartTime: "18:00", EndTime: "23:59"},
		{Day: "monday", StartTime: "00:00", EndTime: "06:00"},
	}, a.Schedule)
	assert.Equal(t, "Europe/Berlin", a.Timezone)
	assert.True(t, a.ScheduleStrict)
	require.NotNil(t, a.ExpiresAt)
	assert.True(t, a.ExpiresAt.Equal(expires), "expires_at %v, want %v", a.ExpiresAt, expires)
	assert.Equal(t, "disallow", a.SimultaneousJumps)
	assert.True(t, a.TicketIDRequired)
	assert.Equal(t, "https://tickets.example.com/check", a.TicketIDWebhookURL)
	assert.True(t, a.ApprovalRequired)
	assert.ElementsMatch(t, []int64{alice.ID, bob.ID}, a.ApprovalUserIDs)
	assert.Equal(t, 240, a.ApprovalMaxDuration)
	assert.True(t, a.SessionStartNotification)
	assert.True(t, a.SessionEndNotification)
	assert.ElementsMatch(t, []string{"soc@example.com", "audit@example.com"}, a.NotificationEmailAddresses)
	assert.Equal(t, "https://hooks.example.com/jumpgate", a.NotificationWebhookURL)
	assert.True(t, a.RecordingsDisabled)
	assertSteady(e, jp, version)

	// Removing fields clears them, the expiry included.
	e.Update(jp, func() {
		jp.Spec.ExpiresAt = nil
		jp.Spec.ApprovalRequired, jp.Spec.ApproverUsernames = false, nil
		jp.Spec.ScheduleEnabled, jp.Spec.Schedule = false, nil
		jp.Spec.NotificationEmailAddresses = nil
	})
	assert.Equal(t, id, e.WaitReady(jp))
	a, err = get()
	require.NoError(t, err)
	assert.Nil(t, a.ExpiresAt, "expires_at cleared")
	assert.False(t, a.ApprovalRequired)
	assert.Empty(t, a.ApprovalUserIDs)
	assert.False(t, a.ScheduleEnabled)
	assert.Empty(t, a.Schedule)
	assert.Empty(t, a.NotificationEmailAddresses)
	assert.Equal(t, "https://hooks.example.com/jumpgate", a.NotificationWebhookURL, "kept")
	noEvent(e, jp, v1alpha1.ReasonDriftCorrected)

	// Drift: an expiry and an approver added by hand are taken away again.
	_, err = e.API.PatchJumpPolicy(e.ctx, id, map[string]any{"expires_at": "2030-01-01T00:00:00Z", "approval_user_ids": []int64{alice.ID}})
	require.NoError(t, err)
	ev := e.WaitEvent(jp, v1alpha1.ReasonDriftCorrected)
	assert.Contains(t, ev.Note, "approval_user_ids, expires_at")
	e.Eventually(func() error {
		a, err := get()
		if err != nil {
			return err
		}
		if a.ExpiresAt != nil || len(a.ApprovalUserIDs) != 0 {
			return fmt.Errorf("expires_at %v, approval_user_ids %v", a.ExpiresAt, a.ApprovalUserIDs)
		}
		return nil
	}, "the drift written back")

	e.Delete(jp)
	_, err = get()
	assert.ErrorIs(t, err, api.ErrNotFound)
}

// TestJumpPolicy_WaitsForApprover: an approver who is not a user of the
// appliance holds the policy back, naming them; once the user exists the
// policy is created with their id.
func TestJumpPolicy_WaitsForApprover(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	jp := jumpPolicy("approved", "Approved jumps")
	jp.Spec.ApprovalRequired, jp.Spec.ApproverUsernames = true, []string{"carol"}
	e.Create(jp)
	c := e.WaitCondition(jp, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonWaitingForReference)
	assert.Contains(t, c.Message, `user "carol"`)
	l, err := e.API.ListJumpPolicies(e.ctx, &api.ListOptions{Filters: map[string]string{"code_name": "approved"}})
	require.NoError(t, err)
	assert.Empty(t, l.Items, "nothing written while waiting")

	carol, err := e.API.CreateUser(e.ctx, &api.User{Username: "carol"})
	require.NoError(t, err)
	id := e.WaitReady(jp)
	a, err := e.API.GetJumpPolicy(e.ctx, id)
	require.NoError(t, err)
	assert.Equal(t, []int64{carol.ID}, a.ApprovalUserIDs)
	assert.True(t, a.ApprovalRequired)
}

// TestJumpPolicy_Invalid: the API server refuses specs the appliance would.
func TestJumpPolicy_Invalid(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, tt := range []struct {
		name string
		edit func(*v1alpha1.JumpPolicySpec)
		want string
	}{
		{"approval without approvers", func(s *v1alpha1.JumpPolicySpec) { s.ApprovalRequired = true }, "approvalRequired needs at least one of approverUsernames"},
		{"window ends before it starts", func(s *v1alpha1.JumpPolicySpec) {
			s.ScheduleEnabled = true
			s.Schedule = []v1alpha1.ScheduleWindow{{Day: "monday", StartTime: "18:00", EndTime: "08:00"}}
		}, "endTime must be after startTime"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			jp := jumpPolicy("bad", "Bad")
			jp.Namespace = e.NS
			tt.edit(&jp.Spec)
			err := k8s.Create(e.ctx, jp)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// TestJumpPolicy_JumpGroupMembershipWaits: a Jump Group membership that
// names a JumpPolicy not yet there waits for it, naming it, and proceeds by
// itself once the policy is Ready.
func TestJumpPolicy_JumpGroupMembershipWaits(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withoutRetries())
	gp, err := e.API.CreateGroupPolicy(e.ctx, &api.GroupPolicy{Name: "Admins"})
	require.NoError(t, err)
	jg := jumpGroup("ops", "Operations")
	jg.Spec.Memberships = []v1alpha1.JumpGroupMembership{{GroupPolicyName: "Admins", Role: "start", JumpPolicyRef: &v1alpha1.LocalObjectReference{Name: "after-hours"}}}
	e.Create(jg)
	c := e.WaitCondition(jg, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonWaitingForReference)
	assert.Contains(t, c.Message, `JumpPolicy "after-hours"`)

	start := time.Now()
	jp := jumpPolicy("after-hours", "After hours")
	e.Create(jp)
	jpID := e.WaitReady(jp)
	jgID := e.WaitReady(jg)
	byWatch(t, start)
	a, err := e.API.GetJumpGroup(e.ctx, jgID)
	require.NoError(t, err)
	require.Len(t, a.Memberships, 1)
	assert.Equal(t, gp.ID, a.Memberships[0].GroupPolicyID)
	require.NotNil(t, a.Memberships[0].JumpPolicyID)
	assert.Equal(t, jpID, *a.Memberships[0].JumpPolicyID)
}
