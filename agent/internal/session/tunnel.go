package session

import (
	"context"
	"errors"
	"io"
	"net"
	"slices"
	"strconv"
	"sync"

	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/api/sessionproto"
)

// spliceBuffer is the buffer of one tunnel direction.
const spliceBuffer = 256 << 10

var spliceBuffers = sync.Pool{New: func() any {
	b := make([]byte, spliceBuffer)
	return &b
}}

// serveTunnel dials the tunnel's target, if this endpoint may, and
// splices the stream to it.
func (m *Manager) serveTunnel(ctx context.Context, s *stream, open *sessionproto.Open) {
	addrs, ref := m.tunnelAddrs(open)
	if ref != nil {
		if ref.Code == sessionproto.CodeRefused {
			m.log.Warn("tunnel refused", "session", s.session, "item", open.Item, "host", open.Host, "port", open.Port, "peer", open.Peer, "err", ref.Error)
		}
		s.refuse(*ref)
		return
	}
	dctx, cancel := context.WithTimeout(ctx, dialTimeout)
	remove := s.onKill(cancel)
	var c net.Conn
	var errs []error
	for _, a := range addrs {
		conn, err := m.cfg.Dial(dctx, "tcp", a)
		if err == nil {
			c = conn
			break
		}
		errs = append(errs, err)
	}
	remove()
	cancel()
	if c == nil {
		err := errors.Join(errs...)
		m.log.Info("tunnel dial failed", "session", s.session, "item", open.Item, "addr", addrs[0], "err", err)
		s.refuse(sessionproto.Refuse(sessionproto.CodeRefused, "%v", err))
		return
	}
	defer c.Close()
	defer s.onKill(func() { c.Close() })()
	if s.opened(sessionproto.Opened{}) != nil {
		return
	}
	m.log.Info("tunnel", "session", s.session, "item", open.Item, "addr", c.RemoteAddr().String(), "peer", open.Peer)
	splice(s.conn, c)
}

// loopbackHosts are the Open.Host values a Jump Client's tunnel accepts.
var loopbackHosts = []string{"", "localhost", "127.0.0.1", "::1"}

// tunnelAddrs decides what a tunnel stream dials: for a Jumpoint, exactly
// the host of one of its Protocol Tunnel Jumps on one of that item's
// ports; for anything else, the loopback address.
func (m *Manager) tunnelAddrs(open *sessionproto.Open) ([]string, *sessionproto.Opened) {
	refuse := func(code, format string, args ...any) ([]string, *sessionproto.Opened) {
		r := sessionproto.Refuse(code, format, args...)
		return nil, &r
	}
	if open.Port < 1 || open.Port > 65535 {
		return refuse(sessionproto.CodeBadRequest, "tunnel port %d is not a TCP port", open.Port)
	}
	port := strconv.Itoa(open.Port)
	want := net.JoinHostPort(open.Host, port)
	if m.cfg.Kind != agentproto.KindJumpoint {
		if !slices.Contains(loopbackHosts, open.Host) {
			return refuse(sessionproto.CodeRefused, "tunnel to %s refused: this endpoint tunnels only to its own loopback address", want)
		}
		return []string{net.JoinHostPort("127.0.0.1", port), net.JoinHostPort("::1", port)}, nil
	}
	var targets []agentproto.TunnelTarget
	if m.cfg.Tunnels != nil {
		targets = m.cfg.Tunnels()
	}
	i := slices.IndexFunc(targets, func(t agentproto.TunnelTarget) bool { return t.Item == open.Item })
	if i < 0 {
		return refuse(sessionproto.CodeRefused, "tunnel to %s refused: item %d is not a protocol tunnel jump of this jumpoint", want, open.Item)
	}
	t := targets[i]
	if open.Host != t.Host {
		return refuse(sessionproto.CodeRefused, "tunnel to %s refused: item %d allows host %s only", want, open.Item, t.Host)
	}
	if !slices.Contains(t.Ports, open.Port) {
		return refuse(sessionproto.CodeRefused, "tunnel to %s refused: item %d allows ports %v only", want, open.Item, t.Ports)
	}
	return []string{net.JoinHostPort(t.Host, port)}, nil
}

// splice copies both ways between the stream st and the connection c until
// both directions end. The end of one direction is passed on as a
// half-close; a failure stops both.
func splice(st, c net.Conn) {
	var wg sync.WaitGroup
	wg.Go(func() { pipe(st, c) })
	pipe(c, st)
	wg.Wait()
}

// pipe copies src to dst, then closes dst's write side.
func pipe(dst, src net.Conn) {
	bp := spliceBuffers.Get().(*[]byte)
	// The wrappers hide ReaderFrom and WriterTo: TCPConn's would ignore
	// the pooled buffer and copy through a fresh 32 KiB one.
	_, err := io.CopyBuffer(writerOnly{dst}, readerOnly{src}, *bp)
	spliceBuffers.Put(bp)
	if err != nil {
		hardClose(dst)
		hardClose(src)
		return
	}
	closeWrite(dst)
}

// closeWrite half-closes c: a TCP FIN. A yamux stream has no CloseWrite;
// its Close sends a FIN and goes on reading.
func closeWrite(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
		return
	}
	_ = c.Close()
}

type readerOnly struct{ io.Reader }

type writerOnly struct{ io.Writer }
