package install

import "os"

// ownedByMe reports whether path exists. Windows has no such owner check
// here: findPredecessor looks only in the scope's default parent there,
// which only administrators (system scope, Program Files, and the install's
// own ACL) or the user (user scope, the profile) can write.
func ownedByMe(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}
