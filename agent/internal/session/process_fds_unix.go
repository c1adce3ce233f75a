//go:build unix

package session

import (
	"fmt"
	"os"
	"runtime"
	"strconv"

	"golang.org/x/sys/unix"
)

// closeInherited marks every file descriptor above standard error
// close-on-exec, so that no descriptor the agent inherited from whatever
// started it (a shell, a service manager, an installer) passes into a
// session's process, which may run as another user: Go opens its own
// descriptors close-on-exec, but leaves inherited ones as they came. A
// process still gets its stdin, stdout and stderr (its pipes or its PTY),
// which exec.Cmd duplicates into 0–2 in the child.
func closeInherited() error {
	if err := closeRangeCloexec(); err == nil {
		return nil
	}
	// Before Linux 5.11, and elsewhere: every open descriptor, one by one.
	dir := "/dev/fd"
	if runtime.GOOS == "linux" {
		dir = "/proc/self/fd"
	}
	return cloexecListed(dir)
}

// cloexecListed marks close-on-exec every descriptor above 2 listed in dir
// (/proc/self/fd, /dev/fd).
func cloexecListed(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("list the agent's open descriptors: %w", err)
	}
	for _, e := range ents {
		fd, err := strconv.Atoi(e.Name())
		if err != nil || fd <= 2 {
			continue
		}
		flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		if err != nil {
			// Closed since the listing (the listing's own descriptor).
			continue
		}
		if flags&unix.FD_CLOEXEC == 0 {
			if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, flags|unix.FD_CLOEXEC); err != nil {
				return fmt.Errorf("mark descriptor %d close-on-exec: %w", fd, err)
			}
		}
	}
	return nil
}
