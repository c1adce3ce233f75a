package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
)

// liveEvents opens GET /api/v1/events with token and returns its events as
// "name id status" strings.
func liveEvents(t *testing.T, s *appliancetest.Server, token string) <-chan string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/api/v1/events", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := s.HTTPClient(t).Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	out := make(chan string, 100)
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		var name string
		for sc.Scan() {
			if n, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
				name = n
			} else if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var ev api.Event
				_ = json.Unmarshal([]byte(d), &ev)
				out <- name + " " + itoa(ev.ID) + " " + ev.Status
			}
		}
	}()
	return out
}

func waitEvent(t *testing.T, ch <-chan string, want string) []string {
	t.Helper()
	var seen []string
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev := <-ch:
			seen = append(seen, ev)
			if ev == want {
				return seen
			}
		case <-deadline:
			t.Fatalf("no event %q within 10s; saw %v", want, seen)
		}
	}
}

// TestEvents_Sessions starts and ends a real tunnel session through a
// connected jumpoint node: the stream of the representative and of an
// administrator carry session.started and session.ended, another user's
// does not; and the jump-items list shows the tunnel jump online.
func TestEvents_Sessions(t *testing.T) {
	t.Parallel()
	s := appliancetest.NewServer(t)
	ctx := context.Background()
	admin := s.Admin
	j, err := admin.CreateJumpoint(ctx, &api.Jumpoint{Name: "Site", CodeName: uniq("site"), ProtocolTunnelEnabled: true})
	require.NoError(t, err)
	ki, err := s.App.Server.JumpointKeyInfo(j.ID)
	require.NoError(t, err)
	node, key, err := s.Enroll(t, ki, nodeFacts("events"), agentproto.Overrides{})
	require.NoError(t, err)
	_, refused := dialNode(t, s, node.ID, key)
	require.Nil(t, refused)
	eventually(t, "the node is connected", func() bool { return len(s.App.Server.Hub.JumpointNodes(j.ID)) == 1 })
	g, err := admin.CreateJumpGroup(ctx, &api.JumpGroup{Name: "Events", CodeName: uniq("events")})
	require.NoError(t, err)
	item, err := admin.CreateProtocolTunnelJump(ctx, &api.ProtocolTunnelJump{Name: "db", JumpointID: j.ID, Hostname: "127.0.0.1",
		TunnelDefinitions: []api.TunnelDefinition{{RemotePort: 5432}}, JumpGroupID: g.ID})
	require.NoError(t, err)
	rep, err := admin.CreateUser(ctx, &api.User{Username: uniq("rep")})
	require.NoError(t, err)
	_, err = admin.CreateGroupPolicy(ctx, &api.GroupPolicy{Name: uniq("rep"), Members: []int64{rep.ID},
		JumpGroups: []api.GroupPolicyJumpGroup{{JumpGroupID: g.ID, Role: api.RoleStart}}})
	require.NoError(t, err)
	tok, err := admin.CreateAPIToken(ctx, &api.APIToken{Name: "rep", UserID: rep.ID})
	require.NoError(t, err)
	other, err := admin.CreateUser(ctx, &api.User{Username: uniq("other")})
	require.NoError(t, err)
	otherTok, err := admin.CreateAPIToken(ctx, &api.APIToken{Name: "other", UserID: other.ID})
	require.NoError(t, err)

	eventually(t, "the tunnel jump is online in jump-items", func() bool {
		l, err := s.Client(t, tok.Token).ListJumpItems(ctx, &api.ListOptions{Filters: map[string]string{"kind": api.KindProtocolTunnelJump}})
		return err == nil && len(l.Items) == 1 && l.Items[0].Status == api.TunnelOnline
	})

	adminEvents := liveEvents(t, s, s.AdminToken)
	repEvents := liveEvents(t, s, tok.Token)
	otherEvents := liveEvents(t, s, otherTok.Token)
	eventually(t, "three streams", func() bool { return s.App.Server.Events.Streams() == 3 })

	uc := s.Client(t, tok.Token)
	sess, err := uc.StartSession(ctx, &api.SessionRequest{ItemType: api.ItemProtocolTunnelJump, ItemID: item.ID})
	require.NoError(t, err)
	started := api.EventSessionStarted + " " + itoa(sess.ID) + " " + api.SessionActive
	waitEvent(t, repEvents, started)
	waitEvent(t, adminEvents, started)
	_, err = uc.EndSession(ctx, sess.ID, &api.SessionEnd{})
	require.NoError(t, err)
	ended := api.EventSessionEnded + " " + itoa(sess.ID) + " " + api.SessionEnded
	waitEvent(t, repEvents, ended)
	waitEvent(t, adminEvents, ended)
	select {
	case ev := <-otherEvents:
		t.Fatalf("another user saw %q", ev)
	case <-time.After(300 * time.Millisecond):
	}
	assert.Equal(t, 3, s.App.Server.Events.Streams())
}
