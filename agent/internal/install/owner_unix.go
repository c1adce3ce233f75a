//go:build !windows

package install

import (
	"os"
	"syscall"
)

// ownedByMe reports whether path exists, belongs to this process's
// effective user and is writable by no one else.
func ownedByMe(path string) bool {
	fi, err := os.Lstat(path)
	if err != nil {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Geteuid() && fi.Mode().Perm()&0o022 == 0
}
