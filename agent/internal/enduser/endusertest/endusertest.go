// Package endusertest writes stand-ins for the files package enduser reads
// (systemd-logind's /run/systemd seat and session state files, the active
// virtual console), in the format a running systemd 252 writes them, under
// a directory that an enduser.Source takes as its Root.
package endusertest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Session is one logind session.
type Session struct {
	ID   string
	UID  int
	User string
	// Seat is "seat0" for a session at the machine, "" for a remote or
	// background one.
	Seat string
	// Remote marks an ssh (or other remote) login.
	Remote bool
	// Class is user (default), greeter, lock-screen, background.
	Class string
	// Type is x11 (default when Display is set), wayland or tty.
	Type    string
	Display string
	TTY     string
}

// File is the session's state file, as logind writes it.
func (s Session) File() string {
	class := s.Class
	if class == "" {
		class = "user"
	}
	typ := s.Type
	if typ == "" {
		typ = "tty"
		if s.Display != "" {
			typ = "x11"
		}
	}
	var b strings.Builder
	w := func(k, v string) { fmt.Fprintf(&b, "%s=%s\n", k, v) }
	b.WriteString("# This is private data. Do not parse.\n")
	w("UID", fmt.Sprint(s.UID))
	w("USER", s.User)
	w("ACTIVE", "1")
	w("IS_DISPLAY", map[bool]string{true: "1", false: "0"}[s.Display != ""])
	w("STATE", "active")
	w("REMOTE", map[bool]string{true: "1", false: "0"}[s.Remote])
	w("TYPE", typ)
	w("ORIGINAL_TYPE", typ)
	w("CLASS", class)
	w("SCOPE", "session-"+s.ID+".scope")
	w("FIFO", "/run/systemd/sessions/"+s.ID+".ref")
	if s.Seat != "" {
		w("SEAT", s.Seat)
	}
	if s.TTY != "" {
		w("TTY", s.TTY)
	}
	if s.Display != "" {
		w("DISPLAY", s.Display)
	}
	if s.Remote {
		w("REMOTE_HOST", "203.0.113.9")
		w("SERVICE", "sshd")
	} else if s.Display != "" {
		w("SERVICE", "gdm-password")
		w("VTNR", "2")
	} else {
		w("SERVICE", "login")
	}
	w("LEADER", "4242")
	w("AUDIT", s.ID)
	w("REALTIME", "1765155600000000")
	w("MONOTONIC", "81234567")
	w("CONTROLLERS", "")
	w("DEVICES", "")
	return b.String()
}

// SeatFile is seat0's state file with active the active session id ("" for
// none) among sessions.
func SeatFile(active string, activeUID int, sessions ...string) string {
	var b strings.Builder
	b.WriteString("# This is private data. Do not parse.\nIS_SEAT0=1\nCAN_MULTI_SESSION=1\nCAN_TTY=1\nCAN_GRAPHICAL=1\n")
	if active != "" {
		fmt.Fprintf(&b, "ACTIVE=%s\nACTIVE_UID=%d\n", active, activeUID)
	}
	fmt.Fprintf(&b, "SESSIONS=%s\n", strings.Join(sessions, " "))
	return b.String()
}

// Logind writes a root holding seat0 (whose active session is active, ""
// for none) and the sessions' files, each with its .ref FIFO as logind
// keeps them, and returns the root. Calling it again on the same root
// replaces the files.
func Logind(t testing.TB, root, active string, sessions ...Session) string {
	t.Helper()
	if root == "" {
		root = t.TempDir()
	}
	seats := filepath.Join(root, "run/systemd/seats")
	dir := filepath.Join(root, "run/systemd/sessions")
	require.NoError(t, os.MkdirAll(seats, 0o755))
	require.NoError(t, os.RemoveAll(dir))
	require.NoError(t, os.MkdirAll(dir, 0o755))
	var ids []string
	activeUID := 0
	for _, s := range sessions {
		if s.Seat == "seat0" {
			ids = append(ids, s.ID)
		}
		if s.ID == active {
			activeUID = s.UID
		}
		write(t, filepath.Join(dir, s.ID), s.File())
		require.NoError(t, mkfifo(filepath.Join(dir, s.ID+".ref")))
	}
	write(t, filepath.Join(seats, "seat0"), SeatFile(active, activeUID, ids...))
	return root
}

// write replaces a file atomically, as logind does.
func write(t testing.TB, path, content string) {
	t.Helper()
	tmp := path + ".tmp"
	require.NoError(t, os.WriteFile(tmp, []byte(content), 0o644))
	require.NoError(t, os.Chmod(tmp, 0o644))
	require.NoError(t, os.Rename(tmp, path))
}
