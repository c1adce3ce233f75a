package conn

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/hashicorp/yamux"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/api/wsmux"
)

// MaxControlLine bounds one line on the control stream and one stream
// header line.
const MaxControlLine = 1 << 20

// connectionWriteTimeout is yamux's safety valve: a write to the WebSocket
// that takes longer means the connection is dead.
const connectionWriteTimeout = 10 * time.Second

// RefusedError is the appliance's refusal of a connection: a Refused
// handshake reply, or the admission limiter's 503 before the handshake
// (code busy).
type RefusedError struct {
	Refused agentproto.Refused
}

// Error names the refusal code and the appliance's message.
func (e *RefusedError) Error() string {
	msg := "the appliance refused the connection (" + e.Refused.Code + ")"
	if e.Refused.Message != "" {
		msg += ": " + e.Refused.Message
	}
	if e.Refused.RetryAfterSeconds > 0 {
		msg += "; retry after " + strconv.Itoa(e.Refused.RetryAfterSeconds) + "s"
	}
	return msg
}

// RetryAfter is the delay the appliance asked for, 0 if none.
func (e *RefusedError) RetryAfter() time.Duration {
	return time.Duration(e.Refused.RetryAfterSeconds) * time.Second
}

// Session is one authenticated connection to the appliance.
type Session struct {
	// Welcome is the appliance's acceptance: the agent's configuration and
	// an upgrade offer.
	Welcome agentproto.Welcome
	// Mux is the yamux client session over the WebSocket; nil for the
	// one-shot uninstall intent.
	Mux *yamux.Session
	// Control is the control stream, opened by Connect; nil for the
	// one-shot uninstall intent.
	Control *Control
}

// Connect opens a session: WebSocket dial, handshake as a (the signature is
// filled in from key and the appliance's nonce), then yamux and the control
// stream. A customer client (a.Kind agentproto.KindCustomer) has no key:
// with a nil key its Auth goes unsigned, carrying its access code instead.
// Any other kind needs a key. The handshake is bounded by agentproto.HandshakeTimeout; ctx
// bounds the whole session, so cancelling it closes the session too.
//
// With intent uninstall the handshake is the whole exchange (the appliance
// records the uninstall and closes), so the Session holds only Welcome.
//
// A refusal is a *RefusedError (also for the admission limiter's 503); a
// failure to reach the appliance matches ErrUnreachable.
func (d *Dialer) Connect(ctx context.Context, key ed25519.PrivateKey, a agentproto.Auth) (*Session, error) {
	if key == nil && a.Kind != agentproto.KindCustomer {
		return nil, fmt.Errorf("no key to authenticate as %s %d with", a.Kind, a.ID)
	}
	hctx, cancel := context.WithTimeout(ctx, agentproto.HandshakeTimeout)
	defer cancel()

	hdr := http.Header{}
	if d.UserAgent != "" {
		hdr.Set("User-Agent", d.UserAgent)
	}
	c, resp, err := websocket.Dial(hctx, strings.TrimSuffix(d.URL, "/")+agentproto.PathConnect, &websocket.DialOptions{
		HTTPClient:      d.HTTPClient(),
		HTTPHeader:      hdr,
		Subprotocols:    []string{agentproto.Subprotocol},
		CompressionMode: websocket.CompressionDisabled,
	})
	if err != nil {
		if resp != nil {
			return nil, upgradeError(resp)
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, d.unreachable(err)
	}
	if c.Subprotocol() != agentproto.Subprotocol {
		c.CloseNow()
		return nil, fmt.Errorf("the appliance at %s does not speak %s", d.URL, agentproto.Subprotocol)
	}

	w, err := handshake(hctx, c, key, a)
	if err != nil {
		c.CloseNow()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	if a.Intent == agentproto.IntentUninstall {
		c.CloseNow()
		return &Session{Welcome: *w}, nil
	}

	nc := websocket.NetConn(ctx, c, websocket.MessageBinary)
	// NetConn lifts the read limit; put it back, after NetConn.
	c.SetReadLimit(agentproto.MaxMessage)
	mux, err := yamux.Client(wsmux.Coalesce(nc), muxConfig())
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("start stream multiplexer: %w", err)
	}
	s := &Session{Welcome: *w, Mux: mux}
	st, err := s.OpenStream(agentproto.StreamHeader{Type: agentproto.StreamControl})
	if err != nil {
		mux.Close()
		return nil, fmt.Errorf("open control stream: %w", err)
	}
	s.Control = NewControl(st)
	d.log().Debug("connected to the appliance", "url", d.URL, "intent", a.Intent)
	return s, nil
}

// muxConfig is the agent's yamux configuration; the appliance's server side
// must agree on keepalives.
func muxConfig() *yamux.Config {
	cfg := yamux.DefaultConfig()
	cfg.EnableKeepAlive = true
	cfg.KeepAliveInterval = agentproto.KeepAliveInterval
	cfg.ConnectionWriteTimeout = connectionWriteTimeout
	cfg.LogOutput = io.Discard
	// Session streams (tunnels, file transfers) need windows that cover
	// bandwidth × delay; memory is used only by data not yet read.
	cfg.MaxStreamWindowSize = wsmux.Window
	// Streams beyond the backlog are reset by yamux: a session may open
	// all its tunnel connections at once.
	cfg.AcceptBacklog = api.MaxTunnelConnections + 32
	return cfg
}

// handshake runs Hello → Auth → HandshakeReply on c.
func handshake(ctx context.Context, c *websocket.Conn, key ed25519.PrivateKey, a agentproto.Auth) (*agentproto.Welcome, error) {
	var hello agentproto.Hello
	if err := readJSON(ctx, c, &hello); err != nil {
		return nil, fmt.Errorf("read hello: %w", err)
	}
	if len(hello.Nonce) == 0 {
		return nil, errors.New("the appliance's hello carries no nonce")
	}
	if key != nil {
		a.Signature = ed25519.Sign(key, agentproto.AuthMessage(hello.Nonce, a.Kind, a.ID, a.Intent))
	}
	b, err := json.Marshal(a)
	if err != nil {
		return nil, fmt.Errorf("encode auth: %w", err)
	}
	if err := c.Write(ctx, websocket.MessageText, b); err != nil {
		return nil, fmt.Errorf("send auth: %w", err)
	}
	var reply agentproto.HandshakeReply
	if err := readJSON(ctx, c, &reply); err != nil {
		return nil, fmt.Errorf("read handshake reply: %w", err)
	}
	switch {
	case reply.Refused != nil:
		return nil, &RefusedError{Refused: *reply.Refused}
	case reply.Welcome != nil:
		return reply.Welcome, nil
	}
	return nil, errors.New("the appliance's handshake reply is neither welcome nor refused")
}

func readJSON(ctx context.Context, c *websocket.Conn, v any) error {
	typ, b, err := c.Read(ctx)
	if err != nil {
		return err
	}
	if typ != websocket.MessageText {
		return errors.New("want a text message")
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	return nil
}

// upgradeError explains an HTTP answer that is not a WebSocket upgrade. A
// 503 is the admission limiter, which the caller retries like a busy
// refusal.
func upgradeError(resp *http.Response) error {
	if resp.StatusCode == http.StatusServiceUnavailable {
		return &RefusedError{Refused: agentproto.Refused{
			Code:              agentproto.RefusedBusy,
			Message:           "the appliance is admitting too many agents at once",
			RetryAfterSeconds: retryAfter(resp.Header.Get("Retry-After"), time.Now()),
		}}
	}
	msg := fmt.Sprintf("the appliance answered %s to the agent connection", resp.Status)
	if resp.Body != nil {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		if t := strings.TrimSpace(string(b)); t != "" {
			msg += ": " + t
		}
	}
	return errors.New(msg)
}

// retryAfter reads a Retry-After header: delay-seconds or an HTTP date.
func retryAfter(v string, now time.Time) int {
	v = strings.TrimSpace(v)
	if secs, err := strconv.Atoi(v); err == nil {
		return max(secs, 0)
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(int(t.Sub(now).Seconds()+0.5), 0)
	}
	return 0
}

// Close ends the session and every stream on it.
func (s *Session) Close() error {
	if s.Mux == nil {
		return nil
	}
	return s.Mux.Close()
}

// OpenStream opens a stream and writes h as its first line.
func (s *Session) OpenStream(h agentproto.StreamHeader) (net.Conn, error) {
	st, err := s.Mux.OpenStream()
	if err != nil {
		return nil, err
	}
	if err := agentproto.WriteStreamHeader(st, h); err != nil {
		st.Close()
		return nil, fmt.Errorf("write stream header: %w", err)
	}
	return st, nil
}

// AcceptStream waits for the next stream the appliance opens and reads its
// header line. The returned conn is positioned just after the header.
func (s *Session) AcceptStream() (net.Conn, agentproto.StreamHeader, error) {
	st, err := s.Mux.AcceptStream()
	if err != nil {
		return nil, agentproto.StreamHeader{}, err
	}
	h, err := agentproto.ReadStreamHeader(st)
	if err != nil {
		st.Close()
		return nil, agentproto.StreamHeader{}, fmt.Errorf("read stream header: %w", err)
	}
	return st, h, nil
}

// Control is the control stream: newline-delimited JSON Control messages.
// Send is safe for concurrent use; Recv is for one reader at a time.
type Control struct {
	conn net.Conn
	mu   sync.Mutex
	r    *bufio.Reader
}

// NewControl wraps a control stream whose header has already been written
// (or read).
func NewControl(c net.Conn) *Control {
	return &Control{conn: c}
}

// Send writes m as one line.
func (c *Control) Send(m agentproto.Control) error {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode %s message: %w", m.Type, err)
	}
	b = append(b, '\n')
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := c.conn.Write(b); err != nil {
		return fmt.Errorf("send %s message: %w", m.Type, err)
	}
	return nil
}

// Recv reads the next message. A line longer than MaxControlLine is an
// error, and so is io.EOF when the appliance closed the stream.
func (c *Control) Recv() (agentproto.Control, error) {
	if c.r == nil {
		// Allocated on first use: a session whose control stream is never
		// read costs no read buffer.
		c.r = bufio.NewReaderSize(c.conn, 512)
	}
	var line []byte
	for {
		frag, err := c.r.ReadSlice('\n')
		if len(line)+len(frag) > MaxControlLine {
			return agentproto.Control{}, fmt.Errorf("control message longer than %d bytes", MaxControlLine)
		}
		if err == nil {
			if line == nil {
				line = frag
			} else {
				line = append(line, frag...)
			}
			break
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			line = append(line, frag...)
			continue
		}
		return agentproto.Control{}, err
	}
	line = bytes.TrimSpace(line)
	var m agentproto.Control
	if err := json.Unmarshal(line, &m); err != nil {
		return agentproto.Control{}, fmt.Errorf("decode control message: %w", err)
	}
	return m, nil
}

// Close closes the control stream.
func (c *Control) Close() error { return c.conn.Close() }
