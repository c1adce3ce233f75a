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

// fullJumpoint is a Jumpoint with every field of the appliance object set
// away from its default; the proxy's CIDRs are out of order, as a user may
// write them.
func fullJumpoint(name string) *v1alpha1.Jumpoint {
	return &v1alpha1.Jumpoint{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1alpha1.JumpointSpec{
		Name:                  "Datacenter",
		CodeName:              "dc-1",
		Platform:              api.PlatformLinuxARM64,
		Enabled:               boolRef(false),
		Clustered:             true,
		ShellJumpEnabled:      true,
		ProtocolTunnelEnabled: true,
		JumpZoneProxy: v1alpha1.JumpZoneProxy{Enabled: true, Hostname: "proxy.example.com", Port: 443,
			AllowedClientCIDRs: []string{"192.168.0.0/16", "10.0.0.0/8", "fd00::/8"}},
		Comments: "from kubernetes",
	}}
}

func boolRef(b bool) *bool { return &b }

// TestJumpoint_Lifecycle: a fully populated Jumpoint is created with every
// field, updated in place, and deleted; a minimal one gets the appliance's
// defaults and its metadata.name as code name.
func TestJumpoint_Lifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	jp := fullJumpoint("dc")
	e.Create(jp)
	id := e.WaitReady(jp)
	require.NotZero(t, id)
	e.WaitEvent(jp, "Created")

	a, err := e.API.GetJumpoint(e.ctx, id)
	require.NoError(t, err)
	assert.Equal(t, "Datacenter", a.Name)
	assert.Equal(t, "dc-1", a.CodeName)
	assert.Equal(t, api.PlatformLinuxARM64, a.Platform)
	assert.Equal(t, boolRef(false), a.Enabled)
	assert.True(t, a.Clustered)
	assert.True(t, a.ShellJumpEnabled)
	assert.True(t, a.ProtocolTunnelEnabled)
	assert.Equal(t, api.JumpZoneProxy{Enabled: true, Hostname: "proxy.example.com", Port: 443,
		AllowedClientCIDRs: []string{"10.0.0.0/8", "192.168.0.0/16", "fd00::/8"}}, a.JumpZoneProxy)
	assert.Equal(t, "from kubernetes", a.Comments)
	assert.Equal(t, e.NS+".dc", a.Labels[v1alpha1.OwnerLabel])
	assert.Zero(t, jp.Status.ConnectedNodes)
	assert.Empty(t, jp.Status.DeploymentName)

	e.Update(jp, func() {
		s := &jp.Spec
		s.Name, s.CodeName, s.Platform, s.Comments = "Datacenter 2", "", api.PlatformWindowsAMD64, ""
		s.Enabled, s.Clustered, s.ShellJumpEnabled, s.ProtocolTunnelEnabled = boolRef(true), false, false, false
		s.JumpZoneProxy = v1alpha1.JumpZoneProxy{Port: 8443}
	})
	assert.Equal(t, id, e.WaitReady(jp), "updated in place")
	e.WaitEvent(jp, "Updated")
	a, err = e.API.GetJumpoint(e.ctx, id)
	require.NoError(t, err)
	assert.Equal(t, "Datacenter 2", a.Name)
	assert.Equal(t, "dc", a.CodeName, "codeName removed: metadata.name")
	assert.Equal(t, api.PlatformWindowsAMD64, a.Platform)
	assert.Equal(t, boolRef(true), a.Enabled)
	assert.False(t, a.Clustered)
	assert.False(t, a.ShellJumpEnabled)
	assert.False(t, a.ProtocolTunnelEnabled)
	assert.Equal(t, api.JumpZoneProxy{Port: 8443, AllowedClientCIDRs: []string{}}, a.JumpZoneProxy)
	assert.Empty(t, a.Comments)

	e.Delete(jp)
	_, err = e.API.GetJumpoint(e.ctx, id)
	assert.ErrorIs(t, err, api.ErrNotFound)

	minimal := &v1alpha1.Jumpoint{ObjectMeta: metav1.ObjectMeta{Name: "edge"}, Spec: v1alpha1.JumpointSpec{Name: "Edge"}}
	e.Create(minimal)
	a, err = e.API.GetJumpoint(e.ctx, e.WaitReady(minimal))
	require.NoError(t, err)
	assert.Equal(t, "edge", a.CodeName)
	assert.Equal(t, api.PlatformLinuxAMD64, a.Platform)
	assert.Equal(t, boolRef(true), a.Enabled)
	assert.Equal(t, 8443, a.JumpZoneProxy.Port)
}

// TestJumpoint_Invalid: the API server refuses bad specs with messages that
// name the problem.
func TestJumpoint_Invalid(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	replicas := func(n int32) *v1alpha1.JumpointDeployment { return &v1alpha1.JumpointDeployment{Replicas: &n} }
	for _, tt := range []struct {
		name, want string
		edit       func(s *v1alpha1.JumpointSpec)
	}{
		{"name too long", "spec.name", func(s *v1alpha1.JumpointSpec) { s.Name = strings.Repeat("x", 129) }},
		{"code name", "spec.codeName", func(s *v1alpha1.JumpointSpec) { s.CodeName = "-dc" }},
		{"platform", "spec.platform: Unsupported value", func(s *v1alpha1.JumpointSpec) { s.Platform = "linux-386" }},
		{"proxy without hostname", "hostname is required when the jump zone proxy is enabled",
			func(s *v1alpha1.JumpointSpec) { s.JumpZoneProxy.Enabled = true }},
		{"proxy CIDR", "must be CIDR prefixes", func(s *v1alpha1.JumpointSpec) { s.JumpZoneProxy.AllowedClientCIDRs = []string{"10.0.0.1"} }},
		{"replicas above 1 without clustered", "deployment.replicas above 1 needs clustered: true",
			func(s *v1alpha1.JumpointSpec) { s.Deployment = replicas(2) }},
		{"replicas above the cluster limit", "spec.deployment.replicas", func(s *v1alpha1.JumpointSpec) {
			s.Clustered = true
			s.Deployment = replicas(11)
		}},
		{"replicas 0", "spec.deployment.replicas", func(s *v1alpha1.JumpointSpec) { s.Deployment = replicas(0) }},
		{"deployment of a Windows jumpoint", "deployment runs Linux nodes", func(s *v1alpha1.JumpointSpec) {
			s.Platform = api.PlatformWindowsAMD64
			s.Deployment = replicas(1)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			jp := &v1alpha1.Jumpoint{ObjectMeta: metav1.ObjectMeta{Name: "bad", Namespace: e.NS}, Spec: v1alpha1.JumpointSpec{Name: "Bad"}}
			tt.edit(&jp.Spec)
			err := k8s.Create(e.ctx, jp)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// TestJumpoint_Steady: with a resync every 300 ms, a fully populated
// Jumpoint (CIDRs out of order, defaults the appliance fills in) is never
// written again; drift made in the appliance is written back.
func TestJumpoint_Steady(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withResync(300*time.Millisecond))
	jp := fullJumpoint("dc")
	e.Create(jp)
	id := e.WaitReady(jp)
	a, err := e.API.GetJumpoint(e.ctx, id)
	require.NoError(t, err)

	before := e.Reconciles("Jumpoint", "dc")
	time.Sleep(time.Second)
	assert.GreaterOrEqual(t, e.Reconciles("Jumpoint", "dc")-before, 2, "resyncs ran")
	now, err := e.API.GetJumpoint(e.ctx, id)
	require.NoError(t, err)
	assert.Equal(t, a.Version, now.Version, "resyncs without drift wrote to the appliance")

	_, err = e.API.PatchJumpoint(e.ctx, id, map[string]any{
		"shell_jump_enabled": false,
		"jump_zone_proxy":    map[string]any{"enabled": true, "hostname": "proxy.example.com", "port": 443, "allowed_client_cidrs": []string{"0.0.0.0/0"}},
	})
	require.NoError(t, err)
	ev := e.WaitEvent(jp, v1alpha1.ReasonDriftCorrected)
	assert.Contains(t, ev.Note, "jump_zone_proxy.allowed_client_cidrs, shell_jump_enabled")
	e.Eventually(func() error {
		a, err := e.API.GetJumpoint(e.ctx, id)
		if err != nil {
			return err
		}
		if !a.ShellJumpEnabled || len(a.JumpZoneProxy.AllowedClientCIDRs) != 3 {
			return fmt.Errorf("shell jump %v, CIDRs %v", a.ShellJumpEnabled, a.JumpZoneProxy.AllowedClientCIDRs)
		}
		return nil
	}, "the spec written back")
}
