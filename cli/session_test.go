package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/yamux"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/sessionproto"
	"github.com/jumpgate/jumpgate/cli/internal/channel/channeltest"
)

// The fake broker below answers the session routes with canned objects and
// serves session channels with channeltest. It checks the CLI's side: the
// requests it makes, what it prints and its exit status.

var requestedAt = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type sessionFake struct {
	*httptest.Server
	caFile string
	broker *channeltest.Broker

	mu sync.Mutex
	// start answers POST /sessions: a status and a JSON body.
	start    func(api.SessionRequest) (int, string)
	session  api.Session
	requests []string
	bodies   map[string]string
	// codeStatuses are the statuses GET access-codes/4 walks through.
	codeStatuses []string
}

func newSessionFake(t *testing.T) *sessionFake {
	t.Helper()
	f := &sessionFake{
		broker:  &channeltest.Broker{Token: "admin-token"},
		bodies:  map[string]string{},
		session: api.Session{ID: 7, ItemType: api.ItemJumpClient, ItemID: 12, ItemName: "web-01", Status: api.SessionActive, Mode: api.ModeUnattended, RequestedAt: requestedAt, AutoEnd: true},
	}
	f.broker.Events = []sessionproto.Event{{Type: sessionproto.EventState, Session: 7, Status: api.SessionActive}}
	f.start = func(api.SessionRequest) (int, string) {
		b, _ := json.Marshal(f.session)
		return http.StatusCreated, string(b)
	}
	f.Server = httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	f.Config.ErrorLog = log.New(io.Discard, "", 0)
	f.StartTLS()
	t.Cleanup(f.Close)
	f.caFile = filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(f.caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.Certificate().Raw}), 0o600))
	return f
}

func (f *sessionFake) vars(t *testing.T) map[string]string {
	return map[string]string{envConfigDir: t.TempDir(), api.EnvURL: f.URL, api.EnvToken: "admin-token", api.EnvCACert: f.caFile}
}

// calls returns the requests so far, as "METHOD /path?query".
func (f *sessionFake) calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.requests...)
}

func (f *sessionFake) body(call string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.bodies[call]
}

func (f *sessionFake) serve(w http.ResponseWriter, r *http.Request) {
	if channeltest.IsConnect(r) {
		f.broker.ServeHTTP(w, r)
		return
	}
	call := r.Method + " " + strings.TrimPrefix(r.URL.Path, "/api/v1/")
	if r.URL.RawQuery != "" {
		call += "?" + r.URL.RawQuery
	}
	b, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.requests = append(f.requests, call)
	f.bodies[call] = string(b)
	sess, _ := json.Marshal(f.session)
	f.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer admin-token" {
		problem(w, http.StatusUnauthorized, `{"title":"Unauthorized","status":401}`)
		return
	}
	switch {
	case call == "GET whoami":
		f.mu.Lock()
		uid := f.session.UserID
		f.mu.Unlock()
		answer(w, fmt.Sprintf(`{"user_id":%d,"username":"admin","admin":true,"token_id":7,"version":"test"}`, uid))
	case call == "GET jump-clients?limit=100&name=web-01" || call == "GET jump-clients?name=web-01":
		answer(w, `{"items":[{"id":12,"name":"web-01","hostname":"web-01.example","jump_group_id":1,"status":"online"}]}`)
	case strings.HasPrefix(call, "GET jump-clients?"):
		answer(w, `{"items":[]}`)
	case call == "GET jump-clients/12":
		answer(w, `{"id":12,"name":"web-01","hostname":"web-01.example","jump_group_id":1,"status":"online"}`)
	case strings.HasPrefix(call, "GET protocol-tunnel-jumps?") && r.URL.Query().Get("name") == "db":
		answer(w, `{"items":[{"id":3,"name":"db","jumpoint_id":2,"hostname":"db.internal","jump_group_id":1,
			"tunnel_definitions":[{"local_port":0,"remote_port":5432}]}]}`)
	case strings.HasPrefix(call, "GET protocol-tunnel-jumps?"):
		answer(w, `{"items":[]}`)
	case call == "POST sessions":
		var req api.SessionRequest
		_ = json.Unmarshal(b, &req)
		status, body := f.start(req)
		if status >= 400 {
			problem(w, status, body)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	case call == "GET sessions/7", call == "POST sessions/7/end", call == "POST sessions/7/feedback":
		answer(w, string(sess))
	case strings.HasPrefix(call, "GET sessions?"):
		if r.URL.Query().Get("status") == api.SessionActive {
			answer(w, `{"items":[`+string(sess)+`]}`)
			return
		}
		answer(w, `{"items":[]}`)
	case strings.HasPrefix(call, "GET approvals"):
		answer(w, `{"items":[]}`)
	case call == "POST approvals/9/grant":
		answer(w, `{"id":9,"item_type":"jump_client","item_id":12,"item_name":"web-01","username":"bob","status":"granted","requested_at":"2026-03-01T11:00:00Z","expires_at":"2026-03-01T13:00:00Z"}`)
	case call == "POST access-codes":
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"id":4,"code":"482913","status":"pending","created_at":"2026-03-01T12:00:00Z","expires_at":"2026-03-01T12:05:00Z","join_command":"jumpgate-agent join --code 482913"}`)
	case call == "GET access-codes/4":
		f.mu.Lock()
		status := api.CodePending
		if len(f.codeStatuses) > 0 {
			status, f.codeStatuses = f.codeStatuses[0], f.codeStatuses[1:]
		}
		f.mu.Unlock()
		sid := ""
		if status == api.CodeUsed {
			sid = `,"session_id":7`
		}
		answer(w, `{"id":4,"status":"`+status+`","created_at":"2026-03-01T12:00:00Z","expires_at":"2026-03-01T12:05:00Z"`+sid+`}`)
	default:
		problem(w, http.StatusNotFound, `{"title":"Not Found","status":404,"detail":"no route `+call+`"}`)
	}
}

// execStreams runs pretend commands: "cat" echoes, "fail" exits 3 with
// stderr, and file_get serves a fixed file.
func execStreams(o sessionproto.Open, st *yamux.Stream) {
	switch o.Type {
	case sessionproto.StreamFileGet:
		content := []byte("remote bytes\n")
		_ = channeltest.Accept(st, sessionproto.Opened{File: &sessionproto.FileInfo{Name: "f.txt", Size: int64(len(content))}})
		_ = sessionproto.WriteFrame(st, sessionproto.FrameData, content[o.Offset:])
		sum := sha256.Sum256(content)
		_ = sessionproto.WriteJSONFrame(st, sessionproto.FrameDone, sessionproto.Done{Size: int64(len(content)), SHA256: hex.EncodeToString(sum[:])})
		return
	case sessionproto.StreamSysInfo:
		_ = channeltest.Accept(st, sessionproto.Opened{})
		_ = json.NewEncoder(st).Encode(sessionproto.SysInfo{Hostname: "web-01", OS: "Debian 13", Platform: "linux", Arch: "amd64", CPUs: 4, AgentVersion: "1.0.0"})
		return
	}
	_ = channeltest.Accept(st, sessionproto.Opened{})
	exit := func(code int) {
		_ = sessionproto.WriteJSONFrame(st, sessionproto.FrameExit, sessionproto.Exit{Code: code})
	}
	if strings.Join(o.Command, " ") == "fail" {
		_ = sessionproto.WriteFrame(st, sessionproto.FrameStderr, []byte("boom\n"))
		exit(3)
		return
	}
	_ = sessionproto.WriteFrame(st, sessionproto.FrameNotice, []byte("hello from the agent"))
	fr := sessionproto.NewFrameReader(st)
	for {
		typ, p, err := fr.Next()
		if err != nil {
			return
		}
		switch typ {
		case sessionproto.FrameData:
			_ = sessionproto.WriteFrame(st, sessionproto.FrameData, p)
		case sessionproto.FrameEOF:
			exit(0)
			return
		}
	}
}

func TestRun_AgainstFakeBroker(t *testing.T) {
	f := newSessionFake(t)
	f.broker.Streams = execStreams
	tests := []struct {
		name       string
		args       []string
		stdin      string
		wantCode   int
		wantStdout string
		wantStderr string
		wantOpen   sessionproto.Open
	}{
		{name: "exit status and stderr", args: []string{"run", "web-01", "--", "fail"}, wantCode: 3, wantStderr: "boom\n",
			wantOpen: sessionproto.Open{Type: sessionproto.StreamExec, Command: []string{"fail"}}},
		{name: "stdin is forwarded when not a terminal", args: []string{"run", "client:12", "cat", "-n"}, stdin: "hello\n",
			wantStdout: "hello\n", wantStderr: "jumpgate: hello from the agent\n",
			wantOpen: sessionproto.Open{Type: sessionproto.StreamExec, Command: []string{"cat", "-n"}}},
		{name: "-t asks for a pty", args: []string{"run", "-t", "web-01", "--", "cat"},
			wantStderr: "jumpgate: hello from the agent\n", wantOpen: sessionproto.Open{Type: sessionproto.StreamExec, Command: []string{"cat"}, TTY: true}},
		{name: "shell on pipes", args: []string{"shell", "web-01"}, stdin: "ls\n", wantStdout: "ls\n",
			wantStderr: "jumpgate: hello from the agent\n", wantOpen: sessionproto.Open{Type: sessionproto.StreamShell}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(f.broker.Opens())
			r := runCLI(t, f.vars(t), tt.stdin, tt.args...)
			assert.Equal(t, tt.wantCode, r.code, r.stderr)
			assert.Equal(t, tt.wantStdout, r.stdout)
			assert.Equal(t, tt.wantStderr, r.stderr)
			opens := f.broker.Opens()
			require.Len(t, opens, before+1)
			assert.Equal(t, tt.wantOpen, opens[before])
		})
	}
	calls := f.calls()
	assert.Contains(t, calls, "POST sessions")
	assert.Contains(t, calls, "POST sessions/7/end", "an auto_end session is ended when the command finishes")
	var req api.SessionRequest
	require.NoError(t, json.Unmarshal([]byte(f.body("POST sessions")), &req))
	assert.Equal(t, api.SessionRequest{ItemType: api.ItemJumpClient, ItemID: 12, AutoEnd: true}, req)
}

func TestSession_Refused(t *testing.T) {
	f := newSessionFake(t)
	f.start = func(api.SessionRequest) (int, string) {
		return http.StatusForbidden, `{"type":"` + api.ProblemSessionRefused + `","title":"Forbidden","status":403,
			"detail":"the Jump Policy requires approval","reason":"approval_required","session_id":7,"approval_id":9}`
	}
	r := runCLI(t, f.vars(t), "", "shell", "web-01", "--reason", "patch day", "--ticket", "INC-1", "--mode", "consent")
	assert.Equal(t, 1, r.code)
	assert.Empty(t, r.stdout)
	assert.Equal(t, "jumpgate: session refused (approval_required): the Jump Policy requires approval"+
		" — ask an approver to run 'jumpgate approvals grant 9', then run this again\n", r.stderr)
	assert.Zero(t, f.broker.Connections(), "no channel for a refused session")
	var req api.SessionRequest
	require.NoError(t, json.Unmarshal([]byte(f.body("POST sessions")), &req))
	assert.Equal(t, api.SessionRequest{ItemType: api.ItemJumpClient, ItemID: 12, Mode: "consent", TicketID: "INC-1", Reason: "patch day", AutoEnd: true}, req)
}

func TestSession_ItemErrors(t *testing.T) {
	f := newSessionFake(t)
	tests := []struct {
		args []string
		want string
	}{
		{args: []string{"shell", "nope"}, want: `jumpgate: no jump client named "nope" (or you may not see it)` + "\n"},
		{args: []string{"shell", "tunnel:db"}, want: "jumpgate: tunnel:db is a protocol tunnel jump; this command needs a jump client\n"},
		{args: []string{"shell"}, want: "jumpgate: name an item (e.g. client:12, a name or an id), or pass --session ID\n"},
		{args: []string{"shell", "web-01", "--session", "7"}, want: "jumpgate: with --session the arguments are: none (leave out the item)\n"},
		{args: []string{"tunnel", "web-01"}, want: "jumpgate: a tunnel to a jump client needs at least one -L LOCAL_PORT:REMOTE_PORT, e.g. -L 8080:80\n"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := runCLI(t, f.vars(t), "", tt.args...)
			assert.Equal(t, 1, r.code)
			assert.Equal(t, tt.want, r.stderr)
		})
	}
	assert.NotContains(t, f.calls(), "POST sessions", "no session for a bad item")
}

func TestSession_Prompting(t *testing.T) {
	f := newSessionFake(t)
	f.broker.Streams = execStreams
	f.session.Status = api.SessionPrompting
	f.broker.Events = []sessionproto.Event{
		{Type: sessionproto.EventState, Session: 7, Status: api.SessionPrompting},
		{Type: sessionproto.EventState, Session: 7, Status: api.SessionActive},
	}
	r := runCLI(t, f.vars(t), "", "run", "web-01", "--", "fail")
	assert.Equal(t, 3, r.code)
	deadline := requestedAt.Add(defaultPromptTimeout).Local().Format(time.TimeOnly)
	assert.Equal(t, "jumpgate: waiting for the end user to accept (times out at "+deadline+")…\nboom\n", r.stderr)
}

func TestSession_PromptRejected(t *testing.T) {
	f := newSessionFake(t)
	f.session.Status = api.SessionPrompting
	f.broker.Events = []sessionproto.Event{
		{Type: sessionproto.EventState, Session: 7, Status: api.SessionPrompting},
		{Type: sessionproto.EventEnded, Session: 7, Status: api.SessionRefused, EndReason: api.RefusedConsentRejected, Message: "the end user declined"},
	}
	r := runCLI(t, f.vars(t), "", "shell", "web-01")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "jumpgate: waiting for the end user to accept")
	assert.True(t, strings.HasSuffix(r.stderr, "\njumpgate: session 7 refused (consent_rejected): the end user declined\n"), r.stderr)
}

func TestSession_EndedRemotely(t *testing.T) {
	f := newSessionFake(t)
	f.broker.Streams = func(o sessionproto.Open, st *yamux.Stream) {
		_ = channeltest.Accept(st, sessionproto.Opened{})
		f.broker.Send(sessionproto.Event{Type: sessionproto.EventWarning, Session: 7, Message: "the session ends in 1 minute"})
		f.broker.End(sessionproto.Event{Session: 7, EndReason: api.EndUser, EndedBy: "admin"})
		_, _ = io.Copy(io.Discard, st)
	}
	r := runCLI(t, f.vars(t), "", "run", "web-01", "--", "sleep", "60")
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "jumpgate: warning: the session ends in 1 minute\njumpgate: session 7 ended: ended by admin\n", r.stderr)
}

func TestSession_ExistingSession(t *testing.T) {
	f := newSessionFake(t)
	f.broker.Streams = execStreams
	r := runCLI(t, f.vars(t), "", "sysinfo", "--session", "7")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Host:     web-01\nOS:       Debian 13\nPlatform: linux amd64\nCPU:      4 CPUs\n")
	calls := f.calls()
	assert.Contains(t, calls, "GET sessions/7")
	assert.NotContains(t, calls, "POST sessions", "no new session")
	assert.NotContains(t, calls, "POST sessions/7/end", "a joined session is not ended")
}

func TestFilesGet_AgainstFakeBroker(t *testing.T) {
	f := newSessionFake(t)
	f.broker.Streams = execStreams
	dir := t.TempDir()
	r := runCLI(t, f.vars(t), "", "files", "get", "web-01", "/srv/f.txt", dir)
	require.Equal(t, 0, r.code, r.stderr)
	got, err := os.ReadFile(filepath.Join(dir, "f.txt"))
	require.NoError(t, err)
	assert.Equal(t, "remote bytes\n", string(got))
	assert.Contains(t, r.stderr, "jumpgate: downloaded /srv/f.txt to "+filepath.Join(dir, "f.txt")+" (13 B, sha256 ")

	r = runCLI(t, f.vars(t), "", "files", "get", "web-01", "/srv/f.txt", dir, "-q")
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "jumpgate: "+filepath.Join(dir, "f.txt")+" exists; pass --overwrite to replace it\n", r.stderr)
	r = runCLI(t, f.vars(t), "", "files", "get", "web-01", "/srv/f.txt", dir, "-q", "--overwrite")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Empty(t, r.stderr)
}

// lineWriter hands the first line written to it over a channel.
type lineWriter struct {
	pw    *io.PipeWriter
	lines chan string
}

func newLineWriter() *lineWriter {
	pr, pw := io.Pipe()
	w := &lineWriter{pw: pw, lines: make(chan string, 16)}
	go func() {
		s := bufio.NewScanner(pr)
		for s.Scan() {
			w.lines <- s.Text()
		}
		close(w.lines)
	}()
	return w
}

func (w *lineWriter) Write(p []byte) (int, error) { return w.pw.Write(p) }

func TestTunnel_AgainstFakeBroker(t *testing.T) {
	target, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer target.Close()
	go func() {
		for {
			c, err := target.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	f := newSessionFake(t)
	f.session.ItemType, f.session.ItemID, f.session.ItemName = api.ItemProtocolTunnelJump, 3, "db"
	f.broker.Streams = func(o sessionproto.Open, st *yamux.Stream) { channeltest.Tunnel(st, target.Addr().String()) }

	vars := f.vars(t)
	stdout := newLineWriter()
	var stderr strings.Builder
	e := env{stdin: strings.NewReader(""), stdout: stdout, stderr: &stderr, getenv: func(k string) string { return vars[k] }, now: time.Now}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() { done <- e.run(ctx, []string{"tunnel", "db"}) }()

	var line string
	select {
	case line = <-stdout.lines:
	case code := <-done:
		t.Fatalf("tunnel exited with %d: %s", code, stderr.String())
	}
	require.Regexp(t, `^127\.0\.0\.1:\d+ -> db\.internal:5432$`, line)
	local, _, _ := strings.Cut(line, " ")
	c, err := net.Dial("tcp", local)
	require.NoError(t, err)
	_, err = c.Write([]byte("ping"))
	require.NoError(t, err)
	buf := make([]byte, 4)
	_, err = io.ReadFull(c, buf)
	require.NoError(t, err)
	assert.Equal(t, "ping", string(buf))
	c.Close()

	cancel()
	assert.Equal(t, 0, <-done)
	assert.Equal(t, tunnelOpen(t, f.broker.Opens()), 5432)
	assert.Regexp(t, `jumpgate: 127\.0\.0\.1:\d+ -> db\.internal:5432: \d open, 1 total, 0 refused, 4 B in, 4 B out\n$`, stderr.String())
	var req api.SessionRequest
	require.NoError(t, json.Unmarshal([]byte(f.body("POST sessions")), &req))
	assert.Equal(t, api.ItemProtocolTunnelJump, req.ItemType)
	assert.Equal(t, int64(3), req.ItemID)
}

// tunnelOpen returns the port of the only tunnel Open.
func tunnelOpen(t *testing.T, opens []sessionproto.Open) int {
	t.Helper()
	require.Len(t, opens, 1)
	assert.Equal(t, sessionproto.StreamTunnel, opens[0].Type)
	assert.NotEmpty(t, opens[0].Peer)
	return opens[0].Port
}

func TestSessionRecords_AgainstFakeBroker(t *testing.T) {
	f := newSessionFake(t)
	codePoll = time.Millisecond
	f.codeStatuses = []string{api.CodePending, api.CodeUsed}
	tests := []struct {
		name       string
		args       []string
		wantStdout string
		wantCall   string
	}{
		{name: "sessions list shows prompting and active", args: []string{"sessions", "list"},
			wantStdout: "ID  ITEM                USER  MODE        STATUS  STARTED               ENDS/ENDED  REASON\n" +
				"7   client:12 (web-01)        unattended  active  2026-03-01T12:00:00Z              \n",
			wantCall: "GET sessions?limit=500&status=active"},
		{name: "sessions list empty json", args: []string{"sessions", "list", "--status", "ended", "-o", "json"}, wantStdout: "[]\n",
			wantCall: "GET sessions?limit=500&status=ended"},
		{name: "sessions end", args: []string{"sessions", "end", "7", "--reason", "done"}, wantStdout: "Session 7 is active\n", wantCall: "POST sessions/7/end"},
		{name: "approvals list empty", args: []string{"approvals", "list", "-o", "json"}, wantStdout: "[]\n", wantCall: "GET approvals?status=pending"},
		{name: "approvals grant", args: []string{"approvals", "grant", "9", "--duration", "2h"},
			wantStdout: "Approval 9 for bob on web-01 is granted until " + time.Date(2026, 3, 1, 13, 0, 0, 0, time.UTC).Local().Format(time.DateTime) + "\n",
			wantCall:   "POST approvals/9/grant"},
		{name: "codes create --wait", args: []string{"codes", "create", "--wait"},
			wantStdout: "Code:     482913\nExpires:  " + time.Date(2026, 3, 1, 12, 5, 0, 0, time.UTC).Local().Format(time.TimeOnly) +
				" (in 5m0s)\nJoin:     jumpgate-agent join --code 482913\nSession:  7\n",
			wantCall: "GET access-codes/4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, f.vars(t), "", tt.args...)
			require.Equal(t, 0, r.code, r.stderr)
			assert.Equal(t, tt.wantStdout, r.stdout)
			assert.Contains(t, f.calls(), tt.wantCall)
		})
	}
	assert.JSONEq(t, `{"duration_minutes":120,"comment":""}`, f.body("POST approvals/9/grant"))
	assert.JSONEq(t, `{"reason":"done"}`, f.body("POST sessions/7/end"))
}

func TestTunnel_EndedRemotely(t *testing.T) {
	f := newSessionFake(t)
	f.session.ItemType, f.session.ItemID, f.session.ItemName = api.ItemProtocolTunnelJump, 3, "db"
	vars := f.vars(t)
	stdout := newLineWriter()
	var stderr strings.Builder
	e := env{stdin: strings.NewReader(""), stdout: stdout, stderr: &stderr, getenv: func(k string) string { return vars[k] }, now: time.Now}
	done := make(chan int, 1)
	go func() { done <- e.run(context.Background(), []string{"tunnel", "db", "-L", "0:5432"}) }()
	select {
	case <-stdout.lines:
	case code := <-done:
		t.Fatalf("tunnel exited with %d: %s", code, stderr.String())
	}
	f.broker.End(sessionproto.Event{Session: 7, EndReason: api.EndMaxDuration})
	assert.Equal(t, 1, <-done)
	assert.Regexp(t, `: 0 open, 0 total, 0 refused, 0 B in, 0 B out\njumpgate: session 7 ended: it reached its maximum duration\n$`, stderr.String())
}

// TestRun_FlagAfterItem: a flag of run written after the item is an error
// that says where flags go, before any session is requested (it used to run
// "--mode" on the endpoint, in a session of the default mode).
func TestRun_FlagAfterItem(t *testing.T) {
	f := newSessionFake(t)
	f.broker.Streams = execStreams
	for _, args := range [][]string{
		{"run", "client:1", "--mode", "consent", "--", "id"},
		{"run", "client:1", "--mode=consent", "--", "id"},
		{"run", "web-01", "-t", "--", "top"},
		{"run", "web-01", "--ticket", "INC-1", "id"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			before := len(f.calls())
			r := runCLI(t, f.vars(t), "", args...)
			assert.Equal(t, 1, r.code, r.stderr)
			assert.Contains(t, r.stderr, "is a flag of jumpgate run, written after the item "+args[1]+": flags go before the item")
			assert.Equal(t, 1, strings.Count(r.stderr, "\n"), "one line: %q", r.stderr)
			assert.Len(t, f.calls(), before, "no request reached the appliance")
		})
	}
	// A remote command's own flags are its own.
	for _, tt := range []struct{ args, want []string }{
		{[]string{"run", "web-01", "--", "ls", "-t", "--mode"}, []string{"ls", "-t", "--mode"}},
		{[]string{"run", "web-01", "--", "ls", "-t", "--", "x"}, []string{"ls", "-t", "--", "x"}},
		{[]string{"run", "web-01", "ls", "-t"}, []string{"ls", "-t"}},
	} {
		r := runCLI(t, f.vars(t), "", tt.args...)
		assert.Equal(t, 0, r.code, r.stderr)
		assert.Equal(t, tt.want, f.broker.Opens()[len(f.broker.Opens())-1].Command)
	}
}
