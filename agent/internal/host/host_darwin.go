package host

import (
	"encoding/binary"
	"os"
	"os/user"
	"strconv"
	"syscall"
	"time"

	"github.com/jumpgate/jumpgate/api/agentproto"
)

func hostID() string {
	return parseIoregUUID(output("ioreg", "-rd1", "-c", "IOPlatformExpertDevice"))
}

func osName() string {
	kv := keyValues(output("sw_vers"), ":")
	name := kv["ProductName"]
	if name == "" {
		return "macOS"
	}
	if v := kv["ProductVersion"]; v != "" {
		name += " " + v
	}
	if b := kv["BuildVersion"]; b != "" {
		name += " (" + b + ")"
	}
	return name
}

func defaultGateway() string {
	return parseRouteGetGateway(output("route", "-n", "get", "default"))
}

// consoleUser is the owner of /dev/console: the user at the login session
// of the physical display; root while the login window shows.
func consoleUser() string {
	fi, err := os.Stat("/dev/console")
	if err != nil {
		return ""
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || st.Uid == 0 {
		return ""
	}
	u, err := user.LookupId(strconv.FormatUint(uint64(st.Uid), 10))
	if err != nil {
		return ""
	}
	return u.Username
}

// presence on macOS knows only whether a user owns the console; the lock
// state needs the window server, which a per-user session helper could ask.
func presence() agentproto.Presence {
	return agentproto.Presence{UserLoggedIn: consoleUser() != ""}
}

// cpuTimes is not available without cgo (host_processor_info); the CPU
// statistic carries only the load average on macOS.
func cpuTimes() (idle, total uint64, ok bool) { return 0, 0, false }

// sysctlRaw reads a binary sysctl value, restoring the trailing NUL byte
// that syscall.Sysctl strips from what it takes for a string.
func sysctlRaw(name string, size int) []byte {
	s, err := syscall.Sysctl(name)
	if err != nil || len(s) > size || len(s) < size-1 {
		return nil
	}
	b := make([]byte, size)
	copy(b, s)
	return b
}

func loadAverage() (float64, bool) {
	// struct loadavg { fixpt_t ldavg[3]; long fscale; } (64-bit: 24 bytes).
	b := sysctlRaw("vm.loadavg", 24)
	if b == nil {
		return 0, false
	}
	fscale := binary.LittleEndian.Uint64(b[16:])
	if fscale == 0 {
		return 0, false
	}
	return float64(binary.LittleEndian.Uint32(b[0:])) / float64(fscale), true
}

func uptime() (time.Duration, bool) {
	// struct timeval { time_t tv_sec; suseconds_t tv_usec; } (16 bytes).
	b := sysctlRaw("kern.boottime", 16)
	if b == nil {
		return 0, false
	}
	boot := time.Unix(int64(binary.LittleEndian.Uint64(b)), 0)
	if boot.Unix() <= 0 {
		return 0, false
	}
	return time.Since(boot), true
}

// screen is not known on macOS without the window server.
func screen() (string, bool) { return "", false }
