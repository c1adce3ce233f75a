package localctl

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/jumpgate/jumpgate/agent/internal/enduser"
	"github.com/jumpgate/jumpgate/agent/internal/session"
	"github.com/jumpgate/jumpgate/api/agentproto"
)

// Limits of the server.
const (
	// maxConns bounds the connections served at once; more are answered
	// with an error and closed.
	maxConns = 32
	// idleTimeout closes a connection that sends no request for this long
	// (watch connections excepted).
	idleTimeout = time.Minute
	// writeTimeout bounds writing one line to a client.
	writeTimeout = 10 * time.Second
	// aclInterval is how often a root agent's socket ACL is brought up to
	// date with who the end user is.
	aclInterval = time.Second
	// reauthInterval is how often a watch connection's peer is authorised
	// again while nothing changes (a user who left the seat stops seeing
	// the sessions within it).
	reauthInterval = 2 * time.Second
)

// Config configures a Server.
type Config struct {
	// Dir is the install dir; the socket is SocketPath(Dir). Required.
	Dir string
	// Manager is the session manager the requests go to. Required.
	Manager Manager
	// EndUsers says who the end user is (the install's --end-users, else
	// the user at the active seat).
	EndUsers enduser.Policy
	// Authorize decides whether a peer may use the socket, at connect and
	// again before every request; nil uses Policy with the agent's uid and
	// EndUsers.
	Authorize func(Peer) error
	// Log receives the server's log; nil discards it.
	Log *slog.Logger
}

// Server serves the control socket.
type Server struct {
	cfg  Config
	path string
	ln   net.Listener
	// acl: the socket's ACL names the end users (aclUIDs, touched by
	// syncACL only once Serve runs).
	acl     bool
	aclUIDs []int

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	done   chan struct{}
	wg     sync.WaitGroup
}

// Listen creates the socket: it makes <Dir>/run (0755), removes a stale
// socket left by an agent that died, listens and sets the socket's mode
// (0666 as root, else 0600). It fails when another process serves the
// socket, when the path is longer than the system allows, and on Windows
// (ErrUnsupported). Serve then serves it.
func Listen(cfg Config) (*Server, error) {
	if cfg.Dir == "" {
		return nil, errors.New("localctl: no install dir configured")
	}
	if cfg.Manager == nil {
		return nil, errors.New("localctl: no session manager configured")
	}
	if runtime.GOOS == "windows" {
		return nil, ErrUnsupported
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Authorize == nil {
		cfg.Authorize = Policy{OwnUID: os.Geteuid(), EndUser: cfg.EndUsers.Check}.Allow
	}
	path := SocketPath(cfg.Dir)
	if err := checkPathLen(path); err != nil {
		return nil, err
	}
	run := filepath.Dir(path)
	if err := os.MkdirAll(run, 0o755); err != nil {
		return nil, fmt.Errorf("make the control socket's directory: %w", err)
	}
	// The console user must be able to reach the socket of a root agent,
	// whatever the umask made of run/.
	if err := os.Chmod(run, 0o755); err != nil {
		return nil, fmt.Errorf("make the control socket's directory: %w", err)
	}
	if err := removeStale(path); err != nil {
		return nil, err
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("listen on the control socket: %w", err)
	}
	s := &Server{cfg: cfg, path: path, ln: ln, conns: map[net.Conn]struct{}{}, done: make(chan struct{})}
	if err := s.protect(os.Geteuid()); err != nil {
		ln.Close()
		return nil, err
	}
	return s, nil
}

// protect sets the socket's permissions for an agent running as euid. Any
// agent but root makes it 0600: only its user (and root) can connect. A
// root agent on Linux makes it 0600 with a POSIX ACL that lets the end
// users' uids connect (enduser.Policy.UIDs), kept up to date while it
// serves (syncACL), so that the kernel keeps everyone else out before the
// agent hears from them. Where the file system has no ACLs, and on macOS,
// a root agent makes it 0666 and the check of every connection and request
// (Authorize) keeps others out. Elsewhere a root agent cannot tell its
// peers and refuses them all: 0600.
func (s *Server) protect(euid int) error {
	mode := socketMode(euid, runtime.GOOS)
	if euid == 0 && runtime.GOOS == "linux" && !noACL {
		uids := s.cfg.EndUsers.UIDs()
		if err := os.Chmod(s.path, 0o600); err != nil {
			return fmt.Errorf("set the control socket's mode: %w", err)
		}
		err := setSocketACL(s.path, uids)
		if err == nil {
			s.acl, s.aclUIDs = true, uids
			return nil
		}
		s.cfg.Log.Warn("control socket: no ACLs here; the socket is open to every local user and each connection is checked instead", "err", err)
	}
	if err := os.Chmod(s.path, mode); err != nil {
		return fmt.Errorf("set the control socket's mode: %w", err)
	}
	return nil
}

// socketMode is the control socket's mode, without an ACL, for an agent
// running as euid on goos.
func socketMode(euid int, goos string) os.FileMode {
	if euid == 0 && (goos == "linux" || goos == "darwin") {
		return 0o666
	}
	return 0o600
}

// noACL, set by tests, makes a root agent fall back to mode 0666 as on a
// file system without ACLs.
var noACL bool

// syncACL keeps the socket's ACL naming the end users of now until the
// server closes: the seat changes hands, a listed user is created.
func (s *Server) syncACL() {
	t := time.NewTicker(aclInterval)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
		}
		uids := s.cfg.EndUsers.UIDs()
		if slices.Equal(uids, s.aclUIDs) {
			continue
		}
		if err := setSocketACL(s.path, uids); err != nil {
			s.cfg.Log.Warn("control socket: cannot update its ACL", "err", err)
			continue
		}
		s.cfg.Log.Debug("control socket: opened to the end users", "uids", uids)
		s.aclUIDs = uids
	}
}

// checkPathLen fails when path does not fit a sockaddr_un: 108 bytes on
// Linux (no terminating NUL needed), 103 on macOS and the BSDs.
func checkPathLen(path string) error {
	limit := 103
	if runtime.GOOS == "linux" || runtime.GOOS == "android" {
		limit = 108
	}
	if len(path) > limit {
		return fmt.Errorf("the control socket path %s is %d bytes long, but this system allows at most %d: install the agent in a shorter directory", path, len(path), limit)
	}
	return nil
}

// removeStale removes a socket file nobody serves any more. A socket that
// answers belongs to another running agent, and a file that is not a
// socket is not ours to delete.
func removeStale(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("check the control socket: %w", err)
	}
	if fi.Mode().Type() != os.ModeSocket {
		return fmt.Errorf("%s exists and is not a socket; remove it", path)
	}
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return fmt.Errorf("another process serves the control socket %s (is another agent running in this directory?)", path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove the stale control socket: %w", err)
	}
	return nil
}

// Path is the socket's path.
func (s *Server) Path() string { return s.path }

// Serve accepts connections until ctx ends or Close is called, then
// closes every connection, waits for their handlers and removes the
// socket. It returns nil then, or the error that stopped accepting.
func (s *Server) Serve(ctx context.Context) error {
	s.wg.Go(func() {
		select {
		case <-ctx.Done():
			s.Close()
		case <-s.done:
		}
	})
	if s.acl {
		s.wg.Go(s.syncACL)
	}
	defer s.wg.Wait()
	defer s.Close()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if s.isClosed() {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			s.cfg.Log.Error("control socket: accept failed", "err", err)
			return fmt.Errorf("accept on the control socket: %w", err)
		}
		if !s.track(c) {
			s.refuse(c, "the agent is serving too many control connections; try again")
			continue
		}
		s.wg.Go(func() {
			defer s.untrack(c)
			s.serveConn(c)
		})
	}
}

// Close stops accepting, closes every connection and removes the socket.
// Serve returns once the handlers are done.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	conns := s.conns
	s.conns = map[net.Conn]struct{}{}
	s.mu.Unlock()
	// Closing the listener unlinks the socket.
	err := s.ln.Close()
	for c := range conns {
		c.Close()
	}
	return err
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

func (s *Server) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || len(s.conns) >= maxConns {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *Server) untrack(c net.Conn) {
	c.Close()
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// refuse answers one error line and closes c.
func (s *Server) refuse(c net.Conn, msg string) {
	_ = writeLine(c, Response{Error: msg})
	c.Close()
}

// serveConn serves one connection's requests.
func (s *Server) serveConn(c net.Conn) {
	peer, err := peerOf(c)
	if err != nil {
		s.cfg.Log.Warn("control socket: cannot tell who connected; refused", "err", err)
		_ = writeLine(c, Response{Error: "the agent cannot tell who you are: " + err.Error()})
		return
	}
	if err := s.cfg.Authorize(peer); err != nil {
		s.cfg.Log.Warn("control socket: peer refused", "uid", peer.UID, "pid", peer.PID, "user", peer.User)
		_ = writeLine(c, Response{Error: err.Error()})
		return
	}
	r := bufio.NewReaderSize(c, 4096)
	for {
		_ = c.SetReadDeadline(time.Now().Add(idleTimeout))
		line, err := readLine(r)
		if errors.Is(err, errLineTooLong) {
			_ = writeLine(c, Response{Error: err.Error()})
			return
		}
		if err != nil {
			return
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var req Request
		if err := json.Unmarshal(line, &req); err != nil {
			if writeLine(c, Response{Error: "malformed request: " + err.Error()}) != nil {
				return
			}
			continue
		}
		// The end user is decided again for every request: whoever left
		// the seat since connecting has lost it.
		if err := s.cfg.Authorize(peer); err != nil {
			s.cfg.Log.Warn("control socket: peer no longer allowed", "uid", peer.UID, "pid", peer.PID, "user", peer.User, "op", req.Op)
			_ = writeLine(c, Response{Error: err.Error()})
			return
		}
		if req.Op == OpWatch {
			s.watch(c, r, peer)
			return
		}
		if err := writeLine(c, s.do(req, peer)); err != nil {
			return
		}
	}
}

// do runs one request other than watch.
func (s *Server) do(req Request, peer Peer) any {
	m := s.cfg.Manager
	var err error
	switch req.Op {
	case OpList:
		ss := m.Sessions()
		if ss == nil {
			ss = []agentproto.SessionInfo{}
		}
		return listResponse{OK: true, Sessions: ss}
	case OpAnswer, OpControl, OpEnd:
		if req.Session <= 0 {
			return Response{Error: fmt.Sprintf("%s needs a session id", req.Op)}
		}
		switch req.Op {
		case OpAnswer:
			err = m.Answer(req.Session, req.Accept, peer.User)
		case OpControl:
			err = m.SetControl(req.Session, req.Revoked, peer.User)
		case OpEnd:
			err = m.End(req.Session, peer.User, req.Reason)
		}
		s.cfg.Log.Info("control socket: request", "op", req.Op, "session", req.Session,
			"accept", req.Accept, "revoked", req.Revoked, "user", peer.User, "uid", peer.UID, "err", err)
	case "":
		return Response{Error: `malformed request: no "op"`}
	default:
		return Response{Error: fmt.Sprintf("unknown op %q (want list, answer, control, end or watch)", req.Op)}
	}
	switch {
	case err == nil:
		return Response{OK: true}
	case errors.Is(err, session.ErrNoSession):
		return Response{Error: noSession(req)}
	case errors.Is(err, session.ErrNotSent) && req.Op != OpAnswer:
		// A revoke or an end holds here at once; the manager repeats it
		// to the appliance when the agent is back.
		return Response{OK: true, Warning: err.Error() + "; it will be told when the agent reconnects"}
	}
	return Response{Error: err.Error()}
}

// noSession says which session a request found none of.
func noSession(req Request) string {
	switch req.Op {
	case OpAnswer:
		return fmt.Sprintf("no session %d is waiting for consent", req.Session)
	case OpControl:
		return fmt.Sprintf("no session %d is active", req.Session)
	}
	return fmt.Sprintf("no session %d", req.Session)
}

// watch streams the current sessions, then every change, until the client
// hangs up or the server closes.
func (s *Server) watch(c net.Conn, r *bufio.Reader, peer Peer) {
	m := s.cfg.Manager
	// Subscribe before taking the snapshot: a change in between is sent
	// twice rather than lost.
	changes, cancel := m.Subscribe()
	defer cancel()
	_ = c.SetReadDeadline(time.Time{})
	hup := make(chan struct{})
	go func() {
		// Anything the client sends now is ignored; its end is the hang-up.
		_, _ = io.Copy(io.Discard, r)
		close(hup)
	}()
	defer func() {
		c.Close()
		<-hup
	}()
	s.cfg.Log.Debug("control socket: watching", "user", peer.User, "uid", peer.UID)
	for _, si := range m.Sessions() {
		if writeLine(c, si) != nil {
			return
		}
	}
	recheck := time.NewTicker(reauthInterval)
	defer recheck.Stop()
	for {
		select {
		case si, ok := <-changes:
			if !ok {
				return
			}
			if err := s.cfg.Authorize(peer); err != nil {
				_ = writeLine(c, Response{Error: err.Error()})
				return
			}
			if writeLine(c, si) != nil {
				return
			}
		case <-recheck.C:
			if err := s.cfg.Authorize(peer); err != nil {
				s.cfg.Log.Info("control socket: watcher no longer allowed", "uid", peer.UID, "user", peer.User)
				_ = writeLine(c, Response{Error: err.Error()})
				return
			}
		case <-hup:
			return
		case <-s.done:
			return
		}
	}
}

var errLineTooLong = fmt.Errorf("request longer than %d bytes", MaxLine)

// readLine reads one line of at most MaxLine bytes, without its newline.
func readLine(r *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		frag, err := r.ReadSlice('\n')
		if len(line)+len(frag) > MaxLine+1 {
			return nil, errLineTooLong
		}
		line = append(line, frag...)
		switch {
		case err == nil:
			return line[:len(line)-1], nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(line) > 0:
			// A last request without its newline still counts.
			return line, nil
		}
		return nil, err
	}
}

// writeLine writes v as one JSON line, bounded by writeTimeout.
func writeLine(c net.Conn, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_ = c.SetWriteDeadline(time.Now().Add(writeTimeout))
	_, err = c.Write(append(b, '\n'))
	return err
}
