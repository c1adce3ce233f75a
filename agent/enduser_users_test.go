//go:build linux

package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/agent/internal/conn/conntest"
	"github.com/jumpgate/jumpgate/agent/internal/localctl"
	"github.com/jumpgate/jumpgate/agent/internal/state"
	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/api/keyinfo"
	"github.com/jumpgate/jumpgate/internal/localuser"
)

// TestRun_EndUsers installs a system-wide Jump Client (the real agent,
// running as root) with --end-users naming helpdesk, a real local user
// who is not at the machine's seat (nobody is: the test machine has no
// logind seat and root owns its console). Mallory, another real local
// user, runs the installed `consent accept` as herself and is refused by
// the socket; helpdesk runs it and the appliance gets her answer.
func TestRun_EndUsers(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: a system-wide install, local users and commands run as them")
	}
	if _, err := exec.LookPath("useradd"); err != nil {
		t.Skip("no useradd")
	}
	helpdesk, mallory := localuser.Add(t, "jgh"), localuser.Add(t, "jgm")
	e := newEndpoint(t)
	fake, app := fakeAppliance(t)
	e.app = app
	inst := e.installer(keyinfo.KindJumpClient, app.KeyInfo(t, keyinfo.Payload{}))
	// The users must reach the install dir: a 0755 tree, not the test's
	// 0700 temp dirs.
	base, err := os.MkdirTemp("", "jumpgate-endusers-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(base) })
	require.NoError(t, os.Chmod(base, 0o755))
	dir := filepath.Join(base, "jc")
	r := e.run(inst, "--scope", "system", "--startup", "none", "--install-dir", dir, "--online-install", "--end-users", helpdesk.Name)
	require.Equal(t, 0, r.code, r)
	e.stopOnCleanup(dir)
	st, err := state.Load(dir)
	require.NoError(t, err)
	assert.Equal(t, []string{helpdesk.Name}, st.Install.EndUsers, "the install state keeps the end users")
	r = e.run(filepath.Join(dir, state.InitScript), "start")
	require.Equal(t, 0, r.code, r)

	var ac *conntest.AgentConn
	select {
	case ac = <-fake.Conns:
	case <-time.After(30 * time.Second):
		t.Fatal("the agent did not connect")
	}
	sock := localctl.SocketPath(dir)
	eventually(t, 15*time.Second, "the control socket", func() bool {
		fi, err := os.Lstat(sock)
		return err == nil && fi.Mode().Type() == os.ModeSocket
	})
	answers := make(chan *agentproto.PromptAnswer, 4)
	go func() {
		for {
			m, err := ac.Control.Recv()
			if err != nil {
				return
			}
			if m.Type == agentproto.MsgPromptAnswer {
				answers <- m.Answer
			}
		}
	}()
	prompting := agentproto.SessionInfo{ID: 41, Status: api.SessionPrompting, Mode: api.ModeConsent, Representative: "alice",
		Prompt: &agentproto.Prompt{ExpiresAt: time.Now().Add(5 * time.Minute), OnTimeout: "deny", Message: "alice asks to connect"}}
	require.NoError(t, ac.Control.Send(agentproto.Control{Type: agentproto.MsgSession, Session: &prompting}))
	agent := filepath.Join(dir, "jumpgate-agent")
	eventually(t, 15*time.Second, "the prompt reaches the agent", func() bool {
		r := e.run(agent, "consent", "list", "--dir", dir)
		return r.code == 0 && bytes.Contains([]byte(r.stdout), []byte("41  prompting"))
	})

	r = runAs(t, mallory, base, agent, "consent", "accept", "41", "--dir", dir)
	assert.Equal(t, 1, r.code, r)
	assert.Contains(t, r.stderr, "permission denied on the control socket")
	select {
	case a := <-answers:
		t.Fatalf("mallory's answer reached the appliance: %+v", a)
	default:
	}

	r = runAs(t, helpdesk, base, agent, "consent", "accept", "41", "--dir", dir)
	require.Equal(t, 0, r.code, r)
	select {
	case a := <-answers:
		require.NotNil(t, a)
		assert.Equal(t, agentproto.PromptAnswer{Session: 41, Accept: true, By: helpdesk.Name}, *a)
	case <-time.After(15 * time.Second):
		t.Fatal("the appliance got no answer")
	}
}

// runAs runs a program as u, in dir.
func runAs(t *testing.T, u localuser.User, dir, name string, args ...string) result {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = []string{"HOME=" + dir, "PATH=/usr/bin:/bin"}
	cmd.Dir = dir
	cmd.SysProcAttr = u.SysProcAttr()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("run %s as %s: %v", name, u.Name, err)
	}
	return r
}
