//go:build !linux && !darwin && !windows

package host

import (
	"time"

	"github.com/jumpgate/jumpgate/api/agentproto"
)

func hostID() string                                     { return "" }
func osName() string                                     { return "" }
func defaultGateway() string                             { return "" }
func consoleUser() string                                { return "" }
func presence() agentproto.Presence                      { return agentproto.Presence{} }
func cpuTimes() (idle, total uint64, ok bool)            { return 0, 0, false }
func loadAverage() (float64, bool)                       { return 0, false }
func uptime() (time.Duration, bool)                      { return 0, false }
func diskUsage(dir string) (total, free uint64, ok bool) { return 0, 0, false }
func screen() (string, bool)                             { return "", false }
