package session

import (
	"encoding/binary"
	"strings"
	"syscall"

	"github.com/jumpgate/jumpgate/agent/internal/host"
	"github.com/jumpgate/jumpgate/api/sessionproto"
)

// osSysInfo fills what macOS tells through sysctl without cgo.
func osSysInfo(si *sessionproto.SysInfo) {
	if v, err := syscall.Sysctl("kern.osrelease"); err == nil {
		si.Kernel = strings.TrimSpace(v)
	}
	if v, err := syscall.Sysctl("machdep.cpu.brand_string"); err == nil {
		si.CPUModel = strings.TrimSpace(v)
	}
	// hw.memsize is a uint64; Sysctl takes it for a string and drops a
	// trailing NUL byte, which the padding restores.
	if v, err := syscall.Sysctl("hw.memsize"); err == nil && len(v) >= 7 && len(v) <= 8 {
		b := make([]byte, 8)
		copy(b, v)
		si.MemTotalBytes = binary.LittleEndian.Uint64(b)
	}
	if total, free, ok := host.DiskUsage("/"); ok {
		si.Disks = append(si.Disks, sessionproto.DiskInfo{Mount: "/", TotalBytes: total, FreeBytes: free})
	}
}
