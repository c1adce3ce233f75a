// Package bench measures the appliance API's throughput and latency end to
// end: the real appliance (appliancetest) on SQLite and on PostgreSQL, driven
// through the real api.Client over TLS on loopback.
//
// Every figure is also given as a ratio of a baseline measured in the same
// run against the same server and client stack: GET /healthz, a public route
// that touches neither authentication nor the database. The ratio is the share
// of what Gin, net/http, HTTP/2, TLS and the client allow that an API call
// keeps; it is steadier across machines and noisy neighbours than ops/s.
//
// The test runs only with JUMPGATE_BENCH=1 (make bench); see benchConfig for
// the other variables.
//
// TestBenchTunnel (tunnel_bench_test.go, Linux) measures a Protocol Tunnel
// Jump's data path end to end — the jumpgate CLI, the appliance and an
// installed Jumpoint node — against a bare TLS relay and ssh -L of the same
// run.
package bench

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
	"github.com/jumpgate/jumpgate/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

// Environment variables of the benchmark.
const (
	envEnable      = "JUMPGATE_BENCH"                // "1" runs TestBenchAPI
	envDuration    = "JUMPGATE_BENCH_DURATION"       // per operation, a Go duration; default 3s
	envConcurrency = "JUMPGATE_BENCH_CONCURRENCY"    // concurrent workers; default 32
	envDatabases   = "JUMPGATE_BENCH_DATABASES"      // comma-separated subset of sqlite,postgres
	envOps         = "JUMPGATE_BENCH_OPS"            // comma-separated subset of the operations; the baseline always runs
	envCPUProfile  = "JUMPGATE_BENCH_CPUPROFILE"     // write a CPU profile of the whole run to this file
	envProfilePer  = "JUMPGATE_BENCH_CPUPROFILE_PER" // "op": one profile per database and operation instead
	envHTTP1       = "JUMPGATE_BENCH_HTTP1"          // "1": HTTP/1.1 connections instead of the HTTP/2 api.Client negotiates
)

// Databases.
const (
	dbSQLite   = "sqlite"
	dbPostgres = "postgres"
)

// Operations, in the order they run. Later ones use the objects earlier ones
// created, and seed a few when those did not run.
const (
	opHealthz          = "healthz"
	opWhoAmI           = "whoami"
	opJumpGroupCreate  = "jump-group-create"
	opJumpGroupGet     = "jump-group-get"
	opJumpGroupList    = "jump-group-list"
	opTunnelJumpCreate = "tunnel-jump-create"
	opTunnelJumpGet    = "tunnel-jump-get"
)

var allOps = []string{opHealthz, opWhoAmI, opJumpGroupCreate, opJumpGroupGet, opJumpGroupList, opTunnelJumpCreate, opTunnelJumpGet}

// opNotes explain the rows of the table.
var opNotes = map[string]string{
	opHealthz:          "baseline: public GET /healthz, no auth, no database",
	opWhoAmI:           "GET /api/v1/whoami: the baseline plus token authentication (one indexed read)",
	opJumpGroupCreate:  "POST jump-groups, unique code names (write transaction + audit event)",
	opJumpGroupGet:     "GET jump-groups/{id}, random id among those created",
	opJumpGroupList:    "GET jump-groups?limit=100, first page",
	opTunnelJumpCreate: "POST protocol-tunnel-jumps (jumpoint + jump group reference checks)",
	opTunnelJumpGet:    "GET protocol-tunnel-jumps/{id}, random id among those created",
}

// Aims of issue 2, item 9, on SQLite.
var aims = []struct {
	op   string
	rate float64
}{
	{opJumpGroupCreate, 2000},
	{opJumpGroupGet, 10000},
}

const (
	warmup        = 500 * time.Millisecond // unmeasured load that opens connections before the baseline
	seedCount     = 200                    // objects a read op creates first when the create op did not run
	listLimit     = 100
	errorsToKeep  = 3
	defaultDur    = 3 * time.Second
	defaultWorker = 32
)

// benchConfig is the benchmark's configuration, read from the environment.
type benchConfig struct {
	duration    time.Duration
	concurrency int
	databases   []string
	ops         map[string]bool
	cpuProfile  string
	profilePer  bool
	http1       bool
}

func loadConfig(t *testing.T) benchConfig {
	t.Helper()
	c := benchConfig{duration: defaultDur, concurrency: defaultWorker, databases: []string{dbSQLite, dbPostgres}, ops: map[string]bool{}}
	if v := os.Getenv(envDuration); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			t.Fatalf("%s=%q: want a positive Go duration such as 3s", envDuration, v)
		}
		c.duration = d
	}
	if v := os.Getenv(envConcurrency); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("%s=%q: want a positive integer", envConcurrency, v)
		}
		c.concurrency = n
	}
	if v := os.Getenv(envDatabases); v != "" {
		c.databases = nil
		for _, d := range splitList(v) {
			if d != dbSQLite && d != dbPostgres {
				t.Fatalf("%s: unknown database %q; want %s or %s", envDatabases, d, dbSQLite, dbPostgres)
			}
			c.databases = append(c.databases, d)
		}
	}
	for _, op := range allOps {
		c.ops[op] = true
	}
	if v := os.Getenv(envOps); v != "" {
		clear(c.ops)
		for _, op := range splitList(v) {
			if !slices.Contains(allOps, op) {
				t.Fatalf("%s: unknown operation %q; want some of %s", envOps, op, strings.Join(allOps, ","))
			}
			c.ops[op] = true
		}
		c.ops[opHealthz] = true // every ratio needs it
	}
	switch v := os.Getenv(envHTTP1); v {
	case "", "0":
	case "1":
		c.http1 = true
	default:
		t.Fatalf("%s=%q: want 1 or nothing", envHTTP1, v)
	}
	c.cpuProfile = os.Getenv(envCPUProfile)
	switch v := os.Getenv(envProfilePer); v {
	case "":
	case "op":
		if c.cpuProfile == "" {
			t.Fatalf("%s=op needs %s=<file>", envProfilePer, envCPUProfile)
		}
		c.profilePer = true
	default:
		t.Fatalf("%s=%q: want op or nothing", envProfilePer, v)
	}
	return c
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// result is one measured operation.
type result struct {
	db, op    string
	ops       int             // successful operations
	elapsed   time.Duration   // from the start signal until the last worker stopped
	latencies []time.Duration // of the successful operations, sorted
	errors    int
	firstErrs []string
	cpu       cpuUsage
}

func (r *result) rate() float64 { return float64(r.ops) / r.elapsed.Seconds() }

func (r *result) percentile(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	i := int(float64(len(r.latencies))*p+0.5) - 1
	return r.latencies[min(max(i, 0), len(r.latencies)-1)]
}

// facts describe the connection the client negotiated.
type facts struct {
	proto, tls string
}

// TestBenchAPI prints API throughput and latency for each database and
// operation, as ratios of the /healthz baseline of the same server.
func TestBenchAPI(t *testing.T) {
	if os.Getenv(envEnable) != "1" {
		t.Skipf("set %s=1 to run the API benchmark (make bench)", envEnable)
	}
	cfg := loadConfig(t)
	prof := &profiler{cfg: cfg}
	if cfg.cpuProfile != "" && !cfg.profilePer {
		prof.start(t, cfg.cpuProfile)
	}

	var (
		results []*result
		conn    facts
		pgNote  string
	)
	for _, database := range cfg.databases {
		t.Run(database, func(t *testing.T) {
			b := &bench{t: t, cfg: cfg, db: database, prof: prof}
			b.start()
			if database == dbPostgres {
				pgNote = postgresNote()
			}
			if conn.proto == "" {
				conn = b.facts()
			}
			results = append(results, b.runAll()...)
		})
	}
	prof.stop(t)

	report(os.Stdout, cfg, conn, pgNote, results)

	for _, r := range results {
		if r.errors > 0 {
			t.Errorf("%s %s: %d errors (a benchmark with errors is invalid); first: %s", r.db, r.op, r.errors, strings.Join(r.firstErrs, "; "))
		}
		if r.ops == 0 {
			t.Errorf("%s %s: no operation completed", r.db, r.op)
		}
	}
}

// bench runs the operations against one appliance.
type bench struct {
	t    *testing.T
	cfg  benchConfig
	db   string
	prof *profiler
	srv  *appliancetest.Server
	c    *api.Client
	seq  atomic.Int64 // makes code names unique

	groupIDs  []int64
	tunnelIDs []int64
	jumpoint  int64
}

// start starts the appliance. Its goroutines, and the connection goroutines
// its listener spawns, carry the profiler label side=server.
func (b *bench) start() {
	pprof.Do(context.Background(), pprof.Labels("db", b.db, "side", "server"), func(context.Context) {
		var opts []appliancetest.Option
		if b.db == dbPostgres {
			opts = append(opts, appliancetest.WithDatabase(pgtest.NewDatabase(b.t)))
		}
		b.srv = appliancetest.NewServer(b.t, opts...)
	})
	b.c = b.srv.Admin
	if b.cfg.http1 {
		b.c = b.http1Client()
	}
}

// http1Client is the admin's api.Client on HTTP/1.1, with a connection per
// worker, for comparison with the single multiplexed HTTP/2 connection.
func (b *bench) http1Client() *api.Client {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b.srv.CAPEM) {
		b.t.Fatalf("appliance CA: no PEM certificates")
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.ForceAttemptHTTP2 = false
	tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{} // non-nil and empty: no HTTP/2
	tr.MaxIdleConnsPerHost = b.cfg.concurrency
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	c, err := api.New(b.srv.URL, api.WithToken(b.srv.AdminToken), api.WithHTTPClient(&http.Client{Transport: tr, Timeout: time.Minute}))
	if err != nil {
		b.t.Fatalf("http/1.1 client: %v", err)
	}
	return c
}

// facts makes one healthz request and reports the negotiated protocol.
func (b *bench) facts() facts {
	var f facts
	b.client(context.Background(), "facts", func(ctx context.Context) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.srv.URL+"/healthz", nil)
		if err != nil {
			b.t.Fatalf("healthz request: %v", err)
		}
		resp, err := b.c.HTTPClient().Do(req)
		if err != nil {
			b.t.Fatalf("healthz: %v", err)
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		f.proto = resp.Proto
		if resp.TLS != nil {
			f.tls = tls.VersionName(resp.TLS.Version) + " " + tls.CipherSuiteName(resp.TLS.CipherSuite)
		}
	})
	return f
}

// client runs f with the profiler labels of the client side.
func (b *bench) client(ctx context.Context, op string, f func(context.Context)) {
	pprof.Do(ctx, pprof.Labels("db", b.db, "side", "client", "op", op), f)
}

func (b *bench) runAll() []*result {
	b.warmup()
	var out []*result
	for _, op := range allOps {
		if !b.cfg.ops[op] {
			continue
		}
		b.prepare(op)
		r := b.measure(op, b.opFunc(op))
		b.t.Logf("%-8s %-20s %9.0f ops/s  p50 %s  p99 %s  errors %d", r.db, r.op, r.rate(), ms(r.percentile(0.50)), ms(r.percentile(0.99)), r.errors)
		out = append(out, r)
	}
	return out
}

// warmup opens the client's connections and warms the server before the
// baseline, so that no measurement pays for TLS handshakes.
func (b *bench) warmup() {
	cfg := b.cfg
	cfg.duration = warmup
	w := &bench{t: b.t, cfg: cfg, db: b.db, srv: b.srv, c: b.c, prof: &profiler{}}
	r := w.measure("warmup", w.opFunc(opHealthz))
	if r.errors > 0 {
		b.t.Fatalf("warm-up against /healthz failed: %s", strings.Join(r.firstErrs, "; "))
	}
}

// opFunc returns one call of op; creates return the new object's ID.
func (b *bench) opFunc(op string) func(context.Context) (int64, error) {
	switch op {
	case opHealthz:
		hc, url := b.c.HTTPClient(), b.srv.URL+"/healthz"
		return func(ctx context.Context) (int64, error) { return 0, healthz(ctx, hc, url) }
	case opWhoAmI:
		return func(ctx context.Context) (int64, error) {
			_, err := b.c.WhoAmI(ctx)
			return 0, err
		}
	case opJumpGroupCreate:
		return func(ctx context.Context) (int64, error) {
			n := b.seq.Add(1)
			g, err := b.c.CreateJumpGroup(ctx, &api.JumpGroup{Name: fmt.Sprintf("Bench group %d", n), CodeName: fmt.Sprintf("bench-%d", n), Comments: "created by the API benchmark"})
			if err != nil {
				return 0, err
			}
			return g.ID, nil
		}
	case opJumpGroupGet:
		return func(ctx context.Context) (int64, error) {
			id := b.groupIDs[rand.IntN(len(b.groupIDs))]
			g, err := b.c.GetJumpGroup(ctx, id)
			if err == nil && g.ID != id {
				err = fmt.Errorf("asked for jump group %d, got %d", id, g.ID)
			}
			return 0, err
		}
	case opJumpGroupList:
		return func(ctx context.Context) (int64, error) {
			l, err := b.c.ListJumpGroups(ctx, &api.ListOptions{Limit: listLimit})
			if err == nil && len(l.Items) != min(listLimit, len(b.groupIDs)) {
				err = fmt.Errorf("list answered %d jump groups, want %d", len(l.Items), min(listLimit, len(b.groupIDs)))
			}
			return 0, err
		}
	case opTunnelJumpCreate:
		return func(ctx context.Context) (int64, error) {
			n := b.seq.Add(1)
			j, err := b.c.CreateProtocolTunnelJump(ctx, &api.ProtocolTunnelJump{
				Name:              fmt.Sprintf("Bench tunnel %d", n),
				JumpointID:        b.jumpoint,
				Hostname:          fmt.Sprintf("db%d.bench.internal", n),
				TunnelDefinitions: []api.TunnelDefinition{{LocalPort: 0, RemotePort: 5432}, {LocalPort: 0, RemotePort: 22}},
				JumpGroupID:       b.groupIDs[rand.IntN(len(b.groupIDs))],
				Tag:               "bench",
			})
			if err != nil {
				return 0, err
			}
			return j.ID, nil
		}
	case opTunnelJumpGet:
		return func(ctx context.Context) (int64, error) {
			id := b.tunnelIDs[rand.IntN(len(b.tunnelIDs))]
			j, err := b.c.GetProtocolTunnelJump(ctx, id)
			if err == nil && j.ID != id {
				err = fmt.Errorf("asked for protocol tunnel jump %d, got %d", id, j.ID)
			}
			return 0, err
		}
	}
	panic("unknown operation " + op)
}

func healthz(ctx context.Context, hc *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	// The same headers as api.Client, and the same JSON decoding of the answer.
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "jumpgate-api-go/"+api.Version)
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthz: %s", resp.Status)
	}
	var body struct{ Status string }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return fmt.Errorf("healthz: %w", err)
	}
	return nil
}

// prepare creates what op needs and the earlier operations did not provide.
func (b *bench) prepare(op string) {
	ctx := context.Background()
	b.client(ctx, "setup", func(ctx context.Context) {
		switch op {
		case opJumpGroupGet, opJumpGroupList, opTunnelJumpCreate, opTunnelJumpGet:
			for len(b.groupIDs) < seedCount {
				id, err := b.opFunc(opJumpGroupCreate)(ctx)
				if err != nil {
					b.t.Fatalf("seed jump groups: %v", err)
				}
				b.groupIDs = append(b.groupIDs, id)
			}
		}
		switch op {
		case opTunnelJumpCreate, opTunnelJumpGet:
			if b.jumpoint == 0 {
				jp, err := b.c.CreateJumpoint(ctx, &api.Jumpoint{Name: "Bench jumpoint", CodeName: "bench-jumpoint", ProtocolTunnelEnabled: true})
				if err != nil {
					b.t.Fatalf("create jumpoint: %v", err)
				}
				b.jumpoint = jp.ID
			}
		}
		if op == opTunnelJumpGet {
			for len(b.tunnelIDs) < seedCount {
				id, err := b.opFunc(opTunnelJumpCreate)(ctx)
				if err != nil {
					b.t.Fatalf("seed protocol tunnel jumps: %v", err)
				}
				b.tunnelIDs = append(b.tunnelIDs, id)
			}
		}
	})
}

// measure runs call from cfg.concurrency workers for cfg.duration and records
// every latency. The workers start together and each finishes the call it is
// in when the time is up, so elapsed runs until the last one returns.
func (b *bench) measure(op string, call func(context.Context) (int64, error)) *result {
	type workerResult struct {
		lat    []time.Duration
		ids    []int64
		errors int
		errs   []string
	}
	n := b.cfg.concurrency
	per := make([]workerResult, n)
	ready := make(chan struct{})
	var (
		wg       sync.WaitGroup
		deadline time.Time
	)
	for i := range n {
		wg.Add(1)
		go b.client(context.Background(), op, func(ctx context.Context) {
			defer wg.Done()
			w := &per[i]
			w.lat = make([]time.Duration, 0, 4096)
			<-ready
			for time.Now().Before(deadline) {
				t0 := time.Now()
				id, err := call(ctx)
				d := time.Since(t0)
				if err != nil {
					w.errors++
					if len(w.errs) < errorsToKeep {
						w.errs = append(w.errs, err.Error())
					}
					continue
				}
				w.lat = append(w.lat, d)
				if id != 0 {
					w.ids = append(w.ids, id)
				}
			}
		})
	}
	b.prof.startOp(b.t, b.db, op)
	cpu0 := readCPU()
	start := time.Now()
	deadline = start.Add(b.cfg.duration)
	close(ready)
	wg.Wait()
	elapsed := time.Since(start)
	cpu := readCPU().since(cpu0, elapsed)
	b.prof.stopOp(b.t)

	r := &result{db: b.db, op: op, elapsed: elapsed, cpu: cpu}
	for _, w := range per {
		r.latencies = append(r.latencies, w.lat...)
		r.errors += w.errors
		for _, e := range w.errs {
			if len(r.firstErrs) < errorsToKeep {
				r.firstErrs = append(r.firstErrs, e)
			}
		}
		switch op {
		case opJumpGroupCreate:
			b.groupIDs = append(b.groupIDs, w.ids...)
		case opTunnelJumpCreate:
			b.tunnelIDs = append(b.tunnelIDs, w.ids...)
		}
	}
	r.ops = len(r.latencies)
	slices.Sort(r.latencies)
	return r
}

// profiler writes the CPU profile of the whole run, or with
// JUMPGATE_BENCH_CPUPROFILE_PER=op one file per database and operation.
type profiler struct {
	cfg benchConfig
	f   *os.File
}

func (p *profiler) start(t *testing.T, path string) {
	t.Helper()
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatalf("cpu profile: %v", err)
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatalf("cpu profile: %v", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		t.Fatalf("cpu profile: %v", err)
	}
	p.f = f
}

func (p *profiler) stop(t *testing.T) {
	t.Helper()
	if p.f == nil {
		return
	}
	pprof.StopCPUProfile()
	if err := p.f.Close(); err != nil {
		t.Errorf("cpu profile: %v", err)
	}
	t.Logf("cpu profile written to %s", p.f.Name())
	p.f = nil
}

func (p *profiler) startOp(t *testing.T, db, op string) {
	if p.cfg.profilePer && op != "warmup" {
		ext := filepath.Ext(p.cfg.cpuProfile)
		p.start(t, strings.TrimSuffix(p.cfg.cpuProfile, ext)+"."+db+"."+op+cmp.Or(ext, ".pprof"))
	}
}

func (p *profiler) stopOp(t *testing.T) {
	if p.cfg.profilePer {
		p.stop(t)
	}
}

// postgresNote describes the PostgreSQL server the benchmark used.
func postgresNote() string {
	if os.Getenv("JUMPGATE_TEST_POSTGRES_URL") != "" {
		return "PostgreSQL: the server of JUMPGATE_TEST_POSTGRES_URL"
	}
	return "PostgreSQL: private local server from internal/pgtest (fsync=off, synchronous_commit=off), on the same CPUs; its CPU time is not in \"cpu proc\""
}

func report(w io.Writer, cfg benchConfig, conn facts, pgNote string, results []*result) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	p("")
	p("Jumpgate API benchmark (issue 2, item 9)")
	p("NOTE: client, appliance and database share this machine's %d CPUs: every cycle the client spends is taken from the server.", runtime.NumCPU())
	p("machine: %s, %d logical CPUs, GOMAXPROCS=%d, %s %s/%s", cpuModel(), runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	client := "one shared api.Client as it negotiates"
	if cfg.http1 {
		client = "one shared api.Client forced to HTTP/1.1 (" + envHTTP1 + "=1), a connection per worker"
	}
	p("load:    %d concurrent workers, %s per operation, %s", cfg.concurrency, cfg.duration, client)
	p("wire:    %s over %s on loopback", cmp.Or(conn.proto, "?"), cmp.Or(conn.tls, "?"))
	if pgNote != "" {
		p("%s", pgNote)
	}
	p("cpu proc = this process's (client + appliance) CPU time / wall time, 200%% = both cores; cpu/op = that CPU time per operation;")
	p("cpu host = the whole machine's busy time, including PostgreSQL and anything else running on it")
	p("")
	p("%-8s  %-18s  %9s  %8s  %8s  %8s  %8s  %8s  %7s  %6s  %8s  %8s  %8s", "db", "op", "ops/s", "p50", "p90", "p99", "max", "×healthz", "n", "errors", "cpu proc", "cpu/op", "cpu host")
	p("%s", strings.Repeat("-", 8+18+9+8*5+8+7+6+8+8+8+2*12))
	baseline := map[string]float64{}
	for _, r := range results {
		if r.op == opHealthz {
			baseline[r.db] = r.rate()
		}
	}
	for _, r := range results {
		ratio := "-"
		if base := baseline[r.db]; base > 0 {
			ratio = fmt.Sprintf("%.3f", r.rate()/base)
		}
		perOp := "-"
		if d, ok := r.cpu.perOp(r.ops); ok {
			perOp = us(d)
		}
		p("%-8s  %-18s  %9.0f  %8s  %8s  %8s  %8s  %8s  %7d  %6d  %8s  %8s  %8s", r.db, r.op, r.rate(),
			ms(r.percentile(0.50)), ms(r.percentile(0.90)), ms(r.percentile(0.99)), ms(r.percentile(1)),
			ratio, r.ops, r.errors, r.cpu.procString(), perOp, r.cpu.hostString())
	}
	p("")
	for _, op := range allOps {
		if cfg.ops[op] {
			p("  %-18s  %s", op, opNotes[op])
		}
	}
	p("")
	p("aims on SQLite:")
	for _, a := range aims {
		i := slices.IndexFunc(results, func(r *result) bool { return r.db == dbSQLite && r.op == a.op })
		if i < 0 {
			p("  %-18s ≥ %5.0f/s: not measured in this run", a.op, a.rate)
			continue
		}
		r := results[i]
		verdict := "MET"
		if r.rate() < a.rate {
			verdict = "NOT MET"
		}
		p("  %-18s ≥ %5.0f/s: %s (%.0f/s, %.0f%% of the aim; the /healthz ceiling was %.0f/s)", a.op, a.rate, verdict, r.rate(), 100*r.rate()/a.rate, baseline[dbSQLite])
		if d, ok := r.cpu.perOp(r.ops); ok && d > 0 {
			// With SQLite the whole cost is in this process, so its CPU time
			// per operation caps the rate however idle the machine is.
			p("  %-18s   CPU bound: %s of CPU per op (client + appliance) caps it at %.0f/s on %d CPUs; the aim needs ≤ %s",
				"", us(d), float64(runtime.NumCPU())*float64(time.Second)/float64(d), runtime.NumCPU(), us(time.Duration(float64(runtime.NumCPU())*float64(time.Second)/a.rate)))
		}
	}
	p("")
	if cfg.cpuProfile != "" {
		p("cpu profile: %s%s; server side only: go tool pprof -top -tagfocus=side=server <file>", cfg.cpuProfile, map[bool]string{true: " (one file per database and operation)"}[cfg.profilePer])
		p("")
	}
}

// ms renders a latency in milliseconds.
func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64) + "ms"
}

// us renders a duration in microseconds.
func us(d time.Duration) string { return strconv.FormatInt(d.Microseconds(), 10) + "µs" }

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
