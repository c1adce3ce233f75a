package e2e

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// tmuxPane drives a program in a real terminal: a detached tmux session.
type tmuxPane struct {
	t    *testing.T
	name string
}

func (p *tmuxPane) tmux(args ...string) string {
	p.t.Helper()
	out, err := exec.Command("tmux", args...).CombinedOutput()
	require.NoError(p.t, err, "tmux %v: %s", args, out)
	return string(out)
}

func (p *tmuxPane) keys(keys ...string) {
	p.tmux(append([]string{"send-keys", "-t", p.name}, keys...)...)
}

func (p *tmuxPane) screen() string {
	out, _ := exec.Command("tmux", "capture-pane", "-p", "-t", p.name).CombinedOutput()
	return string(out)
}

// waitFor polls the screen until it shows want n times.
func (p *tmuxPane) waitFor(want string, n int) {
	p.t.Helper()
	eventually(p.t, 20*time.Second, "the terminal shows "+want, func() (bool, string) {
		s := p.screen()
		return strings.Count(s, want) >= n, s
	})
}

// TestShell_RealTerminal runs `jumpgate shell` in a real terminal (tmux):
// the remote PTY has the terminal's size and follows a resize, Ctrl-C
// interrupts the remote foreground job rather than the CLI, and exit ends
// the command.
func TestShell_RealTerminal(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed; make test installs it (hack/install-test-deps.sh)")
	}
	w := newWorld(t)
	p := &tmuxPane{t: t, name: fmt.Sprintf("jg-e2e-%d", time.Now().UnixNano())}
	cmd := append([]string{"env"}, w.admin.env...)
	cmd = append(cmd, w.admin.bin, "shell", w.clientRef())
	p.tmux(append([]string{"new-session", "-d", "-s", p.name, "-x", "100", "-y", "30"}, cmd...)...)
	t.Cleanup(func() { _ = exec.Command("tmux", "kill-session", "-t", p.name).Run() })

	p.waitFor("this shell is recorded", 1)
	p.keys("stty size", "Enter")
	p.waitFor("30 100", 1)
	p.keys("echo tty-$(tty | cut -c1-8)", "Enter")
	p.waitFor("tty-/dev/pts", 1)
	p.tmux("resize-window", "-t", p.name, "-x", "120", "-y", "40")
	p.keys("stty size", "Enter")
	p.waitFor("40 120", 1)
	p.keys("sleep 100", "Enter")
	p.waitFor("sleep 100", 1)
	p.keys("C-c")
	p.keys("echo after-$((40+2))", "Enter")
	p.waitFor("after-42", 1)
	p.keys("exit", "Enter")
	eventually(t, 20*time.Second, "the CLI exits with the shell", func() (bool, string) {
		err := exec.Command("tmux", "has-session", "-t", p.name).Run()
		return err != nil, p.screen()
	})
}
