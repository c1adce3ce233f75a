package controller

import (
	"context"
	"sort"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/operator/api/v1alpha1"
)

func init() { register(JumpGroupKind) }

// JumpGroupKind reconciles JumpGroup into the appliance's jump-groups.
func JumpGroupKind() *Kind[*v1alpha1.JumpGroup, api.JumpGroup] {
	return &Kind[*v1alpha1.JumpGroup, api.JumpGroup]{
		Name: "JumpGroup", Noun: "jump group",
		New: func() *v1alpha1.JumpGroup { return &v1alpha1.JumpGroup{} },
		Key: func(o *v1alpha1.JumpGroup) (string, string) { return "code_name", codeName(o.Spec.CodeName, o) },
		Desired: func(ctx context.Context, r *Resolver, o *v1alpha1.JumpGroup) (*api.JumpGroup, error) {
			s := o.Spec
			a := &api.JumpGroup{Name: s.Name, CodeName: codeName(s.CodeName, o), Comments: s.Comments}
			if s.Memberships != nil {
				a.Memberships = make([]api.JumpGroupMembership, 0, len(s.Memberships))
				for _, m := range s.Memberships {
					gp, err := r.GroupPolicyID(ctx, m.GroupPolicyName)
					if err != nil {
						return nil, err
					}
					jp, err := r.OptionalID(ctx, &v1alpha1.JumpPolicy{}, m.JumpPolicyRef)
					if err != nil {
						return nil, err
					}
					am := api.JumpGroupMembership{GroupPolicyID: gp, Role: m.Role}
					if jp != 0 {
						am.JumpPolicyID = &jp
					}
					a.Memberships = append(a.Memberships, am)
				}
			}
			return a, nil
		},
		Canon: func(a *api.JumpGroup) {
			sort.Slice(a.Memberships, func(i, j int) bool { return a.Memberships[i].GroupPolicyID < a.Memberships[j].GroupPolicyID })
		},
		Get:    (*api.Client).GetJumpGroup,
		List:   (*api.Client).ListJumpGroups,
		Create: (*api.Client).CreateJumpGroup,
		Update: (*api.Client).UpdateJumpGroup,
		Delete: (*api.Client).DeleteJumpGroup,
		Refs: func(o *v1alpha1.JumpGroup) []string {
			var refs []string
			for _, m := range o.Spec.Memberships {
				if m.JumpPolicyRef != nil {
					refs = append(refs, RefKey("JumpPolicy", m.JumpPolicyRef.Name))
				}
			}
			return refs
		},
		RefKinds: []client.Object{&v1alpha1.JumpPolicy{}},
	}
}

// codeName is spec.codeName, or metadata.name when it is empty.
func codeName(spec string, o client.Object) string {
	if spec != "" {
		return spec
	}
	return o.GetName()
}
