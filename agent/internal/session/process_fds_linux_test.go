package session

import (
	"bytes"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/jumpgate/jumpgate/api/sessionproto"
)

// fdHelperEnv, in the environment, makes TestSessionUser_InheritsNoDescriptors
// the agent side: a process that inherited descriptor 3 (the secret file)
// and runs session processes as nobody.
const fdHelperEnv = "JUMPGATE_TEST_FD_HELPER"

// TestSessionUser_InheritsNoDescriptors starts an "agent" (this test binary
// again) with an extra open descriptor, as a careless service manager or a
// shell with `exec 3<secret` would, to a root-only file. The agent runs
// execs (on pipes and in a PTY) and a shell as --session-user nobody, each
// of which lists its own open descriptors: the secret file must not be
// among them.
func TestSessionUser_InheritsNoDescriptors(t *testing.T) {
	if os.Getenv(fdHelperEnv) != "" {
		fdHelper(t)
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root: the sessions run as another user (nobody)")
	}
	if _, err := user.Lookup("nobody"); err != nil {
		t.Skip("no user nobody")
	}
	secret := filepath.Join(t.TempDir(), "agent-secret-key")
	require.NoError(t, os.WriteFile(secret, []byte("private"), 0o600))
	f, err := os.OpenFile(secret, os.O_RDWR, 0)
	require.NoError(t, err)
	defer f.Close()

	cmd := exec.Command(os.Args[0], "-test.run=^TestSessionUser_InheritsNoDescriptors$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), fdHelperEnv+"="+secret)
	// The child gets it as descriptor 3, without close-on-exec.
	cmd.ExtraFiles = []*os.File{f}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	t.Log(out.String())
	require.NoError(t, err, "the agent side failed")
	assert.Contains(t, out.String(), "--- PASS: TestSessionUser_InheritsNoDescriptors")
}

// fdHelper is the agent side of TestSessionUser_InheritsNoDescriptors.
func fdHelper(t *testing.T) {
	secret := os.Getenv(fdHelperEnv)
	// The descriptor really is inherited and would survive an exec.
	target, err := os.Readlink("/proc/self/fd/3")
	require.NoError(t, err, "descriptor 3 is not open: the test does not test anything")
	require.Equal(t, secret, target)
	flags, err := unix.FcntlInt(3, unix.F_GETFD, 0)
	require.NoError(t, err)
	require.Zero(t, flags&unix.FD_CLOEXEC, "descriptor 3 came close-on-exec: the test does not test anything")

	list := "ls -l /proc/self/fd/; echo done"
	pty := execOpen("sh", "-c", list)
	pty.TTY = true
	tests := []struct {
		name string
		open sessionproto.Open
		in   string
	}{
		{name: "exec on pipes", open: execOpen("sh", "-c", list)},
		{name: "exec in a pty", open: pty},
		{name: "shell", open: shellOpen(0, 0), in: list + "; exit\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := newManager(t, Config{SessionUser: "nobody"}, &allowAll)
			p := serve(t, m, tt.open)
			require.True(t, p.opened().OK)
			if tt.in != "" {
				p.send(sessionproto.FrameData, []byte(tt.in))
			}
			var out output
			p.readExit(&out)
			listing := out.stdout.String()
			t.Logf("descriptors of the session's process:\n%s", listing)
			require.Contains(t, listing, "done")
			assert.NotContains(t, listing, filepath.Base(secret), "the agent's inherited descriptor reached a process of the session user")
			assert.False(t, strings.Contains(listing, " 3 -> "+secret))
		})
	}
}

// TestCloexecListed checks the fallback of kernels without close_range.
func TestCloexecListed(t *testing.T) {
	fd, err := unix.Open(filepath.Join(t.TempDir(), "f"), unix.O_CREAT|unix.O_RDWR, 0o600)
	require.NoError(t, err)
	defer unix.Close(fd)
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	require.NoError(t, err)
	require.Zero(t, flags&unix.FD_CLOEXEC)
	require.NoError(t, cloexecListed("/proc/self/fd"))
	flags, err = unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	require.NoError(t, err)
	assert.NotZero(t, flags&unix.FD_CLOEXEC)
	for _, std := range []int{0, 1, 2} {
		flags, err := unix.FcntlInt(uintptr(std), unix.F_GETFD, 0)
		require.NoError(t, err)
		assert.Zero(t, flags&unix.FD_CLOEXEC, "descriptor %d stays inheritable", std)
	}
}
