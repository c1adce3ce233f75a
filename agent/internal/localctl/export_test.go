package localctl

import "testing"

// WithoutACL makes a root agent's socket fall back to mode 0666 (as on a
// file system without ACLs) until the test ends, so that the check of
// every connection can be seen on its own.
func WithoutACL(t *testing.T) {
	noACL = true
	t.Cleanup(func() { noACL = false })
}
