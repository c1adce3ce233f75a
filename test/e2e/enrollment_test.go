package e2e

import (
	"fmt"
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

// TestJumpClient_SecondInstallOtherGroupFails is the silent second install
// of issue 14: a host with a Jump Client of one jump group runs the
// installer of another group, without --online-install. The appliance
// can be reached, so the installer enrolls and fails with the appliance's
// reason and a non-zero exit, and leaves nothing installed; the first
// client, which the installer stopped to replace it (beside it in the same
// parent dir), is started again and still serves.
func TestJumpClient_SecondInstallOtherGroupFails(t *testing.T) {
	v := newVictim(t)
	in := installerFor(t, v.s, &api.JumpClientInstaller{})
	require.NotEqual(t, v.group, in.JumpGroupID)
	file := download(t, v.s, binPath(in))
	want := fmt.Sprintf("the appliance refused the enrollment: this host already has jump client %d in another jump group than installer %s's", v.client.ID, in.InstallerID)

	t.Run("beside the first install", func(t *testing.T) {
		dir2 := filepath.Join(v.e.home, "jc2")
		out, code := v.e.install(file, "--scope", "user", "--startup", "none", "--install-dir", dir2)
		assert.Equal(t, 1, code, out)
		assert.Contains(t, out, want)
		assert.NotContains(t, out, "Installed the Jumpgate")
		assert.NoDirExists(t, dir2)
		v.stillServes(t)
		out, code = v.e.run(filepath.Join(v.dir, "init-script"), "status")
		assert.Equal(t, 0, code, out)
		assert.Contains(t, out, fmt.Sprintf("enrolled: jump client %d (%q) of %s", v.client.ID, v.client.Name, v.s.URL))
	})
	t.Run("another user's install on the same host", func(t *testing.T) {
		// Another HOME, so the first install is not found to replace: the
		// appliance refuses all the same.
		other := newEndpoint(t, "JUMPGATE_AGENT_HOST_ID="+v.hostID)
		dir := filepath.Join(other.home, "jc")
		out, code := other.install(file, "--scope", "user", "--startup", "none", "--install-dir", dir)
		assert.Equal(t, 1, code, out)
		assert.Contains(t, out, want)
		assert.NoDirExists(t, dir)
		v.stillServes(t)
	})
}

// TestJumpClient_StatusOfARefusedEnrollment: an install made while the
// appliance is down says that it is offline and that the agent enrolls when
// it first runs. Its init-script status says it is not enrolled and why:
// first that the appliance could not be reached, then, once the appliance
// is back and refuses (the host has a client in another jump group), the
// appliance's message and when, with a non-zero exit while the agent runs.
func TestJumpClient_StatusOfARefusedEnrollment(t *testing.T) {
	agents := agenttest.AgentDir(t, "e2e-1")
	addr, data := freeAddr(t), t.TempDir()
	s1 := newAppliance(t, agents, appliancetest.WithAddr(addr), appliancetest.WithDataDir(data))
	first := installerFor(t, s1, &api.JumpClientInstaller{})
	hostID := fmt.Sprintf("status-%d", time.Now().UnixNano())
	e := newEndpoint(t, "JUMPGATE_AGENT_HOST_ID="+hostID)
	e.started(download(t, s1, binPath(first)), filepath.Join(e.home, "jc"))
	c := onlineClient(t, s1, first.InstallerID, false)
	in := installerFor(t, s1, &api.JumpClientInstaller{})
	file := download(t, s1, binPath(in))
	s1.Stop()

	dir := filepath.Join(e.home, "jc2")
	script := filepath.Join(dir, "init-script")
	out, code := e.install(file, "--scope", "user", "--startup", "none", "--install-dir", dir)
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "Not enrolled: could not enroll with the appliance now (cannot reach the appliance at https://"+addr)
	assert.Contains(t, out, "This is an offline install: the agent enrolls when it first runs")
	out, code = e.run(script, "status")
	assert.Equal(t, 3, code, out)
	assert.Contains(t, out, "stopped\nnot enrolled: the last attempt, at ")
	assert.Contains(t, out, "cannot reach the appliance at https://"+addr)

	out, code = e.run(script, "start")
	require.Equal(t, 0, code, out)
	t.Cleanup(func() { e.run(script, "stop") })
	s2 := newAppliance(t, agents, appliancetest.WithAddr(addr), appliancetest.WithDataDir(data))
	// Restarting tries at once rather than after the unreachable backoff.
	out, code = e.run(script, "restart")
	require.Equal(t, 0, code, out)
	want := fmt.Sprintf("this host already has jump client %d in another jump group than installer %s's", c.ID, in.InstallerID)
	eventually(t, 30*time.Second, "status reports the refusal", func() (bool, string) {
		out, code = e.run(script, "status")
		return strings.Contains(out, want), out
	})
	assert.Equal(t, 1, code, "running but not enrolled: %s", out)
	assert.True(t, strings.HasPrefix(out, "running (pid "), out)
	assert.Contains(t, out, "not enrolled: the appliance refused the enrollment at ")
	assert.Contains(t, out, "(409 Conflict): "+want)
	assert.Contains(t, out, "next attempt at ")
	assert.Len(t, clients(t, s2), 1, "no client was added")
}

// TestJumpClient_ReinstallEnrollsAtInstall: a genuine reinstall beside the
// old install, without --online-install, enrolls during the install with
// the old key's proof: the same client, the old install removed, as when
// the agent enrolled at its first start.
func TestJumpClient_ReinstallEnrollsAtInstall(t *testing.T) {
	v := newVictim(t)
	in := installerFor(t, v.s, &api.JumpClientInstaller{JumpGroupID: v.group, Tag: "reinstalled"})
	file := download(t, v.s, binPath(in))
	dir2 := filepath.Join(v.e.home, "jc2")
	out, code := v.e.install(file, "--scope", "user", "--startup", "none", "--install-dir", dir2)
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, fmt.Sprintf("Enrolled with %s as %q (id %d).", v.s.URL, v.client.Name, v.client.ID))
	assert.NotContains(t, out, "offline install")
	st, err := loadAgentJSON(dir2)
	require.NoError(t, err)
	assert.Equal(t, v.client.ID, st.ID, "the same client")
	assert.Empty(t, st.Predecessor, "the old key is forgotten once enrolled")
	assert.NoDirExists(t, v.dir, "the replaced install is removed")
	out, code = v.e.run(filepath.Join(dir2, "init-script"), "start")
	require.Equal(t, 0, code, out)
	t.Cleanup(func() { v.e.run(filepath.Join(dir2, "init-script"), "stop") })
	v.dir, v.key = dir2, st.PrivateKey
	v.stillServes(t)
}
