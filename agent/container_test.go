package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/agent/agenttest"
	"github.com/jumpgate/jumpgate/agent/internal/state"
	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/keyinfo"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
)

// agentProcess is `jumpgate-agent run` running in the background, as a
// container's entry point.
type agentProcess struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	done   chan struct{}
}

// startRun starts the test build with `run args...` and env added to the
// endpoint's environment; the test's end stops it.
func (e *endpoint) startRun(env []string, args ...string) *agentProcess {
	e.t.Helper()
	cmd := exec.Command(agentBuild, append([]string{"run"}, args...)...)
	cmd.Env = append(append([]string{}, e.env...), env...)
	cmd.Dir = e.home
	p := &agentProcess{cmd: cmd, stderr: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.stderr, p.stderr
	require.NoError(e.t, cmd.Start())
	go func() { _ = cmd.Wait(); close(p.done) }()
	e.t.Cleanup(func() { p.stop(e.t) })
	return p
}

// stop sends SIGTERM, as a container runtime does, and returns the exit
// code; the process is killed if it does not exit within 10 s.
func (p *agentProcess) stop(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
	default:
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
			t.Errorf("the agent did not stop within 10 s of SIGTERM:\n%s", p.stderr)
		}
	}
	return p.cmd.ProcessState.ExitCode()
}

// connectedNodes returns the host names of a jumpoint's connected nodes.
func connectedNodes(t *testing.T, s *appliancetest.Server, id int64) []string {
	t.Helper()
	j, err := s.Admin.GetJumpoint(context.Background(), id)
	require.NoError(t, err)
	var out []string
	for _, n := range j.ConnectedNodes {
		out = append(out, n.Hostname+"@"+n.Version)
	}
	return out
}

// TestRun_KeyInfoFile_Jumpoint runs two nodes of a clustered jumpoint the
// way its containers do: `run --dir <empty> --key-info-file <secret>` with
// key info from GET /jumpoints/{id}/key-info and a host id each. They
// enroll, connect and decline the appliance's upgrade offer (the image is
// the version); a restart on the same dir keeps the node's identity and
// ignores the file.
func TestRun_KeyInfoFile_Jumpoint(t *testing.T) {
	e := newEndpoint(t)
	// The appliance serves another version, which it offers to every agent.
	s := appliancetest.NewServer(t, appliancetest.WithAgentDir(agenttest.AgentDir(t, "0.0.1-offered")))
	ctx := context.Background()
	j, err := s.Admin.CreateJumpoint(ctx, &api.Jumpoint{Name: "Kubernetes", CodeName: "kube", Clustered: true})
	require.NoError(t, err)
	ki, err := s.Admin.GetJumpointKeyInfo(ctx, j.ID)
	require.NoError(t, err)
	secret := filepath.Join(t.TempDir(), "key-info")
	require.NoError(t, os.WriteFile(secret, []byte(ki.KeyInfo+"\n"), 0o600))

	hostname, err := os.Hostname()
	require.NoError(t, err)
	volumes := map[string]string{}
	nodes := map[string]*agentProcess{}
	for _, host := range []string{"pod-a", "pod-b"} {
		// pod-a's dir does not exist yet; pod-b's is an empty volume.
		volumes[host] = filepath.Join(t.TempDir(), host)
		if host == "pod-b" {
			require.NoError(t, os.Mkdir(volumes[host], 0o755))
		}
		nodes[host] = e.startRun([]string{"JUMPGATE_AGENT_HOST_ID=" + host}, "--dir", volumes[host], "--key-info-file", secret)
	}
	want := []string{hostname + "@" + testVersion, hostname + "@" + testVersion}
	eventually(t, 30*time.Second, "both nodes connect", func() bool {
		return assert.ObjectsAreEqual(want, connectedNodes(t, s, j.ID))
	})

	ids := map[string]int64{}
	for host, dir := range volumes {
		st, err := state.Load(dir)
		require.NoError(t, err, "%s:\n%s", host, nodes[host].stderr)
		assert.True(t, st.Enrolled())
		assert.Equal(t, keyinfo.KindJumpoint, st.Kind)
		assert.Equal(t, strconv.FormatInt(j.ID, 10), st.InstallerID)
		assert.Empty(t, st.KeyInfo, "key info is dropped once enrolled")
		assert.True(t, st.Install.Container)
		assert.Equal(t, "none", st.Install.Startup)
		ids[host] = st.ID
		// Only the agent's state: the binary stays in the image.
		for _, f := range []string{state.AgentBinary, state.InitScript, state.Uninstall} {
			assertGone(t, filepath.Join(dir, f))
		}
		assertMode(t, filepath.Join(dir, state.File), 0o600)
	}
	assertMode(t, volumes["pod-a"], 0o700)
	assertMode(t, volumes["pod-b"], 0o755)
	assert.NotEqual(t, ids["pod-a"], ids["pod-b"], "two nodes")

	eventually(t, 10*time.Second, "the upgrade offer is declined", func() bool {
		return strings.Contains(nodes["pod-a"].stderr.String(), "not upgrading: this agent runs from a container image")
	})

	t.Run("restart keeps the node and ignores the file", func(t *testing.T) {
		assert.Equal(t, 0, nodes["pod-a"].stop(t), "SIGTERM stops it cleanly:\n%s", nodes["pod-a"].stderr)
		assert.Contains(t, nodes["pod-a"].stderr.String(), "agent stopped")
		eventually(t, 10*time.Second, "pod-a disconnects", func() bool { return len(connectedNodes(t, s, j.ID)) == 1 })

		// The key info has expired by now, as a day after the Secret was
		// made: an enrolled agent never reads it. The env twin names it.
		require.NoError(t, os.WriteFile(secret, []byte("garbage"), 0o600))
		p := e.startRun([]string{"JUMPGATE_AGENT_HOST_ID=pod-a", EnvKeyInfoFile + "=" + secret}, "--dir", volumes["pod-a"])
		eventually(t, 30*time.Second, "pod-a reconnects", func() bool { return len(connectedNodes(t, s, j.ID)) == 2 })
		st, err := state.Load(volumes["pod-a"])
		require.NoError(t, err)
		assert.Equal(t, ids["pod-a"], st.ID, "the same node")
		assert.Contains(t, p.stderr.String(), "ignoring the key info file")

		evs, err := api.ListAll(ctx, s.Admin.ListAuditEvents, &api.ListOptions{Filters: map[string]string{
			"object_type": "jumpoint", "object_id": strconv.FormatInt(j.ID, 10),
		}})
		require.NoError(t, err)
		var actions []string
		for _, ev := range evs {
			actions = append(actions, ev.Action)
		}
		assert.Equal(t, []string{"create", "key_info", "enroll_node", "enroll_node"}, actions, "no second enrollment")
		for _, n := range nodes {
			assert.NotContains(t, n.stderr.String(), ki.KeyInfo, "key info never shows in the log")
		}
	})
}

// TestRun_KeyInfoFile_JumpClient runs a Jump Client from an installer's key
// info, without the installer.
func TestRun_KeyInfoFile_JumpClient(t *testing.T) {
	e := newEndpoint(t)
	s := appliancetest.NewServer(t)
	ctx := context.Background()
	g, err := s.Admin.CreateJumpGroup(ctx, &api.JumpGroup{Name: "Pods", CodeName: "pods"})
	require.NoError(t, err)
	in, err := s.Admin.CreateJumpClientInstaller(ctx, &api.JumpClientInstaller{JumpGroupID: g.ID, Tag: "container"})
	require.NoError(t, err)
	ki, err := s.Admin.GetInstallerKeyInfo(ctx, in.ID)
	require.NoError(t, err)
	secret := filepath.Join(t.TempDir(), "key-info")
	require.NoError(t, os.WriteFile(secret, []byte("\n  "+ki.KeyInfo+"  \n"), 0o600))
	dir := filepath.Join(t.TempDir(), "jc")

	p := e.startRun([]string{"JUMPGATE_AGENT_HOST_ID=jc-pod"}, "--dir", dir, "--key-info-file", secret)
	var c api.JumpClient
	eventually(t, 30*time.Second, "the client is online", func() bool {
		l, err := s.Admin.ListJumpClients(ctx, &api.ListOptions{Filters: map[string]string{"installer_id": in.InstallerID}})
		require.NoError(t, err)
		if len(l.Items) != 1 || l.Items[0].Status != "online" {
			return false
		}
		c = l.Items[0]
		return true
	})
	assert.Equal(t, "container", c.Tag)
	assert.Equal(t, api.InstallUser, c.InstallMode)
	assert.True(t, c.Headless)
	assert.Equal(t, testVersion, c.AgentVersion)
	st, err := state.Load(dir)
	require.NoError(t, err)
	assert.Equal(t, c.ID, st.ID)
	assert.Equal(t, 0, p.stop(t), "%s", p.stderr)
}

// TestRun_KeyInfoFile_Refusals checks that every failure before the agent
// is enrolled exits 1 with one line naming the problem and leaves the dir
// as it was.
func TestRun_KeyInfoFile_Refusals(t *testing.T) {
	e := newEndpoint(t)
	s := appliancetest.NewServer(t)
	ctx := context.Background()
	j, err := s.Admin.CreateJumpoint(ctx, &api.Jumpoint{Name: "Refusals", CodeName: "refusals"})
	require.NoError(t, err)
	off, err := s.Admin.CreateJumpoint(ctx, &api.Jumpoint{Name: "Off", CodeName: "off"})
	require.NoError(t, err)
	offKey, err := s.Admin.GetJumpointKeyInfo(ctx, off.ID)
	require.NoError(t, err)
	_, err = s.Admin.PatchJumpoint(ctx, off.ID, map[string]any{"enabled": false})
	require.NoError(t, err)

	sign := func(p keyinfo.Payload, key ed25519.PrivateKey) string {
		t.Helper()
		p.Kind, p.InstallerID = keyinfo.KindJumpoint, strconv.FormatInt(j.ID, 10)
		if p.URL == "" {
			p.URL = s.URL
		}
		p.CAPin = s.App.Material.CAPin
		if p.Expires == 0 {
			p.Expires = time.Now().Add(time.Hour).Unix()
		}
		ki, err := keyinfo.Sign(p, key)
		require.NoError(t, err)
		return ki
	}
	_, stranger, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	past := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	unreachable := "https://" + closedAddr(t)

	tests := []struct {
		name    string
		keyInfo *string // nil: no file
		want    string
	}{
		{"no file", nil, "read the key info file: open "},
		{"empty file", ptr(" \n"), "the key info file "},
		{"garbage", ptr("not key info"), `key info is malformed: it does not start with "jgk1."; copy the key info again`},
		{"expired", ptr(sign(keyinfo.Payload{Expires: past.Unix()}, s.App.Material.SigningKey)),
			"key info has expired (at 2020-01-02T03:04:05Z); get new key info from the appliance"},
		{"forged", ptr(sign(keyinfo.Payload{}, stranger)), "the appliance refused the enrollment: key info signature is invalid"},
		{"disabled jumpoint", &offKey.KeyInfo, `the appliance refused the enrollment: jumpoint "off" is disabled`},
		{"unreachable appliance", ptr(sign(keyinfo.Payload{URL: unreachable}, s.App.Material.SigningKey)), "cannot reach the appliance at " + unreachable},
	}
	for _, tt := range tests {
		for _, existing := range []bool{false, true} {
			name := tt.name + ", new dir"
			if existing {
				name = tt.name + ", empty volume"
			}
			t.Run(name, func(t *testing.T) {
				file := filepath.Join(t.TempDir(), "key-info")
				if tt.keyInfo != nil {
					require.NoError(t, os.WriteFile(file, []byte(*tt.keyInfo), 0o600))
				}
				dir := filepath.Join(t.TempDir(), "state")
				if existing {
					require.NoError(t, os.Mkdir(dir, 0o755))
				}
				r := e.run(agentBuild, "run", "--dir", dir, "--key-info-file", file)
				assert.Equal(t, 1, r.code, r)
				line := "jumpgate-agent: cannot enroll with the key info in " + file + ": " + tt.want
				if tt.keyInfo == nil || strings.TrimSpace(*tt.keyInfo) == "" {
					line = "jumpgate-agent: " + tt.want
				}
				lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
				assert.Contains(t, lines[len(lines)-1], line, r)
				assert.Less(t, r.took, 10*time.Second, "fails at once")
				if existing {
					entries, err := os.ReadDir(dir)
					require.NoError(t, err)
					assert.Empty(t, entries, "nothing is left in the volume")
				} else {
					assertGone(t, dir)
				}
			})
		}
	}

	t.Run("needs --dir", func(t *testing.T) {
		r := e.run(agentBuild, "run", "--key-info-file", "/nonexistent")
		assert.Equal(t, 2, r.code, r)
		assert.Equal(t, "jumpgate-agent: --key-info-file needs --dir: the directory that keeps the agent's identity\n", r.stderr)
	})

	t.Run("an interrupted start is started over", func(t *testing.T) {
		// agent.json of a container install that never enrolled, with key
		// info that has expired since.
		dir := filepath.Join(t.TempDir(), "state")
		require.NoError(t, os.Mkdir(dir, 0o700))
		stale := &state.State{Kind: keyinfo.KindJumpoint, URL: unreachable, CAPin: s.App.Material.CAPin, InstallerID: "1",
			KeyInfo: sign(keyinfo.Payload{Expires: past.Unix()}, s.App.Material.SigningKey), KeyExpires: past,
			PrivateKey: make([]byte, ed25519.SeedSize), Install: state.Install{Dir: dir, Scope: "user", Startup: "none", Container: true}}
		require.NoError(t, stale.Save(dir))
		ki, err := s.Admin.GetJumpointKeyInfo(ctx, j.ID)
		require.NoError(t, err)
		file := filepath.Join(t.TempDir(), "key-info")
		require.NoError(t, os.WriteFile(file, []byte(ki.KeyInfo), 0o600))
		p := e.startRun([]string{"JUMPGATE_AGENT_HOST_ID=restarted"}, "--dir", dir, "--key-info-file", file)
		eventually(t, 30*time.Second, "the node connects", func() bool { return len(connectedNodes(t, s, j.ID)) == 1 })
		st, err := state.Load(dir)
		require.NoError(t, err)
		assert.True(t, st.Enrolled())
		assert.Equal(t, s.URL, st.URL)
		assert.Equal(t, 0, p.stop(t), "%s", p.stderr)
	})
}

func ptr[T any](v T) *T { return &v }
