package agenthub_test

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"io"
	"net"
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

// agent is a minimal protocol peer written from agentproto, independent of
// the agent's own code, so that the appliance side is tested on its own.
type agent struct {
	t    *testing.T
	ws   *websocket.Conn
	mux  *yamux.Session
	ctl  net.Conn
	r    *bufio.Reader
	w    *agentproto.Welcome
	gone chan struct{}
}

func dial(t *testing.T, s *appliancetest.Server, kind string, id int64, key ed25519.PrivateKey, intent string, facts agentproto.Facts) (*agent, *agentproto.Refused) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, resp, err := websocket.Dial(ctx, strings.Replace(s.URL, "https", "wss", 1)+agentproto.PathConnect, &websocket.DialOptions{
		HTTPClient: s.HTTPClient(t), Subprotocols: []string{agentproto.Subprotocol},
	})
	if resp != nil && resp.StatusCode == http.StatusServiceUnavailable {
		return nil, &agentproto.Refused{Code: agentproto.RefusedBusy}
	}
	require.NoError(t, err)
	var hello agentproto.Hello
	require.NoError(t, wsjson.Read(ctx, ws, &hello))
	a := agentproto.Auth{Kind: kind, ID: id, Intent: intent, Version: "test", Facts: facts,
		Signature: ed25519.Sign(key, agentproto.AuthMessage(hello.Nonce, kind, id, intent))}
	require.NoError(t, wsjson.Write(ctx, ws, a))
	var reply agentproto.HandshakeReply
	require.NoError(t, wsjson.Read(ctx, ws, &reply))
	if reply.Refused != nil {
		_ = ws.CloseNow()
		return nil, reply.Refused
	}
	require.NotNil(t, reply.Welcome)
	ag := &agent{t: t, ws: ws, w: reply.Welcome, gone: make(chan struct{})}
	if intent == agentproto.IntentUninstall {
		return ag, nil
	}
	cfg := yamux.DefaultConfig()
	cfg.LogOutput = nopWriter{}
	ag.mux, err = yamux.Client(websocket.NetConn(context.Background(), ws, websocket.MessageBinary), cfg)
	require.NoError(t, err)
	ag.ctl, err = ag.mux.Open()
	require.NoError(t, err)
	require.NoError(t, agentproto.WriteStreamHeader(ag.ctl, agentproto.StreamHeader{Type: agentproto.StreamControl}))
	ag.r = bufio.NewReader(ag.ctl)
	go func() {
		<-ag.mux.CloseChan()
		close(ag.gone)
	}()
	t.Cleanup(func() { _ = ag.mux.Close() })
	return ag, nil
}

type nopWriter struct{}

func (nopWriter) Write(p []byte) (int, error) { return len(p), nil }

func (a *agent) send(m agentproto.Control) {
	b, _ := json.Marshal(m)
	_, err := a.ctl.Write(append(b, '\n'))
	require.NoError(a.t, err)
}

func (a *agent) recv() agentproto.Control {
	a.t.Helper()
	_ = a.ctl.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, err := a.r.ReadBytes('\n')
	require.NoError(a.t, err)
	var m agentproto.Control
	require.NoError(a.t, json.Unmarshal(line, &m))
	return m
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s: not within 10s", what)
}

func setup(t *testing.T, dsn string) (*appliancetest.Server, *api.JumpGroup, *api.JumpClientInstaller) {
	t.Helper()
	var opts []appliancetest.Option
	if dsn != "" {
		opts = append(opts, appliancetest.WithDatabase(dsn))
	}
	s := appliancetest.NewServer(t, opts...)
	ctx := context.Background()
	g, err := s.Admin.CreateJumpGroup(ctx, &api.JumpGroup{Name: "Servers", CodeName: "servers"})
	require.NoError(t, err)
	in, err := s.Admin.CreateJumpClientInstaller(ctx, &api.JumpClientInstaller{JumpGroupID: g.ID, Tag: "default-tag",
		AllowOverrideName: true, AllowOverrideJumpGroup: true, AllowOverrideAttendedSessionPolicy: true})
	require.NoError(t, err)
	return s, g, in
}

func facts(host string) agentproto.Facts {
	return agentproto.Facts{HostID: host, Hostname: host, Platform: api.PlatformLinuxAMD64, InstallMode: api.InstallService,
		PrivateIP: "10.0.0.5", MACAddress: "02:00:00:00:00:01", DefaultGateway: "10.0.0.1"}
}

func TestHub(t *testing.T) {
	for _, db := range []struct {
		name string
		dsn  func(t testing.TB) string
	}{
		{"SQLite", func(testing.TB) string { return "" }},
		{"Postgres", pgtest.NewDatabase},
	} {
		t.Run(db.name, func(t *testing.T) { testHub(t, db.dsn(t)) })
	}
}

func testHub(t *testing.T, dsn string) {
	ctx := context.Background()
	s, g, in := setup(t, dsn)
	hub := s.App.Server.Hub

	t.Run("enrollment refusals", func(t *testing.T) {
		other, _, oin := setup(t, "")
		_ = other
		_, _, err := s.Enroll(t, oin.KeyInfo, facts("x"), agentproto.Overrides{})
		assert.ErrorIs(t, err, api.ErrForbidden, "key info of another appliance")
		_, _, err = s.Enroll(t, "jgk1.garbage", facts("x"), agentproto.Overrides{})
		assert.ErrorIs(t, err, api.ErrValidation)
		tag := "db"
		_, _, err = s.Enroll(t, in.KeyInfo, facts("x"), agentproto.Overrides{Tag: &tag})
		var p *api.Problem
		require.ErrorAs(t, err, &p)
		assert.Equal(t, 422, p.Status)
		assert.Contains(t, p.Errors[0].Detail, "allow_override_tag is false")
		bad := "jumpgroup:nope"
		_, _, err = s.Enroll(t, in.KeyInfo, facts("x"), agentproto.Overrides{JumpGroup: &bad})
		require.ErrorAs(t, err, &p)
		assert.Contains(t, p.Errors[0].Detail, `no jump group has code name "nope"`)

		// The installer's flags are read when enrolling, not only from the
		// signed key info: revoking an override takes effect at once.
		_, err = s.Admin.PatchJumpClientInstaller(ctx, in.ID, map[string]any{"allow_override_name": false})
		require.NoError(t, err)
		name := "renamed"
		_, _, err = s.Enroll(t, in.KeyInfo, facts("x"), agentproto.Overrides{Name: &name})
		assert.ErrorIs(t, err, api.ErrValidation)
		_, err = s.Admin.PatchJumpClientInstaller(ctx, in.ID, map[string]any{"allow_override_name": true})
		require.NoError(t, err)

		// A deleted installer enrolls nothing more.
		del, err := s.Admin.CreateJumpClientInstaller(ctx, &api.JumpClientInstaller{JumpGroupID: g.ID})
		require.NoError(t, err)
		require.NoError(t, s.Admin.DeleteJumpClientInstaller(ctx, del.ID))
		_, _, err = s.Enroll(t, del.KeyInfo, facts("x"), agentproto.Overrides{})
		assert.ErrorIs(t, err, api.ErrForbidden)
	})

	name := "web-01"
	e, key, err := s.Enroll(t, in.KeyInfo, facts("host-a"), agentproto.Overrides{Name: &name})
	require.NoError(t, err)
	assert.Equal(t, "web-01", e.Name)

	t.Run("connect, report, list", func(t *testing.T) {
		a, refused := dial(t, s, agentproto.KindJumpClient, e.ID, key, agentproto.IntentRun, facts("host-a"))
		require.Nil(t, refused)
		assert.Equal(t, "web-01", a.w.Config.Name)
		cpu := 12.5
		a.send(agentproto.Control{Type: agentproto.MsgReport, Report: &agentproto.Report{
			Stats: agentproto.Stats{ReportedAt: time.Now().UTC(), CPUPercent: &cpu}, Presence: agentproto.Presence{UserLoggedIn: true}, ConsoleUser: "alice"}})
		eventually(t, "client online with statistics", func() bool {
			hub.Flush(ctx)
			c, err := s.Admin.GetJumpClient(ctx, e.ID)
			return err == nil && c.Status == api.ClientOnline && c.Statistics != nil && c.ConsoleUser == "alice"
		})
		l, err := s.Admin.ListJumpClients(ctx, &api.ListOptions{Filters: map[string]string{"status": "online"}})
		require.NoError(t, err)
		require.Len(t, l.Items, 1)
		assert.Equal(t, "default-tag", l.Items[0].Tag)
		assert.Equal(t, "10.0.0.1", l.Items[0].DefaultGateway)
		assert.True(t, l.Items[0].Presence.Present)

		// An edit is pushed to the connected agent.
		_, err = s.Admin.PatchJumpClient(ctx, e.ID, map[string]any{"name": "web-01b"})
		require.NoError(t, err)
		m := a.recv()
		require.Equal(t, agentproto.MsgConfig, m.Type)
		assert.Equal(t, "web-01b", m.Config.Name)

		// A second connection of the same identity replaces the first.
		b, refused := dial(t, s, agentproto.KindJumpClient, e.ID, key, agentproto.IntentRun, facts("host-a"))
		require.Nil(t, refused)
		select {
		case <-a.gone:
		case <-time.After(10 * time.Second):
			t.Fatal("the older connection was not cut")
		}
		_ = b.mux.Close()
		eventually(t, "client offline", func() bool {
			hub.Flush(ctx)
			c, err := s.Admin.GetJumpClient(ctx, e.ID)
			return err == nil && c.Status == api.ClientOffline && c.LastDisconnectAt != nil
		})
	})

	t.Run("a wrong key is refused", func(t *testing.T) {
		_, other, _ := ed25519.GenerateKey(nil)
		_, refused := dial(t, s, agentproto.KindJumpClient, e.ID, other, agentproto.IntentRun, facts("host-a"))
		require.NotNil(t, refused)
		assert.Equal(t, agentproto.RefusedUnauthorized, refused.Code)
		_, refused = dial(t, s, agentproto.KindJumpClient, 999999, other, agentproto.IntentRun, facts("host-a"))
		require.NotNil(t, refused)
		assert.Equal(t, agentproto.RefusedUnauthorized, refused.Code)
	})

	t.Run("reinstall re-binds only a disconnected client, with the old key's proof, within the installer's group", func(t *testing.T) {
		count := func() int {
			n, err := s.Admin.ListJumpClients(ctx, nil)
			require.NoError(t, err)
			return len(n.Items)
		}
		old, refused := dial(t, s, agentproto.KindJumpClient, e.ID, key, agentproto.IntentRun, facts("host-a"))
		require.Nil(t, refused)
		eventually(t, "registered", func() bool { return hub.IsConnected(agentproto.KindJumpClient, e.ID) })

		// A host id is no secret: key info plus a copied host id is refused,
		// and so is a genuine proof while the client is connected.
		_, _, err := s.Enroll(t, in.KeyInfo, facts("host-a"), agentproto.Overrides{})
		require.ErrorIs(t, err, api.ErrConflict)
		assert.Contains(t, err.Error(), "connected now")
		_, _, err = s.EnrollReplacing(t, in.KeyInfo, facts("host-a"), agentproto.Overrides{}, key, agentproto.KindJumpClient, e.ID)
		require.ErrorIs(t, err, api.ErrConflict)
		select {
		case <-old.gone:
			t.Fatal("a refused enrollment cut the live client")
		case <-time.After(200 * time.Millisecond):
		}
		assert.True(t, hub.IsConnected(agentproto.KindJumpClient, e.ID))

		// Disconnected: still no re-bind without the proof, nor with a
		// proof by another key or for another client.
		_ = old.mux.Close()
		eventually(t, "disconnected", func() bool { return !hub.IsConnected(agentproto.KindJumpClient, e.ID) })
		_, _, err = s.Enroll(t, in.KeyInfo, facts("host-a"), agentproto.Overrides{})
		require.ErrorIs(t, err, api.ErrConflict)
		assert.Contains(t, err.Error(), "no proof")
		_, stranger, _ := ed25519.GenerateKey(nil)
		_, _, err = s.EnrollReplacing(t, in.KeyInfo, facts("host-a"), agentproto.Overrides{}, stranger, agentproto.KindJumpClient, e.ID)
		require.ErrorIs(t, err, api.ErrConflict)
		_, _, err = s.EnrollReplacing(t, in.KeyInfo, facts("host-a"), agentproto.Overrides{}, key, agentproto.KindJumpClient, e.ID+1000)
		require.ErrorIs(t, err, api.ErrConflict)
		_, _, err = s.EnrollReplacing(t, in.KeyInfo, facts("host-a"), agentproto.Overrides{}, key, agentproto.KindJumpoint, e.ID)
		require.ErrorIs(t, err, api.ErrConflict)
		assert.Equal(t, 1, count(), "no duplicate")
		back, refused := dial(t, s, agentproto.KindJumpClient, e.ID, key, agentproto.IntentRun, facts("host-a"))
		require.Nil(t, refused, "the refusals left the client's key alone")
		_ = back.mux.Close()

		// An installer of another group that may override the group cannot
		// reach this client, even with the old key's proof.
		g2, err := s.Admin.CreateJumpGroup(ctx, &api.JumpGroup{Name: "Other", CodeName: "other"})
		require.NoError(t, err)
		oin, err := s.Admin.CreateJumpClientInstaller(ctx, &api.JumpClientInstaller{JumpGroupID: g2.ID, AllowOverrideJumpGroup: true})
		require.NoError(t, err)
		jgServers := "jumpgroup:servers"
		eventually(t, "disconnected", func() bool { return !hub.IsConnected(agentproto.KindJumpClient, e.ID) })
		_, _, err = s.EnrollReplacing(t, oin.KeyInfo, facts("host-a"), agentproto.Overrides{JumpGroup: &jgServers}, key, agentproto.KindJumpClient, e.ID)
		require.ErrorIs(t, err, api.ErrConflict)
		assert.Contains(t, err.Error(), "another jump group than installer")

		// The genuine reinstall: the old key signs the hand-over.
		again, key2, err := s.EnrollReplacing(t, in.KeyInfo, facts("host-a"), agentproto.Overrides{}, key, agentproto.KindJumpClient, e.ID)
		require.NoError(t, err)
		assert.Equal(t, e.ID, again.ID)
		assert.True(t, again.Rebound)
		_, refused = dial(t, s, agentproto.KindJumpClient, e.ID, key, agentproto.IntentRun, facts("host-a"))
		require.NotNil(t, refused)
		assert.Equal(t, agentproto.RefusedDeleted, refused.Code, "the replaced install is told to uninstall")
		key = key2

		// A proven reinstall keeps its client when the host id changed (a
		// regenerated machine id), and back.
		for _, host := range []string{"host-a-new-id", "host-a"} {
			again, key2, err = s.EnrollReplacing(t, in.KeyInfo, facts(host), agentproto.Overrides{}, key, agentproto.KindJumpClient, e.ID)
			require.NoError(t, err)
			assert.Equal(t, e.ID, again.ID)
			assert.True(t, again.Rebound)
			key = key2
		}
		assert.Equal(t, 1, count(), "no duplicate")
		evs, err := api.ListAll(ctx, s.Admin.ListAuditEvents, &api.ListOptions{Filters: map[string]string{"action": "rebind"}})
		require.NoError(t, err)
		require.Len(t, evs, 3, "each re-bind audited")
		assert.Equal(t, "old_key_proof", evs[0].Diff["rebound_by"].New)

		// Moving the client to another group by reinstalling is refused.
		jg := "jumpgroup:" + g2.CodeName
		_, _, err = s.EnrollReplacing(t, in.KeyInfo, facts("host-a"), agentproto.Overrides{JumpGroup: &jg}, key, agentproto.KindJumpClient, e.ID)
		assert.ErrorIs(t, err, api.ErrConflict)
		assert.Equal(t, 1, count(), "no duplicate")
	})

	t.Run("local uninstall: restricted, then kept as uninstalled", func(t *testing.T) {
		_, err := s.Admin.PatchJumpClientSettings(ctx, map[string]any{"restrict_local_uninstall": true})
		require.NoError(t, err)
		_, refused := dial(t, s, agentproto.KindJumpClient, e.ID, key, agentproto.IntentUninstall, facts("host-a"))
		require.NotNil(t, refused)
		assert.Equal(t, agentproto.RefusedUninstallRestricted, refused.Code)
		_, err = s.Admin.PatchJumpClientSettings(ctx, map[string]any{"restrict_local_uninstall": false})
		require.NoError(t, err)
		_, refused = dial(t, s, agentproto.KindJumpClient, e.ID, key, agentproto.IntentUninstall, facts("host-a"))
		require.Nil(t, refused)
		c, err := s.Admin.GetJumpClient(ctx, e.ID)
		require.NoError(t, err)
		assert.Equal(t, api.ClientUninstalled, c.Status)
		_, refused = dial(t, s, agentproto.KindJumpClient, e.ID, key, agentproto.IntentRun, facts("host-a"))
		require.NotNil(t, refused)
		assert.Equal(t, agentproto.RefusedDeleted, refused.Code)

		// Its agent said, with its key, that it is gone: installing again
		// on the host needs no proof and keeps the client.
		again, _, err := s.Enroll(t, in.KeyInfo, facts("host-a"), agentproto.Overrides{})
		require.NoError(t, err)
		assert.Equal(t, e.ID, again.ID)
		assert.True(t, again.Rebound)
	})

	t.Run("delete cuts the connection and tells the agent to uninstall", func(t *testing.T) {
		e2, key2, err := s.Enroll(t, in.KeyInfo, facts("host-b"), agentproto.Overrides{})
		require.NoError(t, err)
		a, refused := dial(t, s, agentproto.KindJumpClient, e2.ID, key2, agentproto.IntentRun, facts("host-b"))
		require.Nil(t, refused)
		eventually(t, "registered", func() bool { return hub.IsConnected(agentproto.KindJumpClient, e2.ID) })
		require.NoError(t, s.Admin.DeleteJumpClient(ctx, e2.ID))
		m := a.recv()
		for m.Type == agentproto.MsgConfig { // settings pushed by the subtest before
			m = a.recv()
		}
		assert.Equal(t, agentproto.MsgUninstall, m.Type)
		select {
		case <-a.gone:
		case <-time.After(10 * time.Second):
			t.Fatal("connection not cut")
		}
		_, refused = dial(t, s, agentproto.KindJumpClient, e2.ID, key2, agentproto.IntentRun, facts("host-b"))
		require.NotNil(t, refused)
		assert.Equal(t, agentproto.RefusedDeleted, refused.Code)
	})

	t.Run("lifecycle: max offline, lost, deleted", func(t *testing.T) {
		mins := 5
		eph, _, err := s.Enroll(t, in.KeyInfo, facts("host-c"), agentproto.Overrides{})
		require.NoError(t, err)
		_, err = s.Admin.PatchJumpClient(ctx, eph.ID, map[string]any{"max_offline_minutes": mins})
		require.NoError(t, err)
		lost, _, err := s.Enroll(t, in.KeyInfo, facts("host-d"), agentproto.Overrides{})
		require.NoError(t, err)
		gone, _, err := s.Enroll(t, in.KeyInfo, facts("host-e"), agentproto.Overrides{})
		require.NoError(t, err)
		st, err := s.Admin.GetJumpClientSettings(ctx)
		require.NoError(t, err)
		now := time.Now()
		require.NoError(t, hub.Sweep(ctx, now))
		for _, id := range []int64{eph.ID, lost.ID, gone.ID} {
			c, err := s.Admin.GetJumpClient(ctx, id)
			require.NoError(t, err)
			assert.Equal(t, api.ClientOffline, c.Status, "nothing happens to fresh clients")
		}
		require.NoError(t, hub.Sweep(ctx, now.Add(6*time.Minute)))
		c, err := s.Admin.GetJumpClient(ctx, eph.ID)
		require.NoError(t, err)
		assert.Equal(t, api.ClientUninstalled, c.Status, "max_offline_minutes applies the uninstalled behaviour")
		require.NoError(t, hub.Sweep(ctx, now.AddDate(0, 0, st.LostAfterDays+1)))
		c, err = s.Admin.GetJumpClient(ctx, lost.ID)
		require.NoError(t, err)
		assert.Equal(t, api.ClientLost, c.Status)
		require.NoError(t, hub.Sweep(ctx, now.AddDate(0, 0, st.DeletedAfterDays+1)))
		_, err = s.Admin.GetJumpClient(ctx, gone.ID)
		assert.ErrorIs(t, err, api.ErrNotFound)
	})

	t.Run("jumpoint nodes: one unless clustered, at most ten", func(t *testing.T) {
		jp, err := s.Admin.CreateJumpoint(ctx, &api.Jumpoint{Name: "Site", CodeName: "site"})
		require.NoError(t, err)
		ki := jumpointKeyInfo(t, s, jp.ID)
		n1, nkey, err := s.Enroll(t, ki, facts("jp-1"), agentproto.Overrides{})
		require.NoError(t, err)
		assert.Equal(t, agentproto.KindJumpoint, n1.Kind)
		_, _, err = s.Enroll(t, ki, facts("jp-2"), agentproto.Overrides{})
		assert.ErrorIs(t, err, api.ErrConflict, "not clustered: one node")
		name := "x"
		_, _, err = s.Enroll(t, ki, facts("jp-1"), agentproto.Overrides{Name: &name})
		assert.Error(t, err, "jumpoints take no overrides")

		a, refused := dial(t, s, agentproto.KindJumpoint, n1.ID, nkey, agentproto.IntentRun, facts("jp-1"))
		require.Nil(t, refused)
		eventually(t, "jumpoint connected", func() bool {
			hub.Flush(ctx)
			j, err := s.Admin.GetJumpoint(ctx, jp.ID)
			return err == nil && j.Connected && len(j.ConnectedNodes) == 1
		})
		_ = a.mux.Close()

		_, err = s.Admin.PatchJumpoint(ctx, jp.ID, map[string]any{"clustered": true})
		require.NoError(t, err)
		for i := 2; i <= api.MaxJumpointNodes; i++ {
			_, _, err = s.Enroll(t, ki, facts("jp-"+string(rune('0'+i))), agentproto.Overrides{})
			require.NoError(t, err, "node %d", i)
		}
		_, _, err = s.Enroll(t, ki, facts("jp-11"), agentproto.Overrides{})
		assert.ErrorIs(t, err, api.ErrConflict, "at most ten nodes")
	})
}

func jumpointKeyInfo(t *testing.T, s *appliancetest.Server, id int64) string {
	t.Helper()
	p, err := s.App.Server.JumpointKeyInfo(id)
	require.NoError(t, err)
	return p
}

// TestHub_SessionOutlivesConnectHandler checks that the connect request
// ends at the handshake while the session goes on in a goroutine of the
// hub (an idle agent keeps no request state), and that Close waits for
// that goroutine, so the agent is unregistered when Close returns.
func TestHub_SessionOutlivesConnectHandler(t *testing.T) {
	ctx := context.Background()
	s, _, in := setup(t, "")
	hub := s.App.Server.Hub
	e, key, err := s.Enroll(t, in.KeyInfo, facts("host-a"), agentproto.Overrides{})
	require.NoError(t, err)
	a, refused := dial(t, s, agentproto.KindJumpClient, e.ID, key, agentproto.IntentRun, facts("host-a"))
	require.Nil(t, refused)
	eventually(t, "agent registered", func() bool { return hub.IsConnected(agentproto.KindJumpClient, e.ID) })

	req, _ := http.NewRequest(http.MethodGet, s.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+s.MetricsToken)
	resp, err := s.HTTPClient(t).Do(req)
	require.NoError(t, err)
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	assert.True(t, strings.Contains(string(b), `jumpgate_http_requests_total{method="GET",route="/agent/v1/connect",status="101"} 1`),
		"the connect request has ended (and was counted) while the session lives")

	// The session still works: a report reaches the appliance.
	cpu := 3.5
	a.send(agentproto.Control{Type: agentproto.MsgReport, Report: &agentproto.Report{Stats: agentproto.Stats{ReportedAt: time.Now().UTC(), CPUPercent: &cpu}}})
	eventually(t, "report stored", func() bool {
		hub.Flush(ctx)
		c, err := s.Admin.GetJumpClient(ctx, e.ID)
		return err == nil && c.Statistics != nil && c.Statistics.CPUPercent != nil && *c.Statistics.CPUPercent == cpu
	})

	s.Stop()
	assert.False(t, hub.IsConnected(agentproto.KindJumpClient, e.ID), "Close returns after the session ended")
	select {
	case <-a.gone:
	case <-time.After(10 * time.Second):
		t.Fatal("the agent's session did not end when the hub closed")
	}
}
