//go:build !unix && !windows

package app

import "os"

// tryLock cannot lock on this system: the data dir is not protected.
func tryLock(*os.File) (bool, error) { return false, nil }

func unlock(*os.File) error { return nil }
