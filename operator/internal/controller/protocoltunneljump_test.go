package controller_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/operator/api/v1alpha1"
)

// tunnelJumpCR is a shared Protocol Tunnel Jump through the Jumpoint
// "site" owned by the JumpGroup "ops".
func tunnelJumpCR(name string) *v1alpha1.ProtocolTunnelJump {
	return &v1alpha1.ProtocolTunnelJump{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1alpha1.ProtocolTunnelJumpSpec{
		Name:              "Database",
		JumpointRef:       v1alpha1.LocalObjectReference{Name: "site"},
		Hostname:          "db.internal",
		TunnelDefinitions: []v1alpha1.TunnelDefinition{{RemotePort: 5432}},
		JumpGroupRef:      &v1alpha1.LocalObjectReference{Name: "ops"},
	}}
}

// tunnelJumpointCR is a Jumpoint that allows Protocol Tunnel Jumps.
func tunnelJumpointCR(name string) *v1alpha1.Jumpoint {
	return &v1alpha1.Jumpoint{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1alpha1.JumpointSpec{Name: "Site " + name, ProtocolTunnelEnabled: true}}
}

// fullTunnelJump creates everything a fully populated tunnel jump refers to
// (Jumpoint site, JumpGroup ops, JumpPolicy hours, SessionPolicy tunnels),
// waits for them, and returns the tunnel jump (not created yet).
func fullTunnelJump(e *env) *v1alpha1.ProtocolTunnelJump {
	e.t.Helper()
	e.Create(tunnelJumpointCR("site"))
	e.Create(jumpGroup("ops", "Operations"))
	e.Create(&v1alpha1.JumpPolicy{ObjectMeta: metav1.ObjectMeta{Name: "hours"}, Spec: v1alpha1.JumpPolicySpec{DisplayName: "Business hours"}})
	e.Create(&v1alpha1.SessionPolicy{ObjectMeta: metav1.ObjectMeta{Name: "tunnels"}, Spec: v1alpha1.SessionPolicySpec{DisplayName: "Tunnels only"}})
	ptj := tunnelJumpCR("db")
	s := &ptj.Spec
	s.Hostname = "10.1.2.3"
	s.TunnelDefinitions = []v1alpha1.TunnelDefinition{{LocalPort: 15432, RemotePort: 5432}, {RemotePort: 443}, {LocalPort: 8080, RemotePort: 80}}
	s.TunnelListenAddress = "127.0.0.2"
	s.Tag = "databases"
	s.Comments = "from kubernetes"
	s.JumpPolicyRef = &v1alpha1.LocalObjectReference{Name: "hours"}
	s.SessionPolicyRef = &v1alpha1.LocalObjectReference{Name: "tunnels"}
	return ptj
}

// TestProtocolTunnelJump_Lifecycle: a fully populated item is created with
// every field and reference resolved, updated in place (including a
// reference removed, which clears it), and deleted.
func TestProtocolTunnelJump_Lifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ptj := fullTunnelJump(e)
	e.Create(ptj)
	id := e.WaitReady(ptj)
	require.NotZero(t, id)
	e.WaitEvent(ptj, "Created")

	refs := map[string]int64{}
	jp := &v1alpha1.Jumpoint{ObjectMeta: metav1.ObjectMeta{Name: "site"}}
	jg := &v1alpha1.JumpGroup{ObjectMeta: metav1.ObjectMeta{Name: "ops"}}
	pol := &v1alpha1.JumpPolicy{ObjectMeta: metav1.ObjectMeta{Name: "hours"}}
	sp := &v1alpha1.SessionPolicy{ObjectMeta: metav1.ObjectMeta{Name: "tunnels"}}
	refs["jumpoint"], refs["group"], refs["policy"], refs["session"] = e.WaitReady(jp), e.WaitReady(jg), e.WaitReady(pol), e.WaitReady(sp)

	a, err := e.API.GetProtocolTunnelJump(e.ctx, id)
	require.NoError(t, err)
	assert.Equal(t, "Database", a.Name)
	assert.Equal(t, refs["jumpoint"], a.JumpointID)
	assert.Equal(t, "10.1.2.3", a.Hostname)
	assert.Equal(t, []api.TunnelDefinition{{LocalPort: 15432, RemotePort: 5432}, {RemotePort: 443}, {LocalPort: 8080, RemotePort: 80}},
		a.TunnelDefinitions, "in the spec's order")
	assert.Equal(t, "127.0.0.2", a.TunnelListenAddress)
	assert.Equal(t, refs["group"], a.JumpGroupID)
	assert.Equal(t, api.JumpGroupShared, a.JumpGroupType)
	assert.Equal(t, "databases", a.Tag)
	assert.Equal(t, "from kubernetes", a.Comments)
	assert.Equal(t, int64Ref(refs["policy"]), a.JumpPolicyID)
	assert.Equal(t, int64Ref(refs["session"]), a.SessionPolicyID)
	assert.Equal(t, v1alpha1.ManagedByValue, a.Labels[v1alpha1.ManagedByLabel])
	assert.Equal(t, e.NS+".db", a.Labels[v1alpha1.OwnerLabel])

	// Update in place: every plain field, the order of the tunnels, and
	// the policies left out (none, so cleared in the appliance).
	e.Create(tunnelJumpointCR("other"))
	other := e.WaitReady(&v1alpha1.Jumpoint{ObjectMeta: metav1.ObjectMeta{Name: "other"}})
	e.Update(ptj, func() {
		s := &ptj.Spec
		s.Name, s.Hostname, s.Tag, s.Comments = "Database replica", "db-2.internal", "", ""
		s.JumpointRef.Name = "other"
		s.TunnelDefinitions = []v1alpha1.TunnelDefinition{{RemotePort: 443}, {LocalPort: 15432, RemotePort: 5433}}
		s.TunnelListenAddress = "127.0.0.1"
		s.JumpPolicyRef, s.SessionPolicyRef = nil, nil
	})
	assert.Equal(t, id, e.WaitReady(ptj), "updated in place")
	a, err = e.API.GetProtocolTunnelJump(e.ctx, id)
	require.NoError(t, err)
	assert.Equal(t, "Database replica", a.Name)
	assert.Equal(t, other, a.JumpointID)
	assert.Equal(t, "db-2.internal", a.Hostname)
	assert.Equal(t, []api.TunnelDefinition{{RemotePort: 443}, {LocalPort: 15432, RemotePort: 5433}}, a.TunnelDefinitions)
	assert.Equal(t, "127.0.0.1", a.TunnelListenAddress)
	assert.Empty(t, a.Tag)
	assert.Empty(t, a.Comments)
	assert.Nil(t, a.JumpPolicyID, "jumpPolicyRef removed: cleared")
	assert.Nil(t, a.SessionPolicyID, "sessionPolicyRef removed: cleared")
	e.WaitEvent(ptj, "Updated")

	e.Delete(ptj)
	_, err = e.API.GetProtocolTunnelJump(e.ctx, id)
	assert.ErrorIs(t, err, api.ErrNotFound)
}

// int64Ref is a pointer to v.
func int64Ref(v int64) *int64 { return &v }

// TestProtocolTunnelJump_Invalid: the API server refuses bad specs with
// messages that name the problem.
func TestProtocolTunnelJump_Invalid(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, tt := range []struct {
		name, want string
		edit       func(s *v1alpha1.ProtocolTunnelJumpSpec)
	}{
		{"shared without jumpGroupRef", "jumpGroupRef is required unless jumpGroupType is personal",
			func(s *v1alpha1.ProtocolTunnelJumpSpec) { s.JumpGroupRef = nil }},
		{"personal without username", "jumpGroupType personal needs personalUsername and no jumpGroupRef",
			func(s *v1alpha1.ProtocolTunnelJumpSpec) {
				s.JumpGroupType = v1alpha1.JumpGroupPersonal
				s.JumpGroupRef = nil
			}},
		{"username of a shared item", "personalUsername needs jumpGroupType personal",
			func(s *v1alpha1.ProtocolTunnelJumpSpec) { s.PersonalUsername = "alice" }},
		{"no tunnels", "spec.tunnelDefinitions",
			func(s *v1alpha1.ProtocolTunnelJumpSpec) { s.TunnelDefinitions = nil }},
		{"duplicate local port", "localPort values other than 0 must be unique",
			func(s *v1alpha1.ProtocolTunnelJumpSpec) {
				s.TunnelDefinitions = []v1alpha1.TunnelDefinition{{LocalPort: 8080, RemotePort: 80}, {LocalPort: 8080, RemotePort: 81}}
			}},
		{"remote port 0", "spec.tunnelDefinitions[0].remotePort",
			func(s *v1alpha1.ProtocolTunnelJumpSpec) {
				s.TunnelDefinitions = []v1alpha1.TunnelDefinition{{RemotePort: 0}}
			}},
		{"listen address not loopback", "tunnelListenAddress must be an IPv4 address in 127.0.0.0/8",
			func(s *v1alpha1.ProtocolTunnelJumpSpec) { s.TunnelListenAddress = "0.0.0.0" }},
		{"bad hostname", "must be a DNS host name or an IP address",
			func(s *v1alpha1.ProtocolTunnelJumpSpec) { s.Hostname = "db internal" }},
		{"name too long", "spec.name", func(s *v1alpha1.ProtocolTunnelJumpSpec) { s.Name = strings.Repeat("x", 129) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ptj := tunnelJumpCR("bad")
			ptj.Namespace = e.NS
			tt.edit(&ptj.Spec)
			err := k8s.Create(e.ctx, ptj)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// TestProtocolTunnelJump_Steady: with a resync every 300 ms, a fully
// populated item (the appliance filling in nothing it would then differ
// on) is never written again; a change made in the appliance is written
// back with a DriftCorrected Event.
func TestProtocolTunnelJump_Steady(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withResync(300*time.Millisecond))
	ptj := fullTunnelJump(e)
	ptj.Spec.TunnelListenAddress = "" // the CRD's default, 127.0.0.1
	e.Create(ptj)
	id := e.WaitReady(ptj)
	a, err := e.API.GetProtocolTunnelJump(e.ctx, id)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1", a.TunnelListenAddress)

	before := e.Reconciles("ProtocolTunnelJump", "db")
	time.Sleep(time.Second)
	assert.GreaterOrEqual(t, e.Reconciles("ProtocolTunnelJump", "db")-before, 2, "resyncs ran")
	now, err := e.API.GetProtocolTunnelJump(e.ctx, id)
	require.NoError(t, err)
	assert.Equal(t, a.Version, now.Version, "resyncs without drift wrote to the appliance")
	for _, ev := range e.Events(ptj) {
		assert.NotEqual(t, v1alpha1.ReasonDriftCorrected, ev.Reason, ev.Note)
	}

	_, err = e.API.PatchProtocolTunnelJump(e.ctx, id, map[string]any{
		"hostname":           "evil.internal",
		"tunnel_definitions": []map[string]int{{"remote_port": 22}},
		"jump_policy_id":     nil,
	})
	require.NoError(t, err)
	ev := e.WaitEvent(ptj, v1alpha1.ReasonDriftCorrected)
	assert.Contains(t, ev.Note, "hostname, jump_policy_id, tunnel_definitions")
	e.Eventually(func() error {
		a, err := e.API.GetProtocolTunnelJump(e.ctx, id)
		if err != nil {
			return err
		}
		if a.Hostname != "10.1.2.3" || len(a.TunnelDefinitions) != 3 || a.JumpPolicyID == nil {
			return fmt.Errorf("hostname %q, tunnels %v, jump policy %v", a.Hostname, a.TunnelDefinitions, a.JumpPolicyID)
		}
		return nil
	}, "the spec written back")
}

// TestProtocolTunnelJump_WaitsForReferences: an item created before its
// Jumpoint and JumpGroup waits for each, naming it, and is created once
// both are Ready.
func TestProtocolTunnelJump_WaitsForReferences(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ptj := tunnelJumpCR("db")
	e.Create(ptj)
	c := e.WaitCondition(ptj, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonWaitingForReference)
	assert.Contains(t, c.Message, `Jumpoint "site"`)
	e.WaitEvent(ptj, v1alpha1.ReasonWaitingForReference)

	e.Create(tunnelJumpointCR("site"))
	e.Eventually(func() error {
		if err := e.Get(ptj); err != nil {
			return err
		}
		if c := conditions(ptj); !strings.Contains(c, `JumpGroup "ops"`) {
			return fmt.Errorf("conditions %s", c)
		}
		return nil
	}, "the item to wait for its JumpGroup")
	l, err := e.API.ListProtocolTunnelJumps(e.ctx, nil)
	require.NoError(t, err)
	assert.Empty(t, l.Items, "nothing written while waiting")

	e.Create(jumpGroup("ops", "Operations"))
	id := e.WaitReady(ptj)
	a, err := e.API.GetProtocolTunnelJump(e.ctx, id)
	require.NoError(t, err)
	assert.Equal(t, "db.internal", a.Hostname)
}

// TestProtocolTunnelJump_Personal: a personal item waits for its user to
// exist in the appliance, then lands on that user's personal list.
func TestProtocolTunnelJump_Personal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	site := tunnelJumpointCR("site")
	e.Create(site)
	e.WaitReady(site)
	ptj := tunnelJumpCR("mine")
	ptj.Spec.JumpGroupRef = nil
	ptj.Spec.JumpGroupType = v1alpha1.JumpGroupPersonal
	ptj.Spec.PersonalUsername = "alice"
	e.Create(ptj)
	c := e.WaitCondition(ptj, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonWaitingForReference)
	assert.Contains(t, c.Message, `user "alice"`)

	u, err := e.API.CreateUser(e.ctx, &api.User{Username: "alice"})
	require.NoError(t, err)
	id := e.WaitReady(ptj)
	a, err := e.API.GetProtocolTunnelJump(e.ctx, id)
	require.NoError(t, err)
	assert.Equal(t, api.JumpGroupPersonal, a.JumpGroupType)
	assert.Equal(t, u.ID, a.JumpGroupID)
}
