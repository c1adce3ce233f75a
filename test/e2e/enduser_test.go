//go:build linux

package e2e

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/internal/localuser"
)

// TestSession_ConsentOnlyByTheEndUser: the real agent runs as root, and a
// representative's shell waits for consent. Mallory, a real local user of
// the endpoint who is not its end user (nobody holds the test machine's
// seat), runs the installed `consent accept` and `sessions end` as
// herself: the socket refuses her, the session stays prompting and the
// audit has no answer. Root then accepts and the session starts.
func TestSession_ConsentOnlyByTheEndUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: a root agent and a local user to run commands as")
	}
	if _, err := exec.LookPath("useradd"); err != nil {
		t.Skip("no useradd")
	}
	mallory := localuser.Add(t, "jgm")
	w := newWorld(t)
	// Mallory must be able to reach the install dir, as on a real system
	// install: open the test's 0700 temp dirs above it.
	for d := w.e.home; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		require.NoError(t, os.Chmod(d, 0o755))
	}
	w.consentPolicy(t, &api.SessionPolicy{})
	w.admin.start("shell", w.clientRef())
	s := w.promptingSession(t)
	id := strconv.FormatInt(s.ID, 10)
	agent := filepath.Join(w.dir, "jumpgate-agent")

	for _, args := range [][]string{{"consent", "accept", id}, {"sessions", "end", id}, {"consent", "list"}} {
		out, code := runAsUser(t, mallory, agent, append(args, "--dir", w.dir)...)
		assert.Equal(t, 1, code, "%v as mallory: %s", args, out)
		assert.Contains(t, out, "permission denied on the control socket", "%v as mallory", args)
	}
	got, err := w.s.Admin.GetSession(context.Background(), s.ID)
	require.NoError(t, err)
	assert.Equal(t, api.SessionPrompting, got.Status, "mallory's answer did not count")
	acts, _ := auditOf(t, w.s, s.ID)
	assert.False(t, slices.Contains(acts, "session.accepted"), "%v", acts)

	res, code := w.agentCmd("consent", "accept", id)
	require.Equal(t, 0, code, res)
	eventually(t, 20*time.Second, "the session is active", func() (bool, string) {
		got, err := w.s.Admin.GetSession(context.Background(), s.ID)
		require.NoError(t, err)
		return got.Status == api.SessionActive, got.Status
	})
}

// runAsUser runs a program as u and returns its combined output and exit
// code.
func runAsUser(t *testing.T, u localuser.User, name string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = []string{"HOME=/", "PATH=/usr/bin:/bin"}
	cmd.Dir = "/"
	cmd.SysProcAttr = u.SysProcAttr()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return out.String(), ee.ExitCode()
	case err != nil:
		t.Fatalf("run %s as %s: %v", name, u.Name, err)
	}
	return out.String(), 0
}
