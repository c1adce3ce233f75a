//go:build windows

package install

import (
	"os"
	"syscall"
)

// alive reports whether pid is a running process. Windows offers no cheap
// look at another process's command line, so a reused pid is not detected.
func alive(pid int, _ string) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	_ = p.Release()
	return true
}

// terminate kills p: Windows has no signal a console-less process could
// catch to stop cleanly.
func terminate(p *os.Process) error { return p.Kill() }

const (
	createNewProcessGroup = 0x00000200
	detachedProcess       = 0x00000008
)

func detached() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{HideWindow: true, CreationFlags: createNewProcessGroup | detachedProcess}
}
