// Package wsmux tunes yamux for the data paths of Jumpgate: session
// channels (CLI ↔ appliance) and session streams on agent connections
// (appliance ↔ Jump Client or Jumpoint), which carry tunnel traffic.
//
// Two things make yamux's defaults slow over a WebSocket. First, yamux
// writes each frame's 12-byte header and its body with two Writes, and
// over a WebSocket each Write is a message of its own: twice the framing,
// masking and TLS records. Coalesce merges the two. Second, the default
// 256 KiB stream window caps one stream at window/RTT (11 MB/s at 20 ms);
// Window raises it to cover bandwidth × delay on long paths.
//
// A window is also memory: yamux grows a stream's window to its maximum as
// soon as its reader reads, and then holds whatever the far side sends
// until the reader catches up. A relay that cannot pass data on (a stalled
// far end) so holds up to one window per stream and direction, which a
// representative can bring about on purpose. The endpoints (the CLI, the
// agents) use Window: what they hold is their own. The appliance, which
// holds it for everyone, uses ApplianceWindow, and the stream limits of
// the session channel (api.MaxChannelStreams and the broker's) multiply
// it.
package wsmux

import (
	"encoding/binary"
	"io"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/yamux"
)

// Window is the largest receive window of one stream at an endpoint.
const Window = 16 << 20

// ApplianceWindow is the largest receive window of one stream at the
// appliance, on session channels and agent connections: what it buffers
// for a stalled stream (see the package comment). 1 MiB covers about
// 50 MB/s per stream into the appliance at 20 ms; data towards the
// endpoints flows within their larger Window.
const ApplianceWindow = 1 << 20

// ChannelBacklog is how many streams of a session channel may wait to be
// accepted. On the client it bounds the streams it opens before the
// appliance accepted them (yamux waits for room), so on the appliance a
// stream past it comes from a client that ignores the protocol and is
// reset at once, not buffered.
const ChannelBacklog = 64

// ChannelConfig is Config for both ends of a session channel.
func ChannelConfig(keepAlive time.Duration) *yamux.Config {
	c := Config(keepAlive)
	c.AcceptBacklog = ChannelBacklog
	return c
}

// Config returns the yamux configuration of a data path. keepAlive is the
// ping interval, 0 for none (the side that does not ping notices silence
// by other means).
func Config(keepAlive time.Duration) *yamux.Config {
	c := yamux.DefaultConfig()
	c.MaxStreamWindowSize = Window
	c.EnableKeepAlive = keepAlive > 0
	if keepAlive > 0 {
		c.KeepAliveInterval = keepAlive
	}
	c.ConnectionWriteTimeout = 15 * time.Second
	c.StreamOpenTimeout = 30 * time.Second
	c.StreamCloseTimeout = 30 * time.Second
	c.LogOutput = io.Discard
	return c
}

// Client starts the client side of a session over c (coalesced).
func Client(c net.Conn, cfg *yamux.Config) (*yamux.Session, error) {
	return yamux.Client(Coalesce(c), cfg)
}

// Server starts the server side of a session over c (coalesced).
func Server(c net.Conn, cfg *yamux.Config) (*yamux.Session, error) {
	return yamux.Server(Coalesce(c), cfg)
}

// yamux frame header: version, type, flags (2), stream id (4), length (4).
const (
	headerSize = 12
	typeData   = 0
)

// MaxWrite bounds one Write to the underlying connection, that is one
// WebSocket message: the agent's side reads messages of at most 1 MiB. A
// larger yamux frame goes out in pieces, which yamux, reading a byte
// stream, does not notice.
const MaxWrite = 512 << 10

// Coalesce wraps c so that a yamux data frame's header and body, which
// yamux writes with two calls, reach c in one Write. Every other write
// passes through at once, so nothing waits for a write that may not come.
func Coalesce(c net.Conn) net.Conn { return &coalescer{Conn: c} }

type coalescer struct {
	net.Conn
	mu      sync.Mutex
	holding bool // hdr is a data header waiting for its body
	hdr     [headerSize]byte
}

func (c *coalescer) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.holding {
		if len(b) == headerSize && b[1] == typeData && binary.BigEndian.Uint32(b[8:12]) > 0 {
			copy(c.hdr[:], b)
			c.holding = true
			return len(b), nil
		}
		return c.writeAll(b)
	}
	c.holding = false
	n := headerSize + len(b)
	var out []byte
	var pooled *[]byte
	switch {
	case n <= bigFrame:
		pooled = bigPool.Get().(*[]byte)
		out = (*pooled)[:n]
	default:
		out = make([]byte, n)
	}
	copy(out, c.hdr[:])
	copy(out[headerSize:], b)
	_, err := c.writeAll(out)
	if pooled != nil {
		bigPool.Put(pooled)
	}
	if err != nil {
		return 0, err
	}
	return len(b), nil
}

// Frames up to bigFrame are merged in a pooled buffer, so that an idle
// connection keeps no buffer at all.
const bigFrame = headerSize + 1<<20

var bigPool = sync.Pool{New: func() any { b := make([]byte, bigFrame); return &b }}

func (c *coalescer) writeAll(b []byte) (int, error) {
	n := 0
	for len(b) > 0 {
		k := min(len(b), MaxWrite)
		w, err := c.Conn.Write(b[:k])
		n += w
		if err != nil {
			return n, err
		}
		b = b[k:]
	}
	return n, nil
}
