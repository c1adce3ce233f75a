//go:build linux

package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
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
	mallory := addLocalUser(t, "jgm")
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

// addLocalUser makes a real local account that the test removes.
func addLocalUser(t *testing.T, prefix string) *user.User {
	t.Helper()
	var rnd [3]byte
	_, _ = rand.Read(rnd[:])
	name := fmt.Sprintf("%s%x", prefix, rnd)
	out, err := exec.Command("useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", name).CombinedOutput()
	require.NoError(t, err, "useradd: %s", out)
	t.Cleanup(func() {
		if out, err := exec.Command("userdel", name).CombinedOutput(); err != nil {
			t.Logf("userdel %s: %v %s", name, err, out)
		}
	})
	u, err := user.Lookup(name)
	require.NoError(t, err)
	return u
}

// runAsUser runs a program as u and returns its combined output and exit
// code.
func runAsUser(t *testing.T, u *user.User, name string, args ...string) (string, int) {
	t.Helper()
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = []string{"HOME=/", "PATH=/usr/bin:/bin"}
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return out.String(), ee.ExitCode()
	case err != nil:
		t.Fatalf("run %s as %s: %v", name, u.Username, err)
	}
	return out.String(), 0
}
