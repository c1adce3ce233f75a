package controller

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/operator/api/v1alpha1"
)

// A Jumpoint with spec.deployment runs its nodes in the cluster:
//
//   - The enrollment Secret <name>-jumpoint-enrollment holds, under key-info,
//     key info the appliance issued for new nodes of the jumpoint
//     (GET /jumpoints/{id}/key-info, valid 24 hours). Its annotations record
//     the key info's expiry, the jumpoint id it was issued for and its
//     SHA-256, so the operator can tell, without asking the appliance, when
//     to issue new key info: when the Secret is missing or was edited, when
//     the jumpoint's id changed (it was created again), and when less than
//     12 hours of validity remain. Otherwise the Secret is not written, and
//     the Jumpoint is reconciled again in time for the refresh. Nodes that
//     have enrolled do not need the key info any more; it is for pods that
//     start later.
//   - The Deployment <name>-jumpoint runs jumpgate-agent in the foreground
//     (`run --dir /var/lib/jumpgate-agent --key-info-file /etc/jumpgate-agent/key-info`):
//     on its first start a pod enrolls from the key info into its emptyDir,
//     then serves the jumpoint. Each pod is a node of its own: its host id
//     (JUMPGATE_AGENT_HOST_ID) is its name. A new pod starts from an empty
//     volume, without the old pod's key, and the appliance never lets a
//     host id alone take a node over, so the operator — an administrator —
//     removes the nodes of pods that are gone (pruneJumpointNodes) to make
//     room. A jumpoint that is not clustered has one node, and its pods are
//     rolled out with the Recreate strategy: the new pod's enrollment is
//     refused while the old pod's node holds the place, and succeeds on a
//     container restart once the operator has removed that node.
//   - Both carry a controller owner reference to the Jumpoint, so edits and
//     deletions by hand reconcile it (and are undone), and objects of those
//     names that the Jumpoint does not own are never taken over (NotOwned).
//     The Deployment is written only when a field the operator sets differs
//     from what the API server holds; fields it leaves out keep the server's
//     defaults and whatever others set (e.g. the template annotation of
//     `kubectl rollout restart`).
//   - The Jumpoint is Ready once the Deployment has rolled out and all its
//     replicas are available (DeploymentProgressing until then).
//   - The appliance counts every enrolled node against the jumpoint's limit,
//     connected or not, so the nodes that pods left behind are removed from
//     the appliance (see pruneJumpointNodes).
//   - Removing spec.deployment, or deleting the Jumpoint, deletes both.

// Names and paths of a Jumpoint's nodes in the cluster.
const (
	// KeyInfoSecretKey is the enrollment Secret's data key holding the key
	// info.
	KeyInfoSecretKey = "key-info"
	// KeyInfoExpiresAnnotation on the enrollment Secret is when its key
	// info expires (RFC 3339).
	KeyInfoExpiresAnnotation = "jumpgate.dev/key-info-expires-at"
	// KeyInfoJumpointAnnotation on the enrollment Secret is the appliance id
	// of the jumpoint the key info enrolls nodes of.
	KeyInfoJumpointAnnotation = "jumpgate.dev/jumpoint-id"
	// KeyInfoHashAnnotation on the enrollment Secret is the hex SHA-256 of
	// the key info the operator wrote, to notice edits by hand.
	KeyInfoHashAnnotation = "jumpgate.dev/key-info-sha256"

	// JumpointContainer is the name of the agent container.
	JumpointContainer = "jumpoint"
	// JumpointStateDir is where a node keeps its identity (an emptyDir).
	JumpointStateDir = "/var/lib/jumpgate-agent"
	// JumpointKeyInfoDir is where the enrollment Secret is mounted.
	JumpointKeyInfoDir = "/etc/jumpgate-agent"
	// JumpointHostIDEnv is the agent's host id variable.
	JumpointHostIDEnv = "JUMPGATE_AGENT_HOST_ID"
	// JumpointAgentUID is the user (and group) the agent runs as: the
	// nonroot user of the agent image (distroless).
	JumpointAgentUID = 65532

	// keyInfoRefreshBefore: key info with less validity left than this is
	// replaced; it is valid 24 hours when issued.
	keyInfoRefreshBefore = 12 * time.Hour
	// maxChildName keeps a Deployment's name short enough for the names of
	// its ReplicaSets ("<name>-<hash>") to be valid.
	maxChildName = 242
)

// How soon a Jumpoint with a deployment is looked at again: after a write
// lost a race, while an object of its names belongs to someone else, and
// while its Deployment is progressing.
const (
	deploymentRetryAfter = 250 * time.Millisecond
	notOwnedRetry        = 30 * time.Second
	progressRecheck      = 30 * time.Second
)

const (
	agentImageRepository     = "ghcr.io/jumpgate/jumpgate-agent"
	jumpointAppName          = "jumpgate-jumpoint"
	jumpointManagedByAppName = "jumpgate-operator"
)

// DefaultAgentImage is the agent image of a Jumpoint's nodes when neither
// spec.deployment.image nor Config.AgentImage names one: the jumpgate-agent
// image of the operator's own version.
func DefaultAgentImage() string { return agentImageRepository + ":" + api.Version }

// JumpointDeploymentName is the name of the Deployment that runs the nodes
// of the Jumpoint called name.
func JumpointDeploymentName(name string) string { return childName(name, "-jumpoint") }

// JumpointEnrollmentSecretName is the name of the Secret holding the key
// info of the nodes of the Jumpoint called name.
func JumpointEnrollmentSecretName(name string) string { return childName(name, "-jumpoint-enrollment") }

// JumpointArgs are the agent container's arguments (the image's entry point
// is the agent).
func JumpointArgs() []string {
	return []string{"run", "--dir", JumpointStateDir, "--key-info-file", JumpointKeyInfoDir + "/" + KeyInfoSecretKey}
}

// syncJumpointDeployment makes the Jumpoint's objects in the cluster match
// spec.deployment (a is the appliance's jumpoint, as written).
func syncJumpointDeployment(ctx context.Context, h *Hooks, o *v1alpha1.Jumpoint, a *api.Jumpoint) (Readiness, error) {
	if o.Spec.Deployment == nil {
		if err := removeJumpointDeployment(ctx, h, o); err != nil {
			return Readiness{}, err
		}
		return Readiness{}, pruneJumpointNodes(ctx, h, o, a)
	}
	refreshIn, rd, err := syncEnrollmentSecret(ctx, h, o, a)
	if err != nil || rd.NotReady {
		return rd, err
	}
	rd, err = syncDeployment(ctx, h, o, a)
	if err != nil || rd.Reason == v1alpha1.ReasonNotOwned {
		return rd, err
	}
	if err := pruneJumpointNodes(ctx, h, o, a); err != nil {
		return Readiness{}, err
	}
	if refreshIn > 0 && (rd.RequeueAfter == 0 || refreshIn < rd.RequeueAfter) {
		rd.RequeueAfter = refreshIn
	}
	return rd, nil
}

// pruneJumpointNodes removes the jumpoint's enrolled nodes that its pods
// left behind. The appliance counts every enrolled node against the
// jumpoint's limit (one node, or 10 when clustered), connected or not, and
// each new pod enrolls as a new node (its host id is its name; a host id
// never takes a node over): without this, a rollout, an eviction or a
// rescheduled pod would leave the jumpoint full and the new pod refused. A
// node is removed only when it is not connected and is one of this
// Jumpoint's pods' (its host id is the name of a pod of its Deployment, or
// the host id that the pods of a jumpoint that is not clustered shared
// before each pod had its own) but no longer stands for a pod: no pod of
// that name exists (the shared host id stands for none); without
// spec.deployment, all of them are. Nodes installed elsewhere are never
// touched, nor is a connected node or the node of a pod that exists (it
// may be restarting: its volume, and with it its key, survives).
func pruneJumpointNodes(ctx context.Context, h *Hooks, o *v1alpha1.Jumpoint, a *api.Jumpoint) error {
	shared := JumpointHostID(o)
	prefix := JumpointDeploymentName(o.Name) + "-"
	for _, n := range a.Nodes {
		if n.Connected {
			continue
		}
		switch {
		case n.HostID == shared:
		case strings.HasPrefix(n.HostID, prefix):
			if o.Spec.Deployment != nil {
				exists, err := podExists(ctx, h, o.Namespace, n.HostID)
				if err != nil {
					return err
				}
				if exists {
					continue
				}
			}
		default:
			continue
		}
		err := h.API.DeleteJumpointNode(ctx, a.ID, n.ID)
		if errors.Is(err, api.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("removing node %d (host %q) of jumpoint %d, whose pod is gone: %w", n.ID, n.HostID, a.ID, err)
		}
		h.Event(corev1.EventTypeNormal, ActionNodeRemoved, "Remove", fmt.Sprintf(
			"removed node %d (host %q) of jumpoint %d from the appliance: its pod is gone, and every enrolled node counts against the jumpoint's limit", n.ID, n.HostID, a.ID))
	}
	return nil
}

// podExists reports whether namespace has a pod called name (read
// through the cache, metadata only).
func podExists(ctx context.Context, h *Hooks, namespace, name string) (bool, error) {
	pod := &metav1.PartialObjectMetadata{}
	pod.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Pod"))
	err := h.Client.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, pod)
	switch {
	case apierrors.IsNotFound(err):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("reading pod %q: %w", name, err)
	}
	return true, nil
}

// JumpointHostID is the host id that the pods of a Jumpoint that is not
// clustered shared in operators before this one, when a new pod took the
// one node over by its host id (which the appliance no longer allows). No
// pod gets it now; the operator removes disconnected nodes that have it.
func JumpointHostID(o *v1alpha1.Jumpoint) string { return "k8s-" + string(o.UID) }

// syncEnrollmentSecret writes new key info to the enrollment Secret when it
// needs it, and returns when it will next need it.
func syncEnrollmentSecret(ctx context.Context, h *Hooks, o *v1alpha1.Jumpoint, a *api.Jumpoint) (time.Duration, Readiness, error) {
	name := JumpointEnrollmentSecretName(o.Name)
	sec := &corev1.Secret{}
	exists, notOwned, err := getOwned(ctx, h, o, sec, name)
	if err != nil || notOwned != "" {
		return 0, notOwnedReadiness(notOwned), err
	}
	now := time.Now()
	expires, usable := keyInfoOf(sec, a.ID)
	wantLabels := jumpointLabels(o)
	if usable && expires.Sub(now) >= keyInfoRefreshBefore {
		if !hasLabels(sec.Labels, wantLabels) {
			for k, v := range wantLabels {
				metav1.SetMetaDataLabel(&sec.ObjectMeta, k, v)
			}
			if err := h.Client.Update(ctx, sec); err != nil {
				return 0, retryReadiness(err, "enrollment Secret", name), ignoreRetry(err)
			}
		}
		return expires.Sub(now) - keyInfoRefreshBefore + time.Second, Readiness{}, nil
	}
	if a.Enabled != nil && !*a.Enabled {
		// The appliance issues no key info for a disabled jumpoint.
		if usable && expires.After(now) {
			return 0, Readiness{}, nil
		}
		return 0, Readiness{NotReady: true, Reason: v1alpha1.ReasonDeploymentProgressing, Message: fmt.Sprintf(
			"jumpoint %d is disabled (spec.enabled is false), so the appliance issues no key info for new nodes and the pods of Deployment %q cannot enroll; set spec.enabled to true",
			a.ID, JumpointDeploymentName(o.Name))}, nil
	}
	ki, err := h.API.GetJumpointKeyInfo(ctx, a.ID)
	if err != nil {
		return 0, Readiness{}, fmt.Errorf("issuing key info for the nodes of jumpoint %d: %w", a.ID, err)
	}
	sec.Name, sec.Namespace = name, o.Namespace
	sec.Type = corev1.SecretTypeOpaque
	for k, v := range wantLabels {
		metav1.SetMetaDataLabel(&sec.ObjectMeta, k, v)
	}
	sum := sha256.Sum256([]byte(ki.KeyInfo))
	metav1.SetMetaDataAnnotation(&sec.ObjectMeta, KeyInfoExpiresAnnotation, ki.ExpiresAt.UTC().Format(time.RFC3339))
	metav1.SetMetaDataAnnotation(&sec.ObjectMeta, KeyInfoJumpointAnnotation, strconv.FormatInt(a.ID, 10))
	metav1.SetMetaDataAnnotation(&sec.ObjectMeta, KeyInfoHashAnnotation, hex.EncodeToString(sum[:]))
	sec.Data = map[string][]byte{KeyInfoSecretKey: []byte(ki.KeyInfo)}
	sec.StringData = nil
	if exists {
		err = h.Client.Update(ctx, sec)
	} else {
		if err := controllerutil.SetControllerReference(o, sec, h.Client.Scheme()); err != nil {
			return 0, Readiness{}, err
		}
		err = h.Client.Create(ctx, sec)
	}
	if err != nil {
		return 0, retryReadiness(err, "enrollment Secret", name), ignoreRetry(err)
	}
	h.Event(corev1.EventTypeNormal, ActionKeyInfoIssued, "Issue", fmt.Sprintf(
		"wrote key info for new nodes of jumpoint %d to Secret %q, valid until %s", a.ID, name, ki.ExpiresAt.UTC().Format(time.RFC3339)))
	return time.Until(ki.ExpiresAt) - keyInfoRefreshBefore + time.Second, Readiness{}, nil
}

// keyInfoOf reads the key info's expiry from an enrollment Secret; usable
// is false when the Secret holds none, holds key info of another jumpoint
// than id, or was edited since the operator wrote it.
func keyInfoOf(sec *corev1.Secret, id int64) (expires time.Time, usable bool) {
	ki := sec.Data[KeyInfoSecretKey]
	ann := sec.Annotations
	if len(ki) == 0 || ann[KeyInfoJumpointAnnotation] != strconv.FormatInt(id, 10) {
		return time.Time{}, false
	}
	sum := sha256.Sum256(ki)
	if ann[KeyInfoHashAnnotation] != hex.EncodeToString(sum[:]) {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, ann[KeyInfoExpiresAnnotation])
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

// syncDeployment creates the Deployment or writes the fields the operator
// manages when they differ, and says whether it is available.
func syncDeployment(ctx context.Context, h *Hooks, o *v1alpha1.Jumpoint, a *api.Jumpoint) (Readiness, error) {
	want := DesiredJumpointDeployment(o, cmp.Or(h.Config.AgentImage, DefaultAgentImage()))
	dep := &appsv1.Deployment{}
	exists, notOwned, err := getOwned(ctx, h, o, dep, want.Name)
	if err != nil || notOwned != "" {
		return notOwnedReadiness(notOwned), err
	}
	if !exists {
		dep = want
		if err := controllerutil.SetControllerReference(o, dep, h.Client.Scheme()); err != nil {
			return Readiness{}, err
		}
		if err := h.Client.Create(ctx, dep); err != nil {
			return retryReadiness(err, "Deployment", want.Name), ignoreRetry(err)
		}
		h.Event(corev1.EventTypeNormal, ActionDeploymentCreated, "Create", fmt.Sprintf(
			"created Deployment %q with %d replicas of %s", dep.Name, *dep.Spec.Replicas, dep.Spec.Template.Spec.Containers[0].Image))
	} else if changed := mergeDeployment(dep, want); len(changed) > 0 {
		if err := h.Client.Update(ctx, dep); err != nil {
			return retryReadiness(err, "Deployment", want.Name), ignoreRetry(err)
		}
		h.Event(corev1.EventTypeNormal, ActionDeploymentUpdated, "Update", fmt.Sprintf(
			"wrote spec.deployment to Deployment %q (%s differed)", dep.Name, strings.Join(changed, ", ")))
	}
	o.Status.DeploymentName = dep.Name
	return deploymentReadiness(dep, a, len(a.ConnectedNodes)), nil
}

// deploymentReadiness is Ready once the Deployment has rolled out its
// current template to all its replicas and they are available.
func deploymentReadiness(dep *appsv1.Deployment, a *api.Jumpoint, connected int) Readiness {
	want := ptr.Deref(dep.Spec.Replicas, 1)
	st := dep.Status
	progressing := func(format string, args ...any) Readiness {
		// Look again now and then: a pod that cannot enroll because its
		// jumpoint is full changes nothing the operator watches, and the
		// pod whose node it could remove may have gone after the last
		// change of the Deployment's status.
		return Readiness{NotReady: true, Reason: v1alpha1.ReasonDeploymentProgressing, RequeueAfter: progressRecheck,
			Message: fmt.Sprintf("Deployment %q ", dep.Name) + fmt.Sprintf(format, args...)}
	}
	switch {
	case st.ObservedGeneration < dep.Generation:
		return progressing("has a new spec (generation %d) that its controller has not acted on yet", dep.Generation)
	case st.UpdatedReplicas < want:
		return progressing("is rolling out: %d of %d replicas run the current pod template", st.UpdatedReplicas, want)
	case st.Replicas > st.UpdatedReplicas:
		return progressing("is rolling out: %d old replicas are still terminating", st.Replicas-st.UpdatedReplicas)
	case st.AvailableReplicas < want:
		return progressing("has %d of %d replicas available", st.AvailableReplicas, want)
	}
	return Readiness{Message: fmt.Sprintf("the appliance's jumpoint %d matches the spec; Deployment %q has %d of %d replicas available; nodes connected: %d",
		a.ID, dep.Name, st.AvailableReplicas, want, connected)}
}

// removeJumpointDeployment deletes the Jumpoint's Deployment and enrollment
// Secret, if they exist and are its own.
func removeJumpointDeployment(ctx context.Context, h *Hooks, o *v1alpha1.Jumpoint) error {
	o.Status.DeploymentName = ""
	for _, x := range []struct {
		obj          client.Object
		name, reason string
	}{
		{&appsv1.Deployment{}, JumpointDeploymentName(o.Name), ActionDeploymentDeleted},
		{&corev1.Secret{}, JumpointEnrollmentSecretName(o.Name), ActionEnrollmentDeleted},
	} {
		exists, notOwned, err := getOwned(ctx, h, o, x.obj, x.name)
		if err != nil {
			return err
		}
		if !exists || notOwned != "" {
			continue
		}
		err = h.Client.Delete(ctx, x.obj, client.PropagationPolicy(metav1.DeletePropagationBackground),
			client.Preconditions{UID: ptr.To(x.obj.GetUID())})
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
			continue // gone, or replaced by an object that is not ours
		}
		if err != nil {
			return fmt.Errorf("deleting %s %q: %w", kindOf(x.obj), x.name, err)
		}
		h.Event(corev1.EventTypeNormal, x.reason, "Delete", fmt.Sprintf("deleted %s %q", kindOf(x.obj), x.name))
	}
	return nil
}

// getOwned reads the object called name in o's namespace into obj. notOwned
// explains why an existing object is not o's to manage.
func getOwned(ctx context.Context, h *Hooks, o *v1alpha1.Jumpoint, obj client.Object, name string) (exists bool, notOwned string, err error) {
	err = h.Client.Get(ctx, types.NamespacedName{Namespace: o.Namespace, Name: name}, obj)
	switch {
	case apierrors.IsNotFound(err):
		return false, "", nil
	case err != nil:
		return false, "", fmt.Errorf("reading %s %q: %w", kindOf(obj), name, err)
	case !metav1.IsControlledBy(obj, o):
		return true, fmt.Sprintf("%s %q already exists in namespace %q and is not owned by this Jumpoint; the operator does not take it over: delete or rename it, or remove spec.deployment",
			kindOf(obj), name, o.Namespace), nil
	}
	return true, "", nil
}

func notOwnedReadiness(msg string) Readiness {
	if msg == "" {
		return Readiness{}
	}
	// No event says when someone else's object goes away: look again
	// sooner than the resync.
	return Readiness{NotReady: true, Reason: v1alpha1.ReasonNotOwned, Message: msg, RequeueAfter: notOwnedRetry}
}

// retryReadiness reports a write that lost a race (the cache had not seen
// an object yet, or someone wrote it meanwhile) as progress, to try again
// shortly; other errors are left to the caller.
func retryReadiness(err error, what, name string) Readiness {
	if !isRetry(err) {
		return Readiness{}
	}
	return Readiness{NotReady: true, Reason: v1alpha1.ReasonDeploymentProgressing, RequeueAfter: deploymentRetryAfter,
		Message: fmt.Sprintf("%s %q changed while the operator wrote it; trying again", what, name)}
}

func isRetry(err error) bool { return apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err) }

func ignoreRetry(err error) error {
	if isRetry(err) {
		return nil
	}
	return err
}

// jumpointLabels are the labels of a Jumpoint's Deployment, pods and
// Secret; jumpointSelector selects its pods.
func jumpointLabels(o *v1alpha1.Jumpoint) map[string]string {
	l := jumpointSelector(o)
	l["app.kubernetes.io/managed-by"] = jumpointManagedByAppName
	l[v1alpha1.ManagedByLabel] = v1alpha1.ManagedByValue
	return l
}

func jumpointSelector(o *v1alpha1.Jumpoint) map[string]string {
	return map[string]string{
		"app.kubernetes.io/name":     jumpointAppName,
		"app.kubernetes.io/instance": labelValue(o.Name),
	}
}

// DesiredJumpointDeployment is the Deployment that runs the nodes of o
// (which has spec.deployment) with image when spec.deployment.image is
// empty. It has no owner reference yet.
func DesiredJumpointDeployment(o *v1alpha1.Jumpoint, image string) *appsv1.Deployment {
	d := o.Spec.Deployment
	labels := jumpointLabels(o)
	// A node per pod, named after it: a new pod never takes an old pod's
	// node over (see pruneJumpointNodes).
	hostID := corev1.EnvVar{Name: JumpointHostIDEnv, ValueFrom: &corev1.EnvVarSource{
		FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.name"},
	}}
	strategy := appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType}
	if o.Spec.Clustered {
		// Never more pods than replicas: a cluster has at most 10 nodes.
		strategy = appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType,
			RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: ptr.To(intstr.FromInt32(0)), MaxUnavailable: ptr.To(intstr.FromInt32(1))}}
	}
	secName := JumpointEnrollmentSecretName(o.Name)
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: JumpointDeploymentName(o.Name), Namespace: o.Namespace, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(ptr.Deref(d.Replicas, 1)),
			Selector: &metav1.LabelSelector{MatchLabels: jumpointSelector(o)},
			Strategy: strategy,
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: jumpointLabels(o)},
				Spec: corev1.PodSpec{
					AutomountServiceAccountToken: ptr.To(false),
					EnableServiceLinks:           ptr.To(false),
					SecurityContext: &corev1.PodSecurityContext{
						RunAsNonRoot:   ptr.To(true),
						RunAsUser:      ptr.To(int64(JumpointAgentUID)),
						RunAsGroup:     ptr.To(int64(JumpointAgentUID)),
						FSGroup:        ptr.To(int64(JumpointAgentUID)),
						SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
					},
					NodeSelector:     jumpointNodeSelector(o),
					Tolerations:      append([]corev1.Toleration(nil), d.Tolerations...),
					ImagePullSecrets: append([]corev1.LocalObjectReference(nil), d.ImagePullSecrets...),
					Containers: []corev1.Container{{
						Name:      JumpointContainer,
						Image:     cmp.Or(d.Image, image),
						Args:      JumpointArgs(),
						Env:       []corev1.EnvVar{hostID},
						Resources: defaultedResources(d.Resources),
						VolumeMounts: []corev1.VolumeMount{
							{Name: "key-info", MountPath: JumpointKeyInfoDir, ReadOnly: true},
							{Name: "state", MountPath: JumpointStateDir},
						},
						SecurityContext: &corev1.SecurityContext{
							Privileged:               ptr.To(false),
							AllowPrivilegeEscalation: ptr.To(false),
							ReadOnlyRootFilesystem:   ptr.To(true),
							RunAsNonRoot:             ptr.To(true),
							Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
							SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
						},
					}},
					Volumes: []corev1.Volume{
						{Name: "key-info", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
							SecretName:  secName,
							Items:       []corev1.KeyToPath{{Key: KeyInfoSecretKey, Path: KeyInfoSecretKey}},
							DefaultMode: ptr.To(int32(0o440)),
						}}},
						{Name: "state", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
					},
				},
			},
		},
	}
}

// defaultedResources is r as the API server stores it: a limit without a
// request also becomes the request.
func defaultedResources(r corev1.ResourceRequirements) corev1.ResourceRequirements {
	out := *r.DeepCopy()
	for name, q := range out.Limits {
		if _, ok := out.Requests[name]; !ok {
			if out.Requests == nil {
				out.Requests = corev1.ResourceList{}
			}
			out.Requests[name] = q.DeepCopy()
		}
	}
	return out
}

// mergeDeployment writes the fields of want that the operator manages into
// cur, and names those that differed. Fields it does not set keep the API
// server's defaults; the template's annotations are left alone (kubectl
// rollout restart writes one).
func mergeDeployment(cur, want *appsv1.Deployment) []string {
	var changed []string
	field := func(name string, equal bool, set func()) {
		if !equal {
			set()
			changed = append(changed, name)
		}
	}
	eq := equality.Semantic.DeepEqual
	field("labels", hasLabels(cur.Labels, want.Labels), func() {
		for k, v := range want.Labels {
			metav1.SetMetaDataLabel(&cur.ObjectMeta, k, v)
		}
	})
	cs, ws := &cur.Spec, &want.Spec
	field("replicas", eq(cs.Replicas, ws.Replicas), func() { cs.Replicas = ws.Replicas })
	field("strategy", eq(cs.Strategy, ws.Strategy), func() { cs.Strategy = ws.Strategy })
	tl := &cur.Spec.Template.ObjectMeta
	field("template labels", hasLabels(tl.Labels, ws.Template.Labels), func() {
		for k, v := range ws.Template.Labels {
			metav1.SetMetaDataLabel(tl, k, v)
		}
	})
	cp, wp := &cs.Template.Spec, &ws.Template.Spec
	field("automountServiceAccountToken", eq(cp.AutomountServiceAccountToken, wp.AutomountServiceAccountToken),
		func() { cp.AutomountServiceAccountToken = wp.AutomountServiceAccountToken })
	field("enableServiceLinks", eq(cp.EnableServiceLinks, wp.EnableServiceLinks), func() { cp.EnableServiceLinks = wp.EnableServiceLinks })
	if cp.SecurityContext == nil {
		cp.SecurityContext = &corev1.PodSecurityContext{}
	}
	psc, wpsc := cp.SecurityContext, wp.SecurityContext
	field("securityContext", eq(psc.RunAsNonRoot, wpsc.RunAsNonRoot) && eq(psc.RunAsUser, wpsc.RunAsUser) &&
		eq(psc.RunAsGroup, wpsc.RunAsGroup) && eq(psc.FSGroup, wpsc.FSGroup) && eq(psc.SeccompProfile, wpsc.SeccompProfile), func() {
		psc.RunAsNonRoot, psc.RunAsUser, psc.RunAsGroup = wpsc.RunAsNonRoot, wpsc.RunAsUser, wpsc.RunAsGroup
		psc.FSGroup, psc.SeccompProfile = wpsc.FSGroup, wpsc.SeccompProfile
	})
	field("nodeSelector", eq(cp.NodeSelector, wp.NodeSelector), func() { cp.NodeSelector = wp.NodeSelector })
	field("tolerations", eq(cp.Tolerations, wp.Tolerations), func() { cp.Tolerations = wp.Tolerations })
	field("imagePullSecrets", eq(cp.ImagePullSecrets, wp.ImagePullSecrets), func() { cp.ImagePullSecrets = wp.ImagePullSecrets })
	field("volumes", eq(cp.Volumes, wp.Volumes), func() { cp.Volumes = wp.Volumes })
	field("initContainers", len(cp.InitContainers) == 0, func() { cp.InitContainers = nil })
	wc := &wp.Containers[0]
	if len(cp.Containers) != 1 || cp.Containers[0].Name != wc.Name {
		field("containers", false, func() { cp.Containers = wp.Containers })
		return changed
	}
	c := &cp.Containers[0]
	field("image", c.Image == wc.Image, func() { c.Image = wc.Image })
	field("command", len(c.Command) == 0, func() { c.Command = nil })
	field("args", eq(c.Args, wc.Args), func() { c.Args = wc.Args })
	field("env", eq(c.Env, wc.Env) && len(c.EnvFrom) == 0, func() { c.Env, c.EnvFrom = wc.Env, nil })
	field("resources", eq(c.Resources.Limits, wc.Resources.Limits) && eq(c.Resources.Requests, wc.Resources.Requests) &&
		eq(c.Resources.Claims, wc.Resources.Claims), func() { c.Resources = wc.Resources })
	field("volumeMounts", eq(c.VolumeMounts, wc.VolumeMounts), func() { c.VolumeMounts = wc.VolumeMounts })
	if c.SecurityContext == nil {
		c.SecurityContext = &corev1.SecurityContext{}
	}
	sc, wsc := c.SecurityContext, wc.SecurityContext
	field("container securityContext", eq(sc.Privileged, wsc.Privileged) && eq(sc.AllowPrivilegeEscalation, wsc.AllowPrivilegeEscalation) &&
		eq(sc.ReadOnlyRootFilesystem, wsc.ReadOnlyRootFilesystem) && eq(sc.RunAsNonRoot, wsc.RunAsNonRoot) &&
		eq(sc.Capabilities, wsc.Capabilities) && eq(sc.SeccompProfile, wsc.SeccompProfile), func() {
		sc.Privileged, sc.AllowPrivilegeEscalation, sc.ReadOnlyRootFilesystem = wsc.Privileged, wsc.AllowPrivilegeEscalation, wsc.ReadOnlyRootFilesystem
		sc.RunAsNonRoot, sc.Capabilities, sc.SeccompProfile = wsc.RunAsNonRoot, wsc.Capabilities, wsc.SeccompProfile
	})
	return changed
}

// hasLabels reports whether have holds every label of want.
func hasLabels(have, want map[string]string) bool {
	for k, v := range want {
		if hv, ok := have[k]; !ok || hv != v {
			return false
		}
	}
	return true
}

// jumpointNodeSelector is spec.deployment.nodeSelector with the operating
// system and architecture of the jumpoint's platform, unless it sets them.
func jumpointNodeSelector(o *v1alpha1.Jumpoint) map[string]string {
	arch := "amd64"
	if o.Spec.Platform == api.PlatformLinuxARM64 {
		arch = "arm64"
	}
	m := map[string]string{corev1.LabelOSStable: "linux", corev1.LabelArchStable: arch}
	for k, v := range o.Spec.Deployment.NodeSelector {
		m[k] = v
	}
	return m
}

// childName is name+suffix, or, when that is longer than maxChildName, a
// shortened name with a hash of the full one, so names stay distinct.
func childName(name, suffix string) string {
	if len(name)+len(suffix) <= maxChildName {
		return name + suffix
	}
	return shorten(name, maxChildName-len(suffix)) + suffix
}

// labelValue is name when it is a valid label value (at most 63
// characters), else a shortened name with a hash of the full one.
func labelValue(name string) string {
	if len(name) <= 63 {
		return name
	}
	return shorten(name, 63)
}

// shorten cuts s to at most n characters, ending in "-" and 10 hex digits
// of its SHA-256.
func shorten(s string, n int) string {
	sum := sha256.Sum256([]byte(s))
	head := strings.TrimRight(s[:n-11], "-_.")
	return head + "-" + hex.EncodeToString(sum[:])[:10]
}
