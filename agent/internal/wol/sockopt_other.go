//go:build !unix && !windows

package wol

import "syscall"

func setBroadcast(_, _ string, _ syscall.RawConn) error { return nil }
