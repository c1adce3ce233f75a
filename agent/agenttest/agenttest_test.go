package agenttest_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/agent/agenttest"
)

func TestHostPlatform(t *testing.T) {
	want := map[string]string{
		"linux/amd64": "linux-amd64", "linux/arm64": "linux-arm64", "linux/arm": "raspberry-pi",
		"darwin/amd64": "macos-amd64", "darwin/arm64": "macos-arm64", "windows/amd64": "windows-amd64",
	}[runtime.GOOS+"/"+runtime.GOARCH]
	assert.Equal(t, want, agenttest.HostPlatform())
}

// TestAgentDir builds the real agent with a version and checks the
// directory the appliance's --agent-dir would read.
func TestAgentDir(t *testing.T) {
	if _, err := os.Stat("../main.go"); err != nil {
		t.Skip("agent/main.go does not exist yet")
	}
	t.Setenv("JUMPGATE_CACHE_DIR", t.TempDir())
	dir := agenttest.AgentDir(t, "1.2.3-test")

	var m struct {
		Version string `json:"version"`
		Builds  map[string]struct {
			File   string `json:"file"`
			SHA256 string `json:"sha256"`
			Size   int64  `json:"size"`
		} `json:"builds"`
	}
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &m))
	assert.Equal(t, "1.2.3-test", m.Version)
	require.Len(t, m.Builds, 1)
	b, ok := m.Builds[agenttest.HostPlatform()]
	require.True(t, ok)
	assert.Equal(t, "jumpgate-agent-"+agenttest.HostPlatform(), strings.TrimSuffix(b.File, ".exe"))

	data, err := os.ReadFile(filepath.Join(dir, b.File))
	require.NoError(t, err)
	sum := sha256.Sum256(data)
	assert.Equal(t, hex.EncodeToString(sum[:]), b.SHA256)
	assert.Equal(t, int64(len(data)), b.Size)

	out, err := exec.Command(filepath.Join(dir, b.File), "version").CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Equal(t, "1.2.3-test", strings.TrimSpace(string(out)), "the build reports the version it was made with")

	again := agenttest.Build(t, "1.2.3-test")
	assert.FileExists(t, again)
}
