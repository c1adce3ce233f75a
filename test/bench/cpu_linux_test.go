package bench

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cpuSample is a reading of this process's CPU time and of the machine's
// busy and total time (in clock ticks of /proc/stat).
type cpuSample struct {
	proc        time.Duration
	procOK      bool
	busy, total uint64
	hostOK      bool
}

// cpuUsage is the CPU used during a measurement, in cores (1.0 = one core busy).
type cpuUsage struct {
	proc, host     float64
	procTime       time.Duration
	procOK, hostOK bool
}

func readCPU() cpuSample {
	var s cpuSample
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		s.proc = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		s.procOK = true
	}
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return s
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return s
	}
	for i, v := range f[1:] {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return s
		}
		// user nice system idle iowait irq softirq steal [guest guest_nice]:
		// guest time is already counted in user, and idle and iowait are not busy.
		if i >= 8 {
			break
		}
		s.total += n
		if i != 3 && i != 4 {
			s.busy += n
		}
	}
	s.hostOK = true
	return s
}

func (s cpuSample) since(old cpuSample, wall time.Duration) cpuUsage {
	var u cpuUsage
	if s.procOK && old.procOK && wall > 0 {
		u.procTime = s.proc - old.proc
		u.proc, u.procOK = float64(u.procTime)/float64(wall), true
	}
	if s.hostOK && old.hostOK && s.total > old.total {
		u.host, u.hostOK = float64(s.busy-old.busy)/float64(s.total-old.total)*float64(runtime.NumCPU()), true
	}
	return u
}

func (u cpuUsage) procString() string { return percent(u.proc, u.procOK) }
func (u cpuUsage) hostString() string { return percent(u.host, u.hostOK) }

// perOp is this process's CPU time per operation.
func (u cpuUsage) perOp(ops int) (time.Duration, bool) {
	if !u.procOK || ops == 0 {
		return 0, false
	}
	return u.procTime / time.Duration(ops), true
}

func percent(cores float64, ok bool) string {
	if !ok {
		return "-"
	}
	return fmt.Sprintf("%.0f%%", 100*cores)
}
