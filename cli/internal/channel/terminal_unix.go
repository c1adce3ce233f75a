//go:build !windows

package channel

import (
	"os"
	"os/signal"
	"syscall"
)

// sizeChanges ticks on SIGWINCH until stopped.
func sizeChanges() (<-chan struct{}, func()) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGWINCH)
	return tick(sig), func() { signal.Stop(sig); close(sig) }
}
