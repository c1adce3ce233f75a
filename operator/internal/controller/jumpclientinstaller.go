package controller

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/operator/api/v1alpha1"
)

// A JumpClientInstaller is updated in place like every other kind; what only
// it does happens in its After hook, once the appliance object matches the
// spec:
//
//  1. Key rotation. The key (installer id, key info, validity window) is
//     re-issued through POST …/rotate-key only when spec.rotation differs
//     from status.rotation, the value the current key was issued for. The
//     first reconcile that finds the appliance object (status.installerID
//     still empty) records spec.rotation without re-issuing, so creating,
//     editing or re-adopting a resource never re-issues a key by itself.
//  2. Status: installerID, expiresAt and expired from the appliance object.
//  3. The Secret spec.secretName (default <name>-installer) with the key
//     info and the per-platform download commands, written only when what
//     it holds differs, so the Secret watch (Owns) settles after one
//     reconcile. A Secret of that name that this resource does not control
//     is never written: the resource is Ready=False, reason NotOwned. The
//     Secret of a previous spec.secretName is deleted.
//  4. Expiry: an expired installer is Ready=False, reason Expired; a valid
//     one is reconciled again right after it expires, so the condition
//     turns as soon as the appliance starts refusing it.
//
// Key info is a credential: it goes into the Secret only, never into logs,
// Events or conditions.

func init() { register(JumpClientInstallerKind) }

// Keys of the installer Secret. Per platform p (api.Platforms) there are
// also SecretKeyDownloadURL+p, SecretKeyDownloadCommand+p and
// SecretKeyInstallCommand+p.
const (
	// SecretKeyKeyInfo holds the signed key info of generic installers.
	SecretKeyKeyInfo = "key-info"
	// SecretKeyInstallerID holds the installer id.
	SecretKeyInstallerID = "installer-id"
	// SecretKeyExpiresAt holds when the installer expires (RFC 3339, UTC).
	SecretKeyExpiresAt = "expires-at"
	// SecretKeyDownloadURL prefixes the download URL of a platform.
	SecretKeyDownloadURL = "download-url-"
	// SecretKeyDownloadCommand prefixes the copyable download command
	// (curl, or curl.exe in PowerShell) of a platform.
	SecretKeyDownloadCommand = "download-command-"
	// SecretKeyInstallCommand prefixes the command that runs the downloaded
	// installer of a platform.
	SecretKeyInstallCommand = "install-command-"
)

// RotationAnnotation on the installer Secret records the spec.rotation its
// key was issued for. If the status write after a rotation is lost, the next
// reconcile finds the rotation done here and does not re-issue the key again.
const RotationAnnotation = "jumpgate.dev/rotation"

// notOwnedRecheck is how often an installer whose Secret name is taken by
// a Secret it does not control looks again.
const notOwnedRecheck = 5 * time.Second

// appManagedByLabel is the well-known Kubernetes label for the tool that
// manages an object; the installer Secret carries it besides
// v1alpha1.ManagedByLabel.
const appManagedByLabel = "app.kubernetes.io/managed-by"

// installerClearable are the optional references of an installer: leaving
// one out of the spec clears it in the appliance.
var installerClearable = []string{
	"public_portal_id", "jump_policy_id", "attended_session_policy_id", "unattended_session_policy_id", "jumpoint_proxy_id",
}

// JumpClientInstallerKind reconciles JumpClientInstaller into the
// appliance's jump-client-installers, with its key-info Secret.
func JumpClientInstallerKind() *Kind[*v1alpha1.JumpClientInstaller, api.JumpClientInstaller] {
	return &Kind[*v1alpha1.JumpClientInstaller, api.JumpClientInstaller]{
		Name: "JumpClientInstaller", Noun: "jump client installer",
		New: func() *v1alpha1.JumpClientInstaller { return &v1alpha1.JumpClientInstaller{} },
		// Installers have no unique key in the appliance: the reconciler
		// finds one by the id in the status or by the owner labels only.
		Key:       nil,
		Desired:   installerDesired,
		Clearable: installerClearable,
		Get:       (*api.Client).GetJumpClientInstaller,
		List:      (*api.Client).ListJumpClientInstallers,
		Create:    (*api.Client).CreateJumpClientInstaller,
		Update:    (*api.Client).UpdateJumpClientInstaller,
		Delete:    (*api.Client).DeleteJumpClientInstaller,
		Refs:      installerRefs,
		RefKinds: []client.Object{
			&v1alpha1.JumpGroup{}, &v1alpha1.PublicPortal{}, &v1alpha1.JumpPolicy{}, &v1alpha1.SessionPolicy{}, &v1alpha1.Jumpoint{},
		},
		After: installerAfter,
		Owns:  []client.Object{&corev1.Secret{}},
	}
}

// installerDesired maps the spec onto api.JumpClientInstaller as the
// Terraform provider's jumpgate_jump_client_installer does, with the
// defaults the CRD declares (so an object written before a default existed
// still means the same).
func installerDesired(ctx context.Context, r *Resolver, o *v1alpha1.JumpClientInstaller) (*api.JumpClientInstaller, error) {
	s := o.Spec
	a := &api.JumpClientInstaller{
		ValidDuration: int(s.ValidDuration), JumpGroupType: s.JumpGroupType,
		Name: s.Name, Comments: s.Comments, Tag: s.Tag,
		ConnectionType:           s.ConnectionType,
		MaxOfflineMinutes:        int(s.MaxOfflineMinutes),
		CustomerClientStartMode:  s.CustomerClientStartMode,
		SupportButtonProfile:     s.SupportButtonProfile,
		SupportButtonDirectQueue: s.SupportButtonDirectQueue,
		ElevateInstall:           copyBool(s.ElevateInstall),
		ElevatePrompt:            s.ElevatePrompt,

		AllowOverrideJumpGroup:                s.AllowOverrideJumpGroup,
		AllowOverridePublicPortal:             s.AllowOverridePublicPortal,
		AllowOverrideName:                     s.AllowOverrideName,
		AllowOverrideComments:                 s.AllowOverrideComments,
		AllowOverrideTag:                      s.AllowOverrideTag,
		AllowOverrideJumpPolicy:               s.AllowOverrideJumpPolicy,
		AllowOverrideAttendedSessionPolicy:    s.AllowOverrideAttendedSessionPolicy,
		AllowOverrideUnattendedSessionPolicy:  s.AllowOverrideUnattendedSessionPolicy,
		AllowOverrideMaxOfflineMinutes:        s.AllowOverrideMaxOfflineMinutes,
		AllowOverrideSupportButtonProfile:     s.AllowOverrideSupportButtonProfile,
		AllowOverrideSupportButtonDirectQueue: s.AllowOverrideSupportButtonDirectQueue,
	}
	a.ApplyDefaults()

	var err error
	if a.JumpGroupType == api.JumpGroupPersonal {
		if a.JumpGroupID, err = r.UserID(ctx, s.PersonalUsername); err != nil {
			return nil, err
		}
	} else {
		if s.JumpGroupRef == nil {
			// The CRD's validation rules make this unreachable.
			return nil, errors.New("spec.jumpGroupRef is required unless spec.jumpGroupType is personal")
		}
		if a.JumpGroupID, err = r.ID(ctx, &v1alpha1.JumpGroup{}, s.JumpGroupRef.Name); err != nil {
			return nil, err
		}
	}
	refs := []struct {
		dst *(*int64)
		obj Object
		ref *v1alpha1.LocalObjectReference
	}{
		{&a.PublicPortalID, &v1alpha1.PublicPortal{}, s.PublicPortalRef},
		{&a.JumpPolicyID, &v1alpha1.JumpPolicy{}, s.JumpPolicyRef},
		{&a.AttendedSessionPolicyID, &v1alpha1.SessionPolicy{}, s.AttendedSessionPolicyRef},
		{&a.UnattendedSessionPolicyID, &v1alpha1.SessionPolicy{}, s.UnattendedSessionPolicyRef},
		{&a.JumpointProxyID, &v1alpha1.Jumpoint{}, s.JumpointProxyRef},
	}
	for _, f := range refs {
		id, err := r.OptionalID(ctx, f.obj, f.ref)
		if err != nil {
			return nil, err
		}
		if id != 0 {
			*f.dst = &id
		}
	}

	// Left out, the connection type is the one the appliance chose at
	// creation (the Jump Client settings' default then), and it is kept: an
	// empty value in a write would take the settings' current default.
	if a.ConnectionType == "" && o.Status.ApplianceID != 0 {
		cur, err := r.api.GetJumpClientInstaller(ctx, o.Status.ApplianceID)
		switch {
		case err == nil:
			a.ConnectionType = cur.ConnectionType
		case !errors.Is(err, api.ErrNotFound):
			return nil, err
		}
	}
	return a, nil
}

// installerRefs names the resources an installer refers to.
func installerRefs(o *v1alpha1.JumpClientInstaller) []string {
	s := o.Spec
	var refs []string
	add := func(kind string, ref *v1alpha1.LocalObjectReference) {
		if ref == nil {
			return
		}
		if k := RefKey(kind, ref.Name); !slices.Contains(refs, k) {
			refs = append(refs, k)
		}
	}
	if s.JumpGroupType != api.JumpGroupPersonal {
		add("JumpGroup", s.JumpGroupRef)
	}
	add("PublicPortal", s.PublicPortalRef)
	add("JumpPolicy", s.JumpPolicyRef)
	add("SessionPolicy", s.AttendedSessionPolicyRef)
	add("SessionPolicy", s.UnattendedSessionPolicyRef)
	add("Jumpoint", s.JumpointProxyRef)
	return refs
}

// InstallerSecretName is the name of the Secret of installer o:
// spec.secretName, or "<metadata.name>-installer".
func InstallerSecretName(o *v1alpha1.JumpClientInstaller) string {
	if o.Spec.SecretName != "" {
		return o.Spec.SecretName
	}
	return o.Name + "-installer"
}

// installerAfter re-issues the key when spec.rotation asks for it, fills in
// the status, writes the Secret and reports expiry.
func installerAfter(ctx context.Context, h *Hooks, o *v1alpha1.JumpClientInstaller, a *api.JumpClientInstaller) (Readiness, error) {
	st := &o.Status
	name := InstallerSecretName(o)
	sec, err := getSecret(ctx, h.Client, o.Namespace, name)
	if err != nil {
		return Readiness{}, err
	}
	owned := sec != nil && metav1.IsControlledBy(sec, o)

	switch {
	case st.InstallerID == "":
		// The first reconcile that finds the appliance object: it was
		// just created (or is being taken over), with a fresh key.
		st.Rotation = o.Spec.Rotation
	case st.Rotation != o.Spec.Rotation:
		if owned && sec.Annotations[RotationAnnotation] == o.Spec.Rotation &&
			string(sec.Data[SecretKeyInstallerID]) == a.InstallerID && a.InstallerID != st.InstallerID {
			// Re-issued by a reconcile whose status write was lost.
			st.Rotation = o.Spec.Rotation
			break
		}
		old := a.InstallerID
		rotated, err := h.API.RotateInstallerKey(ctx, a.ID, api.IfMatch(a.Version))
		if err != nil {
			return Readiness{}, fmt.Errorf("re-issuing the key of jump client installer %d (spec.rotation changed): %w", a.ID, err)
		}
		a = rotated
		st.Rotation = o.Spec.Rotation
		h.Event(corev1.EventTypeNormal, ActionKeyRotated, "Rotate", fmt.Sprintf(
			"re-issued the key of jump client installer %d because spec.rotation changed: installer id %s replaces %s, "+
				"valid until %s; key info and installers handed out before stop working, installed Jump Clients are not affected",
			a.ID, a.InstallerID, old, a.ExpiresAt.UTC().Format(time.RFC3339)))
	}

	keyInfo := a.KeyInfo
	if keyInfo == "" || len(a.Downloads) == 0 {
		ki, err := h.API.GetInstallerKeyInfo(ctx, a.ID)
		if err != nil {
			return Readiness{}, fmt.Errorf("reading the key info of jump client installer %d: %w", a.ID, err)
		}
		if ki.InstallerID != a.InstallerID {
			// Re-issued outside the operator between the two reads: read
			// the installer again, so the Secret holds one key's values.
			if a, err = h.API.GetJumpClientInstaller(ctx, a.ID); err != nil {
				return Readiness{}, err
			}
			if ki.InstallerID != a.InstallerID {
				return Readiness{}, fmt.Errorf("the key of jump client installer %d changed while it was being read; retrying", a.ID)
			}
		}
		keyInfo = ki.KeyInfo
	}

	st.InstallerID = a.InstallerID
	expires := a.ExpiresAt.UTC().Truncate(time.Second)
	if st.ExpiresAt == nil || !st.ExpiresAt.Time.Equal(expires) {
		st.ExpiresAt = &metav1.Time{Time: expires}
	}
	untilExpiry := time.Until(a.ExpiresAt)
	st.Expired = untilExpiry <= 0

	if sec != nil && !owned {
		// Status.SecretName keeps naming the Secret the resource does own,
		// if any, which stays in place until this is resolved. The Secret
		// watch sees only Secrets this resource controls, so look again
		// soon for the other one to be gone.
		return Readiness{NotReady: true, Reason: v1alpha1.ReasonNotOwned, RequeueAfter: notOwnedRecheck, Message: fmt.Sprintf(
			"the Secret %q already exists in namespace %q and was not created by the operator for this JumpClientInstaller, "+
				"so it was left untouched and holds no key info of this installer; delete that Secret, or set spec.secretName to a free name",
			name, o.Namespace)}, nil
	}
	want := installerSecret(o, name, keyInfo, a)
	if err := writeSecret(ctx, h, o, want); err != nil {
		return Readiness{}, err
	}
	if prev := st.SecretName; prev != "" && prev != name {
		if err := deleteOwnedSecret(ctx, h, o, prev, name); err != nil {
			return Readiness{}, err
		}
	}
	st.SecretName = name

	if st.Expired {
		return Readiness{NotReady: true, Reason: v1alpha1.ReasonExpired, Message: fmt.Sprintf(
			"installer %s expired at %s: the appliance refuses its key info and installers; change spec.validDuration to start a new "+
				"validity window with the same installer id, or change spec.rotation to issue a new key. Jump Clients already installed are not affected",
			a.InstallerID, expires.Format(time.RFC3339))}, nil
	}
	// Reconcile again just after the expiry so the Expired condition
	// follows it closely; the reconciler caps this at the resync period.
	return Readiness{RequeueAfter: untilExpiry + time.Second}, nil
}

// installerSecret is the Secret name of installer o should be: the key
// info, the installer id, the expiry and every platform's download
// commands of a, as the appliance words them.
func installerSecret(o *v1alpha1.JumpClientInstaller, name, keyInfo string, a *api.JumpClientInstaller) *corev1.Secret {
	data := map[string][]byte{
		SecretKeyKeyInfo:     []byte(keyInfo),
		SecretKeyInstallerID: []byte(a.InstallerID),
		SecretKeyExpiresAt:   []byte(a.ExpiresAt.UTC().Format(time.RFC3339)),
	}
	for _, d := range a.Downloads {
		data[SecretKeyDownloadURL+d.Platform] = []byte(d.URL)
		data[SecretKeyDownloadCommand+d.Platform] = []byte(d.Command)
		data[SecretKeyInstallCommand+d.Platform] = []byte(d.InstallCommand)
	}
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: o.Namespace,
			Labels: map[string]string{
				v1alpha1.ManagedByLabel: v1alpha1.ManagedByValue,
				appManagedByLabel:       v1alpha1.ManagedByValue,
			},
			Annotations: map[string]string{RotationAnnotation: o.Status.Rotation},
		},
		Type: corev1.SecretTypeOpaque,
		Data: data,
	}
}

// getSecret reads a Secret from the cache; nil when there is none.
func getSecret(ctx context.Context, c client.Client, namespace, name string) (*corev1.Secret, error) {
	sec := &corev1.Secret{}
	err := c.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, sec)
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("reading Secret %q: %w", name, err)
	}
	return sec, nil
}

// writeSecret makes the Secret want.Name match want, owned by o: it
// creates it, or updates it when its data, our labels and annotations or
// the owner reference differ, and leaves it alone otherwise (so the write
// does not trigger reconciles forever). Reads come from the cache, which
// may not have seen our last write yet: a conflict waits for the cache to
// catch up and tries again.
func writeSecret(ctx context.Context, h *Hooks, o *v1alpha1.JumpClientInstaller, want *corev1.Secret) error {
	const attempts = 3
	for i := 1; ; i++ {
		cur, err := getSecret(ctx, h.Client, want.Namespace, want.Name)
		if err != nil {
			return err
		}
		if cur != nil && !metav1.IsControlledBy(cur, o) {
			// Appeared since the check in installerAfter: the next
			// reconcile (the Secret watch brings it) reports NotOwned.
			return fmt.Errorf("the Secret %q was created by someone else meanwhile; not writing it", want.Name)
		}
		var seen string
		if cur == nil {
			sec := want.DeepCopy()
			if err := controllerutil.SetControllerReference(o, sec, h.Client.Scheme()); err != nil {
				return err
			}
			err = h.Client.Create(ctx, sec)
			if err == nil {
				verb := "created"
				if o.Status.SecretName == want.Name {
					verb = "restored"
				}
				h.Event(corev1.EventTypeNormal, ActionSecretCreated, "Write", fmt.Sprintf("%s Secret %q with the installer's key info and download commands", verb, want.Name))
				return nil
			}
		} else {
			changed := secretChanges(cur, want)
			if len(changed) == 0 {
				return nil
			}
			seen = cur.ResourceVersion
			sec := cur.DeepCopy()
			sec.Data = want.Data
			sec.StringData = nil
			if sec.Labels == nil {
				sec.Labels = map[string]string{}
			}
			maps.Copy(sec.Labels, want.Labels)
			if sec.Annotations == nil {
				sec.Annotations = map[string]string{}
			}
			maps.Copy(sec.Annotations, want.Annotations)
			err = h.Client.Update(ctx, sec)
			if err == nil {
				h.Event(corev1.EventTypeNormal, ActionSecretUpdated, "Write", fmt.Sprintf("wrote %s to Secret %q", strings.Join(changed, ", "), want.Name))
				return nil
			}
		}
		if i < attempts && (apierrors.IsAlreadyExists(err) || apierrors.IsConflict(err)) {
			waitForSecret(ctx, h.Client, want.Namespace, want.Name, seen)
			continue
		}
		return fmt.Errorf("writing Secret %q: %w", want.Name, err)
	}
}

// secretChanges lists what differs between the Secret cur and want, by key
// name only (values are secret): data keys, "labels", "annotations".
func secretChanges(cur, want *corev1.Secret) []string {
	var out []string
	for k, v := range want.Data {
		if c, ok := cur.Data[k]; !ok || !bytes.Equal(c, v) {
			out = append(out, k)
		}
	}
	for k := range cur.Data {
		if _, ok := want.Data[k]; !ok {
			out = append(out, k+" (removed)")
		}
	}
	slices.Sort(out)
	for k, v := range want.Labels {
		if cur.Labels[k] != v {
			out = append(out, "labels")
			break
		}
	}
	for k, v := range want.Annotations {
		if cur.Annotations[k] != v {
			out = append(out, "annotations")
			break
		}
	}
	if len(cur.StringData) > 0 {
		out = append(out, "stringData")
	}
	return out
}

// waitForSecret waits, briefly, until the cache shows the Secret at another
// resource version than seen ("" for absent).
func waitForSecret(ctx context.Context, c client.Client, namespace, name, seen string) {
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		sec, err := getSecret(ctx, c, namespace, name)
		if err == nil {
			rv := ""
			if sec != nil {
				rv = sec.ResourceVersion
			}
			if rv != seen {
				return
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// deleteOwnedSecret deletes the Secret prev, which held installer o's key
// info before spec.secretName changed to now, if o still controls it.
func deleteOwnedSecret(ctx context.Context, h *Hooks, o *v1alpha1.JumpClientInstaller, prev, now string) error {
	sec, err := getSecret(ctx, h.Client, o.Namespace, prev)
	if err != nil || sec == nil || !metav1.IsControlledBy(sec, o) {
		return err
	}
	if err := h.Client.Delete(ctx, sec, client.Preconditions{UID: &sec.UID}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting the previous Secret %q: %w", prev, err)
	}
	h.Event(corev1.EventTypeNormal, ActionSecretDeleted, "Delete", fmt.Sprintf("deleted Secret %q: spec.secretName is now %q", prev, now))
	return nil
}
