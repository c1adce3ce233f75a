package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os/user"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/agent/internal/localctl"
	"github.com/jumpgate/jumpgate/agent/internal/localctl/localctltest"
	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
)

// ctlAgent serves a control socket in a temp install dir over a fake
// session manager holding a prompting session (7) and an active one (9).
func ctlAgent(t *testing.T) (string, *localctltest.Manager) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("no control socket on Windows")
	}
	now := time.Now().UTC().Truncate(time.Second)
	ends := now.Add(45*time.Minute + 30*time.Second)
	m := localctltest.New(
		agentproto.SessionInfo{ID: 7, Status: api.SessionPrompting, Mode: api.ModeConsent, Representative: "alice", ItemName: "web-01",
			Prompt: &agentproto.Prompt{ExpiresAt: now.Add(10*time.Minute + 30*time.Second), OnTimeout: "deny", Message: "alice asks to connect"}},
		agentproto.SessionInfo{ID: 9, Status: api.SessionActive, Mode: api.ModeUnattended, Representative: "bob", ItemName: "web-01",
			EndsAt: &ends, Recording: true},
	)
	dir := t.TempDir()
	srv, err := localctl.Listen(localctl.Config{Dir: dir, Manager: m})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		_ = srv.Serve(ctx)
		close(done)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return dir, m
}

// runAgent runs the command line in this process.
func runAgent(ctx context.Context, args ...string) result {
	var out, errb bytes.Buffer
	code := run(ctx, args, &out, &errb)
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

func me(t *testing.T) string {
	u, err := user.Current()
	require.NoError(t, err)
	return u.Username
}

func TestConsentAndSessionsCommands(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr string
		call   *localctltest.Call
	}{
		{
			name: "consent list", args: []string{"consent", "list"},
			stdout: []string{
				"ID  STATUS     MODE     REPRESENTATIVE  ITEM    TIME LEFT  CONTROL  RECORDING  PROMPT EXPIRES\n",
				"7   prompting  consent  alice           web-01  -          granted  off        10m, then deny\n",
			},
		},
		{name: "consent accept", args: []string{"consent", "accept", "7"}, stdout: []string{"Accepted the request of session 7.\n"},
			call: &localctltest.Call{Op: "answer", Session: 7, Accept: true}},
		{name: "consent reject", args: []string{"consent", "reject", "7"}, stdout: []string{"Rejected the request of session 7.\n"},
			call: &localctltest.Call{Op: "answer", Session: 7, Accept: false}},
		{name: "consent accept of an active session", args: []string{"consent", "accept", "9"}, code: 1,
			stderr: "jumpgate-agent: no session 9 is waiting for consent\n", call: &localctltest.Call{Op: "answer", Session: 9, Accept: true}},
		{name: "consent accept without an ID", args: []string{"consent", "accept"}, code: 2, stderr: "takes one session ID"},
		{name: "consent accept of a non-number", args: []string{"consent", "accept", "seven"}, code: 2, stderr: `session ID "seven" is not a positive number`},
		{
			name: "sessions list", args: []string{"sessions", "list"},
			stdout: []string{
				"ID  STATUS     MODE        REPRESENTATIVE  ITEM    TIME LEFT  CONTROL  RECORDING  PROMPT EXPIRES\n",
				"7   prompting  consent     alice           web-01  -          granted  off        10m, then deny\n",
				"9   active     unattended  bob             web-01  45m        granted  on         -\n",
			},
		},
		{name: "sessions revoke", args: []string{"sessions", "revoke", "9"}, stdout: []string{"Revoked the representative's control of session 9"},
			call: &localctltest.Call{Op: "control", Session: 9, Revoked: true}},
		{name: "sessions restore", args: []string{"sessions", "restore", "9"}, stdout: []string{"Gave the representative control of session 9 back.\n"},
			call: &localctltest.Call{Op: "control", Session: 9, Revoked: false}},
		{name: "sessions end", args: []string{"sessions", "end", "9", "--reason", "done for today"}, stdout: []string{"Ended session 9.\n"},
			call: &localctltest.Call{Op: "end", Session: 9, Reason: "done for today"}},
		{name: "sessions end of an unknown session", args: []string{"sessions", "end", "12"}, code: 1,
			stderr: "jumpgate-agent: no session 12\n", call: &localctltest.Call{Op: "end", Session: 12}},
		{name: "a bad output format", args: []string{"sessions", "list", "-o", "yaml"}, code: 2, stderr: `-o "yaml": want table or json`},
		{name: "an unknown subcommand", args: []string{"sessions", "frob"}, code: 2, stderr: `unknown command or argument "frob"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, m := ctlAgent(t)
			r := runAgent(context.Background(), append(tt.args, "--dir", dir)...)
			assert.Equal(t, tt.code, r.code, r)
			for _, want := range tt.stdout {
				assert.Contains(t, r.stdout, want, r)
			}
			assert.Contains(t, r.stderr, tt.stderr)
			if tt.code == 0 {
				assert.Empty(t, r.stderr)
			}
			calls := m.Calls()
			if tt.call == nil {
				assert.Empty(t, calls)
				return
			}
			want := *tt.call
			want.By = me(t)
			assert.Equal(t, []localctltest.Call{want}, calls)
		})
	}
}

func TestSessionsCommands_Offline(t *testing.T) {
	dir, m := ctlAgent(t)
	m.SetOffline(errors.New("not connected to the appliance"))
	r := runAgent(context.Background(), "sessions", "revoke", "9", "--dir", dir)
	assert.Equal(t, 0, r.code, r)
	assert.Contains(t, r.stdout, "Revoked the representative's control of session 9")
	assert.Equal(t, "jumpgate-agent: warning: the appliance could not be told: not connected to the appliance; it will be told when the agent reconnects\n", r.stderr)
}

func TestSessionsCommands_JSON(t *testing.T) {
	tests := []struct {
		name string
		args []string
		ids  []int64
	}{
		{name: "sessions list", args: []string{"sessions", "list", "-o", "json"}, ids: []int64{7, 9}},
		{name: "consent list", args: []string{"consent", "list", "-o", "json"}, ids: []int64{7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, m := ctlAgent(t)
			r := runAgent(context.Background(), append(tt.args, "--dir", dir)...)
			require.Equal(t, 0, r.code, r)
			var got []agentproto.SessionInfo
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &got))
			var want []agentproto.SessionInfo
			for _, s := range m.Sessions() {
				for _, id := range tt.ids {
					if s.ID == id {
						want = append(want, s)
					}
				}
			}
			assert.Equal(t, want, got)
		})
	}
	t.Run("nothing is an empty list", func(t *testing.T) {
		dir, m := ctlAgent(t)
		require.NoError(t, m.Answer(7, false, "test"))
		r := runAgent(context.Background(), "consent", "list", "-o", "json", "--dir", dir)
		require.Equal(t, 0, r.code, r)
		assert.JSONEq(t, `[]`, r.stdout)
		r = runAgent(context.Background(), "consent", "list", "--dir", dir)
		assert.Equal(t, "No request is waiting for an answer.\n", r.stdout)
	})
}

// syncBuffer is a command's output read while it runs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestSessionsWatch(t *testing.T) {
	tests := []struct {
		name   string
		output string
		check  func(t *testing.T, lines []string)
	}{
		{
			name: "table", output: "table",
			check: func(t *testing.T, lines []string) {
				assert.Contains(t, lines[0], "session 7  prompting  consent  alice  prompt expires 10m, then deny")
				assert.Contains(t, lines[1], "session 9  active  unattended  bob  control granted  recording on  time left 45m")
				assert.Contains(t, lines[2], "session 9  active  unattended  bob  control revoked")
				assert.Contains(t, lines[3], "session 9  ended  unattended  bob  ended on this computer  (bye)")
			},
		},
		{
			name: "json", output: "json",
			check: func(t *testing.T, lines []string) {
				var s agentproto.SessionInfo
				require.NoError(t, json.Unmarshal([]byte(lines[2]), &s))
				assert.Equal(t, int64(9), s.ID)
				assert.True(t, s.ControlRevoked)
				require.NoError(t, json.Unmarshal([]byte(lines[3]), &s))
				assert.Equal(t, api.SessionEnded, s.Status)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, m := ctlAgent(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			out, errb := &syncBuffer{}, &syncBuffer{}
			done := make(chan int, 1)
			go func() { done <- run(ctx, []string{"sessions", "watch", "-o", tt.output, "--dir", dir}, out, errb) }()
			lines := func() []string { return strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") }
			eventually(t, 10*time.Second, "the current sessions", func() bool { return len(lines()) == 2 })
			eventually(t, 10*time.Second, "the subscription", func() bool { return m.Subscribers() == 1 })
			require.NoError(t, m.SetControl(9, true, "test"))
			require.NoError(t, m.End(9, "test", "bye"))
			eventually(t, 10*time.Second, "the changes", func() bool { return len(lines()) == 4 })
			tt.check(t, lines())
			cancel()
			select {
			case code := <-done:
				assert.Equal(t, 0, code, "an interrupted watch succeeds; stderr: %s", errb.String())
			case <-time.After(10 * time.Second):
				t.Fatal("watch did not stop when interrupted")
			}
		})
	}
}

func TestSessionsCommands_NoAgent(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no control socket on Windows")
	}
	dir := t.TempDir()
	for _, args := range [][]string{
		{"consent", "list"},
		{"consent", "accept", "7"},
		{"sessions", "watch"},
		{"sessions", "end", "9"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			r := runAgent(context.Background(), append(args, "--dir", dir)...)
			assert.Equal(t, 1, r.code, r)
			assert.Equal(t, "jumpgate-agent: no Jumpgate agent is running: nothing serves the control socket "+localctl.SocketPath(dir)+"\n", r.stderr)
			assert.Empty(t, r.stdout)
		})
	}
}
