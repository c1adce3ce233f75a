package session

import (
	"os"
	"syscall"
	"unsafe"

	"github.com/jumpgate/jumpgate/agent/internal/host"
	"github.com/jumpgate/jumpgate/api/sessionproto"
)

var (
	kernel32                 = syscall.NewLazyDLL("kernel32.dll")
	procGlobalMemoryStatusEx = kernel32.NewProc("GlobalMemoryStatusEx")
	procGetLogicalDrives     = kernel32.NewProc("GetLogicalDrives")
	procGetDriveTypeW        = kernel32.NewProc("GetDriveTypeW")
)

// driveFixed is GetDriveType's DRIVE_FIXED.
const driveFixed = 3

// memoryStatusEx is MEMORYSTATUSEX.
type memoryStatusEx struct {
	Length               uint32
	MemoryLoad           uint32
	TotalPhys            uint64
	AvailPhys            uint64
	TotalPageFile        uint64
	AvailPageFile        uint64
	TotalVirtual         uint64
	AvailVirtual         uint64
	AvailExtendedVirtual uint64
}

// osSysInfo fills what Windows tells through kernel32.
func osSysInfo(si *sessionproto.SysInfo) {
	si.CPUModel = os.Getenv("PROCESSOR_IDENTIFIER")
	if procGlobalMemoryStatusEx.Find() == nil {
		ms := memoryStatusEx{}
		ms.Length = uint32(unsafe.Sizeof(ms))
		if r, _, _ := procGlobalMemoryStatusEx.Call(uintptr(unsafe.Pointer(&ms))); r != 0 {
			si.MemTotalBytes, si.MemFreeBytes = ms.TotalPhys, ms.AvailPhys
		}
	}
	if procGetLogicalDrives.Find() != nil || procGetDriveTypeW.Find() != nil {
		return
	}
	mask, _, _ := procGetLogicalDrives.Call()
	for i := 2; i < 26; i++ { // A: and B: are floppies, which may prompt.
		if mask&(1<<i) == 0 {
			continue
		}
		root := string(rune('A'+i)) + `:\`
		p, err := syscall.UTF16PtrFromString(root)
		if err != nil {
			continue
		}
		if t, _, _ := procGetDriveTypeW.Call(uintptr(unsafe.Pointer(p))); t != driveFixed {
			continue
		}
		if total, free, ok := host.DiskUsage(root); ok {
			si.Disks = append(si.Disks, sessionproto.DiskInfo{Mount: root, TotalBytes: total, FreeBytes: free})
		}
	}
}
