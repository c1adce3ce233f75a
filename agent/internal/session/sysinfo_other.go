//go:build !linux && !darwin && !windows

package session

import "github.com/jumpgate/jumpgate/api/sessionproto"

// osSysInfo knows nothing more on this OS.
func osSysInfo(*sessionproto.SysInfo) {}
