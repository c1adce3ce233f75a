package broker

// The browser's streams (see sessionproto's "The browser's streams"): each
// request is a session channel of its own with one feature stream, so it
// passes through exactly the code of a CLI's stream. The handler builds the
// stream's Open line from its query, and serveStream, the same function
// that serves a channel's streams, checks it (active, the item carries the
// type, the permission, control, the audit), reaches the agent, records a
// shell and audits a transfer. The stream runs over an in-process yamux
// pair; the channel is registered with its session like any other, so
// revocation (revoke.go), the end of the session and the limits of
// limits.go reach it as they reach a CLI's channel.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"path"
	"strconv"
	"strings"
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

// The query parameters of the browser's streams.
var (
	fileQuery = map[string]string{
		"path": "The file or directory on the endpoint: absolute, or relative to the session user's home directory (a listing's default).",
	}
	uploadQuery = map[string]string{
		"path":      fileQuery["path"],
		"sha256":    "The hex SHA-256 of the whole file (the body), which the endpoint checks before it moves the file into place.",
		"overwrite": "true replaces an existing file (default false: an existing file is a 409).",
	}
	shellQuery = map[string]string{
		"cols": "The terminal's width in columns, 1 to 1000 (default 80).",
		"rows": "The terminal's height in rows, 1 to 1000 (default 24).",
	}
)

// browserStream is one feature stream opened for a browser request.
type browserStream struct {
	b      *Broker
	ch     *channel
	conn   net.Conn // the handler's end of the stream
	cli    *yamux.Session
	srv    *yamux.Session
	opened sessionproto.Opened
	served chan struct{} // serveStream returned
	once   bool
}

// pipeConfig is the in-process multiplexer of a browser's stream.
var pipeConfig = func() *yamux.Config {
	c := wsmux.Config(0)
	c.MaxStreamWindowSize = wsmux.ApplianceWindow
	c.AcceptBacklog = 1
	return c
}()

// openBrowserStream opens one feature stream of the session of the :id
// parameter for the caller, who must be a participant, and returns it once
// the endpoint accepted it. A refusal, by the appliance or the endpoint, is
// an error for the error middleware. onEvent, if set, hears the session's
// events meant for this channel (its end, a revocation).
func (b *Broker) openBrowserStream(c *gin.Context, open sessionproto.Open, onEvent func(sessionproto.Event)) (*browserStream, error) {
	ctx := c.Request.Context()
	p, err := auth.MustFromContext(ctx)
	if err != nil {
		return nil, err
	}
	l, err := b.participantLive(ctx, p, c.Param("id"))
	if err != nil {
		return nil, err
	}
	if !b.lim.openChannel(p.UserID) {
		return nil, problem.TooManyRequests("you have %d session channels open, the most one user may have; close one first", api.MaxUserChannels)
	}
	if !b.lim.acquire(ctx, p.UserID) {
		b.lim.closeChannel(p.UserID)
		return nil, ctx.Err()
	}
	release := func() {
		b.lim.release(p.UserID)
		b.lim.closeChannel(p.UserID)
	}
	a, z := net.Pipe()
	srv, err1 := yamux.Server(a, pipeConfig)
	cli, err2 := yamux.Client(z, pipeConfig)
	if err := errors.Join(err1, err2); err != nil {
		_, _ = a.Close(), z.Close()
		release()
		return nil, err
	}
	ch := &channel{l: l, p: p, mux: srv, remote: c.Request.RemoteAddr, onEvent: onEvent}
	bs := &browserStream{b: b, ch: ch, cli: cli, srv: srv, served: make(chan struct{})}

	b.mu.Lock()
	if l.ended || !l.participants[p.UserID] {
		b.mu.Unlock()
		_, _ = cli.Close(), srv.Close()
		release()
		return nil, problem.Conflict("session %d is over", l.rec.ID)
	}
	l.channels[ch] = struct{}{}
	l.lastChannel = b.now()
	b.mu.Unlock()

	go func() {
		defer close(bs.served)
		defer release()
		defer b.leave(ch)
		st, err := srv.AcceptStreamWithContext(b.ctx)
		if err != nil {
			return
		}
		b.serveStream(ch, st, func() {})
	}()
	cs, err := cli.OpenStream()
	if err != nil {
		bs.Close()
		return nil, problem.Conflict("session %d is over", l.rec.ID)
	}
	bs.conn = cs
	if err := sessionproto.WriteLine(cs, open); err != nil {
		bs.Close()
		return nil, problem.Conflict("session %d is over", l.rec.ID)
	}
	_ = cs.SetReadDeadline(time.Now().Add(openTimeout + 5*time.Second))
	if err := sessionproto.ReadLine(cs, &bs.opened); err != nil {
		bs.Close()
		return nil, problem.Unavailable("the %s stream did not open: %v", open.Type, err)
	}
	_ = cs.SetReadDeadline(time.Time{})
	if !bs.opened.OK {
		bs.Close()
		return nil, streamRefusal(&bs.opened)
	}
	return bs, nil
}

// Close ends the stream and waits until serveStream is done with it.
func (s *browserStream) Close() {
	if s.once {
		return
	}
	s.once = true
	if s.conn != nil {
		_ = s.conn.Close()
	}
	_ = s.cli.Close()
	_ = s.srv.Close()
	<-s.served
}

// streamRefusal turns a refused Opened into the error of its HTTP status.
func streamRefusal(o *sessionproto.Opened) error {
	msg := o.Error + " (" + o.Code + ")"
	switch o.Code {
	case sessionproto.CodePermission, sessionproto.CodeRefused:
		return problem.Forbidden("%s", msg)
	case sessionproto.CodeRevoked, sessionproto.CodeNoSession, sessionproto.CodeExists:
		return problem.Conflict("%s", msg)
	case sessionproto.CodeNotFound:
		return problem.NotFound("%s", msg)
	case sessionproto.CodeBadRequest:
		return &problem.BadRequest{Detail: msg}
	case sessionproto.CodeLimit:
		return problem.TooManyRequests("%s", msg)
	case sessionproto.CodeOffline:
		return problem.Unavailable("%s", msg)
	}
	return fmt.Errorf("the stream failed: %s", msg)
}

// filePath reads the path query parameter of a file stream.
func filePath(c *gin.Context, required bool) (string, error) {
	p := c.Query("path")
	if required && p == "" {
		return "", problem.Field("path", "path is required")
	}
	if len(p) > 4096 || strings.ContainsRune(p, 0) {
		return "", problem.Field("path", "path must be at most 4096 bytes, without NUL")
	}
	return p, nil
}

// handleSysInfo serves GET /api/v1/sessions/:id/sysinfo.
func (b *Broker) handleSysInfo(c *gin.Context) error {
	if err := knownQuery(c.Request.URL.Query(), nil); err != nil {
		return err
	}
	return b.serveJSON(c, sessionproto.Open{Type: sessionproto.StreamSysInfo}, &sessionproto.SysInfo{})
}

// handleFileList serves GET /api/v1/sessions/:id/files.
func (b *Broker) handleFileList(c *gin.Context) error {
	if err := knownQuery(c.Request.URL.Query(), fileQuery); err != nil {
		return err
	}
	p, err := filePath(c, false)
	if err != nil {
		return err
	}
	if p == "" {
		p = "." // the session user's home, where relative paths start
	}
	return b.serveJSON(c, sessionproto.Open{Type: sessionproto.StreamFileList, Path: p}, &sessionproto.FileList{})
}

// serveJSON answers with the one JSON document of a sysinfo or file_list
// stream, decoded into v to check it.
func (b *Broker) serveJSON(c *gin.Context, open sessionproto.Open, v any) error {
	bs, err := b.openBrowserStream(c, open, nil)
	if err != nil {
		return err
	}
	defer bs.Close()
	if err := json.NewDecoder(io.LimitReader(bs.conn, 16<<20)).Decode(v); err != nil {
		return problem.Unavailable("the endpoint's answer could not be read: %v", err)
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, v)
	return nil
}

// handleFileGet serves GET /api/v1/sessions/:id/files/content: the file's
// bytes, with the SHA-256 the endpoint computed in a trailer, checked
// against what was relayed.
func (b *Broker) handleFileGet(c *gin.Context) error {
	if err := knownQuery(c.Request.URL.Query(), fileQuery); err != nil {
		return err
	}
	p, err := filePath(c, true)
	if err != nil {
		return err
	}
	bs, err := b.openBrowserStream(c, sessionproto.Open{Type: sessionproto.StreamFileGet, Path: p}, nil)
	if err != nil {
		return err
	}
	defer bs.Close()
	name := path.Base(strings.ReplaceAll(p, "\\", "/"))
	var size int64 = -1
	if f := bs.opened.File; f != nil {
		size = f.Size
		if f.Name != "" {
			name = f.Name
		}
	}
	h := c.Writer.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	h.Set("Cache-Control", "no-store")
	h.Set("Trailer", sessionproto.HeaderSHA256)
	if size >= 0 {
		h.Set(sessionproto.HeaderSize, strconv.FormatInt(size, 10))
	}
	c.Status(http.StatusOK)
	sum := sha256.New()
	var n int64
	fr := sessionproto.NewFrameReader(bs.conn)
	for {
		typ, payload, err := fr.Next()
		if err != nil {
			b.log.Warn("a browser download broke off", "session", bs.ch.l.rec.ID, "path", p, "bytes", n, "err", err)
			panic(http.ErrAbortHandler)
		}
		switch typ {
		case sessionproto.FrameData:
			sum.Write(payload)
			n += int64(len(payload))
			if _, err := c.Writer.Write(payload); err != nil {
				return nil
			}
		case sessionproto.FrameError:
			b.log.Warn("a browser download failed at the endpoint", "session", bs.ch.l.rec.ID, "path", p, "err", string(payload))
			panic(http.ErrAbortHandler)
		case sessionproto.FrameDone:
			var d sessionproto.Done
			got := hex.EncodeToString(sum.Sum(nil))
			if json.Unmarshal(payload, &d) != nil || d.SHA256 != got || d.Size != n {
				b.log.Error("a browser download does not match the endpoint's SHA-256; aborting it", "session", bs.ch.l.rec.ID, "path", p,
					"endpoint_sha256", d.SHA256, "relayed_sha256", got)
				panic(http.ErrAbortHandler)
			}
			h.Set(sessionproto.HeaderSHA256, d.SHA256)
			return nil
		}
	}
}

// handleFilePut serves PUT /api/v1/sessions/:id/files/content: the body
// is the whole file, of Content-Length bytes with SHA-256 sha256, which
// the endpoint checks before it moves the file into place (an interrupted
// upload resumes: the bytes the endpoint already holds are skipped).
func (b *Broker) handleFilePut(c *gin.Context) error {
	q := c.Request.URL.Query()
	if err := knownQuery(q, uploadQuery); err != nil {
		return err
	}
	p, err := filePath(c, true)
	if err != nil {
		return err
	}
	sum := strings.ToLower(q.Get("sha256"))
	if len(sum) != 64 || strings.Trim(sum, "0123456789abcdef") != "" {
		return problem.Field("sha256", "sha256 must be the file's SHA-256 as 64 hex digits")
	}
	overwrite := false
	if v := q.Get("overwrite"); v != "" {
		if overwrite, err = strconv.ParseBool(v); err != nil {
			return problem.Field("overwrite", "overwrite must be true or false")
		}
	}
	size := c.Request.ContentLength
	if size < 0 {
		return &problem.BadRequest{Detail: "an upload needs a Content-Length"}
	}
	open := sessionproto.Open{Type: sessionproto.StreamFilePut, Path: p, Size: size, SHA256: sum, Overwrite: overwrite}
	bs, err := b.openBrowserStream(c, open, nil)
	if err != nil {
		return err
	}
	defer bs.Close()
	body := io.Reader(c.Request.Body)
	if off := bs.opened.Offset; off > 0 {
		if _, err := io.CopyN(io.Discard, body, off); err != nil {
			return &problem.BadRequest{Detail: "the upload's body ended early"}
		}
	}
	buf := make([]byte, 256<<10)
	for {
		k, rerr := body.Read(buf)
		if k > 0 {
			if err := sessionproto.WriteFrame(bs.conn, sessionproto.FrameData, buf[:k]); err != nil {
				return problem.Unavailable("the endpoint stopped the upload")
			}
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			return &problem.BadRequest{Detail: "the upload's body could not be read: " + rerr.Error()}
		}
	}
	if err := sessionproto.WriteFrame(bs.conn, sessionproto.FrameEOF, nil); err != nil {
		return problem.Unavailable("the endpoint stopped the upload")
	}
	fr := sessionproto.NewFrameReader(bs.conn)
	for {
		typ, payload, err := fr.Next()
		if err != nil {
			return problem.Unavailable("the endpoint did not confirm the upload: %v", err)
		}
		switch typ {
		case sessionproto.FrameError:
			return problem.Conflict("the endpoint refused the upload: %s", payload)
		case sessionproto.FrameDone:
			var d sessionproto.Done
			if err := json.Unmarshal(payload, &d); err != nil {
				return err
			}
			c.JSON(http.StatusOK, d)
			return nil
		}
	}
}

// handleShell serves GET /api/v1/sessions/:id/shell: a terminal over a
// WebSocket (sessionproto.TerminalSubprotocol). The shell is opened first,
// so a refusal is an HTTP answer; the upgrade follows.
func (b *Broker) handleShell(c *gin.Context) error {
	q := c.Request.URL.Query()
	if err := knownQuery(q, shellQuery); err != nil {
		return err
	}
	dim := func(name string, def int) (int, error) {
		v := q.Get(name)
		if v == "" {
			return def, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return 0, problem.Field(name, "%s must be a whole number from 1 to 1000", name)
		}
		return n, nil
	}
	cols, err := dim("cols", 80)
	if err != nil {
		return err
	}
	rows, err := dim("rows", 24)
	if err != nil {
		return err
	}
	if !strings.EqualFold(c.GetHeader("Upgrade"), "websocket") {
		return &problem.BadRequest{Detail: "the shell is a WebSocket (subprotocol " + sessionproto.TerminalSubprotocol + ")"}
	}
	if !offers(c.Request, sessionproto.TerminalSubprotocol) {
		return &problem.BadRequest{Detail: "the shell's WebSocket needs the subprotocol " + sessionproto.TerminalSubprotocol}
	}
	events := make(chan sessionproto.Event, 4)
	bs, err := b.openBrowserStream(c, sessionproto.Open{Type: sessionproto.StreamShell, Cols: cols, Rows: rows}, func(ev sessionproto.Event) {
		select {
		case events <- ev:
		default:
		}
	})
	if err != nil {
		return err
	}
	defer bs.Close()
	ws, err := websocket.Accept(c.Writer, c.Request, &websocket.AcceptOptions{
		Subprotocols: []string{sessionproto.TerminalSubprotocol}, CompressionMode: websocket.CompressionDisabled,
		// A browser session's upgrade had its Origin checked (package
		// login) against the appliance's and the trusted origins.
		InsecureSkipVerify: auth.OriginChecked(c.Request.Context()),
	})
	if err != nil {
		return nil
	}
	defer ws.CloseNow()
	ws.SetReadLimit(sessionproto.MaxFrame)
	ctx, cancel := context.WithCancel(b.ctx)
	defer cancel()
	text := func(m sessionproto.TerminalMessage) {
		p, _ := json.Marshal(m)
		_ = ws.Write(ctx, websocket.MessageText, p)
	}
	// The browser's messages to the shell.
	go func() {
		defer cancel()
		for {
			typ, p, err := ws.Read(ctx)
			if err != nil {
				closeWrite(bs.conn)
				return
			}
			if typ == websocket.MessageBinary {
				if err := sessionproto.WriteFrame(bs.conn, sessionproto.FrameData, p); err != nil {
					return
				}
				continue
			}
			var m sessionproto.TerminalMessage
			if json.Unmarshal(p, &m) != nil {
				continue
			}
			switch m.Type {
			case sessionproto.TerminalResize:
				if m.Cols >= 1 && m.Cols <= 1000 && m.Rows >= 1 && m.Rows <= 1000 {
					_ = sessionproto.WriteJSONFrame(bs.conn, sessionproto.FrameResize, sessionproto.Resize{Cols: m.Cols, Rows: m.Rows})
				}
			case sessionproto.TerminalSignal:
				_ = sessionproto.WriteFrame(bs.conn, sessionproto.FrameSignal, []byte(m.Signal))
			}
		}
	}()
	// The shell's output to the browser.
	fr := sessionproto.NewFrameReader(bs.conn)
	for {
		typ, p, err := fr.Next()
		if err != nil {
			// The broker tells a channel why before it closes it (the
			// session ended, a revocation), so the reason is queued by now.
			select {
			case ev := <-events:
				text(sessionproto.TerminalMessage{Type: sessionproto.TerminalEnded, Message: ev.Message, EndReason: ev.EndReason})
				_ = ws.Close(websocket.StatusNormalClosure, "the session ended")
			default:
				_ = ws.Close(websocket.StatusNormalClosure, "the shell's stream closed")
			}
			return nil
		}
		switch typ {
		case sessionproto.FrameData, sessionproto.FrameStderr:
			if err := ws.Write(ctx, websocket.MessageBinary, p); err != nil {
				return nil
			}
		case sessionproto.FrameNotice:
			text(sessionproto.TerminalMessage{Type: sessionproto.TerminalNotice, Message: string(p)})
		case sessionproto.FrameError:
			text(sessionproto.TerminalMessage{Type: sessionproto.TerminalError, Message: string(p)})
		case sessionproto.FrameExit:
			var x sessionproto.Exit
			_ = json.Unmarshal(p, &x)
			text(sessionproto.TerminalMessage{Type: sessionproto.TerminalExit, Code: x.Code, Signal: x.Signal})
		}
	}
}

// offers tells whether a WebSocket upgrade offers subprotocol proto.
func offers(r *http.Request, proto string) bool {
	for _, v := range r.Header.Values("Sec-WebSocket-Protocol") {
		for _, p := range strings.Split(v, ",") {
			if strings.TrimSpace(p) == proto {
				return true
			}
		}
	}
	return false
}
