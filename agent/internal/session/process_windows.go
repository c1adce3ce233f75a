package session

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"strings"
	"sync"
	"syscall"

	"github.com/jumpgate/jumpgate/api/sessionproto"
)

// errNoPTY: Windows has no PTY here yet (ConPTY is not wired in).
var errNoPTY = errors.New("a terminal (shell, exec with tty) is not supported on windows yet")

// account resolves the session user. The agent cannot start processes as
// another Windows user (that needs a logon token), so a session user
// other than the agent's own is refused.
func (m *Manager) account() (*account, *sessionproto.Opened) {
	me, err := user.Current()
	if err != nil {
		r := sessionproto.Refuse(sessionproto.CodeFailed, "cannot tell which user the agent runs as: %v", err)
		return nil, &r
	}
	if want := m.cfg.SessionUser; want != "" && !strings.EqualFold(want, me.Username) && !strings.EqualFold(want, baseName(me.Username)) {
		r := sessionproto.Refuse(sessionproto.CodePermission, "the agent runs as %s and cannot start processes as %s", me.Username, want)
		return nil, &r
	}
	shell := os.Getenv("ComSpec")
	if shell == "" {
		shell = `C:\Windows\System32\cmd.exe`
	}
	return &account{name: me.Username, home: me.HomeDir, shell: shell}, nil
}

// pathEnv is the agent's PATH, which processes inherit.
func (a *account) pathEnv() string { return os.Getenv("PATH") }

// env is the agent's environment: Windows processes need much of it
// (SystemRoot, ComSpec, PATHEXT), and they run as the agent's user.
func (a *account) env(procSpec) []string { return os.Environ() }

func (a *account) sysProcAttr() *syscall.SysProcAttr { return nil }

func lookPathIn(name, _ string) (string, error) { return exec.LookPath(name) }

// proc is a started exec.
type proc struct {
	cmd    *exec.Cmd
	master *os.File // never set: no PTY on Windows
	stdin  io.WriteCloser

	mu     sync.Mutex
	exited bool
}

func startPTY(*exec.Cmd, int, int, *account) (*proc, error) { return nil, errNoPTY }

func (p *proc) input(b []byte) error  { _, err := p.stdin.Write(b); return err }
func (p *proc) closeInput()           { _ = p.stdin.Close() }
func (p *proc) resize(int, int) error { return nil }

// peerClosed ends the process: a peer ends its input with an eof frame,
// so a peer that closes its side is gone (Windows has no hangup signal).
func (p *proc) peerClosed() {
	p.closeInput()
	p.kill()
}

// signal: Windows has no signals to send to another process; INT, TERM,
// HUP, QUIT and KILL all end it.
func (p *proc) signal(name string) error {
	switch name {
	case "INT", "TERM", "HUP", "QUIT", "KILL":
		p.kill()
		return nil
	}
	return fmt.Errorf("%w %q", errUnknownSignal, name)
}

// kill ends the process; children it started are not tracked (no job
// object yet).
func (p *proc) kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.exited {
		_ = p.cmd.Process.Kill()
	}
}

func (p *proc) wait() sessionproto.Exit {
	_ = p.cmd.Wait()
	p.mu.Lock()
	p.exited = true
	p.mu.Unlock()
	if p.cmd.ProcessState == nil {
		return sessionproto.Exit{Code: -1}
	}
	return sessionproto.Exit{Code: p.cmd.ProcessState.ExitCode()}
}

func (p *proc) cleanup() {}

// closeInherited: Windows passes a child only the handles it is given
// (exec.Cmd makes no other handle inheritable).
func closeInherited() error { return nil }
