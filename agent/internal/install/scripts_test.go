package install

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/agent/internal/state"
)

func TestQuoting(t *testing.T) {
	tests := []struct {
		name string
		fn   func(string) string
		in   string
		want string
	}{
		{"sh plain", shQuote, "/opt/jumpgate/x", `'/opt/jumpgate/x'`},
		{"sh quote", shQuote, "/tmp/it's", `'/tmp/it'\''s'`},
		{"systemd", systemdQuote, `/a b/%h/$X/"q"\`, `"/a b/%%h/$$X/\"q\"\\"`},
		{"desktop plain", desktopQuote, "/home/u/.local/x/init-script", "/home/u/.local/x/init-script"},
		{"desktop spaces", desktopQuote, "/home/u/my dir/init-script", `"/home/u/my dir/init-script"`},
		{"desktop specials", desktopQuote, `/a$b"c%d`, `"/a\\$b\\"c%%d"`},
		{"xml", xmlText, "/a&b<c>", "/a&amp;b&lt;c&gt;"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.fn(tt.in))
		})
	}
}

func TestSystemdUnit(t *testing.T) {
	d := scriptData{ID: "abc", Dir: "/opt/jumpgate/abc", Bin: "/opt/jumpgate/abc/jumpgate-agent", System: true}
	unit := string(render(systemdUnit, d))
	for _, line := range []string{
		"Type=simple",
		`ExecStart="/opt/jumpgate/abc/jumpgate-agent" run --dir "/opt/jumpgate/abc"`,
		"Restart=on-failure",
		"RestartSec=5",
		"LimitNOFILE=65536",
		"WantedBy=multi-user.target",
	} {
		assert.Contains(t, unit, line+"\n")
	}
	d.System = false
	unit = string(render(systemdUnit, d))
	assert.Contains(t, unit, "WantedBy=default.target\n")
	assert.NotContains(t, unit, "network-online")
}

// fakeAgent writes a stand-in for the agent binary into dir: a shell
// script whose command line names dir, as `run --dir DIR` does, and which
// exits on TERM; `service enrollment` (the init-script's status asks it)
// reports an enrolled agent.
func fakeAgent(t *testing.T, dir string, ignoreTerm bool) {
	t.Helper()
	trap := "trap 'exit 0' TERM"
	if ignoreTerm {
		trap = "trap '' TERM"
	}
	script := "#!/bin/sh\n" + `if [ "$1 $2" = "service enrollment" ]; then echo "enrolled: fake"; exit 0; fi` + "\n" +
		trap + "\nwhile :; do sleep 0.05; done\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, state.AgentBinary), []byte(script), 0o755))
}

func runScript(t *testing.T, shell, path string, arg string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, shell, path, arg).CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return strings.TrimSpace(string(out)), code
}

// TestInitScript drives the generated init-script, in a dir whose name
// needs quoting, against a stand-in agent.
func TestInitScript(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the init-script is POSIX sh")
	}
	tests := []struct {
		name       string
		shell      string
		ignoreTerm bool
	}{
		{name: "stops on TERM", shell: "/bin/sh"},
		{name: "stops on TERM, bash", shell: "bash"},
		{name: "killed when it ignores TERM", shell: "/bin/sh", ignoreTerm: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := exec.LookPath(tt.shell); err != nil {
				t.Skipf("no %s here", tt.shell)
			}
			if tt.ignoreTerm && testing.Short() {
				t.Skip("waits the 10 s stop timeout")
			}
			dir := filepath.Join(t.TempDir(), "it's a dir")
			require.NoError(t, os.Mkdir(dir, 0o755))
			fakeAgent(t, dir, tt.ignoreTerm)
			st := &state.State{InstallerID: "x", Install: state.Install{Dir: dir, Scope: ScopeUser, Startup: StartupNone}}
			require.NoError(t, writeScripts(dir, runtime.GOOS, st))
			script := filepath.Join(dir, state.InitScript)
			t.Cleanup(func() { _, _ = Stop(dir, time.Second) })

			out, code := runScript(t, tt.shell, script, "status")
			assert.Equal(t, 3, code)
			assert.Equal(t, "stopped\nenrolled: fake", out)

			out, code = runScript(t, tt.shell, script, "start")
			require.Equal(t, 0, code, out)
			assert.Contains(t, out, "started (pid ")
			pid, ok := Running(dir)
			require.True(t, ok, "the pid file names the started agent")

			out, code = runScript(t, tt.shell, script, "status")
			assert.Equal(t, 0, code)
			assert.Equal(t, "running (pid "+itoa(pid)+")\nenrolled: fake", out)

			out, code = runScript(t, tt.shell, script, "start")
			assert.Equal(t, 0, code)
			assert.Equal(t, "already running (pid "+itoa(pid)+")", out)

			out, code = runScript(t, tt.shell, script, "stop")
			assert.Equal(t, 0, code, out)
			assert.Equal(t, "stopped", out)
			_, ok = Running(dir)
			assert.False(t, ok)
			assert.NoFileExists(t, filepath.Join(dir, state.PIDFile))

			out, code = runScript(t, tt.shell, script, "bogus")
			assert.Equal(t, 2, code)
			assert.Contains(t, out, "usage:")
		})
	}
}

// TestStop drives the Go side of the pid file protocol: Start, Running,
// ClaimPID and Stop; and a stale pid file naming another process.
func TestStop(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("uses a shell script as the agent")
	}
	dir := t.TempDir()
	fakeAgent(t, dir, false)
	t.Cleanup(func() { _, _ = Stop(dir, time.Second) })

	stopped, err := Stop(dir, time.Second)
	require.NoError(t, err)
	assert.False(t, stopped)

	pid, err := Start(dir, runtime.GOOS)
	require.NoError(t, err)
	got, ok := Running(dir)
	require.True(t, ok)
	assert.Equal(t, pid, got)
	_, err = ClaimPID(dir, 100*time.Millisecond)
	assert.ErrorContains(t, err, "is already running (pid "+itoa(pid)+")")

	stopped, err = Stop(dir, 5*time.Second)
	require.NoError(t, err)
	assert.True(t, stopped)
	_, ok = Running(dir)
	assert.False(t, ok)

	// A pid file naming a live process that is not this dir's agent (this
	// test) is stale, and Stop leaves that process alone.
	require.NoError(t, os.WriteFile(filepath.Join(dir, state.PIDFile), []byte(itoa(os.Getpid())), 0o644))
	if runtime.GOOS == "linux" {
		_, ok = Running(dir)
		assert.False(t, ok)
		stopped, err = Stop(dir, time.Second)
		require.NoError(t, err)
		assert.False(t, stopped)
	}

	release, err := ClaimPID(dir, 0)
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(dir, state.PIDFile))
	require.NoError(t, err)
	assert.Equal(t, itoa(os.Getpid()), strings.TrimSpace(string(b)))
	release()
	assert.NoFileExists(t, filepath.Join(dir, state.PIDFile))
}

func itoa(i int) string { return strconv.Itoa(i) }
