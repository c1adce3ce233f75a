package host

import (
	"os"
	"path/filepath"
	"sort"
)

// logindSession is one systemd-logind session, from its state file in
// /run/systemd/sessions. Newer systems (utmp is being retired for 2038)
// keep login state only there.
type logindSession struct {
	ID      string
	User    string
	Seat    string
	TTY     string
	Display string
	Type    string // x11, wayland, tty, unspecified
	Class   string // user, greeter, lock-screen, background
	Active  bool
	Remote  bool
}

// parseLogindSession decodes a session state file.
func parseLogindSession(id string, b []byte) logindSession {
	kv := keyValues(string(b), "=")
	return logindSession{
		ID: id, User: kv["USER"], Seat: kv["SEAT"], TTY: kv["TTY"], Display: kv["DISPLAY"],
		Type: kv["TYPE"], Class: kv["CLASS"], Active: kv["ACTIVE"] == "1", Remote: kv["REMOTE"] == "1",
	}
}

// readLogindSessions reads every session state file under dir.
func readLogindSessions(dir string) []logindSession {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []logindSession
	for _, e := range ents {
		if e.IsDir() || e.Name()[0] == '.' {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		s := parseLogindSession(e.Name(), b)
		if s.User != "" && (s.Class == "" || s.Class == "user") {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// seatSession picks the session at the machine's seat: an active one on a
// seat first, then any on a seat.
func seatSession(ss []logindSession) (logindSession, bool) {
	for _, s := range ss {
		if s.Seat != "" && s.Active && !s.Remote {
			return s, true
		}
	}
	for _, s := range ss {
		if s.Seat != "" && !s.Remote {
			return s, true
		}
	}
	return logindSession{}, false
}

// logindLocalLogin reports whether any session is a local login: on a
// seat or a terminal, and not remote (cron and other background sessions
// have neither).
func logindLocalLogin(ss []logindSession) bool {
	for _, s := range ss {
		if !s.Remote && (s.Seat != "" || s.TTY != "") {
			return true
		}
	}
	return false
}
