package agenthub_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/agent/agenttest"
	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
)

// clientFrom returns an HTTP client of s whose connections come from the
// loopback address src (127.0.0.x), to play a peer at another address.
func clientFrom(t *testing.T, s *appliancetest.Server, src string) *http.Client {
	t.Helper()
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(s.CAPEM))
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext, TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		DisableKeepAlives: true}}
}

// openWS opens a WebSocket to /agent/v1/connect from src and reads Hello;
// it returns nil with the HTTP status when the appliance refuses it.
func openWS(ctx context.Context, t *testing.T, s *appliancetest.Server, src string) (*websocket.Conn, int) {
	ws, resp, err := websocket.Dial(ctx, strings.Replace(s.URL, "https", "wss", 1)+agentproto.PathConnect, &websocket.DialOptions{
		HTTPClient: clientFrom(t, s, src), Subprotocols: []string{agentproto.Subprotocol}})
	if err != nil {
		if resp != nil {
			return nil, resp.StatusCode
		}
		return nil, 0
	}
	var hello agentproto.Hello
	if err := wsjson.Read(ctx, ws, &hello); err != nil {
		_ = ws.CloseNow()
		return nil, 0
	}
	return ws, http.StatusSwitchingProtocols
}

// TestConnect_FloodCannotStarveAgents performs issue 13's attack: 600
// WebSockets to /agent/v1/connect from two addresses that never
// authenticate, more than the whole handshake budget of 512. A Jump Client
// and the real jumpgate-agent (joining with an access code) at a third
// address must still connect at once, while the flooding addresses are
// refused beyond their share. (Before the fair share, agents were refused
// as busy until the flood's handshakes timed out.)
func TestConnect_FloodCannotStarveAgents(t *testing.T) {
	const budget = 512 // the default
	agentBin := agenttest.Build(t, "flood-test")
	// The flood's handshakes would outlive the test: only the fair share
	// can let the agents in.
	s := appliancetest.NewServer(t, appliancetest.WithHandshakeBudget(budget, time.Minute))
	_, _, in := setupOn(t, s)
	e, key, err := s.Enroll(t, in.KeyInfo, facts("host-a"), agentproto.Overrides{})
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	var held []*websocket.Conn
	busy := 0
	var wg sync.WaitGroup
	for _, src := range []string{"127.0.0.2", "127.0.0.3"} {
		for range 300 {
			wg.Go(func() {
				ws, status := openWS(ctx, t, s, src)
				mu.Lock()
				defer mu.Unlock()
				if ws != nil {
					held = append(held, ws)
				} else if status == http.StatusServiceUnavailable {
					busy++
				}
			})
		}
	}
	wg.Wait()
	t.Cleanup(func() {
		for _, ws := range held {
			_ = ws.CloseNow()
		}
	})
	require.GreaterOrEqual(t, len(held), budget, "the flood holds the whole budget")
	require.Positive(t, busy, "the flood was refused beyond the budget")
	ws, status := openWS(ctx, t, s, "127.0.0.2")
	if ws != nil {
		_ = ws.CloseNow()
	}
	assert.Equal(t, http.StatusServiceUnavailable, status, "a flooding address over its share is refused")

	start := time.Now()
	var a *agent
	for a == nil {
		var refused *agentproto.Refused
		a, refused = dial(t, s, agentproto.KindJumpClient, e.ID, key, agentproto.IntentRun, facts("host-a"))
		if refused != nil {
			require.Equal(t, agentproto.RefusedBusy, refused.Code)
			require.Less(t, time.Since(start), 5*time.Second, "the agent at another address was kept out by the flood")
			time.Sleep(200 * time.Millisecond) // an agent's back-off
		}
	}
	assert.Less(t, time.Since(start), 5*time.Second)
	eventually(t, "agent registered", func() bool { return s.App.Server.Hub.IsConnected(agentproto.KindJumpClient, e.ID) })

	// The real agent binary, as a customer client.
	ac, err := s.Admin.CreateAccessCode(ctx, &api.AccessCode{Comment: "flood"})
	require.NoError(t, err)
	join := exec.Command(agentBin, "join", ac.Code, "--name", "Carol", "--url", s.URL, "--ca-cert", s.CAFile)
	join.Env = append(os.Environ(), "HOME="+t.TempDir())
	var out strings.Builder
	join.Stdout, join.Stderr = &out, &out
	stdin, err := join.StdinPipe()
	require.NoError(t, err)
	defer stdin.Close()
	start = time.Now()
	require.NoError(t, join.Start())
	t.Cleanup(func() { _ = join.Process.Kill(); _ = join.Wait() })
	for {
		got, err := s.Admin.GetAccessCode(ctx, ac.ID)
		require.NoError(t, err)
		if got.Status == api.CodeUsed {
			break
		}
		require.Less(t, time.Since(start), 10*time.Second, "the real agent did not join through the flood: %s", &out)
		time.Sleep(50 * time.Millisecond)
	}
}

// TestConnect_OneAddressMayUseTheWholeBudget: agents behind one NAT (or
// the benchmark's thousands on one loopback address) are not capped per
// address while the budget has room.
func TestConnect_OneAddressMayUseTheWholeBudget(t *testing.T) {
	const budget = 16
	s := appliancetest.NewServer(t, appliancetest.WithHandshakeBudget(budget, time.Minute))
	ctx := context.Background()
	var held []*websocket.Conn
	for range budget {
		ws, status := openWS(ctx, t, s, "127.0.0.4")
		require.Equal(t, http.StatusSwitchingProtocols, status)
		held = append(held, ws)
	}
	_, status := openWS(ctx, t, s, "127.0.0.4")
	assert.Equal(t, http.StatusServiceUnavailable, status, "the budget still bounds one address")
	for _, ws := range held {
		_ = ws.CloseNow()
	}
}

// TestConnect_UnauthenticatedPeerIsCutSoon: a peer that opens the
// WebSocket and never sends Auth is closed after the hub's AuthTimeout,
// not after the 15 s of the whole handshake.
func TestConnect_UnauthenticatedPeerIsCutSoon(t *testing.T) {
	s := appliancetest.NewServer(t, appliancetest.WithHandshakeBudget(0, time.Second))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, status := openWS(ctx, t, s, "127.0.0.1")
	require.Equal(t, http.StatusSwitchingProtocols, status)
	defer ws.CloseNow()
	start := time.Now()
	_, _, err := ws.Read(ctx)
	require.Error(t, err, "the appliance closes the connection")
	assert.Less(t, time.Since(start), 4*time.Second, "closed after the auth timeout")
}

// join sends a customer client's join from src with code and returns the
// refusal (nil when welcomed).
func join(t *testing.T, s *appliancetest.Server, src, code string) *agentproto.Refused {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, status := openWS(ctx, t, s, src)
	require.Equal(t, http.StatusSwitchingProtocols, status)
	defer ws.CloseNow()
	require.NoError(t, wsjson.Write(ctx, ws, agentproto.Auth{Kind: agentproto.KindCustomer, Intent: agentproto.IntentJoin, Code: code, Name: "Mallory", Version: "test"}))
	var reply agentproto.HandshakeReply
	require.NoError(t, wsjson.Read(ctx, ws, &reply))
	return reply.Refused
}

// TestJoin_DistributedGuessingHitsGlobalBound: a guesser spread over 11
// addresses stays under the per-address limit (10 a minute) but reaches
// the appliance-wide bound (100 a minute); then every join is refused, even
// with a right code from a fresh address, and the audit holds one
// aggregated row per address (with its count), not one per guess.
func TestJoin_DistributedGuessingHitsGlobalBound(t *testing.T) {
	s := appliancetest.NewServer(t)
	ctx := context.Background()
	ac, err := s.Admin.CreateAccessCode(ctx, &api.AccessCode{Comment: "for Carol"})
	require.NoError(t, err)

	var global int
	for i := 2; i <= 12; i++ {
		src := fmt.Sprintf("127.0.0.%d", i)
		for j := range 10 {
			r := join(t, s, src, fmt.Sprintf("%012d", i*1000+j))
			require.NotNil(t, r, "a wrong code is refused")
			assert.Equal(t, agentproto.RefusedCode, r.Code)
			if strings.Contains(r.Message, "on this appliance") {
				global++
			}
		}
	}
	assert.Equal(t, 10, global, "the last 10 of 110 guesses hit the global bound")
	r := join(t, s, "127.0.0.50", ac.Code)
	require.NotNil(t, r, "while the bound holds, even a right code is refused")
	assert.Contains(t, r.Message, "on this appliance")

	l, err := s.Admin.ListAuditEvents(ctx, &api.ListOptions{Filters: map[string]string{"action": "access_code.refused"}, Limit: 500})
	require.NoError(t, err)
	assert.LessOrEqual(t, len(l.Items), 12, "one row per address and reason, and one for the global bound")
	counted, sawGlobal := 0, false
	perAddr := map[string]int{}
	for _, ev := range l.Items {
		n, _ := ev.Details["count"].(float64)
		if ev.Details["limit"] == "global" {
			sawGlobal = true
			continue
		}
		assert.Equal(t, "unknown access code", ev.Details["reason"])
		assert.Equal(t, ev.RemoteAddr, ev.Details["remote"], "the row carries the address")
		perAddr[ev.RemoteAddr] += int(n)
		counted += int(n)
	}
	assert.True(t, sawGlobal, "reaching the global bound is audited")
	assert.Equal(t, 100, counted, "every checked guess is counted")
	assert.Equal(t, 10, perAddr["127.0.0.2"])
}

// setupOn makes a jump group and an installer on s.
func setupOn(t *testing.T, s *appliancetest.Server) (*appliancetest.Server, *api.JumpGroup, *api.JumpClientInstaller) {
	t.Helper()
	ctx := context.Background()
	g, err := s.Admin.CreateJumpGroup(ctx, &api.JumpGroup{Name: "Servers", CodeName: "servers"})
	require.NoError(t, err)
	in, err := s.Admin.CreateJumpClientInstaller(ctx, &api.JumpClientInstaller{JumpGroupID: g.ID})
	require.NoError(t, err)
	return s, g, in
}
