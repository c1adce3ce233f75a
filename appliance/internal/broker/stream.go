package broker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/gorm"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/api/sessionproto"
	"github.com/jumpgate/jumpgate/appliance/internal/audit"
	"github.com/jumpgate/jumpgate/appliance/internal/auth"
)

// openTimeout bounds reaching the agent and its answer.
const openTimeout = 30 * time.Second

// permitted tells whether perms allow a stream type, and names the
// permission when not.
func permitted(typ string, perms api.SessionPermissions) (bool, string) {
	switch typ {
	case sessionproto.StreamShell, sessionproto.StreamExec:
		return perms.Shell, "shell"
	case sessionproto.StreamSysInfo:
		return perms.SystemInfo, "system_info"
	case sessionproto.StreamFileList, sessionproto.StreamFileGet:
		return perms.FileRead, "file_read"
	case sessionproto.StreamFilePut:
		return perms.FileWrite, "file_write"
	case sessionproto.StreamTunnel:
		return perms.Tunnel, "tunnel"
	}
	return false, ""
}

// needsControl lists the stream types that act on the endpoint: refused
// while the end user has revoked control.
func needsControl(typ string) bool {
	switch typ {
	case sessionproto.StreamShell, sessionproto.StreamExec, sessionproto.StreamFilePut, sessionproto.StreamTunnel:
		return true
	}
	return false
}

// serveStream serves one feature stream of a session channel. read is
// called once the stream's Open line was read, or failed to be.
func (b *Broker) serveStream(ch *channel, st net.Conn, read func()) {
	defer closeAndDrain(st)
	l := ch.l
	var open sessionproto.Open
	_ = st.SetReadDeadline(time.Now().Add(openDeadline))
	err := sessionproto.ReadLineLimit(st, &open, sessionproto.MaxOpenLine)
	read()
	if err != nil {
		if !errors.Is(err, io.EOF) {
			// A stream that gave up before its Open line is no harm; a
			// line too long, too slow or not JSON is not the CLI.
			b.log.Warn("closing a session channel: a stream broke the protocol before its open line", "session", l.rec.ID,
				"user", ch.p.Username, "remote", ch.remote, "err", err)
			ch.close()
		}
		return
	}
	_ = st.SetReadDeadline(time.Time{})
	reply := func(o sessionproto.Opened) { _ = sessionproto.WriteLine(st, o) }
	ctx := auth.WithPrincipal(context.Background(), ch.p)

	b.mu.Lock()
	rec := l.rec
	var refusal *sessionproto.Opened
	var stat *tunnelStat
	ok, perm := permitted(open.Type, rec.Permissions)
	switch {
	case l.ended || rec.Status != api.SessionActive:
		r := sessionproto.Refuse(sessionproto.CodeNoSession, "session %d is %s", rec.ID, rec.Status)
		refusal = &r
	case perm == "":
		r := sessionproto.Refuse(sessionproto.CodeBadRequest, "unknown stream type %q", open.Type)
		refusal = &r
	case !sessionproto.ItemCarries(rec.ItemType, open.Type):
		r := sessionproto.Refuse(sessionproto.CodePermission, "a session on a %s carries %s streams only, not %s", rec.ItemType, strings.Join(sessionproto.ItemStreams(rec.ItemType), ", "), open.Type)
		refusal = &r
	case !ok:
		r := sessionproto.Refuse(sessionproto.CodePermission, "the session policy does not allow %s (permission %s)", open.Type, perm)
		refusal = &r
	case rec.ControlRevoked && needsControl(open.Type):
		r := sessionproto.Refuse(sessionproto.CodeRevoked, "the end user has revoked control; %s is blocked until they give it back", open.Type)
		refusal = &r
	case open.Type == sessionproto.StreamTunnel:
		host := rec.TargetHost
		if rec.ItemType != api.ItemProtocolTunnelJump {
			host = "localhost"
		}
		stat = l.stats[open.Port]
		if stat == nil {
			stat = &tunnelStat{host: host, port: open.Port}
		}
		switch {
		case open.Port < 1 || open.Port > 65535:
			r := sessionproto.Refuse(sessionproto.CodeBadRequest, "tunnel port %d is out of range", open.Port)
			refusal = &r
		case rec.ItemType == api.ItemProtocolTunnelJump && !slices.Contains(rec.TunnelPorts, open.Port):
			r := sessionproto.Refuse(sessionproto.CodeRefused, "port %d is not a tunnel of %q (its remote ports: %v)", open.Port, rec.ItemName, rec.TunnelPorts)
			refusal = &r
		case l.tunnelsOpen >= api.MaxTunnelConnections:
			r := sessionproto.Refuse(sessionproto.CodeLimit, "session %d already has %d tunnel connections open, the most a session may have", rec.ID, api.MaxTunnelConnections)
			refusal = &r
			stat.refused.Add(1)
			l.stats[open.Port] = stat
		default:
			l.tunnelsOpen++
			stat.open++
			stat.total.Add(1)
			l.stats[open.Port] = stat
		}
	}
	if refusal == nil {
		l.streams[st] = struct{}{}
		if l.idleTimer != nil {
			l.idleTimer.Stop()
			l.idleTimer = nil
		}
	}
	b.mu.Unlock()

	if refusal != nil {
		act := ActStreamRefused
		if open.Type == sessionproto.StreamTunnel {
			act = ActTunnelRefused
			b.log.Warn("tunnel connection refused", "session", rec.ID, "port", open.Port, "peer", ch.remote, "client_peer", open.Peer, "code", refusal.Code, "reason", refusal.Error)
		}
		b.event(ctx, rec, act, map[string]any{"type": open.Type, "code": refusal.Code, "detail": refusal.Error, "peer": ch.remote, "client_peer": open.Peer, "port": open.Port, "path": open.Path})
		reply(*refusal)
		return
	}
	opened := time.Now()
	defer func() {
		b.mu.Lock()
		delete(l.streams, st)
		if open.Type == sessionproto.StreamTunnel {
			l.tunnelsOpen--
			stat.open--
		}
		if !l.ended {
			b.idleLocked(l)
		}
		b.mu.Unlock()
	}()

	// Audit before anything reaches the endpoint.
	details := map[string]any{"type": open.Type}
	action := ActStreamOpened
	switch open.Type {
	case sessionproto.StreamExec:
		details["command"] = open.Command
	case sessionproto.StreamFileList:
		details["path"] = open.Path
	case sessionproto.StreamFileGet, sessionproto.StreamFilePut:
		action = ActFileTransfer
		details["path"], details["direction"] = open.Path, map[bool]string{true: "upload", false: "download"}[open.Type == sessionproto.StreamFilePut]
		if open.Type == sessionproto.StreamFilePut {
			details["size"], details["sha256"] = open.Size, open.SHA256
		}
	case sessionproto.StreamTunnel:
		action = ActTunnelOpened
		details = map[string]any{"peer": ch.remote, "client_peer": open.Peer, "target": fmt.Sprintf("%s:%d", stat.host, open.Port)}
	}
	if err := b.event(ctx, rec, action, details); err != nil {
		reply(sessionproto.Refuse(sessionproto.CodeFailed, "the appliance could not write the audit log"))
		return
	}

	// Reach the endpoint.
	ao := open
	ao.Session = rec.ID
	if open.Type == sessionproto.StreamTunnel && rec.ItemType == api.ItemProtocolTunnelJump {
		ao.Host, ao.Item = rec.TargetHost, rec.ItemID
	} else if open.Type == sessionproto.StreamTunnel {
		ao.Host = ""
	}
	as, aOpened, node, err := b.openAgent(l, &ao)
	if err != nil {
		if stat != nil {
			stat.refused.Add(1)
		}
		b.event(ctx, rec, failedAction(open.Type), map[string]any{"type": open.Type, "code": sessionproto.CodeOffline, "detail": err.Error(), "peer": ch.remote, "client_peer": open.Peer})
		reply(sessionproto.Refuse(sessionproto.CodeOffline, "%v", err))
		return
	}
	defer as.Close()
	b.mu.Lock()
	l.streams[as] = struct{}{}
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		delete(l.streams, as)
		b.mu.Unlock()
	}()
	if !aOpened.OK {
		if stat != nil {
			stat.refused.Add(1)
		}
		b.event(ctx, rec, failedAction(open.Type), map[string]any{"type": open.Type, "code": aOpened.Code, "detail": aOpened.Error, "peer": ch.remote, "client_peer": open.Peer, "by": "endpoint"})
		reply(*aOpened)
		return
	}

	switch open.Type {
	case sessionproto.StreamTunnel:
		reply(*aOpened)
		var conn byteCounts
		splice(st, as, []*atomic.Int64{&stat.out, &conn.out}, []*atomic.Int64{&stat.in, &conn.in})
		closedAt := time.Now()
		e := tunnelEntry{OpenedAt: opened.UTC(), ClosedAt: closedAt.UTC(), Peer: ch.remote, ClientPeer: open.Peer, Target: fmt.Sprintf("%s:%d", stat.host, open.Port),
			BytesIn: conn.in.Load(), BytesOut: conn.out.Load(), DurationMS: closedAt.Sub(opened).Milliseconds()}
		closed := map[string]any{"peer": e.Peer, "client_peer": e.ClientPeer, "target": e.Target, "bytes_in": e.BytesIn,
			"bytes_out": e.BytesOut, "duration_ms": e.DurationMS}
		if node != 0 {
			closed["jumpoint_node"] = node
		}
		_ = b.event(ctx, rec, ActTunnelClosed, closed)
		if rec.RecordTunnel {
			b.logTunnel(l, e)
		}
	case sessionproto.StreamShell, sessionproto.StreamExec:
		var rc *castWriter
		if rec.Recording {
			rc, err = b.newCast(ctx, rec, &open)
			if err != nil {
				b.log.Error("could not start a recording; refusing the stream", "session", rec.ID, "err", err)
				reply(sessionproto.Refuse(sessionproto.CodeFailed, "the appliance could not start the recording that the policy requires"))
				return
			}
			aOpened.Recording = true
		}
		reply(*aOpened)
		b.relayFrames(ctx, l, rec, &open, st, as, rc)
		if rc != nil {
			if err := rc.finish(b); err != nil {
				b.log.Error("recording failed", "session", rec.ID, "err", err)
			}
		}
	case sessionproto.StreamFileGet, sessionproto.StreamFilePut:
		reply(*aOpened)
		b.relayFrames(ctx, l, rec, &open, st, as, nil)
	default:
		reply(*aOpened)
		splice(st, as, nil, nil)
	}
}

// closeAndDrain closes the appliance's side of a feature stream and reads
// (and drops) what the client still sends until it closes its side too, or
// until yamux gives up on it (channelConfig.StreamCloseTimeout). Until
// then the stream holds its channel slot: a client that never closes its
// streams cannot make the appliance keep their buffers beyond the
// channel's limits.
func closeAndDrain(st net.Conn) {
	_ = st.Close()
	_ = st.SetReadDeadline(time.Now().Add(channelConfig.StreamCloseTimeout + time.Second))
	_, _ = io.Copy(io.Discard, st)
}

// byteCounts are one connection's counters, for its log line.
type byteCounts struct{ in, out atomic.Int64 }

func failedAction(typ string) string {
	if typ == sessionproto.StreamTunnel {
		return ActTunnelRefused
	}
	return ActStreamRefused
}

// event writes a session event to the audit log.
func (b *Broker) event(ctx context.Context, rec Record, action string, details map[string]any) error {
	for k, v := range details {
		if s, ok := v.(string); ok && s == "" {
			delete(details, k)
		}
		if n, ok := v.(int); ok && n == 0 && k == "port" {
			delete(details, k)
		}
	}
	err := b.db.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return audit.WriteEvent(ctx, tx, action, ObjectSession, rec.ID, rec.ItemName, details)
	})
	if err != nil {
		b.log.Error("could not write a session event", "session", rec.ID, "action", action, "err", err)
	}
	return err
}

// openAgent opens the stream on the endpoint's agent and reads its answer.
// A tunnel through a clustered Jumpoint tries each connected node in turn,
// starting with the next one, so connections spread over the nodes and a
// node that went away is skipped.
func (b *Broker) openAgent(l *live, open *sessionproto.Open) (net.Conn, *sessionproto.Opened, int64, error) {
	type target struct {
		kind string
		id   int64
	}
	var targets []target
	b.mu.Lock()
	if l.agentKind != "" {
		targets = []target{{l.agentKind, l.agentID}}
	}
	jid := l.rec.JumpointID
	start := l.rr
	l.rr++
	b.mu.Unlock()
	if jid != 0 {
		nodes := b.hub.JumpointNodes(jid)
		for i := range nodes {
			targets = append(targets, target{agentproto.KindJumpoint, nodes[(start+i)%len(nodes)]})
		}
		if len(nodes) == 0 {
			return nil, nil, 0, errors.New("no node of the jumpoint is connected")
		}
	}
	var lastErr error
	for _, t := range targets {
		ctx, cancel := context.WithTimeout(b.ctx, openTimeout)
		as, err := b.hub.OpenStream(ctx, t.kind, t.id, open)
		cancel()
		if err != nil {
			lastErr = err
			continue
		}
		var o sessionproto.Opened
		_ = as.SetReadDeadline(time.Now().Add(openTimeout))
		if err := sessionproto.ReadLine(as, &o); err != nil {
			_ = as.Close()
			lastErr = fmt.Errorf("the endpoint did not answer: %w", err)
			continue
		}
		_ = as.SetReadDeadline(time.Time{})
		node := int64(0)
		if t.kind == agentproto.KindJumpoint {
			node = t.id
		}
		return as, &o, node, nil
	}
	if lastErr == nil {
		lastErr = errors.New("the endpoint is not connected")
	}
	return nil, nil, 0, lastErr
}

// relayFrames carries a framed stream (shell, exec, files) both ways. Input
// to the endpoint is dropped while control is revoked (the agent enforces
// that too); output is recorded; a completed file transfer is audited
// before its done frame reaches the representative.
func (b *Broker) relayFrames(ctx context.Context, l *live, rec Record, open *sessionproto.Open, cli, agent net.Conn, rc *castWriter) {
	var wg sync.WaitGroup
	var sent atomic.Int64
	wg.Go(func() {
		fr := sessionproto.NewFrameReader(cli)
		for {
			typ, p, err := fr.Next()
			if err != nil {
				if errors.Is(err, io.EOF) {
					closeWrite(agent)
				} else {
					_ = agent.Close()
				}
				return
			}
			if open.Type == sessionproto.StreamShell || open.Type == sessionproto.StreamExec {
				b.mu.Lock()
				revoked := l.rec.ControlRevoked
				b.mu.Unlock()
				if revoked && (typ == sessionproto.FrameData || typ == sessionproto.FrameSignal) {
					continue
				}
				if typ == sessionproto.FrameResize && rc != nil {
					var r sessionproto.Resize
					if json.Unmarshal(p, &r) == nil {
						rc.resize(r.Cols, r.Rows)
					}
				}
			}
			if typ == sessionproto.FrameData {
				sent.Add(int64(len(p)))
			}
			if err := sessionproto.WriteFrame(agent, typ, p); err != nil {
				_ = cli.Close()
				return
			}
		}
	})
	fr := sessionproto.NewFrameReader(agent)
	for {
		typ, p, err := fr.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				closeWrite(cli)
			} else {
				_ = cli.Close()
			}
			break
		}
		switch typ {
		case sessionproto.FrameData, sessionproto.FrameStderr:
			if rc != nil {
				stream := castStdout
				if typ == sessionproto.FrameStderr {
					stream = castStderr
				}
				if err := rc.output(stream, p); err != nil {
					b.log.Error("recording write failed; ending the session", "session", rec.ID, "err", err)
					go b.End(auth.WithPrincipal(context.Background(), auth.System), rec.ID, api.EndedBySystem, api.EndRecordingError, "the session's recording could not be written")
					_ = cli.Close()
					_ = agent.Close()
				}
			}
		case sessionproto.FrameDone:
			var d sessionproto.Done
			if json.Unmarshal(p, &d) == nil {
				dir := "download"
				if open.Type == sessionproto.StreamFilePut {
					dir = "upload"
				}
				// The path is the one the representative asked for, which the
				// broker let through; the agent's own report of where the
				// file is (a relative path resolved, say) is only noted.
				det := map[string]any{"direction": dir, "path": open.Path, "size": d.Size, "sha256": d.SHA256}
				if d.Path != "" && d.Path != open.Path {
					det["endpoint_path"] = d.Path
				}
				_ = b.event(ctx, rec, ActFileTransferred, det)
			}
		}
		if err := sessionproto.WriteFrame(cli, typ, p); err != nil {
			_ = agent.Close()
			break
		}
	}
	wg.Wait()
}
