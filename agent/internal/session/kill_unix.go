//go:build unix && !linux

package session

import "syscall"

// killSession kills the process group of session sid's leader; jobs a
// shell put in groups of their own are hung up with the terminal.
func killSession(sid int) {
	_ = syscall.Kill(-sid, syscall.SIGKILL)
}
