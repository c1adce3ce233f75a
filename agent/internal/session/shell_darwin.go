package session

import (
	"context"
	"os/exec"
	"strings"
	"time"
)

// osLoginShell asks Directory Services, where macOS keeps its users (its
// /etc/passwd lists only system accounts).
func osLoginShell(name string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "dscl", ".", "-read", "/Users/"+name, "UserShell").Output()
	if err != nil {
		return ""
	}
	_, sh, ok := strings.Cut(strings.TrimSpace(string(out)), ":")
	if !ok {
		return ""
	}
	return strings.TrimSpace(sh)
}
