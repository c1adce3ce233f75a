//go:build linux || darwin

package host

import "syscall"

// diskUsage returns the size and the space available to unprivileged users
// of the file system holding dir.
func diskUsage(dir string) (total, free uint64, ok bool) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, 0, false
	}
	bs := uint64(st.Bsize) //nolint:unconvert // int64, int32 or uint32 by platform
	return st.Blocks * bs, st.Bavail * bs, true
}
