package host

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jumpgate/jumpgate/api/agentproto"
)

const logindSessionsDir = "/run/systemd/sessions"

func hostID() string {
	for _, p := range []string{"/etc/machine-id", "/var/lib/dbus/machine-id"} {
		if b, err := os.ReadFile(p); err == nil {
			if id := strings.TrimSpace(string(b)); id != "" && id != "uninitialized" {
				return id
			}
		}
	}
	return ""
}

func osName() string {
	name := ""
	for _, p := range []string{"/etc/os-release", "/usr/lib/os-release"} {
		if b, err := os.ReadFile(p); err == nil {
			name = parseOSRelease(string(b))
			break
		}
	}
	if name == "" {
		name = "Linux"
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		name += "; Linux " + strings.TrimSpace(string(b))
	}
	return name
}

func defaultGateway() string {
	b, err := os.ReadFile("/proc/net/route")
	if err != nil {
		return ""
	}
	return parseProcNetRoute(string(b))
}

// logins returns the live utmp logins.
func logins() []utmpEntry {
	var b []byte
	for _, p := range []string{"/run/utmp", "/var/run/utmp"} {
		var err error
		if b, err = os.ReadFile(p); err == nil {
			break
		}
	}
	return utmpUsers(parseUtmp(b), pidAlive)
}

func pidAlive(pid int32) bool {
	if _, err := os.Stat("/proc/self"); err != nil {
		return true // no /proc: cannot tell, trust utmp
	}
	_, err := os.Stat("/proc/" + strconv.Itoa(int(pid)))
	return err == nil
}

func consoleUser() string {
	users := logins()
	for _, e := range users {
		if e.console() {
			return e.User
		}
	}
	if s, ok := seatSession(readLogindSessions(logindSessionsDir)); ok {
		return s.User
	}
	return utmpConsoleUser(users)
}

func presence() agentproto.Presence {
	sessions := readLogindSessions(logindSessionsDir)
	p := agentproto.Presence{UserLoggedIn: utmpLocalLogin(logins()) || logindLocalLogin(sessions)}
	if s, ok := seatSession(sessions); ok {
		p.ScreenLocked = lockedHint(s.ID)
	}
	return p
}

// lockedHint asks logind whether the session's screen is locked; nil when
// loginctl is missing or does not say.
func lockedHint(id string) *bool {
	if _, err := exec.LookPath("loginctl"); err != nil {
		return nil
	}
	v := output("loginctl", "show-session", id, "-p", "LockedHint", "--value")
	switch v {
	case "yes":
		t := true
		return &t
	case "no":
		f := false
		return &f
	}
	return nil
}

func cpuTimes() (idle, total uint64, ok bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, false
	}
	return parseProcStatCPU(string(b))
}

func loadAverage() (float64, bool) {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0, false
	}
	return firstFloat(string(b))
}

func uptime() (time.Duration, bool) {
	b, err := os.ReadFile("/proc/uptime")
	if err != nil {
		return 0, false
	}
	s, ok := firstFloat(string(b))
	return time.Duration(s * float64(time.Second)), ok
}

// screen describes the graphical session: the agent's own display when it
// runs inside one, else the seat's session, else a running X server, else
// headless.
func screen() (string, bool) {
	if os.Getenv("WAYLAND_DISPLAY") != "" {
		return "wayland", true
	}
	if d := os.Getenv("DISPLAY"); d != "" {
		return "x11 " + d, true
	}
	if s, ok := seatSession(readLogindSessions(logindSessionsDir)); ok {
		switch s.Type {
		case "wayland":
			return "wayland", true
		case "x11":
			if s.Display != "" {
				return "x11 " + s.Display, true
			}
			return "x11", true
		}
	}
	if m, _ := filepath.Glob("/tmp/.X11-unix/X*"); len(m) > 0 {
		return "x11 :" + strings.TrimPrefix(filepath.Base(m[0]), "X"), true
	}
	return "headless", true
}
