package session

import (
	"math"

	"golang.org/x/sys/unix"
)

// closeRangeCloexec marks descriptors 3 and up close-on-exec in one call
// (close_range(2), Linux 5.11).
func closeRangeCloexec() error {
	return unix.CloseRange(3, math.MaxUint32, unix.CLOSE_RANGE_CLOEXEC)
}
