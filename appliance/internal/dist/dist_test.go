package dist_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/appliance/internal/app"
	"github.com/jumpgate/jumpgate/appliance/internal/dist"
	"github.com/jumpgate/jumpgate/appliance/internal/problem"
)

// fakeAgent is a "build" that is a shell script: run by the .bin header as
// `jumpgate-agent install ARGS…`, it prints its arguments one per line,
// copies itself (the extracted payload) to $FAKE_AGENT_COPY when set, and
// exits with $FAKE_AGENT_STATUS (default 0). sh never reads past its exit,
// so the trailer after it is harmless.
const fakeAgent = `#!/bin/sh
for a in "$@"; do printf '[%s]\n' "$a"; done
if [ -n "${FAKE_AGENT_COPY:-}" ]; then cp "$0" "$FAKE_AGENT_COPY"; fi
exit "${FAKE_AGENT_STATUS:-0}"
`

// writeAgentDir writes builds (platform → content) and their manifest into
// a new directory.
func writeAgentDir(t testing.TB, version string, builds map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	var platforms []string
	for p, b := range builds {
		require.NoError(t, os.WriteFile(filepath.Join(dir, dist.FileName(p)), b, 0o755))
		platforms = append(platforms, p)
	}
	require.NoError(t, dist.WriteManifest(dir, version, platforms))
	return dir
}

func TestLoad_NoBuildsIsNotAnError(t *testing.T) {
	for name, dir := range map[string]string{
		"no dir configured": "",
		"missing dir":       filepath.Join(t.TempDir(), "nope"),
		"no manifest":       t.TempDir(),
	} {
		t.Run(name, func(t *testing.T) {
			b, err := dist.Load(dir)
			require.NoError(t, err)
			assert.Empty(t, b.Platforms())
			_, ok := b.Get(api.PlatformLinuxAMD64)
			assert.False(t, ok)
			_, pk, _ := ed25519.GenerateKey(rand.Reader)
			assert.Nil(t, b.Upgrade(api.PlatformLinuxAMD64, pk))
			_, _, err = b.Open(api.PlatformLinuxAMD64)
			require.ErrorIs(t, err, problem.ErrUnavailable)
			assert.Contains(t, err.Error(), "no agent build for linux-amd64 on this appliance: build it with make build and start the appliance with --agent-dir")
		})
	}
	var nilBuilds *dist.Builds
	assert.Empty(t, nilBuilds.Platforms())
	assert.NoError(t, nilBuilds.Close())
}

func TestLoad_RefusesManifestThatDoesNotMatch(t *testing.T) {
	good := []byte("agent build bytes")
	sum := sha256.Sum256(good)
	hexSum := hex.EncodeToString(sum[:])
	tests := []struct {
		name     string
		manifest string
		want     string
	}{
		{"bad json", `{`, "is not valid JSON"},
		{"no version", `{"builds": {}}`, "has no version"},
		{"size differs", `{"version": "1", "builds": {"linux-amd64": {"file": "jumpgate-agent-linux-amd64", "sha256": "` + hexSum + `", "size": 3}}}`,
			"is 17 bytes, the manifest says 3"},
		{"hash differs", `{"version": "1", "builds": {"linux-amd64": {"file": "jumpgate-agent-linux-amd64", "sha256": "` + strings.Repeat("ab", 32) + `", "size": 17}}}`,
			"has SHA-256 " + hexSum + ", the manifest says " + strings.Repeat("ab", 32)},
		{"bad hash", `{"version": "1", "builds": {"linux-amd64": {"file": "jumpgate-agent-linux-amd64", "sha256": "xyz", "size": 17}}}`,
			"is not a hex SHA-256"},
		{"missing file", `{"version": "1", "builds": {"macos-arm64": {"file": "jumpgate-agent-macos-arm64", "sha256": "` + hexSum + `", "size": 17}}}`,
			"open build"},
		{"unknown platform", `{"version": "1", "builds": {"plan9-386": {"file": "jumpgate-agent-linux-amd64", "sha256": "` + hexSum + `", "size": 17}}}`,
			"unknown platform"},
		{"path escapes", `{"version": "1", "builds": {"linux-amd64": {"file": "../jumpgate-agent-linux-amd64", "sha256": "` + hexSum + `", "size": 17}}}`,
			"must be a plain file name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(dir, "jumpgate-agent-linux-amd64"), good, 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(dir, dist.ManifestFile), []byte(tt.manifest), 0o644))
			_, err := dist.Load(dir)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestLoad_KeepsServingTheVerifiedBytes(t *testing.T) {
	dir := writeAgentDir(t, "1.0.0", map[string][]byte{api.PlatformLinuxAMD64: []byte("old build")})
	b, err := dist.Load(dir)
	require.NoError(t, err)
	t.Cleanup(func() { b.Close() })
	build, ok := b.Get(api.PlatformLinuxAMD64)
	require.True(t, ok)
	assert.Equal(t, "1.0.0", build.Version)
	assert.Equal(t, int64(9), build.Size)

	// A rebuild replaces the file, as the go command does.
	path := filepath.Join(dir, dist.FileName(api.PlatformLinuxAMD64))
	require.NoError(t, os.Remove(path))
	require.NoError(t, os.WriteFile(path, []byte("new build, longer"), 0o755))

	for range 2 {
		r, got, err := b.Open(api.PlatformLinuxAMD64)
		require.NoError(t, err)
		data, err := io.ReadAll(r)
		require.NoError(t, err)
		require.NoError(t, r.Close())
		assert.Equal(t, "old build", string(data))
		assert.Same(t, build, got)
	}
}

func TestUpgrade_IsSignedForTheBuild(t *testing.T) {
	content := []byte("some agent")
	dir := writeAgentDir(t, "2.1.0", map[string][]byte{api.PlatformRaspberryPi: content})
	b, err := dist.Load(dir)
	require.NoError(t, err)
	t.Cleanup(func() { b.Close() })
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)

	u := b.Upgrade(api.PlatformRaspberryPi, key)
	require.NotNil(t, u)
	sum := sha256.Sum256(content)
	assert.Equal(t, agentproto.Upgrade{Version: "2.1.0", Platform: api.PlatformRaspberryPi, SHA256: hex.EncodeToString(sum[:]),
		Size: int64(len(content)), Signature: u.Signature}, *u)
	assert.True(t, agentproto.VerifyUpgrade(u, pub))
	tampered := *u
	tampered.Version = "2.1.1"
	assert.False(t, agentproto.VerifyUpgrade(&tampered, pub))
	assert.Nil(t, b.Upgrade(api.PlatformLinuxAMD64, key))
}

func TestWriteManifest_LeavesAnUnchangedManifestAlone(t *testing.T) {
	dir := writeAgentDir(t, "3", map[string][]byte{api.PlatformWindowsAMD64: []byte("MZ…")})
	path := filepath.Join(dir, dist.ManifestFile)
	var m dist.Manifest
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &m))
	assert.Equal(t, "jumpgate-agent-windows-amd64.exe", m.Builds[api.PlatformWindowsAMD64].File)

	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	require.NoError(t, os.Chtimes(path, old, old))
	require.NoError(t, dist.WriteManifest(dir, "3", []string{api.PlatformWindowsAMD64}))
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.True(t, fi.ModTime().Equal(old), "an unchanged manifest is not rewritten")

	require.NoError(t, dist.WriteManifest(dir, "4", []string{api.PlatformWindowsAMD64}))
	b, err := dist.Load(dir)
	require.NoError(t, err)
	t.Cleanup(func() { b.Close() })
	assert.Equal(t, "4", b.Version())
}

// makeBin assembles a .bin installer the way the download handler does.
func makeBin(t testing.TB, build []byte, m *agentproto.Manifest) (bin, trailer []byte) {
	t.Helper()
	b := &dist.Build{Platform: api.PlatformLinuxAMD64, Version: "9.9.9", Size: int64(len(build))}
	header, trailer, err := dist.Payload(b, m)
	require.NoError(t, err)
	require.Len(t, header, dist.HeaderSize)
	return append(append(append([]byte{}, header...), build...), trailer...), trailer
}

// shells returns the POSIX shells on this machine to run installers with.
func shells(t *testing.T) []string {
	var out []string
	// bash --posix stands in for macOS's /bin/sh (bash 3.2 in POSIX mode).
	for _, sh := range []string{"sh", "dash", "bash", "bash --posix", "busybox sh", "zsh"} {
		name, rest, _ := strings.Cut(sh, " ")
		if p, err := exec.LookPath(name); err == nil {
			out = append(out, strings.TrimSpace(p+" "+rest))
		}
	}
	if len(out) == 0 {
		t.Skip("no POSIX shell")
	}
	return out
}

func TestShHeader_ExtractsPayloadAtItsOffset(t *testing.T) {
	build := []byte(fakeAgent)
	m := &agentproto.Manifest{Kind: agentproto.KindJumpClient, KeyInfo: "jgk1.x.y", SigningKey: []byte{1, 2, 3}, CAPEM: "PEM", FileName: "jumpgate-jc-0011-linux-amd64.bin"}
	bin, trailer := makeBin(t, build, m)
	assert.True(t, bytes.HasPrefix(bin, []byte("#!/bin/sh\n")))
	assert.Contains(t, string(bin[:dist.HeaderSize]), "offset="+strconv.Itoa(dist.HeaderSize+1)+"\n")
	assert.Contains(t, string(bin[:dist.HeaderSize]), "size="+strconv.Itoa(len(build)+len(trailer))+"\n")

	dir := t.TempDir()
	file := filepath.Join(dir, "jumpgate-jc-0011-linux-amd64.bin")
	require.NoError(t, os.WriteFile(file, bin, 0o644))
	out, err := exec.Command("tail", "-c", "+"+strconv.Itoa(dist.HeaderSize+1), file).Output()
	require.NoError(t, err)
	require.Equal(t, append(append([]byte{}, build...), trailer...), out, "tail -c +offset yields build + trailer exactly")

	got, size, err := agentproto.ReadTrailer(bytes.NewReader(out), int64(len(out)))
	require.NoError(t, err)
	assert.Equal(t, int64(len(build)), size)
	want := *m
	want.Platform, want.Version = api.PlatformLinuxAMD64, "9.9.9"
	assert.Equal(t, &want, got)
}

func TestShHeader_RunsTheAgentInstall(t *testing.T) {
	bin, trailer := makeBin(t, []byte(fakeAgent), &agentproto.Manifest{Kind: agentproto.KindJumpClient, FileName: "jumpgate-jc-generic-linux-amd64.bin"})
	dir := t.TempDir()
	file := filepath.Join(dir, "jumpgate installer.bin") // a space in the path
	require.NoError(t, os.WriteFile(file, bin, 0o755))

	// "" runs the file itself, through its #! line.
	for _, shell := range append(shells(t), "") {
		name := filepath.Base(shell)
		if shell == "" {
			name = "exec"
		}
		t.Run(name, func(t *testing.T) {
			tmp := t.TempDir()
			copyTo := filepath.Join(t.TempDir(), "agent-copy")
			args := append(strings.Fields(shell), file, "--help", "--install-dir", "/opt/a b", "")
			cmd := exec.Command(args[0], args[1:]...)
			cmd.Env = append(os.Environ(), "TMPDIR="+tmp, "FAKE_AGENT_COPY="+copyTo, "FAKE_AGENT_STATUS=3")
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			require.True(t, errors.As(err, &exit), "want exit status 3, got %v: %s", err, out)
			assert.Equal(t, 3, exit.ExitCode(), "the agent's exit status propagates")
			assert.Equal(t, "[install]\n[--help]\n[--install-dir]\n[/opt/a b]\n[]\n", string(out))

			extracted, err := os.ReadFile(copyTo)
			require.NoError(t, err)
			assert.Equal(t, append([]byte(fakeAgent), trailer...), extracted)
			left, err := os.ReadDir(tmp)
			require.NoError(t, err)
			assert.Empty(t, left, "the temporary directory is removed")
		})
	}
}

func TestShHeader_RefusesATruncatedInstaller(t *testing.T) {
	bin, _ := makeBin(t, []byte(fakeAgent), &agentproto.Manifest{Kind: agentproto.KindJumpClient})
	file := filepath.Join(t.TempDir(), "x.bin")
	require.NoError(t, os.WriteFile(file, bin[:len(bin)-10], 0o644))
	out, err := exec.Command("sh", file).CombinedOutput()
	require.Error(t, err)
	assert.Contains(t, string(out), "is damaged or incomplete")
	assert.NotContains(t, string(out), "[install]")
}

func TestShHeader_LongNamesFit(t *testing.T) {
	long := strings.Repeat("x", 500)
	h, err := dist.ShHeader(long+"\n; rm -rf /", long, long, 1<<40)
	require.NoError(t, err)
	assert.Len(t, h, dist.HeaderSize)
	assert.NotContains(t, string(h), "\n; rm", "names cannot break out of their comment line")
}

func TestAppliance_RefusesToStartWithCorruptBuilds(t *testing.T) {
	dir := writeAgentDir(t, "1.0.0", map[string][]byte{api.PlatformMacOSAMD64: []byte("a build")})
	require.NoError(t, os.WriteFile(filepath.Join(dir, dist.FileName(api.PlatformMacOSAMD64)), []byte("A build"), 0o755))
	data := t.TempDir()
	_, err := app.New(context.Background(), app.Config{DataDir: data, Listen: "127.0.0.1:0", AgentDir: dir}, slog.New(slog.DiscardHandler))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "agent build macos-amd64 in "+dir)
	assert.Contains(t, err.Error(), "the manifest says")
	assert.NoFileExists(t, filepath.Join(data, "jumpgate.db"), "nothing is opened before the builds are checked")

	cfg := app.Config{AgentDir: filepath.Join(dir, dist.ManifestFile)}
	cfg.Defaults()
	require.ErrorContains(t, cfg.Validate(), "is not a directory")
}
