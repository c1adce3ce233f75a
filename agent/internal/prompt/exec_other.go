//go:build !unix

package prompt

import "os/exec"

// inGroup leaves cmd as it is: cancellation kills the process only.
func inGroup(*exec.Cmd) {}
