package upgrade

import (
	"fmt"
	"os"
	"os/exec"
)

// replace swaps tmp in for exe. Windows cannot overwrite or delete a running
// executable but can rename it, so exe moves aside to exe.old first (Cleanup
// deletes it after the restart) and moves back if the swap fails.
func replace(tmp, exe string) error {
	old := exe + ".old"
	_ = os.Remove(old)
	if err := os.Rename(exe, old); err != nil {
		return err
	}
	if err := os.Rename(tmp, exe); err != nil {
		if rerr := os.Rename(old, exe); rerr != nil {
			return fmt.Errorf("%w (and restoring the old binary failed: %v)", err, rerr)
		}
		return err
	}
	return nil
}

// Restart starts exe with args[1:] as a new process and returns; the caller
// must then exit. (A Windows service should instead exit non-zero and let
// the service manager's recovery start the new binary.)
func Restart(exe string, args []string) error {
	var rest []string
	if len(args) > 1 {
		rest = args[1:]
	}
	cmd := exec.Command(exe, rest...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", exe, err)
	}
	return cmd.Process.Release()
}
