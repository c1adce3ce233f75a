package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/hashicorp/yamux"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/sessionproto"
	"github.com/jumpgate/jumpgate/api/wsmux"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
)

// rawChannel is a session channel opened by hand, as an attacker's client
// would: the WebSocket and yamux of the protocol, with none of the CLI's
// own restraint. backlog is the client's yamux AcceptBacklog, which also
// bounds the streams it has in flight; an attacker sets it high.
type rawChannel struct {
	mux *yamux.Session
	ctl *yamux.Stream
}

func dialChannel(t *testing.T, s *appliancetest.Server, token string, session int64, backlog int) (*rawChannel, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	u := strings.Replace(s.URL, "https", "wss", 1) + sessionproto.ConnectPath(session)
	ws, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{
		HTTPClient:   s.HTTPClient(t),
		HTTPHeader:   http.Header{"Authorization": {"Bearer " + token}},
		Subprotocols: []string{sessionproto.Subprotocol},
	})
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("%w (HTTP %d)", err, resp.StatusCode)
		}
		return nil, err
	}
	nc := websocket.NetConn(context.Background(), ws, websocket.MessageBinary)
	cfg := wsmux.Config(0)
	cfg.AcceptBacklog = backlog
	mux, err := yamux.Client(nc, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { mux.Close() })
	ctl, err := mux.OpenStream()
	require.NoError(t, err)
	require.NoError(t, sessionproto.WriteLine(ctl, sessionproto.Open{Type: sessionproto.StreamControl}))
	var ev sessionproto.Event
	require.NoError(t, ctl.SetReadDeadline(time.Now().Add(15*time.Second)))
	require.NoError(t, sessionproto.ReadLine(ctl, &ev))
	require.Equal(t, api.SessionActive, ev.Status, "the first event tells the session's state")
	return &rawChannel{mux: mux, ctl: ctl}, nil
}

// open opens a feature stream and returns the appliance's answer.
func (c *rawChannel) open(t *testing.T, o sessionproto.Open) (*yamux.Stream, sessionproto.Opened) {
	t.Helper()
	st, err := c.mux.OpenStream()
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	require.NoError(t, sessionproto.WriteLine(st, o))
	require.NoError(t, st.SetReadDeadline(time.Now().Add(40*time.Second)))
	var got sessionproto.Opened
	require.NoError(t, sessionproto.ReadLine(st, &got))
	require.NoError(t, st.SetReadDeadline(time.Time{}))
	return st, got
}

// TestJumpoint_TunnelSessionIsConfined is the critical hole of the
// adversarial review: a session on a Protocol Tunnel Jump, whose default
// session policy grants shell and files, opened by hand with exec, shell,
// file and sysinfo streams. The broker refuses each (the endpoint is a
// Jumpoint node, which carries tunnels only) and audits the refusal;
// nothing runs on the node. A tunnel to the item's own port goes through,
// and its audit records the address the appliance saw, with the address
// the client claimed kept apart as client_peer.
func TestJumpoint_TunnelSessionIsConfined(t *testing.T) {
	echo := echoServer(t)
	_, p, _ := net.SplitHostPort(echo)
	port, _ := strconv.Atoi(p)
	w := newJumpointWorld(t, 1, "127.0.0.1", []api.TunnelDefinition{{RemotePort: port}})
	ctx := context.Background()

	sess, err := w.s.Admin.StartSession(ctx, &api.SessionRequest{ItemType: api.ItemProtocolTunnelJump, ItemID: w.item.ID})
	require.NoError(t, err)
	assert.Equal(t, api.SessionPermissions{Tunnel: true, Clipboard: api.ClipboardOff, ClipboardMaxBytes: api.DefaultClipboardMaxBytes}, sess.Permissions, "the session's permissions are what the item can carry")
	ch, err := dialChannel(t, w.s, w.s.AdminToken, sess.ID, 256)
	require.NoError(t, err)

	marker := filepath.Join(w.endpoints[0].home, "pwned")
	attacks := []sessionproto.Open{
		{Type: sessionproto.StreamExec, Command: []string{"sh", "-c", "id > " + marker}},
		{Type: sessionproto.StreamShell},
		{Type: sessionproto.StreamFileGet, Path: filepath.Join(w.nodes[0], "state.json")},
		{Type: sessionproto.StreamFileList, Path: "/"},
		{Type: sessionproto.StreamFilePut, Path: marker, Size: 1, SHA256: strings.Repeat("0", 64)},
		{Type: sessionproto.StreamSysInfo},
	}
	for _, o := range attacks {
		_, got := ch.open(t, o)
		assert.False(t, got.OK, "%s on a tunnel jump's node is refused", o.Type)
		assert.Equal(t, sessionproto.CodePermission, got.Code, "%s: %s", o.Type, got.Error)
		assert.Contains(t, got.Error, "tunnel streams only", o.Type)
	}
	_, err = os.Stat(marker)
	assert.True(t, errors.Is(err, os.ErrNotExist), "nothing ran on the jumpoint node")

	// A tunnel to the item's port works, whatever peer the client claims.
	st, got := ch.open(t, sessionproto.Open{Type: sessionproto.StreamTunnel, Port: port, Peer: "203.0.113.7:4444"})
	require.True(t, got.OK, got.Error)
	_, err = st.Write([]byte("ping\n"))
	require.NoError(t, err)
	buf := make([]byte, 5)
	require.NoError(t, st.SetReadDeadline(time.Now().Add(10*time.Second)))
	_, err = io.ReadFull(st, buf)
	require.NoError(t, err)
	assert.Equal(t, "ping\n", string(buf))
	require.NoError(t, st.Close())

	eventually(t, 10*time.Second, "audit of the refusals and the tunnel", func() (bool, string) {
		acts, evs := auditOf(t, w.s, sess.ID)
		refused, opened := 0, false
		for _, e := range evs {
			switch e.Action {
			case "session.stream_refused":
				refused++
			case "session.tunnel_opened":
				opened = true
				host, _, err := net.SplitHostPort(fmt.Sprint(e.Details["peer"]))
				assert.NoError(t, err, "peer is the address the appliance saw: %v", e.Details)
				assert.Equal(t, "127.0.0.1", host, "peer is the appliance's view, not the client's claim")
				assert.Equal(t, "203.0.113.7:4444", e.Details["client_peer"], "the claim is kept, marked as the client's")
			}
		}
		return refused == len(attacks) && opened, strings.Join(acts, " ")
	})
}

// TestSession_ChannelCannotExhaustMemory opens session channels by hand
// and misuses them as the adversarial review did: thousands of idle
// streams, and thousands of streams each sending 60 KiB without the
// newline that ends an Open line. The appliance takes at most
// api.MaxChannelStreams streams of a channel (its multiplexer resets the
// surplus), closes a channel whose stream breaks the protocol, and its
// heap stays within a bound; the representative can connect again at
// once. A user's channels are limited too.
func TestSession_ChannelCannotExhaustMemory(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	u, _ := w.s.NewUser(t, false)
	_, err := w.s.Admin.CreateGroupPolicy(ctx, &api.GroupPolicy{Name: "reps", Members: []int64{u.ID},
		JumpGroups: []api.GroupPolicyJumpGroup{{JumpGroupID: w.group, Role: api.RoleStart}}})
	require.NoError(t, err)
	token := tokenFor(t, w.s, u.ID)
	rep := w.s.Client(t, token)
	sess, err := rep.StartSession(ctx, &api.SessionRequest{ItemType: api.ItemJumpClient, ItemID: w.client.ID})
	require.NoError(t, err)

	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapInuse
	}
	base, baseG := heap(), runtime.NumGoroutine()

	// 1. Idle streams: the appliance accepts up to its limit and the
	// backlog; the rest are reset at once.
	const idle = 6000
	ch, err := dialChannel(t, w.s, token, sess.ID, 2*idle)
	require.NoError(t, err)
	streams := make([]*yamux.Stream, 0, idle)
	for range idle {
		st, err := ch.mux.OpenStream()
		if err != nil {
			break
		}
		streams = append(streams, st)
	}
	var reset atomic.Int64
	var wg sync.WaitGroup
	for _, st := range streams {
		wg.Go(func() {
			_ = st.SetReadDeadline(time.Now().Add(3 * time.Second))
			if _, err := st.Read(make([]byte, 1)); errors.Is(err, yamux.ErrConnectionReset) {
				reset.Add(1)
			}
		})
	}
	wg.Wait()
	kept := int64(len(streams)) - reset.Load()
	t.Logf("idle streams: %d opened, %d reset by the appliance, %d kept; goroutines +%d, heap +%d KiB",
		len(streams), reset.Load(), kept, runtime.NumGoroutine()-baseG, (int64(heap())-int64(base))>>10)
	assert.LessOrEqual(t, kept, int64(api.MaxChannelStreams+wsmux.ChannelBacklog), "the appliance holds no more streams of a channel than its limit and backlog")
	assert.Less(t, runtime.NumGoroutine()-baseG, 4*(api.MaxChannelStreams+wsmux.ChannelBacklog)+idle/4, "goroutines are bounded by the limit")
	ch.mux.Close()

	// 2. Open lines that never end: 3,000 streams of 60 KiB without a
	// newline. The first stream past sessionproto.MaxOpenLine closes the
	// channel, which frees all of it.
	ch, err = dialChannel(t, w.s, token, sess.ID, 4000)
	require.NoError(t, err)
	junk := []byte(strings.Repeat("x", 60<<10))
	var sent atomic.Int64
	for range 3000 {
		wg.Go(func() {
			st, err := ch.mux.OpenStream()
			if err != nil {
				return
			}
			_ = st.SetWriteDeadline(time.Now().Add(20 * time.Second))
			if n, err := st.Write(junk); err == nil {
				sent.Add(int64(n))
			}
		})
	}
	select {
	case <-ch.mux.CloseChan():
	case <-time.After(20 * time.Second):
		t.Fatal("the appliance kept a channel whose streams send endless open lines")
	}
	wg.Wait()
	grown := int64(heap()) - int64(base)
	t.Logf("unterminated open lines: %d KiB sent before the channel was closed; heap +%d KiB", sent.Load()>>10, grown>>10)
	assert.Less(t, grown, int64(64<<20), "the appliance's heap stays bounded")

	// 3. The representative connects again at once: nothing was left
	// counted against them.
	ch, err = dialChannel(t, w.s, token, sess.ID, 256)
	require.NoError(t, err)
	_, got := ch.open(t, sessionproto.Open{Type: sessionproto.StreamSysInfo})
	require.True(t, got.OK, got.Error)
	ch.mux.Close()

	// 4. A user's channels are limited.
	var chans []*rawChannel
	for range api.MaxUserChannels {
		c, err := dialChannel(t, w.s, token, sess.ID, 16)
		require.NoError(t, err)
		chans = append(chans, c)
	}
	_, err = dialChannel(t, w.s, token, sess.ID, 16)
	require.Error(t, err, "one channel more than api.MaxUserChannels is refused")
	assert.Contains(t, err.Error(), "429")
	for _, c := range chans {
		c.mux.Close()
	}
}

// TestSession_ConnectAnswersLikeGet: a representative who may not see a
// session learns nothing more from its channel than from GET: both say
// 404. An administrator who is not a participant gets 403.
func TestSession_ConnectAnswersLikeGet(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	sess, err := w.s.Admin.StartSession(ctx, &api.SessionRequest{ItemType: api.ItemJumpClient, ItemID: w.client.ID})
	require.NoError(t, err)

	u, _ := w.s.NewUser(t, false)
	token := tokenFor(t, w.s, u.ID)
	_, err = w.s.Client(t, token).GetSession(ctx, sess.ID)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "404")
	_, err = dialChannel(t, w.s, token, sess.ID, 16)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "HTTP 404", "the channel answers as GET does for a session the caller may not see")
	_, err = dialChannel(t, w.s, token, sess.ID+1000, 16)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "HTTP 404")

	other, _ := w.s.NewUser(t, true)
	_, err = dialChannel(t, w.s, tokenFor(t, w.s, other.ID), sess.ID, 16)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "HTTP 403", "an administrator sees the session but is no participant")
}

// castOutput returns the output events of an asciicast v2 file.
func castOutput(t *testing.T, cast []byte) string {
	t.Helper()
	var out strings.Builder
	for i, line := range strings.Split(strings.TrimSpace(string(cast)), "\n") {
		if i == 0 {
			continue
		}
		var ev []any
		require.NoError(t, json.Unmarshal([]byte(line), &ev), line)
		if len(ev) == 3 && ev[1] == "o" {
			out.WriteString(fmt.Sprint(ev[2]))
		}
	}
	return out.String()
}

// runExec runs cmd in an exec stream of ch and returns its stdout and
// stderr.
func (c *rawChannel) runExec(t *testing.T, cmd ...string) (string, string) {
	t.Helper()
	st, got := c.open(t, sessionproto.Open{Type: sessionproto.StreamExec, Command: cmd})
	require.True(t, got.OK, got.Error)
	require.NoError(t, sessionproto.WriteFrame(st, sessionproto.FrameEOF, nil))
	require.NoError(t, st.SetReadDeadline(time.Now().Add(30*time.Second)))
	fr := sessionproto.NewFrameReader(st)
	var out, errOut strings.Builder
	for {
		typ, p, err := fr.Next()
		if err != nil {
			require.ErrorIs(t, err, io.EOF)
			require.NoError(t, st.Close())
			return out.String(), errOut.String()
		}
		switch typ {
		case sessionproto.FrameData:
			out.Write(p)
		case sessionproto.FrameStderr:
			errOut.Write(p)
		}
	}
}

// TestSession_RecordingsOfJoinedSessions: a representative who joins a
// session reads the recordings made while they take part, not those made
// before they joined; the one who started it reads all of them. An exec's
// stderr is in its recording.
func TestSession_RecordingsOfJoinedSessions(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	jp, err := w.s.Admin.CreateJumpPolicy(ctx, &api.JumpPolicy{CodeName: "join", DisplayName: "Join", SimultaneousJumps: api.SimultaneousJoin})
	require.NoError(t, err)
	_, err = w.s.Admin.PatchJumpClient(ctx, w.client.ID, map[string]any{"jump_policy_id": jp.ID})
	require.NoError(t, err)
	u, _ := w.s.NewUser(t, false)
	_, err = w.s.Admin.CreateGroupPolicy(ctx, &api.GroupPolicy{Name: "joiners", Members: []int64{u.ID},
		JumpGroups: []api.GroupPolicyJumpGroup{{JumpGroupID: w.group, Role: api.RoleStart}}})
	require.NoError(t, err)
	token := tokenFor(t, w.s, u.ID)
	joiner := w.s.Client(t, token)

	sess, err := w.s.Admin.StartSession(ctx, &api.SessionRequest{ItemType: api.ItemJumpClient, ItemID: w.client.ID})
	require.NoError(t, err)
	require.True(t, sess.Recording, "the default session policy records")
	first, err := dialChannel(t, w.s, w.s.AdminToken, sess.ID, 16)
	require.NoError(t, err)
	out, errOut := first.runExec(t, "sh", "-c", "echo before-join; echo hidden-on-stderr >&2")
	assert.Equal(t, "before-join\n", out)
	assert.Equal(t, "hidden-on-stderr\n", errOut)

	joined, err := joiner.StartSession(ctx, &api.SessionRequest{ItemType: api.ItemJumpClient, ItemID: w.client.ID})
	require.NoError(t, err)
	require.Equal(t, sess.ID, joined.ID, "the second request joins the session")
	second, err := dialChannel(t, w.s, token, sess.ID, 16)
	require.NoError(t, err)
	out, _ = second.runExec(t, "echo", "after-join")
	assert.Equal(t, "after-join\n", out)

	var all []api.Recording
	eventually(t, 10*time.Second, "both recordings finished", func() (bool, string) {
		s, err := w.s.Admin.GetSession(ctx, sess.ID)
		if err != nil {
			return false, err.Error()
		}
		all = s.Recordings
		done := 0
		for _, r := range all {
			if r.EndedAt != nil {
				done++
			}
		}
		return done == 2, fmt.Sprintf("%d recordings, %d done", len(all), done)
	})
	download := func(c *api.Client, rid int64) (string, error) {
		var b strings.Builder
		_, err := c.DownloadRecording(ctx, sess.ID, rid, &b)
		return b.String(), err
	}
	before, after := all[0], all[1]
	cast, err := download(w.s.Admin, before.ID)
	require.NoError(t, err)
	assert.Contains(t, castOutput(t, []byte(cast)), "hidden-on-stderr", "an exec's stderr is recorded")
	assert.Contains(t, castOutput(t, []byte(cast)), "before-join")

	seen, err := joiner.GetSession(ctx, sess.ID)
	require.NoError(t, err)
	require.Len(t, seen.Recordings, 1, "the joiner sees only what was recorded while they took part")
	assert.Equal(t, after.ID, seen.Recordings[0].ID)
	_, err = download(joiner, before.ID)
	require.Error(t, err, "the joiner cannot download a recording made before they joined")
	assert.Contains(t, err.Error(), "404")
	cast, err = download(joiner, after.ID)
	require.NoError(t, err)
	assert.Contains(t, castOutput(t, []byte(cast)), "after-join")
	list, err := joiner.ListSessions(ctx, nil)
	require.NoError(t, err)
	for _, s := range list.Items {
		if s.ID == sess.ID {
			assert.Len(t, s.Recordings, 1, "the list leaves it out too")
		}
	}
}
