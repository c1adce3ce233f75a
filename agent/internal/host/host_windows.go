package host

import (
	"strconv"
	"syscall"
	"time"
	"unsafe"

	"github.com/jumpgate/jumpgate/api/agentproto"
)

var (
	kernel32                        = syscall.NewLazyDLL("kernel32.dll")
	procGetSystemTimes              = kernel32.NewProc("GetSystemTimes")
	procGetTickCount64              = kernel32.NewProc("GetTickCount64")
	procGetDiskFreeSpaceExW         = kernel32.NewProc("GetDiskFreeSpaceExW")
	procWTSGetActiveConsoleSession  = kernel32.NewProc("WTSGetActiveConsoleSessionId")
	wtsapi32                        = syscall.NewLazyDLL("wtsapi32.dll")
	procWTSQuerySessionInformationW = wtsapi32.NewProc("WTSQuerySessionInformationW")
	procWTSFreeMemory               = wtsapi32.NewProc("WTSFreeMemory")
)

const (
	wtsUserName     = 5
	noConsoleSessID = 0xFFFFFFFF
)

// regString reads a string value under HKEY_LOCAL_MACHINE from the 64-bit
// view of the registry; "" when absent.
func regString(path, name string) string {
	p, err := syscall.UTF16PtrFromString(path)
	if err != nil {
		return ""
	}
	var k syscall.Handle
	if syscall.RegOpenKeyEx(syscall.HKEY_LOCAL_MACHINE, p, 0, syscall.KEY_READ|syscall.KEY_WOW64_64KEY, &k) != nil {
		return ""
	}
	defer syscall.RegCloseKey(k)
	n, err := syscall.UTF16PtrFromString(name)
	if err != nil {
		return ""
	}
	var typ, size uint32
	if syscall.RegQueryValueEx(k, n, nil, &typ, nil, &size) != nil || size < 2 {
		return ""
	}
	if typ != syscall.REG_SZ && typ != syscall.REG_EXPAND_SZ {
		return ""
	}
	buf := make([]uint16, size/2+1)
	if syscall.RegQueryValueEx(k, n, nil, &typ, (*byte)(unsafe.Pointer(&buf[0])), &size) != nil {
		return ""
	}
	return syscall.UTF16ToString(buf)
}

func hostID() string {
	return regString(`SOFTWARE\Microsoft\Cryptography`, "MachineGuid")
}

func osName() string {
	const cv = `SOFTWARE\Microsoft\Windows NT\CurrentVersion`
	name := regString(cv, "ProductName")
	build := regString(cv, "CurrentBuild")
	if name == "" {
		name = "Windows"
	}
	// Windows 11 still calls itself "Windows 10" in ProductName; the build
	// number tells them apart.
	if b, err := strconv.Atoi(build); err == nil && b >= 22000 && len(name) >= 10 && name[:10] == "Windows 10" {
		name = "Windows 11" + name[10:]
	}
	if v := regString(cv, "DisplayVersion"); v != "" {
		name += " " + v
	}
	if build != "" {
		name += " (build " + build + ")"
	}
	return name
}

func defaultGateway() string {
	return parseRoutePrint(output("route", "print", "0.0.0.0"))
}

// consoleUser is the user of the session attached to the physical console.
func consoleUser() string {
	if procWTSGetActiveConsoleSession.Find() != nil || procWTSQuerySessionInformationW.Find() != nil {
		return ""
	}
	id, _, _ := procWTSGetActiveConsoleSession.Call()
	if uint32(id) == noConsoleSessID {
		return ""
	}
	var buf *uint16
	var n uint32
	r, _, _ := procWTSQuerySessionInformationW.Call(0, id, wtsUserName, uintptr(unsafe.Pointer(&buf)), uintptr(unsafe.Pointer(&n)))
	if r == 0 || buf == nil {
		return ""
	}
	defer procWTSFreeMemory.Call(uintptr(unsafe.Pointer(buf)))
	chars := unsafe.Slice(buf, n/2)
	return syscall.UTF16ToString(chars)
}

// presence on Windows knows whether a user is at the console; the lock
// state needs the user's desktop, which a per-user session helper could ask.
func presence() agentproto.Presence {
	return agentproto.Presence{UserLoggedIn: consoleUser() != ""}
}

func filetime(ft syscall.Filetime) uint64 {
	return uint64(ft.HighDateTime)<<32 | uint64(ft.LowDateTime)
}

func cpuTimes() (idle, total uint64, ok bool) {
	if procGetSystemTimes.Find() != nil {
		return 0, 0, false
	}
	var i, k, u syscall.Filetime
	r, _, _ := procGetSystemTimes.Call(uintptr(unsafe.Pointer(&i)), uintptr(unsafe.Pointer(&k)), uintptr(unsafe.Pointer(&u)))
	if r == 0 {
		return 0, 0, false
	}
	// Kernel time includes idle time.
	return filetime(i), filetime(k) + filetime(u), true
}

// loadAverage does not exist on Windows.
func loadAverage() (float64, bool) { return 0, false }

func uptime() (time.Duration, bool) {
	if procGetTickCount64.Find() != nil {
		return 0, false
	}
	ms, _, _ := procGetTickCount64.Call()
	return time.Duration(ms) * time.Millisecond, true
}

func diskUsage(dir string) (total, free uint64, ok bool) {
	p, err := syscall.UTF16PtrFromString(dir)
	if err != nil || procGetDiskFreeSpaceExW.Find() != nil {
		return 0, 0, false
	}
	var avail, tot, totFree uint64
	r, _, _ := procGetDiskFreeSpaceExW.Call(uintptr(unsafe.Pointer(p)), uintptr(unsafe.Pointer(&avail)), uintptr(unsafe.Pointer(&tot)), uintptr(unsafe.Pointer(&totFree)))
	if r == 0 {
		return 0, 0, false
	}
	return tot, avail, true
}

// screen is not known on Windows without the user's desktop.
func screen() (string, bool) { return "", false }
