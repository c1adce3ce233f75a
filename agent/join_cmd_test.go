package main

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/agent/internal/conn/conntest"
	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/api/sessionproto"
)

// TestJoin_Refusals runs `join` against conntest's fake appliance, which
// refuses every access code (code_invalid).
func TestJoin_Refusals(t *testing.T) {
	a := conntest.New(t)
	chain := a.Server.TLS.Certificates[0].Certificate
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: chain[len(chain)-1]}), 0o644))
	const invalid = "jumpgate-agent: the access code is not valid: it is unknown, was already used, or expired (codes are valid for 5 minutes and once)\n"

	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
		exact  bool
	}{
		{name: "code invalid, CA pinned", args: []string{"join", "482913", "--name", "Carol", "--url", a.URL, "--ca-pin", a.CAPin}, code: 1, stderr: invalid, exact: true},
		{name: "code invalid, CA file", args: []string{"join", "482913", "--name", "Carol", "--url", a.URL, "--ca-cert", caFile}, code: 1, stderr: invalid, exact: true},
		{name: "the system roots do not know the appliance", args: []string{"join", "482913", "--name", "Carol", "--url", a.URL}, code: 1, stderr: "(the appliance's certificate is not trusted: pass the --ca-pin sha256:… of the join command your representative gave you, or --ca-cert FILE)"},
		{name: "no code", args: []string{"join", "--name", "Carol", "--url", a.URL}, code: 2, stderr: "takes one access code"},
		{name: "no name", args: []string{"join", "482913", "--url", a.URL}, code: 2, stderr: "jumpgate-agent: --name is required\n", exact: true},
		{name: "no url", args: []string{"join", "482913", "--name", "Carol"}, code: 2, stderr: "jumpgate-agent: --url is required\n", exact: true},
		{name: "pin and file", args: []string{"join", "482913", "--name", "Carol", "--url", a.URL, "--ca-pin", a.CAPin, "--ca-cert", caFile}, code: 2, stderr: "give --ca-pin or --ca-cert, not both"},
		{name: "a CA file that is missing", args: []string{"join", "482913", "--name", "Carol", "--url", a.URL, "--ca-cert", caFile + ".missing"}, code: 2, stderr: "--ca-cert: open"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runAgent(context.Background(), tt.args...)
			assert.Equal(t, tt.code, r.code, r)
			if tt.exact {
				assert.Equal(t, tt.stderr, r.stderr)
			} else {
				assert.Contains(t, r.stderr, tt.stderr)
			}
		})
	}
	var customers int
	for _, au := range a.Auths() {
		if au.Kind == agentproto.KindCustomer {
			customers++
			assert.Equal(t, agentproto.IntentJoin, au.Intent)
			assert.Equal(t, "482913", au.Code)
			assert.Equal(t, "Carol", au.Name)
			assert.NotEmpty(t, au.Facts.Hostname, "the host's facts go with the code")
		}
	}
	assert.Equal(t, 2, customers, "only the two trusted connections reached the handshake")
}

// TestJoin_Session joins a session the fake appliance welcomes the client
// into, with the real session manager: a sysinfo stream is served, and the
// appliance's end ends the command with success.
func TestJoin_Session(t *testing.T) {
	a := conntest.New(t)
	ends := time.Now().Add(20 * time.Minute)
	a.OnAuth(func(agentproto.Auth) agentproto.HandshakeReply {
		return agentproto.HandshakeReply{Welcome: &agentproto.Welcome{Session: &agentproto.SessionInfo{
			ID: 77, Status: api.SessionActive, Mode: api.ModeAccessCode, Representative: "alice",
			Permissions: api.SessionPermissions{SystemInfo: true}, EndsAt: &ends,
		}}}
	})
	out, errb := &syncBuffer{}, &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(context.Background(), []string{"join", "482913", "--name", "Carol", "--url", a.URL, "--ca-pin", a.CAPin}, out, errb)
	}()
	var ac *conntest.AgentConn
	select {
	case ac = <-a.Conns:
	case <-time.After(10 * time.Second):
		t.Fatal("join did not connect")
	}
	eventually(t, 10*time.Second, "the welcome", func() bool { return strings.Contains(out.String(), "Session 77 with alice (access code)") })
	assert.Contains(t, out.String(), "Time left: 19m")

	st, err := ac.Mux.OpenStream()
	require.NoError(t, err)
	require.NoError(t, agentproto.WriteStreamHeader(st, agentproto.StreamHeader{Type: agentproto.StreamSession,
		Open: &sessionproto.Open{Type: sessionproto.StreamSysInfo, Session: 77}}))
	var opened sessionproto.Opened
	require.NoError(t, sessionproto.ReadLine(st, &opened))
	require.True(t, opened.OK, "%+v", opened)
	var info sessionproto.SysInfo
	require.NoError(t, json.NewDecoder(st).Decode(&info))
	assert.NotEmpty(t, info.Hostname)
	st.Close()

	require.NoError(t, ac.Control.Send(agentproto.Control{Type: agentproto.MsgSession, Session: &agentproto.SessionInfo{
		ID: 77, Status: api.SessionEnded, EndReason: api.EndMaxDuration,
	}}))
	eventually(t, 10*time.Second, "the end", func() bool { return strings.Contains(out.String(), "The session ended: its time ran out.") })
	ac.Close()
	select {
	case code := <-done:
		assert.Equal(t, 0, code, "stderr: %s", errb.String())
	case <-time.After(10 * time.Second):
		t.Fatal("join did not exit")
	}
}
