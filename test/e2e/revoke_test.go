package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/agent/agenttest"
	"github.com/jumpgate/jumpgate/api"
)

// cutWithin is how soon a revocation must reach an open session: about a
// second, with room for a loaded test machine.
const cutWithin = 5 * time.Second

// revokeWorld is a Jumpoint world with an echo server behind a Protocol
// Tunnel Jump, where each subtest makes its own non-administrator users.
type revokeWorld struct {
	*jumpointWorld
	port int
	n    int
}

func newRevokeWorld(t *testing.T) *revokeWorld {
	echo := echoServer(t)
	_, p, _ := net.SplitHostPort(echo)
	port, _ := strconv.Atoi(p)
	return &revokeWorld{jumpointWorld: newJumpointWorld(t, 1, "127.0.0.1", []api.TunnelDefinition{{RemotePort: port}}), port: port}
}

// repUser is a non-administrator with a start role on the tunnel jump's
// group through a group policy of their own, and a CLI holding a token.
type repUser struct {
	user    *api.User
	policy  *api.GroupPolicy
	tokenID int64
	rep     *rep
}

func (w *revokeWorld) newRep(t *testing.T, jumpPolicyID *int64) *repUser {
	t.Helper()
	ctx := context.Background()
	w.n++
	u, err := w.s.Admin.CreateUser(ctx, &api.User{Username: fmt.Sprintf("rep%d", w.n)})
	require.NoError(t, err)
	gp, err := w.s.Admin.CreateGroupPolicy(ctx, &api.GroupPolicy{Name: fmt.Sprintf("rep%d", w.n), Members: []int64{u.ID},
		JumpGroups: []api.GroupPolicyJumpGroup{{JumpGroupID: w.item.JumpGroupID, Role: api.RoleStart, JumpPolicyID: jumpPolicyID}}})
	require.NoError(t, err)
	secret := tokenFor(t, w.s, u.ID)
	me, err := w.s.Client(t, secret).WhoAmI(ctx)
	require.NoError(t, err)
	return &repUser{user: u, policy: gp, tokenID: me.TokenID, rep: newRep(t, w.s, secret)}
}

// held is a `jumpgate tunnel` held open, with one connection through it.
type held struct {
	local string
	conn  net.Conn
	errb  *syncBuffer
}

func (w *revokeWorld) hold(t *testing.T, r *repUser) *held {
	t.Helper()
	addrs, errb := openTunnel(t, r.rep, fmt.Sprintf("tunnel:%d", w.item.ID))
	h := &held{local: addrs[w.port], errb: errb}
	require.NotEmpty(t, h.local)
	h.conn = echoes(t, h.local)
	require.NotNil(t, h.conn, "a connection through the tunnel echoes")
	t.Cleanup(func() { h.conn.Close() })
	return h
}

// echoes opens a connection to addr and checks a round trip; it returns
// nil when the connection is refused, closed or silent.
func echoes(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return nil
	}
	if !roundTrip(c) {
		c.Close()
		return nil
	}
	return c
}

func roundTrip(c net.Conn) bool {
	_ = c.SetDeadline(time.Now().Add(3 * time.Second))
	defer c.SetDeadline(time.Time{})
	if _, err := c.Write([]byte("ping\n")); err != nil {
		return false
	}
	buf := make([]byte, 5)
	_, err := io.ReadFull(c, buf)
	return err == nil && string(buf) == "ping\n"
}

// cut waits until h's open connection is cut and no new connection gets
// through its listener.
func (h *held) cut(t *testing.T) {
	t.Helper()
	eventually(t, cutWithin, "the open tunnel connection cut", func() (bool, string) {
		return !roundTrip(h.conn), "it still echoes"
	})
	eventually(t, cutWithin, "new tunnel connections refused", func() (bool, string) {
		c := echoes(t, h.local)
		if c != nil {
			c.Close()
			return false, "a new connection echoes"
		}
		return true, ""
	})
}

// works checks h still carries its open connection and new ones.
func (h *held) works(t *testing.T) {
	t.Helper()
	assert.True(t, roundTrip(h.conn), "the open connection still echoes")
	c := echoes(t, h.local)
	if assert.NotNil(t, c, "a new connection still echoes") {
		c.Close()
	}
}

// sessionOf is user u's newest session on the world's item.
func (w *revokeWorld) sessionOf(t *testing.T, u *api.User) api.Session {
	t.Helper()
	for _, s := range sessionsOf(t, w.s, api.ItemProtocolTunnelJump, w.item.ID) {
		if s.UserID == u.ID {
			return s
		}
	}
	t.Fatalf("no session of %s", u.Username)
	return api.Session{}
}

// eventWith waits for a session's audit event with action and reason.
func (w *revokeWorld) eventWith(t *testing.T, sessionID int64, action, reason string) api.AuditEvent {
	t.Helper()
	var found api.AuditEvent
	eventually(t, cutWithin, action+" "+reason, func() (bool, string) {
		acts, evs := auditOf(t, w.s, sessionID)
		for _, e := range evs {
			if e.Action == action && e.Details["reason"] == reason {
				found = e
				return true, ""
			}
		}
		return false, fmt.Sprint(acts)
	})
	return found
}

// ended waits for the session to end with reason.
func (w *revokeWorld) ended(t *testing.T, sessionID int64, reason string) {
	t.Helper()
	eventually(t, cutWithin, "session ended "+reason, func() (bool, string) {
		s, err := w.s.Admin.GetSession(context.Background(), sessionID)
		if err != nil {
			return false, err.Error()
		}
		return s.Status == api.SessionEnded && s.EndReason == reason, s.Status + " " + s.EndReason
	})
}

// TestRevoke_LiveSessions holds `jumpgate tunnel` open as a non-administrator
// and takes their access away in each way there is: the open connection
// and the listener stop working within about a second, and the audit says
// why.
func TestRevoke_LiveSessions(t *testing.T) {
	w := newRevokeWorld(t)
	ctx := context.Background()
	admin := w.s.Admin

	cases := []struct {
		name   string
		revoke func(t *testing.T, r *repUser)
		reason string
		// channel: the cut is of the channel (the token), not the
		// participant.
		channel bool
	}{
		{name: "token deleted", reason: api.EndTokenRevoked, channel: true, revoke: func(t *testing.T, r *repUser) {
			require.NoError(t, admin.DeleteAPIToken(ctx, r.tokenID))
		}},
		{name: "token deleted by its owner", reason: api.EndTokenRevoked, channel: true, revoke: func(t *testing.T, r *repUser) {
			// The owner's other token deletes the one the tunnel holds.
			other := w.s.Client(t, tokenFor(t, w.s, r.user.ID))
			require.NoError(t, other.DeleteAPIToken(ctx, r.tokenID))
		}},
		{name: "token expiry moved to now", reason: api.EndTokenExpired, channel: true, revoke: func(t *testing.T, r *repUser) {
			_, err := admin.Do(ctx, http.MethodPatch, fmt.Sprintf("%s/%d", api.PathAPITokens, r.tokenID), nil,
				map[string]any{"expires_at": time.Now().UTC().Format(time.RFC3339)}, nil)
			require.NoError(t, err)
		}},
		{name: "user disabled", reason: api.EndUserDisabled, revoke: func(t *testing.T, r *repUser) {
			_, err := admin.PatchUser(ctx, r.user.ID, map[string]any{"enabled": false})
			require.NoError(t, err)
		}},
		{name: "user deleted", reason: api.EndUserDeleted, revoke: func(t *testing.T, r *repUser) {
			require.NoError(t, admin.DeleteUser(ctx, r.user.ID))
		}},
		{name: "membership removed", reason: api.EndAccessRemoved, revoke: func(t *testing.T, r *repUser) {
			_, err := admin.PatchGroupPolicy(ctx, r.policy.ID, map[string]any{"members": []int64{}})
			require.NoError(t, err)
		}},
		{name: "group policy deleted", reason: api.EndAccessRemoved, revoke: func(t *testing.T, r *repUser) {
			_, err := admin.Do(ctx, http.MethodDelete, fmt.Sprintf("%s/%d", api.PathGroupPolicies, r.policy.ID), nil, nil, nil)
			require.NoError(t, err)
		}},
		{name: "membership removed on the jump group's side", reason: api.EndAccessRemoved, revoke: func(t *testing.T, r *repUser) {
			g, err := admin.GetJumpGroup(ctx, w.item.JumpGroupID)
			require.NoError(t, err)
			kept := []api.JumpGroupMembership{}
			for _, m := range g.Memberships {
				if m.GroupPolicyID != r.policy.ID {
					kept = append(kept, m)
				}
			}
			require.Len(t, kept, len(g.Memberships)-1)
			_, err = admin.PatchJumpGroup(ctx, g.ID, map[string]any{"memberships": kept})
			require.NoError(t, err)
		}},
		{name: "role lowered to view", reason: api.EndAccessRemoved, revoke: func(t *testing.T, r *repUser) {
			_, err := admin.PatchGroupPolicy(ctx, r.policy.ID, map[string]any{"jump_groups": []api.GroupPolicyJumpGroup{
				{JumpGroupID: w.item.JumpGroupID, Role: api.RoleView}}})
			require.NoError(t, err)
		}},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			r := w.newRep(t, nil)
			h := w.hold(t, r)
			sess := w.sessionOf(t, r.user)
			tt.revoke(t, r)
			h.cut(t)
			if tt.channel {
				e := w.eventWith(t, sess.ID, "session.channel_closed", tt.reason)
				assert.EqualValues(t, r.tokenID, e.Details["token_id"])
			} else {
				e := w.eventWith(t, sess.ID, "session.participant_removed", tt.reason)
				assert.Equal(t, r.user.Username, e.Details["user"])
			}
			// jumpgate tunnel's session is auto_end: its only participant
			// is gone, so it ends, with the reason.
			w.ended(t, sess.ID, tt.reason)
			w.eventWith(t, sess.ID, "session.ended", tt.reason)
			eventually(t, cutWithin, "the CLI says why", func() (bool, string) {
				return strings.Contains(h.errb.String(), "ended"), h.errb.String()
			})
			t.Logf("jumpgate tunnel: %s", h.errb.String())
		})
	}

	t.Run("administrator flag removed", func(t *testing.T) {
		// An administrator without a membership gets edit on every item;
		// demoted, they have no role on it.
		w.n++
		u, err := admin.CreateUser(ctx, &api.User{Username: fmt.Sprintf("rep%d", w.n), Admin: true})
		require.NoError(t, err)
		secret := tokenFor(t, w.s, u.ID)
		h := w.hold(t, &repUser{user: u, rep: newRep(t, w.s, secret)})
		sess := w.sessionOf(t, u)
		_, err = admin.PatchUser(ctx, u.ID, map[string]any{"admin": false})
		require.NoError(t, err)
		h.cut(t)
		w.eventWith(t, sess.ID, "session.participant_removed", api.EndAccessRemoved)
		w.ended(t, sess.ID, api.EndAccessRemoved)
	})

	t.Run("token expiry passing", func(t *testing.T) {
		r := w.newRep(t, nil)
		// A token of its own that expires in a few seconds.
		exp := time.Now().Add(8 * time.Second).UTC()
		tok, err := admin.CreateAPIToken(ctx, &api.APIToken{Name: "short", UserID: r.user.ID, ExpiresAt: &exp})
		require.NoError(t, err)
		r.rep = newRep(t, w.s, tok.Token)
		h := w.hold(t, r)
		sess := w.sessionOf(t, r.user)
		eventually(t, 15*time.Second, "the token expired", func() (bool, string) {
			return time.Now().After(exp), ""
		})
		h.cut(t)
		e := w.eventWith(t, sess.ID, "session.channel_closed", api.EndTokenExpired)
		assert.EqualValues(t, tok.ID, e.Details["token_id"])
		w.ended(t, sess.ID, api.EndTokenExpired)
	})

	t.Run("the token of one channel only", func(t *testing.T) {
		// The same user holds two tunnels with two tokens: revoking one
		// token cuts only its channel and session.
		r := w.newRep(t, nil)
		h1 := w.hold(t, r)
		s1 := w.sessionOf(t, r.user)
		other := newRep(t, w.s, tokenFor(t, w.s, r.user.ID))
		h2 := w.hold(t, &repUser{user: r.user, rep: other})
		require.NoError(t, admin.DeleteAPIToken(ctx, r.tokenID))
		h1.cut(t)
		w.ended(t, s1.ID, api.EndTokenRevoked)
		h2.works(t)
	})

	t.Run("jump policy expiry passing", func(t *testing.T) {
		exp := time.Now().Add(8 * time.Second).UTC()
		jp, err := admin.CreateJumpPolicy(ctx, &api.JumpPolicy{DisplayName: "Short", CodeName: "short-" + strconv.Itoa(w.n), ExpiresAt: &exp})
		require.NoError(t, err)
		r := w.newRep(t, &jp.ID)
		h := w.hold(t, r)
		sess := w.sessionOf(t, r.user)
		eventually(t, 15*time.Second, "the jump policy expired", func() (bool, string) {
			return time.Now().After(exp), ""
		})
		h.cut(t)
		w.eventWith(t, sess.ID, "session.participant_removed", api.EndPolicyExpired)
		w.ended(t, sess.ID, api.EndPolicyExpired)
	})

	t.Run("jump policy edited", func(t *testing.T) {
		jp, err := admin.CreateJumpPolicy(ctx, &api.JumpPolicy{DisplayName: "Edited", CodeName: "edited-" + strconv.Itoa(w.n)})
		require.NoError(t, err)
		r := w.newRep(t, &jp.ID)
		h := w.hold(t, r)
		sess := w.sessionOf(t, r.user)
		// A strict schedule whose only window is not now.
		day := strings.ToLower(time.Now().UTC().Add(48 * time.Hour).Weekday().String())
		_, err = admin.PatchJumpPolicy(ctx, jp.ID, map[string]any{"schedule_enabled": true, "schedule_strict": true, "timezone": "UTC",
			"schedule": []map[string]any{{"day": day, "start_time": "00:00", "end_time": "23:59"}}})
		require.NoError(t, err)
		h.cut(t)
		w.eventWith(t, sess.ID, "session.participant_removed", api.EndPolicyChanged)
		w.ended(t, sess.ID, api.EndPolicyChanged)
	})

	t.Run("joined session: only the removed participant is cut", func(t *testing.T) {
		jp, err := admin.CreateJumpPolicy(ctx, &api.JumpPolicy{DisplayName: "Join", CodeName: "join-" + strconv.Itoa(w.n), SimultaneousJumps: api.SimultaneousJoin})
		require.NoError(t, err)
		first, second := w.newRep(t, &jp.ID), w.newRep(t, &jp.ID)
		h1 := w.hold(t, first)
		sess := w.sessionOf(t, first.user)
		h2 := w.hold(t, second)
		got, err := admin.GetSession(ctx, sess.ID)
		require.NoError(t, err)
		require.Len(t, got.Participants, 2, "the second representative joined the first's session")

		// The first (the requester) loses the membership: they are cut,
		// the second goes on.
		_, err = admin.PatchGroupPolicy(ctx, first.policy.ID, map[string]any{"members": []int64{}})
		require.NoError(t, err)
		h1.cut(t)
		e := w.eventWith(t, sess.ID, "session.participant_removed", api.EndAccessRemoved)
		assert.Equal(t, first.user.Username, e.Details["user"])
		h2.works(t)
		got, err = admin.GetSession(ctx, sess.ID)
		require.NoError(t, err)
		assert.Equal(t, api.SessionActive, got.Status)
		for _, p := range got.Participants {
			if p.UserID == first.user.ID {
				assert.NotNil(t, p.LeftAt, "the removed participant is marked left")
			}
		}
		// The cut participant cannot connect again.
		_, err = w.s.Client(t, tokenFor(t, w.s, first.user.ID)).Do(ctx, http.MethodGet,
			fmt.Sprintf("%s/%d/connect", api.PathSessions, sess.ID), nil, nil, nil)
		assert.Error(t, err)

		// The last participant disabled: the session ends.
		_, err = admin.PatchUser(ctx, second.user.ID, map[string]any{"enabled": false})
		require.NoError(t, err)
		h2.cut(t)
		w.ended(t, sess.ID, api.EndUserDisabled)
	})

	// Last, as it takes the item away from every other subtest's users.
	t.Run("item moved to a group the user has no role in", func(t *testing.T) {
		r := w.newRep(t, nil)
		h := w.hold(t, r)
		sess := w.sessionOf(t, r.user)
		g, err := admin.CreateJumpGroup(ctx, &api.JumpGroup{Name: "Elsewhere", CodeName: "elsewhere"})
		require.NoError(t, err)
		_, err = admin.PatchProtocolTunnelJump(ctx, w.item.ID, map[string]any{"jump_group_id": g.ID})
		require.NoError(t, err)
		h.cut(t)
		w.eventWith(t, sess.ID, "session.participant_removed", api.EndAccessRemoved)
		w.ended(t, sess.ID, api.EndAccessRemoved)
	})
}

// TestRevoke_CommandOnJumpClient runs a long command on a Jump Client as a
// non-administrator and deletes their token: the command's stream is cut,
// the CLI exits saying why, and the session ends with the reason.
func TestRevoke_CommandOnJumpClient(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	admin := w.s.Admin
	u, err := admin.CreateUser(ctx, &api.User{Username: "runner"})
	require.NoError(t, err)
	_, err = admin.CreateGroupPolicy(ctx, &api.GroupPolicy{Name: "runner", Members: []int64{u.ID},
		JumpGroups: []api.GroupPolicyJumpGroup{{JumpGroupID: w.group, Role: api.RoleStart}}})
	require.NoError(t, err)
	secret := tokenFor(t, w.s, u.ID)
	me, err := w.s.Client(t, secret).WhoAmI(ctx)
	require.NoError(t, err)

	cmd, out, errb := newRep(t, w.s, secret).start("run", w.clientRef(), "--", "sh", "-c", "echo started; sleep 120")
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	eventually(t, 30*time.Second, "the command runs", func() (bool, string) {
		return strings.Contains(out.String(), "started"), out.String() + errb.String()
	})
	ss := sessionsOf(t, w.s, api.ItemJumpClient, w.client.ID)
	require.NotEmpty(t, ss)
	sess := ss[0]
	require.Equal(t, u.ID, sess.UserID)

	require.NoError(t, admin.DeleteAPIToken(ctx, me.TokenID))
	select {
	case <-exited:
	case <-time.After(cutWithin):
		t.Fatalf("jumpgate run still runs after its token was deleted; stderr: %s", errb.String())
	}
	assert.Contains(t, errb.String(), "token")
	assert.NotEqual(t, 0, cmd.ProcessState.ExitCode())
	eventually(t, cutWithin, "the session ended", func() (bool, string) {
		s, err := admin.GetSession(ctx, sess.ID)
		if err != nil {
			return false, err.Error()
		}
		return s.Status == api.SessionEnded && s.EndReason == api.EndTokenRevoked, s.Status + " " + s.EndReason
	})
}

// TestRevoke_AccessCodeSession: a non-administrator's access-code session
// relies on their account; disabling them ends it, and the customer's
// client is told.
func TestRevoke_AccessCodeSession(t *testing.T) {
	s := newAppliance(t, agenttest.AgentDir(t, "e2e-1"))
	ctx := context.Background()
	u, err := s.Admin.CreateUser(ctx, &api.User{Username: "helpdesk"})
	require.NoError(t, err)
	r := newRep(t, s, tokenFor(t, s, u.ID))
	out, errOut, code := r.jg("", "codes", "create", "-o", "json")
	require.Equal(t, 0, code, "%s %s", out, errOut)
	var ac api.AccessCode
	require.NoError(t, json.Unmarshal([]byte(out), &ac), out)

	e := newEndpoint(t)
	join := exec.Command(agenttest.Build(t, "e2e-1"), "join", ac.Code, "--name", "Bob", "--url", s.URL, "--ca-cert", s.CAFile)
	join.Env, join.Dir = e.env, e.home
	joinOut := &syncBuffer{}
	join.Stdout, join.Stderr = joinOut, joinOut
	_, err = join.StdinPipe()
	require.NoError(t, err)
	require.NoError(t, join.Start())
	exited := make(chan struct{})
	go func() { _ = join.Wait(); close(exited) }()
	t.Cleanup(func() { _ = join.Process.Kill(); <-exited })
	var sid int64
	eventually(t, 20*time.Second, "the code is used", func() (bool, string) {
		got, err := s.Admin.GetAccessCode(ctx, ac.ID)
		require.NoError(t, err)
		if got.SessionID != nil {
			sid = *got.SessionID
		}
		return sid != 0, got.Status + " " + joinOut.String()
	})
	out, errOut, code = r.jg("", "run", "--session", strconv.FormatInt(sid, 10), "--", "echo", "hi-bob")
	require.Equal(t, 0, code, "%s %s", out, errOut)

	_, err = s.Admin.PatchUser(ctx, u.ID, map[string]any{"enabled": false})
	require.NoError(t, err)
	eventually(t, cutWithin, "the session ended", func() (bool, string) {
		got, err := s.Admin.GetSession(ctx, sid)
		if err != nil {
			return false, err.Error()
		}
		return got.Status == api.SessionEnded && got.EndReason == api.EndUserDisabled, got.Status + " " + got.EndReason
	})
	select {
	case <-exited:
	case <-time.After(20 * time.Second):
		t.Fatalf("the customer client still runs: %s", joinOut.String())
	}
}
