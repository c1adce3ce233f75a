package controller_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/operator/api/v1alpha1"
)

func sessionPolicy(name, display string) *v1alpha1.SessionPolicy {
	return &v1alpha1.SessionPolicy{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1alpha1.SessionPolicySpec{DisplayName: display}}
}

// TestSessionPolicy_Lifecycle: a minimal spec gets the appliance's defaults
// and stays steady; a fully populated spec is mapped field by field, in
// place, and stays steady too; delete removes the policy.
func TestSessionPolicy_Lifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withResync(300*time.Millisecond))
	sp := sessionPolicy("support", "Support")
	e.Create(sp)
	id := e.WaitReady(sp)
	get := func() (*api.SessionPolicy, error) { return e.API.GetSessionPolicy(e.ctx, id) }
	version := func() (int64, error) {
		a, err := get()
		if err != nil {
			return 0, err
		}
		return a.Version, nil
	}
	a, err := get()
	require.NoError(t, err)
	assert.Equal(t, "Support", a.DisplayName)
	assert.Equal(t, "support", a.CodeName, "codeName defaults to metadata.name")
	assert.Equal(t, api.SessionPermissions{Clipboard: api.ClipboardOff, ClipboardMaxBytes: api.DefaultClipboardMaxBytes}, a.Permissions)
	assert.Equal(t, api.PromptNever, a.PromptCustomer)
	assert.Equal(t, 180, a.PromptTimeoutSeconds)
	assert.Equal(t, "deny", a.OnTimeout)
	assert.Equal(t, 120, a.MaxSessionMinutes)
	assert.Equal(t, 0, a.IdleTimeoutMinutes)
	assert.Equal(t, api.Bool(true), a.RecordShell)
	assert.Equal(t, api.Bool(true), a.RecordScreen)
	assert.Equal(t, api.Bool(true), a.RecordTunnel)
	assert.Equal(t, e.NS+".support", a.Labels[v1alpha1.OwnerLabel])
	e.WaitEvent(sp, "Created")
	assertSteady(e, sp, version)

	e.Update(sp, func() {
		sp.Spec = v1alpha1.SessionPolicySpec{
			DisplayName: "Full support", CodeName: "full-support", Description: "everything but the clipboard's default",
			Permissions: v1alpha1.SessionPermissions{
				Shell: true, FileRead: true, FileWrite: true, Tunnel: true, SystemInfo: true, ScreenView: true, ScreenControl: true,
				Clipboard: "from_endpoint", ClipboardMaxBytes: 4096,
			},
			PromptCustomer: "not_present", PromptTimeoutSeconds: 30, OnTimeout: "accept",
			MaxSessionMinutes: 480, IdleTimeoutMinutes: 15,
			RecordShell: new(bool), RecordScreen: new(bool), RecordTunnel: new(bool),
		}
	})
	assert.Equal(t, id, e.WaitReady(sp), "updated in place")
	e.WaitEvent(sp, "Updated")
	a, err = get()
	require.NoError(t, err)
	assert.Equal(t, "Full support", a.DisplayName)
	assert.Equal(t, "full-support", a.CodeName)
	assert.Equal(t, "everything but the clipboard's default", a.Description)
	assert.Equal(t, api.SessionPermissions{
		Shell: true, FileRead: true, FileWrite: true, Tunnel: true, SystemInfo: true, ScreenView: true, ScreenControl: true,
		Clipboard: api.ClipboardFromEndpoint, ClipboardMaxBytes: 4096,
	}, a.Permissions)
	assert.Equal(t, api.PromptNotPresent, a.PromptCustomer)
	assert.Equal(t, 30, a.PromptTimeoutSeconds)
	assert.Equal(t, "accept", a.OnTimeout)
	assert.Equal(t, 480, a.MaxSessionMinutes)
	assert.Equal(t, 15, a.IdleTimeoutMinutes)
	assert.Equal(t, api.Bool(false), a.RecordShell)
	assert.Equal(t, api.Bool(false), a.RecordScreen)
	assert.Equal(t, api.Bool(false), a.RecordTunnel)
	assertSteady(e, sp, version)

	// A permission granted by hand is taken back.
	_, err = e.API.PatchSessionPolicy(e.ctx, id, map[string]any{"permissions": map[string]any{"clipboard": "both"}})
	require.NoError(t, err)
	ev := e.WaitEvent(sp, v1alpha1.ReasonDriftCorrected)
	assert.Contains(t, ev.Note, "permissions.clipboard")
	e.Eventually(func() error {
		a, err := get()
		if err != nil {
			return err
		}
		if a.Permissions.Clipboard != api.ClipboardFromEndpoint {
			return assert.AnError
		}
		return nil
	}, "the clipboard permission written back")

	e.Delete(sp)
	_, err = get()
	assert.ErrorIs(t, err, api.ErrNotFound)
}

// TestSessionPolicy_Invalid: the API server refuses specs the appliance
// would.
func TestSessionPolicy_Invalid(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, tt := range []struct {
		name string
		edit func(*v1alpha1.SessionPolicySpec)
		want string
	}{
		{"file write without read", func(s *v1alpha1.SessionPolicySpec) { s.Permissions.FileWrite = true }, "fileWrite needs fileRead"},
		{"prompt timeout too short", func(s *v1alpha1.SessionPolicySpec) { s.PromptTimeoutSeconds = 5 }, "spec.promptTimeoutSeconds"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sp := sessionPolicy("bad", "Bad")
			sp.Namespace = e.NS
			tt.edit(&sp.Spec)
			err := k8s.Create(e.ctx, sp)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}
