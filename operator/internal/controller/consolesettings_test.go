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

func consoleSettings() *v1alpha1.ConsoleSettings {
	return &v1alpha1.ConsoleSettings{ObjectMeta: metav1.ObjectMeta{Name: v1alpha1.ConsoleSettingsName}}
}

// newApplianceConsoleSettings are the console settings of a new appliance
// (what deleting the ConsoleSettings in charge restores).
func newApplianceConsoleSettings() api.ConsoleSettings {
	return api.ConsoleSettings{MFARequired: api.Bool(false), SessionIdleTimeoutMinutes: 30, SessionLifetimeHours: 12, TrustedOrigins: []string{}}
}

// consoleSettingsOf reads the appliance's console settings without their
// version and time.
func consoleSettingsOf(e *env) api.ConsoleSettings {
	e.t.Helper()
	s, err := e.API.GetConsoleSettings(e.ctx)
	require.NoError(e.t, err)
	out := *s
	out.Version, out.UpdatedAt = 0, time.Time{}
	return out
}

func consoleSettingsVersion(e *env) func() (int64, error) {
	return func() (int64, error) {
		s, err := e.API.GetConsoleSettings(e.ctx)
		if err != nil {
			return 0, err
		}
		return s.Version, nil
	}
}

// TestConsoleSettings_Lifecycle: an empty spec is the settings of a new
// appliance and stays steady; a full spec (origins in an order the
// appliance does not keep) is written and stays steady; drift is written
// back; deleting the resource restores the defaults.
func TestConsoleSettings_Lifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withResync(300*time.Millisecond))
	s := consoleSettings()
	e.Create(s)
	assert.Zero(t, e.WaitReady(s), "the singleton has no appliance id")
	assert.Equal(t, newApplianceConsoleSettings(), consoleSettingsOf(e))
	assertSteady(e, s, consoleSettingsVersion(e))

	e.Update(s, func() {
		s.Spec = v1alpha1.ConsoleSettingsSpec{MFARequired: true, SessionIdleTimeoutMinutes: 15, SessionLifetimeHours: 8,
			TrustedOrigins: []v1alpha1.Origin{"https://support.example.com", "http://[::1]:8443"}}
	})
	e.WaitReady(s)
	e.WaitEvent(s, "Updated")
	assert.Equal(t, api.ConsoleSettings{MFARequired: api.Bool(true), SessionIdleTimeoutMinutes: 15, SessionLifetimeHours: 8,
		TrustedOrigins: []string{"http://[::1]:8443", "https://support.example.com"}}, consoleSettingsOf(e))
	assertSteady(e, s, consoleSettingsVersion(e))

	// Drift.
	_, err := e.API.PatchConsoleSettings(e.ctx, map[string]any{"mfa_required": false, "trusted_origins": []string{}})
	require.NoError(t, err)
	ev := e.WaitEvent(s, v1alpha1.ReasonDriftCorrected)
	assert.Contains(t, ev.Note, "mfa_required, trusted_origins")
	e.Eventually(func() error {
		if got := consoleSettingsOf(e); !*got.MFARequired || len(got.TrustedOrigins) != 2 {
			return fmt.Errorf("mfa_required %t, trusted_origins %v", *got.MFARequired, got.TrustedOrigins)
		}
		return nil
	}, "the spec written back")

	e.Delete(s)
	assert.Equal(t, newApplianceConsoleSettings(), consoleSettingsOf(e), "defaults restored")
	ev = e.WaitEvent(s, "Deleted")
	assert.Contains(t, ev.Note, "restored the appliance's defaults")
}

// TestConsoleSettings_OneInCharge: of two ConsoleSettings in two
// namespaces, the older manages the appliance and the other reports
// NotOwned naming it, then takes over when it is deleted.
func TestConsoleSettings_OneInCharge(t *testing.T) {
	t.Parallel()
	e := newEnvNamespaces(t, 1, withResync(300*time.Millisecond))
	first := consoleSettings()
	first.Spec.SessionLifetimeHours = 2
	e.Create(first)
	e.WaitReady(first)
	assert.Equal(t, 2, consoleSettingsOf(e).SessionLifetimeHours)

	second := consoleSettings()
	second.Namespace = e.OtherNS[0]
	second.Spec.SessionLifetimeHours = 3
	require.NoError(t, k8s.Create(e.ctx, second))
	c := e.WaitCondition(second, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonNotOwned)
	assert.Contains(t, c.Message, "ConsoleSettings "+e.NS+"/default manages the appliance's console settings")
	assertSteady(e, first, consoleSettingsVersion(e))
	assert.Equal(t, 2, consoleSettingsOf(e).SessionLifetimeHours, "the second one does not write")

	e.Delete(first)
	e.WaitReady(second)
	assert.Equal(t, 3, consoleSettingsOf(e).SessionLifetimeHours, "the second one took over")

	e.Delete(second)
	assert.Equal(t, newApplianceConsoleSettings(), consoleSettingsOf(e), "defaults restored")
}

// TestConsoleSettings_Refused: an origin the CRD lets through but the
// appliance refuses (an IPv6 address not in its shortest form) is reported
// on the resource and changes nothing.
func TestConsoleSettings_Refused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := consoleSettings()
	s.Spec.TrustedOrigins = []v1alpha1.Origin{"https://[0:0::1]"}
	e.Create(s)
	c := e.WaitCondition(s, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonApplianceError)
	assert.Contains(t, c.Message, "trusted_origins[0]")
	assert.Equal(t, newApplianceConsoleSettings(), consoleSettingsOf(e))
}
