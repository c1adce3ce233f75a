package controller

import (
	"context"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/operator/api/v1alpha1"
)

func init() { register(SessionPolicyKind) }

// SessionPolicyKind reconciles SessionPolicy into the appliance's
// session-policies, keyed by code name.
func SessionPolicyKind() *Kind[*v1alpha1.SessionPolicy, api.SessionPolicy] {
	return &Kind[*v1alpha1.SessionPolicy, api.SessionPolicy]{
		Name: "SessionPolicy", Noun: "session policy",
		New: func() *v1alpha1.SessionPolicy { return &v1alpha1.SessionPolicy{} },
		Key: func(o *v1alpha1.SessionPolicy) (string, string) { return "code_name", codeName(o.Spec.CodeName, o) },
		Desired: func(_ context.Context, _ *Resolver, o *v1alpha1.SessionPolicy) (*api.SessionPolicy, error) {
			s, p := o.Spec, o.Spec.Permissions
			// Zero values get the appliance's defaults (the CRD defaults
			// them too), and the recording switches are never nil, so what
			// is compared is what the appliance stores.
			a := &api.SessionPolicy{
				CodeName:    codeName(s.CodeName, o),
				DisplayName: s.DisplayName,
				Description: s.Description,
				Permissions: api.SessionPermissions{
					Shell: p.Shell, FileRead: p.FileRead, FileWrite: p.FileWrite,
					Tunnel: p.Tunnel, SystemInfo: p.SystemInfo,
					ScreenView: p.ScreenView, ScreenControl: p.ScreenControl,
					Clipboard: p.Clipboard, ClipboardMaxBytes: int(p.ClipboardMaxBytes),
				},
				PromptCustomer:       s.PromptCustomer,
				PromptTimeoutSeconds: int(s.PromptTimeoutSeconds),
				OnTimeout:            s.OnTimeout,
				MaxSessionMinutes:    int(s.MaxSessionMinutes),
				IdleTimeoutMinutes:   int(s.IdleTimeoutMinutes),
				RecordShell:          copyBool(s.RecordShell),
				RecordScreen:         copyBool(s.RecordScreen),
				RecordTunnel:         copyBool(s.RecordTunnel),
			}
			a.ApplyDefaults()
			return a, nil
		},
		Get:    (*api.Client).GetSessionPolicy,
		List:   (*api.Client).ListSessionPolicies,
		Create: (*api.Client).CreateSessionPolicy,
		Update: (*api.Client).UpdateSessionPolicy,
		Delete: (*api.Client).DeleteSessionPolicy,
	}
}

// copyBool is a copy of *b, or nil; the desired object must not share the
// custom resource's pointers.
func copyBool(b *bool) *bool {
	if b == nil {
		return nil
	}
	return api.Bool(*b)
}
