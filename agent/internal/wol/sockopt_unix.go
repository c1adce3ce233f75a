//go:build unix

package wol

import "syscall"

// setBroadcast sets SO_BROADCAST, without which a send to a broadcast
// address fails with EACCES.
func setBroadcast(_, _ string, rc syscall.RawConn) error {
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_BROADCAST, 1)
	}); err != nil {
		return err
	}
	return serr
}
