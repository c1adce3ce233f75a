package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/agent/agenttest"
	"github.com/jumpgate/jumpgate/api"
)

// agentJSON is what these tests read of an install's agent.json.
type agentJSON struct {
	ID          int64           `json:"id"`
	PrivateKey  []byte          `json:"private_key"`
	Predecessor json.RawMessage `json:"predecessor"`
}

func loadAgentJSON(dir string) (*agentJSON, error) {
	b, err := os.ReadFile(filepath.Join(dir, "agent.json"))
	if err != nil {
		return nil, err
	}
	st := &agentJSON{}
	return st, json.Unmarshal(b, st)
}

// victim is a live Jump Client on a machine whose host id is known (host
// ids are no secret: a machine id anyone on the box reads, or the
// JUMPGATE_AGENT_HOST_ID of a container).
type victim struct {
	*world
	hostID string
	key    []byte // the private key in its agent.json
}

func newVictim(t *testing.T) *victim {
	t.Helper()
	s := newAppliance(t, agenttest.AgentDir(t, "e2e-1"))
	in := installerFor(t, s, &api.JumpClientInstaller{Tag: "e2e"})
	file := download(t, s, binPath(in))
	hostID := fmt.Sprintf("victim-%d", time.Now().UnixNano())
	e := newEndpoint(t, "JUMPGATE_AGENT_HOST_ID="+hostID)
	dir := filepath.Join(e.home, "jc")
	e.started(file, dir)
	c := onlineClient(t, s, in.InstallerID, false)
	st, err := loadAgentJSON(dir)
	require.NoError(t, err)
	return &victim{world: &world{s: s, e: e, dir: dir, group: in.JumpGroupID, client: c, admin: newRep(t, s, s.AdminToken)},
		hostID: hostID, key: st.PrivateKey}
}

// stillServes checks that the victim is the same client, online, with its
// key, and that a session on its item runs on the victim's machine.
func (v *victim) stillServes(t *testing.T) {
	t.Helper()
	got := clients(t, v.s)
	require.Len(t, got, 1, "no client was added")
	assert.Equal(t, v.client.ID, got[0].ID)
	eventually(t, 10*time.Second, "the victim online", func() (bool, string) {
		c, err := v.s.Admin.GetJumpClient(context.Background(), v.client.ID)
		return err == nil && c.Status == api.ClientOnline, fmt.Sprint(c, err)
	})
	st, err := loadAgentJSON(v.dir)
	require.NoError(t, err, "the victim's install is still there")
	assert.Equal(t, v.key, st.PrivateKey)
	assert.Equal(t, v.client.ID, st.ID)
	out, code := v.e.run(filepath.Join(v.dir, "init-script"), "status")
	assert.Equal(t, 0, code, "the victim's agent still runs: %s", out)
	// The session's shell is a child of the agent that serves it, whose
	// command line names its install dir.
	stdout, stderr, code := v.admin.jg("", "run", v.clientRef(), "--", "sh", "-c", `tr '\0' ' ' < /proc/$PPID/cmdline`)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, v.dir, "the session ran on the victim's agent")
}

// TestReinstall_HostIDTakeoverRefused is the attack of issue 13: an
// installer of the live client's jump group, run on another machine with
// JUMPGATE_AGENT_HOST_ID set to the client's host id. The enrollment is
// refused; the client stays connected with its key, and sessions still
// reach it.
func TestReinstall_HostIDTakeoverRefused(t *testing.T) {
	v := newVictim(t)
	in := installerFor(t, v.s, &api.JumpClientInstaller{JumpGroupID: v.group})
	file := download(t, v.s, binPath(in))
	attacker := newEndpoint(t, "JUMPGATE_AGENT_HOST_ID="+v.hostID)
	out, code := attacker.install(file, "--scope", "user", "--startup", "none", "--online-install", "--install-dir", filepath.Join(attacker.home, "jc"))
	assert.NotEqual(t, 0, code, out)
	assert.Contains(t, out, fmt.Sprintf("jump client %d", v.client.ID))
	assert.Contains(t, out, "connected now")
	v.stillServes(t)
}

// TestReinstall_HostIDTakeoverRefused_OverrideGroup: an installer of another
// jump group that may override the group, pointed at the victim's group,
// cannot reach the victim either.
func TestReinstall_HostIDTakeoverRefused_OverrideGroup(t *testing.T) {
	v := newVictim(t)
	g, err := v.s.Admin.GetJumpGroup(context.Background(), v.group)
	require.NoError(t, err)
	in := installerFor(t, v.s, &api.JumpClientInstaller{AllowOverrideJumpGroup: true})
	require.NotEqual(t, v.group, in.JumpGroupID)
	file := download(t, v.s, binPath(in))
	attacker := newEndpoint(t, "JUMPGATE_AGENT_HOST_ID="+v.hostID)
	out, code := attacker.install(file, "--scope", "user", "--startup", "none", "--online-install",
		"--install-dir", filepath.Join(attacker.home, "jc"), "--jc-jump-group", "jumpgroup:"+g.CodeName)
	assert.NotEqual(t, 0, code, out)
	assert.Contains(t, out, fmt.Sprintf("jump client %d in another jump group than installer %s", v.client.ID, in.InstallerID))
	v.stillServes(t)
}

// TestReinstall_KeepsClient: a genuine reinstall on the client's machine —
// a new installer, installed beside the old install, which holds the old
// key — stops the old agent, re-binds the same client to the new install
// and removes the old install. A machine that was wiped (no old key) is
// refused while the old client exists, with the request that removes it;
// once an administrator has removed it, the install enrolls.
func TestReinstall_KeepsClient(t *testing.T) {
	v := newVictim(t)
	ctx := context.Background()
	in := installerFor(t, v.s, &api.JumpClientInstaller{JumpGroupID: v.group, Tag: "reinstalled"})
	file := download(t, v.s, binPath(in))
	dir2 := filepath.Join(v.e.home, "jc2")
	out, code := v.e.install(file, "--scope", "user", "--startup", "none", "--online-install", "--install-dir", dir2)
	require.Equal(t, 0, code, out)
	st, err := loadAgentJSON(dir2)
	require.NoError(t, err)
	assert.Equal(t, v.client.ID, st.ID, "the same client")
	assert.Empty(t, st.Predecessor, "the old key is forgotten once enrolled")
	eventually(t, 10*time.Second, "the old install removed", func() (bool, string) {
		_, err := os.Stat(v.dir)
		return os.IsNotExist(err), fmt.Sprint(err)
	})
	out, code = v.e.run(filepath.Join(dir2, "init-script"), "start")
	require.Equal(t, 0, code, out)
	t.Cleanup(func() { v.e.run(filepath.Join(dir2, "init-script"), "stop") })
	v.dir, v.key = dir2, st.PrivateKey
	c := onlineClient(t, v.s, in.InstallerID, false)
	assert.Equal(t, v.client.ID, c.ID)
	assert.Equal(t, "reinstalled", c.Tag, "the fields come from the new installer")
	v.stillServes(t)

	// The machine is wiped: same host id, no old install.
	out, code = v.e.run(filepath.Join(dir2, "init-script"), "stop")
	require.Equal(t, 0, code, out)
	eventually(t, 10*time.Second, "offline", func() (bool, string) {
		c, err := v.s.Admin.GetJumpClient(ctx, v.client.ID)
		return err == nil && c.Status == api.ClientOffline, fmt.Sprint(c, err)
	})
	wiped := newEndpoint(t, "JUMPGATE_AGENT_HOST_ID="+v.hostID)
	out, code = wiped.install(file, "--scope", "user", "--startup", "none", "--online-install", "--install-dir", filepath.Join(wiped.home, "jc"))
	assert.NotEqual(t, 0, code, out)
	assert.Contains(t, out, fmt.Sprintf("DELETE /api/v1/jump-clients/%d", v.client.ID))
	require.Len(t, clients(t, v.s), 1)
	st, err = loadAgentJSON(dir2)
	require.NoError(t, err)
	assert.Equal(t, v.key, st.PrivateKey)

	require.NoError(t, v.s.Admin.DeleteJumpClient(ctx, v.client.ID))
	out, code = wiped.install(file, "--scope", "user", "--startup", "none", "--online-install", "--install-dir", filepath.Join(wiped.home, "jc"))
	require.Equal(t, 0, code, out)
	got := clients(t, v.s)
	require.Len(t, got, 1)
	assert.NotEqual(t, v.client.ID, got[0].ID)
}

// TestReinstall_JumpointNodeTakeoverRefused: the same attack on the one node
// of a Jumpoint that is not clustered, whose host id the nodes list shows.
// The node stays connected with its key and tunnels still go through it.
func TestReinstall_JumpointNodeTakeoverRefused(t *testing.T) {
	web := newHTTPServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "still the node") }))
	_, webPort, _ := net.SplitHostPort(strings.TrimPrefix(web, "http://"))
	port, _ := strconv.Atoi(webPort)
	w := newJumpointWorld(t, 1, "127.0.0.1", []api.TunnelDefinition{{LocalPort: 0, RemotePort: port}})
	ctx := context.Background()
	nodes, err := w.s.Admin.ListJumpointNodes(ctx, w.jp.ID)
	require.NoError(t, err)
	require.Len(t, nodes, 1)
	node := nodes[0]
	before, err := loadAgentJSON(w.nodes[0])
	require.NoError(t, err)

	file := download(t, w.s, fmt.Sprintf("%s/%d/download/%s", api.PathJumpoints, w.jp.ID, agenttest.HostPlatform()))
	attacker := newEndpoint(t, "JUMPGATE_AGENT_HOST_ID="+node.HostID)
	out, code := attacker.install(file, "--scope", "user", "--startup", "none", "--online-install", "--install-dir", filepath.Join(attacker.home, "jp"))
	assert.NotEqual(t, 0, code, out)
	assert.Contains(t, out, fmt.Sprintf("node %d of jumpoint %q, and it is connected now", node.ID, w.jp.CodeName))

	nodes, err = w.s.Admin.ListJumpointNodes(ctx, w.jp.ID)
	require.NoError(t, err)
	require.Len(t, nodes, 1)
	assert.Equal(t, node.ID, nodes[0].ID)
	assert.True(t, nodes[0].Connected, "the node stays connected")
	after, err := loadAgentJSON(w.nodes[0])
	require.NoError(t, err, "the node's install is still there")
	assert.Equal(t, before.PrivateKey, after.PrivateKey)

	addrs, _ := openTunnel(t, w.admin, fmt.Sprintf("tunnel:%d", w.item.ID))
	require.NotEmpty(t, addrs[port])
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := hc.Get("http://" + addrs[port] + "/")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "still the node", string(body))

	// Offline, the node is not taken over either; the real node's own
	// reinstall (the old install beside the new one) keeps it.
	out, code = w.endpoints[0].run(filepath.Join(w.nodes[0], "init-script"), "stop")
	require.Equal(t, 0, code, out)
	eventually(t, 10*time.Second, "the node offline", func() (bool, string) {
		got, err := w.s.Admin.GetJumpoint(ctx, w.jp.ID)
		return err == nil && len(got.ConnectedNodes) == 0, fmt.Sprint(err)
	})
	out, code = attacker.install(file, "--scope", "user", "--startup", "none", "--online-install", "--install-dir", filepath.Join(attacker.home, "jp"))
	assert.NotEqual(t, 0, code, out)
	assert.Contains(t, out, fmt.Sprintf("DELETE /api/v1/jumpoints/%d/nodes/%d", w.jp.ID, node.ID))
	dir2 := filepath.Join(w.endpoints[0].home, "jp-again")
	out, code = w.endpoints[0].install(file, "--scope", "user", "--startup", "none", "--online-install", "--install-dir", dir2)
	require.Equal(t, 0, code, out)
	st, err := loadAgentJSON(dir2)
	require.NoError(t, err)
	assert.Equal(t, node.ID, st.ID, "a reinstall keeps the node")
}

// TestReinstall_RefusedKeepsOldInstall: a reinstall that the appliance
// refuses (here: an installer of another jump group) leaves the old install
// as it was — the installer stopped the old agent to enroll, and starts it
// again when undoing the install.
func TestReinstall_RefusedKeepsOldInstall(t *testing.T) {
	v := newVictim(t)
	in := installerFor(t, v.s, &api.JumpClientInstaller{})
	require.NotEqual(t, v.group, in.JumpGroupID)
	file := download(t, v.s, binPath(in))
	dir2 := filepath.Join(v.e.home, "jc2")
	out, code := v.e.install(file, "--scope", "user", "--startup", "none", "--online-install", "--install-dir", dir2)
	assert.NotEqual(t, 0, code, out)
	assert.Contains(t, out, fmt.Sprintf("jump client %d in another jump group than installer %s", v.client.ID, in.InstallerID))
	assert.NoDirExists(t, dir2)
	v.stillServes(t)
}
