package controller

import (
	"context"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/operator/api/v1alpha1"
)

func init() { register(ProtocolTunnelJumpKind) }

// ProtocolTunnelJumpKind reconciles ProtocolTunnelJump into the appliance's
// protocol-tunnel-jumps. Names are not unique there, so the item is found by
// the id in the status, then by the operator's owner labels, never by name
// (Key is nil): an item made by hand with the same name is not taken over.
//
// jumpointRef names a Jumpoint, jumpGroupRef a JumpGroup (shared items) and
// jumpPolicyRef/sessionPolicyRef a JumpPolicy/SessionPolicy, all in the same
// namespace; a personal item names its user by personalUsername, which is
// looked up in the appliance. The item waits (WaitingForReference) while one
// of them is missing or not Ready; a Jumpoint whose only shortfall is that
// its in-cluster nodes are still starting (DeploymentProgressing) is good
// enough, as the item needs the appliance's jumpoint, not its nodes.
func ProtocolTunnelJumpKind() *Kind[*v1alpha1.ProtocolTunnelJump, api.ProtocolTunnelJump] {
	return &Kind[*v1alpha1.ProtocolTunnelJump, api.ProtocolTunnelJump]{
		Name: "ProtocolTunnelJump", Noun: "protocol tunnel jump",
		New: func() *v1alpha1.ProtocolTunnelJump { return &v1alpha1.ProtocolTunnelJump{} },
		Desired: func(ctx context.Context, r *Resolver, o *v1alpha1.ProtocolTunnelJump) (*api.ProtocolTunnelJump, error) {
			s := o.Spec
			jp, err := jumpointID(ctx, r, s.JumpointRef.Name)
			if err != nil {
				return nil, err
			}
			a := &api.ProtocolTunnelJump{
				Name:       s.Name,
				JumpointID: jp,
				Hostname:   s.Hostname,
				// The CRD defaults it too; an object written before that
				// default existed must not differ from the appliance's.
				TunnelListenAddress: s.TunnelListenAddress,
				JumpGroupType:       s.JumpGroupType,
				Tag:                 s.Tag,
				Comments:            s.Comments,
				// The appliance keeps the order as written; it is the
				// order the user's listeners are printed in.
				TunnelDefinitions: make([]api.TunnelDefinition, 0, len(s.TunnelDefinitions)),
			}
			a.ApplyDefaults()
			for _, d := range s.TunnelDefinitions {
				a.TunnelDefinitions = append(a.TunnelDefinitions, api.TunnelDefinition{LocalPort: int(d.LocalPort), RemotePort: int(d.RemotePort)})
			}
			if a.JumpGroupType == v1alpha1.JumpGroupPersonal {
				a.JumpGroupID, err = r.UserID(ctx, s.PersonalUsername)
			} else if s.JumpGroupRef != nil {
				a.JumpGroupID, err = r.ID(ctx, &v1alpha1.JumpGroup{}, s.JumpGroupRef.Name)
			}
			if err != nil {
				return nil, err
			}
			if a.JumpPolicyID, err = optionalIDPtr(ctx, r, &v1alpha1.JumpPolicy{}, s.JumpPolicyRef); err != nil {
				return nil, err
			}
			if a.SessionPolicyID, err = optionalIDPtr(ctx, r, &v1alpha1.SessionPolicy{}, s.SessionPolicyRef); err != nil {
				return nil, err
			}
			return a, nil
		},
		// A reference left out of the spec means none: it is cleared in
		// the appliance rather than left as it is.
		Clearable: []string{"jump_policy_id", "session_policy_id"},
		Get:       (*api.Client).GetProtocolTunnelJump,
		List:      (*api.Client).ListProtocolTunnelJumps,
		Create:    (*api.Client).CreateProtocolTunnelJump,
		Update:    (*api.Client).UpdateProtocolTunnelJump,
		Delete:    (*api.Client).DeleteProtocolTunnelJump,
		Refs: func(o *v1alpha1.ProtocolTunnelJump) []string {
			s := o.Spec
			refs := []string{RefKey("Jumpoint", s.JumpointRef.Name)}
			if s.JumpGroupRef != nil {
				refs = append(refs, RefKey("JumpGroup", s.JumpGroupRef.Name))
			}
			if s.JumpPolicyRef != nil {
				refs = append(refs, RefKey("JumpPolicy", s.JumpPolicyRef.Name))
			}
			if s.SessionPolicyRef != nil {
				refs = append(refs, RefKey("SessionPolicy", s.SessionPolicyRef.Name))
			}
			return refs
		},
		RefKinds: []client.Object{&v1alpha1.Jumpoint{}, &v1alpha1.JumpGroup{}, &v1alpha1.JumpPolicy{}, &v1alpha1.SessionPolicy{}},
	}
}

// optionalIDPtr is Resolver.OptionalID as the API's optional id: nil when
// ref is nil.
func optionalIDPtr(ctx context.Context, r *Resolver, obj Object, ref *v1alpha1.LocalObjectReference) (*int64, error) {
	id, err := r.OptionalID(ctx, obj, ref)
	if err != nil || id == 0 {
		return nil, err
	}
	return &id, nil
}

// jumpointID resolves a reference to a Jumpoint like Resolver.ID, but also
// accepts a Jumpoint that is not Ready only because the nodes it runs in the
// cluster are still starting (Ready=False with reason DeploymentProgressing
// while Synced=True, for its current generation): its appliance object
// exists and matches its spec, which is all a jump item needs.
func jumpointID(ctx context.Context, r *Resolver, name string) (int64, error) {
	jp := &v1alpha1.Jumpoint{}
	id, err := r.ID(ctx, jp, name)
	if _, waiting := isWait(err); !waiting {
		return id, err
	}
	st := jp.Status
	ready := apimeta.FindStatusCondition(st.Conditions, v1alpha1.ConditionReady)
	if jp.DeletionTimestamp == nil && st.ApplianceID != 0 && st.ObservedGeneration == jp.Generation &&
		ready != nil && ready.Reason == v1alpha1.ReasonDeploymentProgressing &&
		apimeta.IsStatusConditionPresentAndEqual(st.Conditions, v1alpha1.ConditionSynced, metav1.ConditionTrue) {
		return st.ApplianceID, nil
	}
	return 0, err
}
