package events_test

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/hashicorp/yamux"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
	"github.com/jumpgate/jumpgate/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

// stream is an open GET /api/v1/events read by a real HTTP client.
type stream struct {
	resp   *http.Response
	events chan sse
	done   chan struct{}
}

// sse is one event as read off the wire.
type sse struct {
	name string
	data api.Event
}

func open(t *testing.T, s *appliancetest.Server, token, query string) (*stream, int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/api/v1/events"+query, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := s.HTTPClient(t).Do(req)
	require.NoError(t, err)
	if resp.StatusCode != http.StatusOK {
		_ = resp.Body.Close()
		return nil, resp.StatusCode
	}
	assert.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	st := &stream{resp: resp, events: make(chan sse, 1000), done: make(chan struct{})}
	go func() {
		defer close(st.done)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		var name string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				var ev api.Event
				if json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev) == nil {
					st.events <- sse{name: name, data: ev}
				}
			}
		}
	}()
	return st, http.StatusOK
}

// next returns the next event matching want, failing after 10 s.
func (st *stream) next(t *testing.T, want func(sse) bool) sse {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev := <-st.events:
			if want(ev) {
				return ev
			}
		case <-st.done:
			// What was read before the end still counts.
			for {
				select {
				case ev := <-st.events:
					if want(ev) {
						return ev
					}
				default:
					t.Fatal("the stream ended")
				}
			}
		case <-deadline:
			t.Fatal("no such event within 10s")
		}
	}
}

func status(id int64, s string) func(sse) bool {
	return func(ev sse) bool {
		return ev.name == api.EventJumpClientStatus && ev.data.ID == id && ev.data.Status == s
	}
}

// connect dials /agent/v1/connect as a Jump Client agent with key, speaking
// the protocol from agentproto, and returns a func that disconnects it.
func connect(t *testing.T, s *appliancetest.Server, id int64, key ed25519.PrivateKey, host string) func() {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, strings.Replace(s.URL, "https", "wss", 1)+agentproto.PathConnect, &websocket.DialOptions{
		HTTPClient: s.HTTPClient(t), Subprotocols: []string{agentproto.Subprotocol},
	})
	require.NoError(t, err)
	var hello agentproto.Hello
	require.NoError(t, wsjson.Read(ctx, ws, &hello))
	kind, intent := agentproto.KindJumpClient, agentproto.IntentRun
	require.NoError(t, wsjson.Write(ctx, ws, agentproto.Auth{Kind: kind, ID: id, Intent: intent, Version: "test",
		Facts:     agentproto.Facts{HostID: host, Hostname: host, Platform: api.PlatformLinuxAMD64, InstallMode: api.InstallService},
		Signature: ed25519.Sign(key, agentproto.AuthMessage(hello.Nonce, kind, id, intent))}))
	var reply agentproto.HandshakeReply
	require.NoError(t, wsjson.Read(ctx, ws, &reply))
	require.Nil(t, reply.Refused)
	cfg := yamux.DefaultConfig()
	cfg.LogOutput = discard{}
	mux, err := yamux.Client(websocket.NetConn(context.Background(), ws, websocket.MessageBinary), cfg)
	require.NoError(t, err)
	ctl, err := mux.Open()
	require.NoError(t, err)
	require.NoError(t, agentproto.WriteStreamHeader(ctl, agentproto.StreamHeader{Type: agentproto.StreamControl}))
	t.Cleanup(func() { _ = mux.Close() })
	return func() { _ = mux.Close() }
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// TestEvents runs real agents against a real appliance and reads the live
// status stream with a real HTTP client: an administrator sees every Jump
// Client come online and go offline, a non-admin only those of their
// groups; a revoked token and a disabled user close their streams; the
// streams of one user are capped.
func TestEvents(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		dsn  func(t *testing.T) []appliancetest.Option
	}{
		{"sqlite", func(*testing.T) []appliancetest.Option { return nil }},
		{"postgres", func(t *testing.T) []appliancetest.Option {
			return []appliancetest.Option{appliancetest.WithDatabase(pgtest.NewDatabase(t))}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			testEvents(t, appliancetest.NewServer(t, tt.dsn(t)...))
		})
	}
}

func testEvents(t *testing.T, s *appliancetest.Server) {
	ctx := context.Background()
	admin := s.Admin
	mine, err := admin.CreateJumpGroup(ctx, &api.JumpGroup{Name: "Mine", CodeName: "mine"})
	require.NoError(t, err)
	theirs, err := admin.CreateJumpGroup(ctx, &api.JumpGroup{Name: "Theirs", CodeName: "theirs"})
	require.NoError(t, err)
	u, _ := s.NewUser(t, false)
	tok, err := admin.CreateAPIToken(ctx, &api.APIToken{Name: "console", UserID: u.ID})
	require.NoError(t, err)
	_, err = admin.CreateGroupPolicy(ctx, &api.GroupPolicy{Name: "viewers", Members: []int64{u.ID},
		JumpGroups: []api.GroupPolicyJumpGroup{{JumpGroupID: mine.ID, Role: api.RoleView}}})
	require.NoError(t, err)
	enroll := func(g *api.JumpGroup, host string) (int64, ed25519.PrivateKey) {
		in, err := admin.CreateJumpClientInstaller(ctx, &api.JumpClientInstaller{JumpGroupID: g.ID})
		require.NoError(t, err)
		resp, key, err := s.Enroll(t, in.KeyInfo, agentproto.Facts{HostID: host, Hostname: host}, agentproto.Overrides{})
		require.NoError(t, err)
		return resp.ID, key
	}
	a, aKey := enroll(mine, "host-a")
	b, bKey := enroll(theirs, "host-b")

	adminStream, code := open(t, s, s.AdminToken, "")
	require.Equal(t, http.StatusOK, code)
	userStream, code := open(t, s, tok.Token, "?kinds=jump_client,session")
	require.Equal(t, http.StatusOK, code)

	t.Run("statuses as agents connect and leave", func(t *testing.T) {
		disconnectA := connect(t, s, a, aKey, "host-a")
		ev := adminStream.next(t, status(a, api.ClientOnline))
		assert.Equal(t, api.KindJumpClient, ev.data.Kind)
		require.NotNil(t, ev.data.LastSeenAt)
		userStream.next(t, status(a, api.ClientOnline))

		disconnectB := connect(t, s, b, bKey, "host-b")
		adminStream.next(t, status(b, api.ClientOnline))
		disconnectA()
		adminStream.next(t, status(a, api.ClientOffline))
		// The user's stream gets a's offline and nothing about b, which
		// came online before it.
		var seen []sse
		userStream.next(t, func(ev sse) bool { seen = append(seen, ev); return status(a, api.ClientOffline)(ev) })
		for _, ev := range seen {
			assert.NotEqual(t, b, ev.data.ID, "the user may not see client b: %+v", ev)
		}
		disconnectB()
		adminStream.next(t, status(b, api.ClientOffline))
	})

	t.Run("refusals", func(t *testing.T) {
		_, code := open(t, s, s.AdminToken, "?kinds=planets")
		assert.Equal(t, http.StatusUnprocessableEntity, code)
		_, code = open(t, s, "jgt_nope", "")
		assert.Equal(t, http.StatusUnauthorized, code)
	})

	t.Run("a revoked token closes its stream", func(t *testing.T) {
		start := time.Now()
		require.NoError(t, admin.DeleteAPIToken(ctx, tok.ID))
		ev := userStream.next(t, func(ev sse) bool { return ev.name == api.EventStreamClosed })
		assert.Contains(t, ev.data.Reason, "revoked")
		select {
		case <-userStream.done:
		case <-time.After(5 * time.Second):
			t.Fatal("the stream stays open")
		}
		assert.Less(t, time.Since(start), 3*time.Second)
	})

	t.Run("a disabled user's stream is closed", func(t *testing.T) {
		v, vc := s.NewUser(t, false)
		vt, err := admin.CreateAPIToken(ctx, &api.APIToken{Name: "console", UserID: v.ID})
		require.NoError(t, err)
		st, code := open(t, s, vt.Token, "")
		require.Equal(t, http.StatusOK, code)
		_ = vc
		v.Enabled = api.Bool(false)
		_, err = admin.UpdateUser(ctx, v.ID, v)
		require.NoError(t, err)
		ev := st.next(t, func(ev sse) bool { return ev.name == api.EventStreamClosed })
		assert.Contains(t, ev.data.Reason, "disabled")
	})

	t.Run("streams per user are capped", func(t *testing.T) {
		w, _ := s.NewUser(t, false)
		wt, err := admin.CreateAPIToken(ctx, &api.APIToken{Name: "console", UserID: w.ID})
		require.NoError(t, err)
		for i := 0; i < 8; i++ {
			_, code := open(t, s, wt.Token, "")
			require.Equal(t, http.StatusOK, code, "stream %d", i)
		}
		_, code := open(t, s, wt.Token, "")
		assert.Equal(t, http.StatusTooManyRequests, code)
	})
}
