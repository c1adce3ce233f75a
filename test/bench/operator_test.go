package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
	"github.com/jumpgate/jumpgate/internal/envtesting"
	v1 "github.com/jumpgate/jumpgate/operator/api/v1alpha1"
)

// TestBenchOperator (issue 6) times the Kubernetes operator: 500 custom
// resources created in a namespace until every one is Ready, then deleted
// until every one is gone (the finalizers delete the appliance objects).
// The operator is the real jumpgate-operator binary, built from ./operator,
// talking to a real kube-apiserver and etcd (envtest) and to the appliance
// running in this process on SQLite, as the other benchmarks run it.
//
// The mix is the Terraform benchmark's: Jump Groups, Jump and Session
// Policies, one Jumpoint and Protocol Tunnel Jumps that refer to a group,
// the Jumpoint and both policies by name, so most objects wait for others
// to be Ready first, as a real `kubectl apply` of a whole directory does.
//
// Baselines from the same run: the same objects created and deleted through
// the Go api.Client with as many workers (what the operator must do at
// least), and the 500 custom resources created in a namespace that no
// operator watches (what the Kubernetes side costs alone).

const (
	envOpResources = "JUMPGATE_BENCH_OP_RESOURCES" // custom resources; default 500
	envOpWorkers   = "JUMPGATE_BENCH_OP_WORKERS"   // client workers and the operator's --max-concurrent-reconciles; default 10
)

func TestBenchOperator(t *testing.T) {
	if os.Getenv(envEnable) != "1" {
		t.Skipf("set %s=1 to run the operator benchmark (make bench)", envEnable)
	}
	n := tfEnvInt(t, envOpResources, 500)
	workers := tfEnvInt(t, envOpWorkers, 10)
	mix := planMix(n, map[string]bool{tfJumpPolicy: true, tfSessionPolicy: true, tfJumpoint: true, tfTunnelJump: true})
	ctx := context.Background()

	binDir := t.TempDir()
	build := make(chan error, 1)
	go func() {
		cmd := exec.Command("go", "build", "-o", filepath.Join(binDir, "jumpgate-operator"), "./operator")
		cmd.Dir = repoRoot(t)
		out, err := cmd.CombinedOutput()
		if err != nil {
			err = fmt.Errorf("go build ./operator: %v\n%s", err, out)
		}
		build <- err
	}()

	te, err := envtesting.Start(filepath.Join(repoRoot(t), "crds"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = te.Stop() })
	k8s := te.Client
	user, err := te.Environment.AddUser(envtest.User{Name: "bench-operator", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig, err := user.KubeConfig()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "kubeconfig"), kubeconfig)

	srv := appliancetest.NewServer(t)
	base := appliancetest.NewServer(t) // the API baseline's own, so both start empty
	writeFile(t, filepath.Join(dir, "token"), []byte(srv.AdminToken))
	writeFile(t, filepath.Join(dir, "ca.pem"), srv.CAPEM)
	if err := <-build; err != nil {
		t.Fatal(err)
	}

	var steps []*tfMeasure
	step := func(m *tfMeasure) {
		steps = append(steps, m)
		t.Logf("%-34s %8.2fs  %6.2f ms/object", m.name, m.wall.Seconds(), perObject(m))
	}
	timed := func(name, note string, f func() error) *tfMeasure {
		cpu0 := readCPU()
		start := time.Now()
		if err := f(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		wall := time.Since(start)
		return &tfMeasure{name: name, note: note, objects: mix.total(), wall: wall, cpu: readCPU().since(cpu0, wall), samples: []time.Duration{wall}}
	}

	// Baselines.
	var ids *tfIDs
	apiCreateName := fmt.Sprintf("api create, %d workers", workers)
	step(timed(apiCreateName, "POST of every object through api.Client; tunnel jumps after what they refer to", func() (err error) {
		ids, err = apiCreate(ctx, base.Admin, mix, "api", workers)
		return err
	}))
	apiDeleteName := fmt.Sprintf("api delete, %d workers", workers)
	step(timed(apiDeleteName, "DELETE of every object through api.Client, tunnel jumps first", func() error {
		return apiDelete(ctx, base.Admin, ids, workers)
	}))
	k8sCreateName := fmt.Sprintf("kube create, %d workers", workers)
	unwatched := "bench-unwatched"
	mustCreateNS(t, k8s, unwatched)
	step(timed(k8sCreateName, "create of every custom resource in a namespace no operator watches", func() error {
		return createCRs(ctx, k8s, unwatched, mix, workers)
	}))

	// The operator, watching only its namespace.
	ns := "bench"
	mustCreateNS(t, k8s, ns)
	metricsAddr := freeAddr(t)
	op := exec.Command(filepath.Join(binDir, "jumpgate-operator"),
		"--kubeconfig", filepath.Join(dir, "kubeconfig"),
		"--url", srv.URL, "--token-file", filepath.Join(dir, "token"), "--ca-cert", filepath.Join(dir, "ca.pem"),
		"--namespace", ns, "--metrics-bind-address", metricsAddr, "--health-probe-bind-address", "0",
		"--max-concurrent-reconciles", strconv.Itoa(workers), "--resync-period", "1h")
	logf, err := os.Create(filepath.Join(dir, "operator.log"))
	if err != nil {
		t.Fatal(err)
	}
	op.Stdout, op.Stderr = logf, logf
	if err := op.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = op.Process.Signal(syscall.SIGTERM)
		_ = op.Wait()
		_ = logf.Close()
		if t.Failed() {
			out, _ := os.ReadFile(logf.Name())
			t.Logf("operator log (last lines):\n%s", tfTail(out, 40))
		}
	})
	waitMetrics(t, metricsAddr)
	opCPU0 := procCPU(op.Process.Pid)

	apply := timed("operator: create → all Ready", "create every custom resource (same workers), until every one is Ready=True", func() error {
		if err := createCRs(ctx, k8s, ns, mix, workers); err != nil {
			return err
		}
		return waitAll(ctx, k8s, ns, mix.total(), true)
	})
	apply.baseline = apiCreateName
	step(apply)
	reconciles := reconcileTotal(t, metricsAddr)
	if err := checkAppliance(ctx, srv.Admin, mix); err != nil {
		t.Fatal(err)
	}
	opCPUApply := procCPU(op.Process.Pid) - opCPU0

	destroy := timed("operator: delete → all gone", "delete every custom resource, until the finalizers have deleted every appliance object", func() error {
		if err := deleteCRs(ctx, k8s, ns); err != nil {
			return err
		}
		return waitAll(ctx, k8s, ns, 0, false)
	})
	destroy.baseline = apiDeleteName
	step(destroy)
	if err := checkAppliance(ctx, srv.Admin, tfMix{}); err != nil {
		t.Fatal(err)
	}
	opCPUAll := procCPU(op.Process.Pid) - opCPU0

	p := func(format string, args ...any) { fmt.Fprintf(os.Stdout, format+"\n", args...) }
	p("")
	p("Jumpgate Kubernetes operator benchmark (issue 6)")
	p("NOTE: kube-apiserver, etcd, the operator, the appliance and the clients share this machine's %d CPUs.", runtime.NumCPU())
	p("machine:   %s, %d logical CPUs, %s %s/%s", cpuModel(), runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	p("setup:     jumpgate-operator built from ./operator (--max-concurrent-reconciles=%d per kind), envtest kube-apiserver + etcd, appliance in-process on SQLite", workers)
	p("objects:   %d custom resources: %s", mix.total(), mix)
	p("")
	p("%-34s  %8s  %9s  %10s  %9s  %6s", "step", "wall", "ms/object", "×baseline", "this cpu", "host")
	p("%s", strings.Repeat("-", 34+8+9+10+9+6+10))
	byName := map[string]*tfMeasure{}
	for _, s := range steps {
		byName[s.name] = s
	}
	for _, s := range steps {
		ratio := "-"
		if b := byName[s.baseline]; b != nil && b.wall > 0 {
			ratio = fmt.Sprintf("%.2f", float64(s.wall)/float64(b.wall))
		}
		cpu := "-"
		if s.cpu.procOK {
			cpu = fmt.Sprintf("%.2fs", s.cpu.procTime.Seconds())
		}
		p("%-34s  %7.2fs  %9.2f  %10s  %9s  %6s", s.name, s.wall.Seconds(), perObject(s), ratio, cpu, s.cpu.hostString())
	}
	p("")
	for _, s := range steps {
		line := fmt.Sprintf("  %-34s %s", s.name, s.note)
		if s.baseline != "" {
			line += "; ×baseline = wall / " + s.baseline
		}
		p("%s", line)
	}
	p("")
	p("reconciles to get all %d Ready: %.0f (%.2f per object; controller_runtime_reconcile_total)", mix.total(), reconciles, reconciles/float64(mix.total()))
	p("operator CPU: %.2fs for create → Ready, %.2fs in all (user + system of the jumpgate-operator process)", opCPUApply.Seconds(), opCPUAll.Seconds())
	p("this cpu = this process's CPU (the appliance and the clients); host = the whole machine's busy cores during the step")
	p("")
}

// crsOf renders the mix as custom resources, the tunnel jumps referring to
// the others by name.
func crsOf(ns string, m tfMix) []client.Object {
	meta := func(name string) metav1.ObjectMeta { return metav1.ObjectMeta{Name: name, Namespace: ns} }
	var objs []client.Object
	for i := range m.groups {
		objs = append(objs, &v1.JumpGroup{ObjectMeta: meta(fmt.Sprintf("group-%d", i)),
			Spec: v1.JumpGroupSpec{Name: fmt.Sprintf("Bench group %d", i), Comments: "generated by TestBenchOperator"}})
	}
	for i := range m.jumpPolicies {
		objs = append(objs, &v1.JumpPolicy{ObjectMeta: meta(fmt.Sprintf("jump-policy-%d", i)),
			Spec: v1.JumpPolicySpec{DisplayName: fmt.Sprintf("Bench jump policy %d", i), Description: "generated by TestBenchOperator", SimultaneousJumps: "join"}})
	}
	for i := range m.sessionPolicies {
		objs = append(objs, &v1.SessionPolicy{ObjectMeta: meta(fmt.Sprintf("session-policy-%d", i)),
			Spec: v1.SessionPolicySpec{DisplayName: fmt.Sprintf("Bench session policy %d", i), Description: "generated by TestBenchOperator",
				Permissions: v1.SessionPermissions{Shell: true, Tunnel: true}}})
	}
	for i := range m.jumpoints {
		objs = append(objs, &v1.Jumpoint{ObjectMeta: meta(fmt.Sprintf("jumpoint-%d", i)),
			Spec: v1.JumpointSpec{Name: fmt.Sprintf("Bench jumpoint %d", i), ProtocolTunnelEnabled: true}})
	}
	for i := range m.tunnels {
		g, jp, sp := m.tunnel(i)
		t := &v1.ProtocolTunnelJump{ObjectMeta: meta(fmt.Sprintf("tunnel-%d", i)), Spec: v1.ProtocolTunnelJumpSpec{
			Name: fmt.Sprintf("Bench tunnel %d", i), JumpointRef: v1.LocalObjectReference{Name: "jumpoint-0"},
			Hostname: fmt.Sprintf("db%d.bench.internal", i), JumpGroupRef: &v1.LocalObjectReference{Name: fmt.Sprintf("group-%d", g)}, Tag: "bench",
		}}
		for _, port := range tunnelPorts(i) {
			t.Spec.TunnelDefinitions = append(t.Spec.TunnelDefinitions, v1.TunnelDefinition{RemotePort: int32(port)})
		}
		if jp >= 0 {
			t.Spec.JumpPolicyRef = &v1.LocalObjectReference{Name: fmt.Sprintf("jump-policy-%d", jp)}
		}
		if sp >= 0 {
			t.Spec.SessionPolicyRef = &v1.LocalObjectReference{Name: fmt.Sprintf("session-policy-%d", sp)}
		}
		objs = append(objs, t)
	}
	return objs
}

// benchLists are empty lists of the mix's kinds.
func benchLists() []client.ObjectList {
	return []client.ObjectList{&v1.JumpGroupList{}, &v1.JumpPolicyList{}, &v1.SessionPolicyList{}, &v1.JumpointList{}, &v1.ProtocolTunnelJumpList{}}
}

// createCRs creates the mix's custom resources in ns, in the order a
// directory is applied: all at once, with workers.
func createCRs(ctx context.Context, k8s client.Client, ns string, m tfMix, workers int) error {
	var calls []func(context.Context) error
	for _, o := range crsOf(ns, m) {
		calls = append(calls, func(ctx context.Context) error { return k8s.Create(ctx, o) })
	}
	return runWorkers(ctx, workers, calls)
}

// deleteCRs deletes every custom resource of the mix's kinds in ns.
func deleteCRs(ctx context.Context, k8s client.Client, ns string) error {
	for _, o := range []client.Object{&v1.ProtocolTunnelJump{}, &v1.JumpGroup{}, &v1.JumpPolicy{}, &v1.SessionPolicy{}, &v1.Jumpoint{}} {
		if err := k8s.DeleteAllOf(ctx, o, client.InNamespace(ns)); err != nil {
			return err
		}
	}
	return nil
}

// waitAll waits until ns holds want resources of the mix's kinds and, when
// ready is set, all of them are Ready=True.
func waitAll(ctx context.Context, k8s client.Client, ns string, want int, ready bool) error {
	deadline := time.Now().Add(20 * time.Minute)
	for {
		total, ok := 0, 0
		var notReady string
		for _, l := range benchLists() {
			if err := k8s.List(ctx, l, client.InNamespace(ns)); err != nil {
				return err
			}
			items, err := apimeta.ExtractList(l)
			if err != nil {
				return err
			}
			for _, it := range items {
				total++
				o := it.(interface {
					client.Object
					v1.Object
				})
				if c := apimeta.FindStatusCondition(o.CommonStatus().Conditions, v1.ConditionReady); c != nil && c.Status == metav1.ConditionTrue &&
					o.CommonStatus().ObservedGeneration == o.GetGeneration() {
					ok++
				} else if notReady == "" {
					notReady = fmt.Sprintf("%T %s: %v", o, o.GetName(), o.CommonStatus().Conditions)
				}
			}
		}
		if total == want && (!ready || ok == want) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("after 20 min: %d objects, %d Ready, want %d; e.g. %s", total, ok, want, notReady)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// checkAppliance checks that the appliance holds exactly the mix.
func checkAppliance(ctx context.Context, c *api.Client, m tfMix) error {
	for _, x := range []struct {
		what string
		want int
		get  func() (int, error)
	}{
		{"jump groups", m.groups, func() (int, error) {
			l, err := c.ListJumpGroups(ctx, &api.ListOptions{Limit: 500})
			return lenOf(l, err)
		}},
		{"jump policies", m.jumpPolicies, func() (int, error) {
			l, err := c.ListJumpPolicies(ctx, &api.ListOptions{Limit: 500})
			return lenOf(l, err)
		}},
		{"session policies", m.sessionPolicies, func() (int, error) {
			l, err := c.ListSessionPolicies(ctx, &api.ListOptions{Limit: 500})
			return lenOf(l, err)
		}},
		{"jumpoints", m.jumpoints, func() (int, error) {
			l, err := c.ListJumpoints(ctx, &api.ListOptions{Limit: 500})
			return lenOf(l, err)
		}},
		{"protocol tunnel jumps", m.tunnels, func() (int, error) {
			l, err := c.ListProtocolTunnelJumps(ctx, &api.ListOptions{Limit: 500})
			return lenOf(l, err)
		}},
	} {
		got, err := x.get()
		if err != nil {
			return err
		}
		if got != x.want {
			return fmt.Errorf("the appliance holds %d %s, want %d", got, x.what, x.want)
		}
	}
	return nil
}

func lenOf[T any](l *api.List[T], err error) (int, error) {
	if err != nil {
		return 0, err
	}
	if l.NextCursor != "" {
		return 0, fmt.Errorf("more than one page")
	}
	return len(l.Items), nil
}

func mustCreateNS(t *testing.T, k8s client.Client, name string) {
	t.Helper()
	if err := k8s.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// waitMetrics waits until the operator serves its metrics.
func waitMetrics(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the operator serves no metrics on %s after 60 s: %v", addr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// reconcileTotal sums controller_runtime_reconcile_total over controllers and
// results.
func reconcileTotal(t *testing.T, addr string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return sumMetric(resp.Body, "controller_runtime_reconcile_total")
}

func sumMetric(r io.Reader, name string) float64 {
	var sum float64
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err == nil {
			sum += v
		}
	}
	return sum
}

// procCPU is a process's user + system CPU time so far (0 where /proc is
// missing).
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / 100 // USER_HZ
}

// repoRoot is the module root (test/bench is two levels down).
func repoRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Clean(filepath.Join(wd, "..", ".."))
}
