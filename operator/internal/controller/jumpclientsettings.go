package controller

import (
	"context"
	"fmt"
	"slices"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/operator/api/v1alpha1"
)

func init() { register(JumpClientSettingsKind) }

// jumpClientSettings is the appliance's settings singleton as the generic
// reconciler sees it: it has no id (0) and its version is the settings'
// version, used for If-Match.
type jumpClientSettings struct {
	api.JumpClientSettings
	meta api.Meta
}

// GetMeta returns the id 0 and the settings' version.
func (s *jumpClientSettings) GetMeta() *api.Meta {
	s.meta.Version = s.Version
	return &s.meta
}

// JumpClientSettingsKind reconciles JumpClientSettings into the appliance's
// singleton settings/jump-clients.
//
// Several JumpClientSettings (each named default) may exist in different
// namespaces; exactly one manages the appliance: the oldest by
// creationTimestamp (ties: the namespace first in alphabetical order) among
// those that are not being deleted and that the operator watches. The others
// report NotOwned naming it; once it is deleted, the next in line takes over
// at its next resync (Config.ResyncPeriod), which the message says.
// Deleting the one in charge puts every setting back to the default of a new
// appliance, unless another one takes over (its spec is written instead, so
// the settings do not pass through the defaults). The status's applianceID
// stays 0.
func JumpClientSettingsKind() *Kind[*v1alpha1.JumpClientSettings, jumpClientSettings] {
	return &Kind[*v1alpha1.JumpClientSettings, jumpClientSettings]{
		Name: "JumpClientSettings", Noun: "jump client settings",
		New: func() *v1alpha1.JumpClientSettings { return &v1alpha1.JumpClientSettings{} },
		Desired: func(_ context.Context, _ *Resolver, o *v1alpha1.JumpClientSettings) (*jumpClientSettings, error) {
			s := o.Spec
			// Every setting is managed: zero values get the appliance's
			// defaults (the CRD defaults them too). Statistics are never
			// nil: [] means none, and null the default of a new appliance,
			// as in the CRD.
			stats := s.Statistics
			if stats == nil {
				stats = api.DefaultStatistics()
			}
			a := &jumpClientSettings{JumpClientSettings: api.JumpClientSettings{
				Statistics:                   append([]string{}, stats...),
				StatisticsIntervalSeconds:    int(s.StatisticsIntervalSeconds),
				UpgradeMode:                  s.UpgradeMode,
				LostAfterDays:                int(s.LostAfterDays),
				DeletedAfterDays:             int(s.DeletedAfterDays),
				UninstalledBehavior:          s.UninstalledBehavior,
				RestrictLocalUninstall:       s.RestrictLocalUninstall,
				DefaultConnectionType:        s.DefaultConnectionType,
				StandbyCheckInMinutes:        int(s.StandbyCheckInMinutes),
				WakeOnLANAllowed:             s.WakeOnLANAllowed,
				PresenceUsesScreenState:      s.PresenceUsesScreenState,
				AdhocSessionsFromJumpClients: s.AdhocSessionsFromJumpClients,
				SimultaneousJumps:            s.SimultaneousJumps,
				UnattendedSessionsAllowed:    copyBool(s.UnattendedSessionsAllowed),
			}}
			a.ApplyDefaults()
			return a, nil
		},
		Canon: func(a *jumpClientSettings) {
			// The appliance stores statistics sorted.
			slices.Sort(a.Statistics)
		},
		Get: func(c *api.Client, ctx context.Context, _ int64) (*jumpClientSettings, error) {
			s, err := c.GetJumpClientSettings(ctx)
			if err != nil {
				return nil, err
			}
			return &jumpClientSettings{JumpClientSettings: *s}, nil
		},
		Update: func(c *api.Client, ctx context.Context, _ int64, a *jumpClientSettings, opts ...api.WriteOption) (*jumpClientSettings, error) {
			s, err := c.UpdateJumpClientSettings(ctx, &a.JumpClientSettings, opts...)
			if err != nil {
				return nil, err
			}
			return &jumpClientSettings{JumpClientSettings: *s}, nil
		},
		Singleton: true,
		Claim:     claimJumpClientSettings,
		Reset: func(c *api.Client, ctx context.Context) error {
			// A PUT that omits statistics clears them: send every setting.
			_, err := c.UpdateJumpClientSettings(ctx, api.DefaultJumpClientSettings())
			return err
		},
	}
}

// claimJumpClientSettings decides whether o manages the appliance's Jump
// Client settings (claimSingleton).
var claimJumpClientSettings = claimSingleton[*v1alpha1.JumpClientSettings]("JumpClientSettings", "Jump Client settings", v1alpha1.JumpClientSettingsName)

// claimSingleton returns the Claim of a singleton kind (named kind, whose
// only allowed name is name, managing the appliance's what): "" when o
// manages the appliance object, else a message naming the one that does.
//
// It lists through the manager's client, so it sees the resources of every
// namespace the operator watches (all of them, unless the operator is
// restricted to some namespaces: those it does not watch are managed by
// someone else, if at all). Of those not being deleted, the oldest by
// creationTimestamp (ties: the namespace first in alphabetical order)
// manages the appliance. For o being deleted it answers "" only when no
// other one is left to take over, so that only then are the defaults put
// back.
func claimSingleton[O Object](kind, what, name string) func(ctx context.Context, h *Hooks, o O) (string, error) {
	return func(ctx context.Context, h *Hooks, o O) (string, error) {
		l, err := listOf(h.Client.Scheme(), o)
		if err != nil {
			return "", err
		}
		if err := h.Client.List(ctx, l); err != nil {
			return "", fmt.Errorf("listing %s to find the one in charge: %w", kind, err)
		}
		deleting := o.GetDeletionTimestamp() != nil
		var first client.Object
		for _, c := range itemsOf(l) {
			if c.GetName() != name || c.GetDeletionTimestamp() != nil || c.GetUID() == o.GetUID() {
				continue
			}
			if first == nil || olderSettings(c, first) {
				first = c
			}
		}
		if !deleting && (first == nil || olderSettings(o, first)) {
			return "", nil
		}
		if deleting && first == nil {
			return "", nil
		}
		if deleting {
			return fmt.Sprintf("%s %s/%s takes over the appliance's %s", kind, first.GetNamespace(), first.GetName(), what), nil
		}
		created := first.GetCreationTimestamp()
		return fmt.Sprintf("%s %s/%s manages the appliance's %s (the oldest one does; it was created %s); "+
			"this one is not applied, and takes over within %s after that one is deleted",
			kind, first.GetNamespace(), first.GetName(), what, created.UTC().Format(time.RFC3339), h.Config.ResyncPeriod), nil
	}
}

// olderSettings orders singleton resources by creation time, then
// namespace.
func olderSettings(a, b client.Object) bool {
	ca, cb := a.GetCreationTimestamp(), b.GetCreationTimestamp()
	if !ca.Equal(&cb) {
		return ca.Before(&cb)
	}
	return a.GetNamespace() < b.GetNamespace()
}
