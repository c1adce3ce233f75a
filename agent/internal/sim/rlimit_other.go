//go:build !unix

package sim

import "errors"

// RaiseFileLimit does nothing where there is no open-file limit to raise.
func RaiseFileLimit() error { return nil }

// FileLimit is not known on this system.
func FileLimit() (soft, hard uint64, err error) {
	return 0, 0, errors.New("no open-file limit on this system")
}
