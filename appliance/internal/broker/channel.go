package broker

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/gin-gonic/gin"
	"github.com/hashicorp/yamux"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/sessionproto"
	"github.com/jumpgate/jumpgate/api/wsmux"
	"github.com/jumpgate/jumpgate/appliance/internal/auth"
	"github.com/jumpgate/jumpgate/appliance/internal/problem"
)

// channel is one representative's session channel.
type channel struct {
	l   *live
	p   auth.Principal
	ws  *websocket.Conn
	mux *yamux.Session
	// remote is the representative's address as the appliance saw it.
	remote string

	mu   sync.Mutex
	ctl  net.Conn
	once sync.Once
	// onEvent receives the events of a channel without a control stream:
	// a browser's stream (browser.go), which has no control stream. It
	// must not block.
	onEvent func(sessionproto.Event)
}

func (c *channel) send(ev sessionproto.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ctl == nil {
		if c.onEvent != nil {
			c.onEvent(ev)
		}
		return
	}
	_ = c.ctl.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if err := sessionproto.WriteLine(c.ctl, ev); err != nil {
		go c.close()
	}
}

func (c *channel) close() {
	c.once.Do(func() {
		if c.mux != nil {
			_ = c.mux.Close()
		}
		if c.ws != nil {
			_ = c.ws.CloseNow()
		}
	})
}

// channelConfig is the appliance's side of a session channel: it pings the
// CLI, so a vanished representative is noticed. Its accept backlog is the
// channel's (wsmux.ChannelBacklog): the client never has more streams
// waiting to be accepted, so a stream past it is reset, not buffered. Its
// windows are the appliance's (wsmux.ApplianceWindow).
var channelConfig = func() *yamux.Config {
	c := wsmux.ChannelConfig(30 * time.Second)
	c.MaxStreamWindowSize = wsmux.ApplianceWindow
	return c
}()

// handleConnect serves GET /api/v1/sessions/:id/connect.
func (b *Broker) handleConnect(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := auth.MustFromContext(ctx)
	if err != nil {
		return err
	}
	l, err := b.participantLive(ctx, p, c.Param("id"))
	if err != nil {
		return err
	}
	if !b.lim.openChannel(p.UserID) {
		return problem.TooManyRequests("you have %d session channels open, the most one user may have; close one first", api.MaxUserChannels)
	}
	defer b.lim.closeChannel(p.UserID)
	ws, err := websocket.Accept(c.Writer, c.Request, &websocket.AcceptOptions{
		Subprotocols: []string{sessionproto.Subprotocol}, CompressionMode: websocket.CompressionDisabled,
		// A browser session's upgrade had its Origin checked against the
		// appliance's and the trusted origins (package login), which may
		// differ from the Host behind a reverse proxy.
		InsecureSkipVerify: auth.OriginChecked(ctx),
	})
	if err != nil {
		return nil
	}
	if ws.Subprotocol() != sessionproto.Subprotocol {
		_ = ws.Close(websocket.StatusPolicyViolation, "subprotocol "+sessionproto.Subprotocol+" required")
		return nil
	}
	nc := websocket.NetConn(context.Background(), ws, websocket.MessageBinary)
	mux, err := wsmux.Server(nc, channelConfig)
	if err != nil {
		_ = ws.CloseNow()
		return nil
	}
	ch := &channel{l: l, p: p, ws: ws, mux: mux, remote: c.Request.RemoteAddr}
	defer ch.close()
	actx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	st, err := mux.AcceptStreamWithContext(actx)
	cancel()
	if err != nil {
		return nil
	}
	var open sessionproto.Open
	_ = st.SetReadDeadline(time.Now().Add(15 * time.Second))
	if err := sessionproto.ReadLine(st, &open); err != nil || open.Type != sessionproto.StreamControl {
		return nil
	}
	_ = st.SetReadDeadline(time.Time{})
	ch.ctl = st

	b.mu.Lock()
	if l.ended || !l.participants[p.UserID] {
		// A participant removed since the check above (revoke.go) gets
		// no channel.
		ev := l.endedEvent
		b.mu.Unlock()
		if ev != nil {
			ch.send(*ev)
		}
		return nil
	}
	l.channels[ch] = struct{}{}
	l.lastChannel = b.now()
	first := b.eventLocked(l, sessionproto.EventState, "")
	b.mu.Unlock()
	ch.send(first)
	defer b.leave(ch)

	b.acceptStreams(ch)
	return nil
}

// participantLive returns the open session of the id path parameter
// when p is one of its participants: the check of every way into a
// session's streams, the channel's and the browser's (browser.go). A
// session p may not see answers as one that does not exist: a channel
// tells no more than GET does.
func (b *Broker) participantLive(ctx context.Context, p auth.Principal, param string) (*live, error) {
	id, err := strconv.ParseInt(param, 10, 64)
	if err != nil || id < 1 {
		return nil, problem.NotFound("session %q does not exist", param)
	}
	l, err := b.liveSession(id)
	if err != nil {
		if s, gerr := b.Get(ctx, id); gerr == nil && b.mayRead(p, s) {
			return nil, problem.Conflict("session %d is %s, not open", id, s.Status)
		}
		return nil, problem.NotFound("session %d does not exist or is not open", id)
	}
	b.mu.Lock()
	ok := l.participants[p.UserID]
	b.mu.Unlock()
	if !ok {
		if s, gerr := b.Get(ctx, id); gerr == nil && b.mayRead(p, s) {
			return nil, problem.Forbidden("you are not a participant of session %d", id)
		}
		return nil, problem.NotFound("session %d does not exist or is not open", id)
	}
	return l, nil
}

// acceptStreams serves ch's feature streams until the channel closes,
// within the limits of limits.go: it takes a stream only when the channel,
// its user and the appliance each have room for one more and fewer than
// maxPendingOpens streams of the channel wait for their Open line.
func (b *Broker) acceptStreams(ch *channel) {
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(b.ctx)
	defer cancel()
	go func() {
		select {
		case <-ch.mux.CloseChan():
			cancel()
		case <-ctx.Done():
		}
	}()
	slots := make(chan struct{}, api.MaxChannelStreams)
	pending := make(chan struct{}, maxPendingOpens)
	for {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		select {
		case pending <- struct{}{}:
		case <-ctx.Done():
			return
		}
		if !b.lim.acquire(ctx, ch.p.UserID) {
			return
		}
		s, err := ch.mux.AcceptStreamWithContext(ctx)
		if err != nil {
			b.lim.release(ch.p.UserID)
			return
		}
		wg.Go(func() {
			defer func() { <-slots }()
			defer b.lim.release(ch.p.UserID)
			b.serveStream(ch, s, func() { <-pending })
		})
	}
}

// leave forgets a closed channel; the requester leaving ends an auto_end
// session that nobody else is connected to.
func (b *Broker) leave(ch *channel) {
	l := ch.l
	b.mu.Lock()
	delete(l.channels, ch)
	l.lastChannel = b.now()
	// A requester who was removed (revoke.go) no longer ends it.
	end := l.rec.AutoEnd && !l.ended && ch.p.UserID == l.rec.UserID && l.participants[l.rec.UserID]
	for o := range l.channels {
		if o.p.UserID == l.rec.UserID {
			end = false
		}
	}
	id := l.rec.ID
	b.mu.Unlock()
	if end {
		ctx := auth.WithPrincipal(context.Background(), ch.p)
		b.End(ctx, id, ch.p.Username, api.EndDisconnected, "the representative's command ended")
	}
}

// tunnelStat counts one tunnel (remote port) of a session.
type tunnelStat struct {
	host    string
	port    int
	open    int // guarded by Broker.mu
	total   atomic.Int64
	refused atomic.Int64
	in, out atomic.Int64
}

func statsOf(l *live) []api.TunnelStats {
	out := make([]api.TunnelStats, 0, len(l.stats))
	for _, s := range l.stats {
		out = append(out, api.TunnelStats{Host: s.host, RemotePort: s.port, ConnectionsOpen: s.open, ConnectionsTotal: s.total.Load(),
			ConnectionsRefused: s.refused.Load(), BytesIn: s.in.Load(), BytesOut: s.out.Load()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].RemotePort < out[j].RemotePort })
	return out
}

// bufPool holds the splice buffers.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// countWriter adds what passes to each counter.
type countWriter struct {
	w  io.Writer
	ns []*atomic.Int64
}

func (c countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	for _, k := range c.ns {
		k.Add(int64(n))
	}
	return n, err
}

// closeWrite half-closes c: a yamux FIN or a TCP FIN.
func closeWrite(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
		return
	}
	_ = c.Close()
}

// splice copies both ways until both directions ended, counting bytes
// from a to b in each of ab and from b to a in each of ba.
func splice(a, b net.Conn, ab, ba []*atomic.Int64) {
	var wg sync.WaitGroup
	cp := func(dst, src net.Conn, n []*atomic.Int64) {
		bp := bufPool.Get().(*[]byte)
		defer bufPool.Put(bp)
		var w io.Writer = dst
		if len(n) > 0 {
			w = countWriter{dst, n}
		}
		_, err := io.CopyBuffer(w, onlyReader{src}, *bp)
		if err != nil && !errors.Is(err, io.EOF) {
			// A broken side ends both directions.
			_ = a.Close()
			_ = b.Close()
			return
		}
		closeWrite(dst)
	}
	wg.Go(func() { cp(b, a, ab) })
	cp(a, b, ba)
	wg.Wait()
	_ = a.Close()
	_ = b.Close()
}

// onlyReader hides WriteTo, so io.CopyBuffer uses the pooled buffer.
type onlyReader struct{ io.Reader }

var _ = http.StatusOK
