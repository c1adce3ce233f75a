//go:build unix

package session

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"unsafe"

	"github.com/creack/pty"

	"github.com/jumpgate/jumpgate/api/sessionproto"
)

// Default PATHs of processes started as another user, whose PATH the
// agent's own does not describe. A login shell sets its own from the
// profile.
const (
	rootPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	userPath = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin"
)

// account resolves the session user; a refusal when processes cannot run
// as it.
func (m *Manager) account() (*account, *sessionproto.Opened) {
	me, err := user.Current()
	if err != nil {
		r := sessionproto.Refuse(sessionproto.CodeFailed, "cannot tell which user the agent runs as: %v", err)
		return nil, &r
	}
	u, switchTo := me, false
	if want := m.cfg.SessionUser; want != "" && want != me.Username && want != me.Uid {
		if m.geteuid() != 0 {
			r := sessionproto.Refuse(sessionproto.CodePermission, "the agent runs as %s and cannot start processes as %s", me.Username, want)
			return nil, &r
		}
		if u, err = lookupUser(want); err != nil {
			r := sessionproto.Refuse(sessionproto.CodeFailed, "session user %s: %v", want, err)
			return nil, &r
		}
		switchTo = u.Uid != me.Uid
	}
	a := &account{name: u.Username, home: u.HomeDir, switchTo: switchTo}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		r := sessionproto.Refuse(sessionproto.CodeFailed, "user %s: %v", u.Username, err)
		return nil, &r
	}
	a.uid, a.gid = uint32(uid), uint32(gid)
	if switchTo {
		ids, _ := u.GroupIds()
		for _, g := range ids {
			if n, err := strconv.ParseUint(g, 10, 32); err == nil {
				a.groups = append(a.groups, uint32(n))
			}
		}
	}
	a.shell = loginShell(u.Username)
	if a.shell == "" {
		a.shell = os.Getenv("SHELL")
	}
	if a.shell == "" {
		a.shell = "/bin/sh"
	}
	return a, nil
}

// loginShell reads name's shell from /etc/passwd, else asks the OS.
func loginShell(name string) string {
	if f, err := os.Open("/etc/passwd"); err == nil {
		defer f.Close()
		if sh := passwdShell(f, name); sh != "" {
			return sh
		}
	}
	return osLoginShell(name)
}

// passwdShell finds name's shell in a passwd file.
func passwdShell(r io.Reader, name string) string {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Split(sc.Text(), ":")
		if len(f) >= 7 && f[0] == name {
			return strings.TrimSpace(f[6])
		}
	}
	return ""
}

// pathEnv is the PATH processes get.
func (a *account) pathEnv() string {
	if p := os.Getenv("PATH"); p != "" && !a.switchTo {
		return p
	}
	if a.uid == 0 {
		return rootPath
	}
	return userPath
}

// env is the environment of spec's process: the user's, not the agent's.
func (a *account) env(spec procSpec) []string {
	env := []string{
		"HOME=" + a.home,
		"USER=" + a.name,
		"LOGNAME=" + a.name,
		"SHELL=" + a.shell,
		"PATH=" + a.pathEnv(),
	}
	if spec.tty {
		env = append(env, "TERM="+spec.term)
	}
	if lang := os.Getenv("LANG"); lang != "" {
		env = append(env, "LANG="+lang)
	}
	return env
}

// sysProcAttr starts the process in a new session (so that its process
// group can be signalled and killed as one), as the account's user.
func (a *account) sysProcAttr() *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{Setsid: true}
	if a.switchTo {
		attr.Credential = &syscall.Credential{Uid: a.uid, Gid: a.gid, Groups: a.groups}
	}
	return attr
}

// lookPathIn finds an executable in the directories of pathEnv.
func lookPathIn(name, pathEnv string) (string, error) {
	for _, dir := range filepath.SplitList(pathEnv) {
		if dir == "" {
			continue
		}
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
			return p, nil
		}
	}
	return "", &exec.Error{Name: name, Err: exec.ErrNotFound}
}

// proc is a started shell or exec.
type proc struct {
	cmd *exec.Cmd
	// master is the PTY's controlling side; nil on pipes.
	master *os.File
	// stdin is the pipe to the process; nil in a PTY.
	stdin io.WriteCloser

	mu sync.Mutex
	// exited: the process was reaped, its pid may be reused; nothing is
	// signalled any more.
	exited bool
}

// startPTY starts cmd in a new PTY of cols×rows, with the PTY as its
// controlling terminal. When the process runs as another user, the
// terminal is given to that user, as login does, so that programs which
// reopen it (tty, sudo, ssh) can.
func startPTY(cmd *exec.Cmd, cols, rows int, acct *account) (*proc, error) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		return nil, err
	}
	defer tty.Close()
	if acct.switchTo {
		if err := os.Chown(tty.Name(), int(acct.uid), -1); err != nil {
			ptmx.Close()
			return nil, fmt.Errorf("give the terminal to %s: %w", acct.name, err)
		}
	}
	if err := pty.Setsize(ptmx, &pty.Winsize{Cols: uint16(cols), Rows: uint16(rows)}); err != nil {
		ptmx.Close()
		return nil, err
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	// The terminal becomes the controlling terminal of the new session
	// (Ctty 0: the child's stdin).
	cmd.SysProcAttr.Setsid, cmd.SysProcAttr.Setctty = true, true
	if err := cmd.Start(); err != nil {
		ptmx.Close()
		return nil, err
	}
	// pty's ioctls put the master in blocking mode, where closing it does
	// not interrupt a pending Read. A non-blocking duplicate joins the
	// runtime poller, so that it does.
	syscall.ForkLock.RLock()
	fd, err := syscall.Dup(int(ptmx.Fd()))
	if err == nil {
		syscall.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	ptmx.Close()
	if err == nil {
		err = syscall.SetNonblock(fd, true)
	}
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("set up the pty: %w", err)
	}
	return &proc{cmd: cmd, master: os.NewFile(uintptr(fd), "pty")}, nil
}

// ioctl runs an ioctl on the master without making it blocking again.
func (p *proc) ioctl(req uintptr, arg unsafe.Pointer) error {
	rc, err := p.master.SyscallConn()
	if err != nil {
		return err
	}
	var errno syscall.Errno
	if err := rc.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, req, uintptr(arg))
	}); err != nil {
		return err
	}
	if errno != 0 {
		return errno
	}
	return nil
}

// foreground is the PTY's foreground process group, which a terminal's
// signals go to (the job running in the shell, or the shell at its
// prompt); the process's own group when it cannot be told.
func (p *proc) foreground() int {
	pid := p.cmd.Process.Pid
	if p.master == nil {
		return pid
	}
	var pgrp int32
	if err := p.ioctl(syscall.TIOCGPGRP, unsafe.Pointer(&pgrp)); err != nil || pgrp <= 0 {
		return pid
	}
	return int(pgrp)
}

func (p *proc) input(b []byte) error {
	if p.master != nil {
		_, err := p.master.Write(b)
		return err
	}
	_, err := p.stdin.Write(b)
	return err
}

// closeInput ends stdin; in a PTY that is the terminal's EOF character.
func (p *proc) closeInput() {
	if p.master != nil {
		_, _ = p.master.Write([]byte{0x04})
		return
	}
	_ = p.stdin.Close()
}

func (p *proc) resize(cols, rows int) error {
	if p.master == nil {
		return nil
	}
	ws := pty.Winsize{Cols: uint16(cols), Rows: uint16(rows)}
	return p.ioctl(syscall.TIOCSWINSZ, unsafe.Pointer(&ws))
}

var signals = map[string]syscall.Signal{
	"INT": syscall.SIGINT, "TERM": syscall.SIGTERM, "HUP": syscall.SIGHUP,
	"KILL": syscall.SIGKILL, "QUIT": syscall.SIGQUIT,
}

// signal signals the process group a terminal would: the foreground group
// of a PTY, the process's own group on pipes.
func (p *proc) signal(name string) error {
	sig, ok := signals[name]
	if !ok {
		return fmt.Errorf("%w %q", errUnknownSignal, name)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.exited {
		return nil
	}
	return syscall.Kill(-p.foreground(), sig)
}

// peerClosed hangs the process up like a terminal whose line dropped
// (SIGHUP), after ending its stdin on pipes: a peer ends its input with an
// eof frame, so a peer that closes its side is gone.
func (p *proc) peerClosed() {
	if p.master == nil {
		p.closeInput()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.exited {
		return
	}
	pid := p.cmd.Process.Pid
	if fg := p.foreground(); fg != pid {
		_ = syscall.Kill(-fg, syscall.SIGHUP)
	}
	_ = syscall.Kill(-pid, syscall.SIGHUP)
}

// kill kills the process and everything it started that is still in its
// session (the session ended, or nobody watches).
func (p *proc) kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.exited {
		return
	}
	pid := p.cmd.Process.Pid
	if fg := p.foreground(); fg != pid {
		_ = syscall.Kill(-fg, syscall.SIGKILL)
	}
	killSession(pid)
}

// wait reaps the process and describes its end.
func (p *proc) wait() sessionproto.Exit {
	_ = p.cmd.Wait()
	p.mu.Lock()
	p.exited = true
	p.mu.Unlock()
	st := p.cmd.ProcessState
	if st == nil {
		return sessionproto.Exit{Code: -1}
	}
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return sessionproto.Exit{Code: 128 + int(ws.Signal()), Signal: signalName(ws.Signal())}
	}
	return sessionproto.Exit{Code: st.ExitCode()}
}

// cleanup kills what the process left behind in its session (a
// background job of a shell that exited): nothing a stream started
// outlives it. Its session id stays reserved while any member lives, so
// this cannot hit an unrelated process.
func (p *proc) cleanup() {
	if p.master != nil {
		p.master.Close()
	}
	killSession(p.cmd.Process.Pid)
}

func signalName(sig syscall.Signal) string {
	for name, s := range signals {
		if s == sig {
			return name
		}
	}
	switch sig {
	case syscall.SIGPIPE:
		return "PIPE"
	case syscall.SIGSEGV:
		return "SEGV"
	case syscall.SIGABRT:
		return "ABRT"
	case syscall.SIGALRM:
		return "ALRM"
	case syscall.SIGUSR1:
		return "USR1"
	case syscall.SIGUSR2:
		return "USR2"
	}
	return "SIG" + strconv.Itoa(int(sig))
}
