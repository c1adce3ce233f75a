//go:build linux

package bench

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jumpgate/jumpgate/agent/agenttest"
	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
)

// jumpgateWorld is the product under test, as test/e2e assembles it: the
// appliance in this process (real TLS on loopback), Jumpoint nodes and a
// Jump Client installed from the appliance's installers with the real
// jumpgate-agent into temporary dirs, and the real jumpgate CLI binary.
type jumpgateWorld struct {
	t      *testing.T
	acct   *procAccount
	s      *appliancetest.Server
	cli    string
	cliEnv []string
	group  int64
	client *api.JumpClient
	wire   string // the appliance's TLS version and cipher suite
}

func newJumpgateWorld(t *testing.T, acct *procAccount) *jumpgateWorld {
	t.Helper()
	w := &jumpgateWorld{t: t, acct: acct}
	var wg sync.WaitGroup
	var buildErr error
	wg.Add(1)
	go func() { defer wg.Done(); w.cli, buildErr = buildCLI(t) }()
	w.s = appliancetest.NewServer(t, appliancetest.WithAgentDir(agenttest.AgentDir(t, "bench-1")))
	wg.Wait()
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	home := t.TempDir()
	w.cliEnv = append(os.Environ(), "HOME="+home, "JUMPGATE_CONFIG_DIR="+filepath.Join(home, "cfg"),
		api.EnvURL+"="+w.s.URL, api.EnvToken+"="+w.s.AdminToken, api.EnvCACert+"="+w.s.CAFile,
		"NO_PROXY=*", "HTTPS_PROXY=", "https_proxy=", acct.env(roleCLI))
	g, err := w.s.Admin.CreateJumpGroup(context.Background(), &api.JumpGroup{Name: "Bench", CodeName: "bench"})
	if err != nil {
		t.Fatalf("create jump group: %v", err)
	}
	w.group = g.ID
	w.wire = w.tlsFacts()
	return w
}

// buildCLI builds ./cli into a temporary directory.
func buildCLI(t *testing.T) (string, error) {
	root, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	bin := filepath.Join(t.TempDir(), "jumpgate")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, "./cli")
	cmd.Dir = filepath.Dir(strings.TrimSpace(string(root)))
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cli: %w\n%s", err, out)
	}
	return bin, nil
}

// tlsFacts names the TLS version and cipher suite the appliance negotiates.
func (w *jumpgateWorld) tlsFacts() string {
	resp, err := w.s.HTTPClient(w.t).Get(w.s.URL + "/healthz")
	if err != nil {
		return "?"
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.TLS == nil {
		return "?"
	}
	return tls.VersionName(resp.TLS.Version) + " " + tls.CipherSuiteName(resp.TLS.CipherSuite)
}

// download saves an installer from the appliance.
func (w *jumpgateWorld) download(path string) string {
	w.t.Helper()
	var buf bytes.Buffer
	name, err := w.s.Admin.Download(context.Background(), path, &buf)
	if err != nil {
		w.t.Fatalf("download %s: %v", path, err)
	}
	file := filepath.Join(w.t.TempDir(), name)
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		w.t.Fatal(err)
	}
	return file
}

// install installs an installer file as a machine of its own (a HOME and a
// host id of its own) with --scope user --startup none, starts the agent
// with its init-script and stops it when the test ends.
func (w *jumpgateWorld) install(file, name, role string, args ...string) {
	w.t.Helper()
	home := w.t.TempDir()
	env := append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_DATA_HOME="+filepath.Join(home, ".local", "share"), "HTTPS_PROXY=", "https_proxy=", "NO_PROXY=*",
		"JUMPGATE_AGENT_SHELL=/bin/sh", "JUMPGATE_AGENT_HOST_ID=bench-"+name, w.acct.env(role))
	dir := filepath.Join(home, name)
	run := func(name string, args ...string) {
		w.t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Env, cmd.Dir = env, home
		if out, err := cmd.CombinedOutput(); err != nil {
			w.t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
	}
	run("sh", append([]string{file, "--scope", "user", "--startup", "none", "--install-dir", dir}, args...)...)
	run(filepath.Join(dir, "init-script"), "start")
	w.t.Cleanup(func() {
		cmd := exec.Command(filepath.Join(dir, "init-script"), "stop")
		cmd.Env, cmd.Dir = env, home
		_ = cmd.Run()
	})
}

// tunnelJump makes a Jumpoint with one node, installed and connected
// (through proxy when given, so that only its connection to the appliance
// takes that path), and a Protocol Tunnel Jump through it to 127.0.0.1 on
// ports.
func (w *jumpgateWorld) tunnelJump(name string, ports []int, proxy string) *api.ProtocolTunnelJump {
	w.t.Helper()
	ctx := context.Background()
	jp, err := w.s.Admin.CreateJumpoint(ctx, &api.Jumpoint{Name: "Bench " + name, CodeName: "bench-" + name, ProtocolTunnelEnabled: true})
	if err != nil {
		w.t.Fatalf("create jumpoint: %v", err)
	}
	defs := make([]api.TunnelDefinition, len(ports))
	for i, p := range ports {
		defs[i] = api.TunnelDefinition{RemotePort: p}
	}
	item, err := w.s.Admin.CreateProtocolTunnelJump(ctx, &api.ProtocolTunnelJump{Name: "bench " + name, JumpointID: jp.ID,
		Hostname: "127.0.0.1", TunnelDefinitions: defs, JumpGroupID: w.group})
	if err != nil {
		w.t.Fatalf("create protocol tunnel jump: %v", err)
	}
	file := w.download(fmt.Sprintf("%s/%d/download/%s", api.PathJumpoints, jp.ID, agenttest.HostPlatform()))
	var args []string
	if proxy != "" {
		args = append(args, "--proxy", proxy)
	}
	w.install(file, "node-"+name, roleNode, args...)
	poll(w.t, 30*time.Second, "jumpoint node "+name+" connected", func() (bool, string) {
		got, err := w.s.Admin.GetJumpoint(ctx, jp.ID)
		if err != nil {
			return false, err.Error()
		}
		return len(got.ConnectedNodes) == 1, fmt.Sprintf("%d nodes", len(got.ConnectedNodes))
	})
	return item
}

// jumpClient installs a Jump Client and waits until it is online.
func (w *jumpgateWorld) jumpClient() {
	w.t.Helper()
	ctx := context.Background()
	in, err := w.s.Admin.CreateJumpClientInstaller(ctx, &api.JumpClientInstaller{JumpGroupID: w.group, Tag: "bench"})
	if err != nil {
		w.t.Fatalf("create jump client installer: %v", err)
	}
	w.install(w.download(fmt.Sprintf("%s/%d/download/%s", api.PathJumpClientInstallers, in.ID, agenttest.HostPlatform())), "client", roleClient)
	poll(w.t, 30*time.Second, "jump client online", func() (bool, string) {
		l, err := w.s.Admin.ListJumpClients(ctx, nil)
		if err != nil {
			return false, err.Error()
		}
		for _, c := range l.Items {
			if c.InstallerID == in.InstallerID && c.Status == api.ClientOnline {
				w.client = &c
				return true, ""
			}
		}
		return false, fmt.Sprintf("%d clients", len(l.Items))
	})
}

var tunnelLine = regexp.MustCompile(`(?m)^(127\.\d+\.\d+\.\d+):(\d+) -> (\S+):(\d+)$`)

// tunnel runs `jumpgate tunnel tunnel:<id>` until the test ends and
// returns the local address of each remote port.
func (w *jumpgateWorld) tunnel(item *api.ProtocolTunnelJump) map[int]string {
	w.t.Helper()
	cmd := exec.Command(w.cli, "tunnel", fmt.Sprintf("tunnel:%d", item.ID))
	cmd.Env = w.cliEnv
	out, errb := &syncBuffer{}, &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, errb
	if err := cmd.Start(); err != nil {
		w.t.Fatalf("jumpgate tunnel: %v", err)
	}
	w.t.Cleanup(func() { stopProcess(cmd) })
	addrs := map[int]string{}
	poll(w.t, 30*time.Second, "jumpgate tunnel listening", func() (bool, string) {
		for _, m := range tunnelLine.FindAllStringSubmatch(out.String(), -1) {
			port, _ := strconv.Atoi(m[4])
			addrs[port] = m[1] + ":" + m[2]
		}
		return len(addrs) == len(item.TunnelDefinitions), out.String() + errb.String()
	})
	return addrs
}

// runEcho runs `jumpgate run client:<id> -- echo x` and returns the time
// to the line x on stdout and to the command's end.
func (w *jumpgateWorld) runEcho() (firstOutput, exit time.Duration, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, w.cli, "run", fmt.Sprintf("client:%d", w.client.ID), "--", "echo", runOutputLine)
	cmd.Env = w.cliEnv
	return timeEcho(cmd)
}

// timeEcho starts cmd, which prints the line x, and returns the time to
// that line and to the command's end.
func timeEcho(cmd *exec.Cmd) (firstOutput, exit time.Duration, err error) {
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 0, 0, err
	}
	errb := &syncBuffer{}
	cmd.Stderr = errb
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if sc.Text() == runOutputLine && firstOutput == 0 {
			firstOutput = time.Since(start)
		}
	}
	err = cmd.Wait()
	exit = time.Since(start)
	if err == nil && firstOutput == 0 {
		err = errors.New("no line " + runOutputLine + " on stdout")
	}
	if err != nil {
		return 0, 0, fmt.Errorf("%s: %w: %s", filepath.Base(cmd.Path), err, lastLines(errb.String(), 3))
	}
	return firstOutput, exit, nil
}

// poll checks cond every 100 ms until it holds, failing the test after
// within.
func poll(t *testing.T, within time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s; last state: %s", what, within, state)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// syncBuffer is a bytes.Buffer safe for a writing process and a reading
// test.
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
