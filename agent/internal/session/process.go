package session

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/jumpgate/jumpgate/api/sessionproto"
)

// Bounds of shells and execs.
const (
	// ptyFrame is the most PTY output one data frame carries; output that
	// piles up while the peer is slow is coalesced up to it.
	ptyFrame = 32 << 10
	// outputGrace is how long the output may go on after the process
	// exited (a background job still holding the terminal or the pipes)
	// before it is cut.
	outputGrace = 500 * time.Millisecond
	// defaultCols, defaultRows size a PTY when the Open does not.
	defaultCols, defaultRows = 80, 24
	// maxTermSize bounds a PTY dimension (struct winsize holds uint16).
	maxTermSize = 10000
	defaultTerm = "xterm-256color"
)

// serveProcess runs a shell (the session user's login shell in a PTY) or
// an exec (Open.Command, in a PTY when Open.TTY, else on pipes). A command
// that cannot be found or started is refused in the Opened line (code
// not_found or failed); once started, the stream ends with an exit frame.
func (m *Manager) serveProcess(s *stream, open *sessionproto.Open) {
	acct, ref := m.account()
	if ref != nil {
		s.refuse(*ref)
		return
	}
	spec := procSpec{
		acct: acct,
		tty:  open.Type == sessionproto.StreamShell || open.TTY,
		cols: termSize(open.Cols, defaultCols),
		rows: termSize(open.Rows, defaultRows),
		term: open.Term,
	}
	if spec.term == "" {
		spec.term = defaultTerm
	}
	if open.Type == sessionproto.StreamShell {
		spec.path = acct.shell
		if m.cfg.Shell != "" {
			spec.path = m.cfg.Shell
		}
		// A leading dash makes it a login shell.
		spec.args = []string{"-" + baseName(spec.path)}
		spec.login = true
	} else {
		if len(open.Command) == 0 || open.Command[0] == "" {
			s.refuse(sessionproto.Refuse(sessionproto.CodeBadRequest, "exec needs a command"))
			return
		}
		path, err := lookPath(open.Command[0], acct.pathEnv())
		if err != nil {
			s.refuse(sessionproto.Refuse(sessionproto.CodeNotFound, "%v", err))
			return
		}
		spec.path, spec.args = path, open.Command
	}
	// Nothing the agent inherited may reach the process (it may run as
	// another user): refuse rather than leak it across that boundary.
	if err := closeInherited(); err != nil {
		if acct.switchTo {
			s.refuse(sessionproto.Refuse(sessionproto.CodeFailed, "%v", err))
			return
		}
		m.log.Warn("descriptors the agent inherited may reach the session's process", "err", err)
	}
	if spec.tty {
		m.runPTY(s, spec)
	} else {
		m.runPipes(s, spec)
	}
}

// procSpec is a process to start.
type procSpec struct {
	acct       *account
	path       string
	args       []string
	login      bool
	tty        bool
	cols, rows int
	term       string
}

// command builds the exec.Cmd of spec, without its I/O.
func (spec procSpec) command() *exec.Cmd {
	cmd := &exec.Cmd{Path: spec.path, Args: spec.args, Env: spec.acct.env(spec), Dir: spec.acct.workDir()}
	cmd.SysProcAttr = spec.acct.sysProcAttr()
	return cmd
}

func termSize(v, def int) int {
	if v <= 0 {
		return def
	}
	return min(v, maxTermSize)
}

func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}

// runPTY runs spec in a PTY: PTY output → data frames, input frames → the
// PTY, then an exit frame.
func (m *Manager) runPTY(s *stream, spec procSpec) {
	cmd := spec.command()
	p, err := startPTY(cmd, spec.cols, spec.rows, spec.acct)
	if err != nil {
		s.refuse(sessionproto.Refuse(sessionproto.CodeFailed, "start %s: %v", spec.path, err))
		return
	}
	remove := s.onKill(p.kill)
	defer remove()
	if err := s.opened(sessionproto.Opened{}); err != nil {
		p.kill()
	}

	out := newCoalescer(ptyFrame)
	exited := make(chan sessionproto.Exit, 1)
	var wg sync.WaitGroup
	wg.Go(func() { out.readFrom(p.master) })
	wg.Go(func() { m.pumpInput(s, p) })
	wg.Go(func() {
		exited <- p.wait()
		// A background job may hold the terminal after the process
		// exited: closing our end cuts it (and hangs it up).
		select {
		case <-out.done:
		case <-time.After(outputGrace):
		}
		p.master.Close()
	})
	for {
		b, ok := out.next()
		if !ok {
			break
		}
		if err := s.frame(sessionproto.FrameData, b); err != nil {
			// Nobody watches any more: stop the process.
			out.abandon()
			p.kill()
		}
	}
	_ = s.jsonFrame(sessionproto.FrameExit, <-exited)
	s.closeConn()
	wg.Wait()
	p.cleanup()
}

// runPipes runs spec on pipes: stdout → data frames, stderr → stderr
// frames, data frames → stdin, then an exit frame.
func (m *Manager) runPipes(s *stream, spec procSpec) {
	cmd := spec.command()
	ready := make(chan struct{})
	cmd.Stdout = &frameWriter{s: s, typ: sessionproto.FrameData, ready: ready}
	cmd.Stderr = &frameWriter{s: s, typ: sessionproto.FrameStderr, ready: ready}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		s.refuse(sessionproto.Refuse(sessionproto.CodeFailed, "start %s: %v", spec.path, err))
		return
	}
	// The process exited but something it started holds its output: cut
	// it off after the grace.
	cmd.WaitDelay = outputGrace
	if err := cmd.Start(); err != nil {
		s.refuse(sessionproto.Refuse(sessionproto.CodeFailed, "start %s: %v", spec.path, err))
		return
	}
	p := &proc{cmd: cmd, stdin: stdin}
	remove := s.onKill(p.kill)
	defer remove()
	if err := s.opened(sessionproto.Opened{}); err != nil {
		p.kill()
	}
	close(ready)

	var wg sync.WaitGroup
	wg.Go(func() { m.pumpInput(s, p) })
	exit := p.wait()
	_ = s.jsonFrame(sessionproto.FrameExit, exit)
	s.closeConn()
	wg.Wait()
	p.cleanup()
}

// frameWriter turns a process's output into frames; its first write waits
// for the Opened line.
type frameWriter struct {
	s     *stream
	typ   byte
	ready <-chan struct{}
}

func (w *frameWriter) Write(p []byte) (int, error) {
	<-w.ready
	n := 0
	for len(p) > 0 {
		c := p[:min(len(p), sessionproto.MaxFrame)]
		if err := w.s.frame(w.typ, c); err != nil {
			// Nobody watches any more: stop the process.
			w.s.terminate()
			return n, err
		}
		n += len(c)
		p = p[len(c):]
	}
	return n, nil
}

// target is what input frames act on.
type target interface {
	// input writes to stdin.
	input(p []byte) error
	// closeInput ends stdin (an eof frame).
	closeInput()
	resize(cols, rows int) error
	// signal sends a signal by name (INT, TERM, HUP, KILL, QUIT).
	signal(name string) error
	// peerClosed: the peer closed its write side; no input will come.
	peerClosed()
}

// pumpInput applies s's input frames to t until the stream ends. While
// control is revoked, stdin, eof and signal frames are dropped; resizes
// still apply (they only change what the representative sees).
func (m *Manager) pumpInput(s *stream, t target) {
	fr := sessionproto.NewFrameReader(s)
	for {
		typ, p, err := fr.Next()
		if err != nil {
			if !s.isKilled() {
				t.peerClosed()
			}
			return
		}
		m.applyInput(s, t, typ, p)
	}
}

// applyInput applies one input frame.
func (m *Manager) applyInput(s *stream, t target, typ byte, p []byte) {
	switch typ {
	case sessionproto.FrameData, sessionproto.FrameEOF, sessionproto.FrameSignal:
		if s.revoked.Load() {
			m.dropped.Add(1)
			return
		}
	}
	switch typ {
	case sessionproto.FrameData:
		// A process that closed its stdin makes this fail; the input
		// is dropped like a terminal drops it.
		_ = t.input(p)
	case sessionproto.FrameEOF:
		t.closeInput()
	case sessionproto.FrameSignal:
		name := strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(string(p))), "SIG")
		if err := t.signal(name); err != nil {
			m.log.Debug("signal not sent", "session", s.session, "signal", name, "err", err)
		}
	case sessionproto.FrameResize:
		var r sessionproto.Resize
		if json.Unmarshal(p, &r) != nil || r.Cols <= 0 || r.Rows <= 0 {
			return
		}
		_ = t.resize(min(r.Cols, maxTermSize), min(r.Rows, maxTermSize))
	}
	// Other frame types are not input; newer peers may send more.
}

// errUnknownSignal is a signal frame naming no signal this agent sends.
var errUnknownSignal = errors.New("unknown signal")

// coalescer passes output from a reader to a frame writer, joining what
// piles up while the writer is busy into one frame of up to max bytes.
type coalescer struct {
	mu        sync.Mutex
	cond      sync.Cond
	buf       []byte
	spare     []byte
	err       error
	abandoned bool
	// done is closed when the reader has stopped.
	done chan struct{}
}

func newCoalescer(max int) *coalescer {
	c := &coalescer{buf: make([]byte, 0, max), spare: make([]byte, 0, max), done: make(chan struct{})}
	c.cond.L = &c.mu
	return c
}

// readFrom reads r until it fails; a PTY whose other side is gone fails
// with EIO, which ends the output like EOF.
func (c *coalescer) readFrom(r io.Reader) {
	defer close(c.done)
	tmp := make([]byte, cap(c.buf))
	for {
		n, err := r.Read(tmp)
		c.mu.Lock()
		for n > 0 && !c.abandoned && len(c.buf)+n > cap(c.buf) {
			c.cond.Wait()
		}
		if !c.abandoned {
			c.buf = append(c.buf, tmp[:n]...)
		}
		if err != nil {
			c.err = err
		}
		stop := err != nil
		c.cond.Broadcast()
		c.mu.Unlock()
		if stop {
			return
		}
	}
}

// next returns the output gathered so far, waiting for some; false when
// the reader stopped and everything was taken. The slice is valid until
// the next call.
func (c *coalescer) next() ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.buf) == 0 && c.err == nil {
		c.cond.Wait()
	}
	if len(c.buf) == 0 {
		return nil, false
	}
	out := c.buf
	c.buf, c.spare = c.spare[:0], out
	c.cond.Broadcast()
	return out, true
}

// abandon drops all further output.
func (c *coalescer) abandon() {
	c.mu.Lock()
	c.abandoned = true
	c.buf = c.buf[:0]
	c.cond.Broadcast()
	c.mu.Unlock()
}

// lookPath finds an executable like a shell does with PATH pathEnv; a
// name with a separator is taken as it is.
func lookPath(name, pathEnv string) (string, error) {
	if strings.ContainsAny(name, `/\`) {
		if _, err := os.Stat(name); err != nil {
			return "", &exec.Error{Name: name, Err: err}
		}
		return name, nil
	}
	return lookPathIn(name, pathEnv)
}
