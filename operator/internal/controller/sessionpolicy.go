package controller

import (
	"cmp"
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
			return &api.SessionPolicy{
				CodeName:    codeName(s.CodeName, o),
				DisplayName: s.DisplayName,
				Description: s.Description,
				Permissions: api.SessionPermissions{
					Shell: p.Shell, FileRead: p.FileRead, FileWrite: p.FileWrite,
					Tunnel: p.Tunnel, SystemInfo: p.SystemInfo,
					ScreenView: p.ScreenView, ScreenControl: p.ScreenControl,
					Clipboard:         cmp.Or(p.Clipboard, api.ClipboardOff),
					ClipboardMaxBytes: cmp.Or(int(p.ClipboardMaxBytes), api.DefaultClipboardMaxBytes),
				},
				PromptCustomer:       cmp.Or(s.PromptCustomer, api.PromptNever),
				PromptTimeoutSeconds: cmp.Or(int(s.PromptTimeoutSeconds), 180),
				OnTimeout:            cmp.Or(s.OnTimeout, "deny"),
				MaxSessionMinutes:    cmp.Or(int(s.MaxSessionMinutes), 120),
				IdleTimeoutMinutes:   int(s.IdleTimeoutMinutes),
				RecordShell:          api.Bool(boolOr(s.RecordShell, true)),
				RecordScreen:         api.Bool(boolOr(s.RecordScreen, true)),
				RecordTunnel:         api.Bool(boolOr(s.RecordTunnel, true)),
			}, nil
		},
		Get:    (*api.Client).GetSessionPolicy,
		List:   (*api.Client).ListSessionPolicies,
		Create: (*api.Client).CreateSessionPolicy,
		Update: (*api.Client).UpdateSessionPolicy,
		Delete: (*api.Client).DeleteSessionPolicy,
	}
}

// boolOr is *b, or def when b is nil.
func boolOr(b *bool, def bool) bool {
	if b == nil {
		return def
	}
	return *b
}
