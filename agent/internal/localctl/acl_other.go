//go:build !linux

package localctl

import "errors"

// setSocketACL: the agent sets POSIX ACLs on Linux only.
func setSocketACL(string, []int) error { return errors.ErrUnsupported }
