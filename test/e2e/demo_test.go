package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/agent/agenttest"
)

// TestDemo runs hack/demo.sh, the script behind `make demo`, with binaries
// built here instead of `make build`: the appliance, the CLI, the Terraform
// provider, and the host's agent build with its manifest. It checks that
// every step reports success and that nothing is left behind: the script's
// temporary directory and its processes.
func TestDemo(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("make demo runs on Linux")
	}
	for _, tool := range []string{"bash", "terraform", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not on PATH: %v", tool, err)
		}
	}
	root := moduleRoot(t)
	const version = "e2e-1"
	bin := t.TempDir()
	for _, c := range []struct{ pkg, name string }{{"./appliance", "jumpgate-appliance"}, {"./provider", "terraform-provider-jumpgate"}} {
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-X github.com/jumpgate/jumpgate/api.Version="+version,
			"-o", filepath.Join(bin, c.name), c.pkg)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "go build %s\n%s", c.pkg, out)
	}
	require.NoError(t, os.Symlink(cliBinary(t), filepath.Join(bin, "jumpgate")))
	agents := agenttest.AgentDir(t, version)

	tmp := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(root, "hack", "demo.sh"))
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "JUMPGATE_DEMO_BIN_DIR="+bin, "JUMPGATE_DEMO_AGENT_DIR="+agents, "TMPDIR="+tmp)
	// On a timeout, SIGTERM lets the script clean up what it started (as
	// Ctrl-C does) before it is killed.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = time.Minute
	start := time.Now()
	b, err := cmd.CombinedOutput()
	out := string(b)
	require.NoError(t, err, "hack/demo.sh:\n%s", out)
	t.Logf("hack/demo.sh took %s", time.Since(start).Round(time.Second))

	for _, want := range []string{
		"ok: started the appliance at https://127.0.0.1:",
		"ok: started ", // the web server
		"ok: terraform apply created ",
		"ok: terraform plan -detailed-exitcode found no changes after the apply",
		"ok: downloaded the Jump Client and Jumpoint installers the configuration made and installed both in user mode",
		"is online and the Jumpoint's node is connected",
		"terraform plan still shows no changes",
		"ok: jumpgate run client:demo-endpoint -- uname -a printed: Linux",
		"Hello through the Jumpoint!",
		"ok: fetched the page from 127.0.0.1:",
		"terraform destroy removed all ",
		"ok: stopped the web server and the appliance",
		"==> Jumpgate demo: done in ",
	} {
		assert.Contains(t, out, want)
	}
	assert.NotContains(t, out, "FAILED")
	// Every resource of the quickstart was created and destroyed.
	created := regexp.MustCompile(`terraform apply created (\d+) resources`).FindStringSubmatch(out)
	destroyed := regexp.MustCompile(`terraform destroy removed all (\d+) resources`).FindStringSubmatch(out)
	if assert.NotNil(t, created) && assert.NotNil(t, destroyed) {
		assert.Equal(t, created[1], destroyed[1])
		n, _ := strconv.Atoi(created[1])
		assert.GreaterOrEqual(t, n, 6, "group, two policies, jumpoint, installer, tunnel jump")
	}

	// Nothing is left: the temporary directory is gone and the appliance has
	// exited (the agents uninstalled themselves, which the script checked).
	left, err := os.ReadDir(tmp)
	require.NoError(t, err)
	var names []string
	for _, e := range left {
		names = append(names, e.Name())
	}
	assert.Empty(t, names, "hack/demo.sh left files in TMPDIR")
	if m := regexp.MustCompile(`database \(pid (\d+)\)`).FindStringSubmatch(out); assert.NotNil(t, m) {
		pid, _ := strconv.Atoi(m[1])
		assert.ErrorIs(t, syscall.Kill(pid, 0), syscall.ESRCH, "the appliance (pid %d) still runs", pid)
	}
	assert.False(t, strings.Contains(out, "kept "), "the temporary directory was kept")
}
