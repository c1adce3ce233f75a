package state

import (
	"fmt"
	"os"
)

// RemoveInstall removes everything an install made: the files outside the
// install dir that st lists (systemd unit, XDG autostart entry) and the
// install dir itself.
func RemoveInstall(st *State) error {
	for _, f := range st.Install.ExtraFiles {
		if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("remove %s: %w", f, err)
		}
	}
	if st.Install.Dir == "" {
		return fmt.Errorf("agent state names no install dir")
	}
	return os.RemoveAll(st.Install.Dir)
}
