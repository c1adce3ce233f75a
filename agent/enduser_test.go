package main

import (
	"os"
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
)

// TestRun_EndUserSide runs an installed Jump Client against the fake
// appliance and answers its consent prompt with `consent accept` through
// the control socket `run` serves.
func TestRun_EndUserSide(t *testing.T) {
	e := newEndpoint(t)
	fake, app := fakeAppliance(t)
	e.app = app
	inst := e.installer(keyinfo.KindJumpClient, app.KeyInfo(t, keyinfo.Payload{}))
	dir := filepath.Join(e.home, "jc")
	r := e.userInstall(inst, dir, "--online-install")
	require.Equal(t, 0, r.code, r)
	e.stopOnCleanup(dir)
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

	answers := make(chan *agentproto.PromptAnswer, 1)
	go func() {
		// Reports come and go; the stream ends when the agent stops.
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
	eventually(t, 15*time.Second, "the prompt in consent list", func() bool {
		r := e.run(agentBuild, "consent", "list", "--dir", dir)
		return r.code == 0 && len(r.stdout) > 0 && r.stdout != "No request is waiting for an answer.\n"
	})
	r = e.run(agentBuild, "consent", "list", "--dir", dir)
	assert.Contains(t, r.stdout, "41  prompting  consent  alice")

	r = e.run(agentBuild, "consent", "accept", "41", "--dir", dir)
	require.Equal(t, 0, r.code, r)
	assert.Equal(t, "Accepted the request of session 41.\n", r.stdout)
	select {
	case answer := <-answers:
		require.NotNil(t, answer)
		assert.Equal(t, agentproto.PromptAnswer{Session: 41, Accept: true, By: me(t)}, *answer)
	case <-time.After(15 * time.Second):
		t.Fatal("the appliance got no answer")
	}

	r = e.run(filepath.Join(dir, state.InitScript), "stop")
	require.Equal(t, 0, r.code, r)
	assertGone(t, sock)
}
