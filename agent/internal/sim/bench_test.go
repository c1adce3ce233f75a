package sim_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/agent/internal/sim"
	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/internal/pgtest"
)

// Environment variables of the benchmark.
const (
	envEnable      = "JUMPGATE_BENCH"                   // "1" runs TestBenchAgents
	envAgents      = "JUMPGATE_BENCH_AGENTS"            // fleet size; default 19000
	envPGAgents    = "JUMPGATE_BENCH_PG_AGENTS"         // enrollments measured on PostgreSQL; default 2000
	envDatabases   = "JUMPGATE_BENCH_DATABASES"         // comma-separated subset of sqlite,postgres (postgres: enrollment only)
	envIdle        = "JUMPGATE_BENCH_IDLE"              // idle window, a Go duration; default 30s (one keepalive period)
	envPerWorker   = "JUMPGATE_BENCH_AGENTS_PER_WORKER" // most agents one worker process runs; default 2500
	envRamp        = "JUMPGATE_BENCH_RAMP"              // first connections (and baseline handshakes) in flight, all workers; default 128
	envConcurrency = "JUMPGATE_BENCH_CONCURRENCY"       // concurrent enrollments; default 32
	envDir         = "JUMPGATE_BENCH_DIR"               // keep the run's files (identities, logs) in this directory
)

// Aims of issue 3.
const (
	aimAgents       = 19000
	aimBytesPer     = 50 << 10
	aimLoginsPerSec = 1000
	aimEnrollPerSec = 100
)

const (
	fdLimitHint  = 20000            // the machine's hard limit, for the report when it cannot be read
	settle       = 5 * time.Second  // after a ramp, before memory is read: queued state is flushed, handshake garbage is collected
	phaseTimeout = 10 * time.Minute // for a ramp or a storm to complete
	poll         = 50 * time.Millisecond
	clockTick    = 100 // USER_HZ of /proc/<pid>/stat on Linux
)

type config struct {
	agents, pgAgents, perWorker, ramp, concurrency int
	sqlite, postgres                               bool
	idle                                           time.Duration
	dir                                            string
}

func loadConfig(t *testing.T) config {
	t.Helper()
	c := config{agents: 19000, pgAgents: 2000, perWorker: 2500, ramp: 128, concurrency: 32, sqlite: true, postgres: true, idle: 30 * time.Second}
	ints := []struct {
		env string
		dst *int
		min int
	}{{envAgents, &c.agents, 1}, {envPGAgents, &c.pgAgents, 0}, {envPerWorker, &c.perWorker, 1}, {envRamp, &c.ramp, 1}, {envConcurrency, &c.concurrency, 1}}
	for _, v := range ints {
		if s := os.Getenv(v.env); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < v.min {
				t.Fatalf("%s=%q: want an integer ≥ %d", v.env, s, v.min)
			}
			*v.dst = n
		}
	}
	if s := os.Getenv(envIdle); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			t.Fatalf("%s=%q: want a positive Go duration such as 30s", envIdle, s)
		}
		c.idle = d
	}
	if s := os.Getenv(envDatabases); s != "" {
		c.sqlite, c.postgres = false, false
		for _, d := range strings.Split(s, ",") {
			switch strings.TrimSpace(d) {
			case "sqlite":
				c.sqlite = true
			case "postgres":
				c.postgres = true
			case "":
			default:
				t.Fatalf("%s: unknown database %q; want sqlite or postgres", envDatabases, d)
			}
		}
	}
	c.dir = os.Getenv(envDir)
	return c
}

// TestBenchAgents is the scale benchmark of issue 3: how many agents one
// appliance holds, what an idle agent costs it, how fast the fleet logs in
// again after a restart, and how fast agents enroll. It runs the real
// appliance binary in its own process and the simulated agents
// (agent/internal/sim, on the real agent connection code) in worker
// processes, each from its own loopback source address, so that no process
// holds more than its share of the 20,000 descriptors a process may have.
//
// Every figure is given with a baseline measured in the same run on the
// same machine: a minimal Go TLS server (sim.ServeTLS, with the appliance's
// certificate and TLS settings) holding the same number of plain idle TLS
// connections, made by the same workers with the agent's TLS client
// settings. Memory per agent is compared with memory per plain connection,
// and logins/s with plain TLS handshakes/s.
//
// Phases: enroll N agents (SQLite) → TLS baseline → start the appliance
// again, ramp N agents up → idle → SIGTERM and restart the appliance, the
// fleet reconnects (a storm, admitted by the hub's limiter) → enroll on
// PostgreSQL. It runs only with JUMPGATE_BENCH=1 (make bench); see
// loadConfig for the other variables.
//
// It prints the figures, each with its baseline and its aim, and what bounds
// each.
func TestBenchAgents(t *testing.T) {
	if os.Getenv(envEnable) != "1" {
		t.Skipf("set %s=1 to run the agent scale benchmark (make bench)", envEnable)
	}
	if runtime.GOOS != "linux" {
		t.Skip("the agent scale benchmark reads /proc: Linux only")
	}
	cfg := loadConfig(t)
	b := newBench(t, cfg)
	r := &b.res
	if cfg.sqlite {
		b.enrollSQLite()
		b.tlsBaseline()
		b.agentsRampIdle()
		b.restartStorm()
		b.stopFleet()
	}
	if cfg.postgres && cfg.pgAgents > 0 {
		b.enrollPostgres()
	}
	report(os.Stdout, cfg, r)

	// An aim not met is a result, printed above; these make the run invalid.
	if cfg.sqlite {
		if r.ramp.connected < int64(cfg.agents) {
			t.Errorf("only %d of %d agents connected", r.ramp.connected, cfg.agents)
		}
		if r.idle.lost > 0 {
			t.Errorf("%d sessions were lost while idle", r.idle.lost)
		}
	}
}

// bench holds the state of one run.
type bench struct {
	t     *testing.T
	cfg   config
	dir   string // the run's files
	bin   string // the appliance binary
	addr  string // where the appliance listens, the same across restarts
	data  string // its data directory (SQLite)
	ids   string // the identity file
	fleet *fleet
	app   *appliance
	res   results
}

func newBench(t *testing.T, cfg config) *bench {
	if err := sim.RaiseFileLimit(); err != nil {
		t.Fatalf("%v", err)
	}
	dir := cfg.dir
	if dir == "" {
		dir = t.TempDir()
	} else {
		require.NoError(t, os.MkdirAll(dir, 0o755))
	}
	b := &bench{t: t, cfg: cfg, dir: dir, bin: filepath.Join(dir, "jumpgate-appliance"), data: filepath.Join(dir, "data-sqlite"), ids: filepath.Join(dir, "identities.jsonl")}
	b.res.agents = cfg.agents
	b.res.soft, b.res.hard, _ = sim.FileLimit()
	b.res.workers = (cfg.agents + cfg.perWorker - 1) / cfg.perWorker
	if need := cfg.agents + 100; b.res.hard > 0 && uint64(need) > b.res.hard {
		t.Logf("NOTE: %d agents need about %d descriptors in the appliance process; the limit is %d, so the ceiling is below the fleet size", cfg.agents, need, b.res.hard)
	}
	if b.res.workers > 250 {
		t.Fatalf("%d worker processes (%s=%d): too many; raise %s", b.res.workers, envAgents, cfg.agents, envPerWorker)
	}
	out, err := exec.Command("go", "build", "-o", b.bin, "github.com/jumpgate/jumpgate/appliance").CombinedOutput()
	require.NoError(t, err, "build the appliance: %s", out)
	b.addr = freeAddr(t)
	t.Logf("files in %s; appliance on %s; %d agents in %d workers; open-file limit %d (hard %d)", dir, b.addr, cfg.agents, b.res.workers, b.res.soft, b.res.hard)
	return b
}

// results are the figures of a run.
type results struct {
	agents, workers int
	soft, hard      uint64

	enrollSQLite, enrollPG enrollResult
	tls                    phaseResult
	ramp                   phaseResult
	idle                   idleResult
	storm                  stormResult
}

type enrollResult struct {
	n, concurrency int
	elapsed        time.Duration
	cpu            usage
	measured       bool
}

func (e enrollResult) rate() float64 { return float64(e.n) / e.elapsed.Seconds() }

// phaseResult is a ramp of the fleet up to its size: agents or plain TLS.
type phaseResult struct {
	connected int64
	elapsed   time.Duration // from the start of the workers to the last first connection
	cpu       usage
	mem0      memory // the server before the fleet
	mem1      memory // the server with the fleet connected, after settle
	errors    map[string]int64
	busy      int64
	listen    listenDrops
	flush     time.Duration // the hub's state writes (jumpgate_agent_state_flush_seconds)
}

func (p phaseResult) rate() float64 { return float64(p.connected) / p.elapsed.Seconds() }

// perConn is the server's memory growth per connection.
func (p phaseResult) perConn() memory {
	n := uint64(max(p.connected, 1))
	m := memory{rss: sub(p.mem1.rss, p.mem0.rss) / n, heap: sub(p.mem1.heap, p.mem0.heap) / n, stack: sub(p.mem1.stack, p.mem0.stack) / n,
		goroutines: sub(p.mem1.goroutines, p.mem0.goroutines) / n, fds: p.mem1.fds}
	if p.mem1.live > 0 {
		m.live, m.liveStack = sub(p.mem1.live, p.mem0.live)/n, sub(p.mem1.liveStack, p.mem0.stack)/n
	}
	return m
}

func sub(a, b uint64) uint64 {
	if a < b {
		return 0
	}
	return a - b
}

type idleResult struct {
	window    time.Duration
	cpu       usage
	lost      int64
	handshake float64 // handshakes the appliance counted in the window (none expected)
	gcs       int     // collections in the window
	gcCPU     time.Duration
	gcWait    time.Duration // from the ramp's end to its first collection
}

// keepaliveCPU is the appliance's CPU time per keepalive in the window,
// collections left out.
func (i idleResult) keepaliveCPU(agents int64) string {
	return perEvent(i.cpu.app-i.gcCPU, float64(agents)*i.window.Seconds()/agentprotoKeepAlive.Seconds())
}

type stormResult struct {
	shutdown, startup time.Duration // SIGTERM → exit; spawn → /healthz answers
	drain             time.Duration // /healthz answers → the last agent welcomed
	outage            time.Duration // SIGTERM → the last agent welcomed
	welcomes          int64
	busy              int64 // refusals the agents saw
	busyAppliance     float64
	down              int64 // connection refused while the appliance was down
	errs              map[string]int64
	firstErrors       []string
	peak              float64 // best one-second welcome rate the appliance counted
	cpu               usage
	mem               memory // after the storm, settled
	logLines          int    // the restarted appliance's log lines
	logErrorLines     int
	listen            listenDrops
	flush             time.Duration
	agentOutages      sim.Stats // the storm's counters: outages per agent, most failures in a row
}

func (s stormResult) rate() float64 { return float64(s.welcomes) / s.drain.Seconds() }

func (s stormResult) errors() int64 {
	var n int64
	for _, v := range s.errs {
		n += v
	}
	return n
}

// enrollSQLite starts the appliance on a fresh SQLite data directory and
// enrolls the fleet.
func (b *bench) enrollSQLite() {
	b.app = b.startAppliance(b.data, "", "appliance-enroll.log")
	ids := b.enroll(b.app, b.cfg.agents, &b.res.enrollSQLite)
	require.NoError(b.t, sim.WriteIdentities(b.ids, ids))
	b.app.stop(b.t)
}

func (b *bench) enrollPostgres() {
	dsn := pgtest.NewDatabase(b.t)
	a := b.startAppliance(filepath.Join(b.dir, "data-postgres"), dsn, "appliance-postgres.log")
	b.enroll(a, b.cfg.pgAgents, &b.res.enrollPG)
	a.stop(b.t)
}

// enroll enrolls n agents through POST /agent/v1/enroll from
// cfg.concurrency clients and records the rate.
func (b *bench) enroll(a *appliance, n int, r *enrollResult) []sim.Identity {
	t := b.t
	ctx := context.Background()
	c, err := api.New(a.url, api.WithToken(a.token), api.WithCACertPEM(a.caPEM))
	require.NoError(t, err)
	g, err := c.CreateJumpGroup(ctx, &api.JumpGroup{Name: "Simulated fleet", CodeName: "simulated-fleet"})
	require.NoError(t, err)
	in, err := c.CreateJumpClientInstaller(ctx, &api.JumpClientInstaller{JumpGroupID: g.ID, Tag: "sim", ValidDuration: 24 * 60})
	require.NoError(t, err)

	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: a.pool(t), MinVersion: tls.VersionTLS12}, MaxIdleConnsPerHost: b.cfg.concurrency}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: time.Minute}
	ids := make([]sim.Identity, n)
	var (
		next     atomic.Int64
		failures atomic.Int64
		firstErr atomic.Value
		wg       sync.WaitGroup
	)
	s0 := b.sample(a.pid(), nil)
	start := time.Now()
	for range b.cfg.concurrency {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				id, err := sim.Enroll(ctx, hc, a.url, in.KeyInfo, fmt.Sprintf("sim-%06d", i))
				if err != nil {
					failures.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				ids[i] = id
			}
		})
	}
	wg.Wait()
	*r = enrollResult{n: n, concurrency: b.cfg.concurrency, elapsed: time.Since(start), measured: true}
	r.cpu = b.sample(a.pid(), nil).since(s0)
	if f := failures.Load(); f > 0 {
		t.Fatalf("%d of %d enrollments failed; first: %v", f, n, firstErr.Load())
	}
	t.Logf("enrolled %d agents in %s: %.0f/s (%s)", n, r.elapsed.Round(time.Millisecond), r.rate(), a.database)
	return ids
}

// tlsBaseline holds the fleet's number of plain TLS connections on the
// minimal server, with the appliance's certificate.
func (b *bench) tlsBaseline() {
	t := b.t
	srv := startTLSServer(t, b.dir, filepath.Join(b.data, serverCertFile), filepath.Join(b.data, serverKeyFile))
	defer srv.stop(t)
	r := &b.res.tls
	r.mem0 = srv.memory()
	r.mem0.live, r.mem0.liveStack = srv.gc(t)
	caPin := caPin(t, readFile(t, filepath.Join(b.data, "ca.pem")))
	f := b.startFleet(1, func(i int, from, to int) sim.WorkerConfig {
		return sim.WorkerConfig{Mode: sim.ModeTLS, Addr: srv.addr, CAPin: caPin, Count: to - from, Ramp: b.workerRamp()}
	})
	s0 := b.sample(srv.pid(), f)
	start := time.Now()
	st := f.waitRamp(t, "plain TLS connections")
	r.cpu = b.sample(srv.pid(), f).since(s0)
	r.connected, r.elapsed, r.errors = st.Connected, st.RampDone.Sub(start), st.Errors
	time.Sleep(settle) // the same settling time as the appliance gets before it is measured
	r.mem1 = srv.memory()
	r.mem1.live, r.mem1.liveStack = srv.gc(t)
	t.Logf("plain TLS: %d connections, %.0f handshakes/s; server memory %s → %s", r.connected, r.rate(), r.mem0, r.mem1)
	f.stop(t)
}

// agentsRampIdle starts the appliance on the enrolled data, ramps the
// fleet up and holds it idle.
func (b *bench) agentsRampIdle() {
	t := b.t
	b.app = b.startAppliance(b.data, "", "appliance-agents.log")
	time.Sleep(settle) // start-up garbage is collected before memory is read
	r := &b.res.ramp
	r.mem0 = b.app.memory(t)
	caPin := caPin(t, b.app.caPEM)
	b.fleet = b.startFleet(2, func(i int, from, to int) sim.WorkerConfig {
		return sim.WorkerConfig{Mode: sim.ModeAgents, URL: b.app.url, CAPin: caPin, IdentityFile: b.ids, From: from, To: to, Ramp: b.workerRamp()}
	})
	s0 := b.sample(b.app.pid(), b.fleet)
	l0 := readListenDrops()
	start := time.Now()
	st := b.fleet.waitRamp(t, "agents")
	r.cpu = b.sample(b.app.pid(), b.fleet).since(s0)
	r.listen = readListenDrops().since(l0)
	r.connected, r.elapsed, r.errors, r.busy = st.Connected, st.RampDone.Sub(start), st.Errors, st.Busy
	if c, ok := lastGC(b.app.gcCycles(), start); ok {
		r.mem0.live = c.live
	} else {
		r.mem0.live = r.mem0.heap // no collection yet: what is in use bounds what is live
	}
	b.waitAppliance(b.app, "the appliance counts every agent connected", func(m metrics) bool {
		return m.get(`jumpgate_agents_connected{kind="jump_client"}`) == float64(b.cfg.agents)
	})
	r.flush = seconds(b.app.metrics(t).get("jumpgate_agent_state_flush_seconds_sum"))
	t.Logf("agents: %d connected, %.0f logins/s during the ramp", r.connected, r.rate())
	time.Sleep(settle)

	idle := &b.res.idle
	idle.window = b.cfg.idle
	lost0 := b.fleet.stats().Lost
	m0 := b.app.metrics(t)
	s0 = b.sample(b.app.pid(), b.fleet)
	time.Sleep(b.cfg.idle) // the measurement window itself
	idle.cpu = b.sample(b.app.pid(), b.fleet).since(s0)
	idle.gcs, idle.gcCPU = gcBetween(b.app.gcCycles(), s0.at, s0.at.Add(idle.cpu.wall))
	idle.lost = b.fleet.stats().Lost - lost0
	idle.handshake = b.app.metrics(t).sum("jumpgate_agent_handshakes_total") - m0.sum("jumpgate_agent_handshakes_total")
	r.mem1 = b.app.memory(t)
	t.Logf("idle %s: appliance %s CPU (%d collections, %s), memory %s → %s", idle.window, pct(idle.cpu.app, idle.cpu.wall), idle.gcs, idle.gcCPU, r.mem0, r.mem1)

	// The live heap per agent needs a collection after the ramp; without
	// one the runtime forces one within two minutes.
	rampEnd := st.RampDone
	if c, ok := b.app.waitGC(rampEnd, rampEnd.Add(forcedGC)); ok {
		idle.gcWait = c.at.Sub(rampEnd)
		r.mem1.live = c.live
		r.mem1.liveStack = uint64(b.app.metrics(t).get("go_memstats_stack_inuse_bytes"))
		t.Logf("first collection %s after the ramp: live heap %s", idle.gcWait.Round(time.Second), mib(c.live))
	} else {
		t.Logf("no collection within %s of the ramp: live heap per agent not measured", forcedGC)
	}
}

// forcedGC bounds the wait for a collection: the Go runtime forces one
// after two minutes without.
const forcedGC = 2*time.Minute + 10*time.Second

const agentprotoKeepAlive = 30 * time.Second

// restartStorm stops the appliance with SIGTERM, starts it again on the
// same data and port, and waits until the fleet is back.
func (b *bench) restartStorm() {
	t := b.t
	r := &b.res.storm
	f := b.fleet
	st0 := f.stats()
	s0 := b.sample(b.app.pid(), f)
	l0 := readListenDrops()
	killed := time.Now()
	b.app.stop(t)
	r.shutdown = time.Since(killed)
	spawned := time.Now()
	b.app = b.startAppliance(b.data, "", "appliance-restarted.log")
	ready := b.app.ready
	r.startup = ready.Sub(spawned)

	// The appliance's welcome counter, sampled, gives the peak rate.
	type point struct {
		at time.Time
		n  float64
	}
	var series []point
	deadline := time.Now().Add(phaseTimeout)
	var st sim.Stats
	for {
		st = f.stats()
		if m, err := b.app.scrape(); err == nil {
			series = append(series, point{time.Now(), m.get(`jumpgate_agent_handshakes_total{result="welcome"}`)})
		}
		if st.Connected == int64(b.cfg.agents) && st.Welcomes-st0.Welcomes >= int64(b.cfg.agents) {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("restart storm: %d of %d agents back after %s", st.Connected, b.cfg.agents, phaseTimeout)
			break
		}
		time.Sleep(4 * poll)
	}
	r.cpu = b.sample(b.app.pid(), f).since(s0)
	r.listen = readListenDrops().since(l0)
	// The appliance is a new process: its CPU time counts from zero (and
	// includes its start), the old one's until it exited is not known.
	r.cpu.app = procCPU(b.app.pid())
	d := st.Sub(&st0)
	r.welcomes = d.Welcomes
	r.drain = st.LastWelcome.Sub(ready)
	r.outage = st.LastWelcome.Sub(killed)
	r.busy = d.Busy
	r.errs = map[string]int64{}
	for k, v := range d.Errors {
		if k == sim.ErrKindDown {
			r.down = v
		} else {
			r.errs[k] = v
		}
	}
	r.firstErrors = st.FirstErrors
	r.agentOutages = d
	for i := range series {
		for j := i + 1; j < len(series); j++ {
			if dt := series[j].at.Sub(series[i].at); dt >= time.Second {
				r.peak = math.Max(r.peak, (series[j].n-series[i].n)/dt.Seconds())
				break
			}
		}
	}
	m := b.app.metrics(t)
	r.busyAppliance = m.get(`jumpgate_agent_handshakes_total{result="busy"}`)
	r.flush = seconds(m.get("jumpgate_agent_state_flush_seconds_sum"))
	time.Sleep(settle)
	r.mem = b.app.memory(t)
	r.logLines, r.logErrorLines = countLines(b.app.logFile)
	t.Logf("restart: shutdown %s, start %s, drain %s: %.0f logins/s; %d busy refusals; errors %v",
		r.shutdown.Round(time.Millisecond), r.startup.Round(time.Millisecond), r.drain.Round(time.Millisecond), r.rate(), r.busy, r.errs)
}

func (b *bench) stopFleet() {
	if b.fleet != nil {
		b.fleet.stop(b.t)
	}
	if b.app != nil {
		b.app.stop(b.t)
	}
}

// workerRamp is each worker's share of the handshakes in flight.
func (b *bench) workerRamp() int {
	return max(1, (b.cfg.ramp+b.res.workers-1)/b.res.workers)
}

// startFleet starts the workers, worker i on 127.0.<net>.<2+i> with its
// slice of the fleet. Each phase uses its own source network, so that ports
// a phase leaves in TIME_WAIT do not narrow the next one's.
func (b *bench) startFleet(net int, cfg func(i, from, to int) sim.WorkerConfig) *fleet {
	f := &fleet{}
	n, w := b.cfg.agents, b.res.workers
	for i := range w {
		from, to := i*n/w, (i+1)*n/w
		c := cfg(i, from, to)
		c.LocalAddr = fmt.Sprintf("127.0.%d.%d", net, 2+i)
		f.workers = append(f.workers, startWorker(b.t, c, filepath.Join(b.dir, fmt.Sprintf("worker-%d-%d.log", net, i))))
	}
	return f
}

// startAppliance starts the appliance binary on b.addr.
func (b *bench) startAppliance(dataDir, database, logName string) *appliance {
	t := b.t
	args := []string{"--data-dir", dataDir, "--listen", b.addr, "--public-url", "https://" + b.addr}
	if database != "" {
		args = append(args, "--database", database)
	}
	a := &appliance{url: "https://" + b.addr, dataDir: dataDir, logFile: filepath.Join(b.dir, logName), database: "SQLite"}
	if database != "" {
		a.database = "PostgreSQL"
	}
	logf, err := os.Create(a.logFile)
	require.NoError(t, err)
	a.cmd = exec.Command(b.bin, args...)
	a.cmd.Stdout, a.cmd.Stderr = logf, logf
	// The runtime's trace of each garbage collection (to stderr, so to the
	// log) tells the live heap and the CPU time of collection.
	a.cmd.Env = append(os.Environ(), "GODEBUG="+strings.TrimPrefix(os.Getenv("GODEBUG")+",gctrace=1", ","))
	a.started = time.Now()
	require.NoError(t, a.cmd.Start())
	logf.Close()
	a.exited = make(chan struct{})
	go func() {
		_ = a.cmd.Wait()
		close(a.exited)
	}()
	t.Cleanup(func() { a.kill() })

	// The CA and token exist once the appliance listens; /healthz tells.
	deadline := time.Now().Add(time.Minute)
	for {
		select {
		case <-a.exited:
			t.Fatalf("the appliance exited at start; log %s:\n%s", a.logFile, tail(a.logFile))
		default:
		}
		if a.hc == nil {
			if pemBytes, err := os.ReadFile(filepath.Join(dataDir, "ca.pem")); err == nil {
				a.caPEM = pemBytes
				a.hc = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: a.pool(t), MinVersion: tls.VersionTLS12}}, Timeout: 10 * time.Second}
			}
		}
		if a.hc != nil {
			if resp, err := a.hc.Get(a.url + "/healthz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					a.ready = time.Now()
					break
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the appliance did not answer /healthz within a minute; log %s:\n%s", a.logFile, tail(a.logFile))
		}
		time.Sleep(10 * time.Millisecond) // poll interval; the time to ready is measured with it
	}
	tok, err := os.ReadFile(filepath.Join(dataDir, "admin-token"))
	require.NoError(t, err)
	a.token = strings.TrimSpace(string(tok))
	return a
}

func (b *bench) waitAppliance(a *appliance, what string, cond func(metrics) bool) {
	b.t.Helper()
	deadline := time.Now().Add(phaseTimeout)
	for {
		if m, err := a.scrape(); err == nil && cond(m) {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s: not within %s", what, phaseTimeout)
		}
		time.Sleep(poll)
	}
}

// appliance is the appliance binary running in its own process.
type appliance struct {
	cmd      *exec.Cmd
	exited   chan struct{}
	url      string
	dataDir  string
	logFile  string
	database string
	caPEM    []byte
	token    string
	hc       *http.Client
	started  time.Time // when the process was started
	ready    time.Time
}

func (a *appliance) pool(t testing.TB) *x509.CertPool {
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(a.caPEM) {
		t.Fatalf("appliance CA: no certificate")
	}
	return p
}

func (a *appliance) pid() int { return a.cmd.Process.Pid }

// stop sends SIGTERM and waits for the appliance to exit.
func (a *appliance) stop(t testing.TB) {
	t.Helper()
	select {
	case <-a.exited:
		return
	default:
	}
	_ = a.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-a.exited:
	case <-time.After(time.Minute):
		a.kill()
		t.Fatalf("the appliance did not stop within a minute of SIGTERM")
	}
	a.hc.CloseIdleConnections()
}

func (a *appliance) kill() {
	select {
	case <-a.exited:
	default:
		_ = a.cmd.Process.Kill()
		<-a.exited
	}
}

// gcCycle is one line of the runtime's gctrace.
type gcCycle struct {
	at   time.Time     // when the cycle started
	cpu  time.Duration // its CPU time (all phases and workers)
	live uint64        // the heap marked live
}

// gcCycles reads the gctrace lines of the appliance's log, e.g.
// "gc 7 @12.345s 1%: 0.01+2.1+0.02 ms clock, 0.03+0.5/1.9/3.1+0.05 ms cpu, 4->4->2 MB, 5 MB goal, …".
func (a *appliance) gcCycles() []gcCycle {
	f, err := os.Open(a.logFile)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []gcCycle
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "gc ") {
			continue
		}
		// gc N @T P%: CLOCK ms clock, CPU ms cpu, H->H->LIVE MB, …
		f := strings.Fields(line)
		if len(f) < 12 || !strings.HasPrefix(f[2], "@") || f[9] != "cpu," || f[11] != "MB," {
			continue
		}
		secs, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimPrefix(f[2], "@"), "s"), 64)
		if err != nil {
			continue
		}
		var cpuMS float64
		for _, v := range strings.FieldsFunc(f[7], func(r rune) bool { return r == '+' || r == '/' }) {
			x, _ := strconv.ParseFloat(v, 64)
			cpuMS += x
		}
		heaps := strings.Split(f[10], "->")
		liveMB, err := strconv.ParseUint(heaps[len(heaps)-1], 10, 64)
		if err != nil {
			continue
		}
		out = append(out, gcCycle{at: a.started.Add(time.Duration(secs * float64(time.Second))), cpu: time.Duration(cpuMS * float64(time.Millisecond)), live: liveMB << 20})
	}
	return out
}

// gcBetween sums the cycles that started in [from, to).
func gcBetween(cycles []gcCycle, from, to time.Time) (n int, cpu time.Duration) {
	for _, c := range cycles {
		if !c.at.Before(from) && c.at.Before(to) {
			n++
			cpu += c.cpu
		}
	}
	return n, cpu
}

// lastGC returns the last cycle that started before t.
func lastGC(cycles []gcCycle, t time.Time) (gcCycle, bool) {
	var last gcCycle
	ok := false
	for _, c := range cycles {
		if c.at.Before(t) {
			last, ok = c, true
		}
	}
	return last, ok
}

// waitGC waits until a cycle starts after t, or until deadline.
func (a *appliance) waitGC(t, deadline time.Time) (gcCycle, bool) {
	for {
		for _, c := range a.gcCycles() {
			if c.at.After(t) {
				return c, true
			}
		}
		if time.Now().After(deadline) {
			return gcCycle{}, false
		}
		time.Sleep(4 * poll)
	}
}

type metrics map[string]float64

func (m metrics) get(name string) float64 { return m[name] }

// sum adds every series of a metric name.
func (m metrics) sum(name string) float64 {
	var s float64
	for k, v := range m {
		if k == name || strings.HasPrefix(k, name+"{") {
			s += v
		}
	}
	return s
}

// scrape reads /metrics (the Prometheus text format: "name{labels} value")
// with the scrape token the appliance wrote at first start.
func (a *appliance) scrape() (metrics, error) {
	tok, err := os.ReadFile(filepath.Join(a.dataDir, "metrics-token"))
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequest(http.MethodGet, a.url+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
	resp, err := a.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("/metrics: %s", resp.Status)
	}
	m := metrics{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			m[line[:i]] = v
		}
	}
	return m, sc.Err()
}

func (a *appliance) metrics(t testing.TB) metrics {
	t.Helper()
	m, err := a.scrape()
	require.NoError(t, err)
	return m
}

// memory reads the appliance's memory: RSS from /proc, the Go runtime's
// figures from /metrics.
func (a *appliance) memory(t testing.TB) memory {
	m := a.metrics(t)
	return memory{rss: procRSS(a.pid()), heap: uint64(m.get("go_memstats_heap_inuse_bytes")), stack: uint64(m.get("go_memstats_stack_inuse_bytes")),
		goroutines: uint64(m.get("go_goroutines")), fds: procFDs(a.pid())}
}

// memory is a server's memory at one moment (or per connection).
type memory struct {
	rss, heap, stack, goroutines uint64
	fds                          uint64
	// live is the heap marked live by a collection and liveStack the
	// stacks after it; zero when none was measured.
	live, liveStack uint64
}

func (m memory) String() string {
	return fmt.Sprintf("RSS %s, heap %s, stacks %s, %d goroutines", mib(m.rss), mib(m.heap), mib(m.stack), m.goroutines)
}

// tlsServer is the baseline server process.
type tlsServer struct {
	cmd         *exec.Cmd
	stdin       io.WriteCloser
	addr        string
	mu          sync.Mutex
	last        sim.TLSServerStatus // the latest periodic status
	collected   sim.TLSServerStatus // the status after the latest "gc" command
	collections int
	exited      chan struct{}
}

func startTLSServer(t *testing.T, dir, certFile, keyFile string) *tlsServer {
	t.Helper()
	s := &tlsServer{exited: make(chan struct{})}
	lines := make(chan sim.TLSServerStatus, 1)
	s.cmd, s.stdin = startChild(t, sim.RoleTLSServer, sim.TLSServerConfig{Listen: "127.0.0.1:0", CertFile: certFile, KeyFile: keyFile},
		filepath.Join(dir, "tls-server.log"), func(line []byte) {
			var st sim.TLSServerStatus
			if json.Unmarshal(line, &st) != nil {
				return
			}
			s.mu.Lock()
			first := s.addr == ""
			if st.GC {
				s.collected = st
				s.collections++
			} else {
				s.last = st
			}
			if first {
				s.addr = st.Addr
			}
			s.mu.Unlock()
			if first {
				lines <- st
			}
		}, s.exited)
	select {
	case st := <-lines:
		require.Empty(t, st.Err, "baseline TLS server")
	case <-s.exited:
		t.Fatalf("the baseline TLS server exited at start")
	case <-time.After(time.Minute):
		t.Fatalf("the baseline TLS server did not start")
	}
	return s
}

func (s *tlsServer) pid() int { return s.cmd.Process.Pid }

func (s *tlsServer) memory() memory {
	// A fresh status line, so that the runtime's figures and RSS are read
	// at about the same time.
	time.Sleep(2 * sim.ProgressInterval)
	s.mu.Lock()
	st := s.last
	s.mu.Unlock()
	return memory{rss: procRSS(s.pid()), heap: st.HeapInuse, stack: st.StackInuse, goroutines: uint64(st.Goroutines), fds: procFDs(s.pid())}
}

// gc has the server collect garbage and returns its live heap and stacks.
func (s *tlsServer) gc(t testing.TB) (live, stack uint64) {
	t.Helper()
	s.mu.Lock()
	n := s.collections
	s.mu.Unlock()
	_, err := io.WriteString(s.stdin, "gc\n")
	require.NoError(t, err)
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		st, done := s.collected, s.collections > n
		s.mu.Unlock()
		if done {
			return st.HeapAlloc, st.StackInuse
		}
		time.Sleep(poll)
	}
	t.Fatalf("the baseline TLS server did not collect garbage within a minute")
	return 0, 0
}

func (s *tlsServer) stop(t testing.TB) {
	s.stdin.Close()
	select {
	case <-s.exited:
	case <-time.After(time.Minute):
		_ = s.cmd.Process.Kill()
		t.Errorf("the baseline TLS server did not stop")
	}
}

// worker is a simulator worker process.
type worker struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	exited chan struct{}
	mu     sync.Mutex
	last   sim.Progress
}

func startWorker(t *testing.T, cfg sim.WorkerConfig, logFile string) *worker {
	w := &worker{exited: make(chan struct{})}
	w.cmd, w.stdin = startChild(t, sim.RoleWorker, cfg, logFile, func(line []byte) {
		var p sim.Progress
		if json.Unmarshal(line, &p) != nil {
			return
		}
		w.mu.Lock()
		w.last = p
		w.mu.Unlock()
	}, w.exited)
	return w
}

// startChild starts this test binary in a simulator role, writes cfg to
// its stdin and hands each line of its stdout to onLine. exited is closed
// when the process is gone.
func startChild(t *testing.T, role string, cfg any, logFile string, onLine func([]byte), exited chan struct{}) (*exec.Cmd, io.WriteCloser) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), sim.EnvRole+"="+role)
	logf, err := os.Create(logFile)
	require.NoError(t, err)
	cmd.Stderr = logf
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	logf.Close()
	b, err := json.Marshal(cfg)
	require.NoError(t, err)
	_, err = stdin.Write(append(b, '\n'))
	require.NoError(t, err)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			onLine(sc.Bytes())
		}
		_ = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		stdin.Close()
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
	return cmd, stdin
}

// fleet is the worker processes of a phase.
type fleet struct{ workers []*worker }

// stats adds up the workers' latest progress.
func (f *fleet) stats() sim.Stats {
	var s sim.Stats
	for _, w := range f.workers {
		w.mu.Lock()
		p := w.last
		w.mu.Unlock()
		s.Add(&p.Stats)
	}
	return s
}

func (f *fleet) pids() []int {
	var p []int
	for _, w := range f.workers {
		p = append(p, w.cmd.Process.Pid)
	}
	return p
}

// waitRamp waits until every worker reports its whole share welcomed once
// and connected now.
func (f *fleet) waitRamp(t *testing.T, what string) sim.Stats {
	t.Helper()
	deadline := time.Now().Add(phaseTimeout)
	for {
		ready := true
		for _, w := range f.workers {
			w.mu.Lock()
			p := w.last
			w.mu.Unlock()
			if p.Err != "" {
				t.Fatalf("worker: %s", p.Err)
			}
			select {
			case <-w.exited:
				t.Fatalf("a worker exited during the ramp of %s", what)
			default:
			}
			if p.Agents == 0 || p.RampDone.IsZero() || p.Connected != int64(p.Agents) {
				ready = false
			}
		}
		if ready {
			return f.stats()
		}
		if time.Now().After(deadline) {
			st := f.stats()
			t.Fatalf("%s: %d of %d connected after %s; errors %v; first: %v", what, st.Connected, st.Agents, phaseTimeout, st.Errors, st.FirstErrors)
		}
		time.Sleep(poll)
	}
}

func (f *fleet) stop(t testing.TB) {
	for _, w := range f.workers {
		w.stdin.Close()
	}
	for _, w := range f.workers {
		select {
		case <-w.exited:
		case <-time.After(time.Minute):
			_ = w.cmd.Process.Kill()
			t.Errorf("a worker did not stop within a minute")
		}
	}
}

// cpuSample is a reading of CPU time: the appliance's (or the baseline
// server's), the workers', and the machine's.
type cpuSample struct {
	at          time.Time
	app, fleet  time.Duration
	busy, total uint64
}

// usage is CPU time used over a wall-clock interval.
type usage struct {
	wall, app, fleet time.Duration
	host             float64 // the machine's busy share, 1.0 = every CPU busy
}

// sample reads the CPU time of the server process (0: none) and of the
// fleet's workers (nil: none).
func (b *bench) sample(server int, f *fleet) cpuSample {
	s := cpuSample{at: time.Now()}
	if server != 0 {
		s.app = procCPU(server)
	}
	if f != nil {
		for _, p := range f.pids() {
			s.fleet += procCPU(p)
		}
	}
	s.busy, s.total = hostCPU()
	return s
}

func (s cpuSample) since(old cpuSample) usage {
	u := usage{wall: s.at.Sub(old.at), app: s.app - old.app, fleet: s.fleet - old.fleet}
	if s.total > old.total {
		u.host = float64(s.busy-old.busy) / float64(s.total-old.total)
	}
	return u
}

// procCPU is a process's user + system CPU time.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name may hold spaces; the fields follow its ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	ut, _ := strconv.ParseUint(f[11], 10, 64)
	st, _ := strconv.ParseUint(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / clockTick
}

// procRSS is a process's resident set size.
func procRSS(pid int) uint64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func procFDs(pid int) uint64 {
	e, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return 0
	}
	return uint64(len(e))
}

// listenDrops are the kernel's counters of connections a listener lost
// (TcpExt ListenOverflows: the accept queue was full; ListenDrops: any
// drop, those included), for the whole machine.
type listenDrops struct{ overflows, drops uint64 }

func (l listenDrops) since(old listenDrops) listenDrops {
	return listenDrops{overflows: l.overflows - old.overflows, drops: l.drops - old.drops}
}

func readListenDrops() listenDrops {
	b, err := os.ReadFile("/proc/net/netstat")
	if err != nil {
		return listenDrops{}
	}
	lines := strings.Split(string(b), "\n")
	var l listenDrops
	for i := 0; i+1 < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "TcpExt:") || !strings.HasPrefix(lines[i+1], "TcpExt:") {
			continue
		}
		names, values := strings.Fields(lines[i]), strings.Fields(lines[i+1])
		for j := 1; j < len(names) && j < len(values); j++ {
			v, _ := strconv.ParseUint(values[j], 10, 64)
			switch names[j] {
			case "ListenOverflows":
				l.overflows = v
			case "ListenDrops":
				l.drops = v
			}
		}
		break
	}
	return l
}

// hostCPU reads the machine's busy and total time from /proc/stat.
func hostCPU() (busy, total uint64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return 0, 0
	}
	for i, v := range f[1:] {
		if i >= 8 { // guest time is already in user
			break
		}
		n, _ := strconv.ParseUint(v, 10, 64)
		total += n
		if i != 3 && i != 4 { // idle, iowait
			busy += n
		}
	}
	return busy, total
}

func countLines(path string) (all, errs int) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		all++
		if strings.Contains(sc.Text(), "level=ERROR") {
			errs++
		}
	}
	return all, errs
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

func tail(path string) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return strings.Join(lines, "\n")
}

// report prints the figures, their baselines, the aims and what bounds
// each figure.
func report(w io.Writer, cfg config, r *results) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	p("")
	p("Jumpgate agent scale benchmark (issue 3)")
	p("NOTE: the appliance, the simulated agents and the baseline server share this machine's %d CPUs: every cycle the agents spend is taken from the appliance.", runtime.NumCPU())
	p("machine: %s, %d logical CPUs, %s; open files per process: %d (hard %d)", cpuModel(), runtime.NumCPU(), runtime.Version(), r.soft, r.hard)
	p("fleet:   %d simulated Jump Clients (agent/internal/conn: pinned TLS, signed WebSocket handshake, yamux keepalive every 30s, one report on welcome)", r.agents)
	p("         in %d worker processes of ≤ %d agents, each from its own source address 127.0.<phase>.<2+i>; ramp: %d handshakes in flight", r.workers, cfg.perWorker, cfg.ramp)
	p("baseline: a minimal Go TLS server (sim.ServeTLS: the appliance's certificate and TLS settings, a goroutine blocked in Read per connection),")
	p("         holding the same number of plain idle TLS connections made by the same workers with the agent's TLS client settings")
	p("")
	if r.ramp.connected > 0 || r.tls.connected > 0 {
		p("%-34s %14s %16s %8s %10s  %s", "figure", "appliance", "baseline", "ratio", "aim", "")
		p("%s", strings.Repeat("-", 34+14+16+8+10+14))
		row := func(name, val, base, ratio, aim, verdict string) {
			p("%-34s %14s %16s %8s %10s  %s", name, val, base, ratio, aim, verdict)
		}
		ratio := func(a, b float64) string {
			if b <= 0 {
				return "-"
			}
			return fmt.Sprintf("%.2f", a/b)
		}
		verdict := func(ok bool) string {
			if ok {
				return "MET"
			}
			return "NOT MET"
		}
		app, base := r.ramp.perConn(), r.tls.perConn()
		row("connected agents", fmt.Sprintf("%d/%d", r.ramp.connected, r.agents), fmt.Sprintf("%d TLS", r.tls.connected), "-",
			fmt.Sprintf("≥ %d", aimAgents), verdict(r.ramp.connected >= aimAgents))
		row("memory per idle agent (RSS)", kb(app.rss), kb(base.rss), ratio(float64(app.rss), float64(base.rss)),
			"≤ 50 KB", verdict(app.rss > 0 && app.rss <= aimBytesPer))
		row("  agents per GiB (RSS)", perGiB(app.rss), perGiB(base.rss), "-", "≥ 20000", "")
		if app.live > 0 {
			row("  live heap per agent (after GC)", kb(app.live), kb(base.live), ratio(float64(app.live), float64(base.live)), "", "")
			row("  stacks per agent (after GC)", kb(app.liveStack), kb(base.liveStack), ratio(float64(app.liveStack), float64(base.liveStack)), "", "")
			row("  live heap + stacks per agent", kb(app.live+app.liveStack), kb(base.live+base.liveStack),
				ratio(float64(app.live+app.liveStack), float64(base.live+base.liveStack)), "(≤ 50 KB)", "")
		} else {
			row("  Go heap in use per agent", kb(app.heap), kb(base.heap), ratio(float64(app.heap), float64(base.heap)), "", "(no collection after the ramp)")
			row("  goroutine stacks per agent", kb(app.stack), kb(base.stack), ratio(float64(app.stack), float64(base.stack)), "", "")
		}
		row("  goroutines per agent", goroutinesPer(r.ramp), goroutinesPer(r.tls), "-", "", "")
		row("memory per agent after restart", kb(sub(r.storm.mem.rss, r.ramp.mem0.rss)/uint64(max(r.ramp.connected, 1))), "", "", "", "(RSS)")
		row("idle CPU, appliance", pct(r.idle.cpu.app, r.idle.cpu.wall), "0%", "-", "near idle",
			fmt.Sprintf("(%d collections in the window: %s)", r.idle.gcs, pct(r.idle.gcCPU, r.idle.cpu.wall)))
		row("  CPU per keepalive, without GC", r.idle.keepaliveCPU(r.ramp.connected), "", "", "", "")
		row("logins/s, ramp", fmt.Sprintf("%.0f", r.ramp.rate()), fmt.Sprintf("%.0f hs/s", r.tls.rate()), ratio(r.ramp.rate(), r.tls.rate()), "", "")
		row("logins/s after restart", fmt.Sprintf("%.0f", r.storm.rate()), fmt.Sprintf("%.0f hs/s", r.tls.rate()), ratio(r.storm.rate(), r.tls.rate()),
			"≥ 1000", verdict(r.storm.rate() >= aimLoginsPerSec))
		row("  peak logins in one second", fmt.Sprintf("%.0f", r.storm.peak), "", "", "", "")
		row("  busy refusals (503)", fmt.Sprintf("%d", r.storm.busy), "", "", "", fmt.Sprintf("(the appliance counted %.0f)", r.storm.busyAppliance))
		row("  errors other than busy", fmt.Sprintf("%d", r.storm.errors()), "", "", "0", verdict(r.storm.errors() == 0))
		row("  listen queue overflows", fmt.Sprintf("%d", r.storm.listen.overflows), "", "", "", fmt.Sprintf("(kernel: SYNs dropped, accept queue full; ramp: %d)", r.ramp.listen.overflows))
		if r.enrollSQLite.measured {
			row("enrollments/s, SQLite", fmt.Sprintf("%.0f", r.enrollSQLite.rate()), "", "", "≥ 100", verdict(r.enrollSQLite.rate() >= aimEnrollPerSec))
		}
	}
	if r.enrollPG.measured {
		p("%-34s %14s %16s %8s %10s  %s", "enrollments/s, PostgreSQL", fmt.Sprintf("%.0f", r.enrollPG.rate()), "", "", "≥ 100",
			map[bool]string{true: "MET", false: "NOT MET"}[r.enrollPG.rate() >= aimEnrollPerSec])
	}
	p("")
	p("what bounds each figure:")
	if r.ramp.connected > 0 {
		app := r.ramp.perConn()
		base := uint64(0)
		if app.fds > uint64(r.ramp.connected) {
			base = app.fds - uint64(r.ramp.connected)
		}
		p("- connected agents: one descriptor each in the appliance process; it held %d descriptors with %d agents (%d for itself),", app.fds, r.ramp.connected, base)
		if r.hard > 0 {
			p("  so the process limit of %d caps one appliance at %d agents. Memory (%s RSS at %d agents) and idle CPU are far from limits.",
				r.hard, r.hard-base, mib(r.ramp.mem1.rss), r.ramp.connected)
		}
		p("- memory per agent: what a connection keeps besides TLS: WebSocket (net/http's hijacked 4 KiB read and write buffers),")
		p("  yamux session (4 KiB read buffer, receive and send goroutines) and the control stream reader: %s goroutines per agent", goroutinesPer(r.ramp))
		p("  against %s for plain TLS. RSS is more than live memory: the heap grows to twice what the last collection kept (GOGC=100)", goroutinesPer(r.tls))
		if r.idle.gcWait > 0 {
			p("  before it is collected again; the first collection after the ramp came %s after it. Live heap + stacks per agent: %s.",
				r.idle.gcWait.Round(time.Second), kb(app.live+app.liveStack))
		} else {
			p("  before it is collected again.")
		}
		p("  Where it goes: JUMPGATE_BENCH_PROFILE=<dir> runs TestBenchAgentsProfile (in-process heap and CPU profiles).")
		p("- idle CPU: yamux keepalives (one ping and pong per agent every 30 s, %.0f/s), each a WebSocket frame in a TLS record: %s per keepalive",
			float64(r.ramp.connected)/30, r.idle.keepaliveCPU(r.ramp.connected))
		p("  leaving collections out (%d in the window, %s of CPU, collecting the ramp's garbage); %d handshakes and %d lost sessions in the window.",
			r.idle.gcs, r.idle.gcCPU.Round(time.Millisecond), int(r.idle.handshake), r.idle.lost)
		p("  The simulator used %s meanwhile.", pct(r.idle.cpu.fleet, r.idle.cpu.wall))
		p("- logins/s: CPU. Ramp: appliance %s per login, simulator %s per login, machine %.0f%% busy; plain TLS: server %s, client %s per handshake, machine %.0f%% busy.",
			perEvent(r.ramp.cpu.app, float64(r.ramp.connected)), perEvent(r.ramp.cpu.fleet, float64(r.ramp.connected)), 100*r.ramp.cpu.host,
			perEvent(r.tls.cpu.app, float64(r.tls.connected)), perEvent(r.tls.cpu.fleet, float64(r.tls.connected)), 100*r.tls.cpu.host)
		if r.ramp.cpu.app > 0 {
			p("  With both CPUs given to the appliance alone it would do about %.0f logins/s (%d CPUs / appliance CPU per login).",
				float64(runtime.NumCPU())*float64(r.ramp.connected)/r.ramp.cpu.app.Seconds(), runtime.NumCPU())
		}
		p("  The hub's batched state writes (one writer) took %s in the ramp (%s per agent) and %s in the restart.",
			r.ramp.flush.Round(time.Millisecond), perEvent(r.ramp.flush, float64(r.ramp.connected)), r.storm.flush.Round(time.Millisecond))
		p("  Restart: SIGTERM → exit %s, start → /healthz %s, /healthz → last agent back %s (outage %s); appliance %s, simulator %s per login, machine %.0f%% busy.",
			r.storm.shutdown.Round(time.Millisecond), r.storm.startup.Round(time.Millisecond), r.storm.drain.Round(time.Millisecond), r.storm.outage.Round(time.Millisecond),
			perEvent(r.storm.cpu.app, float64(r.storm.welcomes)), perEvent(r.storm.cpu.fleet, float64(r.storm.welcomes)), 100*r.storm.cpu.host)
		p("  Each agent was without a session for %s (median), %s (90th percentile), %s (99th), %s (longest), to %s; up to %d failed attempts in a row.",
			outagePct(&r.storm.agentOutages, 0.5), outagePct(&r.storm.agentOutages, 0.9), outagePct(&r.storm.agentOutages, 0.99), outagePct(&r.storm.agentOutages, 1),
			sim.OutageBucket, r.storm.agentOutages.MaxFailures)
		p("  The agent's loop backs off with jitter from 1 s doubling to 60 s on every failure, a refused connection while the appliance is down (%d)", r.storm.down)
		p("  and a busy refusal alike, waiting at least the Retry-After (1–5 s) of the latter: when the peak rate is well above the mean, that")
		p("  backoff's tail, not the appliance, sets the end of the drain.")
		p("  The restarted appliance wrote %d log lines, %d at level ERROR (a 503 busy refusal is logged as a server error).", r.storm.logLines, r.storm.logErrorLines)
		p("  The kernel dropped %d connection attempts because the appliance's accept queue was full (somaxconn %s): every accepted", r.storm.listen.overflows, somaxconn())
		p("  connection starts its TLS handshake at once, and the hub's limit on handshakes in flight comes only after TLS and HTTP,")
		p("  so the accept loop competes with thousands of handshakes; an agent whose SYNs are dropped three times times out (10 s).")
		if n := r.storm.errors(); n > 0 {
			for _, k := range sim.SortedKinds(r.storm.errs) {
				p("  error %-40s %d", k, r.storm.errs[k])
			}
			for _, e := range r.storm.firstErrors {
				p("  e.g. %s", e)
			}
		}
	}
	for _, e := range []struct {
		name string
		r    enrollResult
	}{{"SQLite", r.enrollSQLite}, {"PostgreSQL", r.enrollPG}} {
		if !e.r.measured {
			continue
		}
		p("- enrollments/s, %s: %d enrollments from %d concurrent clients in %s; appliance %s CPU per enrollment (%s of one CPU); machine %.0f%% busy.",
			e.name, e.r.n, e.r.concurrency, e.r.elapsed.Round(time.Millisecond), perEvent(e.r.cpu.app, float64(e.r.n)), pct(e.r.cpu.app, e.r.cpu.wall), 100*e.r.cpu.host)
	}
	p("")
}

func seconds(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }

func somaxconn() string {
	b, err := os.ReadFile("/proc/sys/net/core/somaxconn")
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(b))
}

func outagePct(s *sim.Stats, p float64) string {
	d, ok := s.OutagePercentile(p)
	if !ok {
		return "-"
	}
	return d.Round(10 * time.Millisecond).String()
}

func goroutinesPer(p phaseResult) string {
	return fmt.Sprintf("%.2f", float64(sub(p.mem1.goroutines, p.mem0.goroutines))/float64(max(p.connected, 1)))
}

func kb(b uint64) string { return fmt.Sprintf("%.1f KB", float64(b)/1024) }

func mib(b uint64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

func perGiB(b uint64) string {
	if b == 0 {
		return "-"
	}
	return strconv.FormatUint((1<<30)/b, 10)
}

func pct(cpu, wall time.Duration) string {
	if wall <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*cpu.Seconds()/wall.Seconds())
}

func perEvent(cpu time.Duration, n float64) string {
	if n <= 0 {
		return "-"
	}
	us := cpu.Seconds() / n * 1e6
	if us >= 1000 {
		return fmt.Sprintf("%.2fms", us/1000)
	}
	return fmt.Sprintf("%.0fµs", us)
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}
