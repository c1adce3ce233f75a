// Package channel is the representative's side of a session channel (see
// package sessionproto): one WebSocket to the appliance carrying a yamux
// session in which this side is the client. Dial opens it and its control
// stream; Open starts feature streams; the feature clients built on it
// (shell and exec, files, sysinfo, tunnels) are the bodies of those
// streams.
package channel

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/hashicorp/yamux"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/sessionproto"
	"github.com/jumpgate/jumpgate/api/wsmux"
)

// keepAlive is the yamux ping interval of the channel: a dead network path
// is noticed within about this long plus the write timeout.
const keepAlive = 30 * time.Second

// openTimeout bounds an Open when the caller's context has no deadline:
// the appliance answers after asking the agent, which is one more round
// trip over the agent's connection.
const openTimeout = 60 * time.Second

// pastDeadline is a deadline that has passed: setting it unblocks a
// stream's pending reads and writes.
var pastDeadline = time.Unix(1, 0)

// ErrClosed is returned by Open after the channel closed.
var ErrClosed = errors.New("session channel closed")

// Channel is an open session channel. It is safe for concurrent use.
type Channel struct {
	// Session is the session's id.
	Session int64

	ws      *websocket.Conn
	mux     *yamux.Session
	control *yamux.Stream
	cancel  context.CancelFunc
	events  chan sessionproto.Event

	closeOnce sync.Once
	closed    chan struct{}
	readDone  chan struct{}
	mu        sync.Mutex
	ended     *sessionproto.Event
	readErr   error
}

// Dial opens the channel of session id: a WebSocket to the appliance with
// c's token, TLS configuration and User-Agent, subprotocol
// sessionproto.Subprotocol, then the yamux client and the control stream.
// ctx bounds the dial only; the channel lives until Close or until the
// appliance closes it. An HTTP refusal of the upgrade (no such session, the
// session is over, not yours) is returned as the appliance's *api.Problem.
func Dial(ctx context.Context, c *api.Client, id int64) (*Channel, error) {
	u := c.BaseURL() + sessionproto.ConnectPath(id)
	ws, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{
		HTTPClient:      c.HTTPClient(),
		HTTPHeader:      c.Header(),
		Subprotocols:    []string{sessionproto.Subprotocol},
		CompressionMode: websocket.CompressionDisabled,
	})
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			return nil, upgradeProblem(resp)
		}
		return nil, fmt.Errorf("connect to session %d: %w", id, err)
	}
	if ws.Subprotocol() != sessionproto.Subprotocol {
		ws.CloseNow()
		return nil, fmt.Errorf("connect to session %d: the appliance does not speak %s", id, sessionproto.Subprotocol)
	}
	// The channel outlives ctx (the dial's bound); Close ends it.
	life, cancel := context.WithCancel(context.Background())
	nc := websocket.NetConn(life, ws, websocket.MessageBinary)
	// A yamux data frame is at most one stream window (plus its header).
	ws.SetReadLimit(2 * wsmux.Window)
	mux, err := wsmux.Client(nc, wsmux.ChannelConfig(keepAlive))
	if err != nil {
		cancel()
		nc.Close()
		return nil, fmt.Errorf("connect to session %d: start stream multiplexer: %w", id, err)
	}
	ch := &Channel{Session: id, ws: ws, mux: mux, cancel: cancel, events: make(chan sessionproto.Event, 64),
		closed: make(chan struct{}), readDone: make(chan struct{})}
	ch.control, err = mux.OpenStream()
	if err == nil {
		err = writeLineCtx(ctx, ch.control, sessionproto.Open{Type: sessionproto.StreamControl})
	}
	if err != nil {
		ch.Close()
		return nil, fmt.Errorf("connect to session %d: open control stream: %w", id, err)
	}
	go ch.readEvents()
	return ch, nil
}

// upgradeProblem turns a refused WebSocket upgrade into the appliance's
// problem document (coder/websocket keeps the first KiB of the body).
func upgradeProblem(resp *http.Response) error {
	p := &api.Problem{Status: resp.StatusCode, Title: http.StatusText(resp.StatusCode)}
	if resp.Body != nil {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
		var doc api.Problem
		if json.Unmarshal(b, &doc) == nil && doc.Status != 0 {
			p = &doc
		} else if s := strings.TrimSpace(string(b)); s != "" && len(s) < 512 && !bytes.ContainsRune(b, '<') {
			p.Detail = s
		}
	}
	return p
}

// readEvents delivers the control stream's events until it ends, then
// closes the events channel. The appliance ends the control stream (and the
// channel) after an ended event.
func (ch *Channel) readEvents() {
	defer close(ch.readDone)
	defer close(ch.events)
	for {
		var ev sessionproto.Event
		if err := sessionproto.ReadLine(ch.control, &ev); err != nil {
			ch.mu.Lock()
			if ch.ended == nil && !errors.Is(err, io.EOF) {
				ch.readErr = err
			}
			ch.mu.Unlock()
			return
		}
		if ev.Type == sessionproto.EventEnded {
			ch.mu.Lock()
			e := ev
			ch.ended = &e
			ch.mu.Unlock()
		}
		// Only Close stops the delivery: events that arrived before the
		// connection went are still the caller's to read.
		select {
		case ch.events <- ev:
		case <-ch.closed:
			return
		}
	}
}

// Events delivers the control stream's events in order: a state event
// first, then warnings, notices, state changes and finally ended. It is
// closed when the control stream ends (after ended, when the channel closes,
// or when the connection is lost); see Ended and Err.
func (ch *Channel) Events() <-chan sessionproto.Event { return ch.events }

// Ended returns the ended event once one arrived, else nil.
func (ch *Channel) Ended() *sessionproto.Event {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.ended
}

// Err returns why the control stream stopped without an ended event (the
// connection was lost), or nil.
func (ch *Channel) Err() error {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.readErr
}

// ControlDone is closed once the control stream has ended and its last
// event was read (Ended and Err are final then).
func (ch *Channel) ControlDone() <-chan struct{} { return ch.readDone }

// Done is closed when the channel's connection is gone.
func (ch *Channel) Done() <-chan struct{} { return ch.mux.CloseChan() }

// Open starts a feature stream: it writes o, reads the Opened answer and
// returns the stream for the body. A refusal returns the Opened answer and a
// *sessionproto.RefusedError (the stream is closed). ctx bounds the open
// only; without a deadline it is bounded by one minute.
func (ch *Channel) Open(ctx context.Context, o sessionproto.Open) (net.Conn, *sessionproto.Opened, error) {
	st, err := ch.mux.OpenStream()
	if err != nil {
		if ch.mux.IsClosed() {
			return nil, nil, ErrClosed
		}
		return nil, nil, fmt.Errorf("open %s stream: %w", o.Type, err)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, openTimeout)
		defer cancel()
	}
	// A deadline on the stream unblocks the write and the read when ctx ends.
	stop := context.AfterFunc(ctx, func() { _ = st.SetDeadline(pastDeadline) })
	err = sessionproto.WriteLine(st, o)
	var opened sessionproto.Opened
	if err == nil {
		err = sessionproto.ReadLine(st, &opened)
	}
	if !stop() || ctx.Err() != nil {
		st.Close()
		return nil, nil, fmt.Errorf("open %s stream: %w", o.Type, context.Cause(ctx))
	}
	if err != nil {
		st.Close()
		if ch.mux.IsClosed() {
			return nil, nil, ErrClosed
		}
		return nil, nil, fmt.Errorf("open %s stream: %w", o.Type, err)
	}
	if err := opened.Err(); err != nil {
		st.Close()
		return nil, &opened, err
	}
	return st, &opened, nil
}

// Close closes the channel and every stream on it. It is safe to call more
// than once.
func (ch *Channel) Close() error {
	ch.closeOnce.Do(func() {
		close(ch.closed)
		if ch.control != nil {
			ch.control.Close()
		}
		ch.mux.Close()
		ch.cancel()
		ch.ws.CloseNow()
	})
	return nil
}

// writeLineCtx writes one line, giving up when ctx ends.
func writeLineCtx(ctx context.Context, st *yamux.Stream, v any) error {
	stop := context.AfterFunc(ctx, func() { _ = st.SetWriteDeadline(pastDeadline) })
	err := sessionproto.WriteLine(st, v)
	if !stop() {
		return context.Cause(ctx)
	}
	return err
}
