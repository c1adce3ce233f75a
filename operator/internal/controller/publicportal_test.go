package controller_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/operator/api/v1alpha1"
)

// withoutRetries makes retries after errors and reference waits so slow (the
// wait's requeue is capped at 30 s) that only the watch on a referenced
// resource can unblock a waiting one within a test's time.
func withoutRetries() envOption {
	return func(c *envConfig) { c.BackoffBase, c.BackoffMax = time.Hour, time.Hour }
}

// byWatch asserts that a waiting resource was unblocked by the watch on
// what it refers to, not by the 30 s poll of reference waits.
func byWatch(t *testing.T, since time.Time) {
	t.Helper()
	assert.Less(t, time.Since(since), 15*time.Second, "the referrer became Ready only by its 30 s poll, not through the watch")
}

func publicPortal(name, hostname, display string) *v1alpha1.PublicPortal {
	return &v1alpha1.PublicPortal{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1alpha1.PublicPortalSpec{Hostname: hostname, DisplayName: display}}
}

// TestPublicPortal_Lifecycle: a minimal spec gets the appliance's defaults
// and stays steady; a fully populated one (default, a session policy,
// automatic behavior) is mapped in place and stays steady; removing the
// session policy reference clears it; delete removes the portal.
func TestPublicPortal_Lifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withResync(300*time.Millisecond))
	sp := sessionPolicy("portal-policy", "Portal policy")
	e.Create(sp)
	spID := e.WaitReady(sp)

	pp := publicPortal("support", "support.example.com", "Support")
	e.Create(pp)
	id := e.WaitReady(pp)
	get := func() (*api.PublicPortal, error) { return e.API.GetPublicPortal(e.ctx, id) }
	version := func() (int64, error) {
		a, err := get()
		if err != nil {
			return 0, err
		}
		return a.Version, nil
	}
	a, err := get()
	require.NoError(t, err)
	assert.Equal(t, "support.example.com", a.Hostname)
	assert.Equal(t, "Support", a.DisplayName)
	assert.False(t, a.Default)
	assert.Nil(t, a.SessionPolicyID)
	assert.Equal(t, api.AutomaticReject, a.AutomaticBehavior)
	assert.Equal(t, e.NS+".support", a.Labels[v1alpha1.OwnerLabel])
	e.WaitEvent(pp, "Created")
	assertSteady(e, pp, version)

	e.Update(pp, func() {
		pp.Spec = v1alpha1.PublicPortalSpec{
			Hostname: "help.example.com", DisplayName: "Help desk", Default: true,
			SessionPolicyRef: &v1alpha1.LocalObjectReference{Name: "portal-policy"}, AutomaticBehavior: "accept",
		}
	})
	assert.Equal(t, id, e.WaitReady(pp), "updated in place")
	a, err = get()
	require.NoError(t, err)
	assert.Equal(t, "help.example.com", a.Hostname)
	assert.Equal(t, "Help desk", a.DisplayName)
	assert.True(t, a.Default)
	require.NotNil(t, a.SessionPolicyID)
	assert.Equal(t, spID, *a.SessionPolicyID)
	assert.Equal(t, api.AutomaticAccept, a.AutomaticBehavior)
	assertSteady(e, pp, version)

	// Removing the reference removes the portal's session policy.
	e.Update(pp, func() { pp.Spec.SessionPolicyRef = nil })
	e.WaitReady(pp)
	a, err = get()
	require.NoError(t, err)
	assert.Nil(t, a.SessionPolicyID, "session_policy_id cleared")
	assert.True(t, a.Default)

	e.Delete(pp)
	_, err = get()
	assert.ErrorIs(t, err, api.ErrNotFound)
	// The session policy is no longer used, so it can go too.
	e.Delete(sp)
	_, err = e.API.GetSessionPolicy(e.ctx, spID)
	assert.ErrorIs(t, err, api.ErrNotFound)
}

// TestPublicPortal_WaitsForSessionPolicy: a portal created before its
// SessionPolicy waits, naming it, and proceeds by itself once the policy is
// Ready.
func TestPublicPortal_WaitsForSessionPolicy(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withoutRetries())
	pp := publicPortal("support", "support.example.com", "Support")
	pp.Spec.SessionPolicyRef = &v1alpha1.LocalObjectReference{Name: "portal-policy"}
	e.Create(pp)
	c := e.WaitCondition(pp, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonWaitingForReference)
	assert.Contains(t, c.Message, `SessionPolicy "portal-policy"`)
	e.WaitEvent(pp, v1alpha1.ReasonWaitingForReference)
	l, err := e.API.ListPublicPortals(e.ctx, &api.ListOptions{Filters: map[string]string{"hostname": "support.example.com"}})
	require.NoError(t, err)
	assert.Empty(t, l.Items, "nothing written while waiting")

	start := time.Now()
	sp := sessionPolicy("portal-policy", "Portal policy")
	e.Create(sp)
	spID := e.WaitReady(sp)
	id := e.WaitReady(pp)
	byWatch(t, start)
	a, err := e.API.GetPublicPortal(e.ctx, id)
	require.NoError(t, err)
	require.NotNil(t, a.SessionPolicyID)
	assert.Equal(t, spID, *a.SessionPolicyID)
}

// TestPublicPortal_SecondDefault: the appliance refuses a second default
// portal; the resource reports it (ApplianceError condition and a Warning
// Event with the appliance's answer) and succeeds by itself once the first
// portal gives the default up.
func TestPublicPortal_SecondDefault(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	first := publicPortal("first", "first.example.com", "First")
	first.Spec.Default = true
	e.Create(first)
	e.WaitReady(first)

	second := publicPortal("second", "second.example.com", "Second")
	second.Spec.Default = true
	e.Create(second)
	c := e.WaitCondition(second, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonApplianceError)
	assert.Contains(t, c.Message, "409")
	assert.Contains(t, c.Message, `public portal "first.example.com" is already the default`)
	synced := e.WaitCondition(second, v1alpha1.ConditionSynced, metav1.ConditionFalse, v1alpha1.ReasonApplianceError)
	assert.Equal(t, c.Message, synced.Message)
	ev := e.WaitEvent(second, v1alpha1.ReasonApplianceError)
	assert.Equal(t, "Warning", ev.Type)
	assert.Contains(t, ev.Note, "already the default")

	e.Update(first, func() { first.Spec.Default = false })
	e.WaitReady(first)
	id := e.WaitReady(second)
	a, err := e.API.GetPublicPortal(e.ctx, id)
	require.NoError(t, err)
	assert.True(t, a.Default)
}

// TestPublicPortal_Invalid: the API server refuses a host name the appliance
// would store differently.
func TestPublicPortal_Invalid(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, host := range []string{"Support.Example.com", "support.example.com."} {
		pp := publicPortal("bad", host, "Bad")
		pp.Namespace = e.NS
		err := k8s.Create(e.ctx, pp)
		require.Error(t, err, host)
		assert.Contains(t, err.Error(), "must be a DNS host name or an IP address, in lower case and without a trailing dot")
	}
}
