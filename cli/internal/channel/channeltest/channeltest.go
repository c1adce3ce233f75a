// Package channeltest is a fake appliance side of session channels for
// tests of the CLI: it accepts the WebSocket of
// GET /api/v1/sessions/{id}/connect, writes the events it is given on the
// control stream and hands every feature stream to a handler. It checks the
// client's side of the protocol, not the broker's rules.
package channeltest

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"

	"github.com/coder/websocket"
	"github.com/hashicorp/yamux"

	"github.com/jumpgate/jumpgate/api/sessionproto"
	"github.com/jumpgate/jumpgate/api/wsmux"
)

// Broker serves session channels. Set its fields before the first
// connection.
type Broker struct {
	// Token is the bearer token the dial must carry; "" accepts any.
	Token string
	// Events are written on each control stream once it is open, in
	// order; typically a state event with status active.
	Events []sessionproto.Event
	// Streams serves one feature stream. It gets the stream's Open and
	// must write the Opened line itself (see Accept and Refuse); the
	// stream is closed when it returns. nil refuses every stream.
	Streams func(o sessionproto.Open, st *yamux.Stream)

	mu       sync.Mutex
	controls []*yamux.Stream
	muxes    []*yamux.Session
	opens    []sessionproto.Open
}

// ServeHTTP accepts one session channel and serves it until it closes.
func (b *Broker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if b.Token != "" && r.Header.Get("Authorization") != "Bearer "+b.Token {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"title":"Unauthorized","status":401,"detail":"missing or invalid token"}`)
		return
	}
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{sessionproto.Subprotocol}})
	if err != nil {
		return
	}
	nc := websocket.NetConn(context.Background(), ws, websocket.MessageBinary)
	mux, err := wsmux.Server(nc, wsmux.ChannelConfig(0))
	if err != nil {
		nc.Close()
		return
	}
	defer mux.Close()
	b.mu.Lock()
	b.muxes = append(b.muxes, mux)
	b.mu.Unlock()

	ctl, err := mux.AcceptStream()
	if err != nil {
		return
	}
	var o sessionproto.Open
	if err := sessionproto.ReadLine(ctl, &o); err != nil || o.Type != sessionproto.StreamControl {
		return
	}
	b.mu.Lock()
	b.controls = append(b.controls, ctl)
	events := b.Events
	b.mu.Unlock()
	for _, ev := range events {
		if err := sessionproto.WriteLine(ctl, ev); err != nil {
			return
		}
	}
	for {
		st, err := mux.AcceptStream()
		if err != nil {
			return
		}
		go b.serve(st)
	}
}

func (b *Broker) serve(st *yamux.Stream) {
	defer st.Close()
	var o sessionproto.Open
	if err := sessionproto.ReadLine(st, &o); err != nil {
		return
	}
	b.mu.Lock()
	b.opens = append(b.opens, o)
	b.mu.Unlock()
	if b.Streams == nil {
		_ = Refuse(st, sessionproto.CodePermission, "no streams here")
		return
	}
	b.Streams(o, st)
}

// Send writes ev on every open control stream.
func (b *Broker) Send(ev sessionproto.Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range b.controls {
		_ = sessionproto.WriteLine(c, ev)
	}
}

// End sends an ended event and closes every channel, as the appliance does
// when a session ends.
func (b *Broker) End(ev sessionproto.Event) {
	ev.Type = sessionproto.EventEnded
	b.Send(ev)
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range b.controls {
		_ = c.Close()
	}
	// The ended line is on the wire once Send returns (yamux waits for
	// the write), so closing now loses nothing.
	for _, m := range b.muxes {
		_ = m.Close()
	}
}

// Opens returns the Open lines of the feature streams so far.
func (b *Broker) Opens() []sessionproto.Open {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]sessionproto.Open(nil), b.opens...)
}

// Connections counts the channels accepted so far.
func (b *Broker) Connections() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.muxes)
}

// Accept writes a successful Opened line.
func Accept(st io.Writer, o sessionproto.Opened) error {
	o.OK = true
	return sessionproto.WriteLine(st, o)
}

// Refuse writes a refusing Opened line.
func Refuse(st io.Writer, code, msg string) error {
	return sessionproto.WriteLine(st, sessionproto.Refuse(code, "%s", msg))
}

// IsConnect reports whether r is a session channel's dial.
func IsConnect(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/api/v1/sessions/") && strings.HasSuffix(r.URL.Path, "/connect")
}

// Tunnel serves a tunnel stream by dialing addr and splicing; it refuses
// with target_refused when the dial fails.
func Tunnel(st *yamux.Stream, addr string) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		_ = Refuse(st, sessionproto.CodeRefused, err.Error())
		return
	}
	defer c.Close()
	if err := Accept(st, sessionproto.Opened{}); err != nil {
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = io.Copy(c, st)
		_ = c.(*net.TCPConn).CloseWrite()
	}()
	_, _ = io.Copy(st, c)
	_ = st.Close()
	<-done
}
