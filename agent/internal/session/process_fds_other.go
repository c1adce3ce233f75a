//go:build unix && !linux

package session

import "errors"

// closeRangeCloexec: no close_range here; closeInherited lists /dev/fd.
func closeRangeCloexec() error { return errors.ErrUnsupported }
