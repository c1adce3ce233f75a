//go:build unix

package session

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// openPartial opens (or creates) a file_put's temporary file, mode 0600.
// An existing one is resumed only when it is a plain file of the agent's
// own with one link: a link planted in a shared directory must not
// redirect the agent's writes, and a file someone else can still write to
// must not become the target after it was verified.
func openPartial(name string) (*os.File, error) {
	// Non-blocking, so that a FIFO planted under the name cannot hold
	// the open.
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0o600)
	if err == nil {
		if ownFile(f) {
			if err := f.Chmod(0o600); err != nil {
				f.Close()
				return nil, err
			}
			return f, nil
		}
		f.Close()
	}
	if err := os.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o600)
}

func ownFile(f *os.File) bool {
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && st.Uid == uint32(os.Geteuid()) && uint64(st.Nlink) == 1 //nolint:unconvert // Nlink is uint16, uint32 or uint64 by platform
}

// openRead opens a file for file_get; non-blocking, so that a FIFO put in
// place of the file after it was checked cannot hold the open.
func openRead(name string) (*os.File, error) {
	return os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}
