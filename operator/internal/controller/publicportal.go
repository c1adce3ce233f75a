package controller

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/operator/api/v1alpha1"
)

func init() { register(PublicPortalKind) }

// PublicPortalKind reconciles PublicPortal into the appliance's
// public-portals, keyed by hostname. sessionPolicyRef names a SessionPolicy
// in the same namespace; the portal waits (WaitingForReference) until it is
// Ready. The appliance refuses a second default portal (409), which the
// resource reports as ApplianceError until the other portal gives it up.
func PublicPortalKind() *Kind[*v1alpha1.PublicPortal, api.PublicPortal] {
	return &Kind[*v1alpha1.PublicPortal, api.PublicPortal]{
		Name: "PublicPortal", Noun: "public portal",
		New: func() *v1alpha1.PublicPortal { return &v1alpha1.PublicPortal{} },
		Key: func(o *v1alpha1.PublicPortal) (string, string) { return "hostname", o.Spec.Hostname },
		Desired: func(ctx context.Context, r *Resolver, o *v1alpha1.PublicPortal) (*api.PublicPortal, error) {
			s := o.Spec
			sp, err := r.OptionalID(ctx, &v1alpha1.SessionPolicy{}, s.SessionPolicyRef)
			if err != nil {
				return nil, err
			}
			a := &api.PublicPortal{
				Hostname:          s.Hostname,
				DisplayName:       s.DisplayName,
				Default:           s.Default,
				AutomaticBehavior: s.AutomaticBehavior,
			}
			// The CRD defaults it too; an object written before that
			// default existed must not differ from the appliance's.
			a.ApplyDefaults()
			if sp != 0 {
				a.SessionPolicyID = &sp
			}
			return a, nil
		},
		// Removing sessionPolicyRef from the spec removes the portal's
		// session policy.
		Clearable: []string{"session_policy_id"},
		Get:       (*api.Client).GetPublicPortal,
		List:      (*api.Client).ListPublicPortals,
		Create:    (*api.Client).CreatePublicPortal,
		Update:    (*api.Client).UpdatePublicPortal,
		Delete:    (*api.Client).DeletePublicPortal,
		Refs: func(o *v1alpha1.PublicPortal) []string {
			if o.Spec.SessionPolicyRef == nil {
				return nil
			}
			return []string{RefKey("SessionPolicy", o.Spec.SessionPolicyRef.Name)}
		},
		RefKinds: []client.Object{&v1alpha1.SessionPolicy{}},
	}
}
