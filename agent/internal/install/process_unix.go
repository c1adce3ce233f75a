//go:build !windows

package install

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// alive reports whether pid is a running agent serving dir. Where /proc
// exists its command line must say so; elsewhere a signal 0 must reach it.
func alive(pid int, dir string) bool {
	if _, err := os.Stat("/proc/self/cmdline"); err == nil {
		// A command line reads empty for a zombie, and for a moment while
		// a process execs: look again a few times before calling it gone.
		for range 5 {
			b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
			if err != nil {
				return false
			}
			if len(b) > 0 {
				return isRunOf(strings.Split(strings.TrimRight(string(b), "\x00"), "\x00"), dir)
			}
			time.Sleep(50 * time.Millisecond)
		}
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

func terminate(p *os.Process) error { return p.Signal(syscall.SIGTERM) }

func detached() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setsid: true} }
