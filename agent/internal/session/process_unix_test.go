//go:build unix

package session

import (
	"context"
	"os"
	"os/user"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/api/sessionproto"
)

func shellOpen(cols, rows int) sessionproto.Open {
	return sessionproto.Open{Type: sessionproto.StreamShell, Session: sessionID, Cols: cols, Rows: rows}
}

func execOpen(argv ...string) sessionproto.Open {
	return sessionproto.Open{Type: sessionproto.StreamExec, Session: sessionID, Command: argv}
}

func TestShell(t *testing.T) {
	me, err := user.Current()
	require.NoError(t, err)
	tests := []struct {
		name string
		open sessionproto.Open
		run  func(t *testing.T, p *peer, out *output)
		code int
	}{
		{"runs commands", shellOpen(0, 0), func(t *testing.T, p *peer, out *output) {
			p.send(sessionproto.FrameData, []byte("echo hi-$((6*7))\n"))
			p.readUntil(out, "hi-42")
			p.send(sessionproto.FrameData, []byte("exit 3\n"))
		}, 3},
		{"is a login shell of the user", shellOpen(0, 0), func(t *testing.T, p *peer, out *output) {
			p.send(sessionproto.FrameData, []byte("echo \"<$0|$TERM|$HOME|$USER|$LOGNAME>\"\n"))
			p.readUntil(out, ">\r\n")
			m := regexp.MustCompile(`<([^<>"]*)>\r\n`).FindStringSubmatch(out.stdout.String())
			require.NotNil(t, m, out.stdout.String())
			f := strings.Split(m[1], "|")
			require.Len(t, f, 5, m[1])
			assert.True(t, strings.HasPrefix(f[0], "-"), "argv[0] %q marks a login shell", f[0])
			assert.Equal(t, []string{defaultTerm, me.HomeDir, me.Username, me.Username}, f[1:])
			p.send(sessionproto.FrameData, []byte("exit\n"))
		}, 0},
		{"takes its size and resizes", shellOpen(100, 30), func(t *testing.T, p *peer, out *output) {
			p.send(sessionproto.FrameData, []byte("stty size\n"))
			p.readUntil(out, "30 100")
			p.sendJSON(sessionproto.FrameResize, sessionproto.Resize{Cols: 120, Rows: 40})
			p.send(sessionproto.FrameData, []byte("stty size\n"))
			p.readUntil(out, "40 120")
			p.send(sessionproto.FrameData, []byte("exit\n"))
		}, 0},
		{"defaults to 80x24", shellOpen(0, 0), func(t *testing.T, p *peer, out *output) {
			p.send(sessionproto.FrameData, []byte("stty size\n"))
			p.readUntil(out, "24 80")
			p.send(sessionproto.FrameData, []byte("exit\n"))
		}, 0},
		{"eof is ^D", shellOpen(0, 0), func(t *testing.T, p *peer, out *output) {
			// ^D must come once the shell reads its terminal again (in
			// between, the terminal is in canonical mode and the EOF
			// would go to nobody): wait for its prompt. The quotes keep
			// the terminal's echo of the command from matching.
			p.send(sessionproto.FrameData, []byte("PS1='pr''ompt> '\n"))
			for !strings.HasSuffix(out.stdout.String(), "prompt> ") {
				p.readFrame(out)
			}
			p.send(sessionproto.FrameEOF, nil)
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := newManager(t, Config{}, &allowAll)
			p := serve(t, m, tt.open)
			p.mustOpen()
			var out output
			tt.run(t, p, &out)
			assert.Equal(t, sessionproto.Exit{Code: tt.code}, p.readExit(&out))
			_, _, err := p.nextErr()
			assert.Error(t, err, "the stream ends after the exit frame")
			p.wait()
		})
	}
}

func TestShell_SignalInterruptsTheForegroundJob(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc to find the job")
	}
	m, _ := newManager(t, Config{}, &allowAll)
	p := serve(t, m, shellOpen(0, 0))
	p.mustOpen()
	var out output
	p.send(sessionproto.FrameData, []byte("printf 'pid=%s.\\n' $$\n"))
	pidRE := regexp.MustCompile(`pid=(\d+)\.`)
	for !pidRE.MatchString(out.stdout.String()) {
		p.readFrame(&out)
	}
	shell, err := strconv.Atoi(pidRE.FindStringSubmatch(out.stdout.String())[1])
	require.NoError(t, err)

	p.send(sessionproto.FrameData, []byte("sleep 30\n"))
	eventually(t, func() bool { return childNamed(shell, "sleep") > 0 }, "sleep did not start")
	p.send(sessionproto.FrameSignal, []byte("INT"))
	// 30 s of sleep would outlast waitFor: the prompt comes back at once.
	p.send(sessionproto.FrameData, []byte("echo after-$((40+2))\n"))
	p.readUntil(&out, "after-42")
	p.send(sessionproto.FrameData, []byte("exit\n"))
	assert.Equal(t, 0, p.readExit(&out).Code)
}

// childNamed finds a child of parent named comm in /proc.
func childNamed(parent int, comm string) int {
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		f := strings.Fields(s[end+1:])
		if open < 0 || len(f) < 2 || s[open+1:end] != comm {
			continue
		}
		if ppid, _ := strconv.Atoi(f[1]); ppid == parent {
			return pid
		}
	}
	return 0
}

func TestExec(t *testing.T) {
	tests := []struct {
		name   string
		open   sessionproto.Open
		run    func(t *testing.T, p *peer, out *output)
		stdout string
		stderr string
		exit   sessionproto.Exit
	}{
		{"stdout, stderr and exit code", execOpen("sh", "-c", "echo out; echo err >&2; exit 3"), nil, "out\n", "err\n", sessionproto.Exit{Code: 3}},
		{"stdin until eof", execOpen("cat"), func(t *testing.T, p *peer, out *output) {
			p.send(sessionproto.FrameData, []byte("hello\n"))
			p.send(sessionproto.FrameData, []byte("world\n"))
			p.send(sessionproto.FrameEOF, nil)
		}, "hello\nworld\n", "", sessionproto.Exit{}},
		{"hung up when the peer closes its side", execOpen("sh", "-c", "echo ready; exec sleep 30"), func(t *testing.T, p *peer, out *output) {
			p.readUntil(out, "ready\n")
			require.NoError(t, p.conn.Close()) // a yamux FIN; the peer still reads
		}, "ready\n", "", sessionproto.Exit{Code: 129, Signal: "HUP"}},
		{"INT", execOpen("sh", "-c", "echo ready; exec sleep 30"), func(t *testing.T, p *peer, out *output) {
			p.readUntil(out, "ready\n")
			p.send(sessionproto.FrameSignal, []byte("INT"))
		}, "ready\n", "", sessionproto.Exit{Code: 130, Signal: "INT"}},
		{"KILL", execOpen("sh", "-c", "echo ready; exec sleep 30"), func(t *testing.T, p *peer, out *output) {
			p.readUntil(out, "ready\n")
			p.send(sessionproto.FrameSignal, []byte("KILL"))
		}, "ready\n", "", sessionproto.Exit{Code: 137, Signal: "KILL"}},
		{"unknown signals are ignored", execOpen("cat"), func(t *testing.T, p *peer, out *output) {
			p.send(sessionproto.FrameSignal, []byte("STOP"))
			p.send(sessionproto.FrameData, []byte("still here\n"))
			p.send(sessionproto.FrameEOF, nil)
		}, "still here\n", "", sessionproto.Exit{}},
		{"in a tty", sessionproto.Open{Type: sessionproto.StreamExec, Session: sessionID, Command: []string{"stty", "size"}, TTY: true, Cols: 90, Rows: 20},
			nil, "20 90\r\n", "", sessionproto.Exit{}},
		{"the user's environment", execOpen("sh", "-c", `test -n "$HOME" && test -n "$USER" && test -n "$PATH" && test -z "$JUMPGATE_TEST_SECRET" && echo ok`),
			nil, "ok\n", "", sessionproto.Exit{}},
		{"big output", execOpen("sh", "-c", "head -c 3000000 /dev/zero | tr '\\0' x"), nil, strings.Repeat("x", 3000000), "", sessionproto.Exit{}},
	}
	t.Setenv("JUMPGATE_TEST_SECRET", "not for the session")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := newManager(t, Config{}, &allowAll)
			p := serve(t, m, tt.open)
			p.mustOpen()
			var out output
			if tt.run != nil {
				tt.run(t, p, &out)
			}
			assert.Equal(t, tt.exit, p.readExit(&out))
			assert.Equal(t, tt.stdout, out.stdout.String())
			assert.Equal(t, tt.stderr, out.stderr.String())
			p.wait()
		})
	}
}

func TestRevoke_BlocksInputButNotOutput(t *testing.T) {
	m, rec := newManager(t, Config{}, &allowAll)
	p := serve(t, m, execOpen("cat"))
	p.mustOpen()
	var out output
	p.send(sessionproto.FrameData, []byte("a\n"))
	p.readUntil(&out, "a\n")

	require.NoError(t, m.SetControl(sessionID, true, "enduser"))
	p.readFrame(&out)
	assert.Equal(t, []string{noticeRevoked}, out.notices)
	p.send(sessionproto.FrameData, []byte("b\n"))
	p.send(sessionproto.FrameSignal, []byte("KILL"))
	p.send(sessionproto.FrameEOF, nil)
	eventually(t, func() bool { return m.dropped.Load() == 3 }, "input not dropped: %d", m.dropped.Load())

	require.NoError(t, m.SetControl(sessionID, false, "enduser"))
	p.readFrame(&out)
	assert.Equal(t, []string{noticeRevoked, noticeRestored}, out.notices)
	p.send(sessionproto.FrameData, []byte("c\n"))
	p.readUntil(&out, "c\n")
	assert.Equal(t, "a\nc\n", out.stdout.String(), "nothing typed while revoked got through")
	p.send(sessionproto.FrameEOF, nil)
	assert.Equal(t, sessionproto.Exit{}, p.readExit(&out), "the KILL sent while revoked was dropped")

	msgs := rec.all()
	require.Len(t, msgs, 2)
	assert.Equal(t, agentproto.SessionControl{Session: sessionID, Revoked: true, By: "enduser"}, *msgs[0].SessionControl)
	assert.Equal(t, agentproto.SessionControl{Session: sessionID, Revoked: false, By: "enduser"}, *msgs[1].SessionControl)
}

func TestRevoke_FromTheAppliance(t *testing.T) {
	m, _ := newManager(t, Config{}, &allowAll)
	p := serve(t, m, shellOpen(0, 0))
	p.mustOpen()
	info := activeSession(sessionID, allowAll)
	info.ControlRevoked = true
	m.Update(info)
	var out output
	for len(out.notices) == 0 {
		p.readFrame(&out)
	}
	assert.Equal(t, []string{noticeRevoked}, out.notices)
	m.Update(info) // no change, no notice
	info.ControlRevoked = false
	m.Update(info)
	for len(out.notices) == 1 {
		p.readFrame(&out)
	}
	assert.Equal(t, []string{noticeRevoked, noticeRestored}, out.notices)
	p.send(sessionproto.FrameData, []byte("exit 4\n"))
	assert.Equal(t, 4, p.readExit(&out).Code)
}

// gone reports whether pid no longer runs (a zombie whose parent is gone
// counts: it runs nothing).
func gone(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return syscall.Kill(pid, 0) != nil
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(f) > 0 && f[0] == "Z"
}

func TestSessionEnd_KillsProcesses(t *testing.T) {
	tests := []struct {
		name string
		end  func(m *Manager, cancel context.CancelFunc)
	}{
		{"the appliance ends it", func(m *Manager, _ context.CancelFunc) {
			m.Update(agentproto.SessionInfo{ID: sessionID, Status: api.SessionEnded, EndReason: api.EndMaxDuration})
		}},
		{"the end user ends it", func(m *Manager, _ context.CancelFunc) { _ = m.End(sessionID, "enduser", "bye") }},
		{"the connection is lost", func(m *Manager, _ context.CancelFunc) { m.Reset() }},
		{"the manager closes", func(m *Manager, _ context.CancelFunc) { m.Close() }},
		{"the agent stops", func(_ *Manager, cancel context.CancelFunc) { cancel() }},
	}
	for _, tt := range tests {
		for _, tty := range []bool{false, true} {
			t.Run(tt.name+map[bool]string{true: " (tty)", false: ""}[tty], func(t *testing.T) {
				m, _ := newManager(t, Config{}, &allowAll)
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				open := execOpen("sh", "-c", "sleep 1000 & echo pids $! $$ .; wait")
				open.TTY = tty
				p := serveCtx(t, ctx, m, open)
				p.mustOpen()
				var out output
				p.readUntil(&out, " .")
				f := strings.Fields(out.stdout.String())
				require.Len(t, f, 4, out.stdout.String())
				var pids []int
				for _, s := range f[1:3] {
					pid, err := strconv.Atoi(s)
					require.NoError(t, err)
					pids = append(pids, pid)
				}

				tt.end(m, cancel)
				p.wait()
				for {
					if _, _, err := p.nextErr(); err != nil {
						break
					}
				}
				for _, pid := range pids {
					eventually(t, func() bool { return gone(pid) }, "process %d still runs", pid)
				}
			})
		}
	}
}

func TestSessionUser(t *testing.T) {
	me, err := user.Current()
	require.NoError(t, err)
	root := os.Geteuid() == 0
	idOpen := execOpen("id", "-un")
	// The terminal belongs to the user, as after a login.
	ttyOpen := execOpen("sh", "-c", `ls -lL "$(tty)" | awk '{print $3}'`)
	ttyOpen.TTY = true
	tests := []struct {
		name   string
		user   string
		open   sessionproto.Open
		skip   string
		code   string
		stdout string
		// unprivileged plays an agent that does not run as root.
		unprivileged bool
	}{
		{"the agent's own user by name", me.Username, idOpen, "", "", me.Username + "\n", false},
		{"another user, as root", "nobody", idOpen, map[bool]string{false: "needs root"}[root], "", "nobody\n", false},
		{"another user's terminal, as root", "nobody", ttyOpen, map[bool]string{false: "needs root"}[root], "", "nobody\r\n", false},
		{"another user, not as root", "root", idOpen, map[bool]string{true: "runs as root"}[root], sessionproto.CodePermission, "", false},
		{"another user, played not as root", "nobody", idOpen, "", sessionproto.CodePermission, "", true},
		{"no such user", "no-such-user-jumpgate", idOpen, map[bool]string{false: "needs root"}[root], sessionproto.CodeFailed, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.skip != "" {
				t.Skip(tt.skip)
			}
			if tt.user == "nobody" {
				if _, err := user.Lookup("nobody"); err != nil {
					t.Skip("no user nobody")
				}
			}
			m, _ := newManager(t, Config{SessionUser: tt.user}, &allowAll)
			if tt.unprivileged {
				m.geteuid = func() int { return 4242 }
			}
			p := serve(t, m, tt.open)
			o := p.opened()
			if tt.code != "" {
				assert.Equal(t, tt.code, o.Code, o.Error)
				if tt.code == sessionproto.CodePermission {
					assert.Contains(t, o.Error, "cannot start processes as "+tt.user)
				}
				return
			}
			require.True(t, o.OK, o.Error)
			var out output
			assert.Equal(t, 0, p.readExit(&out).Code, out.stderr.String())
			assert.Equal(t, tt.stdout, out.stdout.String())
		})
	}
}

func TestPasswdShell(t *testing.T) {
	const passwd = "root:x:0:0:root:/root:/bin/bash\n# comment\nalice:x:1000:1000:Alice,,,:/home/alice:/usr/bin/zsh\nbroken:x:1\n"
	tests := []struct{ name, want string }{
		{"root", "/bin/bash"},
		{"alice", "/usr/bin/zsh"},
		{"broken", ""},
		{"bob", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, passwdShell(strings.NewReader(passwd), tt.name))
		})
	}
}
