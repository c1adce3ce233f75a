package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/jumpgate/jumpgate/api"
)

// The helpers here run the operator's parts as a user does: real binaries
// built from this tree, a real kube-apiserver and etcd (envtest) driven
// with kubectl, and the appliance started the way `make run` starts it.

// noProxy keeps loopback traffic of child processes away from a proxy the
// machine may configure.
var noProxy = []string{"NO_PROXY=*", "no_proxy=*", "HTTPS_PROXY=", "https_proxy=", "HTTP_PROXY=", "http_proxy="}

// buildCommand builds the main package pkg (e.g. "./operator") into a
// temporary directory as name and returns its path.
func buildCommand(t *testing.T, pkg, name string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), name)
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, pkg)
	cmd.Dir = moduleRoot(t)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build %s\n%s", pkg, b)
	return out
}

// kubectlBinary is the kubectl that hack/install-test-deps.sh provides
// (JUMPGATE_KUBECTL, also $KUBEBUILDER_ASSETS/kubectl), else the one on
// PATH. The test fails without one, as the envtest suites fail without
// KUBEBUILDER_ASSETS: make test provides both.
func kubectlBinary(t *testing.T) string {
	t.Helper()
	candidates := []string{os.Getenv("JUMPGATE_KUBECTL")}
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		candidates = append(candidates, filepath.Join(dir, "kubectl"))
	}
	if p, err := exec.LookPath("kubectl"); err == nil {
		candidates = append(candidates, p)
	}
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if err := exec.Command(c, "version", "--client").Run(); err == nil {
			return c
		}
	}
	t.Fatal("no kubectl that runs: run hack/install-test-deps.sh and source ~/.cache/jumpgate/env.sh " +
		"(it sets JUMPGATE_KUBECTL), or use make test")
	return ""
}

// startEnvtest starts a kube-apiserver (with RBAC) and etcd from
// KUBEBUILDER_ASSETS, with no CRDs installed; it stops when the test ends.
// Nothing else of a cluster runs: no controller manager (so no garbage
// collector or namespace controller) and no nodes.
func startEnvtest(t *testing.T) *envtest.Environment {
	t.Helper()
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		t.Fatal("KUBEBUILDER_ASSETS is not set: run hack/install-test-deps.sh and source ~/.cache/jumpgate/env.sh " +
			"(it points KUBEBUILDER_ASSETS at the etcd and kube-apiserver it built), or use make test")
	}
	env := &envtest.Environment{ControlPlaneStartTimeout: 2 * time.Minute, ControlPlaneStopTimeout: time.Minute}
	_, err := env.Start()
	require.NoError(t, err, "starting envtest (KUBEBUILDER_ASSETS=%s)", os.Getenv("KUBEBUILDER_ASSETS"))
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Logf("stopping envtest: %v", err)
		}
	})
	return env
}

// kubeconfigFor writes a kubeconfig file of a new user of env with these
// groups and returns its path. The API server authenticates it by its
// client certificate and authorizes it with RBAC, so a user named
// system:serviceaccount:<ns>:<name> gets what the RBAC gives that
// ServiceAccount.
func kubeconfigFor(t *testing.T, env *envtest.Environment, user string, groups ...string) string {
	t.Helper()
	u, err := env.AddUser(envtest.User{Name: user, Groups: groups}, nil)
	require.NoError(t, err)
	kc, err := u.KubeConfig()
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "kubeconfig")
	require.NoError(t, os.WriteFile(file, kc, 0o600))
	return file
}

// kubectl runs kubectl against one cluster.
type kubectl struct {
	t        *testing.T
	bin, dir string
	env      []string
}

func newKubectl(t *testing.T, kubeconfig string) *kubectl {
	env := append(os.Environ(), "KUBECONFIG="+kubeconfig, "HOME="+t.TempDir())
	return &kubectl{t: t, bin: kubectlBinary(t), dir: moduleRoot(t), env: append(env, noProxy...)}
}

// run runs kubectl with args in the module root (so that paths such as
// examples/kubernetes read as in the README) and returns its standard
// output; the error holds its standard error. Both are logged.
func (k *kubectl) run(args ...string) (string, error) {
	k.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, k.bin, args...)
	cmd.Dir = k.dir
	cmd.Env = k.env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	k.t.Logf("kubectl %s (%s):\n%s%s", strings.Join(args, " "), time.Since(start).Round(10*time.Millisecond), out.String(), errb.String())
	if err != nil {
		return out.String(), fmt.Errorf("%w: %s", err, strings.TrimSpace(errb.String()))
	}
	return out.String(), nil
}

// must runs kubectl and fails the test when it fails.
func (k *kubectl) must(args ...string) string {
	k.t.Helper()
	out, err := k.run(args...)
	require.NoError(k.t, err, "kubectl %s", strings.Join(args, " "))
	return out
}

// process is a long-running child process whose output goes to a file; it
// is stopped with SIGTERM when the test ends, and its output is logged
// when the test has failed.
type process struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error
}

func startProcess(t *testing.T, name string, env []string, bin string, args ...string) *process {
	t.Helper()
	p := &process{name: name, log: filepath.Join(t.TempDir(), name+".log"), done: make(chan struct{})}
	f, err := os.Create(p.log)
	require.NoError(t, err)
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = f, f
	require.NoError(t, p.cmd.Start())
	go func() {
		p.err = p.cmd.Wait()
		f.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(20 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", p.name, p.output())
		}
	})
	return p
}

// exited reports whether the process has ended, with its error.
func (p *process) exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

func (p *process) output() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

// runningAppliance is a jumpgate-appliance process with what `make run`
// prints: its URL, CA file and admin token.
type runningAppliance struct {
	*process
	URL, CAFile, Token, DataDir string
}

// startApplianceBinary runs bin (jumpgate-appliance) as `make run` does
// (hack/run.sh): a fresh data directory, the CA the appliance writes there,
// https://localhost:<port>, ready once GET /readyz answers, the admin token
// from <data-dir>/admin-token. agentDir is its --agent-dir.
func startApplianceBinary(t *testing.T, bin, agentDir string) *runningAppliance {
	t.Helper()
	addr := freeAddr(t)
	_, port, _ := strings.Cut(addr, ":")
	data := filepath.Join(t.TempDir(), "jumpgate-data")
	env := append(os.Environ(), noProxy...)
	p := startProcess(t, "jumpgate-appliance", env, bin, "--listen", addr, "--data-dir", data, "--agent-dir", agentDir)
	a := &runningAppliance{process: p, URL: "https://localhost:" + port, CAFile: filepath.Join(data, "ca.pem"), DataDir: data}
	eventually(t, time.Minute, "the appliance answers GET /readyz", func() (bool, string) {
		if done, err := p.exited(); done {
			t.Fatalf("jumpgate-appliance exited before it was ready (%v):\n%s", err, p.output())
		}
		ca, err := os.ReadFile(a.CAFile)
		if err != nil {
			return false, err.Error()
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(ca) {
			return false, "no certificate in " + a.CAFile + " yet"
		}
		c := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{Proxy: nil, TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
		resp, err := c.Get(a.URL + "/readyz")
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, resp.Status
	})
	tok, err := os.ReadFile(filepath.Join(data, "admin-token"))
	require.NoError(t, err)
	a.Token = strings.TrimSpace(string(tok))
	return a
}

// startOperatorBinary runs bin (jumpgate-operator) outside the cluster, as
// the README's "try it" does: --kubeconfig, --url and --ca-cert, the token
// in JUMPGATE_TOKEN, text logs. It returns once /readyz answers, which
// includes the appliance check.
func startOperatorBinary(t *testing.T, bin, kubeconfig string, a *runningAppliance) *process {
	t.Helper()
	probe := freeAddr(t)
	env := append(os.Environ(), noProxy...)
	env = append(env, api.EnvToken+"="+a.Token)
	p := startProcess(t, "jumpgate-operator", env, bin,
		"--kubeconfig", kubeconfig, "--url", a.URL, "--ca-cert", a.CAFile,
		"--metrics-bind-address", "0", "--health-probe-bind-address", probe, "--log-format", "text")
	eventually(t, time.Minute, "the operator answers GET /readyz", func() (bool, string) {
		if done, err := p.exited(); done {
			t.Fatalf("jumpgate-operator exited before it was ready (%v):\n%s", err, p.output())
		}
		c := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{Proxy: nil}}
		resp, err := c.Get("http://" + probe + "/readyz")
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, resp.Status
	})
	return p
}

// applianceRep is the jumpgate CLI pointed at a running appliance binary.
func applianceRep(t *testing.T, a *runningAppliance) *rep {
	home := t.TempDir()
	env := append(os.Environ(), "HOME="+home, "JUMPGATE_CONFIG_DIR="+filepath.Join(home, "cfg"),
		api.EnvURL+"="+a.URL, api.EnvToken+"="+a.Token, api.EnvCACert+"="+a.CAFile)
	return &rep{t: t, env: append(env, noProxy...), bin: cliBinary(t)}
}

// mustJG runs the CLI and fails the test unless it exits 0.
func (r *rep) mustJG(args ...string) string {
	r.t.Helper()
	out, errOut, code := r.jg("", args...)
	if code != 0 {
		r.t.Fatalf("jumpgate %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}
