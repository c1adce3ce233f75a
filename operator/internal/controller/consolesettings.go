package controller

import (
	"context"
	"slices"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/operator/api/v1alpha1"
)

func init() { register(ConsoleSettingsKind) }

// consoleSettings is the appliance's console settings singleton as the
// generic reconciler sees it: it has no id (0) and its version is the
// settings' version, used for If-Match.
type consoleSettings struct {
	api.ConsoleSettings
	meta api.Meta
}

// GetMeta returns the id 0 and the settings' version.
func (s *consoleSettings) GetMeta() *api.Meta {
	s.meta.Version = s.Version
	return &s.meta
}

// ConsoleSettingsKind reconciles ConsoleSettings into the appliance's
// singleton settings/console, as JumpClientSettingsKind does the Jump
// Client settings: of several ConsoleSettings (each named default, in
// different namespaces) the oldest manages the appliance and the others
// report NotOwned; deleting the one in charge puts every setting back to
// the default of a new appliance unless another one takes over. The
// status's applianceID stays 0.
func ConsoleSettingsKind() *Kind[*v1alpha1.ConsoleSettings, consoleSettings] {
	return &Kind[*v1alpha1.ConsoleSettings, consoleSettings]{
		Name: "ConsoleSettings", Noun: "console settings",
		New: func() *v1alpha1.ConsoleSettings { return &v1alpha1.ConsoleSettings{} },
		Desired: func(_ context.Context, _ *Resolver, o *v1alpha1.ConsoleSettings) (*consoleSettings, error) {
			s := o.Spec
			// Every setting is managed: zero values get the appliance's
			// defaults (the CRD defaults them too), and no origins are [].
			origins := make([]string, len(s.TrustedOrigins))
			for i, v := range s.TrustedOrigins {
				origins[i] = string(v)
			}
			a := &consoleSettings{ConsoleSettings: api.ConsoleSettings{
				MFARequired:               api.Bool(s.MFARequired),
				SessionIdleTimeoutMinutes: int(s.SessionIdleTimeoutMinutes),
				SessionLifetimeHours:      int(s.SessionLifetimeHours),
				TrustedOrigins:            origins,
			}}
			a.ApplyDefaults()
			return a, nil
		},
		Canon: func(a *consoleSettings) {
			// The appliance stores the origins sorted.
			slices.Sort(a.TrustedOrigins)
		},
		Get: func(c *api.Client, ctx context.Context, _ int64) (*consoleSettings, error) {
			s, err := c.GetConsoleSettings(ctx)
			if err != nil {
				return nil, err
			}
			return &consoleSettings{ConsoleSettings: *s}, nil
		},
		Update: func(c *api.Client, ctx context.Context, _ int64, a *consoleSettings, opts ...api.WriteOption) (*consoleSettings, error) {
			s, err := c.UpdateConsoleSettings(ctx, &a.ConsoleSettings, opts...)
			if err != nil {
				return nil, err
			}
			return &consoleSettings{ConsoleSettings: *s}, nil
		},
		Singleton: true,
		Claim:     claimSingleton[*v1alpha1.ConsoleSettings]("ConsoleSettings", "console settings", v1alpha1.ConsoleSettingsName),
		Reset: func(c *api.Client, ctx context.Context) error {
			var def api.ConsoleSettings
			def.ApplyDefaults()
			_, err := c.UpdateConsoleSettings(ctx, &def)
			return err
		},
	}
}
