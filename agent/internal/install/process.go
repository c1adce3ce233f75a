package install

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jumpgate/jumpgate/agent/internal/state"
)

// The pid file protocol: DIR/agent.pid holds the pid of the `run` process
// serving DIR, whoever started it (init-script, systemd, launchd, a
// scheduled task). `run` writes it at start and removes it at exit; the
// init-script and uninstall read it. A pid counts as running only while
// that process is a `run` of this dir, so a stale file never names a
// stranger (checked through /proc where there is one).

// StopTimeout is how long Stop waits after asking the agent to stop before
// it kills it.
const StopTimeout = 10 * time.Second

// BinaryName is the agent binary's name in an install dir on goos.
func BinaryName(goos string) string {
	if goos == "windows" {
		return state.AgentBinary + ".exe"
	}
	return state.AgentBinary
}

// Running returns the pid of the agent serving dir, if one runs.
func Running(dir string) (int, bool) {
	b, err := os.ReadFile(filepath.Join(dir, state.PIDFile))
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, false
	}
	return pid, alive(pid, dir)
}

// ClaimWait is how long ClaimPID waits for another agent serving the same
// dir to exit: an agent that upgraded itself on Windows starts its
// successor before it exits.
const ClaimWait = 5 * time.Second

// ClaimPID records this process as the agent serving dir. It fails if
// another agent still serves it after wait (ClaimWait for `run`). release
// removes the record if it is still this process's.
func ClaimPID(dir string, wait time.Duration) (release func(), err error) {
	self := os.Getpid()
	deadline := time.Now().Add(wait)
	for {
		pid, ok := Running(dir)
		if !ok || pid == self {
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("the agent in %s is already running (pid %d)", dir, pid)
		}
		time.Sleep(100 * time.Millisecond)
	}
	path := filepath.Join(dir, state.PIDFile)
	if err := os.WriteFile(path, []byte(strconv.Itoa(self)+"\n"), 0o644); err != nil {
		return nil, fmt.Errorf("write pid file: %w", err)
	}
	return func() {
		if b, err := os.ReadFile(path); err == nil && strings.TrimSpace(string(b)) == strconv.Itoa(self) {
			_ = os.Remove(path)
		}
	}, nil
}

// Stop stops the agent serving dir: it asks it to stop, waits up to
// timeout, then kills it. It reports whether an agent was running.
func Stop(dir string, timeout time.Duration) (bool, error) {
	pid, ok := Running(dir)
	if !ok {
		_ = os.Remove(filepath.Join(dir, state.PIDFile))
		return false, nil
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return false, nil
	}
	if err := terminate(p); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return true, fmt.Errorf("stop the agent (pid %d): %w", pid, err)
	}
	deadline := time.Now().Add(timeout)
	for alive(pid, dir) {
		if time.Now().After(deadline) {
			_ = p.Kill()
			deadline = time.Now().Add(timeout)
			for alive(pid, dir) && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
			}
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if alive(pid, dir) {
		return true, fmt.Errorf("the agent (pid %d) does not stop", pid)
	}
	_ = os.Remove(filepath.Join(dir, state.PIDFile))
	return true, nil
}

// Start starts `run` for dir in the background, detached from this
// process, appending its output to DIR/agent.log. It is the init-script's
// start for platforms without sh.
func Start(dir string, goos string) (int, error) {
	if pid, ok := Running(dir); ok {
		return pid, nil
	}
	log, err := os.OpenFile(filepath.Join(dir, state.LogFile), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return 0, fmt.Errorf("open the agent log: %w", err)
	}
	defer log.Close()
	cmd := exec.Command(filepath.Join(dir, BinaryName(goos)), "run", "--dir", dir)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = detached()
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("start the agent: %w", err)
	}
	pid := cmd.Process.Pid
	_ = os.WriteFile(filepath.Join(dir, state.PIDFile), []byte(strconv.Itoa(pid)+"\n"), 0o644)
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	// Report only once the agent runs: until the child has exec'd, its
	// command line is still this process's.
	deadline := time.Now().Add(startWait)
	for !alive(pid, dir) {
		select {
		case <-exited:
			return 0, fmt.Errorf("the agent exited at once; see %s", filepath.Join(dir, state.LogFile))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("the agent did not start within %s; see %s", startWait, filepath.Join(dir, state.LogFile))
		}
	}
	return pid, nil
}

// startWait bounds how long Start waits to see the agent running.
const startWait = 5 * time.Second

// isRunOf reports whether argv is a `run` serving dir: it holds "run" and
// --dir dir. The program itself is not checked: an interpreter may come
// first, and an upgrade may have renamed the binary.
func isRunOf(argv []string, dir string) bool {
	hasRun, hasDir := false, false
	for i, a := range argv {
		hasRun = hasRun || a == "run"
		hasDir = hasDir || a == "--dir="+dir || (a == "--dir" && i+1 < len(argv) && argv[i+1] == dir)
	}
	return hasRun && hasDir
}
