package host

import (
	"slices"
	"sync"
	"time"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
)

// cpuPrimeDelay is how long the first CPU sample watches the counters, so
// that even the first report shows current use rather than the average
// since boot.
const cpuPrimeDelay = 250 * time.Millisecond

// Sampler takes the statistics a Jump Client reports. CPU use is measured
// between consecutive samples, so keep one Sampler for the agent's life. It
// is safe for concurrent use.
type Sampler struct {
	// Dir is the install dir; the disk statistic is of its file system.
	Dir string

	mu        sync.Mutex
	primed    bool
	lastIdle  uint64
	lastTotal uint64
	last      *float64
}

// Sample returns the statistics named in selected (api.StatCPU, StatDisk, …)
// and only those; a statistic this OS cannot measure stays nil.
func (s *Sampler) Sample(selected []string) agentproto.Stats {
	st := agentproto.Stats{ReportedAt: time.Now().UTC()}
	if slices.Contains(selected, api.StatCPU) {
		st.CPUPercent = s.cpuPercent()
		if l, ok := loadAverage(); ok {
			st.LoadAverage = &l
		}
	}
	if slices.Contains(selected, api.StatConsoleUser) {
		u := ConsoleUser()
		st.ConsoleUser = &u
	}
	if slices.Contains(selected, api.StatDisk) && s.Dir != "" {
		if total, free, ok := diskUsage(s.Dir); ok {
			st.DiskTotalBytes, st.DiskFreeBytes = &total, &free
		}
	}
	if slices.Contains(selected, api.StatScreen) {
		if sc, ok := screen(); ok {
			st.Screen = &sc
		}
	}
	if slices.Contains(selected, api.StatUptime) {
		if up, ok := uptime(); ok {
			secs := int64(up / time.Second)
			st.UptimeSeconds = &secs
		}
	}
	return st
}

// cpuPercent is the busy share of all CPUs since the previous sample.
func (s *Sampler) cpuPercent() *float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.primed {
		idle, total, ok := cpuTimes()
		if !ok {
			return nil
		}
		s.lastIdle, s.lastTotal, s.primed = idle, total, true
		time.Sleep(cpuPrimeDelay)
	}
	idle, total, ok := cpuTimes()
	if !ok {
		return nil
	}
	p, ok := busyPercent(s.lastIdle, s.lastTotal, idle, total)
	if !ok {
		// The counters did not move (samples too close together): the
		// previous figure is still the latest one.
		if s.last == nil {
			return nil
		}
		v := *s.last
		return &v
	}
	s.lastIdle, s.lastTotal, s.last = idle, total, &p
	v := p
	return &v
}

// busyPercent computes the busy share between two counter readings; false
// when no time passed or a counter went backwards.
func busyPercent(idle0, total0, idle1, total1 uint64) (float64, bool) {
	if total1 <= total0 || idle1 < idle0 {
		return 0, false
	}
	dt, di := total1-total0, idle1-idle0
	if di > dt {
		return 0, false
	}
	p := 100 * float64(dt-di) / float64(dt)
	return float64(int64(p*10+0.5)) / 10, true
}
