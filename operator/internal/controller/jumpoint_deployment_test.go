package controller_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/jumpgate/jumpgate/agent/agenttest"
	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/api/keyinfo"
	"github.com/jumpgate/jumpgate/operator/api/v1alpha1"
	"github.com/jumpgate/jumpgate/operator/internal/controller"
)

// deployedJumpoint is a Jumpoint whose nodes run in the cluster, with every
// setting of spec.deployment.
func deployedJumpoint(name string) *v1alpha1.Jumpoint {
	return &v1alpha1.Jumpoint{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1alpha1.JumpointSpec{
		Name: "Edge " + name, ProtocolTunnelEnabled: true,
		Deployment: &v1alpha1.JumpointDeployment{
			Image: "registry.example.com/jumpgate-agent:1.2.3",
			Resources: corev1.ResourceRequirements{
				Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("200m"), corev1.ResourceMemory: resource.MustParse("64Mi")},
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("50m")},
			},
			NodeSelector:     map[string]string{"pool": "edge"},
			Tolerations:      []corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "jumpgate", Effect: corev1.TaintEffectNoSchedule}},
			ImagePullSecrets: []corev1.LocalObjectReference{{Name: "regcred"}},
		},
	}}
}

// jpdDeployment reads the Deployment called name.
func jpdDeployment(e *env, name string) (*appsv1.Deployment, error) {
	d := &appsv1.Deployment{}
	return d, k8s.Get(e.ctx, client.ObjectKey{Namespace: e.NS, Name: name}, d)
}

// jpdSecret reads the Secret called name.
func jpdSecret(e *env, name string) (*corev1.Secret, error) {
	s := &corev1.Secret{}
	return s, k8s.Get(e.ctx, client.ObjectKey{Namespace: e.NS, Name: name}, s)
}

// jpdWaitGone waits until obj (read by its name) no longer exists.
func jpdWaitGone(e *env, obj client.Object) {
	e.t.Helper()
	e.Eventually(func() error {
		err := k8s.Get(e.ctx, client.ObjectKey{Namespace: e.NS, Name: obj.GetName()}, obj)
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		return fmt.Errorf("%T %s still exists", obj, obj.GetName())
	}, "%s to be deleted", obj.GetName())
}

// jpdAvailable plays the Deployment controller and kubelet, which envtest
// lacks: it reports every replica of the current template available.
func jpdAvailable(e *env, name string) {
	e.t.Helper()
	e.Eventually(func() error {
		d, err := jpdDeployment(e, name)
		if err != nil {
			return err
		}
		n := *d.Spec.Replicas
		d.Status = appsv1.DeploymentStatus{ObservedGeneration: d.Generation, Replicas: n, UpdatedReplicas: n, ReadyReplicas: n, AvailableReplicas: n}
		return k8s.Status().Update(e.ctx, d)
	}, "the status of Deployment %s", name)
}

// jpdOwnedBy checks that obj has one controller owner reference, to jp.
func jpdOwnedBy(t *testing.T, obj metav1.Object, jp *v1alpha1.Jumpoint) {
	t.Helper()
	refs := obj.GetOwnerReferences()
	require.Len(t, refs, 1)
	assert.Equal(t, metav1.OwnerReference{APIVersion: v1alpha1.GroupVersion.String(), Kind: "Jumpoint", Name: jp.Name, UID: jp.UID,
		Controller: boolRef(true), BlockOwnerDeletion: boolRef(true)}, refs[0])
}

func jpdLabels(name string) map[string]string {
	return map[string]string{
		"app.kubernetes.io/name": "jumpgate-jumpoint", "app.kubernetes.io/instance": name,
		"app.kubernetes.io/managed-by": "jumpgate-operator", v1alpha1.ManagedByLabel: v1alpha1.ManagedByValue,
	}
}

// jpdCheckSecret checks the enrollment Secret of jp (appliance id id) and
// returns its key info.
func jpdCheckSecret(t *testing.T, e *env, jp *v1alpha1.Jumpoint, id int64) string {
	t.Helper()
	sec, err := jpdSecret(e, jp.Name+"-jumpoint-enrollment")
	require.NoError(t, err)
	jpdOwnedBy(t, sec, jp)
	assert.Equal(t, jpdLabels(jp.Name), sec.Labels)
	assert.Equal(t, corev1.SecretTypeOpaque, sec.Type)
	require.Len(t, sec.Data, 1)
	ki := string(sec.Data[controller.KeyInfoSecretKey])
	p, _, _, err := keyinfo.Parse(ki)
	require.NoError(t, err)
	assert.Equal(t, keyinfo.KindJumpoint, p.Kind)
	assert.Equal(t, strconv.FormatInt(id, 10), p.InstallerID, "key info of this jumpoint")
	assert.Equal(t, e.Appliance.URL, p.URL)
	assert.WithinDuration(t, time.Now().Add(24*time.Hour), p.ExpiresAt(), time.Minute)
	sum := sha256.Sum256([]byte(ki))
	assert.Equal(t, map[string]string{
		controller.KeyInfoExpiresAnnotation:  p.ExpiresAt().Format(time.RFC3339),
		controller.KeyInfoJumpointAnnotation: strconv.FormatInt(id, 10),
		controller.KeyInfoHashAnnotation:     hex.EncodeToString(sum[:]),
	}, sec.Annotations)
	return ki
}

// TestJumpoint_Deployment: spec.deployment runs the nodes in a Deployment
// with its enrollment Secret, both exactly as specified; the Jumpoint is
// DeploymentProgressing until the replicas are available; changes to
// spec.deployment reach the Deployment; removing it deletes both.
func TestJumpoint_Deployment(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	jp := deployedJumpoint("edge")
	e.Create(jp)
	c := e.WaitCondition(jp, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonDeploymentProgressing)
	assert.Equal(t, `Deployment "edge-jumpoint" has a new spec (generation 1) that its controller has not acted on yet`, c.Message)
	e.WaitCondition(jp, v1alpha1.ConditionSynced, metav1.ConditionTrue, v1alpha1.ReasonReconciled)
	id := jp.Status.ApplianceID
	require.NotZero(t, id)
	assert.Equal(t, "edge-jumpoint", jp.Status.DeploymentName)
	e.WaitEvent(jp, "DeploymentCreated")
	e.WaitEvent(jp, "KeyInfoIssued")

	jpdCheckSecret(t, e, jp, id)

	d, err := jpdDeployment(e, "edge-jumpoint")
	require.NoError(t, err)
	jpdOwnedBy(t, d, jp)
	assert.Equal(t, jpdLabels("edge"), d.Labels)
	assert.Equal(t, int32(1), *d.Spec.Replicas)
	assert.Equal(t, &metav1.LabelSelector{MatchLabels: map[string]string{
		"app.kubernetes.io/name": "jumpgate-jumpoint", "app.kubernetes.io/instance": "edge"}}, d.Spec.Selector)
	assert.Equal(t, appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType}, d.Spec.Strategy,
		"one node: never two pods at once")
	tpl := d.Spec.Template
	assert.Equal(t, jpdLabels("edge"), tpl.Labels)
	assert.Empty(t, tpl.Annotations)
	ps := tpl.Spec
	assert.Equal(t, boolRef(false), ps.AutomountServiceAccountToken)
	assert.Equal(t, boolRef(false), ps.EnableServiceLinks)
	uid := int64(65532)
	assert.Equal(t, &corev1.PodSecurityContext{RunAsNonRoot: boolRef(true), RunAsUser: &uid, RunAsGroup: &uid, FSGroup: &uid,
		SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}}, ps.SecurityContext)
	assert.Equal(t, map[string]string{"pool": "edge", "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"}, ps.NodeSelector)
	assert.Equal(t, jp.Spec.Deployment.Tolerations, ps.Tolerations)
	assert.Equal(t, []corev1.LocalObjectReference{{Name: "regcred"}}, ps.ImagePullSecrets)
	mode := int32(0o440)
	assert.Equal(t, []corev1.Volume{
		{Name: "key-info", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "edge-jumpoint-enrollment",
			Items: []corev1.KeyToPath{{Key: "key-info", Path: "key-info"}}, DefaultMode: &mode}}},
		{Name: "state", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
	}, ps.Volumes)
	assert.Empty(t, ps.InitContainers)
	require.Len(t, ps.Containers, 1)
	ct := ps.Containers[0]
	assert.Equal(t, "jumpoint", ct.Name)
	assert.Equal(t, "registry.example.com/jumpgate-agent:1.2.3", ct.Image)
	assert.Nil(t, ct.Command, "the image's entry point, the agent")
	assert.Equal(t, []string{"run", "--dir", "/var/lib/jumpgate-agent", "--key-info-file", "/etc/jumpgate-agent/key-info"}, ct.Args)
	assert.Equal(t, []corev1.EnvVar{{Name: "JUMPGATE_AGENT_HOST_ID", ValueFrom: &corev1.EnvVarSource{
		FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.name"}}}}, ct.Env,
		"not clustered either: a node per pod, never one taken over by a shared host id")
	assert.Empty(t, ct.EnvFrom)
	assert.Equal(t, "200m", ct.Resources.Limits.Cpu().String())
	assert.Equal(t, "64Mi", ct.Resources.Limits.Memory().String())
	assert.Equal(t, "50m", ct.Resources.Requests.Cpu().String())
	assert.Equal(t, "64Mi", ct.Resources.Requests.Memory().String(), "a limit without a request is the request")
	assert.Equal(t, []corev1.VolumeMount{
		{Name: "key-info", MountPath: "/etc/jumpgate-agent", ReadOnly: true},
		{Name: "state", MountPath: "/var/lib/jumpgate-agent"},
	}, ct.VolumeMounts)
	assert.Equal(t, &corev1.SecurityContext{Privileged: boolRef(false), AllowPrivilegeEscalation: boolRef(false),
		ReadOnlyRootFilesystem: boolRef(true), RunAsNonRoot: boolRef(true),
		Capabilities:   &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}}, ct.SecurityContext)
	assert.Empty(t, ct.Ports)

	// A tunnel jump needs the jumpoint in the appliance, not its nodes.
	e.Create(jumpGroup("ops", "Operations"))
	ptj := tunnelJumpCR("db")
	ptj.Spec.JumpointRef.Name = "edge"
	e.Create(ptj)
	e.WaitReady(ptj)

	jpdAvailable(e, "edge-jumpoint")
	e.WaitReady(jp)
	c = e.WaitCondition(jp, v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonReconciled)
	assert.Equal(t, fmt.Sprintf(`the appliance's jumpoint %d matches the spec; Deployment "edge-jumpoint" has 1 of 1 replicas available; nodes connected: 0`, id), c.Message)

	// Changes to spec.deployment reach the Deployment; a clustered
	// jumpoint's pods are nodes of their own.
	e.Update(jp, func() {
		jp.Spec.Clustered = true
		jp.Spec.Platform = api.PlatformLinuxARM64
		d := jp.Spec.Deployment
		d.Replicas = int32Ref(3)
		d.Image = "registry.example.com/jumpgate-agent:1.2.4"
		d.Resources = corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("32Mi")}}
		d.NodeSelector, d.Tolerations, d.ImagePullSecrets = nil, nil, nil
	})
	c = e.WaitCondition(jp, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonDeploymentProgressing)
	assert.Contains(t, c.Message, `Deployment "edge-jumpoint" has a new spec (generation 2)`)
	ev := e.WaitEvent(jp, "DeploymentUpdated")
	assert.Contains(t, ev.Note, "replicas, strategy")
	d, err = jpdDeployment(e, "edge-jumpoint")
	require.NoError(t, err)
	assert.Equal(t, int32(3), *d.Spec.Replicas)
	assert.Equal(t, appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType, RollingUpdate: &appsv1.RollingUpdateDeployment{
		MaxSurge: intOrStr(0), MaxUnavailable: intOrStr(1)}}, d.Spec.Strategy, "never more pods than the cluster's nodes")
	ps = d.Spec.Template.Spec
	assert.Equal(t, map[string]string{"kubernetes.io/os": "linux", "kubernetes.io/arch": "arm64"}, ps.NodeSelector)
	assert.Empty(t, ps.Tolerations)
	assert.Empty(t, ps.ImagePullSecrets)
	ct = ps.Containers[0]
	assert.Equal(t, "registry.example.com/jumpgate-agent:1.2.4", ct.Image)
	assert.Equal(t, []corev1.EnvVar{{Name: "JUMPGATE_AGENT_HOST_ID", ValueFrom: &corev1.EnvVarSource{
		FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.name"}}}}, ct.Env, "clustered: a node per pod")
	assert.Empty(t, ct.Resources.Limits)
	assert.Equal(t, corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("32Mi")}, ct.Resources.Requests)
	jpdAvailable(e, "edge-jumpoint")
	c = e.WaitCondition(jp, v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonReconciled)
	assert.Contains(t, c.Message, "3 of 3 replicas available")

	// Without spec.deployment the operator runs no nodes.
	e.Update(jp, func() { jp.Spec.Deployment = nil })
	e.WaitReady(jp)
	jpdWaitGone(e, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "edge-jumpoint"}})
	jpdWaitGone(e, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "edge-jumpoint-enrollment"}})
	e.Eventually(func() error {
		if err := e.Get(jp); err != nil {
			return err
		}
		if jp.Status.DeploymentName != "" {
			return fmt.Errorf("status.deploymentName %q", jp.Status.DeploymentName)
		}
		return nil
	}, "status.deploymentName cleared")
	e.WaitEvent(jp, "DeploymentDeleted")
	e.WaitEvent(jp, "EnrollmentSecretDeleted")
	_, err = e.API.GetJumpoint(e.ctx, id)
	require.NoError(t, err, "the jumpoint stays")
}

func int32Ref(v int32) *int32 { return &v }

func intOrStr(v int32) *intstr.IntOrString { x := intstr.FromInt32(v); return &x }

// TestJumpoint_DeploymentRestored: under a 300 ms resync nothing is written
// while nothing changes; the Deployment and Secret are restored after edits
// and deletions by hand (keeping what the operator does not manage, like
// the restart annotation); key info close to its expiry is renewed; and
// deleting the Jumpoint deletes both and the appliance object.
func TestJumpoint_DeploymentRestored(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withResync(300*time.Millisecond))
	jp := deployedJumpoint("edge")
	e.Create(jp)
	e.WaitCondition(jp, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonDeploymentProgressing)
	jpdAvailable(e, "edge-jumpoint")
	id := e.WaitReady(jp)

	d, err := jpdDeployment(e, "edge-jumpoint")
	require.NoError(t, err)
	sec, err := jpdSecret(e, "edge-jumpoint-enrollment")
	require.NoError(t, err)
	a, err := e.API.GetJumpoint(e.ctx, id)
	require.NoError(t, err)
	before := e.Reconciles("Jumpoint", "edge")
	time.Sleep(time.Second)
	assert.GreaterOrEqual(t, e.Reconciles("Jumpoint", "edge")-before, 2, "resyncs ran")
	d2, err := jpdDeployment(e, "edge-jumpoint")
	require.NoError(t, err)
	assert.Equal(t, d.ResourceVersion, d2.ResourceVersion, "the Deployment was written without a change")
	sec2, err := jpdSecret(e, "edge-jumpoint-enrollment")
	require.NoError(t, err)
	assert.Equal(t, sec.ResourceVersion, sec2.ResourceVersion, "the Secret was written without a change")
	a2, err := e.API.GetJumpoint(e.ctx, id)
	require.NoError(t, err)
	assert.Equal(t, a.Version, a2.Version)
	assert.Len(t, eventsWithReason(e, jp, "KeyInfoIssued"), 1, "key info issued once")

	// Edits by hand are undone; the restart annotation stays.
	e.Eventually(func() error {
		d, err := jpdDeployment(e, "edge-jumpoint")
		if err != nil {
			return err
		}
		d.Spec.Replicas = int32Ref(4)
		tpl := &d.Spec.Template
		tpl.Annotations = map[string]string{"kubectl.kubernetes.io/restartedAt": "2026-05-01T10:00:00Z"}
		c := &tpl.Spec.Containers[0]
		c.Image = "evil.example.com/agent:1"
		c.Env = append(c.Env, corev1.EnvVar{Name: "JUMPGATE_AGENT_SHELL", Value: "/bin/sh"})
		c.SecurityContext.Privileged, c.SecurityContext.AllowPrivilegeEscalation = boolRef(true), boolRef(true)
		tpl.Spec.AutomountServiceAccountToken = boolRef(true)
		return k8s.Update(e.ctx, d)
	}, "editing the Deployment")
	ev := e.WaitEvent(jp, "DeploymentUpdated")
	assert.Equal(t, `wrote spec.deployment to Deployment "edge-jumpoint" (replicas, automountServiceAccountToken, image, env, container securityContext differed)`, ev.Note)
	d, err = jpdDeployment(e, "edge-jumpoint")
	require.NoError(t, err)
	assert.Equal(t, int32(1), *d.Spec.Replicas)
	ct := d.Spec.Template.Spec.Containers[0]
	assert.Equal(t, "registry.example.com/jumpgate-agent:1.2.3", ct.Image)
	assert.Len(t, ct.Env, 1)
	assert.Equal(t, boolRef(false), ct.SecurityContext.Privileged)
	assert.Equal(t, boolRef(false), ct.SecurityContext.AllowPrivilegeEscalation)
	assert.Equal(t, boolRef(false), d.Spec.Template.Spec.AutomountServiceAccountToken)
	assert.Equal(t, "2026-05-01T10:00:00Z", d.Spec.Template.Annotations["kubectl.kubernetes.io/restartedAt"])

	// A Deployment deleted by hand comes back.
	require.NoError(t, k8s.Delete(e.ctx, d))
	e.Eventually(func() error {
		d2, err := jpdDeployment(e, "edge-jumpoint")
		if err != nil {
			return err
		}
		if d2.UID == d.UID {
			return fmt.Errorf("the old Deployment is still there")
		}
		return nil
	}, "the Deployment made again")

	// Key info edited by hand, about to expire, or deleted is issued anew.
	// (Key info issued within the same second is the same string: its
	// expiry has whole seconds and its signature is deterministic.)
	jpdCheckSecret(t, e, jp, id)
	for _, change := range []struct {
		what string
		edit func(s *corev1.Secret) error
		done func(before, now *corev1.Secret) bool
	}{
		{"edited", func(s *corev1.Secret) error {
			s.Data[controller.KeyInfoSecretKey] = []byte("jgk1.forged")
			return k8s.Update(e.ctx, s)
		}, func(_, now *corev1.Secret) bool {
			return string(now.Data[controller.KeyInfoSecretKey]) != "jgk1.forged"
		}},
		{"about to expire", func(s *corev1.Secret) error {
			s.Annotations[controller.KeyInfoExpiresAnnotation] = time.Now().Add(11 * time.Hour).UTC().Format(time.RFC3339)
			return k8s.Update(e.ctx, s)
		}, func(_, now *corev1.Secret) bool {
			exp, err := time.Parse(time.RFC3339, now.Annotations[controller.KeyInfoExpiresAnnotation])
			return err == nil && time.Until(exp) > 23*time.Hour
		}},
		{"deleted", func(s *corev1.Secret) error { return k8s.Delete(e.ctx, s) },
			func(before, now *corev1.Secret) bool { return now.UID != before.UID }},
	} {
		var before *corev1.Secret
		e.Eventually(func() error {
			s, err := jpdSecret(e, "edge-jumpoint-enrollment")
			if err != nil {
				return err
			}
			before = s.DeepCopy()
			return change.edit(s)
		}, "the Secret %s", change.what)
		e.Eventually(func() error {
			s, err := jpdSecret(e, "edge-jumpoint-enrollment")
			if err != nil {
				return err
			}
			if !change.done(before, s) {
				return fmt.Errorf("annotations %v", s.Annotations)
			}
			return nil
		}, "new key info after the Secret was %s", change.what)
		jpdCheckSecret(t, e, jp, id)
	}

	e.Delete(jp)
	jpdWaitGone(e, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "edge-jumpoint"}})
	jpdWaitGone(e, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "edge-jumpoint-enrollment"}})
	_, err = e.API.GetJumpoint(e.ctx, id)
	assert.ErrorIs(t, err, api.ErrNotFound)
}

// eventsWithReason lists the Events with this reason on obj.
func eventsWithReason(e *env, obj client.Object, reason string) []string {
	var out []string
	for _, ev := range e.Events(obj) {
		if ev.Reason == reason {
			out = append(out, ev.Note)
		}
	}
	return out
}

// TestJumpoint_DeploymentNotOwned: a Deployment or Secret of the names the
// operator would use, made by someone else, is neither changed nor deleted
// (NotOwned) until it goes away; a disabled jumpoint gets no key info.
func TestJumpoint_DeploymentNotOwned(t *testing.T) {
	t.Parallel()
	// Nothing tells the operator that someone else's object went away: it
	// looks again at the resync.
	e := newEnv(t, withResync(500*time.Millisecond))
	labels := map[string]string{"app": "mine"}
	theirs := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "edge-jumpoint", Namespace: e.NS}, Spec: appsv1.DeploymentSpec{
		Selector: &metav1.LabelSelector{MatchLabels: labels},
		Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx"}}}},
	}}
	require.NoError(t, k8s.Create(e.ctx, theirs))
	theirSecret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "core-jumpoint-enrollment", Namespace: e.NS},
		StringData: map[string]string{"password": "hunter2"}}
	require.NoError(t, k8s.Create(e.ctx, theirSecret))

	edge := deployedJumpoint("edge")
	e.Create(edge)
	c := e.WaitCondition(edge, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonNotOwned)
	assert.Equal(t, fmt.Sprintf(`Deployment "edge-jumpoint" already exists in namespace %q and is not owned by this Jumpoint; `+
		"the operator does not take it over: delete or rename it, or remove spec.deployment", e.NS), c.Message)
	e.WaitEvent(edge, v1alpha1.ReasonNotOwned)
	core := deployedJumpoint("core")
	e.Create(core)
	c = e.WaitCondition(core, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonNotOwned)
	assert.Contains(t, c.Message, `Secret "core-jumpoint-enrollment" already exists`)
	assert.Empty(t, eventsWithReason(e, core, "DeploymentCreated"))

	// Deleting the Jumpoints leaves what is not theirs.
	e.Delete(edge)
	e.Delete(core)
	d, err := jpdDeployment(e, "edge-jumpoint")
	require.NoError(t, err)
	assert.Equal(t, theirs.ResourceVersion, d.ResourceVersion, "not touched")
	s, err := jpdSecret(e, "core-jumpoint-enrollment")
	require.NoError(t, err)
	assert.Equal(t, theirSecret.ResourceVersion, s.ResourceVersion, "not touched")

	// Once theirs is gone, the operator makes its own.
	edge = deployedJumpoint("edge")
	e.Create(edge)
	e.WaitCondition(edge, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonNotOwned)
	require.NoError(t, k8s.Delete(e.ctx, theirs))
	e.WaitCondition(edge, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonDeploymentProgressing)
	d, err = jpdDeployment(e, "edge-jumpoint")
	require.NoError(t, err)
	jpdOwnedBy(t, d, edge)

	// A disabled jumpoint gets no key info: its pods could not enroll.
	off := deployedJumpoint("off")
	off.Spec.Enabled = boolRef(false)
	e.Create(off)
	c = e.WaitCondition(off, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonDeploymentProgressing)
	assert.Contains(t, c.Message, "is disabled (spec.enabled is false), so the appliance issues no key info for new nodes")
	_, err = jpdSecret(e, "off-jumpoint-enrollment")
	assert.True(t, apierrors.IsNotFound(err), "no Secret: %v", err)
	e.Update(off, func() { off.Spec.Enabled = boolRef(true) })
	e.WaitCondition(off, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonDeploymentProgressing)
	jpdCheckSecret(t, e, off, off.Status.ApplianceID)
}

// jpdPod runs the agent container of a Deployment the way a kubelet would
// for one pod: the container's args and env exactly as the operator wrote
// them, the fieldRef metadata.name resolved to the pod's name, and each
// volume mount moved under a temporary root (the Secret's items written
// there, the emptyDir empty), with the args naming mount paths rewritten
// to match. Its Pod object exists too, as the ReplicaSet would have made it
// (envtest has no controllers, so it is never scheduled).
type jpdPod struct {
	obj    *corev1.Pod
	cmd    *exec.Cmd
	out    *jpdBuffer
	done   chan struct{}
	exited error
}

func jpdStartPod(t *testing.T, e *env, agent string, d *appsv1.Deployment, sec *corev1.Secret, podName string) *jpdPod {
	t.Helper()
	obj := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: podName, Namespace: e.NS, Labels: d.Spec.Template.Labels},
		Spec: *d.Spec.Template.Spec.DeepCopy()}
	require.NoError(t, k8s.Create(e.ctx, obj))
	root := t.TempDir()
	ps := d.Spec.Template.Spec
	require.Len(t, ps.Containers, 1)
	c := ps.Containers[0]
	mounts := map[string]string{}
	for _, m := range c.VolumeMounts {
		dir := filepath.Join(root, m.Name)
		require.NoError(t, os.Mkdir(dir, 0o755))
		mounts[m.MountPath] = dir
		for _, v := range ps.Volumes {
			if v.Name != m.Name {
				continue
			}
			switch {
			case v.Secret != nil:
				require.Equal(t, sec.Name, v.Secret.SecretName)
				for _, it := range v.Secret.Items {
					require.NoError(t, os.WriteFile(filepath.Join(dir, it.Path), sec.Data[it.Key], os.FileMode(*v.Secret.DefaultMode)))
				}
			case v.EmptyDir != nil:
			default:
				t.Fatalf("volume %s: not a Secret or emptyDir", v.Name)
			}
		}
	}
	var args []string
	for _, a := range c.Args {
		for mp, dir := range mounts {
			if a == mp || strings.HasPrefix(a, mp+"/") {
				a = dir + strings.TrimPrefix(a, mp)
			}
		}
		args = append(args, a)
	}
	home := t.TempDir()
	env := []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "HTTPS_PROXY=", "https_proxy=", "NO_PROXY=*"}
	for _, v := range c.Env {
		switch {
		case v.ValueFrom == nil:
			env = append(env, v.Name+"="+v.Value)
		case v.ValueFrom.FieldRef != nil && v.ValueFrom.FieldRef.FieldPath == "metadata.name":
			env = append(env, v.Name+"="+podName)
		default:
			t.Fatalf("env %s: a source a test pod cannot resolve", v.Name)
		}
	}
	cmd := exec.Command(agent, args...)
	cmd.Env, cmd.Dir = env, home
	p := &jpdPod{obj: obj, cmd: cmd, out: &jpdBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	require.NoError(t, cmd.Start())
	go func() { p.exited = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.stop(t) })
	return p
}

// restartOnFailure restarts the pod's container whenever it exits with an
// error, as the kubelet does (restartPolicy Always, its volumes kept), until
// the test ends.
func (p *jpdPod) restartOnFailure(t *testing.T) {
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	cur := p
	var mu sync.Mutex
	go func() {
		defer wg.Done()
		for {
			mu.Lock()
			c := cur
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-c.done:
			}
			if c.exited == nil {
				return
			}
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Millisecond):
			}
			cmd := exec.Command(c.cmd.Path, c.cmd.Args[1:]...)
			cmd.Env, cmd.Dir = c.cmd.Env, c.cmd.Dir
			next := &jpdPod{obj: c.obj, cmd: cmd, out: c.out, done: make(chan struct{})}
			cmd.Stdout, cmd.Stderr = next.out, next.out
			if err := cmd.Start(); err != nil {
				return
			}
			go func() { next.exited = cmd.Wait(); close(next.done) }()
			mu.Lock()
			cur = next
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		close(stop)
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		cur.stop(t)
	})
}

// stop sends SIGTERM, as the kubelet does, and waits for the agent to exit.
func (p *jpdPod) stop(t *testing.T) {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
		t.Errorf("the agent did not stop within 10 s of SIGTERM:\n%s", p.out)
	}
}

type jpdBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *jpdBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *jpdBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// jpdWaitNodes waits until the appliance's jumpoint id has n connected
// nodes and the Jumpoint's status says so too (at a resync).
func jpdWaitNodes(e *env, jp *v1alpha1.Jumpoint, id int64, n int, pods ...*jpdPod) {
	e.t.Helper()
	e.Eventually(func() error {
		a, err := e.API.GetJumpoint(e.ctx, id)
		if err != nil {
			return err
		}
		if len(a.ConnectedNodes) != n {
			var logs []string
			for _, p := range pods {
				logs = append(logs, p.out.String())
			}
			return fmt.Errorf("%d nodes connected; agent logs:\n%s", len(a.ConnectedNodes), strings.Join(logs, "\n---\n"))
		}
		return nil
	}, "%d nodes of jumpoint %d connected", n, id)
	e.Eventually(func() error {
		if err := e.Get(jp); err != nil {
			return err
		}
		if jp.Status.ConnectedNodes != int32(n) {
			return fmt.Errorf("status.connectedNodes %d, conditions %s", jp.Status.ConnectedNodes, conditions(jp))
		}
		return nil
	}, "status.connectedNodes %d", n)
}

// TestJumpoint_DeploymentRunsNodes runs the real jumpgate-agent as the pods
// of the Deployment the operator wrote, with its Secret: the node enrolls
// and connects; a replacement pod (new name, empty volume, no old key)
// never takes the old node over by a host id — it is a node of its own,
// enrolled once the operator has removed the old pod's node through the
// nodes API (until then the appliance refuses it and its container
// restarts); and a clustered jumpoint's two pods are two nodes.
func TestJumpoint_DeploymentRunsNodes(t *testing.T) {
	t.Parallel()
	agent := agenttest.Build(t, api.Version)
	e := newEnv(t, withResync(300*time.Millisecond))
	jp := deployedJumpoint("edge")
	e.Create(jp)
	e.WaitCondition(jp, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonDeploymentProgressing)
	id := jp.Status.ApplianceID
	d, err := jpdDeployment(e, "edge-jumpoint")
	require.NoError(t, err)
	sec, err := jpdSecret(e, "edge-jumpoint-enrollment")
	require.NoError(t, err)

	podA := jpdStartPod(t, e, agent, d, sec, "edge-jumpoint-7d9f8c6b5-x2k4q")
	jpdWaitNodes(e, jp, id, 1, podA)
	jpdAvailable(e, "edge-jumpoint")
	c := e.WaitCondition(jp, v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonReconciled)
	assert.Contains(t, c.Message, "nodes connected: 1")

	old, err := e.API.ListJumpointNodes(e.ctx, id)
	require.NoError(t, err)
	require.Len(t, old, 1)
	assert.Equal(t, podA.obj.Name, old[0].HostID, "a node per pod")

	// The pod is replaced (a rollout, a drained node): the new one starts
	// from the same Secret with an empty volume while the old pod's object
	// is still there (terminating). Its node keeps the one place — the
	// operator never removes the node of a pod that exists — so the new
	// pod is refused and its container restarts.
	podA.stop(t)
	jpdWaitNodes(e, jp, id, 0)
	podB := jpdStartPod(t, e, agent, d, sec, "edge-jumpoint-7d9f8c6b5-p8m2z")
	podB.restartOnFailure(t)
	e.Eventually(func() error {
		if !strings.Contains(podB.out.String(), "is not clustered and already has a node") {
			return fmt.Errorf("not refused yet; agent log:\n%s", podB.out)
		}
		return nil
	}, "the new pod refused while the old pod's node holds the place")
	assert.Equal(t, map[string]bool{podA.obj.Name: false}, jpdNodeHosts(e, id), "the old node is not taken over")
	// The old pod's object goes: the operator removes its node, and the
	// new pod enrolls at its next restart.
	require.NoError(t, k8s.Delete(e.ctx, podA.obj))
	e.Eventually(func() error {
		if got := jpdNodeHosts(e, id); !assert.ObjectsAreEqual(map[string]bool{podB.obj.Name: true}, got) {
			return fmt.Errorf("nodes (host id: connected) %v; agent log:\n%s", got, podB.out)
		}
		return nil
	}, "the new pod's node alone, connected")
	jpdWaitNodes(e, jp, id, 1, podB)
	assert.Contains(t, podB.out.String(), "installed and enrolled from the key info file")
	nodes, err := e.API.ListJumpointNodes(e.ctx, id)
	require.NoError(t, err)
	require.Len(t, nodes, 1, "the old pod's node was removed")
	assert.NotEqual(t, old[0].ID, nodes[0].ID, "a node of its own, not the old one taken over")
	assert.Equal(t, podB.obj.Name, nodes[0].HostID)
	ev := e.WaitEvent(jp, "NodeRemoved")
	assert.Contains(t, ev.Note, fmt.Sprintf(`removed node %d (host %q) of jumpoint %d`, old[0].ID, podA.obj.Name, id))

	cl := deployedJumpoint("cluster")
	cl.Spec.Clustered = true
	cl.Spec.Deployment.Replicas = int32Ref(2)
	e.Create(cl)
	e.WaitCondition(cl, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonDeploymentProgressing)
	clID := cl.Status.ApplianceID
	d, err = jpdDeployment(e, "cluster-jumpoint")
	require.NoError(t, err)
	require.Equal(t, int32(2), *d.Spec.Replicas)
	sec, err = jpdSecret(e, "cluster-jumpoint-enrollment")
	require.NoError(t, err)
	pods := []*jpdPod{
		jpdStartPod(t, e, agent, d, sec, "cluster-jumpoint-5c8d7f9b4-abcde"),
		jpdStartPod(t, e, agent, d, sec, "cluster-jumpoint-5c8d7f9b4-fghij"),
	}
	jpdWaitNodes(e, cl, clID, 2, pods...)
}

// jpdNodeHosts lists the host ids of the enrolled nodes of jumpoint id.
func jpdNodeHosts(e *env, id int64) map[string]bool {
	e.t.Helper()
	nodes, err := e.API.ListJumpointNodes(e.ctx, id)
	require.NoError(e.t, err)
	out := map[string]bool{}
	for _, n := range nodes {
		out[n.HostID] = n.Connected
	}
	return out
}

// TestJumpoint_DeploymentRemovesStaleNodes: the appliance counts every
// enrolled node against a jumpoint's limit, so the nodes of a clustered
// jumpoint's pods that are gone are removed; nodes of pods that exist (even
// disconnected, as a restarting pod's), connected nodes and nodes installed
// elsewhere stay. Without spec.deployment, the nodes its pods left go too.
func TestJumpoint_DeploymentRemovesStaleNodes(t *testing.T) {
	t.Parallel()
	agent := agenttest.Build(t, api.Version)
	e := newEnv(t, withResync(300*time.Millisecond))
	jp := deployedJumpoint("cluster")
	jp.Spec.Clustered = true
	jp.Spec.Deployment.Replicas = int32Ref(2)
	e.Create(jp)
	e.WaitCondition(jp, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonDeploymentProgressing)
	id := jp.Status.ApplianceID
	d, err := jpdDeployment(e, "cluster-jumpoint")
	require.NoError(t, err)
	sec, err := jpdSecret(e, "cluster-jumpoint-enrollment")
	require.NoError(t, err)

	// A node installed on a machine outside the cluster.
	_, _, err = e.Appliance.Enroll(t, string(sec.Data["key-info"]), agentproto.Facts{HostID: "vm-1", Hostname: "vm-1",
		Platform: api.PlatformLinuxAMD64}, agentproto.Overrides{})
	require.NoError(t, err)

	names := []string{"cluster-jumpoint-5c8d7f9b4-gone1", "cluster-jumpoint-5c8d7f9b4-alive", "cluster-jumpoint-5c8d7f9b4-crash"}
	pods := map[string]*jpdPod{}
	for _, n := range names {
		pods[n] = jpdStartPod(t, e, agent, d, sec, n)
	}
	jpdWaitNodes(e, jp, id, 3, pods[names[0]], pods[names[1]], pods[names[2]])

	// One pod is replaced (stopped, its object deleted); one stops but its
	// object stays, as when its container restarts.
	pods[names[0]].stop(t)
	require.NoError(t, k8s.Delete(e.ctx, pods[names[0]].obj))
	pods[names[2]].stop(t)
	e.Eventually(func() error {
		got := jpdNodeHosts(e, id)
		want := map[string]bool{"vm-1": false, names[1]: true, names[2]: false}
		if !assert.ObjectsAreEqual(want, got) {
			return fmt.Errorf("nodes (host id: connected) %v", got)
		}
		return nil
	}, "the node of the deleted pod removed")
	ev := e.WaitEvent(jp, "NodeRemoved")
	assert.Contains(t, ev.Note, fmt.Sprintf(`(host %q) of jumpoint %d`, names[0], id))
	d, err = jpdDeployment(e, "cluster-jumpoint")
	require.NoError(t, err)
	time.Sleep(time.Second) // resyncs: nothing else goes, nothing is written
	assert.Equal(t, map[string]bool{"vm-1": false, names[1]: true, names[2]: false}, jpdNodeHosts(e, id))
	d2, err := jpdDeployment(e, "cluster-jumpoint")
	require.NoError(t, err)
	assert.Equal(t, d.ResourceVersion, d2.ResourceVersion, "a clustered jumpoint's Deployment was written without a change")
	assert.Empty(t, eventsWithReason(e, jp, "DeploymentUpdated"))

	// Without spec.deployment, once its last pod has stopped, the nodes
	// its pods left are removed; the machine's stays.
	pods[names[1]].stop(t)
	e.Update(jp, func() { jp.Spec.Deployment = nil })
	e.Eventually(func() error {
		if got := jpdNodeHosts(e, id); !assert.ObjectsAreEqual(map[string]bool{"vm-1": false}, got) {
			return fmt.Errorf("nodes (host id: connected) %v", got)
		}
		return nil
	}, "the nodes of the pods removed")
}
