package sim

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"time"

	"github.com/jumpgate/jumpgate/agent/internal/conn"
)

// The benchmark runs the simulator in child processes of its test binary:
// the binary's TestMain calls Main when EnvRole is set. A child reads one
// JSON configuration line from stdin, writes JSON lines to stdout while it
// runs, and exits when its stdin reaches end of file, so that no child
// outlives the benchmark, however that ends.
//
//	worker:     WorkerConfig → Progress every ProgressInterval
//	tls-server: TLSServerConfig → TLSServerStatus (first with Addr set),
//	            every ProgressInterval; a "gc" line collects garbage, and
//	            the next status has GC set
const (
	// EnvRole selects the role of a child process: RoleWorker or
	// RoleTLSServer.
	EnvRole = "JUMPGATE_SIM_ROLE"
	// RoleWorker runs a Fleet or a TLSFleet.
	RoleWorker = "worker"
	// RoleTLSServer runs ServeTLS, the baseline server.
	RoleTLSServer = "tls-server"
)

// ProgressInterval is how often a child reports.
const ProgressInterval = 100 * time.Millisecond

// Modes of a worker.
const (
	ModeAgents = "agents"
	ModeTLS    = "tls"
)

// WorkerConfig configures a worker process.
type WorkerConfig struct {
	// Mode is ModeAgents (a Fleet) or ModeTLS (a TLSFleet).
	Mode string `json:"mode"`
	// URL of the appliance (agents) and Addr of the server (tls).
	URL  string `json:"url,omitempty"`
	Addr string `json:"addr,omitempty"`
	// CAPin pins the server's CA.
	CAPin string `json:"ca_pin"`
	// LocalAddr is the source IP of the worker's connections.
	LocalAddr string `json:"local_addr,omitempty"`
	// IdentityFile holds one JSON Identity a line; the worker runs lines
	// [From, To).
	IdentityFile string `json:"identity_file,omitempty"`
	From         int    `json:"from,omitempty"`
	To           int    `json:"to,omitempty"`
	// Count is how many TLS connections to hold (tls).
	Count int `json:"count,omitempty"`
	// Ramp bounds first connections in flight.
	Ramp int `json:"ramp,omitempty"`
	// Backoff bounds; zero values are the agent's defaults.
	BackoffMin time.Duration `json:"backoff_min,omitempty"`
	BackoffMax time.Duration `json:"backoff_max,omitempty"`
	// NoReport skips the report after Welcome.
	NoReport bool `json:"no_report,omitempty"`
}

// Progress is what a worker reports.
type Progress struct {
	Stats
	// At is when the worker took the snapshot.
	At time.Time `json:"at"`
	// Err is set when the worker could not start.
	Err string `json:"err,omitempty"`
}

// TLSServerConfig configures the baseline TLS server process.
type TLSServerConfig struct {
	// Listen is the address to listen on, e.g. "127.0.0.1:0".
	Listen string `json:"listen"`
	// CertFile and KeyFile are the PEM certificate chain and key to serve
	// (the appliance's own, so that handshakes cost the same).
	CertFile string `json:"cert_file"`
	KeyFile  string `json:"key_file"`
}

// TLSServerStatus is what the baseline server reports.
type TLSServerStatus struct {
	// Addr is the address it listens on.
	Addr string `json:"addr,omitempty"`
	// Goroutines, HeapInuse, HeapAlloc and StackInuse are the Go
	// runtime's figures (runtime.MemStats) now.
	Goroutines int    `json:"goroutines"`
	HeapInuse  uint64 `json:"heap_inuse"`
	HeapAlloc  uint64 `json:"heap_alloc"`
	StackInuse uint64 `json:"stack_inuse"`
	// GC is set on the status after a "gc" command: HeapAlloc is the live
	// heap.
	GC bool `json:"gc,omitempty"`
	// Err is set when the server failed.
	Err string `json:"err,omitempty"`
}

// Main runs the child process role and returns its exit code; a test
// binary's TestMain calls it when EnvRole is set.
func Main(role string) int {
	if err := RaiseFileLimit(); err != nil {
		fmt.Fprintln(os.Stderr, "sim:", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	in := bufio.NewReader(os.Stdin)
	line, err := in.ReadBytes('\n')
	if err != nil {
		fmt.Fprintln(os.Stderr, "sim: read configuration:", err)
		return 2
	}
	commands := make(chan string, 1)
	go func() {
		// The parent closes stdin (or dies) to stop this process.
		defer cancel()
		sc := bufio.NewScanner(in)
		for sc.Scan() {
			select {
			case commands <- sc.Text():
			default:
			}
		}
	}()
	switch role {
	case RoleWorker:
		var cfg WorkerConfig
		if err := json.Unmarshal(line, &cfg); err != nil {
			fmt.Fprintln(os.Stderr, "sim: worker configuration:", err)
			return 2
		}
		return exitCode(RunWorker(ctx, cfg, os.Stdout))
	case RoleTLSServer:
		var cfg TLSServerConfig
		if err := json.Unmarshal(line, &cfg); err != nil {
			fmt.Fprintln(os.Stderr, "sim: tls-server configuration:", err)
			return 2
		}
		return exitCode(RunTLSServer(ctx, cfg, commands, os.Stdout))
	}
	fmt.Fprintf(os.Stderr, "sim: unknown %s %q\n", EnvRole, role)
	return 2
}

func exitCode(err error) int {
	if err != nil {
		fmt.Fprintln(os.Stderr, "sim:", err)
		return 1
	}
	return 0
}

// RunWorker runs the fleet cfg describes until ctx ends, writing a
// Progress line to out every ProgressInterval and once at the end.
func RunWorker(ctx context.Context, cfg WorkerConfig, out io.Writer) error {
	enc := json.NewEncoder(out)
	var stats func() Stats
	var run func(context.Context)
	switch cfg.Mode {
	case ModeAgents:
		ids, err := ReadIdentities(cfg.IdentityFile, cfg.From, cfg.To)
		if err != nil {
			_ = enc.Encode(Progress{At: time.Now(), Err: err.Error()})
			return err
		}
		f := &Fleet{URL: cfg.URL, CAPin: cfg.CAPin, LocalAddr: cfg.LocalAddr, Agents: ids, Ramp: cfg.Ramp,
			Backoff: conn.Backoff{Min: cfg.BackoffMin, Max: cfg.BackoffMax}, NoReport: cfg.NoReport}
		stats, run = f.Stats, f.Run
	case ModeTLS:
		f := &TLSFleet{Addr: cfg.Addr, CAPin: cfg.CAPin, LocalAddr: cfg.LocalAddr, Count: cfg.Count, Ramp: cfg.Ramp}
		stats, run = f.Stats, f.Run
	default:
		err := fmt.Errorf("unknown worker mode %q", cfg.Mode)
		_ = enc.Encode(Progress{At: time.Now(), Err: err.Error()})
		return err
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		run(ctx)
	}()
	t := time.NewTicker(ProgressInterval)
	defer t.Stop()
	for {
		select {
		case <-done:
			return enc.Encode(Progress{Stats: stats(), At: time.Now()})
		case <-t.C:
			if err := enc.Encode(Progress{Stats: stats(), At: time.Now()}); err != nil {
				return err
			}
		}
	}
}

// RunTLSServer serves the baseline until ctx ends, writing a
// TLSServerStatus line to out every ProgressInterval. A "gc" command
// collects garbage first.
func RunTLSServer(ctx context.Context, cfg TLSServerConfig, commands <-chan string, out io.Writer) error {
	enc := json.NewEncoder(out)
	fail := func(err error) error {
		_ = enc.Encode(TLSServerStatus{Err: err.Error()})
		return err
	}
	cert, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
	if err != nil {
		return fail(err)
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fail(err)
	}
	// The appliance's TLS configuration (app.New), so that a handshake does
	// the same work.
	tcfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, NextProtos: []string{"h2", "http/1.1"}}
	errc := make(chan error, 1)
	go func() { errc <- ServeTLS(ln, tcfg) }()
	status := func() TLSServerStatus {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return TLSServerStatus{Addr: ln.Addr().String(), Goroutines: runtime.NumGoroutine(), HeapInuse: m.HeapInuse, HeapAlloc: m.HeapAlloc, StackInuse: m.StackInuse}
	}
	if err := enc.Encode(status()); err != nil {
		ln.Close()
		return err
	}
	t := time.NewTicker(ProgressInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			ln.Close()
			return ignoreClosed(<-errc)
		case err := <-errc:
			return fail(err)
		case c := <-commands:
			if c != "gc" {
				continue
			}
			// One cycle, as the appliance's first after a ramp.
			runtime.GC()
			st := status()
			st.GC = true
			if err := enc.Encode(st); err != nil {
				ln.Close()
				return ignoreClosed(<-errc)
			}
		case <-t.C:
			// ReadMemStats stops the world briefly; ten times a second is
			// noise next to the handshakes being measured.
			if err := enc.Encode(status()); err != nil {
				ln.Close()
				return ignoreClosed(<-errc)
			}
		}
	}
}

func ignoreClosed(err error) error {
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// WriteIdentities writes ids to path, one JSON Identity a line.
func WriteIdentities(path string, ids []Identity) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	for _, id := range ids {
		if err := enc.Encode(id); err != nil {
			f.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// ReadIdentities reads lines [from, to) of an identity file; to ≤ 0 reads
// to the end.
func ReadIdentities(path string, from, to int) ([]Identity, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var ids []Identity
	sc := bufio.NewScanner(f)
	for n := 0; sc.Scan(); n++ {
		if n < from {
			continue
		}
		if to > 0 && n >= to {
			break
		}
		var id Identity
		if err := json.Unmarshal(sc.Bytes(), &id); err != nil {
			return nil, fmt.Errorf("%s line %d: %w", path, n+1, err)
		}
		ids = append(ids, id)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if to > 0 && len(ids) != to-from {
		return nil, fmt.Errorf("%s: want lines %d–%d, the file has %d", path, from, to, from+len(ids))
	}
	return ids, nil
}
