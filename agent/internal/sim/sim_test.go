package sim_test

import (
	"bufio"
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/agent/internal/conn"
	"github.com/jumpgate/jumpgate/agent/internal/sim"
	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
)

// TestFleet_HoldsAndReconnects runs a handful of simulated agents against
// a real appliance, restarts the appliance, and checks that every agent is
// connected again and the counters tell what happened.
func TestFleet_HoldsAndReconnects(t *testing.T) {
	const agents = 6
	ctx := context.Background()
	addr := freeAddr(t)
	dir := filepath.Join(t.TempDir(), "data")
	s := appliancetest.NewServer(t, appliancetest.WithAddr(addr), appliancetest.WithDataDir(dir))
	keyInfo := installer(t, s)
	hc := s.HTTPClient(t)
	ids := make([]sim.Identity, agents)
	for i := range ids {
		var err error
		ids[i], err = sim.Enroll(ctx, hc, s.URL, keyInfo, fmt.Sprintf("sim-host-%d", i))
		require.NoError(t, err)
	}
	// The identity file round trip is what worker processes read.
	file := filepath.Join(t.TempDir(), "ids.jsonl")
	require.NoError(t, sim.WriteIdentities(file, ids))
	part, err := sim.ReadIdentities(file, 2, 5)
	require.NoError(t, err)
	assert.Equal(t, ids[2:5], part)
	_, err = sim.ReadIdentities(file, 2, agents+1)
	assert.Error(t, err, "a range past the end of the file")

	f := &sim.Fleet{URL: s.URL, CAPin: caPin(t, s.CAPEM), LocalAddr: "127.0.0.1", Agents: ids, Ramp: 2,
		Backoff: conn.Backoff{Min: 20 * time.Millisecond, Max: 200 * time.Millisecond}}
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { f.Run(runCtx) })
	defer func() {
		cancel()
		wg.Wait()
	}()

	eventually(t, "every agent connected", func() bool {
		return f.Stats().Connected == agents && s.App.Server.Hub.Connected(agentproto.KindJumpClient) == agents
	})
	st := f.Stats()
	assert.False(t, st.RampDone.IsZero(), "ramp done")
	assert.EqualValues(t, agents, st.Welcomes)
	assert.Empty(t, st.Errors)
	c, err := s.Admin.GetJumpClient(ctx, ids[0].ID)
	require.NoError(t, err)
	assert.Equal(t, "sim-host-0", c.Hostname, "the facts of the handshake reached the appliance")

	s.Stop()
	eventually(t, "every session lost", func() bool { return f.Stats().Lost == agents })
	s2 := appliancetest.NewServer(t, appliancetest.WithAddr(addr), appliancetest.WithDataDir(dir))
	eventually(t, "every agent connected again", func() bool {
		return f.Stats().Connected == agents && s2.App.Server.Hub.Connected(agentproto.KindJumpClient) == agents
	})
	st = f.Stats()
	assert.EqualValues(t, 2*agents, st.Welcomes)
	assert.Zero(t, st.Busy)
	var outages int64
	for _, n := range st.Outages {
		outages += n
	}
	assert.EqualValues(t, agents, outages, "one outage per agent, from the restart")
	_, ok := st.OutagePercentile(0.5)
	assert.True(t, ok)
	assert.Zero(t, st.ErrorCount(sim.ErrKindDown), "only refused connections while the appliance was down: %v", st.FirstErrors)

	cancel()
	wg.Wait()
	assert.Zero(t, f.Stats().Connected, "Run closes every session")
}

// TestRunWorker_TLS runs a worker process's code in-process in TLS mode
// against the baseline server with the appliance's certificate.
func TestRunWorker_TLS(t *testing.T) {
	s := appliancetest.NewServer(t)
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	var srvErr error
	var wg sync.WaitGroup
	commands := make(chan string, 1)
	wg.Go(func() {
		srvErr = sim.RunTLSServer(ctx, sim.TLSServerConfig{Listen: "127.0.0.1:0",
			CertFile: filepath.Join(s.DataDir, serverCertFile), KeyFile: filepath.Join(s.DataDir, serverKeyFile)}, commands, pw)
		pw.Close()
	})
	lines := bufio.NewScanner(pr)
	require.True(t, lines.Scan())
	var status sim.TLSServerStatus
	require.NoError(t, json.Unmarshal(lines.Bytes(), &status))
	require.Empty(t, status.Err)
	require.NotEmpty(t, status.Addr)
	commands <- "gc"
	for lines.Scan() {
		var st sim.TLSServerStatus
		require.NoError(t, json.Unmarshal(lines.Bytes(), &st))
		if st.GC {
			assert.NotZero(t, st.HeapAlloc)
			break
		}
	}
	go func() {
		for lines.Scan() {
		}
	}()

	wr, ww := io.Pipe()
	var workerErr error
	wg.Go(func() {
		workerErr = sim.RunWorker(ctx, sim.WorkerConfig{Mode: sim.ModeTLS, Addr: status.Addr, CAPin: caPin(t, s.CAPEM), Count: 5, Ramp: 2}, ww)
		ww.Close()
	})
	progress := bufio.NewScanner(wr)
	var last sim.Progress
	for progress.Scan() {
		require.NoError(t, json.Unmarshal(progress.Bytes(), &last))
		require.Empty(t, last.Err)
		if last.Connected == 5 {
			break
		}
	}
	assert.EqualValues(t, 5, last.Welcomes)
	assert.False(t, last.RampDone.IsZero())
	cancel()
	for progress.Scan() {
		require.NoError(t, json.Unmarshal(progress.Bytes(), &last))
	}
	wg.Wait()
	require.NoError(t, srvErr)
	require.NoError(t, workerErr)
	assert.Zero(t, last.Connected)
	assert.Zero(t, last.Lost, "closing at the end is not a loss")
	assert.Empty(t, last.Errors)
}

func TestErrorKind(t *testing.T) {
	busy := &conn.RefusedError{Refused: agentproto.Refused{Code: agentproto.RefusedBusy, RetryAfterSeconds: 2}}
	deleted := &conn.RefusedError{Refused: agentproto.Refused{Code: agentproto.RefusedDeleted}}
	_, refused := net.Dial("tcp", freeAddr(t))
	require.Error(t, refused)
	for _, tt := range []struct {
		name string
		err  error
		want string
	}{
		{"busy", fmt.Errorf("connect: %w", busy), "busy"},
		{"deleted", deleted, "refused: deleted"},
		{"nothing listens", fmt.Errorf("%w: %w", conn.ErrUnreachable, refused), sim.ErrKindDown},
		{"deadline", context.DeadlineExceeded, "timeout"},
		{"other", io.ErrUnexpectedEOF, "other"},
	} {
		t.Run(tt.name, func(t *testing.T) { assert.Equal(t, tt.want, sim.ErrorKind(tt.err)) })
	}
}

func TestStats_Add(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	a := sim.Stats{Agents: 2, Connected: 2, Welcomes: 3, Errors: map[string]int64{"x": 1}, RampDone: t0, LastWelcome: t0}
	b := sim.Stats{Agents: 3, Connected: 1, Welcomes: 1, Busy: 4, Errors: map[string]int64{"x": 2, sim.ErrKindDown: 5}, LastWelcome: t0.Add(time.Second)}
	var sum sim.Stats
	sum.Add(&a)
	assert.Equal(t, t0, sum.RampDone)
	sum.Add(&b)
	assert.Equal(t, 5, sum.Agents)
	assert.EqualValues(t, 3, sum.Connected)
	assert.EqualValues(t, 4, sum.Welcomes)
	assert.EqualValues(t, 4, sum.Busy)
	assert.True(t, sum.RampDone.IsZero(), "b has not ramped")
	assert.Equal(t, t0.Add(time.Second), sum.LastWelcome)
	assert.EqualValues(t, 8, sum.ErrorCount())
	assert.EqualValues(t, 3, sum.ErrorCount(sim.ErrKindDown))
	assert.Equal(t, []string{sim.ErrKindDown, "x"}, sim.SortedKinds(sum.Errors))
}

func TestStats_SubAndOutages(t *testing.T) {
	old := sim.Stats{Welcomes: 10, Busy: 1, Errors: map[string]int64{"x": 2}, Outages: []int64{1, 0, 0}}
	now := sim.Stats{Welcomes: 25, Busy: 4, Connected: 7, Errors: map[string]int64{"x": 2, "y": 3},
		Outages: []int64{1, 2, 0, 1, 0, 0, 0, 0, 0, 0, 1}, MaxFailures: 3}
	d := now.Sub(&old)
	assert.EqualValues(t, 15, d.Welcomes)
	assert.EqualValues(t, 3, d.Busy)
	assert.EqualValues(t, 7, d.Connected, "a gauge is taken as it is")
	assert.Equal(t, map[string]int64{"y": 3}, d.Errors)
	assert.Equal(t, []int64{0, 2, 0, 1, 0, 0, 0, 0, 0, 0, 1}, d.Outages)
	for _, tt := range []struct {
		p    float64
		want time.Duration
	}{{0.5, 2 * sim.OutageBucket}, {0.75, 4 * sim.OutageBucket}, {1, 11 * sim.OutageBucket}} {
		got, ok := d.OutagePercentile(tt.p)
		assert.True(t, ok)
		assert.Equal(t, tt.want, got, "percentile %v", tt.p)
	}
	_, ok := (&sim.Stats{}).OutagePercentile(0.5)
	assert.False(t, ok)
}

// The appliance's TLS certificate chain and key in its data directory.
const (
	serverCertFile = "server.pem"
	serverKeyFile  = "server-key.pem"
)

// installer creates a jump group and an installer and returns its key info.
func installer(t *testing.T, s *appliancetest.Server) string {
	t.Helper()
	ctx := context.Background()
	g, err := s.Admin.CreateJumpGroup(ctx, &api.JumpGroup{Name: "Simulated", CodeName: "simulated"})
	require.NoError(t, err)
	in, err := s.Admin.CreateJumpClientInstaller(ctx, &api.JumpClientInstaller{JumpGroupID: g.ID, Tag: "sim"})
	require.NoError(t, err)
	require.NotEmpty(t, in.KeyInfo)
	return in.KeyInfo
}

func caPin(t testing.TB, caPEM []byte) string {
	t.Helper()
	b, _ := pem.Decode(caPEM)
	require.NotNil(t, b, "CA PEM")
	return agentproto.Pin(b.Bytes)
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().String()
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond) // poll interval
	}
	t.Fatalf("%s: not within 20s", what)
}
