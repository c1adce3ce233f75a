package channel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/sessionproto"
)

// spliceBuffer is the size of each direction's copy buffer.
const spliceBuffer = 256 << 10

// buffers holds splice buffers between connections, so that a connection
// allocates none and a busy tunnel reuses a few.
var buffers = sync.Pool{New: func() any { b := make([]byte, spliceBuffer); return &b }}

// Tunnel forwards the connections of one local listener to one remote port
// of the session's endpoint.
type Tunnel struct {
	// Listener accepts the local application's connections.
	Listener net.Listener
	// Host is the far end's target, for messages and statistics: the
	// item's hostname, or localhost for a Jump Client.
	Host string
	// RemotePort is the target port.
	RemotePort int

	open, total, refused, in, out atomic.Int64
}

// String is "LOCAL_ADDR:PORT -> host:REMOTE".
func (t *Tunnel) String() string {
	return t.Listener.Addr().String() + " -> " + net.JoinHostPort(t.Host, strconv.Itoa(t.RemotePort))
}

// Stats returns the tunnel's counters now. ConnectionsTotal counts
// connections that reached the far end; ConnectionsRefused those the
// appliance or the far end refused. BytesIn went from the target to the
// local application.
func (t *Tunnel) Stats() api.TunnelStats {
	return api.TunnelStats{
		Host: t.Host, RemotePort: t.RemotePort,
		ConnectionsOpen: int(t.open.Load()), ConnectionsTotal: t.total.Load(), ConnectionsRefused: t.refused.Load(),
		BytesIn: t.in.Load(), BytesOut: t.out.Load(),
	}
}

// Forward accepts connections on every tunnel's listener and forwards each
// over its own tunnel stream until ctx ends or the channel closes; then it
// closes the listeners and the connections and returns. logf reports what
// the user should know (a refused connection) as one line without a
// newline.
func Forward(ctx context.Context, ch *Channel, tunnels []*Tunnel, logf func(format string, args ...any)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var conns sync.Map // net.Conn → struct{}, to close them at the end
	for _, t := range tunnels {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.accept(ctx, ch, &wg, &conns, logf)
		}()
	}
	select {
	case <-ctx.Done():
	case <-ch.Done():
	}
	for _, t := range tunnels {
		t.Listener.Close()
	}
	conns.Range(func(k, _ any) bool { k.(net.Conn).Close(); return true })
	wg.Wait()
	return nil
}

// accept serves one listener.
func (t *Tunnel) accept(ctx context.Context, ch *Channel, wg *sync.WaitGroup, conns *sync.Map, logf func(string, ...any)) {
	var delay time.Duration
	for {
		c, err := t.Listener.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: back off, as net/http does.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			logf("%s: accept: %v", t, err)
			select {
			case <-time.After(delay):
			case <-ctx.Done():
				return
			}
			continue
		}
		delay = 0
		conns.Store(c, struct{}{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer conns.Delete(c)
			defer c.Close()
			t.serve(ctx, ch, c, logf)
		}()
	}
}

// serve forwards one local connection.
func (t *Tunnel) serve(ctx context.Context, ch *Channel, c net.Conn, logf func(string, ...any)) {
	peer := c.RemoteAddr().String()
	st, _, err := ch.Open(ctx, sessionproto.Open{Type: sessionproto.StreamTunnel, Port: t.RemotePort, Peer: peer})
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		t.refused.Add(1)
		logf("%s: connection from %s refused: %v", t, peer, err)
		return
	}
	t.total.Add(1)
	t.open.Add(1)
	defer t.open.Add(-1)
	Splice(c, st, &t.out, &t.in)
}

// Splice copies a↔b until both directions end, then closes both. An end of
// input on one side is passed on as a half-close (CloseWrite on a TCP
// connection, Close on a yamux stream, which closes its write side); an
// error in either direction closes both at once. aToB and bToA count the
// bytes copied; they may be nil.
func Splice(a, b net.Conn, aToB, bToA *atomic.Int64) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		if copyCount(b, a, aToB) {
			closeWrite(b)
			return
		}
		abort(a, b)
	}()
	if copyCount(a, b, bToA) {
		closeWrite(a)
	} else {
		abort(a, b)
	}
	<-done
	a.Close()
	b.Close()
}

// copyCount copies src to dst with a pooled buffer and reports whether it
// ended with src's EOF (as opposed to an error on either side).
func copyCount(dst, src net.Conn, n *atomic.Int64) bool {
	bp := buffers.Get().(*[]byte)
	defer buffers.Put(bp)
	buf := *bp
	for {
		nr, rerr := src.Read(buf)
		if nr > 0 {
			nw, werr := dst.Write(buf[:nr])
			if n != nil && nw > 0 {
				n.Add(int64(nw))
			}
			if werr != nil {
				return false
			}
		}
		if rerr != nil {
			return errors.Is(rerr, io.EOF)
		}
	}
}

// closeWriter is a connection that can half-close (*net.TCPConn,
// *net.UnixConn, *tls.Conn).
type closeWriter interface{ CloseWrite() error }

// closeWrite ends c's write side: CloseWrite where the connection has one;
// otherwise Close, which for a yamux stream sends FIN and keeps reading.
func closeWrite(c net.Conn) {
	if cw, ok := c.(closeWriter); ok {
		_ = cw.CloseWrite()
		return
	}
	_ = c.Close()
}

// abort unblocks both directions after an error.
func abort(a, b net.Conn) {
	for _, c := range []net.Conn{a, b} {
		_ = c.SetDeadline(pastDeadline)
		_ = c.Close()
	}
}

// ErrNoTunnels is returned by Listen without specs.
var ErrNoTunnels = errors.New("no tunnels to open")

// Spec is one tunnel to open: a local address and a remote port.
type Spec struct {
	// LocalAddr is the address to listen on; LocalPort 0 picks a free port.
	LocalAddr string
	LocalPort int
	// RemotePort is the target port.
	RemotePort int
}

// Listen opens a listener per spec, all or none, for Forward; host is the
// far end's name for messages.
func Listen(ctx context.Context, specs []Spec, host string) ([]*Tunnel, error) {
	if len(specs) == 0 {
		return nil, ErrNoTunnels
	}
	var lc net.ListenConfig
	var out []*Tunnel
	for _, s := range specs {
		addr := net.JoinHostPort(s.LocalAddr, strconv.Itoa(s.LocalPort))
		l, err := lc.Listen(ctx, "tcp", addr)
		if err != nil {
			for _, t := range out {
				t.Listener.Close()
			}
			return nil, fmt.Errorf("listen for the tunnel to port %d: %w", s.RemotePort, err)
		}
		out = append(out, &Tunnel{Listener: l, Host: host, RemotePort: s.RemotePort})
	}
	return out, nil
}
