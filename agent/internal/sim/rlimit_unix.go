//go:build unix

package sim

import (
	"fmt"
	"syscall"
)

// RaiseFileLimit raises this process's soft limit on open files to its hard
// limit (the Go runtime does this too, since Go 1.19; doing it here makes
// the benchmark independent of that) and returns an error when it cannot.
func RaiseFileLimit() error {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return fmt.Errorf("read the open-file limit: %w", err)
	}
	if l.Cur >= l.Max {
		return nil
	}
	l.Cur = l.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return fmt.Errorf("raise the open-file limit to %d: %w", l.Max, err)
	}
	return nil
}

// FileLimit returns this process's soft and hard limits on open files.
func FileLimit() (soft, hard uint64, err error) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, 0, err
	}
	return uint64(l.Cur), uint64(l.Max), nil
}
