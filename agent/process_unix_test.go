//go:build !windows

package main

import (
	"bytes"
	"fmt"
	"os"
	"syscall"
)

// processAlive reports whether pid runs (a zombie does not count).
func processAlive(pid int) bool {
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		i := bytes.LastIndexByte(b, ')')
		return i < 0 || i+2 >= len(b) || b[i+2] != 'Z'
	} else if _, serr := os.Stat("/proc/self/stat"); serr == nil {
		return false
	}
	return syscall.Kill(pid, 0) == nil
}
