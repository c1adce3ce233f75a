package controller_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/operator/api/v1alpha1"
	"github.com/jumpgate/jumpgate/operator/internal/controller"
)

func installer(name, group string) *v1alpha1.JumpClientInstaller {
	return &v1alpha1.JumpClientInstaller{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       v1alpha1.JumpClientInstallerSpec{JumpGroupRef: &v1alpha1.LocalObjectReference{Name: group}},
	}
}

// secret reads the Secret name in the test's namespace from the API server.
func (e *env) secret(name string) (*corev1.Secret, error) {
	s := &corev1.Secret{}
	err := k8s.Get(e.ctx, types.NamespacedName{Namespace: e.NS, Name: name}, s)
	return s, err
}

// installerSecretMatches checks that the Secret of jci exists, is controlled
// by it and holds what the appliance says about installer id: the key info,
// the installer id, the expiry and every platform's download commands. It
// returns the key info.
func (e *env) installerSecretMatches(jci *v1alpha1.JumpClientInstaller, id int64) (string, error) {
	name := controller.InstallerSecretName(jci)
	s, err := e.secret(name)
	if err != nil {
		return "", err
	}
	a, err := e.API.GetJumpClientInstaller(e.ctx, id)
	if err != nil {
		return "", err
	}
	ki, err := e.API.GetInstallerKeyInfo(e.ctx, id)
	if err != nil {
		return "", err
	}
	want := map[string]string{
		controller.SecretKeyKeyInfo:     ki.KeyInfo,
		controller.SecretKeyInstallerID: a.InstallerID,
		controller.SecretKeyExpiresAt:   a.ExpiresAt.UTC().Format(time.RFC3339),
	}
	if len(a.Downloads) != len(api.Platforms) {
		return "", fmt.Errorf("the appliance lists %d downloads", len(a.Downloads))
	}
	for _, d := range a.Downloads {
		want[controller.SecretKeyDownloadURL+d.Platform] = d.URL
		want[controller.SecretKeyDownloadCommand+d.Platform] = d.Command
		want[controller.SecretKeyInstallCommand+d.Platform] = d.InstallCommand
	}
	var problems []string
	for k, v := range want {
		if got, ok := s.Data[k]; !ok || string(got) != v {
			problems = append(problems, "key "+k+" differs")
		}
	}
	if len(s.Data) != len(want) {
		problems = append(problems, fmt.Sprintf("%d keys, want %d", len(s.Data), len(want)))
	}
	if !metav1.IsControlledBy(s, jci) {
		problems = append(problems, fmt.Sprintf("not controlled by the installer: owner references %v", s.OwnerReferences))
	}
	if len(problems) > 0 {
		return "", errors.New(strings.Join(problems, "; "))
	}
	return ki.KeyInfo, nil
}

// enroll enrolls a fresh host with keyInfo as an agent does; on success the
// Jump Client is deleted again.
func (e *env) enroll(keyInfo, host string) error {
	resp, _, err := e.Appliance.Enroll(e.t, keyInfo, agentproto.Facts{HostID: host, Hostname: host}, agentproto.Overrides{})
	if err != nil {
		return err
	}
	return e.API.DeleteJumpClient(e.ctx, resp.ID)
}

// noKeyInfoLeaks fails the test when the key info shows in an Event or a
// condition of obj.
func (e *env) noKeyInfoLeaks(obj *v1alpha1.JumpClientInstaller, keyInfo string) {
	e.t.Helper()
	require.NotEmpty(e.t, keyInfo)
	for _, ev := range e.Events(obj) {
		assert.NotContains(e.t, ev.Note, keyInfo, "Event %s", ev.Reason)
	}
	require.NoError(e.t, e.Get(obj))
	assert.NotContains(e.t, conditions(obj), keyInfo)
}

// TestJumpClientInstaller_Lifecycle: create → Ready with the appliance
// object and the Secret, whose key info enrolls an agent; status writes and
// the Secret write settle; an edit updates in place without a new key; a
// validDuration change keeps the installer id; a rotation change re-issues
// the key (the old one is refused); delete removes the appliance object.
func TestJumpClientInstaller_Lifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Create(jumpGroup("ops", "Operations"))
	jci := installer("servers", "ops")
	jci.Spec.Tag = "linux"
	jci.Spec.Rotation = "2026-01"
	e.Create(jci)
	id := e.WaitReady(jci)
	require.NotZero(t, id)

	a, err := e.API.GetJumpClientInstaller(e.ctx, id)
	require.NoError(t, err)
	assert.Equal(t, "linux", a.Tag)
	assert.Equal(t, api.DefaultValidDuration, a.ValidDuration)
	assert.Equal(t, e.NS+".servers", a.Labels[v1alpha1.OwnerLabel])
	assert.Equal(t, a.InstallerID, jci.Status.InstallerID)
	require.NotNil(t, jci.Status.ExpiresAt)
	assert.True(t, jci.Status.ExpiresAt.Time.Equal(a.ExpiresAt), "status.expiresAt %v, appliance %v", jci.Status.ExpiresAt, a.ExpiresAt)
	assert.False(t, jci.Status.Expired)
	assert.Equal(t, "servers-installer", jci.Status.SecretName)
	assert.Equal(t, "2026-01", jci.Status.Rotation, "recorded at creation")
	e.WaitEvent(jci, "Created")
	e.WaitEvent(jci, "SecretCreated")
	for _, ev := range e.Events(jci) {
		assert.NotEqual(t, "KeyRotated", ev.Reason, "creating an installer does not re-issue its key")
	}

	var key1 string
	e.Eventually(func() (err error) { key1, err = e.installerSecretMatches(jci, id); return err }, "the installer Secret")
	s, err := e.secret("servers-installer")
	require.NoError(t, err)
	assert.Equal(t, corev1.SecretTypeOpaque, s.Type)
	assert.Equal(t, v1alpha1.ManagedByValue, s.Labels[v1alpha1.ManagedByLabel])
	assert.Equal(t, "jumpgate-operator", s.Labels["app.kubernetes.io/managed-by"])
	require.Len(t, s.OwnerReferences, 1)
	ref := s.OwnerReferences[0]
	assert.Equal(t, "JumpClientInstaller", ref.Kind)
	assert.Equal(t, jci.UID, ref.UID)
	assert.True(t, ref.Controller != nil && *ref.Controller, "controller reference, for garbage collection")
	assert.Contains(t, string(s.Data["download-command-linux-amd64"]), "curl -fSL")
	assert.Equal(t, "sudo sh ./jumpgate-jc-"+a.InstallerID+"-linux-amd64.bin", string(s.Data["install-command-linux-amd64"]))
	assert.Contains(t, string(s.Data["download-url-windows-amd64"]), fmt.Sprintf("/jump-client-installers/%d/download/windows-amd64", id))
	require.NoError(t, e.enroll(key1, "host-1"), "the Secret's key info enrolls an agent")

	// Status writes and the one Secret write settle: no reconcile loop.
	var settled int
	e.Eventually(func() error {
		settled = e.Reconciles("JumpClientInstaller", "servers")
		time.Sleep(1500 * time.Millisecond)
		if n := e.Reconciles("JumpClientInstaller", "servers"); n != settled {
			return fmt.Errorf("%d reconciles, then %d 1.5 s later", settled, n)
		}
		return nil
	}, "reconciles to settle")
	assert.LessOrEqual(t, settled, 5, "reconciles to get one new installer Ready")
	s2, err := e.secret("servers-installer")
	require.NoError(t, err)
	assert.Equal(t, s.ResourceVersion, s2.ResourceVersion, "the Secret is written only when it differs")

	// An edit is an update in place: same installer, same key.
	e.Update(jci, func() { jci.Spec.Tag = "db"; jci.Spec.Comments = "primary" })
	e.WaitReady(jci)
	e.WaitEvent(jci, "Updated")
	a2, err := e.API.GetJumpClientInstaller(e.ctx, id)
	require.NoError(t, err)
	assert.Equal(t, "db", a2.Tag)
	assert.Equal(t, "primary", a2.Comments)
	assert.Equal(t, a.InstallerID, a2.InstallerID, "an edit does not re-issue the key")
	assert.True(t, a.ExpiresAt.Equal(a2.ExpiresAt), "an edit keeps the validity window")
	assert.Equal(t, id, jci.Status.ApplianceID)
	key, err := e.installerSecretMatches(jci, id)
	require.NoError(t, err)
	assert.Equal(t, key1, key, "an edit keeps the key info")

	// A new validDuration starts a new window with the same installer id;
	// the key info is signed again for it.
	e.Update(jci, func() { jci.Spec.ValidDuration = 2880 })
	e.WaitReady(jci)
	a3, err := e.API.GetJumpClientInstaller(e.ctx, id)
	require.NoError(t, err)
	assert.Equal(t, a.InstallerID, a3.InstallerID)
	assert.WithinDuration(t, time.Now().Add(2880*time.Minute), a3.ExpiresAt, time.Minute)
	var key2 string
	e.Eventually(func() (err error) {
		key2, err = e.installerSecretMatches(jci, id)
		if err == nil && key2 == key1 {
			err = errors.New("the Secret still holds the first key info")
		}
		return err
	}, "the Secret to follow the new validity window")
	assert.True(t, jci.Status.ExpiresAt.Time.Equal(a3.ExpiresAt))

	// A rotation change re-issues the key: new installer id, new key info
	// in the Secret; the old key info is refused.
	e.Update(jci, func() { jci.Spec.Rotation = "2026-02" })
	e.WaitReady(jci)
	ev := e.WaitEvent(jci, "KeyRotated")
	assert.Contains(t, ev.Note, "spec.rotation")
	a4, err := e.API.GetJumpClientInstaller(e.ctx, id)
	require.NoError(t, err)
	assert.NotEqual(t, a3.InstallerID, a4.InstallerID)
	assert.Equal(t, id, a4.ID, "re-issued in place")
	assert.Equal(t, "2026-02", jci.Status.Rotation)
	assert.Equal(t, a4.InstallerID, jci.Status.InstallerID)
	var key3 string
	e.Eventually(func() (err error) { key3, err = e.installerSecretMatches(jci, id); return err }, "the Secret to hold the new key")
	assert.NotEqual(t, key2, key3)
	assert.ErrorIs(t, e.enroll(key2, "host-old-key"), api.ErrForbidden, "the key info issued before the rotation")
	require.NoError(t, e.enroll(key3, "host-new-key"))

	// No more rotations once applied: later reconciles keep the key.
	e.Update(jci, func() { jci.Spec.Tag = "db2" })
	e.WaitReady(jci)
	a5, err := e.API.GetJumpClientInstaller(e.ctx, id)
	require.NoError(t, err)
	assert.Equal(t, a4.InstallerID, a5.InstallerID)
	assert.Equal(t, "db2", a5.Tag)

	e.noKeyInfoLeaks(jci, key3)
	e.Delete(jci)
	_, err = e.API.GetJumpClientInstaller(e.ctx, id)
	assert.ErrorIs(t, err, api.ErrNotFound)
	// envtest runs no garbage collector: the controller reference above is
	// what deletes the Secret in a cluster.
}

// TestJumpClientInstaller_AllFields: every spec field reaches the appliance,
// references resolve to the referenced resources' appliance ids, and
// removing the optional references clears them.
func TestJumpClientInstaller_AllFields(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Create(jumpGroup("ops", "Operations"))
	jp := &v1alpha1.JumpPolicy{ObjectMeta: metav1.ObjectMeta{Name: "office-hours"}, Spec: v1alpha1.JumpPolicySpec{DisplayName: "Office hours"}}
	att := &v1alpha1.SessionPolicy{ObjectMeta: metav1.ObjectMeta{Name: "present"}, Spec: v1alpha1.SessionPolicySpec{DisplayName: "Present"}}
	unatt := &v1alpha1.SessionPolicy{ObjectMeta: metav1.ObjectMeta{Name: "absent"}, Spec: v1alpha1.SessionPolicySpec{DisplayName: "Absent"}}
	portal := &v1alpha1.PublicPortal{ObjectMeta: metav1.ObjectMeta{Name: "support"},
		Spec: v1alpha1.PublicPortalSpec{Hostname: "support.example.com", DisplayName: "Support"}}
	proxy := &v1alpha1.Jumpoint{ObjectMeta: metav1.ObjectMeta{Name: "dmz"}, Spec: v1alpha1.JumpointSpec{Name: "DMZ",
		JumpZoneProxy: v1alpha1.JumpZoneProxy{Enabled: true, Hostname: "proxy.example.com", Port: 3128}}}
	for _, o := range []client.Object{jp, att, unatt, portal, proxy} {
		e.Create(o)
	}

	jci := installer("all", "ops")
	jci.Spec = v1alpha1.JumpClientInstallerSpec{
		ValidDuration: 600, JumpGroupRef: &v1alpha1.LocalObjectReference{Name: "ops"}, JumpGroupType: "shared",
		PublicPortalRef: &v1alpha1.LocalObjectReference{Name: "support"},
		Name:            "web-$HOSTNAME", Comments: "all fields", Tag: "web",
		JumpPolicyRef:              &v1alpha1.LocalObjectReference{Name: "office-hours"},
		AttendedSessionPolicyRef:   &v1alpha1.LocalObjectReference{Name: "present"},
		UnattendedSessionPolicyRef: &v1alpha1.LocalObjectReference{Name: "absent"},
		ConnectionType:             "standby",
		JumpointProxyRef:           &v1alpha1.LocalObjectReference{Name: "dmz"},
		MaxOfflineMinutes:          5, CustomerClientStartMode: "hidden",
		SupportButtonProfile: "helpdesk", SupportButtonDirectQueue: "team:tier1",
		ElevateInstall: new(bool), ElevatePrompt: true,
		AllowOverrideName: true, AllowOverrideJumpGroup: true, AllowOverridePublicPortal: true,
		AllowOverrideAttendedSessionPolicy: true, AllowOverrideUnattendedSessionPolicy: true,
		AllowOverrideSupportButtonProfile: true, AllowOverrideSupportButtonDirectQueue: true,
		AllowOverrideJumpPolicy: true, AllowOverrideTag: true, AllowOverrideComments: true, AllowOverrideMaxOfflineMinutes: true,
		Rotation: "r1", SecretName: "all-keys",
	}
	e.Create(jci)
	id := e.WaitReady(jci)
	ids := map[string]int64{}
	for name, o := range map[string]client.Object{"jp": jp, "att": att, "unatt": unatt, "portal": portal, "proxy": proxy} {
		require.NoError(t, e.Get(o))
		ids[name] = o.(v1alpha1.Object).CommonStatus().ApplianceID
		require.NotZero(t, ids[name], name)
	}
	jg := jumpGroup("ops", "")
	require.NoError(t, e.Get(jg))

	a, err := e.API.GetJumpClientInstaller(e.ctx, id)
	require.NoError(t, err)
	want := &api.JumpClientInstaller{
		Meta: a.Meta, InstallerID: a.InstallerID, ExpiresAt: a.ExpiresAt, Downloads: a.Downloads, Labels: a.Labels,
		ValidDuration: 600, JumpGroupID: jg.Status.ApplianceID, JumpGroupType: "shared",
		PublicPortalID: ptr(ids["portal"]), Name: "web-$HOSTNAME", Comments: "all fields", Tag: "web",
		JumpPolicyID: ptr(ids["jp"]), AttendedSessionPolicyID: ptr(ids["att"]), UnattendedSessionPolicyID: ptr(ids["unatt"]),
		ConnectionType: "standby", JumpointProxyID: ptr(ids["proxy"]), MaxOfflineMinutes: 5, CustomerClientStartMode: "hidden",
		SupportButtonProfile: "helpdesk", SupportButtonDirectQueue: "team:tier1", ElevateInstall: api.Bool(false), ElevatePrompt: true,
		AllowOverrideJumpGroup: true, AllowOverridePublicPortal: true, AllowOverrideName: true, AllowOverrideComments: true,
		AllowOverrideTag: true, AllowOverrideJumpPolicy: true, AllowOverrideAttendedSessionPolicy: true,
		AllowOverrideUnattendedSessionPolicy: true, AllowOverrideMaxOfflineMinutes: true,
		AllowOverrideSupportButtonProfile: true, AllowOverrideSupportButtonDirectQueue: true,
	}
	assert.Equal(t, want, a)
	assert.WithinDuration(t, time.Now().Add(600*time.Minute), a.ExpiresAt, time.Minute)
	assert.Equal(t, "all-keys", jci.Status.SecretName)
	_, err = e.installerSecretMatches(jci, id)
	require.NoError(t, err)

	// Removing the optional references clears them in the appliance;
	// an unset connectionType keeps the value the appliance holds.
	e.Update(jci, func() {
		s := &jci.Spec
		s.PublicPortalRef, s.JumpPolicyRef, s.AttendedSessionPolicyRef, s.UnattendedSessionPolicyRef, s.JumpointProxyRef = nil, nil, nil, nil, nil
		s.ConnectionType = ""
	})
	e.WaitReady(jci)
	a2, err := e.API.GetJumpClientInstaller(e.ctx, id)
	require.NoError(t, err)
	assert.Nil(t, a2.PublicPortalID)
	assert.Nil(t, a2.JumpPolicyID)
	assert.Nil(t, a2.AttendedSessionPolicyID)
	assert.Nil(t, a2.UnattendedSessionPolicyID)
	assert.Nil(t, a2.JumpointProxyID)
	assert.Equal(t, "standby", a2.ConnectionType, "left out: kept as the appliance has it")
	assert.Equal(t, a.InstallerID, a2.InstallerID)
	assert.Equal(t, "r1", jci.Status.Rotation)

	// Nothing drifts afterwards: a reconcile (an annotation change) does
	// not write to the appliance.
	n := e.Reconciles("JumpClientInstaller", "all")
	e.Update(jci, func() { jci.Annotations = map[string]string{"touch": "1"} })
	e.Eventually(func() error {
		if e.Reconciles("JumpClientInstaller", "all") == n {
			return errors.New("no reconcile")
		}
		return nil
	}, "a reconcile")
	time.Sleep(500 * time.Millisecond)
	a3, err := e.API.GetJumpClientInstaller(e.ctx, id)
	require.NoError(t, err)
	assert.Equal(t, a2.Version, a3.Version, "a reconcile without changes wrote to the appliance")
}

func ptr[T any](v T) *T { return &v }

// TestJumpClientInstaller_WaitsForJumpGroup: an installer whose Jump Group
// does not exist yet waits, then proceeds once the JumpGroup is Ready.
func TestJumpClientInstaller_WaitsForJumpGroup(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	jci := installer("servers", "ops")
	e.Create(jci)
	c := e.WaitCondition(jci, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonWaitingForReference)
	assert.Contains(t, c.Message, `JumpGroup "ops"`)
	l, err := e.API.ListJumpClientInstallers(e.ctx, nil)
	require.NoError(t, err)
	assert.Empty(t, l.Items, "nothing created while waiting")
	_, err = e.secret("servers-installer")
	assert.True(t, apierrors.IsNotFound(err), "no Secret while waiting: %v", err)

	jg := jumpGroup("ops", "Operations")
	e.Create(jg)
	groupID := e.WaitReady(jg)
	id := e.WaitReady(jci)
	a, err := e.API.GetJumpClientInstaller(e.ctx, id)
	require.NoError(t, err)
	assert.Equal(t, groupID, a.JumpGroupID)
	e.Eventually(func() error { _, err := e.installerSecretMatches(jci, id); return err }, "the installer Secret")
}

// TestJumpClientInstaller_Personal: jumpGroupType personal puts the clients
// on a user's personal list; a missing user is waited for.
func TestJumpClientInstaller_Personal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	jci := &v1alpha1.JumpClientInstaller{ObjectMeta: metav1.ObjectMeta{Name: "mine"},
		Spec: v1alpha1.JumpClientInstallerSpec{JumpGroupType: "personal", PersonalUsername: "alice"}}
	e.Create(jci)
	c := e.WaitCondition(jci, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonWaitingForReference)
	assert.Contains(t, c.Message, `user "alice"`)

	u, err := e.API.CreateUser(e.ctx, &api.User{Username: "alice"})
	require.NoError(t, err)
	id := e.WaitReady(jci)
	a, err := e.API.GetJumpClientInstaller(e.ctx, id)
	require.NoError(t, err)
	assert.Equal(t, "personal", a.JumpGroupType)
	assert.Equal(t, u.ID, a.JumpGroupID)
}

// TestJumpClientInstaller_Secret: the Secret is restored when it is deleted
// or edited by hand, moves with spec.secretName (the old one is deleted),
// and a Secret the operator did not create is never overwritten.
func TestJumpClientInstaller_Secret(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Create(jumpGroup("ops", "Operations"))
	jci := installer("servers", "ops")
	e.Create(jci)
	id := e.WaitReady(jci)
	var key string
	e.Eventually(func() (err error) { key, err = e.installerSecretMatches(jci, id); return err }, "the installer Secret")
	s, err := e.secret("servers-installer")
	require.NoError(t, err)

	// Deleted by hand: created again.
	require.NoError(t, k8s.Delete(e.ctx, s))
	e.Eventually(func() error {
		got, err := e.secret("servers-installer")
		if err != nil {
			return err
		}
		if got.UID == s.UID {
			return errors.New("still the old Secret")
		}
		_, err = e.installerSecretMatches(jci, id)
		return err
	}, "the deleted Secret restored")

	// Edited by hand: written back; a key that is not the operator's is
	// removed.
	s, err = e.secret("servers-installer")
	require.NoError(t, err)
	s.Data[controller.SecretKeyKeyInfo] = []byte("jgk1.forged")
	s.Data["extra"] = []byte("x")
	require.NoError(t, k8s.Update(e.ctx, s))
	e.Eventually(func() error { _, err := e.installerSecretMatches(jci, id); return err }, "the edited Secret restored")
	ev := e.WaitEvent(jci, "SecretUpdated")
	assert.Contains(t, ev.Note, "key-info")
	assert.NotContains(t, ev.Note, "jgk1.forged")

	// A Secret of another name moves the key info there and deletes the old.
	e.Update(jci, func() { jci.Spec.SecretName = "servers-keys" })
	e.WaitReady(jci)
	assert.Equal(t, "servers-keys", jci.Status.SecretName)
	got, err := e.installerSecretMatches(jci, id)
	require.NoError(t, err)
	assert.Equal(t, key, got)
	e.Eventually(func() error {
		_, err := e.secret("servers-installer")
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("the old Secret is still there (%v)", err)
	}, "the old Secret deleted")

	// A Secret the operator did not create is left alone: NotOwned.
	foreign := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "theirs", Namespace: e.NS},
		Data: map[string][]byte{"password": []byte("hunter2")}}
	require.NoError(t, k8s.Create(e.ctx, foreign))
	e.Update(jci, func() { jci.Spec.SecretName = "theirs" })
	c := e.WaitCondition(jci, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonNotOwned)
	assert.Contains(t, c.Message, `Secret "theirs"`)
	assert.Contains(t, c.Message, "spec.secretName")
	e.WaitCondition(jci, v1alpha1.ConditionSynced, metav1.ConditionTrue, v1alpha1.ReasonReconciled)
	assert.Equal(t, "servers-keys", jci.Status.SecretName, "the status keeps naming the Secret it owns")
	after, err := e.secret("theirs")
	require.NoError(t, err)
	assert.Equal(t, foreign.ResourceVersion, after.ResourceVersion, "the foreign Secret was written")
	assert.Equal(t, map[string][]byte{"password": []byte("hunter2")}, after.Data)
	assert.Empty(t, after.OwnerReferences)
	_, err = e.secret("servers-keys")
	require.NoError(t, err, "the owned Secret stays while the new name is refused")

	// Once the foreign Secret is gone, the installer takes the name.
	require.NoError(t, k8s.Delete(e.ctx, foreign))
	e.WaitReady(jci)
	e.Eventually(func() error { _, err := e.installerSecretMatches(jci, id); return err }, "the Secret under the freed name")
	assert.Equal(t, "theirs", jci.Status.SecretName)
	e.noKeyInfoLeaks(jci, key)
}

// TestJumpClientInstaller_Expired: an installer whose validity window has
// passed is Ready=False Expired, soon after the expiry without any other
// trigger; a new validDuration renews it with the same installer id.
func TestJumpClientInstaller_Expired(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Create(jumpGroup("ops", "Operations"))
	jci := installer("servers", "ops")
	e.Create(jci)
	id := e.WaitReady(jci)
	installerID := jci.Status.InstallerID

	// The appliance has no installer clock: move the expiry to 3–4 s from
	// now in its database, then let the operator read it (an annotation
	// change reconciles). Nothing else triggers a reconcile afterwards
	// (the resync is an hour), so the condition must come from the
	// requeue at the expiry.
	soon := time.Now().UTC().Add(3 * time.Second).Truncate(time.Second).Add(time.Second)
	res := e.Appliance.App.DB.W.Table("jump_client_installers").Where("id = ?", id).Update("expires_at", soon)
	require.NoError(t, res.Error)
	require.EqualValues(t, 1, res.RowsAffected)
	e.Update(jci, func() { jci.Annotations = map[string]string{"reread": "1"} })
	e.Eventually(func() error {
		if err := e.Get(jci); err != nil {
			return err
		}
		if jci.Status.ExpiresAt == nil || !jci.Status.ExpiresAt.Time.Equal(soon) {
			return fmt.Errorf("status.expiresAt %v", jci.Status.ExpiresAt)
		}
		return nil
	}, "the new expiry in the status")
	assert.False(t, jci.Status.Expired)

	c := e.WaitCondition(jci, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonExpired)
	assert.Contains(t, c.Message, installerID)
	assert.Contains(t, c.Message, "spec.validDuration")
	assert.Contains(t, c.Message, "spec.rotation")
	assert.True(t, jci.Status.Expired)
	e.WaitEvent(jci, v1alpha1.ReasonExpired)
	s, err := e.secret("servers-installer")
	require.NoError(t, err)
	assert.Equal(t, soon.Format(time.RFC3339), string(s.Data[controller.SecretKeyExpiresAt]))
	assert.ErrorIs(t, e.enroll(string(s.Data[controller.SecretKeyKeyInfo]), "host-expired"), api.ErrForbidden)

	// Renewed by a new validity window: same installer id, a fresh key
	// info that works.
	e.Update(jci, func() { jci.Spec.ValidDuration = 60 })
	e.WaitReady(jci)
	assert.False(t, jci.Status.Expired)
	assert.Equal(t, installerID, jci.Status.InstallerID)
	var key string
	e.Eventually(func() (err error) { key, err = e.installerSecretMatches(jci, id); return err }, "the renewed Secret")
	require.NoError(t, e.enroll(key, "host-renewed"))
}

// TestJumpClientInstaller_Invalid: the API server refuses bad specs.
func TestJumpClientInstaller_Invalid(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	group := &v1alpha1.LocalObjectReference{Name: "ops"}
	for _, tt := range []struct {
		name string
		spec v1alpha1.JumpClientInstallerSpec
		want string
	}{
		{"no jump group", v1alpha1.JumpClientInstallerSpec{}, "jumpGroupRef is required unless jumpGroupType is personal"},
		{"short validity", v1alpha1.JumpClientInstallerSpec{JumpGroupRef: group, ValidDuration: 5}, "spec.validDuration"},
		{"personal without user", v1alpha1.JumpClientInstallerSpec{JumpGroupType: "personal"}, "jumpGroupType personal needs personalUsername"},
		{"offline 3 minutes", v1alpha1.JumpClientInstallerSpec{JumpGroupRef: group, MaxOfflineMinutes: 3}, "maxOfflineMinutes must be 0"},
		{"bad secret name", v1alpha1.JumpClientInstallerSpec{JumpGroupRef: group, SecretName: "Not_A_Name"}, "spec.secretName"},
		{"bad connection type", v1alpha1.JumpClientInstallerSpec{JumpGroupRef: group, ConnectionType: "always"}, "spec.connectionType"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			jci := &v1alpha1.JumpClientInstaller{ObjectMeta: metav1.ObjectMeta{Name: "bad", Namespace: e.NS}, Spec: tt.spec}
			err := k8s.Create(e.ctx, jci)
			require.Error(t, err)
			assert.True(t, apierrors.IsInvalid(err), "%v", err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// TestJumpClientInstaller_RotationNotRepeated: when the status write after
// a rotation is lost (here: the status is set back by hand), the next
// reconcile finds the rotation recorded on the Secret and does not re-issue
// the key a second time.
func TestJumpClientInstaller_RotationNotRepeated(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Create(jumpGroup("ops", "Operations"))
	jci := installer("servers", "ops")
	jci.Spec.Rotation = "1"
	e.Create(jci)
	id := e.WaitReady(jci)
	e.Update(jci, func() { jci.Spec.Rotation = "2" })
	e.WaitReady(jci)
	e.WaitEvent(jci, "KeyRotated")
	rotated := jci.Status.InstallerID
	e.Eventually(func() error { _, err := e.installerSecretMatches(jci, id); return err }, "the Secret with the new key")

	// The status as it was before the rotation was recorded.
	e.Eventually(func() error {
		if err := e.Get(jci); err != nil {
			return err
		}
		jci.Status.Rotation, jci.Status.InstallerID = "1", "0000000000000000"
		return k8s.Status().Update(e.ctx, jci)
	}, "the status set back")
	n := e.Reconciles("JumpClientInstaller", "servers")
	e.Update(jci, func() { jci.Annotations = map[string]string{"reread": "1"} })
	e.Eventually(func() error {
		if err := e.Get(jci); err != nil {
			return err
		}
		if e.Reconciles("JumpClientInstaller", "servers") == n || jci.Status.Rotation != "2" {
			return fmt.Errorf("status.rotation %q", jci.Status.Rotation)
		}
		return nil
	}, "the rotation recorded again")
	assert.Equal(t, rotated, jci.Status.InstallerID)
	a, err := e.API.GetJumpClientInstaller(e.ctx, id)
	require.NoError(t, err)
	assert.Equal(t, rotated, a.InstallerID, "the key was re-issued a second time")
	n = 0
	for _, ev := range e.Events(jci) {
		if ev.Reason == "KeyRotated" {
			n++
		}
	}
	assert.Equal(t, 1, n, "KeyRotated Events")
}
