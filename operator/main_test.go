package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
	"github.com/jumpgate/jumpgate/internal/envtesting"
	"github.com/jumpgate/jumpgate/operator/api/v1alpha1"
)

// The tests of this package run the operator as its main does, in-process:
// against a real kube-apiserver and etcd (envtest, one for the package), as
// the ServiceAccount and with the RBAC of operator/config, and against a
// real in-process appliance (appliancetest).

var (
	restConfig *rest.Config
	scheme     *runtime.Scheme
	k8s        client.Client
)

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	env, err := envtesting.Start(filepath.Join("..", "crds"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}()
	restConfig, scheme, k8s = env.Config, env.Scheme, env.Client
	return m.Run()
}

// syncBuffer is a bytes.Buffer for concurrent writes and reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// writeFile writes content to a new file in a temporary directory.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	return p
}

func TestParseFlags(t *testing.T) {
	tokenFile := writeFile(t, "token", "from-file\n")
	caFile := writeFile(t, "ca.pem", "-----BEGIN CERTIFICATE-----\nfile\n-----END CERTIFICATE-----\n")
	tests := []struct {
		name  string
		args  []string
		env   map[string]string
		check func(t *testing.T, o *options)
	}{
		{
			name: "defaults",
			env:  map[string]string{api.EnvURL: "https://a:8443", api.EnvToken: " tok \n"},
			check: func(t *testing.T, o *options) {
				assert.Equal(t, "https://a:8443", o.Appliance.URL)
				assert.Equal(t, "tok", o.Appliance.Token)
				assert.Empty(t, o.Appliance.TokenFile)
				assert.Nil(t, o.Appliance.CACertPEM)
				assert.Equal(t, 5*time.Minute, o.ResyncPeriod)
				assert.Equal(t, 5*time.Minute, o.BackoffMax)
				assert.Empty(t, o.Namespaces)
				assert.Equal(t, 4, o.MaxConcurrentReconciles)
				assert.Equal(t, 50.0, o.KubeAPIQPS)
				assert.Equal(t, 100, o.KubeAPIBurst)
				assert.Equal(t, ":8080", o.MetricsAddr)
				assert.Equal(t, ":8081", o.ProbeAddr)
				assert.False(t, o.LeaderElect, "leader election is off for local runs; the manifests turn it on")
				assert.Equal(t, "info", o.LogLevel)
				assert.Equal(t, "json", o.LogFormat)
				assert.NoError(t, o.Validate())
			},
		},
		{
			name: "every flag",
			args: []string{"--url", "https://b", "--token-file", tokenFile, "--ca-cert", caFile, "--cluster-name", "prod-eu",
				"--agent-image", "registry.example.com/jumpgate-agent:1.2.3",
				"--resync-period", "90s", "--backoff-max", "1m", "--namespace", "a,b", "--namespace", "c",
				"--max-concurrent-reconciles", "8", "--metrics-bind-address", "0", "--health-probe-bind-address", "127.0.0.1:9",
				"--leader-elect", "--leader-election-namespace", "ops", "--kubeconfig", "/k", "--log-level", "debug", "--log-format", "text"},
			env: map[string]string{api.EnvToken: "ignored: the file wins"},
			check: func(t *testing.T, o *options) {
				assert.Equal(t, "https://b", o.Appliance.URL)
				assert.Equal(t, tokenFile, o.Appliance.TokenFile)
				assert.Empty(t, o.Appliance.Token)
				assert.Contains(t, string(o.Appliance.CACertPEM), "file")
				assert.Equal(t, "prod-eu", o.ClusterName)
				assert.Equal(t, "registry.example.com/jumpgate-agent:1.2.3", o.AgentImage)
				assert.Equal(t, 90*time.Second, o.ResyncPeriod)
				assert.Equal(t, time.Minute, o.BackoffMax)
				assert.Equal(t, []string{"a", "b", "c"}, o.Namespaces)
				assert.Equal(t, 8, o.MaxConcurrentReconciles)
				assert.Equal(t, "0", o.MetricsAddr)
				assert.Equal(t, "127.0.0.1:9", o.ProbeAddr)
				assert.True(t, o.LeaderElect)
				assert.Equal(t, "ops", o.LeaderElectionNamespace)
				assert.Equal(t, "/k", o.Kubeconfig)
				assert.Equal(t, "debug", o.LogLevel)
				assert.Equal(t, "text", o.LogFormat)
				assert.NoError(t, o.Validate())
			},
		},
		{
			name: "environment twins",
			env: map[string]string{
				api.EnvURL: "https://c", envPrefix + "TOKEN_FILE": tokenFile,
				api.EnvCACert:                           "-----BEGIN CERTIFICATE-----\ninline\n-----END CERTIFICATE-----",
				envPrefix + "CLUSTER_NAME":              "east",
				envPrefix + "AGENT_IMAGE":               "agent:env",
				envPrefix + "RESYNC_PERIOD":             "2m",
				envPrefix + "BACKOFF_MAX":               "30s",
				envPrefix + "NAMESPACE":                 "x, y",
				envPrefix + "MAX_CONCURRENT_RECONCILES": "2",
				envPrefix + "METRICS_BIND_ADDRESS":      ":9090",
				envPrefix + "HEALTH_PROBE_BIND_ADDRESS": ":9091",
				envPrefix + "LEADER_ELECT":              "true",
				envPrefix + "LEADER_ELECTION_NAMESPACE": "le",
				envPrefix + "LOG_LEVEL":                 "error",
				envPrefix + "LOG_FORMAT":                "text",
				// The client settings read the shared variables only.
				envPrefix + "URL": "https://not-read",
			},
			check: func(t *testing.T, o *options) {
				assert.Equal(t, "https://c", o.Appliance.URL)
				assert.Equal(t, tokenFile, o.Appliance.TokenFile)
				assert.Contains(t, string(o.Appliance.CACertPEM), "inline", "JUMPGATE_CA_CERT may hold the PEM itself")
				assert.Equal(t, "east", o.ClusterName)
				assert.Equal(t, "agent:env", o.AgentImage)
				assert.Equal(t, 2*time.Minute, o.ResyncPeriod)
				assert.Equal(t, 30*time.Second, o.BackoffMax)
				assert.Equal(t, []string{"x", "y"}, o.Namespaces)
				assert.Equal(t, 2, o.MaxConcurrentReconciles)
				assert.Equal(t, ":9090", o.MetricsAddr)
				assert.Equal(t, ":9091", o.ProbeAddr)
				assert.True(t, o.LeaderElect)
				assert.Equal(t, "le", o.LeaderElectionNamespace)
				assert.Equal(t, "error", o.LogLevel)
				assert.Equal(t, "text", o.LogFormat)
			},
		},
		{
			name: "a flag wins over its twin",
			args: []string{"--url", "https://flag", "--resync-period", "1m", "--namespace", "f"},
			env:  map[string]string{api.EnvURL: "https://env", envPrefix + "RESYNC_PERIOD": "9m", envPrefix + "NAMESPACE": "e"},
			check: func(t *testing.T, o *options) {
				assert.Equal(t, "https://flag", o.Appliance.URL)
				assert.Equal(t, time.Minute, o.ResyncPeriod)
				assert.Equal(t, []string{"f"}, o.Namespaces)
			},
		},
		{
			name: "the CA file named by JUMPGATE_CA_CERT",
			env:  map[string]string{api.EnvCACert: caFile},
			check: func(t *testing.T, o *options) {
				assert.Contains(t, string(o.Appliance.CACertPEM), "file")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseFlags(tt.args, envOf(tt.env), io.Discard)
			require.NoError(t, err)
			tt.check(t, o)
		})
	}
}

// TestRun_Refuses: bad flags and configuration end the operator before it
// starts, with one line on stderr and exit code 2; a token the appliance
// refuses, or one that is not an administrator's, with exit code 1.
func TestRun_Refuses(t *testing.T) {
	srv := appliancetest.NewServer(t)
	_, user := srv.NewUser(t, false)
	userTok, err := user.CreateAPIToken(context.Background(), &api.APIToken{Name: "not-admin"})
	require.NoError(t, err)
	tokenFile := writeFile(t, "token", srv.AdminToken)
	ok := map[string]string{api.EnvURL: srv.URL, api.EnvCACert: srv.CAFile, api.EnvToken: srv.AdminToken}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range ok {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name string
		args []string
		env  map[string]string
		code int
		want []string // in the last line
		logs []string // anywhere on stderr
	}{
		{name: "nothing set", code: exitUsage, want: []string{"no appliance URL: set --url or JUMPGATE_URL",
			"no API token: set --token-file (or JUMPGATE_OPERATOR_TOKEN_FILE) to a file holding it, or JUMPGATE_TOKEN"}},
		{name: "unknown flag", args: []string{"--token", "x"}, env: ok, code: exitUsage, want: []string{"flag provided but not defined: -token"}},
		{name: "argument", args: []string{"run"}, env: ok, code: exitUsage, want: []string{"unexpected arguments: run"}},
		{name: "bad duration twin", env: with(envPrefix+"RESYNC_PERIOD", "soon"), code: exitUsage,
			want: []string{`JUMPGATE_OPERATOR_RESYNC_PERIOD="soon"`}},
		{name: "short resync", args: []string{"--resync-period", "10ms"}, env: ok, code: exitUsage, want: []string{"--resync-period 10ms: want at least 1s"}},
		{name: "short backoff", args: []string{"--backoff-max", "0s"}, env: ok, code: exitUsage, want: []string{"--backoff-max 0s: want at least 1s"}},
		{name: "bad namespace", args: []string{"--namespace", "ok,Not_OK"}, env: ok, code: exitUsage, want: []string{`--namespace "Not_OK"`}},
		{name: "bad cluster name", args: []string{"--cluster-name", "eu west"}, env: ok, code: exitUsage, want: []string{`--cluster-name "eu west"`}},
		{name: "no reconciles", args: []string{"--max-concurrent-reconciles", "0"}, env: ok, code: exitUsage, want: []string{"--max-concurrent-reconciles 0: want at least 1"}},
		{name: "no api rate", args: []string{"--kube-api-qps", "0"}, env: ok, code: exitUsage, want: []string{"--kube-api-qps 0 --kube-api-burst 100: want more than 0"}},
		{name: "warn level", args: []string{"--log-level", "warn"}, env: ok, code: exitUsage, want: []string{`--log-level "warn": want debug, info or error`}},
		{name: "bad log format", args: []string{"--log-format", "xml"}, env: ok, code: exitUsage, want: []string{`--log-format "xml": want json or text`}},
		{name: "missing CA file", args: []string{"--ca-cert", "/nonexistent/ca.pem"}, env: ok, code: exitUsage, want: []string{"--ca-cert: open /nonexistent/ca.pem"}},
		{name: "CA without a certificate", env: with(api.EnvCACert, "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----"),
			code: exitUsage, want: []string{"CA certificate: no PEM certificate found"}},
		{name: "missing token file", args: []string{"--token-file", "/nonexistent/token"}, env: ok, code: exitUsage,
			want: []string{"token file: stat /nonexistent/token"}},
		{name: "empty token file", args: []string{"--token-file", writeFile(t, "empty", "\n")}, env: ok, code: exitUsage,
			want: []string{"is empty"}},
		{name: "bad URL", env: with(api.EnvURL, "ftp://x"), code: exitUsage, want: []string{`appliance url "ftp://x": scheme must be https or http`}},
		{name: "unknown token", args: []string{"--token-file", writeFile(t, "wrong", "jg_wrong")}, env: ok, code: exitFailure,
			want: []string{"appliance " + srv.URL + " answered 401", "the operator needs an administrator's API token"}},
		{name: "not an administrator", env: with(api.EnvToken, userTok.Token), code: exitFailure,
			want: []string{"is not an administrator's", "the operator needs an administrator's API token"}},
		{name: "untrusted certificate", env: with(api.EnvCACert, ""), args: []string{"--token-file", tokenFile, "--metrics-bind-address", "0",
			"--health-probe-bind-address", "0", "--kubeconfig", "/nonexistent/kubeconfig"}, code: exitFailure,
			// The appliance not answering is no reason to stop (it may come
			// up later); the missing kubeconfig is.
			want: []string{"kubernetes client configuration (from --kubeconfig, else KUBECONFIG, the in-cluster configuration or ~/.kube/config): stat /nonexistent/kubeconfig"},
			logs: []string{"cannot use the appliance yet", "x509: certificate signed by unknown authority", "the appliance's certificate is not trusted"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr syncBuffer
			code := run(context.Background(), tt.args, envOf(tt.env), &stdout, &stderr, deps{})
			assert.Equal(t, tt.code, code, "exit code; stderr:\n%s", stderr.String())
			lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
			last := lines[len(lines)-1]
			assert.True(t, strings.HasPrefix(last, "jumpgate-operator: "), "the error is one line starting with the program name: %q", last)
			for _, w := range tt.want {
				assert.Contains(t, last, w)
			}
			for _, w := range tt.logs {
				assert.Contains(t, stderr.String(), w)
			}
			assert.Empty(t, stdout.String())
			assert.NotContains(t, stderr.String(), srv.AdminToken, "the token is never printed")
		})
	}
}

func TestRun_VersionAndHelp(t *testing.T) {
	var stdout, stderr syncBuffer
	require.Equal(t, exitOK, run(context.Background(), []string{"--version"}, envOf(nil), &stdout, &stderr, deps{}))
	assert.Equal(t, "jumpgate-operator "+api.Version+"\n", stdout.String())

	stdout, stderr = syncBuffer{}, syncBuffer{}
	require.Equal(t, exitOK, run(context.Background(), []string{"-h"}, envOf(nil), &stdout, &stderr, deps{}))
	for _, w := range []string{"--token-file", "JUMPGATE_TOKEN", "JUMPGATE_OPERATOR_<FLAG>", "-leader-elect", "-namespace"} {
		assert.Contains(t, stderr.String(), w)
	}
}

// freeAddr returns a loopback address with a port that was free a moment
// ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// get answers GET url: status code and body ("" and 0 when it fails).
func get(url string) (int, string) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// eventually retries f until it returns nil, for up to 30 s.
func eventually(t *testing.T, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestRun: the operator as deployed by operator/config (its ServiceAccount
// and RBAC, leader election, a token file and a CA file), against envtest
// and an appliance: probes, metrics, the Lease, a JumpGroup made Ready, a
// rotated token, the readiness probe failing while the appliance is away,
// and a clean stop that releases the Lease.
func TestRun(t *testing.T) {
	applyManifests(t)
	ctx := context.Background()
	srv := appliancetest.NewServer(t)
	tokenFile := writeFile(t, "token", srv.AdminToken+"\n")
	ns := "run-" + strings.ToLower(fmt.Sprintf("%x", time.Now().UnixNano()&0xffffff))
	require.NoError(t, k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))

	// The operator's identity in the cluster is its ServiceAccount, with
	// the permissions operator/config gives it and no others.
	asOperator := rest.CopyConfig(restConfig)
	asOperator.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:jumpgate-system:jumpgate-operator"}

	metricsAddr, probeAddr := freeAddr(t), freeAddr(t)
	args := []string{"--url", srv.URL, "--token-file", tokenFile, "--ca-cert", srv.CAFile, "--cluster-name", "test",
		"--leader-elect", "--leader-election-namespace", "jumpgate-system",
		"--metrics-bind-address", metricsAddr, "--health-probe-bind-address", probeAddr,
		"--resync-period", "1h", "--backoff-max", "2s", "--log-level", "debug"}
	runCtx, stop := context.WithCancel(ctx)
	var stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(runCtx, args, envOf(nil), io.Discard, &stderr, deps{restConfig: asOperator, skipNameValidation: true, checkTTL: 200 * time.Millisecond})
	}()
	stopped := false
	defer func() {
		if !stopped {
			stop()
			<-done
		}
		if t.Failed() {
			lines := strings.Split(stderr.String(), "\n")
			t.Logf("operator log (the last 60 lines):\n%s", strings.Join(lines[max(0, len(lines)-60):], "\n"))
		}
	}()

	probe := "http://" + probeAddr
	eventually(t, "/healthz and /readyz to answer 200", func() error {
		for _, p := range []string{"/healthz", "/readyz"} {
			if code, body := get(probe + p); code != http.StatusOK {
				return fmt.Errorf("%s: %d %s", p, code, body)
			}
		}
		return nil
	})

	// Leader election: the Lease names this operator.
	lease := &coordinationv1.Lease{}
	eventually(t, "the leader election Lease", func() error {
		if err := k8s.Get(ctx, types.NamespacedName{Namespace: "jumpgate-system", Name: LeaderElectionID}, lease); err != nil {
			return err
		}
		if lease.Spec.HolderIdentity == nil || *lease.Spec.HolderIdentity == "" {
			return fmt.Errorf("no holder")
		}
		return nil
	})

	// A JumpGroup becomes Ready, in the appliance with the cluster's label.
	jg := &v1alpha1.JumpGroup{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "ops"}, Spec: v1alpha1.JumpGroupSpec{Name: "Operations"}}
	require.NoError(t, k8s.Create(ctx, jg))
	waitReady := func(what string) int64 {
		t.Helper()
		var id int64
		eventually(t, what, func() error {
			if err := k8s.Get(ctx, client.ObjectKeyFromObject(jg), jg); err != nil {
				return err
			}
			c := apimeta.FindStatusCondition(jg.Status.Conditions, v1alpha1.ConditionReady)
			if c == nil || c.Status != metav1.ConditionTrue || jg.Status.ObservedGeneration != jg.Generation {
				return fmt.Errorf("status %+v", jg.Status)
			}
			id = jg.Status.ApplianceID
			return nil
		})
		return id
	}
	id := waitReady("the JumpGroup to be Ready")
	a, err := srv.Admin.GetJumpGroup(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, "Operations", a.Name)
	assert.Equal(t, "test", a.Labels[v1alpha1.ClusterLabel], "--cluster-name is recorded on appliance objects")

	metricsURL := "http://" + metricsAddr + "/metrics"
	eventually(t, "the metrics", func() error {
		code, body := get(metricsURL)
		if code != http.StatusOK {
			return fmt.Errorf("%d %s", code, body)
		}
		for _, w := range []string{
			`controller_runtime_reconcile_total{controller="jumpgroup",result="success"}`,
			`jumpgate_operator_appliance_requests_total{code="200",collection="jump-groups",method="GET"}`,
			`jumpgate_operator_appliance_requests_total{code="201",collection="jump-groups",method="POST"}`,
			`jumpgate_operator_appliance_request_duration_seconds_count{collection="whoami",method="GET"}`,
			`jumpgate_operator_resources{kind="JumpGroup",ready="True",reason="Reconciled"} 1`,
			`jumpgate_operator_appliance_up 1`,
			`jumpgate_operator_token_reloads_total 0`,
			`jumpgate_operator_build_info{version="` + api.Version + `"} 1`,
		} {
			if !strings.Contains(body, w) {
				return fmt.Errorf("no %s in /metrics", w)
			}
		}
		return nil
	})

	// Token rotation: a new token replaces the file (as the kubelet updates
	// a mounted Secret), the old one is revoked, and the next change is
	// written with the new one.
	newTok, err := srv.Admin.CreateAPIToken(ctx, &api.APIToken{Name: "rotated"})
	require.NoError(t, err)
	tmp := tokenFile + ".new"
	require.NoError(t, os.WriteFile(tmp, []byte(newTok.Token+"\n"), 0o600))
	require.NoError(t, os.Rename(tmp, tokenFile))
	me, err := srv.Admin.WhoAmI(ctx)
	require.NoError(t, err)
	require.NoError(t, srv.Client(t, newTok.Token).DeleteAPIToken(ctx, me.TokenID), "revoking the first token")
	require.NoError(t, k8s.Get(ctx, client.ObjectKeyFromObject(jg), jg))
	jg.Spec.Name = "Ops team"
	require.NoError(t, k8s.Update(ctx, jg))
	waitReady("the changed JumpGroup to be Ready with the rotated token")
	a, err = srv.Client(t, newTok.Token).GetJumpGroup(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, "Ops team", a.Name)
	_, body := get(metricsURL)
	assert.Contains(t, body, "jumpgate_operator_token_reloads_total 1")

	// The appliance goes away: not Ready, still alive.
	srv.Stop()
	eventually(t, "/readyz to fail without the appliance", func() error {
		code, body := get(probe + "/readyz")
		if code == http.StatusOK {
			return fmt.Errorf("still %d", code)
		}
		_, verbose := get(probe + "/readyz?verbose=1")
		if !strings.Contains(verbose, "[-]appliance failed") {
			return fmt.Errorf("%d %s / %s", code, body, verbose)
		}
		return nil
	})
	code, _ := get(probe + "/healthz")
	assert.Equal(t, http.StatusOK, code, "/healthz does not depend on the appliance")
	_, body = get(metricsURL)
	assert.Contains(t, body, "jumpgate_operator_appliance_up 0")

	// A clean stop releases the Lease, so a successor need not wait for it
	// to expire.
	stop()
	select {
	case code := <-done:
		stopped = true
		assert.Equal(t, exitOK, code)
	case <-time.After(30 * time.Second):
		t.Fatal("the operator did not stop within 30 s")
	}
	require.NoError(t, k8s.Get(ctx, types.NamespacedName{Namespace: "jumpgate-system", Name: LeaderElectionID}, lease))
	assert.True(t, lease.Spec.HolderIdentity == nil || *lease.Spec.HolderIdentity == "", "the Lease is released")
	log := stderr.String()
	assert.Contains(t, log, `"msg":"starting"`)
	assert.NotContains(t, log, srv.AdminToken, "the token is never logged")
	assert.NotContains(t, log, newTok.Token, "the token is never logged")
}
