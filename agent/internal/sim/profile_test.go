package sim_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/agent/internal/sim"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
)

// envProfile names the directory TestBenchAgentsProfile writes to.
const envProfile = "JUMPGATE_BENCH_PROFILE"

// TestBenchAgentsProfile explains the memory figure of TestBenchAgents: it
// runs the appliance in this process (appliancetest; the binary has no
// pprof endpoint) with JUMPGATE_BENCH_AGENTS agents (default 2000) connected
// from worker processes, so that this process's profiles hold the server
// side only, and writes to $JUMPGATE_BENCH_PROFILE CPU profiles of the ramp
// (ramp-cpu.pprof) and of JUMPGATE_BENCH_IDLE with only keepalives
// (idle-cpu.pprof) and, after garbage collection, a heap profile
// (heap.pprof: go tool pprof -sample_index=inuse_space) and the goroutines
// (goroutines.txt). It prints the live heap and
// stacks per agent, which RSS hides under garbage not yet collected.
func TestBenchAgentsProfile(t *testing.T) {
	dir := os.Getenv(envProfile)
	if os.Getenv(envEnable) != "1" || dir == "" {
		t.Skipf("set %s=1 and %s=<dir> to profile the appliance's memory per agent", envEnable, envProfile)
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	n := 2000
	if v := os.Getenv(envAgents); v != "" {
		var err error
		n, err = strconv.Atoi(v)
		require.NoError(t, err)
	}
	require.NoError(t, sim.RaiseFileLimit())
	cfg := loadConfig(t)
	cfg.agents = n
	b := &bench{t: t, cfg: cfg, dir: dir, ids: filepath.Join(dir, "identities.jsonl")}
	b.res.workers = (n + cfg.perWorker - 1) / cfg.perWorker

	s := appliancetest.NewServer(t)
	keyInfo := installer(t, s)
	hc := s.HTTPClient(t)
	ids := make([]sim.Identity, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range cfg.concurrency {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				id, err := sim.Enroll(context.Background(), hc, s.URL, keyInfo, fmt.Sprintf("sim-%06d", i))
				if err != nil {
					t.Errorf("enroll: %v", err)
					return
				}
				ids[i] = id
			}
		})
	}
	wg.Wait()
	require.NoError(t, sim.WriteIdentities(b.ids, ids))
	hc.CloseIdleConnections()

	m0, g0 := liveMemory()
	pin := caPin(t, s.CAPEM)
	cf, err := os.Create(filepath.Join(dir, "ramp-cpu.pprof"))
	require.NoError(t, err)
	require.NoError(t, pprof.StartCPUProfile(cf))
	cpu0 := procCPU(os.Getpid())
	f := b.startFleet(3, func(i, from, to int) sim.WorkerConfig {
		return sim.WorkerConfig{Mode: sim.ModeAgents, URL: s.URL, CAPin: pin, IdentityFile: b.ids, From: from, To: to, Ramp: b.workerRamp()}
	})
	defer f.stop(t)
	f.waitRamp(t, "agents")
	deadline := time.Now().Add(phaseTimeout)
	for s.App.Server.Hub.Connected(agentproto.KindJumpClient) != n {
		require.True(t, time.Now().Before(deadline), "the hub counts every agent")
		time.Sleep(poll)
	}
	s.App.Server.Hub.Flush(context.Background())
	cpu := procCPU(os.Getpid()) - cpu0
	pprof.StopCPUProfile()
	require.NoError(t, cf.Close())
	time.Sleep(settle) // queued state is flushed
	m1, g1 := liveMemory()

	// Idle: the agents only send keepalives.
	idle := loadConfig(t).idle
	icf, err := os.Create(filepath.Join(dir, "idle-cpu.pprof"))
	require.NoError(t, err)
	require.NoError(t, pprof.StartCPUProfile(icf))
	idle0 := procCPU(os.Getpid())
	time.Sleep(idle) // the measurement window itself
	idleCPU := procCPU(os.Getpid()) - idle0
	pprof.StopCPUProfile()
	require.NoError(t, icf.Close())

	hf, err := os.Create(filepath.Join(dir, "heap.pprof"))
	require.NoError(t, err)
	require.NoError(t, pprof.Lookup("heap").WriteTo(hf, 0))
	require.NoError(t, hf.Close())
	gf, err := os.Create(filepath.Join(dir, "goroutines.txt"))
	require.NoError(t, err)
	require.NoError(t, pprof.Lookup("goroutine").WriteTo(gf, 1))
	require.NoError(t, gf.Close())

	per := func(a, b uint64) string { return kb(sub(a, b) / uint64(n)) }
	fmt.Printf("\nappliance in-process, %d agents, after GC: live heap %s per agent, stacks %s per agent, %.2f goroutines per agent\n",
		n, per(m1.HeapAlloc, m0.HeapAlloc), per(m1.StackInuse, m0.StackInuse), float64(g1-g0)/float64(n))
	fmt.Printf("ramp: %s of appliance CPU per login, including the flush of its state\n", perEvent(cpu, float64(n)))
	fmt.Printf("idle %s: %s of a CPU, %s per keepalive (idle-cpu.pprof)\n", idle, pct(idleCPU, idle), perEvent(idleCPU, float64(n)*idle.Seconds()/agentprotoKeepAlive.Seconds()))
	fmt.Printf("profiles: %s (go tool pprof -sample_index=inuse_space -top %s; go tool pprof -top %s)\n\n",
		dir, filepath.Join(dir, "heap.pprof"), filepath.Join(dir, "ramp-cpu.pprof"))
}

// liveMemory collects garbage and reads the runtime's figures. Several
// cycles, because each halves only the stacks that use less than a quarter
// of their size; the heap profile is then of live objects.
func liveMemory() (runtime.MemStats, int) {
	for range 4 {
		runtime.GC()
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m, runtime.NumGoroutine()
}
