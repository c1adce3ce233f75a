package localctl_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/agent/internal/enduser"
	"github.com/jumpgate/jumpgate/agent/internal/enduser/endusertest"
	"github.com/jumpgate/jumpgate/agent/internal/localctl"
	"github.com/jumpgate/jumpgate/agent/internal/localctl/localctltest"
	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/internal/localuser"
)

// helperSocket, in the environment, makes the test binary a client that
// sends one request (helperRequest, else a list) to that socket and prints
// the answer's first line, or "dial: …" when it cannot connect.
const (
	helperSocket  = "LOCALCTL_TEST_HELPER_SOCKET"
	helperRequest = "LOCALCTL_TEST_HELPER_REQUEST"
)

func TestMain(m *testing.M) {
	if path := os.Getenv(helperSocket); path != "" {
		os.Exit(helperClient(path, os.Getenv(helperRequest)))
	}
	os.Exit(m.Run())
}

func helperClient(path, req string) int {
	if req == "" {
		req = `{"op":"list"}`
	}
	c, err := net.DialTimeout("unix", path, 10*time.Second)
	if err != nil {
		fmt.Println("dial:", err)
		return 0
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	// The refusal may close the connection before the request is written;
	// the answer is there to read either way.
	_, _ = c.Write([]byte(req + "\n"))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		fmt.Println("read:", err)
		return 1
	}
	fmt.Print(line)
	return 0
}

// localUser is a throwaway account made for a test.
type localUser = localuser.User

// addUser makes a real local account that the test removes when it ends.
func addUser(t *testing.T, prefix string) localUser { return localuser.Add(t, prefix) }

// clientTree is a 0755 directory outside the test's 0700 temp dirs, holding
// a copy of the test binary, so that another user can run the helper
// client and reach sockets made inside it.
func clientTree(t *testing.T) (base, helper string) {
	t.Helper()
	base, err := os.MkdirTemp("", "localctl-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(base) })
	require.NoError(t, os.Chmod(base, 0o755))
	exe, err := os.Executable()
	require.NoError(t, err)
	helper = filepath.Join(base, "helper")
	b, err := os.ReadFile(exe)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(helper, b, 0o755))
	return base, helper
}

// as runs the helper client as u (nil: as the test's user, root), sending
// req to the socket of the agent in dir, and returns its answer line.
func as(t *testing.T, helper, dir string, u *localUser, req string) string {
	t.Helper()
	cmd := exec.Command(helper, "-test.run=^$")
	cmd.Env = []string{helperSocket + "=" + localctl.SocketPath(dir), helperRequest + "=" + req}
	if u != nil {
		cmd.SysProcAttr = u.SysProcAttr()
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Run(), out.String())
	return strings.TrimSpace(out.String())
}

// TestServer_EndUser is the attack of a local user on a system-wide Jump
// Client: the agent runs as root, alice sits at the machine's screen
// (logind's active session on seat0), and mallory, another real local
// user, is logged in over ssh (a logind session, REMOTE=1). Mallory
// connects to the real socket as herself (SO_PEERCRED tells the agent) and
// tries to accept a consent prompt and to end a session; both are
// refused, and the manager never hears of it. Alice may; and when the
// install names its end users, only they may, wherever they log in from.
//
// logind does not run on the test machine: its seat and session files are
// written, as systemd 252 writes them, under a directory the agent reads
// in place of /run/systemd (enduser.Source.Root).
func TestServer_EndUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: it runs the agent as root, makes local users and runs clients as them")
	}
	if _, err := exec.LookPath("useradd"); err != nil {
		t.Skip("no useradd")
	}
	alice, mallory := addUser(t, "jga"), addUser(t, "jgm")
	aliceAtSeat := endusertest.Session{ID: "2", UID: alice.UID, User: alice.Name, Seat: "seat0", Display: ":0", TTY: "tty2"}
	malloryOverSSH := endusertest.Session{ID: "5", UID: mallory.UID, User: mallory.Name, Remote: true, TTY: "pts/0"}
	greeter := endusertest.Session{ID: "c1", UID: 115, User: "gdm", Seat: "seat0", Class: "greeter", Display: ":1024"}
	seat := endusertest.Logind(t, "", "2", aliceAtSeat, malloryOverSSH, greeter)
	nobodyAtSeat := endusertest.Logind(t, "", "c1", aliceAtSeat, malloryOverSSH, greeter)
	base, helper := clientTree(t)

	const (
		accept = `{"op":"answer","session":7,"accept":true}`
		end    = `{"op":"end","session":9,"reason":"bye"}`
	)
	refusal := func(u localUser, why string) string {
		return fmt.Sprintf(`{"error":"user %s (uid %d) may not control the agent's sessions: %s"}`, u.Name, u.UID, why)
	}
	tests := []struct {
		name     string
		policy   enduser.Policy
		who      *localUser
		req      string
		want     string
		wantCall *localctltest.Call
	}{
		{name: "mallory over ssh accepts", policy: enduser.Policy{Source: enduser.Source{Root: seat}}, who: &mallory, req: accept,
			want: refusal(mallory, enduser.ErrNotAtSeat.Error())},
		{name: "mallory over ssh ends a session", policy: enduser.Policy{Source: enduser.Source{Root: seat}}, who: &mallory, req: end,
			want: refusal(mallory, enduser.ErrNotAtSeat.Error())},
		{name: "mallory over ssh lists", policy: enduser.Policy{Source: enduser.Source{Root: seat}}, who: &mallory, req: `{"op":"list"}`,
			want: refusal(mallory, enduser.ErrNotAtSeat.Error())},
		{name: "alice at the seat accepts", policy: enduser.Policy{Source: enduser.Source{Root: seat}}, who: &alice, req: accept,
			want: `{"ok":true}`, wantCall: &localctltest.Call{Op: "answer", Session: 7, Accept: true, By: alice.Name}},
		{name: "nobody at the seat: alice may not accept", policy: enduser.Policy{Source: enduser.Source{Root: nobodyAtSeat}}, who: &alice, req: accept,
			want: refusal(alice, enduser.ErrNoSeat.Error())},
		{name: "root always may", policy: enduser.Policy{Source: enduser.Source{Root: nobodyAtSeat}}, req: accept,
			want: `{"ok":true}`, wantCall: &localctltest.Call{Op: "answer", Session: 7, Accept: true, By: "root"}},
		{name: "listed: mallory over ssh ends a session", policy: enduser.Policy{Users: []string{mallory.Name}, Source: enduser.Source{Root: seat}}, who: &mallory, req: end,
			want: `{"ok":true}`, wantCall: &localctltest.Call{Op: "end", Session: 9, By: mallory.Name, Reason: "bye"}},
		{name: "listed: alice at the seat is not", policy: enduser.Policy{Users: []string{mallory.Name}, Source: enduser.Source{Root: seat}}, who: &alice, req: accept,
			want: refusal(alice, enduser.ErrNotListed.Error())},
	}
	// Both guards are seen on their own: the socket's ACL (the kernel
	// refuses the connection), and, where a file system has no ACLs and
	// the socket is 0666, the agent's check of the peer.
	for _, layer := range []string{"socket ACL", "peer check"} {
		t.Run(layer, func(t *testing.T) {
			if layer == "peer check" {
				localctl.WithoutACL(t)
			}
			for i, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					dir := filepath.Join(base, layer[:4]+strconv.Itoa(i))
					require.NoError(t, os.Mkdir(dir, 0o755))
					m := localctltest.New(sessions()...)
					srv, err := localctl.Listen(localctl.Config{Dir: dir, Manager: m, EndUsers: tt.policy})
					require.NoError(t, err)
					ctx, cancel := context.WithCancel(context.Background())
					served := make(chan error, 1)
					go func() { served <- srv.Serve(ctx) }()
					defer func() { cancel(); <-served }()

					got := as(t, helper, dir, tt.who, tt.req)
					if tt.wantCall != nil {
						assert.JSONEq(t, tt.want, got)
						assert.Equal(t, []localctltest.Call{*tt.wantCall}, m.Calls())
						return
					}
					assert.Empty(t, m.Calls(), "a refused peer reached the manager")
					assert.Equal(t, api.SessionPrompting, m.Sessions()[0].Status, "the prompt is still waiting")
					assert.Len(t, m.Sessions(), 2, "no session ended")
					if layer == "socket ACL" {
						assert.True(t, strings.HasPrefix(got, "dial:") && strings.Contains(got, "permission denied"),
							"the kernel lets a user who is not the end user connect: %s", got)
						return
					}
					assert.JSONEq(t, tt.want, got)
				})
			}
		})
	}
}

// TestServer_ACLFollowsTheSeat: the socket opens to alice when she sits
// down at the machine and closes again when she leaves, without a restart.
func TestServer_ACLFollowsTheSeat(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: it runs the agent as root, makes a local user and runs a client as it")
	}
	if _, err := exec.LookPath("useradd"); err != nil {
		t.Skip("no useradd")
	}
	alice := addUser(t, "jga")
	aliceAtSeat := endusertest.Session{ID: "2", UID: alice.UID, User: alice.Name, Seat: "seat0", Display: ":0"}
	greeter := endusertest.Session{ID: "c1", UID: 115, User: "gdm", Seat: "seat0", Class: "greeter", Display: ":1024"}
	root := endusertest.Logind(t, "", "c1", aliceAtSeat, greeter)
	base, helper := clientTree(t)
	dir := filepath.Join(base, "jc")
	require.NoError(t, os.Mkdir(dir, 0o755))
	srv, err := localctl.Listen(localctl.Config{Dir: dir, Manager: localctltest.New(), EndUsers: enduser.Policy{Source: enduser.Source{Root: root}}})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx) }()
	defer func() { cancel(); <-served }()

	list := `{"op":"list"}`
	assert.Contains(t, as(t, helper, dir, &alice, list), "permission denied", "the greeter holds the seat")
	endusertest.Logind(t, root, "2", aliceAtSeat, greeter)
	poll(t, "alice reaches the socket once she holds the seat", func() bool {
		return as(t, helper, dir, &alice, list) == `{"ok":true,"sessions":[]}`
	})
	endusertest.Logind(t, root, "c1", aliceAtSeat, greeter)
	poll(t, "the socket closes to alice once she left", func() bool {
		return strings.Contains(as(t, helper, dir, &alice, list), "permission denied")
	})
}

func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 15s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
