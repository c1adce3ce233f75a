// Package e2e drives whole capabilities across components with the real
// parts: the appliance (in process, over TLS), installers downloaded from it,
// and jumpgate-agent binaries installed into temporary dirs and run as
// processes.
package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/agent/agenttest"
	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
)

// endpoint is one simulated endpoint: a HOME of its own, so installs never
// touch the real user's files.
type endpoint struct {
	t    *testing.T
	home string
	env  []string
}

func newEndpoint(t *testing.T, extraEnv ...string) *endpoint {
	home := t.TempDir()
	env := append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_DATA_HOME="+filepath.Join(home, ".local", "share"), "HTTPS_PROXY=", "https_proxy=", "NO_PROXY=*",
		// Session shells: not this machine's root profile (which may run
		// slow tools such as pyenv), the same on every machine.
		"JUMPGATE_AGENT_SHELL=/bin/sh")
	return &endpoint{t: t, home: home, env: append(env, extraEnv...)}
}

// run runs a command on the endpoint and returns its combined output and
// exit code.
func (e *endpoint) run(name string, args ...string) (string, int) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = e.env
	cmd.Dir = e.home
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return out.String(), 0
	case errors.As(err, &ee):
		return out.String(), ee.ExitCode()
	default:
		e.t.Fatalf("run %s: %v\n%s", name, err, out.String())
		return "", -1
	}
}

// install runs an installer file with args and returns output and code.
func (e *endpoint) install(file string, args ...string) (string, int) {
	e.t.Helper()
	return e.run("sh", append([]string{file}, args...)...)
}

// started installs into dir with --scope user --startup none, starts the
// agent with init-script, and stops it when the test ends.
func (e *endpoint) started(file, dir string, args ...string) {
	e.t.Helper()
	out, code := e.install(file, append([]string{"--scope", "user", "--startup", "none", "--install-dir", dir}, args...)...)
	require.Equal(e.t, 0, code, out)
	out, code = e.run(filepath.Join(dir, "init-script"), "start")
	require.Equal(e.t, 0, code, out)
	e.t.Cleanup(func() {
		if _, err := os.Stat(dir); err == nil {
			e.run(filepath.Join(dir, "init-script"), "stop")
		}
	})
}

func newAppliance(t *testing.T, agentDir string, opts ...appliancetest.Option) *appliancetest.Server {
	return appliancetest.NewServer(t, append([]appliancetest.Option{appliancetest.WithAgentDir(agentDir)}, opts...)...)
}

func download(t *testing.T, s *appliancetest.Server, path string) string {
	t.Helper()
	var buf bytes.Buffer
	name, err := s.Admin.Download(context.Background(), path, &buf)
	require.NoError(t, err)
	require.NotEmpty(t, name)
	file := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(file, buf.Bytes(), 0o644))
	return file
}

func installerFor(t *testing.T, s *appliancetest.Server, in *api.JumpClientInstaller) *api.JumpClientInstaller {
	t.Helper()
	ctx := context.Background()
	if in.JumpGroupID == 0 {
		g, err := s.Admin.CreateJumpGroup(ctx, &api.JumpGroup{Name: "Servers", CodeName: fmt.Sprintf("servers-%d", time.Now().UnixNano())})
		require.NoError(t, err)
		in.JumpGroupID = g.ID
	}
	out, err := s.Admin.CreateJumpClientInstaller(ctx, in)
	require.NoError(t, err)
	return out
}

func binPath(in *api.JumpClientInstaller) string {
	return fmt.Sprintf("%s/%d/download/%s", api.PathJumpClientInstallers, in.ID, agenttest.HostPlatform())
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(within)
	last := ""
	for time.Now().Before(deadline) {
		ok, state := cond()
		if ok {
			return
		}
		last = state
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: not within %s; last state: %s", what, within, last)
}

func clients(t *testing.T, s *appliancetest.Server) []api.JumpClient {
	t.Helper()
	l, err := s.Admin.ListJumpClients(context.Background(), nil)
	require.NoError(t, err)
	return l.Items
}

func onlineClient(t *testing.T, s *appliancetest.Server, installerID string, withStats bool) api.JumpClient {
	t.Helper()
	var got api.JumpClient
	eventually(t, 20*time.Second, "client online", func() (bool, string) {
		for _, c := range clients(t, s) {
			if c.InstallerID == installerID && c.Status == api.ClientOnline && (!withStats || c.Statistics != nil) {
				got = c
				return true, ""
			}
		}
		return false, fmt.Sprintf("%+v", clients(t, s))
	})
	return got
}

// TestJumpClient_InstallConnectReportDelete is the README's path: create an
// installer, download the Linux .bin, install it as a user without a
// startup hook, start it with init-script, see it online with statistics,
// then delete it in the API and see it remove itself from the endpoint.
func TestJumpClient_InstallConnectReportDelete(t *testing.T) {
	s := newAppliance(t, agenttest.AgentDir(t, "e2e-1"))
	in := installerFor(t, s, &api.JumpClientInstaller{Name: "", Tag: "servers", AllowOverrideName: true})
	file := download(t, s, binPath(in))
	assert.Equal(t, "jumpgate-jc-"+in.InstallerID+"-"+agenttest.HostPlatform()+".bin", filepath.Base(file))

	e := newEndpoint(t)
	dir := filepath.Join(e.home, "jc")
	e.started(file, dir, "--jc-name", "web-01")
	for _, f := range []string{"jumpgate-agent", "init-script", "uninstall", "agent.json"} {
		assert.FileExists(t, filepath.Join(dir, f))
	}
	c := onlineClient(t, s, in.InstallerID, true)
	assert.Equal(t, "web-01", c.Name)
	assert.Equal(t, "servers", c.Tag)
	assert.Equal(t, api.InstallUser, c.InstallMode)
	assert.Equal(t, "e2e-1", c.AgentVersion)
	assert.NotEmpty(t, c.Hostname)
	assert.NotEmpty(t, c.PrivateIP)
	require.NotNil(t, c.Statistics)
	assert.NotNil(t, c.Statistics.UptimeSeconds, "uptime is a default statistic")
	assert.NotNil(t, c.Statistics.DiskTotalBytes, "disk is a default statistic")
	require.NotNil(t, c.LastConnectAt)

	out, code := e.run(filepath.Join(dir, "init-script"), "status")
	assert.Equal(t, 0, code, out)

	// The CLI's table shows the statistics the client reported.
	admin := newRep(t, s, s.AdminToken)
	eventually(t, 30*time.Second, "CPU and uptime in jumpgate clients list", func() (bool, string) {
		c := onlineClient(t, s, in.InstallerID, true)
		if c.Statistics.CPUPercent == nil || c.Statistics.UptimeSeconds == nil {
			return false, "the client has not reported CPU and uptime yet"
		}
		table, errOut, code := admin.jg("", "clients", "list")
		require.Equal(t, 0, code, errOut)
		lines := strings.Split(strings.TrimSpace(table), "\n")
		require.Len(t, lines, 2, table)
		cols := strings.Fields(lines[0])
		cells := map[string]string{}
		row := lines[1]
		// Columns are left-aligned: each cell starts where its header does.
		for i, h := range cols {
			start := strings.Index(lines[0], h)
			end := len(row)
			if i+1 < len(cols) {
				end = min(strings.Index(lines[0], cols[i+1]), len(row))
			}
			if start < len(row) {
				cells[h] = strings.TrimSpace(row[start:end])
			}
		}
		want := fmt.Sprintf("%.0f%%", *c.Statistics.CPUPercent)
		up := (time.Duration(*c.Statistics.UptimeSeconds) * time.Second).Round(time.Minute).String()
		return cells["CPU"] == want && cells["UPTIME"] == up, fmt.Sprintf("want CPU %s UPTIME %s in\n%s", want, up, table)
	})

	// An edit reaches the agent; a delete makes it uninstall itself.
	_, err := s.Admin.PatchJumpClient(context.Background(), c.ID, map[string]any{"comments": "rack 4"})
	require.NoError(t, err)
	require.NoError(t, s.Admin.DeleteJumpClient(context.Background(), c.ID))
	eventually(t, 20*time.Second, "install dir removed", func() (bool, string) {
		_, err := os.Stat(dir)
		return os.IsNotExist(err), fmt.Sprint(err)
	})
	assert.Empty(t, clients(t, s))
}

// TestInstaller_Refusals runs the real installer through each failure path
// and checks that it exits non-zero with a message naming the problem and
// leaves nothing behind.
func TestInstaller_Refusals(t *testing.T) {
	agents := agenttest.AgentDir(t, "e2e-1")
	s := newAppliance(t, agents)
	ctx := context.Background()
	in := installerFor(t, s, &api.JumpClientInstaller{AllowOverrideName: true})
	file := download(t, s, binPath(in))
	generic := download(t, s, "installers/generic/"+agenttest.HostPlatform())
	assert.Equal(t, "jumpgate-jc-generic-"+agenttest.HostPlatform()+".bin", filepath.Base(generic))
	e := newEndpoint(t)

	refused := func(t *testing.T, dir string, file string, want string, args ...string) {
		t.Helper()
		out, code := e.install(file, append([]string{"--scope", "user", "--startup", "none", "--install-dir", dir}, args...)...)
		assert.NotEqual(t, 0, code, out)
		assert.Contains(t, out, want)
	}
	gone := func(t *testing.T, dir string) {
		t.Helper()
		_, err := os.Stat(dir)
		assert.True(t, os.IsNotExist(err), "%s must not exist: %v", dir, err)
	}

	t.Run("disallowed override", func(t *testing.T) {
		dir := filepath.Join(e.home, "override")
		refused(t, dir, file, "--jc-tag", "--jc-tag", "db")
		gone(t, dir)
	})
	t.Run("tampered key info", func(t *testing.T) {
		ki := in.KeyInfo
		i := len("jgk1.") + 10
		tampered := ki[:i] + string(flip(ki[i])) + ki[i+1:]
		dir := filepath.Join(e.home, "tampered")
		refused(t, dir, generic, "altered", "--key-info", tampered)
		gone(t, dir)
	})
	t.Run("key info of another appliance", func(t *testing.T) {
		other := appliancetest.NewServer(t)
		oin, err := other.Admin.CreateJumpClientInstaller(ctx, &api.JumpClientInstaller{JumpGroupID: mustGroup(t, other)})
		require.NoError(t, err)
		dir := filepath.Join(e.home, "forged")
		refused(t, dir, generic, "not issued by this appliance", "--key-info", oin.KeyInfo)
		gone(t, dir)
	})
	t.Run("expired key info", func(t *testing.T) {
		exp := installerFor(t, s, &api.JumpClientInstaller{})
		// Shorten the installer's life in the store (the API's minimum is
		// 10 minutes), then take the key info signed with that expiry.
		require.NoError(t, s.App.DB.W.Exec("UPDATE jump_client_installers SET expires_at = ? WHERE id = ?", time.Now().Add(1500*time.Millisecond).UTC(), exp.ID).Error)
		var ki api.InstallerKeyInfo
		_, err := s.Admin.Do(ctx, "GET", fmt.Sprintf("%s/%d/key-info", api.PathJumpClientInstallers, exp.ID), nil, nil, &ki)
		require.NoError(t, err)
		eventually(t, 5*time.Second, "key info expires", func() (bool, string) { return time.Now().After(ki.ExpiresAt), "" })
		dir := filepath.Join(e.home, "expired")
		refused(t, dir, generic, "expired", "--key-info", ki.KeyInfo)
		gone(t, dir)
		// And the appliance no longer serves it.
		_, err = s.Admin.Download(ctx, binPath(exp), &bytes.Buffer{})
		assert.ErrorIs(t, err, api.ErrGone)
	})
	t.Run("existing install dir", func(t *testing.T) {
		dir := filepath.Join(e.home, "existing")
		require.NoError(t, os.MkdirAll(dir, 0o755))
		marker := filepath.Join(dir, "keep-me")
		require.NoError(t, os.WriteFile(marker, []byte("x"), 0o644))
		refused(t, dir, file, "exists")
		assert.FileExists(t, marker, "an existing dir is left untouched")
	})
	t.Run("online install without an appliance", func(t *testing.T) {
		down := newAppliance(t, agents)
		din := installerFor(t, down, &api.JumpClientInstaller{})
		dfile := download(t, down, binPath(din))
		down.Stop()
		dir := filepath.Join(e.home, "offline")
		start := time.Now()
		refused(t, dir, dfile, "cannot reach the appliance", "--online-install")
		assert.Less(t, time.Since(start), 30*time.Second, "fails at once, not after retrying")
		gone(t, dir)
	})
	t.Run("online install with an appliance", func(t *testing.T) {
		dir := filepath.Join(e.home, "online")
		out, code := e.install(file, "--scope", "user", "--startup", "none", "--install-dir", dir, "--online-install", "--jc-name", "online-01")
		require.Equal(t, 0, code, out)
		found := false
		for _, c := range clients(t, s) {
			found = found || c.Name == "online-01"
		}
		assert.True(t, found, "an online install has enrolled before it returns")
	})
}

// TestJumpClient_LocalUninstall checks restrict_local_uninstall and the
// uninstalled behaviour.
func TestJumpClient_LocalUninstall(t *testing.T) {
	s := newAppliance(t, agenttest.AgentDir(t, "e2e-1"))
	ctx := context.Background()
	in := installerFor(t, s, &api.JumpClientInstaller{})
	file := download(t, s, binPath(in))
	e := newEndpoint(t)
	dir := filepath.Join(e.home, "jc")
	e.started(file, dir)
	c := onlineClient(t, s, in.InstallerID, false)

	// Deleting the installer leaves the clients it made.
	require.NoError(t, s.Admin.DeleteJumpClientInstaller(ctx, in.ID))
	_, err := s.Admin.GetJumpClient(ctx, c.ID)
	require.NoError(t, err)

	_, err = s.Admin.PatchJumpClientSettings(ctx, map[string]any{"restrict_local_uninstall": true})
	require.NoError(t, err)
	out, code := e.run(filepath.Join(dir, "uninstall"))
	assert.NotEqual(t, 0, code, out)
	assert.Contains(t, out, "restrict")
	assert.DirExists(t, dir)

	_, err = s.Admin.PatchJumpClientSettings(ctx, map[string]any{"restrict_local_uninstall": false})
	require.NoError(t, err)
	out, code = e.run(filepath.Join(dir, "uninstall"))
	require.Equal(t, 0, code, out)
	_, err = os.Stat(dir)
	assert.True(t, os.IsNotExist(err), "uninstall removes the install dir")
	got, err := s.Admin.GetJumpClient(ctx, c.ID)
	require.NoError(t, err)
	assert.Equal(t, api.ClientUninstalled, got.Status, "uninstalled_behavior keep marks it uninstalled")
}

func mustGroup(t *testing.T, s *appliancetest.Server) int64 {
	t.Helper()
	g, err := s.Admin.CreateJumpGroup(context.Background(), &api.JumpGroup{Name: "G", CodeName: fmt.Sprintf("g-%d", time.Now().UnixNano())})
	require.NoError(t, err)
	return g.ID
}

func flip(b byte) byte {
	if b == 'A' {
		return 'B'
	}
	return 'A'
}

// freeAddr returns a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

var _ = strings.TrimSpace
