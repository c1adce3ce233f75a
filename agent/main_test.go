package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/agent/internal/conn/conntest"
	"github.com/jumpgate/jumpgate/agent/internal/install"
	"github.com/jumpgate/jumpgate/agent/internal/install/installtest"
	"github.com/jumpgate/jumpgate/agent/internal/state"
	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/api/keyinfo"
)

// testVersion is the version the test build is stamped with.
const testVersion = "9.8.7-test"

// agentBuild is the jumpgate-agent built once for this test binary.
var agentBuild string

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "jumpgate-agent-build-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	agentBuild = filepath.Join(dir, install.BinaryName(runtime.GOOS))
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-X github.com/jumpgate/jumpgate/api.Version="+testVersion, "-o", agentBuild, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build jumpgate-agent: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// endpoint is a pretend machine: a HOME of its own, so that installs never
// touch the real user's files, and an appliance identity that signs its
// installers.
type endpoint struct {
	t    *testing.T
	home string
	app  *installtest.Appliance
	env  []string
}

func newEndpoint(t *testing.T) *endpoint {
	if runtime.GOOS == "windows" {
		t.Skip("installs are driven through POSIX sh scripts")
	}
	home := t.TempDir()
	env := []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"HTTPS_PROXY=", "https_proxy=", "NO_PROXY=*"}
	return &endpoint{t: t, home: home, app: installtest.NewAppliance(t, "https://"+closedAddr(t)), env: env}
}

// closedAddr returns a loopback address where nothing listens.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// installer writes an installer of kind carrying keyInfo ("" for generic).
func (e *endpoint) installer(kind, keyInfo string) string {
	e.t.Helper()
	path := filepath.Join(e.t.TempDir(), "jumpgate-jc-test")
	installtest.WriteInstaller(e.t, agentBuild, e.app.Manifest(kind, keyInfo), path)
	return path
}

type result struct {
	stdout, stderr string
	code           int
	took           time.Duration
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// run runs a program on the endpoint.
func (e *endpoint) run(name string, args ...string) result {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = e.env
	cmd.Dir = e.home
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String(), took: time.Since(start)}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		e.t.Fatalf("run %s: %v", name, err)
	}
	return r
}

// userInstall runs installer with --scope user --startup none --install-dir
// dir and args.
func (e *endpoint) userInstall(installer, dir string, args ...string) result {
	e.t.Helper()
	return e.run(installer, append([]string{"--scope", "user", "--startup", "none", "--install-dir", dir}, args...)...)
}

// stopOnCleanup stops an agent started in dir when the test ends.
func (e *endpoint) stopOnCleanup(dir string) {
	e.t.Cleanup(func() {
		if _, err := os.Stat(dir); err == nil {
			_, _ = install.Stop(dir, 5*time.Second)
		}
	})
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if assert.NoError(t, err) {
		assert.Equal(t, want, fi.Mode().Perm(), "mode of %s", path)
	}
}

func assertGone(t *testing.T, paths ...string) {
	t.Helper()
	for _, p := range paths {
		_, err := os.Lstat(p)
		assert.True(t, os.IsNotExist(err), "%s must not exist (err %v)", p, err)
	}
}

func TestVersion(t *testing.T) {
	e := newEndpoint(t)
	r := e.run(agentBuild, "version")
	require.Equal(t, 0, r.code, r)
	assert.Equal(t, testVersion+"\n", r.stdout, "version prints the version alone")
	// An installer answers version too: the subcommand wins over install.
	r = e.run(e.installer(keyinfo.KindJumpClient, ""), "version")
	assert.Equal(t, testVersion+"\n", r.stdout)
}

func TestCommandLine(t *testing.T) {
	e := newEndpoint(t)
	tests := []struct {
		name     string
		args     []string
		code     int
		stdout   string
		stderr   string
		noOutput bool
	}{
		{name: "no args on a plain build prints help", code: 0, stdout: "Available Commands:"},
		{name: "help", args: []string{"help"}, code: 0, stdout: "uninstall"},
		{name: "unknown command", args: []string{"frobnicate"}, code: 2, stderr: `unknown command or argument "frobnicate"`},
		{name: "unknown flag", args: []string{"run", "--bogus"}, code: 2, stderr: "unknown flag: --bogus"},
		{name: "install --help", args: []string{"install", "--help"}, code: 0, stdout: "--jc-max-offline-minutes N"},
		{name: "install usage error", args: []string{"install", "--scope", "galaxy"}, code: 2, stderr: "--scope must be system or user"},
		{name: "a plain build is not an installer", args: []string{"install", "--scope", "user"}, code: 1, stderr: "this agent binary is not an installer; download one from the appliance"},
		{name: "uninstall of nothing", args: []string{"uninstall", "--dir", "/nonexistent/jc"}, code: 1, stderr: "no agent is installed in /nonexistent/jc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.run(agentBuild, tt.args...)
			assert.Equal(t, tt.code, r.code, r)
			assert.Contains(t, r.stdout, tt.stdout)
			assert.Contains(t, r.stderr, tt.stderr)
		})
	}
}

// TestInstaller_Installs runs a real installer (no subcommand, as a user
// runs a download) and checks every file it writes.
func TestInstaller_Installs(t *testing.T) {
	e := newEndpoint(t)
	ki := e.app.KeyInfo(t, keyinfo.Payload{Overrides: []string{"name", "tag", "jump_group", "max_offline_minutes"}})
	inst := e.installer(keyinfo.KindJumpClient, ki)
	dir := filepath.Join(e.home, "jc")

	r := e.userInstall(inst, dir, "--jc-name", "web-01", "--jc-tag", "servers", "--jc-jump-group", "jumpgroup:ops",
		"--jc-ephemeral", "--proxy", "direct")
	require.Equal(t, 0, r.code, r)
	assert.Contains(t, r.stdout, "Installed the Jumpgate Jump Client (installer inst1) in "+dir)
	assert.Contains(t, r.stdout, filepath.Join(dir, "init-script")+" start")
	assert.Contains(t, r.stdout, "Uninstall with: "+filepath.Join(dir, "uninstall"))
	assert.NotContains(t, r.stdout+r.stderr, ki, "key info never shows in output")

	assertMode(t, dir, 0o755)
	assertMode(t, filepath.Join(dir, state.File), 0o600)
	assertMode(t, filepath.Join(dir, state.InitScript), 0o700)
	assertMode(t, filepath.Join(dir, state.Uninstall), 0o700)
	assertMode(t, filepath.Join(dir, state.AgentBinary), 0o755)

	// The installed agent is the build, byte for byte: no trailer.
	want, err := os.ReadFile(agentBuild)
	require.NoError(t, err)
	got, err := os.ReadFile(filepath.Join(dir, state.AgentBinary))
	require.NoError(t, err)
	assert.True(t, bytes.Equal(want, got), "installed binary differs from the build (%d vs %d bytes)", len(got), len(want))
	_, _, err = agentproto.ReadTrailer(bytes.NewReader(got), int64(len(got)))
	assert.ErrorIs(t, err, agentproto.ErrNoTrailer)

	st, err := state.Load(dir)
	require.NoError(t, err)
	assert.Equal(t, keyinfo.KindJumpClient, st.Kind)
	assert.Equal(t, e.app.URL, st.URL)
	assert.Equal(t, e.app.CAPin, st.CAPin)
	assert.Equal(t, []byte(e.app.Key.Public().(ed25519.PublicKey)), st.SigningKey)
	assert.Equal(t, "inst1", st.InstallerID)
	assert.Equal(t, ki, st.KeyInfo)
	assert.WithinDuration(t, time.Now().Add(time.Hour), st.KeyExpires, time.Minute)
	assert.Len(t, st.PrivateKey, 32)
	assert.Equal(t, "web-01", *st.Overrides.Name)
	assert.Equal(t, "servers", *st.Overrides.Tag)
	assert.Equal(t, "jumpgroup:ops", *st.Overrides.JumpGroup)
	assert.Equal(t, 5, *st.Overrides.MaxOfflineMinutes)
	assert.Nil(t, st.Overrides.Comments)
	assert.Equal(t, "direct", st.Proxy)
	assert.Equal(t, testVersion, st.Version)
	assert.Equal(t, state.Install{Dir: dir, Scope: "user", Startup: "none", Platform: install.Platform(runtime.GOOS, runtime.GOARCH)}, st.Install)
	assert.False(t, st.Enrolled())

	// Each install makes its own key.
	dir2 := filepath.Join(e.home, "jc2")
	require.Equal(t, 0, e.userInstall(inst, dir2).code)
	st2, err := state.Load(dir2)
	require.NoError(t, err)
	assert.NotEqual(t, st.PrivateKey, st2.PrivateKey)

	// The generated uninstall script removes it all again.
	r = e.run(filepath.Join(dir, state.Uninstall))
	require.Equal(t, 0, r.code, r)
	assert.Contains(t, r.stdout, "removed "+dir)
	assertGone(t, dir)
}

// TestInstaller_WindowsProperties checks that the Windows-style properties
// install exactly what the flags do, and that `install` and installer mode
// agree.
func TestInstaller_WindowsProperties(t *testing.T) {
	e := newEndpoint(t)
	ki := e.app.KeyInfo(t, keyinfo.Payload{Overrides: []string{"name", "tag", "comments", "jump_group", "public_portal",
		"attended_session_policy", "unattended_session_policy", "support_button_profile", "support_button_direct_queue",
		"jump_policy", "max_offline_minutes"}})
	generic := e.installer(keyinfo.KindJumpClient, "")

	flagsDir, propsDir := filepath.Join(e.home, "flags"), filepath.Join(e.home, "props")
	r := e.run(generic, "install", "--scope", "user", "--startup", "none", "--install-dir", flagsDir, "--key-info", ki,
		"--jc-name", "web 01", "--jc-jump-group", "user:alice", "--jc-public-site-address", "support.example.com",
		"--jc-session-policy-present", "sp1", "--jc-session-policy-not-present", "sp2", "--jc-support-button-profile", "sb",
		"--jc-support-button-direct-queue", "team:t1", "--jc-jump-policy", "jp", "--jc-tag", "servers",
		"--jc-comments", "rack 4", "--jc-max-offline-minutes", "30", "--proxy", "http://proxy.example:3128")
	require.Equal(t, 0, r.code, r)
	r = e.run(generic, "--scope", "user", "--startup", "none", "INSTALLDIR="+propsDir, "KEY_INFO="+ki,
		"JC_NAME=web 01", "jc_jump_group=user:alice", "JC_PUBLIC_SITE_ADDRESS=support.example.com",
		"JC_SESSION_POLICY_PRESENT=sp1", "JC_SESSION_POLICY_NOT_PRESENT=sp2", "JC_SUPPORT_BUTTON_PROFILE=sb",
		"JC_SUPPORT_BUTTON_DIRECT_QUEUE=team:t1", "JC_JUMP_POLICY=jp", "JC_TAG=servers",
		"JC_COMMENTS=rack 4", "JC_MAX_OFFLINE_MINUTES=30", "PROXY=http://proxy.example:3128", "ONLINE_INSTALL=", "START_SERVICES=")
	require.Equal(t, 0, r.code, r)

	a, err := state.Load(flagsDir)
	require.NoError(t, err)
	b, err := state.Load(propsDir)
	require.NoError(t, err)
	assert.Equal(t, a.Overrides, b.Overrides)
	assert.Equal(t, a.Proxy, b.Proxy)
	assert.Equal(t, a.KeyInfo, b.KeyInfo)
	assert.Equal(t, "user:alice", *a.Overrides.JumpGroup)
	assert.Equal(t, 30, *b.Overrides.MaxOfflineMinutes)
}

// TestInstaller_RejectsDisallowedOverride checks that an override the
// installer does not allow fails the install, names every such flag, and
// leaves nothing behind.
func TestInstaller_RejectsDisallowedOverride(t *testing.T) {
	e := newEndpoint(t)
	inst := e.installer(keyinfo.KindJumpClient, e.app.KeyInfo(t, keyinfo.Payload{Overrides: []string{"name"}}))
	jumpoint := e.installer(keyinfo.KindJumpoint, e.app.KeyInfo(t, keyinfo.Payload{Kind: keyinfo.KindJumpoint}))
	tests := []struct {
		name      string
		installer string
		args      []string
		want      []string
	}{
		{
			name: "one flag", installer: inst, args: []string{"--jc-name", "ok", "--jc-tag", "db"},
			want: []string{"--jc-tag (JC_TAG) is not allowed by this installer: allow_override_tag is false"},
		},
		{
			name: "every flag and property is named", installer: inst,
			args: []string{"JC_COMMENTS=x", "--jc-jump-policy", "jp", "JC_EPHEMERAL=1"},
			want: []string{
				"--jc-comments (JC_COMMENTS) is not allowed by this installer: allow_override_comments is false",
				"--jc-jump-policy (JC_JUMP_POLICY) is not allowed by this installer: allow_override_jump_policy is false",
				"--jc-ephemeral (JC_EPHEMERAL) is not allowed by this installer: allow_override_max_offline_minutes is false",
			},
		},
		{
			name: "a jumpoint takes none", installer: jumpoint, args: []string{"--jc-name", "x"},
			want: []string{"--jc-name (JC_NAME) cannot be used with a Jumpoint installer"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(e.home, "jc")
			r := e.userInstall(tt.installer, dir, tt.args...)
			assert.Equal(t, 1, r.code, r)
			for _, w := range tt.want {
				assert.Contains(t, r.stderr, w)
			}
			assertGone(t, dir)
		})
	}
}

// TestInstaller_Refusals runs the installer through the other ways an
// install is refused, each with a clear message and nothing left behind.
func TestInstaller_Refusals(t *testing.T) {
	e := newEndpoint(t)
	other := installtest.NewAppliance(t, e.app.URL)
	good := e.app.KeyInfo(t, keyinfo.Payload{})
	expiry := time.Now().Add(-time.Minute).Truncate(time.Second).UTC()
	generic := e.installer(keyinfo.KindJumpClient, "")
	builtIn := e.installer(keyinfo.KindJumpClient, good)

	tests := []struct {
		name      string
		installer string
		args      []string
		code      int
		want      string
	}{
		{
			name: "expired", installer: e.installer(keyinfo.KindJumpClient, e.app.KeyInfo(t, keyinfo.Payload{Expires: expiry.Unix()})),
			code: 1, want: "installer expired at " + expiry.Format(time.RFC3339) + "; create a new installer",
		},
		{
			name: "tampered", installer: generic, args: []string{"--key-info", tamper(t, good)},
			code: 1, want: "was not issued by this appliance or was altered",
		},
		{
			name: "forged", installer: generic, args: []string{"--key-info", other.KeyInfo(t, keyinfo.Payload{CAPin: e.app.CAPin})},
			code: 1, want: "was not issued by this appliance or was altered",
		},
		{name: "generic without key info", installer: generic, code: 1, want: "this is a generic installer: pass --key-info"},
		{
			name: "another key than the built-in one", installer: builtIn, args: []string{"KEY_INFO=" + e.app.KeyInfo(t, keyinfo.Payload{InstallerID: "other"})},
			code: 1, want: "differs from the one built into this installer",
		},
		{
			name: "jumpoint key in a jump client installer", installer: generic, args: []string{"--key-info", e.app.KeyInfo(t, keyinfo.Payload{Kind: keyinfo.KindJumpoint})},
			code: 1, want: "the key info is for a Jumpoint, but this is a Jump Client installer",
		},
		{name: "session user without headless", installer: builtIn, args: []string{"--session-user", "root"}, code: 2, want: "--session-user applies only with --scope system and --headless"},
		{name: "unknown property", installer: builtIn, args: []string{"JC_COLOUR=red"}, code: 2, want: "unknown property JC_COLOUR="},
		{name: "unknown flag", installer: builtIn, args: []string{"--jc-colour", "red"}, code: 2, want: "unknown flag --jc-colour"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(e.home, "jc")
			r := e.userInstall(tt.installer, dir, tt.args...)
			assert.Equal(t, tt.code, r.code, r)
			assert.Contains(t, r.stderr, tt.want)
			assertGone(t, dir)
		})
	}

	t.Run("parent of the install dir missing", func(t *testing.T) {
		r := e.run(builtIn, "--scope", "user", "--startup", "none", "--install-dir", "no/such/parent/jc")
		assert.Equal(t, 1, r.code, r)
		assert.Contains(t, r.stderr, "its parent directory "+filepath.Join(e.home, "no/such/parent")+" does not exist")
		assertGone(t, filepath.Join(e.home, "no"))
	})

	t.Run("existing install dir", func(t *testing.T) {
		dir := filepath.Join(e.home, "existing")
		require.NoError(t, os.Mkdir(dir, 0o750))
		marker := filepath.Join(dir, "keep-me")
		require.NoError(t, os.WriteFile(marker, []byte("x"), 0o640))
		r := e.userInstall(builtIn, dir)
		assert.Equal(t, 1, r.code, r)
		assert.Contains(t, r.stderr, "install dir "+dir+" already exists")
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		assert.Len(t, entries, 1, "nothing is added to an existing dir")
		assertMode(t, dir, 0o750)
		assertMode(t, marker, 0o640)
	})

	t.Run("systemd not running", func(t *testing.T) {
		if _, err := os.Stat("/run/systemd/system"); err == nil {
			t.Skip("this machine runs systemd")
		}
		dir := filepath.Join(e.home, "jc")
		r := e.run(builtIn, "--scope", "user", "--startup", "systemd", "--install-dir", dir)
		assert.Equal(t, 1, r.code, r)
		assert.Contains(t, r.stderr, "--startup systemd needs systemd, and this system was not booted with it")
		assertGone(t, dir, filepath.Join(e.home, ".config", "systemd"))
	})

	t.Run("system scope needs root", func(t *testing.T) {
		dir := filepath.Join(e.home, "jc")
		args := []string{builtIn, "--scope", "system", "--startup", "none", "--install-dir", dir}
		if os.Geteuid() == 0 {
			// Run as nobody: the installer and the dir's parent must be
			// reachable for that user.
			runuser, err := exec.LookPath("runuser")
			if err != nil {
				t.Skip("running as root without runuser")
			}
			pub, err := os.MkdirTemp("", "jumpgate-installer-")
			require.NoError(t, err)
			t.Cleanup(func() { os.RemoveAll(pub) })
			require.NoError(t, os.Chmod(pub, 0o755))
			inst := filepath.Join(pub, "jumpgate-jc-test")
			installtest.WriteInstaller(t, agentBuild, e.app.Manifest(keyinfo.KindJumpClient, good), inst)
			dir = filepath.Join(pub, "jc")
			args = []string{"-u", "nobody", "--", inst, "--scope", "system", "--startup", "none", "--install-dir", dir}
			r := e.run(runuser, args...)
			assert.Equal(t, 1, r.code, r)
			assert.Contains(t, r.stderr, "--scope system installs for every user and needs root")
			assertGone(t, dir)
			return
		}
		r := e.run(args[0], args[1:]...)
		assert.Equal(t, 1, r.code, r)
		assert.Contains(t, r.stderr, "--scope system installs for every user and needs root")
		assertGone(t, dir)
	})

	t.Run("systemd without systemctl", func(t *testing.T) {
		dir := filepath.Join(e.home, "jc")
		saved := e.env
		e.env = append(append([]string(nil), saved...), "PATH="+t.TempDir())
		defer func() { e.env = saved }()
		r := e.run(builtIn, "--scope", "user", "--startup", "systemd", "--install-dir", dir)
		assert.Equal(t, 1, r.code, r)
		assert.Contains(t, r.stderr, "--startup systemd needs systemctl, which is not on PATH")
		assertGone(t, dir, filepath.Join(e.home, ".config", "systemd"))
	})
}

// tamper flips a byte of key info's payload, keeping the payload valid
// JSON, so that only the signature gives it away.
func tamper(t *testing.T, ki string) string {
	t.Helper()
	p, _, _, err := keyinfo.Parse(ki)
	require.NoError(t, err)
	require.Equal(t, "inst1", p.InstallerID)
	payload, sig, ok := strings.Cut(strings.TrimPrefix(ki, keyinfo.Prefix), ".")
	require.True(t, ok)
	raw, err := decodeB64(payload)
	require.NoError(t, err)
	i := bytes.Index(raw, []byte(`"inst1"`))
	require.GreaterOrEqual(t, i, 0)
	raw[i+5] = '2' // "inst1" → "inst2"
	return keyinfo.Prefix + encodeB64(raw) + "." + sig
}

// TestInstaller_OnlineInstallUnreachable checks that --online-install
// against an appliance that does not answer fails at once with the reason,
// and that everything made, the autostart entry too, is removed.
func TestInstaller_OnlineInstallUnreachable(t *testing.T) {
	e := newEndpoint(t)
	inst := e.installer(keyinfo.KindJumpClient, e.app.KeyInfo(t, keyinfo.Payload{}))
	dir := filepath.Join(e.home, "jc")
	r := e.run(inst, "--scope", "user", "--startup", "xdg", "--install-dir", dir, "--online-install")
	assert.Equal(t, 1, r.code, r)
	assert.Contains(t, r.stderr, "cannot reach the appliance at "+e.app.URL)
	assert.Less(t, r.took, install.EnrollTimeout, "fails at once, not after retrying")
	assertGone(t, dir, filepath.Join(e.home, ".config", "autostart"))
}

// TestInitScript_RealAgent starts the installed agent, which cannot reach
// its appliance and keeps retrying, through the generated init-script, whose
// status says that it is not enrolled and why.
func TestInitScript_RealAgent(t *testing.T) {
	e := newEndpoint(t)
	ki := e.app.KeyInfo(t, keyinfo.Payload{})
	inst := e.installer(keyinfo.KindJumpClient, ki)
	dir := filepath.Join(e.home, "jc")
	r := e.userInstall(inst, dir)
	require.Equal(t, 0, r.code, r)
	assert.Contains(t, r.stdout, "Not enrolled: could not enroll with the appliance now (cannot reach the appliance at "+e.app.URL)
	assert.Contains(t, r.stdout, "This is an offline install: the agent enrolls when it first runs")
	e.stopOnCleanup(dir)
	script := filepath.Join(dir, state.InitScript)

	r = e.run(script, "status")
	assert.Equal(t, 3, r.code, r)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, lines, 2, r)
	assert.Equal(t, "stopped", lines[0])
	assert.Contains(t, lines[1], "not enrolled: the last attempt, at ")
	assert.Contains(t, lines[1], "failed: cannot reach the appliance at "+e.app.URL)
	assert.Contains(t, lines[1], "it tries again when it starts")
	assert.Empty(t, r.stderr)

	r = e.run(script, "start")
	require.Equal(t, 0, r.code, r)
	pid, ok := install.Running(dir)
	require.True(t, ok, "the pid file names a running agent")

	// It keeps running (retrying its enrollment) rather than giving up.
	logPath := filepath.Join(dir, state.LogFile)
	eventually(t, 15*time.Second, "the agent logs a failed attempt", func() bool {
		b, _ := os.ReadFile(logPath)
		return bytes.Contains(b, []byte("cannot reach the appliance")) || bytes.Count(b, []byte("\n")) >= 2
	})
	eventually(t, 15*time.Second, "status names the next attempt", func() bool {
		r = e.run(script, "status")
		return strings.Contains(r.stdout, "next attempt at ")
	})
	assert.Equal(t, 1, r.code, "running but not enrolled: %s", r)
	assert.True(t, strings.HasPrefix(r.stdout, fmt.Sprintf("running (pid %d)\nnot enrolled: the last attempt, at ", pid)), r)
	assert.Contains(t, r.stdout, "cannot reach the appliance at "+e.app.URL)

	// A second agent for the same dir refuses to run.
	r = e.run(filepath.Join(dir, state.AgentBinary), "run", "--dir", dir)
	assert.Equal(t, 1, r.code, r)
	assert.Contains(t, r.stderr, fmt.Sprintf("is already running (pid %d)", pid))

	r = e.run(script, "stop")
	require.Equal(t, 0, r.code, r)
	assert.Equal(t, "stopped\n", r.stdout)
	r = e.run(script, "status")
	assert.Equal(t, 3, r.code, r)
	assertGone(t, filepath.Join(dir, state.PIDFile))

	b, err := os.ReadFile(logPath)
	require.NoError(t, err)
	assert.Contains(t, string(b), "agent starting")
	assert.Contains(t, string(b), "agent stopped", "the agent exits cleanly on TERM")
	assert.NotContains(t, string(b), ki, "key info never shows in the log")
	assert.NotContains(t, string(b), strings.Split(ki, ".")[2], "nor its signature")
}

// TestInstaller_XDG installs with the user scope's default startup: an
// autostart entry, the agent started at once; uninstall stops it and
// removes the entry.
func TestInstaller_XDG(t *testing.T) {
	e := newEndpoint(t)
	inst := e.installer(keyinfo.KindJumpClient, e.app.KeyInfo(t, keyinfo.Payload{}))
	autostart := filepath.Join(e.home, ".config", "autostart", "jumpgate-agent-inst1.desktop")

	t.Run("START_SERVICES empty starts nothing", func(t *testing.T) {
		dir := filepath.Join(e.home, "quiet")
		r := e.run(inst, "--scope", "user", "--install-dir", dir, `START_SERVICES=`)
		require.Equal(t, 0, r.code, r)
		assert.FileExists(t, autostart)
		_, running := install.Running(dir)
		assert.False(t, running)
		r = e.run(filepath.Join(dir, state.Uninstall))
		require.Equal(t, 0, r.code, r)
		assertGone(t, dir, autostart)
	})

	t.Run("started and uninstalled", func(t *testing.T) {
		dir := filepath.Join(e.home, "jc")
		r := e.run(inst, "--scope", "user", "--install-dir", dir)
		require.Equal(t, 0, r.code, r)
		e.stopOnCleanup(dir)
		assert.Contains(t, r.stdout, "The agent is running.")
		b, err := os.ReadFile(autostart)
		require.NoError(t, err)
		assert.Contains(t, string(b), "Exec="+filepath.Join(dir, "init-script")+" start\n")
		assert.Contains(t, string(b), "X-GNOME-Autostart-enabled=true\n")
		pid, running := install.Running(dir)
		require.True(t, running)

		st, err := state.Load(dir)
		require.NoError(t, err)
		assert.Equal(t, []string{autostart}, st.Install.ExtraFiles)

		r = e.run(filepath.Join(dir, state.Uninstall))
		require.Equal(t, 0, r.code, r)
		assert.Contains(t, r.stdout, "removed "+autostart)
		assertGone(t, dir, autostart)
		eventually(t, 5*time.Second, "the agent has exited", func() bool { return !processAlive(pid) })
	})
}

// TestUninstall_Restricted checks that uninstall refuses, and touches
// nothing, when the appliance cannot be asked and the configuration it
// last sent restricts local uninstall; and that it proceeds otherwise.
func TestUninstall_Restricted(t *testing.T) {
	e := newEndpoint(t)
	inst := e.installer(keyinfo.KindJumpClient, e.app.KeyInfo(t, keyinfo.Payload{}))
	tests := []struct {
		name       string
		restricted bool
	}{
		{name: "restricted", restricted: true},
		{name: "not restricted", restricted: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(e.home, "jc")
			require.Equal(t, 0, e.userInstall(inst, dir).code)
			// As if enrolled with an appliance that then went away.
			st, err := state.Load(dir)
			require.NoError(t, err)
			st.ID, st.Name, st.KeyInfo = 42, "web-01", ""
			st.Config.RestrictLocalUninstall = tt.restricted
			require.NoError(t, st.Save(dir))

			r := e.run(filepath.Join(dir, state.Uninstall))
			if tt.restricted {
				assert.Equal(t, 1, r.code, r)
				assert.Contains(t, r.stderr, "uninstall refused")
				assert.Contains(t, r.stderr, "restrict_local_uninstall")
				for _, f := range []string{state.File, state.AgentBinary, state.InitScript, state.Uninstall} {
					assert.FileExists(t, filepath.Join(dir, f))
				}
				require.NoError(t, os.RemoveAll(dir))
				return
			}
			assert.Equal(t, 0, r.code, r)
			assert.Contains(t, r.stdout, "removed "+dir)
			assertGone(t, dir)
		})
	}
}

func decodeB64(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }
func encodeB64(b []byte) string          { return base64.RawURLEncoding.EncodeToString(b) }

func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// fakeAppliance starts conntest's fake of the appliance's agent endpoints
// and returns it with the identity installers of it carry.
func fakeAppliance(t *testing.T) (*conntest.Appliance, *installtest.Appliance) {
	t.Helper()
	a := conntest.New(t)
	chain := a.Server.TLS.Certificates[0].Certificate
	caDER := chain[len(chain)-1]
	require.Equal(t, a.CAPin, agentproto.Pin(caDER))
	return a, &installtest.Appliance{
		URL:   a.URL,
		Key:   a.SigningKey,
		CAPEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})),
		CAPin: a.CAPin,
	}
}

// TestInstaller_OnlineInstall enrolls during the install against a fake
// appliance, and fails the install with the appliance's own reason when it
// refuses.
func TestInstaller_OnlineInstall(t *testing.T) {
	e := newEndpoint(t)
	fake, app := fakeAppliance(t)
	e.app = app
	inst := e.installer(keyinfo.KindJumpClient, app.KeyInfo(t, keyinfo.Payload{Overrides: []string{"tag"}}))

	t.Run("enrolls before it succeeds", func(t *testing.T) {
		dir := filepath.Join(e.home, "online")
		r := e.userInstall(inst, dir, "--online-install", "--jc-tag", "servers")
		require.Equal(t, 0, r.code, r)
		assert.Contains(t, r.stdout, `Enrolled with `+app.URL+` as "test-client" (id `)
		st, err := state.Load(dir)
		require.NoError(t, err)
		assert.True(t, st.Enrolled())
		assert.Empty(t, st.KeyInfo, "key info is dropped once enrolled")
		enrolls := fake.Enrolls()
		require.Len(t, enrolls, 1)
		assert.Equal(t, "servers", *enrolls[0].Overrides.Tag)
		key, err := st.Key()
		require.NoError(t, err)
		assert.Equal(t, []byte(key.Public().(ed25519.PublicKey)), enrolls[0].PublicKey)
	})

	t.Run("refused by the appliance", func(t *testing.T) {
		fake.OnEnroll(func(agentproto.EnrollRequest) (*agentproto.EnrollResponse, *api.Problem) {
			return nil, &api.Problem{Status: 403, Title: "Forbidden", Detail: "installer inst1 no longer allows overriding tag (allow_override_tag is false)"}
		})
		dir := filepath.Join(e.home, "refused")
		r := e.userInstall(inst, dir, "--online-install", "--jc-tag", "servers")
		assert.Equal(t, 1, r.code, r)
		assert.Contains(t, r.stderr, "the appliance refused the enrollment: installer inst1 no longer allows overriding tag (allow_override_tag is false)")
		assertGone(t, dir)
	})

	t.Run("refused without --online-install too", func(t *testing.T) {
		// A reachable appliance is asked at install time whatever the
		// flags: its refusal fails the install, not the agent's first start.
		fake.OnEnroll(func(agentproto.EnrollRequest) (*agentproto.EnrollResponse, *api.Problem) {
			return nil, &api.Problem{Status: 409, Title: "Conflict", Detail: "this host already has jump client 1 in another jump group than installer inst1's"}
		})
		dir := filepath.Join(e.home, "refused-offline")
		r := e.userInstall(inst, dir, "--jc-tag", "servers")
		assert.Equal(t, 1, r.code, r)
		assert.Contains(t, r.stderr, "install failed: the appliance refused the enrollment: this host already has jump client 1 in another jump group than installer inst1's")
		assert.NotContains(t, r.stdout, "Installed")
		assertGone(t, dir)
	})

	t.Run("a failing appliance installs offline", func(t *testing.T) {
		// 5xx is the appliance's trouble, not a refusal: the agent enrolls
		// when it runs.
		fake.OnEnroll(func(agentproto.EnrollRequest) (*agentproto.EnrollResponse, *api.Problem) {
			return nil, &api.Problem{Status: 503, Title: "Service Unavailable", Detail: "the database is not reachable"}
		})
		dir := filepath.Join(e.home, "failing")
		r := e.userInstall(inst, dir)
		require.Equal(t, 0, r.code, r)
		assert.Contains(t, r.stdout, "Not enrolled: could not enroll with the appliance now (the appliance failed to enroll the agent (503 Service Unavailable): the database is not reachable)")
		st, err := state.Load(dir)
		require.NoError(t, err)
		assert.False(t, st.Enrolled())
		require.NotNil(t, st.EnrollFailure)
		assert.False(t, st.EnrollFailure.Refused)
		assert.Equal(t, 503, st.EnrollFailure.Status)
	})
}

// TestUninstall_AskTheAppliance runs uninstall of an enrolled agent against
// a reachable appliance, which refuses (restrict_local_uninstall) or
// agrees.
func TestUninstall_AskTheAppliance(t *testing.T) {
	e := newEndpoint(t)
	fake, app := fakeAppliance(t)
	e.app = app
	inst := e.installer(keyinfo.KindJumpClient, app.KeyInfo(t, keyinfo.Payload{}))
	tests := []struct {
		name    string
		refused bool
	}{
		{name: "restricted", refused: true},
		{name: "allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake.OnAuth(func(a agentproto.Auth) agentproto.HandshakeReply {
				if tt.refused && a.Intent == agentproto.IntentUninstall {
					return agentproto.HandshakeReply{Refused: &agentproto.Refused{Code: agentproto.RefusedUninstallRestricted, Message: "local uninstall is restricted"}}
				}
				return agentproto.HandshakeReply{Welcome: &agentproto.Welcome{}}
			})
			dir := filepath.Join(e.home, tt.name)
			r := e.userInstall(inst, dir, "--online-install")
			require.Equal(t, 0, r.code, r)

			r = e.run(filepath.Join(dir, state.Uninstall))
			if tt.refused {
				assert.Equal(t, 1, r.code, r)
				assert.Contains(t, r.stderr, "uninstall refused: local uninstall is restricted")
				assert.FileExists(t, filepath.Join(dir, state.File))
				return
			}
			require.Equal(t, 0, r.code, r)
			assertGone(t, dir)
			var intents []string
			for _, a := range fake.Auths() {
				intents = append(intents, a.Intent)
			}
			assert.Contains(t, intents, agentproto.IntentUninstall, "the appliance was told")
		})
	}
}
