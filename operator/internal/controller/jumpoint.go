package controller

import (
	"context"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/operator/api/v1alpha1"
)

func init() { register(JumpointKind) }

// JumpointKind reconciles Jumpoint into the appliance's jumpoints, keyed by
// code_name (spec.codeName, default metadata.name). status.connectedNodes
// counts the nodes connected to the appliance at each reconcile. With
// spec.deployment the operator also runs the jumpoint's nodes in the
// cluster (see jumpoint_deployment.go): a Deployment of jumpgate-agent and
// its enrollment Secret, both owned by the Jumpoint, which is Ready once the
// Deployment has its replicas available.
func JumpointKind() *Kind[*v1alpha1.Jumpoint, api.Jumpoint] {
	return &Kind[*v1alpha1.Jumpoint, api.Jumpoint]{
		Name: "Jumpoint", Noun: "jumpoint",
		New: func() *v1alpha1.Jumpoint { return &v1alpha1.Jumpoint{} },
		Key: func(o *v1alpha1.Jumpoint) (string, string) { return "code_name", codeName(o.Spec.CodeName, o) },
		Desired: func(_ context.Context, _ *Resolver, o *v1alpha1.Jumpoint) (*api.Jumpoint, error) {
			return jumpointToAPI(o), nil
		},
		Canon: func(a *api.Jumpoint) {
			// A set in the CRD, written sorted; the appliance keeps the
			// order written, which an edit there may change.
			slices.Sort(a.JumpZoneProxy.AllowedClientCIDRs)
		},
		Get:    (*api.Client).GetJumpoint,
		List:   (*api.Client).ListJumpoints,
		Create: (*api.Client).CreateJumpoint,
		Update: (*api.Client).UpdateJumpoint,
		Delete: (*api.Client).DeleteJumpoint,
		After: func(ctx context.Context, h *Hooks, o *v1alpha1.Jumpoint, a *api.Jumpoint) (Readiness, error) {
			o.Status.ConnectedNodes = int32(len(a.ConnectedNodes))
			return syncJumpointDeployment(ctx, h, o, a)
		},
		Finalize: func(ctx context.Context, h *Hooks, o *v1alpha1.Jumpoint) error {
			// Stop the nodes before their jumpoint goes; the garbage
			// collector would remove both later, but not before the
			// appliance object is gone (and not at all without one).
			return removeJumpointDeployment(ctx, h, o)
		},
		Owns: []client.Object{&appsv1.Deployment{}, &corev1.Secret{}},
	}
}

// jumpointToAPI is the appliance object a Jumpoint's spec describes, with
// the appliance's defaults filled in where the spec leaves a field empty (the
// CRD's defaults, for objects written before they existed), so that the
// appliance's answer does not look like drift.
func jumpointToAPI(o *v1alpha1.Jumpoint) *api.Jumpoint {
	s := o.Spec
	p := s.JumpZoneProxy
	cidrs := slices.Sorted(slices.Values(p.AllowedClientCIDRs))
	a := &api.Jumpoint{
		Name:                  s.Name,
		CodeName:              codeName(s.CodeName, o),
		Platform:              s.Platform,
		Enabled:               copyBool(s.Enabled),
		Clustered:             s.Clustered,
		ShellJumpEnabled:      s.ShellJumpEnabled,
		ProtocolTunnelEnabled: s.ProtocolTunnelEnabled,
		JumpZoneProxy: api.JumpZoneProxy{
			Enabled:            p.Enabled,
			Hostname:           p.Hostname,
			Port:               int(p.Port),
			AllowedClientCIDRs: cidrs,
		},
		Comments: s.Comments,
	}
	a.ApplyDefaults()
	return a
}
