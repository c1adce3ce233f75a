package e2e

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/agent/agenttest"
	"github.com/jumpgate/jumpgate/operator/api/v1alpha1"
)

// exampleObject is one object of examples/kubernetes and where it shows up
// in the appliance: the collection `jumpgate list` reads, and the field and
// value that identify it there.
type exampleObject struct {
	resource, name   string // kubectl resource and metadata.name
	collection       string // jumpgate list COLLECTION
	keyField, keyVal string // identifying field in the list's JSON
}

// examples are the appliance objects of examples/kubernetes (the
// JumpClientSettings and ConsoleSettings singletons are checked on their
// own).
var examples = []exampleObject{
	{"jumppolicy", "demo-anytime", "jump-policies", "code_name", "demo-anytime"},
	{"sessionpolicy", "demo-support", "session-policies", "code_name", "demo-support"},
	{"jumpgroup", "demo-servers", "jump-groups", "code_name", "demo-servers"},
	{"jumpoint", "demo-lab-net", "jumpoints", "code_name", "demo-lab-net"},
	{"publicportal", "demo-portal", "public-portals", "hostname", "support.demo.example.com"},
	{"protocoltunneljump", "demo-db", "protocol-tunnel-jumps", "name", "demo-db"},
	{"jumpclientinstaller", "demo-servers", "jump-client-installers", "tag", "demo"},
}

const demoNamespace = "jumpgate-demo"

// TestOperatorExamples is issue 6's "done when", tried as a new user would,
// with the commands of the README's "Kubernetes operator" section and of
// examples/gitops/README.md: the CRDs installed with `kubectl apply -k crds`
// and the deployment with `kubectl apply -k operator/config/default` (its
// ConfigMap and Secrets made with kubectl create) on a real kube-apiserver
// (envtest); the real jumpgate-appliance started as `make run` starts it;
// the real jumpgate-operator run outside the cluster with --kubeconfig,
// --url, --ca-cert and JUMPGATE_TOKEN, as the operator's ServiceAccount, so
// that only the RBAC of operator/config lets it work. Then `kubectl apply -k
// examples/kubernetes`: every object turns Ready (`kubectl wait`) and shows
// up in `jumpgate list` with the operator's labels and the appliance id of
// its status. Deleting the examples removes the appliance objects and
// restores the Jump Client settings. Along the way: the GitOps overlay and
// the optional in-cluster Jumpoint pass the API server's validation, and
// the Argo CD health checks patch into an argocd-cm.
func TestOperatorExamples(t *testing.T) {
	start := time.Now()
	step := func(what string) { t.Logf("%6.1fs %s", time.Since(start).Seconds(), what) }

	env := startEnvtest(t)
	k := newKubectl(t, kubeconfigFor(t, env, "e2e-admin", "system:masters"))
	step("envtest started")
	applianceBin := buildCommand(t, "./appliance", "jumpgate-appliance")
	operatorBin := buildCommand(t, "./operator", "jumpgate-operator")
	a := startApplianceBinary(t, applianceBin, agenttest.AgentDir(t, "e2e-1"))
	jg := applianceRep(t, a)
	step("appliance started at " + a.URL)
	defaults := settings(t, jg)

	// The CRDs, then the operator's deployment with what it reads, as the
	// README installs them (no pod runs: envtest has no nodes).
	k.must("create", "namespace", "jumpgate-system")
	k.must("-n", "jumpgate-system", "create", "configmap", "jumpgate-operator", "--from-literal=url="+a.URL)
	k.must("-n", "jumpgate-system", "create", "secret", "generic", "jumpgate-operator-token", "--from-file=token="+filepath.Join(a.DataDir, "admin-token"))
	k.must("-n", "jumpgate-system", "create", "secret", "generic", "jumpgate-appliance-ca", "--from-file=ca.pem="+a.CAFile)
	k.must("apply", "-k", "crds")
	k.must("wait", "--for=condition=Established", "crd", "--all", "--timeout=60s")
	k.must("apply", "-k", "operator/config/default")
	k.must("apply", "--dry-run=server", "-k", "examples/gitops/operator")
	assert.Contains(t, k.must("explain", "jumpgroup.spec"), "memberships")

	sa := kubeconfigFor(t, env, "system:serviceaccount:jumpgate-system:jumpgate-operator",
		"system:serviceaccounts", "system:serviceaccounts:jumpgate-system", "system:authenticated")
	startOperatorBinary(t, operatorBin, sa, a)
	step("CRDs and RBAC installed, operator ready")

	k.must("apply", "-k", "examples/kubernetes")
	if _, err := k.run("wait", "--for=condition=Ready", "jumpgate", "--all", "-n", demoNamespace, "--timeout=2m"); err != nil {
		k.run("get", "jumpgate", "-n", demoNamespace, "-o", "yaml")
		k.run("get", "events", "-n", demoNamespace)
		t.Fatalf("the examples did not all turn Ready: %v", err)
	}
	step("every example Ready")

	// `kubectl get jumpgate` (the category) lists every kind, Ready and
	// Synced.
	k.must("get", "jumpgate", "-n", demoNamespace)
	out := k.must("get", "jumpgate", "-n", demoNamespace, "--no-headers",
		"-o", `custom-columns=KIND:.kind,NAME:.metadata.name,READY:.status.conditions[?(@.type=="Ready")].status,SYNCED:.status.conditions[?(@.type=="Synced")].status`)
	var listed []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		require.Len(t, f, 4, line)
		assert.Equal(t, []string{"True", "True"}, f[2:], "Ready and Synced of %s/%s", f[0], f[1])
		listed = append(listed, f[0]+"/"+f[1])
	}
	sort.Strings(listed)
	assert.Equal(t, []string{
		"ConsoleSettings/default", "JumpClientInstaller/demo-servers", "JumpClientSettings/default", "JumpGroup/demo-servers", "JumpPolicy/demo-anytime",
		"Jumpoint/demo-lab-net", "ProtocolTunnelJump/demo-db", "PublicPortal/demo-portal", "SessionPolicy/demo-support",
	}, listed)

	// Every example is in `jumpgate list`, labelled as the operator's, with
	// the id its status reports.
	for _, ex := range examples {
		obj := findListed(t, jg, ex)
		require.NotNil(t, obj, "jumpgate list %s shows no %s=%s", ex.collection, ex.keyField, ex.keyVal)
		labels, _ := obj["labels"].(map[string]any)
		assert.Equal(t, v1alpha1.ManagedByValue, labels[v1alpha1.ManagedByLabel], "%s/%s", ex.resource, ex.name)
		assert.Equal(t, v1alpha1.OwnerValue(demoNamespace, ex.name), labels[v1alpha1.OwnerLabel], "%s/%s", ex.resource, ex.name)
		id := strings.TrimSpace(k.must("get", ex.resource, ex.name, "-n", demoNamespace, "-o", "jsonpath={.status.applianceID}"))
		assert.Equal(t, id, fmt.Sprint(obj["id"]), "status.applianceID of %s/%s", ex.resource, ex.name)
	}
	table := jg.mustJG("list", "jump-groups", "--label", v1alpha1.ManagedByLabel+"="+v1alpha1.ManagedByValue, "--show-labels")
	t.Logf("jumpgate list jump-groups --label ...:\n%s", table)
	assert.Contains(t, table, "demo-servers")
	assert.Contains(t, table, v1alpha1.OwnerLabel+"="+v1alpha1.OwnerValue(demoNamespace, "demo-servers"))
	table = jg.mustJG("list", "protocol-tunnel-jumps")
	t.Logf("jumpgate list protocol-tunnel-jumps:\n%s", table)
	assert.Contains(t, table, "db.lab.internal")

	s := settings(t, jg)
	for k, want := range map[string]any{"statistics_interval_seconds": 30.0, "lost_after_days": 30.0, "deleted_after_days": 90.0, "wake_on_lan_allowed": true} {
		assert.Equal(t, want, s[k], "jump client settings: %s", k)
	}
	var cs map[string]any
	require.NoError(t, json.Unmarshal([]byte(jg.mustJG("get", "console-settings", "-o", "json")), &cs))
	for k, want := range map[string]any{"session_idle_timeout_minutes": 60.0, "session_lifetime_hours": 10.0, "mfa_required": false} {
		assert.Equal(t, want, cs[k], "console settings: %s", k)
	}

	// The installer's key info and download commands are in its Secret.
	secret := strings.TrimSpace(k.must("get", "jumpclientinstaller", "demo-servers", "-n", demoNamespace, "-o", "jsonpath={.status.secretName}"))
	assert.Equal(t, "demo-servers-installer", secret)
	k.must("describe", "secret", secret, "-n", demoNamespace)
	var data map[string]string
	require.NoError(t, json.Unmarshal([]byte(k.must("get", "secret", secret, "-n", demoNamespace, "-o", "jsonpath={.data}")), &data))
	for _, key := range []string{"key-info", "installer-id", "download-command-linux-amd64", "install-command-linux-amd64"} {
		assert.NotEmpty(t, data[key], "key %s of the installer Secret", key)
	}
	// The command of the example's comment.
	assert.Equal(t, data["key-info"], k.must("get", "secret", secret, "-n", demoNamespace, "-o", "jsonpath={.data.key-info}"))

	// The membership that examples/kubernetes/jumpgroup.yaml leaves
	// commented out: the group policy made as its comment says, then the
	// membership added.
	gp := postJSON(t, a, "/api/v1/group-policies", `{"name": "Demo representatives"}`)
	k.must("patch", "jumpgroup", "demo-servers", "-n", demoNamespace, "--type=merge", "-p",
		`{"spec":{"memberships":[{"groupPolicyName":"Demo representatives","role":"start","jumpPolicyRef":{"name":"demo-anytime"}}]}}`)
	policy := findListed(t, jg, examples[0])
	eventually(t, time.Minute, "the membership reaches the appliance", func() (bool, string) {
		g := findListed(t, jg, examples[2])
		ms, _ := g["memberships"].([]any)
		if len(ms) != 1 {
			return false, fmt.Sprint(g["memberships"])
		}
		m, _ := ms[0].(map[string]any)
		return fmt.Sprint(m["group_policy_id"]) == fmt.Sprint(gp["id"]) && m["role"] == "start" &&
			fmt.Sprint(m["jump_policy_id"]) == fmt.Sprint(policy["id"]), fmt.Sprint(m)
	})

	// A bad object is refused at apply, naming the field.
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("apiVersion: jumpgate.dev/v1alpha1\nkind: JumpGroup\n"+
		"metadata: {name: bad, namespace: "+demoNamespace+"}\nspec: {name: Bad, codeName: -bad}\n"), 0o600))
	_, err := k.run("apply", "-f", bad)
	if assert.Error(t, err) {
		assert.Contains(t, err.Error(), "spec.codeName")
	}

	// The optional in-cluster Jumpoint passes the API server's validation
	// too (it is not applied: its image would have to be pulled).
	k.must("apply", "--dry-run=server", "-f", "examples/kubernetes/optional/jumpoint-in-cluster.yaml")

	checkArgoCDHealthPatch(t, k)

	// Deleting the examples deletes the appliance objects. envtest runs no
	// namespace controller, so the namespace itself would stay Terminating:
	// do not wait for it (as a plain `kubectl delete -k` does), wait for the
	// custom resources.
	k.must("delete", "-k", "examples/kubernetes", "--wait=false")
	eventually(t, 2*time.Minute, "the examples are gone from Kubernetes", func() (bool, string) {
		out, err := k.run("get", "jumpgate", "-n", demoNamespace, "-o", "name")
		return err == nil && strings.TrimSpace(out) == "", out
	})
	step("examples deleted")
	for _, ex := range examples {
		assert.Nil(t, findListed(t, jg, ex), "jumpgate list %s still shows %s=%s", ex.collection, ex.keyField, ex.keyVal)
	}
	for _, coll := range []string{"jump-groups", "jump-policies", "session-policies", "jumpoints", "public-portals", "protocol-tunnel-jumps", "jump-client-installers"} {
		out := jg.mustJG("list", coll, "-o", "json", "--label", v1alpha1.ManagedByLabel+"="+v1alpha1.ManagedByValue)
		assert.JSONEq(t, "[]", out, "operator objects left in %s", coll)
	}
	assert.Equal(t, withoutMeta(defaults), withoutMeta(settings(t, jg)), "the Jump Client settings are back to the defaults of a new appliance")
	step("appliance objects gone")
}

// checkArgoCDHealthPatch runs the command of examples/gitops/README.md that
// merges the Argo CD health checks into an argocd-cm, and checks that every
// kind the CRDs define got argocd/health.lua.
func checkArgoCDHealthPatch(t *testing.T, k *kubectl) {
	t.Helper()
	k.must("create", "namespace", "argocd")
	k.must("-n", "argocd", "create", "configmap", "argocd-cm", "--from-literal=url=https://argocd.example.com")
	k.must("-n", "argocd", "patch", "configmap", "argocd-cm", "--patch-file", "examples/gitops/argocd/argocd-cm-jumpgate-health.yaml")
	var cm struct {
		Data map[string]string `json:"data"`
	}
	require.NoError(t, json.Unmarshal([]byte(k.must("-n", "argocd", "get", "configmap", "argocd-cm", "-o", "json")), &cm))
	lua, err := os.ReadFile(filepath.Join(moduleRoot(t), "examples", "gitops", "argocd", "health.lua"))
	require.NoError(t, err)
	kinds := strings.Fields(k.must("get", "crd", "-o", "jsonpath={.items[*].spec.names.kind}"))
	require.Len(t, kinds, 9)
	for _, kind := range kinds {
		assert.Equal(t, string(lua), cm.Data["resource.customizations.health.jumpgate.dev_"+kind], "health check of %s", kind)
	}
	assert.Equal(t, "https://argocd.example.com", cm.Data["url"], "the patch keeps the other keys")
	assert.Contains(t, cm.Data, "resource.customizations.health.argoproj.io_Application")
}

// postJSON posts body to the appliance as its admin, as the curl commands
// in the examples' comments do, and returns the created object.
func postJSON(t *testing.T, a *runningAppliance, path, body string) map[string]any {
	t.Helper()
	ca, err := os.ReadFile(a.CAFile)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(ca))
	c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{Proxy: nil, TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	req, err := http.NewRequest(http.MethodPost, a.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+a.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	require.Equal(t, http.StatusCreated, resp.StatusCode, "POST %s: %v", path, out)
	return out
}

// findListed returns the object of `jumpgate list ex.collection -o json`
// identified by ex, or nil.
func findListed(t *testing.T, jg *rep, ex exampleObject) map[string]any {
	t.Helper()
	var items []map[string]any
	require.NoError(t, json.Unmarshal([]byte(jg.mustJG("list", ex.collection, "-o", "json")), &items))
	var found map[string]any
	for _, it := range items {
		if fmt.Sprint(it[ex.keyField]) == ex.keyVal {
			require.Nil(t, found, "two objects in %s with %s=%s", ex.collection, ex.keyField, ex.keyVal)
			found = it
		}
	}
	return found
}

// settings is `jumpgate get settings -o json`.
func settings(t *testing.T, jg *rep) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(jg.mustJG("get", "settings", "-o", "json")), &m))
	return m
}

// withoutMeta drops the fields every write changes.
func withoutMeta(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		if k != "version" && k != "updated_at" {
			out[k] = v
		}
	}
	return out
}
