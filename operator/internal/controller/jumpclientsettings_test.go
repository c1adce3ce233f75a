package controller_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/operator/api/v1alpha1"
)

func jumpClientSettings() *v1alpha1.JumpClientSettings {
	return &v1alpha1.JumpClientSettings{ObjectMeta: metav1.ObjectMeta{Name: v1alpha1.JumpClientSettingsName}}
}

// newApplianceSettings are the settings of a new appliance (what deleting
// the JumpClientSettings in charge restores), as the appliance reports them.
func newApplianceSettings() api.JumpClientSettings {
	return api.JumpClientSettings{
		Statistics:                []string{"console_user", "cpu", "disk", "uptime"},
		StatisticsIntervalSeconds: 60, UpgradeMode: "always", LostAfterDays: 90, DeletedAfterDays: 180,
		UninstalledBehavior: "keep", DefaultConnectionType: "active", StandbyCheckInMinutes: 60,
		SimultaneousJumps: "join", UnattendedSessionsAllowed: api.Bool(true),
	}
}

// settingsOf reads the appliance's settings without their version and time.
func settingsOf(e *env) api.JumpClientSettings {
	e.t.Helper()
	s, err := e.API.GetJumpClientSettings(e.ctx)
	require.NoError(e.t, err)
	out := *s
	out.Version, out.UpdatedAt = 0, time.Time{}
	return out
}

func settingsVersion(e *env) func() (int64, error) {
	return func() (int64, error) {
		s, err := e.API.GetJumpClientSettings(e.ctx)
		if err != nil {
			return 0, err
		}
		return s.Version, nil
	}
}

// TestJumpClientSettings_Lifecycle: an empty spec is the settings of a new
// appliance and stays steady; a fully populated spec (statistics in an
// order the appliance does not keep) is written and stays steady; `[]`
// turns statistics off; drift is written back; deleting the resource
// restores the defaults.
func TestJumpClientSettings_Lifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withResync(300*time.Millisecond))
	s := jumpClientSettings()
	e.Create(s)
	assert.Zero(t, e.WaitReady(s), "the singleton has no appliance id")
	assert.Equal(t, newApplianceSettings(), settingsOf(e))
	assertSteady(e, s, settingsVersion(e))

	full := v1alpha1.JumpClientSettingsSpec{
		Statistics:                []string{"uptime", "screen", "cpu"},
		StatisticsIntervalSeconds: 300, UpgradeMode: "this_version", LostAfterDays: 30, DeletedAfterDays: 60,
		UninstalledBehavior: "remove", RestrictLocalUninstall: true, DefaultConnectionType: "standby",
		StandbyCheckInMinutes: 15, WakeOnLANAllowed: true, PresenceUsesScreenState: true,
		AdhocSessionsFromJumpClients: true, SimultaneousJumps: "disallow", UnattendedSessionsAllowed: new(bool),
	}
	e.Update(s, func() { s.Spec = full })
	e.WaitReady(s)
	e.WaitEvent(s, "Updated")
	assert.Equal(t, api.JumpClientSettings{
		Statistics:                []string{"cpu", "screen", "uptime"},
		StatisticsIntervalSeconds: 300, UpgradeMode: "this_version", LostAfterDays: 30, DeletedAfterDays: 60,
		UninstalledBehavior: "remove", RestrictLocalUninstall: true, DefaultConnectionType: "standby",
		StandbyCheckInMinutes: 15, WakeOnLANAllowed: true, PresenceUsesScreenState: true,
		AdhocSessionsFromJumpClients: true, SimultaneousJumps: "disallow", UnattendedSessionsAllowed: api.Bool(false),
	}, settingsOf(e))
	assertSteady(e, s, settingsVersion(e))

	// [] is no statistics (not the default list).
	e.Update(s, func() { s.Spec.Statistics = []string{} })
	e.WaitReady(s)
	require.NoError(t, e.Get(s))
	assert.NotNil(t, s.Spec.Statistics, "statistics: [] kept in the spec")
	assert.Empty(t, s.Spec.Statistics)
	e.Eventually(func() error {
		if st := settingsOf(e).Statistics; len(st) != 0 {
			return fmt.Errorf("statistics %v", st)
		}
		return nil
	}, "statistics turned off")
	assertSteady(e, s, settingsVersion(e))

	// Drift.
	_, err := e.API.PatchJumpClientSettings(e.ctx, map[string]any{"wake_on_lan_allowed": false, "statistics": []string{"disk"}})
	require.NoError(t, err)
	ev := e.WaitEvent(s, v1alpha1.ReasonDriftCorrected)
	assert.Contains(t, ev.Note, "statistics, wake_on_lan_allowed")
	e.Eventually(func() error {
		if got := settingsOf(e); !got.WakeOnLANAllowed || len(got.Statistics) != 0 {
			return fmt.Errorf("wake_on_lan_allowed %t, statistics %v", got.WakeOnLANAllowed, got.Statistics)
		}
		return nil
	}, "the spec written back")

	e.Delete(s)
	assert.Equal(t, newApplianceSettings(), settingsOf(e), "defaults restored")
	ev = e.WaitEvent(s, "Deleted")
	assert.Contains(t, ev.Note, "restored the appliance's defaults")
}

// TestJumpClientSettings_OneInCharge: of two JumpClientSettings in two
// namespaces, the older manages the appliance and the other reports
// NotOwned naming it; deleting the one in charge hands the settings to the
// other (its spec, not the defaults), and deleting that one restores the
// defaults.
func TestJumpClientSettings_OneInCharge(t *testing.T) {
	t.Parallel()
	e := newEnvNamespaces(t, 1, withResync(300*time.Millisecond))
	first := jumpClientSettings()
	first.Spec.StatisticsIntervalSeconds = 120
	e.Create(first)
	e.WaitReady(first)
	assert.Equal(t, 120, settingsOf(e).StatisticsIntervalSeconds)

	second := jumpClientSettings()
	second.Namespace = e.OtherNS[0]
	second.Spec.StatisticsIntervalSeconds = 300
	require.NoError(t, k8s.Create(e.ctx, second))
	c := e.WaitCondition(second, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonNotOwned)
	assert.Contains(t, c.Message, "JumpClientSettings "+e.NS+"/default manages the appliance's Jump Client settings")
	assert.Contains(t, c.Message, "takes over within 300ms after that one is deleted")
	e.WaitEvent(second, v1alpha1.ReasonNotOwned)
	assertSteady(e, first, settingsVersion(e))
	assert.Equal(t, 120, settingsOf(e).StatisticsIntervalSeconds, "the second one does not write")

	e.Delete(first)
	e.WaitReady(second)
	assert.Equal(t, 300, settingsOf(e).StatisticsIntervalSeconds, "the second one took over")
	for _, ev := range e.Events(first) {
		assert.NotEqual(t, "Deleted", ev.Reason, "the defaults were restored although another JumpClientSettings takes over: %s", ev.Note)
	}

	e.Delete(second)
	assert.Equal(t, newApplianceSettings(), settingsOf(e), "defaults restored")
}

// TestJumpClientSettings_Invalid: the API server refuses a second name and
// settings the appliance would refuse.
func TestJumpClientSettings_Invalid(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := jumpClientSettings()
	s.Name, s.Namespace = "settings", e.NS
	err := k8s.Create(e.ctx, s)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "JumpClientSettings is a singleton: metadata.name must be 'default'")

	s = jumpClientSettings()
	s.Namespace = e.NS
	s.Spec.LostAfterDays, s.Spec.DeletedAfterDays = 200, 180
	err = k8s.Create(e.ctx, s)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "lostAfterDays must be less than deletedAfterDays")
}
