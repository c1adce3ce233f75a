package bench

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The tunnel benchmark's parts run in several processes (the CLI, the
// agents, ssh and sshd) and share the machine's CPUs with whatever else runs
// on it. Every process the benchmark starts carries envRole=<run>:<role> in
// its environment, so that the CPU time of a measurement window can be split
// into the benchmark's own roles and everything else ("other": other users'
// builds and tests). Windows in which other processes used more than the
// quiet threshold are measured again.

// envRole marks the processes the benchmark starts.
const envRole = "JUMPGATE_BENCH_ROLE"

// Roles of processes.
const (
	roleBench  = "bench"  // this test process: appliance, load generator, targets, reference relays
	roleCLI    = "cli"    // jumpgate tunnel / jumpgate run
	roleNode   = "node"   // the Jumpoint nodes (jumpgate-agent)
	roleClient = "client" // the Jump Client (jumpgate-agent) and its session processes
	roleSSH    = "ssh"    // ssh -L / ssh host cmd
	roleSSHD   = "sshd"   // the private sshd and its session processes
	roleOther  = "other"  // everything else that is not a kernel thread
)

// roleOrder is the order in which roles are printed.
var roleOrder = []string{roleBench, roleCLI, roleNode, roleClient, roleSSH, roleSSHD}

const (
	clockTicks = 100        // USER_HZ of /proc/<pid>/stat
	pfKThread  = 0x00200000 // PF_KTHREAD in /proc/<pid>/stat's flags
)

// procKey names one process: a pid and its start time, so that a reused pid
// is another process.
type procKey struct {
	pid   int
	start uint64
}

// procAccount classifies processes by role and samples their CPU time.
type procAccount struct {
	run  string // this run's marker, so that another run's processes count as other
	self int

	mu      sync.Mutex
	roles   map[procKey]string
	adopted map[int]string
}

func newProcAccount() *procAccount {
	return &procAccount{run: strconv.FormatInt(time.Now().UnixNano(), 36), self: os.Getpid(), roles: map[procKey]string{}, adopted: map[int]string{}}
}

// env is the environment entry that marks a process of role.
func (a *procAccount) env(role string) string { return envRole + "=" + a.run + ":" + role }

// procSample is the cumulative CPU time (utime+stime of the process and of
// its reaped children) of every process, and the machine's busy and total
// ticks, at one moment.
type procSample struct {
	at          time.Time
	cpu         map[procKey]float64 // seconds
	role        map[procKey]string
	ppid        map[procKey]int
	busy, total uint64
}

func (a *procAccount) sample() procSample {
	s := procSample{at: time.Now(), cpu: map[procKey]float64{}, role: map[procKey]string{}, ppid: map[procKey]int{}}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:])) // f[0] is field 3 (state)
		if len(f) < 20 {
			continue
		}
		flags, _ := strconv.ParseUint(f[6], 10, 64)
		if flags&pfKThread != 0 {
			continue
		}
		var ticks float64
		for _, k := range []int{11, 12, 13, 14} { // utime stime cutime cstime
			v, _ := strconv.ParseFloat(f[k], 64)
			ticks += v
		}
		start, _ := strconv.ParseUint(f[19], 10, 64)
		ppid, _ := strconv.Atoi(f[1])
		k := procKey{pid, start}
		s.cpu[k] = ticks / clockTicks
		s.ppid[k] = ppid
	}
	byPID := make(map[int]procKey, len(s.cpu))
	for k := range s.cpu {
		byPID[k.pid] = k
	}
	for k := range s.cpu {
		s.role[k] = a.roleOf(k, s.ppid, byPID)
	}
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		line, _, _ := strings.Cut(string(b), "\n")
		for i, v := range strings.Fields(line)[1:] {
			if i >= 8 { // guest time is already in user
				break
			}
			n, _ := strconv.ParseUint(v, 10, 64)
			s.total += n
			if i != 3 && i != 4 { // idle, iowait
				s.busy += n
			}
		}
	}
	return s
}

// roleOf is a process's role: the marker in its environment, else the
// role given to its pid with adopt, else its parent's. (sshd overwrites
// its environment with its process title, so its processes are known by
// their ancestry.) The answer is kept per process.
func (a *procAccount) roleOf(k procKey, ppid map[procKey]int, byPID map[int]procKey) string {
	if k.pid == a.self {
		return roleBench
	}
	a.mu.Lock()
	r, ok := a.roles[k]
	if !ok {
		r, ok = a.adopted[k.pid]
	}
	a.mu.Unlock()
	if ok {
		return r
	}
	r = roleOther
	if b, err := os.ReadFile("/proc/" + strconv.Itoa(k.pid) + "/environ"); err == nil {
		prefix := []byte(envRole + "=" + a.run + ":")
		for _, kv := range bytes.Split(b, []byte{0}) {
			if v, ok := bytes.CutPrefix(kv, prefix); ok {
				r = string(v)
				break
			}
		}
	}
	if r == roleOther {
		if p, ok := byPID[ppid[k]]; ok && p != k && ppid[k] > 1 {
			if pr := a.roleOf(p, ppid, byPID); pr != roleOther && pr != roleBench {
				r = pr
			}
		}
	}
	a.mu.Lock()
	a.roles[k] = r
	a.mu.Unlock()
	return r
}

// adopt gives the process pid, and so its descendants, a role.
func (a *procAccount) adopt(pid int, role string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.adopted[pid] = role
}

// cpuSplit is the CPU used during a window, in cores (1.0 = one core busy)
// per role, and the whole machine's busy time.
type cpuSplit struct {
	wall   time.Duration
	cores  map[string]float64
	host   float64
	hostOK bool
}

// since is the CPU used between old and s. A process that started in
// between counts in full; one that ended counts no more (its parent's
// reaped-children time does, once it reaps it).
func (s procSample) since(old procSample) cpuSplit {
	c := cpuSplit{wall: s.at.Sub(old.at), cores: map[string]float64{}}
	sec := c.wall.Seconds()
	if sec <= 0 {
		return c
	}
	for k, v := range s.cpu {
		d := v - old.cpu[k]
		if d > 0 {
			c.cores[s.role[k]] += d / sec
		}
	}
	if s.total > old.total {
		c.host, c.hostOK = float64(s.busy-old.busy)/float64(s.total-old.total)*float64(runtime.NumCPU()), true
	}
	return c
}

// other is the CPU that processes outside the benchmark used, in % of one core.
func (c cpuSplit) other() float64 { return 100 * c.cores[roleOther] }

// ours is the benchmark's own CPU, in cores.
func (c cpuSplit) ours() float64 {
	t := 0.0
	for r, v := range c.cores {
		if r != roleOther {
			t += v
		}
	}
	return t
}

// String renders the split as "bench 120% cli 40% node 35% | other 3%".
func (c cpuSplit) String() string {
	var parts []string
	seen := map[string]bool{}
	for _, r := range roleOrder {
		seen[r] = true
		if v := c.cores[r]; v >= 0.005 {
			parts = append(parts, fmt.Sprintf("%s %.0f%%", r, 100*v))
		}
	}
	var extra []string
	for r := range c.cores {
		if !seen[r] && r != roleOther {
			extra = append(extra, r)
		}
	}
	sort.Strings(extra)
	for _, r := range extra {
		parts = append(parts, fmt.Sprintf("%s %.0f%%", r, 100*c.cores[r]))
	}
	return fmt.Sprintf("%s | other %.0f%%", strings.Join(parts, " "), c.other())
}

// waitQuiet waits until other processes use less than maxOther % of one
// core over a second, at most for limit; it returns the last reading.
func (a *procAccount) waitQuiet(maxOther float64, limit time.Duration) (float64, bool) {
	deadline := time.Now().Add(limit)
	for {
		s0 := a.sample()
		time.Sleep(time.Second)
		o := a.sample().since(s0).other()
		if o < maxOther {
			return o, true
		}
		if time.Now().After(deadline) {
			return o, false
		}
	}
}

// rss is the resident memory of the benchmark's processes now, in MiB per
// role.
func (a *procAccount) rss() map[string]float64 {
	out := map[string]float64{}
	s := a.sample()
	for k, r := range s.role {
		if r == roleOther {
			continue
		}
		st, err := os.ReadFile("/proc/" + strconv.Itoa(k.pid) + "/status")
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(st), "\n") {
			if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
				out[r] += kb / 1024
			}
		}
	}
	return out
}

// tcpCounters are the machine's TCP counters that tell of trouble on
// loopback: retransmitted segments (loopback loses nothing unless the
// kernel drops), entries into TCP memory pressure, and segments dropped or
// receive queues collapsed for lack of socket memory.
type tcpCounters struct {
	retrans, pressure, pruned, collapsed int64
}

func readTCPCounters() tcpCounters {
	var c tcpCounters
	get := func(file, table string, fields map[string]*int64) {
		b, err := os.ReadFile(file)
		if err != nil {
			return
		}
		lines := strings.Split(string(b), "\n")
		for i := 0; i+1 < len(lines); i++ {
			names, values := strings.Fields(lines[i]), strings.Fields(lines[i+1])
			if len(names) == 0 || names[0] != table+":" || len(values) != len(names) || values[0] != table+":" {
				continue
			}
			for j, n := range names {
				if p, ok := fields[n]; ok {
					*p, _ = strconv.ParseInt(values[j], 10, 64)
				}
			}
			i++
		}
	}
	get("/proc/net/snmp", "Tcp", map[string]*int64{"RetransSegs": &c.retrans})
	get("/proc/net/netstat", "TcpExt", map[string]*int64{"TCPMemoryPressures": &c.pressure, "RcvPruned": &c.pruned, "TCPRcvCollapsed": &c.collapsed})
	return c
}

func (c tcpCounters) sub(o tcpCounters) tcpCounters {
	return tcpCounters{c.retrans - o.retrans, c.pressure - o.pressure, c.pruned - o.pruned, c.collapsed - o.collapsed}
}

// trouble reports whether the kernel ran short of TCP memory: then
// connections on loopback stall until retransmission timers fire.
func (c tcpCounters) trouble() bool { return c.pressure > 0 || c.pruned > 0 || c.collapsed > 0 }

func (c tcpCounters) String() string {
	return fmt.Sprintf("tcp (machine): %d retransmitted segments, %d memory pressure, %d pruned, %d collapsed", c.retrans, c.pressure, c.pruned, c.collapsed)
}
