//go:build linux

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/agent/internal/conn/conntest"
	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/api/keyinfo"
	"github.com/jumpgate/jumpgate/api/sessionproto"
)

// TestRun_SessionUserInheritsNoDescriptors starts the installed agent of a
// system-wide headless install with --session-user nobody the way a
// careless service manager or a shell (`exec 3<secret`) would: with an
// extra descriptor open on a root-only file. An exec of the session, run
// as nobody, lists its own descriptors: the file is not among them.
func TestRun_SessionUserInheritsNoDescriptors(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: a system-wide install whose sessions run as nobody")
	}
	e := newEndpoint(t)
	fake, app := fakeAppliance(t)
	e.app = app
	inst := e.installer(keyinfo.KindJumpClient, app.KeyInfo(t, keyinfo.Payload{}))
	dir := filepath.Join(e.home, "jc")
	r := e.run(inst, "--scope", "system", "--headless", "--session-user", "nobody", "--startup", "none", "--install-dir", dir, "--online-install")
	require.Equal(t, 0, r.code, r)

	secret := filepath.Join(t.TempDir(), "root-only-secret")
	require.NoError(t, os.WriteFile(secret, []byte("private"), 0o600))
	f, err := os.Open(secret)
	require.NoError(t, err)
	defer f.Close()
	agent := exec.Command(filepath.Join(dir, "jumpgate-agent"), "run", "--dir", dir)
	agent.Env = e.env
	agent.ExtraFiles = []*os.File{f} // descriptor 3 of the agent, inheritable
	require.NoError(t, agent.Start())
	t.Cleanup(func() {
		_ = agent.Process.Kill()
		_ = agent.Wait()
	})

	var ac *conntest.AgentConn
	select {
	case ac = <-fake.Conns:
	case <-time.After(30 * time.Second):
		t.Fatal("the agent did not connect")
	}
	go func() {
		for {
			if _, err := ac.Control.Recv(); err != nil {
				return
			}
		}
	}()
	require.NoError(t, ac.Control.Send(agentproto.Control{Type: agentproto.MsgSession, Session: &agentproto.SessionInfo{
		ID: 5, Status: api.SessionActive, Mode: api.ModeUnattended, Representative: "rep",
		Permissions: api.SessionPermissions{Shell: true},
	}}))

	st, err := ac.Mux.OpenStream()
	require.NoError(t, err)
	defer st.Close()
	require.NoError(t, st.SetDeadline(time.Now().Add(30*time.Second)))
	require.NoError(t, agentproto.WriteStreamHeader(st, agentproto.StreamHeader{Type: agentproto.StreamSession,
		Open: &sessionproto.Open{Type: sessionproto.StreamExec, Session: 5, Command: []string{"sh", "-c", "id -un; ls -l /proc/self/fd/"}}}))
	var opened sessionproto.Opened
	require.NoError(t, sessionproto.ReadLine(st, &opened))
	require.True(t, opened.OK, "%+v", opened)
	var out strings.Builder
	fr := sessionproto.NewFrameReader(st)
	for {
		typ, b, err := fr.Next()
		require.NoError(t, err, "output so far: %s", out.String())
		if typ == sessionproto.FrameExit {
			break
		}
		if typ == sessionproto.FrameData || typ == sessionproto.FrameStderr {
			out.Write(b)
		}
	}
	t.Logf("the session's process:\n%s", out.String())
	require.True(t, strings.HasPrefix(out.String(), "nobody\n"), "the exec runs as the session user")
	assert.NotContains(t, out.String(), "root-only-secret", "a descriptor the agent inherited reached the session user's process")
}
