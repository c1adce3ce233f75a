package install

import "os"

// ownedByMe reports whether path exists. Windows installs are protected by
// their dir's ACL (SYSTEM and Administrators for system scope, the user's
// profile for user scope), which only those who could read the key anyway
// can write.
func ownedByMe(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}
