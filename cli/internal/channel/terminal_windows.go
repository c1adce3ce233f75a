//go:build windows

package channel

import "time"

// sizeChanges ticks twice a second until stopped: Windows consoles have no
// resize signal, so the caller compares sizes.
func sizeChanges() (<-chan struct{}, func()) {
	out := make(chan struct{}, 1)
	stop := make(chan struct{})
	go func() {
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				select {
				case out <- struct{}{}:
				default:
				}
			case <-stop:
				return
			}
		}
	}()
	return out, func() { close(stop) }
}
