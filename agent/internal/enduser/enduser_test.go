//go:build linux

package enduser_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/agent/internal/enduser"
	"github.com/jumpgate/jumpgate/agent/internal/enduser/endusertest"
)

// The people of these tests: alice at the machine's screen, mallory logged
// in over ssh, and gdm's greeter.
var (
	alice   = endusertest.Session{ID: "2", UID: 1000, User: "alice", Seat: "seat0", Display: ":0", TTY: "tty2"}
	mallory = endusertest.Session{ID: "5", UID: 1001, User: "mallory", Remote: true, TTY: "pts/0"}
	greeter = endusertest.Session{ID: "c1", UID: 115, User: "gdm", Seat: "seat0", Class: "greeter", Display: ":1024", TTY: "tty1"}
)

func skipNotRoot(t *testing.T) {
	t.Helper()
	// The reader trusts only files root owns: the test's files must be.
	if os.Geteuid() != 0 {
		t.Skip("needs root: the seat files must be owned by root")
	}
}

func TestSource_Logind(t *testing.T) {
	skipNotRoot(t)
	aliceConsole := endusertest.Session{ID: "3", UID: 1000, User: "alice", Seat: "seat0", TTY: "tty3"}
	malloryLocked := endusertest.Session{ID: "7", UID: 1001, User: "mallory", Seat: "seat0", Class: "lock-screen", Display: ":0"}
	malloryRemoteSeat := endusertest.Session{ID: "8", UID: 1001, User: "mallory", Seat: "seat0", Remote: true, Display: ":0"}
	tests := []struct {
		name     string
		active   string
		sessions []endusertest.Session
		want     []enduser.Seat
	}{
		{
			name: "alice at the graphical seat, mallory over ssh", active: "2", sessions: []endusertest.Session{alice, mallory, greeter},
			want: []enduser.Seat{{Seat: "seat0", Session: "2", UID: 1000, User: "alice", Display: ":0", TTY: "tty2"}},
		},
		{
			name: "alice at a text console", active: "3", sessions: []endusertest.Session{aliceConsole, mallory},
			want: []enduser.Seat{{Seat: "seat0", Session: "3", UID: 1000, User: "alice", TTY: "tty3"}},
		},
		{name: "the greeter is active", active: "c1", sessions: []endusertest.Session{greeter, alice, mallory}},
		{name: "a lock screen is active", active: "7", sessions: []endusertest.Session{malloryLocked, mallory}},
		{name: "a remote session on the seat", active: "8", sessions: []endusertest.Session{malloryRemoteSeat}},
		{name: "no active session", sessions: []endusertest.Session{alice, mallory}},
		{name: "the seat names the ssh session", active: "5", sessions: []endusertest.Session{alice, mallory}},
		{name: "the active session's file is missing", active: "9", sessions: []endusertest.Session{alice}},
		{name: "the seat names a FIFO", active: "2.ref", sessions: []endusertest.Session{alice}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := endusertest.Logind(t, "", tt.active, tt.sessions...)
			got, err := enduser.Source{Root: root}.Active()
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestSource_IgnoresFilesNotTheSystems(t *testing.T) {
	skipNotRoot(t)
	tests := []struct {
		name  string
		spoil func(t *testing.T, path string)
	}{
		{name: "owned by a user", spoil: func(t *testing.T, path string) { require.NoError(t, os.Chown(path, 1001, 1001)) }},
		{name: "world-writable", spoil: func(t *testing.T, path string) { require.NoError(t, os.Chmod(path, 0o666)) }},
		{name: "a symlink", spoil: func(t *testing.T, path string) {
			require.NoError(t, os.Rename(path, path+".real"))
			require.NoError(t, os.Symlink(path+".real", path))
		}},
	}
	for _, tt := range tests {
		for _, file := range []string{"run/systemd/seats/seat0", "run/systemd/sessions/2"} {
			t.Run(tt.name+" "+file, func(t *testing.T) {
				root := endusertest.Logind(t, "", "2", alice, mallory)
				tt.spoil(t, filepath.Join(root, file))
				got, err := enduser.Source{Root: root}.Active()
				require.NoError(t, err)
				assert.Empty(t, got)
			})
		}
	}
}

// TestSource_VirtualConsole: without logind (no seat files, as on this
// test machine), the active virtual console's owner is the end user.
func TestSource_VirtualConsole(t *testing.T) {
	skipNotRoot(t)
	tests := []struct {
		name   string
		active string
		owner  int
		want   []enduser.Seat
	}{
		{name: "alice logged in on tty2", active: "tty2\n", owner: 1000, want: []enduser.Seat{{Seat: "vt", UID: 1000, User: "1000", TTY: "tty2"}}},
		{name: "a getty on tty2", active: "tty2\n", owner: 0},
		{name: "not a console", active: "../../etc/x\n", owner: 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			require.NoError(t, os.MkdirAll(filepath.Join(root, "sys/class/tty/tty0"), 0o755))
			require.NoError(t, os.MkdirAll(filepath.Join(root, "dev"), 0o755))
			require.NoError(t, os.MkdirAll(filepath.Join(root, "run/systemd/seats"), 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(root, "sys/class/tty/tty0/active"), []byte(tt.active), 0o644))
			dev := filepath.Join(root, "dev", strings.TrimSpace(tt.active))
			if !strings.Contains(tt.active, "/") {
				// /dev/tty2 is character device 4,2.
				require.NoError(t, syscall.Mknod(dev, syscall.S_IFCHR|0o620, 4<<8|2))
				require.NoError(t, os.Chown(dev, tt.owner, 5))
			}
			got, err := enduser.Source{Root: root}.Active()
			require.NoError(t, err)
			for i := range got {
				if got[i].User != "1000" {
					got[i].User = "1000" // whatever the machine names uid 1000
				}
			}
			assert.Equal(t, tt.want, got)
		})
	}
	t.Run("a plain file is not a console", func(t *testing.T) {
		root := t.TempDir()
		require.NoError(t, os.MkdirAll(filepath.Join(root, "sys/class/tty/tty0"), 0o755))
		require.NoError(t, os.MkdirAll(filepath.Join(root, "dev"), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(root, "sys/class/tty/tty0/active"), []byte("tty2\n"), 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(root, "dev/tty2"), nil, 0o644))
		require.NoError(t, os.Chown(filepath.Join(root, "dev/tty2"), 1000, 1000))
		got, err := enduser.Source{Root: root}.Active()
		require.NoError(t, err)
		assert.Empty(t, got)
	})
	t.Run("nothing tells", func(t *testing.T) {
		_, err := enduser.Source{Root: t.TempDir()}.Active()
		assert.ErrorIs(t, err, enduser.ErrUnsupported)
	})
}

func TestPolicy_Check(t *testing.T) {
	skipNotRoot(t)
	seat := endusertest.Logind(t, "", "2", alice, mallory, greeter)
	greeterOnly := endusertest.Logind(t, "", "c1", greeter, alice, mallory)
	tests := []struct {
		name   string
		policy enduser.Policy
		uid    int
		want   error
	}{
		{name: "the user at the seat", policy: enduser.Policy{Source: enduser.Source{Root: seat}}, uid: 1000},
		{name: "a user logged in over ssh", policy: enduser.Policy{Source: enduser.Source{Root: seat}}, uid: 1001, want: enduser.ErrNotAtSeat},
		{name: "the greeter's user", policy: enduser.Policy{Source: enduser.Source{Root: seat}}, uid: 115, want: enduser.ErrNotAtSeat},
		{name: "nobody at the seat", policy: enduser.Policy{Source: enduser.Source{Root: greeterOnly}}, uid: 1000, want: enduser.ErrNoSeat},
		{name: "nothing tells", policy: enduser.Policy{Source: enduser.Source{Root: t.TempDir()}}, uid: 1000, want: enduser.ErrNoSeat},
		{name: "listed by name, over ssh", policy: enduser.Policy{Users: []string{"root", "nobody"}, Source: enduser.Source{Root: seat}}, uid: 65534},
		{name: "listed by uid", policy: enduser.Policy{Users: []string{"1001"}, Source: enduser.Source{Root: seat}}, uid: 1001},
		{name: "a list leaves out the seat's user", policy: enduser.Policy{Users: []string{"nobody"}, Source: enduser.Source{Root: seat}}, uid: 1000, want: enduser.ErrNotListed},
		{name: "a name the machine does not know matches nobody", policy: enduser.Policy{Users: []string{"no-such-user-jg"}}, uid: 1000, want: enduser.ErrNotListed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.policy.Check(tt.uid)
			if tt.want == nil {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, tt.want)
			}
		})
	}
}

func TestPolicy_DisplaySeat(t *testing.T) {
	skipNotRoot(t)
	seat := endusertest.Logind(t, "", "2", alice, mallory, greeter)
	tests := []struct {
		name    string
		policy  enduser.Policy
		display string
		wantErr string
	}{
		{name: "alice's display", display: ":0"},
		{name: "alice's display, screen 0", display: ":0.0"},
		{name: "alice's display, unix:", display: "unix:0"},
		{name: "an ssh-forwarded display", display: "localhost:10.0", wantErr: "not a local display"},
		{name: "the greeter's display", display: ":1024", wantErr: "not the display of a local seat's active session"},
		{name: "no display", display: "", wantErr: "not a local display"},
		{name: "alice is not listed", policy: enduser.Policy{Users: []string{"nobody"}}, display: ":0", wantErr: "only root and the end users named at install"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.policy.Source = enduser.Source{Root: seat}
			s, err := tt.policy.DisplaySeat(tt.display)
			if tt.wantErr != "" {
				assert.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, 1000, s.UID)
		})
	}
}

func TestPolicy_UIDs(t *testing.T) {
	skipNotRoot(t)
	seat := endusertest.Logind(t, "", "2", alice, mallory, greeter)
	greeterOnly := endusertest.Logind(t, "", "c1", greeter, alice, mallory)
	assert.Equal(t, []int{1000}, enduser.Policy{Source: enduser.Source{Root: seat}}.UIDs())
	assert.Empty(t, enduser.Policy{Source: enduser.Source{Root: greeterOnly}}.UIDs())
	assert.Equal(t, []int{1001, 65534}, enduser.Policy{Users: []string{"nobody", "1001", "root", "no-such-user-jg", "1001"}, Source: enduser.Source{Root: seat}}.UIDs())
}
