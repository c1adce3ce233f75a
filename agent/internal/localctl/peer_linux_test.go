package localctl_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/agent/internal/host"
	"github.com/jumpgate/jumpgate/agent/internal/localctl"
	"github.com/jumpgate/jumpgate/agent/internal/localctl/localctltest"
)

// helperSocket, in the environment, makes the test binary a client that
// sends one list request to that socket and prints the answer.
const helperSocket = "LOCALCTL_TEST_HELPER_SOCKET"

func TestMain(m *testing.M) {
	if path := os.Getenv(helperSocket); path != "" {
		os.Exit(helperClient(path))
	}
	os.Exit(m.Run())
}

func helperClient(path string) int {
	c, err := net.DialTimeout("unix", path, 10*time.Second)
	if err != nil {
		fmt.Println("dial:", err)
		return 1
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	// The refusal may close the connection before the request is written;
	// the answer is there to read either way.
	_, _ = c.Write([]byte(`{"op":"list"}` + "\n"))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		fmt.Println("read:", err)
		return 1
	}
	fmt.Print(line)
	return 0
}

// TestServer_OtherUID connects as another user (nobody), which the default
// policy refuses unless that user is logged in. It needs root to switch
// users.
func TestServer_OtherUID(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run a client as another user")
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no user nobody")
	}
	uid, _ := strconv.Atoi(nobody.Uid)
	gid, _ := strconv.Atoi(nobody.Gid)

	// Everything nobody touches must be reachable by it: a 0755 dir
	// outside the test's 0700 temp dirs.
	base, err := os.MkdirTemp("", "localctl-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(base) })
	require.NoError(t, os.Chmod(base, 0o755))
	exe, err := os.Executable()
	require.NoError(t, err)
	helper := filepath.Join(base, "helper")
	b, err := os.ReadFile(exe)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(helper, b, 0o755))

	tests := []struct {
		name     string
		loggedIn []string
		want     string
	}{
		{name: "not logged in", want: fmt.Sprintf(`{"error":"user nobody (uid %d) may not control the agent's sessions: only root, the agent's user and users logged in on this machine may"}`, uid)},
		{name: "logged in", loggedIn: []string{"nobody"}, want: `{"ok":true,"sessions":[]}`},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(base, strconv.Itoa(i))
			require.NoError(t, os.Mkdir(dir, 0o755))
			srv, err := localctl.Listen(localctl.Config{Dir: dir, Manager: localctltest.New(), Authorize: localctl.Policy{
				OwnUID:   os.Geteuid(),
				LoggedIn: func() []string { return append(host.LoggedInUsers(), tt.loggedIn...) },
			}.Allow})
			require.NoError(t, err)
			ctx, cancel := context.WithCancel(context.Background())
			served := make(chan error, 1)
			go func() { served <- srv.Serve(ctx) }()
			defer func() { cancel(); <-served }()

			cmd := exec.Command(helper, "-test.run=^$")
			cmd.Env = []string{helperSocket + "=" + localctl.SocketPath(dir)}
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			require.NoError(t, cmd.Run(), out.String())
			assert.JSONEq(t, tt.want, out.String())
		})
	}
}
