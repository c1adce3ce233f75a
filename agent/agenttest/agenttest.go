// Package agenttest builds the real jumpgate-agent for tests of other
// components: the appliance's installer downloads, and end-to-end tests that
// install agents into temporary directories.
//
// Builds go to $JUMPGATE_CACHE_DIR/agent-builds (default
// $HOME/.cache/jumpgate/agent-builds) and lean on the go command's build
// cache, so after the first build a test pays only for the link.
package agenttest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// versionVar is the variable that -ldflags -X sets to the build's version.
const versionVar = "github.com/jumpgate/jumpgate/api.Version"

// HostPlatform returns the installer platform name (one of api.Platforms)
// of the machine running the test: linux-amd64, linux-arm64, raspberry-pi
// (linux/arm), macos-amd64, macos-arm64 or windows-amd64; "" for any other.
func HostPlatform() string {
	switch runtime.GOOS + "/" + runtime.GOARCH {
	case "linux/amd64":
		return "linux-amd64"
	case "linux/arm64":
		return "linux-arm64"
	case "linux/arm":
		return "raspberry-pi"
	case "darwin/amd64":
		return "macos-amd64"
	case "darwin/arm64":
		return "macos-arm64"
	case "windows/amd64":
		return "windows-amd64"
	}
	return ""
}

var (
	mu    sync.Mutex
	built = map[string]string{} // version → binary path, per test process
)

// Build builds ./agent for the host with api.Version set to version and
// returns the binary's path. It builds once per version per test process;
// the file is replaced atomically, so concurrent test processes never run a
// half-written binary.
func Build(t testing.TB, version string) string {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if p, ok := built[version]; ok {
		return p
	}
	root, err := moduleRoot()
	if err != nil {
		t.Fatalf("agenttest: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "agent", "main.go")); err != nil {
		t.Fatalf("agenttest: %s/agent/main.go does not exist: there is no agent to build", root)
	}
	dir := filepath.Join(cacheDir(), "agent-builds", safe(version), runtime.GOOS+"-"+runtime.GOARCH)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("agenttest: %v", err)
	}
	exe := ""
	if runtime.GOOS == "windows" {
		exe = ".exe"
	}
	final := filepath.Join(dir, "jumpgate-agent"+exe)
	tmp := filepath.Join(dir, fmt.Sprintf(".jumpgate-agent-%d%s", os.Getpid(), exe))
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-X "+versionVar+"="+version, "-o", tmp, "./agent")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		os.Remove(tmp)
		t.Fatalf("agenttest: go build ./agent: %v\n%s", err, out)
	}
	if err := os.Rename(tmp, final); err != nil {
		os.Remove(tmp)
		t.Fatalf("agenttest: %v", err)
	}
	built[version] = final
	return final
}

// AgentDir returns a new directory that holds the host build of version as
// jumpgate-agent-<HostPlatform()>[.exe] and a manifest.json in the format
// the appliance's --agent-dir reads:
//
//	{"version": "...", "builds": {"<platform>": {"file": "...", "sha256": "...", "size": N}}}
func AgentDir(t testing.TB, version string) string {
	t.Helper()
	platform := HostPlatform()
	if platform == "" {
		t.Skipf("agenttest: no installer platform for %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	src := Build(t, version)
	dir := t.TempDir()
	name := "jumpgate-agent-" + platform
	if platform == "windows-amd64" {
		name += ".exe"
	}
	dst := filepath.Join(dir, name)
	// A hard link keeps this directory's file even when a later build
	// replaces the cached one; copy where links are not possible.
	if err := os.Link(src, dst); err != nil {
		if err := copyFile(src, dst); err != nil {
			t.Fatalf("agenttest: %v", err)
		}
	}
	sum, size, err := hashFile(dst)
	if err != nil {
		t.Fatalf("agenttest: %v", err)
	}
	type build struct {
		File   string `json:"file"`
		SHA256 string `json:"sha256"`
		Size   int64  `json:"size"`
	}
	m := struct {
		Version string           `json:"version"`
		Builds  map[string]build `json:"builds"`
	}{version, map[string]build{platform: {File: name, SHA256: sum, Size: size}}}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatalf("agenttest: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), append(b, '\n'), 0o644); err != nil {
		t.Fatalf("agenttest: %v", err)
	}
	return dir
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("not inside the jumpgate module (go env GOMOD is empty)")
	}
	b, err := os.ReadFile(gomod)
	if err != nil {
		return "", err
	}
	if !bytes.Contains(b, []byte("module github.com/jumpgate/jumpgate\n")) {
		return "", fmt.Errorf("%s is not the jumpgate module", gomod)
	}
	return filepath.Dir(gomod), nil
}

func cacheDir() string {
	if d := os.Getenv("JUMPGATE_CACHE_DIR"); d != "" {
		return d
	}
	if d, err := os.UserHomeDir(); err == nil {
		return filepath.Join(d, ".cache", "jumpgate")
	}
	return filepath.Join(os.TempDir(), "jumpgate-cache")
}

// safe turns a version into one path element.
func safe(v string) string {
	if v == "" {
		return "_"
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_', r == '+':
			return r
		}
		return '_'
	}, v)
}

func hashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
