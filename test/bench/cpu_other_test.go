//go:build !linux

package bench

import "time"

// cpuSample is empty where the benchmark has no CPU accounting.
type cpuSample struct{}

// cpuUsage is empty where the benchmark has no CPU accounting.
type cpuUsage struct{}

func readCPU() cpuSample                                  { return cpuSample{} }
func (cpuSample) since(cpuSample, time.Duration) cpuUsage { return cpuUsage{} }
func (cpuUsage) procString() string                       { return "-" }
func (cpuUsage) hostString() string                       { return "-" }
func (cpuUsage) perOp(int) (time.Duration, bool)          { return 0, false }
