package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/jumpgate/jumpgate/api"
)

// kustomize builds the kustomization in dir (relative to this package) as
// `kubectl apply -k` does, with kubectl kustomize: JUMPGATE_KUBECTL, else
// the kubectl in KUBEBUILDER_ASSETS (hack/install-test-deps.sh puts one in
// both), else the one on PATH.
func kustomize(t *testing.T, dir string) []byte {
	t.Helper()
	kubectl := os.Getenv("JUMPGATE_KUBECTL")
	if kubectl == "" {
		kubectl = filepath.Join(os.Getenv("KUBEBUILDER_ASSETS"), "kubectl")
		if _, err := os.Stat(kubectl); err != nil {
			kubectl, _ = exec.LookPath("kubectl")
		}
	}
	require.NotEmpty(t, kubectl, "no kubectl: run hack/install-test-deps.sh and source ~/.cache/jumpgate/env.sh (it puts one into KUBEBUILDER_ASSETS)")
	cmd := exec.Command(kubectl, "kustomize", dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "%s: %s", strings.Join(cmd.Args, " "), stderr.String())
	return out
}

// objects decodes a multi-document YAML stream.
func objects(t *testing.T, b []byte) []*unstructured.Unstructured {
	t.Helper()
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
	var out []*unstructured.Unstructured
	for {
		u := &unstructured.Unstructured{}
		err := dec.Decode(&u.Object)
		if errors.Is(err, io.EOF) {
			return out
		}
		require.NoError(t, err)
		if len(u.Object) > 0 {
			out = append(out, u)
		}
	}
}

// find returns the object of this kind and name, converted into into.
func find(t *testing.T, objs []*unstructured.Unstructured, kind, name string, into runtime.Object) {
	t.Helper()
	for _, u := range objs {
		if u.GetKind() == kind && u.GetName() == name {
			require.NoError(t, runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, into))
			return
		}
	}
	t.Fatalf("no %s %s in the manifests", kind, name)
}

var (
	manifestsOnce sync.Once
	manifests     []*unstructured.Unstructured
	manifestsErr  error
)

// applyManifests builds operator/config/default and creates every object in
// envtest (the CRDs are there already), with strict field validation so an
// unknown or misspelt field fails, once for the package.
func applyManifests(t *testing.T) []*unstructured.Unstructured {
	t.Helper()
	manifestsOnce.Do(func() {
		objs := objects(t, kustomize(t, "config/default"))
		ctx := context.Background()
		for _, u := range objs {
			err := k8s.Create(ctx, u.DeepCopy(), client.FieldValidation("Strict"))
			if err != nil && !(u.GetKind() == "CustomResourceDefinition" && apierrors.IsAlreadyExists(err)) {
				manifestsErr = fmt.Errorf("creating %s %s: %w", u.GetKind(), u.GetName(), err)
				return
			}
		}
		manifests = objs
	})
	require.NoError(t, manifestsErr)
	require.NotEmpty(t, manifests, "applying the manifests failed in an earlier test")
	return manifests
}

// TestManifests: operator/config/default builds, the API server takes every
// object, and the Deployment runs the operator as documented: arguments the
// operator accepts, the token Secret mounted where --token-file points, the
// URL and CA from the documented ConfigMap and Secret, probes and metrics on
// the ports the flags name, and a hardened pod.
func TestManifests(t *testing.T) {
	objs := applyManifests(t)
	kinds := map[string]int{}
	for _, u := range objs {
		kinds[u.GetKind()]++
		if u.GetNamespace() != "" {
			assert.Equal(t, "jumpgate-system", u.GetNamespace(), "%s %s", u.GetKind(), u.GetName())
		}
	}
	assert.Equal(t, 9, kinds["CustomResourceDefinition"], "the CRDs of every kind")
	for _, k := range []string{"Namespace", "ServiceAccount", "ClusterRoleBinding", "Role", "RoleBinding", "Deployment", "Service"} {
		assert.Equal(t, 1, kinds[k], k)
	}

	var d appsv1.Deployment
	find(t, objs, "Deployment", "jumpgate-operator", &d)
	pod := d.Spec.Template.Spec
	require.Len(t, pod.Containers, 1)
	c := pod.Containers[0]
	assert.Regexp(t, `^ghcr\.io/jumpgate/jumpgate-operator:\d+\.\d+\.\d+$`, c.Image, "a released version's image")

	// The arguments and literal environment are the operator's flags; the
	// values from the ConfigMap and Secrets stand in as placeholders.
	env := map[string]string{}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			env[e.Name] = e.Value
		case e.ValueFrom.ConfigMapKeyRef != nil:
			env[e.Name] = map[string]string{"url": "https://jumpgate.example.com:8443", "clusterName": "prod"}[e.ValueFrom.ConfigMapKeyRef.Key]
		}
	}
	o, err := parseFlags(c.Args, envOf(env), io.Discard)
	require.NoError(t, err, "the Deployment's arguments")
	require.NoError(t, o.Validate())
	assert.True(t, o.LeaderElect)

	byName := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		byName[e.Name] = e
	}
	url := byName[api.EnvURL].ValueFrom.ConfigMapKeyRef
	require.NotNil(t, url)
	assert.Equal(t, "jumpgate-operator", url.Name)
	assert.Equal(t, "url", url.Key)
	assert.False(t, url.Optional != nil && *url.Optional, "the URL is required")
	cluster := byName[envPrefix+"CLUSTER_NAME"].ValueFrom.ConfigMapKeyRef
	require.NotNil(t, cluster)
	assert.Equal(t, "clusterName", cluster.Key)
	assert.True(t, *cluster.Optional)
	ca := byName[api.EnvCACert].ValueFrom.SecretKeyRef
	require.NotNil(t, ca)
	assert.Equal(t, "jumpgate-appliance-ca", ca.Name)
	assert.Equal(t, "ca.pem", ca.Key)
	assert.True(t, *ca.Optional, "the CA is optional")
	_, hasToken := byName[api.EnvToken]
	assert.False(t, hasToken, "the token comes from the mounted file, not the environment")

	// The token: the Secret's key token, mounted where --token-file reads.
	var mounted string
	for _, m := range c.VolumeMounts {
		for _, v := range pod.Volumes {
			if v.Name == m.Name && v.Secret != nil && v.Secret.SecretName == "jumpgate-operator-token" {
				require.Len(t, v.Secret.Items, 1)
				assert.Equal(t, "token", v.Secret.Items[0].Key)
				mounted = filepath.Join(m.MountPath, v.Secret.Items[0].Path)
				assert.True(t, m.ReadOnly)
			}
		}
	}
	assert.Equal(t, o.Appliance.TokenFile, mounted, "--token-file names the mounted Secret key")

	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	assert.Equal(t, fmt.Sprintf(":%d", ports["metrics"]), o.MetricsAddr)
	assert.Equal(t, fmt.Sprintf(":%d", ports["health"]), o.ProbeAddr)
	require.NotNil(t, c.LivenessProbe)
	require.NotNil(t, c.ReadinessProbe)
	assert.Equal(t, "/healthz", c.LivenessProbe.HTTPGet.Path)
	assert.Equal(t, "health", c.LivenessProbe.HTTPGet.Port.String())
	assert.Equal(t, "/readyz", c.ReadinessProbe.HTTPGet.Path)
	assert.Equal(t, "health", c.ReadinessProbe.HTTPGet.Port.String())
	assert.Greater(t, c.ReadinessProbe.TimeoutSeconds, int32(5), "the readiness probe outlasts a check of the appliance (5 s)")

	var svc corev1.Service
	find(t, objs, "Service", "jumpgate-operator-metrics", &svc)
	require.Len(t, svc.Spec.Ports, 1)
	assert.Equal(t, "metrics", svc.Spec.Ports[0].TargetPort.String())
	for k, v := range svc.Spec.Selector {
		assert.Equal(t, v, d.Spec.Template.Labels[k], "the Service selects the operator's pods")
	}

	// Hardened: the restricted Pod Security Standard.
	require.NotNil(t, pod.SecurityContext)
	assert.True(t, *pod.SecurityContext.RunAsNonRoot)
	assert.Equal(t, corev1.SeccompProfileTypeRuntimeDefault, pod.SecurityContext.SeccompProfile.Type)
	sc := c.SecurityContext
	require.NotNil(t, sc)
	assert.True(t, *sc.ReadOnlyRootFilesystem)
	assert.False(t, *sc.AllowPrivilegeEscalation)
	assert.Equal(t, []corev1.Capability{"ALL"}, sc.Capabilities.Drop)
	assert.NotNil(t, c.Resources.Requests.Memory())
	assert.False(t, c.Resources.Limits.Memory().IsZero(), "a memory limit (GOMEMLIMIT follows it)")

	// RBAC: the ServiceAccount of the pod has the generated ClusterRole
	// and the leader election Role. TestRun runs the operator with them.
	assert.Equal(t, "jumpgate-operator", pod.ServiceAccountName)
	var crb rbacv1.ClusterRoleBinding
	find(t, objs, "ClusterRoleBinding", "jumpgate-operator", &crb)
	assert.Equal(t, "jumpgate-operator", crb.RoleRef.Name)
	assert.Equal(t, []rbacv1.Subject{{Kind: "ServiceAccount", Name: "jumpgate-operator", Namespace: "jumpgate-system"}}, crb.Subjects)
	var role rbacv1.ClusterRole
	find(t, objs, "ClusterRole", "jumpgate-operator", &role)
	assert.Contains(t, role.Rules, rbacv1.PolicyRule{APIGroups: []string{"apps"}, Resources: []string{"deployments"},
		Verbs: []string{"create", "delete", "get", "list", "patch", "update", "watch"}})
	var le rbacv1.Role
	find(t, objs, "Role", "jumpgate-operator-leader-election", &le)
	assert.Equal(t, []string{"leases"}, le.Rules[0].Resources)
}

// TestSamples: operator/config/samples holds one valid object of every kind.
func TestSamples(t *testing.T) {
	ctx := context.Background()
	ns := fmt.Sprintf("samples-%x", time.Now().UnixNano()&0xffffff)
	require.NoError(t, k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))
	kinds := map[string]bool{}
	for _, u := range objects(t, kustomize(t, "config/samples")) {
		assert.Equal(t, "jumpgate.dev/v1alpha1", u.GetAPIVersion())
		assert.False(t, kinds[u.GetKind()], "one %s", u.GetKind())
		kinds[u.GetKind()] = true
		u.SetNamespace(ns)
		// A dry run: the API server validates (schema, CEL) without
		// storing, so the operators of other tests leave it alone.
		assert.NoError(t, k8s.Create(ctx, u, client.DryRunAll, client.FieldValidation("Strict")), "%s %s", u.GetKind(), u.GetName())
	}
	for gvk := range scheme.AllKnownTypes() {
		if gvk.Group == "jumpgate.dev" && !strings.HasSuffix(gvk.Kind, "List") && gvk.Kind != "WatchEvent" &&
			!strings.HasSuffix(gvk.Kind, "Options") && gvk.Kind != "Status" {
			assert.True(t, kinds[gvk.Kind], "a sample of %s", gvk.Kind)
		}
	}
}
