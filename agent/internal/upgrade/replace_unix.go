//go:build !windows

package upgrade

import (
	"os"
	"syscall"
)

// replace renames tmp over exe: atomic, and the running process keeps its
// (now unlinked) file.
func replace(tmp, exe string) error {
	return os.Rename(tmp, exe)
}

// Restart replaces the process with exe (args[0] is the program name, as
// in os.Args). It returns only on failure.
func Restart(exe string, args []string) error {
	if len(args) == 0 {
		args = []string{exe}
	}
	return syscall.Exec(exe, args, os.Environ())
}
