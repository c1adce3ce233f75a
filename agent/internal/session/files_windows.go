package session

import (
	"errors"
	"io/fs"
	"os"
)

// openPartial opens (or creates) a file_put's temporary file. An existing
// one is resumed only when it is a plain file, not a link.
func openPartial(name string) (*os.File, error) {
	if fi, err := os.Lstat(name); err == nil && !fi.Mode().IsRegular() {
		if err := os.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	return os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
}

// openRead opens a file for file_get.
func openRead(name string) (*os.File, error) { return os.Open(name) }
