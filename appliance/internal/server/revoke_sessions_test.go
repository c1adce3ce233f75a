package server_test

import (
	"bufio"
	"context"

	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/hashicorp/yamux"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/api/sessionproto"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
)

// TestSessions_RevocationCutsChannels opens a session channel as a
// non-administrator, on each database, and takes their access away: the
// channel gets an ended event with the reason and closes within about a
// second, and the audit says why.
func TestSessions_RevocationCutsChannels(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, s *appliancetest.Server) {
		ctx := context.Background()
		admin := s.Admin
		j, err := admin.CreateJumpoint(ctx, &api.Jumpoint{Name: "Site", CodeName: uniq("site"), ProtocolTunnelEnabled: true})
		require.NoError(t, err)
		ki, err := s.App.Server.JumpointKeyInfo(j.ID)
		require.NoError(t, err)
		node, key, err := s.Enroll(t, ki, nodeFacts("revoke"), agentproto.Overrides{})
		require.NoError(t, err)
		_, refused := dialNode(t, s, node.ID, key)
		require.Nil(t, refused)
		eventually(t, "the node is connected", func() bool { return len(s.App.Server.Hub.JumpointNodes(j.ID)) == 1 })
		g, err := admin.CreateJumpGroup(ctx, &api.JumpGroup{Name: "Revoke", CodeName: uniq("revoke")})
		require.NoError(t, err)
		item, err := admin.CreateProtocolTunnelJump(ctx, &api.ProtocolTunnelJump{Name: "db", JumpointID: j.ID, Hostname: "127.0.0.1",
			TunnelDefinitions: []api.TunnelDefinition{{RemotePort: 5432}}, JumpGroupID: g.ID})
		require.NoError(t, err)

		for _, tt := range []struct {
			name   string
			revoke func(t *testing.T, u *api.User, tokenID, policyID int64)
			reason string
			action string
		}{
			{"token deleted", func(t *testing.T, _ *api.User, tokenID, _ int64) {
				require.NoError(t, admin.DeleteAPIToken(ctx, tokenID))
			}, api.EndTokenRevoked, "session.channel_closed"},
			{"user disabled", func(t *testing.T, u *api.User, _, _ int64) {
				_, err := admin.PatchUser(ctx, u.ID, map[string]any{"enabled": false})
				require.NoError(t, err)
			}, api.EndUserDisabled, "session.participant_removed"},
			{"membership removed", func(t *testing.T, _ *api.User, _, policyID int64) {
				_, err := admin.PatchGroupPolicy(ctx, policyID, map[string]any{"members": []int64{}})
				require.NoError(t, err)
			}, api.EndAccessRemoved, "session.participant_removed"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				u, err := admin.CreateUser(ctx, &api.User{Username: uniq("rep")})
				require.NoError(t, err)
				gp, err := admin.CreateGroupPolicy(ctx, &api.GroupPolicy{Name: uniq("rep"), Members: []int64{u.ID},
					JumpGroups: []api.GroupPolicyJumpGroup{{JumpGroupID: g.ID, Role: api.RoleStart}}})
				require.NoError(t, err)
				tok, err := admin.CreateAPIToken(ctx, &api.APIToken{Name: "rep", UserID: u.ID})
				require.NoError(t, err)
				uc := s.Client(t, tok.Token)
				sess, err := uc.StartSession(ctx, &api.SessionRequest{ItemType: api.ItemProtocolTunnelJump, ItemID: item.ID, AutoEnd: true})
				require.NoError(t, err)
				events := dialSession(t, s, tok.Token, sess.ID)
				first := <-events
				require.Equal(t, sessionproto.EventState, first.Type)

				tt.revoke(t, u, tok.ID, gp.ID)
				deadline := time.After(5 * time.Second)
				var ended *sessionproto.Event
				for ended == nil {
					select {
					case ev, ok := <-events:
						require.True(t, ok, "the channel closed without an ended event")
						if ev.Type == sessionproto.EventEnded {
							ended = &ev
						}
					case <-deadline:
						t.Fatal("the channel was not cut within 5s")
					}
				}
				assert.Equal(t, tt.reason, ended.EndReason)
				select {
				case _, ok := <-events:
					assert.False(t, ok, "the channel closes after the ended event")
				case <-time.After(5 * time.Second):
					t.Fatal("the channel stayed open")
				}
				eventually(t, "the session ended with the reason", func() bool {
					got, err := admin.GetSession(ctx, sess.ID)
					return err == nil && got.Status == api.SessionEnded && got.EndReason == tt.reason
				})
				l, err := admin.ListAuditEvents(ctx, &api.ListOptions{Filters: map[string]string{
					"object_type": "session", "object_id": itoa(sess.ID), "action": tt.action}})
				require.NoError(t, err)
				require.Len(t, l.Items, 1)
				assert.Equal(t, tt.reason, l.Items[0].Details["reason"])
				assert.Equal(t, u.Username, l.Items[0].Details["user"])
			})
		}
	})
}

// dialSession opens session id's channel with token and returns its
// events; the channel closes with the test, and the events end when it
// closes.
func dialSession(t *testing.T, s *appliancetest.Server, token string, id int64) <-chan sessionproto.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, resp, err := websocket.Dial(ctx, strings.Replace(s.URL, "https", "wss", 1)+sessionproto.ConnectPath(id), &websocket.DialOptions{
		HTTPClient: s.HTTPClient(t), Subprotocols: []string{sessionproto.Subprotocol},
		HTTPHeader: http.Header{"Authorization": {"Bearer " + token}},
	})
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	require.NoError(t, err)
	cfg := yamux.DefaultConfig()
	cfg.LogOutput = io.Discard
	mux, err := yamux.Client(websocket.NetConn(context.Background(), ws, websocket.MessageBinary), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = mux.Close() })
	ctl, err := mux.Open()
	require.NoError(t, err)
	require.NoError(t, sessionproto.WriteLine(ctl, sessionproto.Open{Type: sessionproto.StreamControl}))
	events := make(chan sessionproto.Event, 16)
	go func() {
		defer close(events)
		r := bufio.NewReader(ctl)
		for {
			var ev sessionproto.Event
			if err := sessionproto.ReadLine(r, &ev); err != nil {
				return
			}
			events <- ev
		}
	}()
	return events
}
