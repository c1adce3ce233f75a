package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/agent/agenttest"
	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
)

func sha256File(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// brokenAgentDir is an agent dir whose build for this platform is not a
// program at all, but is listed (and so signed and offered) as version.
func brokenAgentDir(t *testing.T, version string) string {
	t.Helper()
	dir := t.TempDir()
	junk := make([]byte, 64<<10)
	_, _ = rand.Read(junk)
	name := "jumpgate-agent-" + agenttest.HostPlatform()
	require.NoError(t, os.WriteFile(filepath.Join(dir, name), junk, 0o755))
	sum := sha256.Sum256(junk)
	m := map[string]any{"version": version, "builds": map[string]any{
		agenttest.HostPlatform(): map[string]any{"file": name, "sha256": hex.EncodeToString(sum[:]), "size": len(junk)},
	}}
	b, _ := json.Marshal(m)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "manifest.json"), b, 0o644))
	return dir
}

// TestJumpClient_Upgrade installs a real build of version e2e-1, then
// restarts the appliance with a build of e2e-2: the agent downloads it,
// checks its hash and signature, swaps it in and comes back as e2e-2. Then
// an appliance offering a build that cannot run leaves e2e-2 running.
func TestJumpClient_Upgrade(t *testing.T) {
	v1, v2 := agenttest.AgentDir(t, "e2e-1"), agenttest.AgentDir(t, "e2e-2")
	addr, data := freeAddr(t), t.TempDir()
	s1 := newAppliance(t, v1, appliancetest.WithAddr(addr), appliancetest.WithDataDir(data))
	in := installerFor(t, s1, &api.JumpClientInstaller{})
	file := download(t, s1, binPath(in))
	e := newEndpoint(t)
	dir := filepath.Join(e.home, "jc")
	e.started(file, dir)
	c := onlineClient(t, s1, in.InstallerID, false)
	assert.Equal(t, "e2e-1", c.AgentVersion)
	s1.Stop()

	s2 := newAppliance(t, v2, appliancetest.WithAddr(addr), appliancetest.WithDataDir(data))
	eventually(t, 90*time.Second, "agent upgraded to e2e-2", func() (bool, string) {
		got, err := s2.Admin.GetJumpClient(context.Background(), c.ID)
		if err != nil {
			return false, err.Error()
		}
		return got.Status == api.ClientOnline && got.AgentVersion == "e2e-2", got.Status + " " + got.AgentVersion
	})
	v2sum := sha256File(t, filepath.Join(v2, "jumpgate-agent-"+agenttest.HostPlatform()))
	assert.Equal(t, v2sum, sha256File(t, filepath.Join(dir, "jumpgate-agent")), "the installed binary is the e2e-2 build")
	s2.Stop()

	s3 := newAppliance(t, brokenAgentDir(t, "e2e-3"), appliancetest.WithAddr(addr), appliancetest.WithDataDir(data))
	eventually(t, 90*time.Second, "agent back, refusing the broken build", func() (bool, string) {
		log, _ := os.ReadFile(filepath.Join(dir, "agent.log"))
		got, err := s3.Admin.GetJumpClient(context.Background(), c.ID)
		if err != nil {
			return false, err.Error()
		}
		failed := strings.Contains(strings.ToLower(string(log)), "upgrade failed")
		return failed && got.Status == api.ClientOnline && got.AgentVersion == "e2e-2", fmt.Sprintf("%s %s failed=%v", got.Status, got.AgentVersion, failed)
	})
	assert.Equal(t, v2sum, sha256File(t, filepath.Join(dir, "jumpgate-agent")), "a failed upgrade keeps the old build")
	out, code := e.run(filepath.Join(dir, "init-script"), "status")
	assert.Equal(t, 0, code, out)
}

// TestJumpClient_WakeOnLAN wakes an offline client through a real online
// agent on the same network; the magic packet is caught by a UDP listener
// on loopback that the relay is pointed at.
func TestJumpClient_WakeOnLAN(t *testing.T) {
	ctx := context.Background()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	require.NoError(t, err)
	defer pc.Close()

	s := newAppliance(t, agenttest.AgentDir(t, "e2e-1"))
	in := installerFor(t, s, &api.JumpClientInstaller{})
	file := download(t, s, binPath(in))
	e := newEndpoint(t, "JUMPGATE_AGENT_WOL_ADDRS="+pc.LocalAddr().String())
	e.started(file, filepath.Join(e.home, "relay"))
	relay := onlineClient(t, s, in.InstallerID, false)
	if relay.DefaultGateway == "" {
		t.Skip("this host has no default gateway, so no client can share one")
	}

	// The target is a sleeping machine on the relay's network: enrolled,
	// never connected.
	target, _, err := s.Enroll(t, in.KeyInfo, agentproto.Facts{HostID: "sleeper", Hostname: "sleeper",
		MACAddress: "00:1a:2b:3c:4d:5e", DefaultGateway: relay.DefaultGateway}, agentproto.Overrides{})
	require.NoError(t, err)

	_, err = s.Admin.WakeJumpClient(ctx, target.ID, nil)
	assert.ErrorIs(t, err, api.ErrForbidden, "wake-on-LAN is off by default")
	_, err = s.Admin.PatchJumpClientSettings(ctx, map[string]any{"wake_on_lan_allowed": true})
	require.NoError(t, err)

	res, err := s.Admin.WakeJumpClient(ctx, target.ID, &api.WakeRequest{SecureOnPassword: "01:02:03:04:05:06"})
	require.NoError(t, err)
	assert.Equal(t, relay.ID, res.RelayID)

	require.NoError(t, pc.SetReadDeadline(time.Now().Add(10*time.Second)))
	buf := make([]byte, 256)
	n, _, err := pc.ReadFrom(buf)
	require.NoError(t, err, "the relay broadcasts a magic packet")
	mac, _ := net.ParseMAC("00:1a:2b:3c:4d:5e")
	want := bytes.Repeat([]byte{0xff}, 6)
	for range 16 {
		want = append(want, mac...)
	}
	want = append(want, 1, 2, 3, 4, 5, 6)
	assert.Equal(t, want, buf[:n])

	_, err = s.Admin.WakeJumpClient(ctx, target.ID, nil)
	var p *api.Problem
	require.ErrorAs(t, err, &p)
	assert.Equal(t, 429, p.Status, "one attempt per target per 30 seconds")

	// A client with no peer on its network cannot be woken.
	lonely, _, err := s.Enroll(t, in.KeyInfo, agentproto.Facts{HostID: "lonely", Hostname: "lonely",
		MACAddress: "00:1a:2b:3c:4d:5f", DefaultGateway: "198.51.100.77"}, agentproto.Overrides{})
	require.NoError(t, err)
	_, err = s.Admin.WakeJumpClient(ctx, lonely.ID, nil)
	assert.ErrorIs(t, err, api.ErrConflict)
}

// TestJumpoint_NodeEnrollsAndConnects installs a jumpoint's installer with
// the real agent and sees the node connected in the API.
func TestJumpoint_NodeEnrollsAndConnects(t *testing.T) {
	ctx := context.Background()
	s := newAppliance(t, agenttest.AgentDir(t, "e2e-1"))
	jp, err := s.Admin.CreateJumpoint(ctx, &api.Jumpoint{Name: "Branch office", CodeName: "branch"})
	require.NoError(t, err)
	file := download(t, s, fmt.Sprintf("%s/%d/download/%s", api.PathJumpoints, jp.ID, agenttest.HostPlatform()))
	assert.Equal(t, "jumpgate-jumpoint-branch-"+agenttest.HostPlatform()+".bin", filepath.Base(file))
	e := newEndpoint(t)

	out, code := e.install(file, "--scope", "user", "--startup", "none", "--install-dir", filepath.Join(e.home, "x"), "--jc-tag", "t")
	assert.NotEqual(t, 0, code, "a jumpoint takes no --jc-* overrides: %s", out)

	e.started(file, filepath.Join(e.home, "jp"))
	eventually(t, 20*time.Second, "jumpoint node connected", func() (bool, string) {
		got, err := s.Admin.GetJumpoint(ctx, jp.ID)
		if err != nil {
			return false, err.Error()
		}
		return got.Connected && len(got.ConnectedNodes) == 1, fmt.Sprintf("%+v", got.ConnectedNodes)
	})
	got, err := s.Admin.GetJumpoint(ctx, jp.ID)
	require.NoError(t, err)
	assert.Equal(t, "e2e-1", got.ConnectedNodes[0].Version)

	// Deleting the jumpoint retires its node, which removes itself.
	require.NoError(t, s.Admin.DeleteJumpoint(ctx, jp.ID))
	eventually(t, 20*time.Second, "node uninstalled", func() (bool, string) {
		_, err := os.Stat(filepath.Join(e.home, "jp"))
		return os.IsNotExist(err), fmt.Sprint(err)
	})
}
