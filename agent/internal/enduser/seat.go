package enduser

import (
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// maxStateFile bounds a state file read (logind's are a few hundred bytes).
const maxStateFile = 64 << 10

// Source reads the seats of the system whose root directory is Root.
type Source struct {
	// Root is prefixed to every path read (/run/systemd/…, /sys/class/tty,
	// /dev); "" is "/". Tests point it at a directory of real-looking
	// files.
	Root string
}

// Active returns the active session of every local seat, empty when
// nobody holds one. The error is ErrUnsupported where the system does not
// tell.
func (s Source) Active() ([]Seat, error) { return s.active() }

func (s Source) path(p string) string {
	root := s.Root
	if root == "" {
		root = "/"
	}
	return filepath.Join(root, filepath.FromSlash(p))
}

var (
	// logindIDRE is a logind seat or session id: a file name of its
	// directory, never a path.
	logindIDRE = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$`)
	vtRE       = regexp.MustCompile(`^tty[1-9][0-9]{0,2}$`)
)

// ParseSeat returns the active session id of a logind seat file
// (/run/systemd/seats/<seat>, KEY=value lines): its ACTIVE=; "" when none.
func ParseSeat(b []byte) string {
	return stateValues(b)["ACTIVE"]
}

// SeatOf decodes the state file of logind session id and returns the seat
// it makes the end user's: only when the session says it is the active
// session of that very seat (SEAT=, ACTIVE=1), of class user (user,
// user-early or user-light; not a greeter, lock screen, background or
// incomplete session) and not remote (REMOTE=0), with a
// numeric UID= and a USER=. A key given twice counts as not given.
func SeatOf(seat, id string, b []byte) (Seat, bool) {
	kv := stateValues(b)
	// logind always writes REMOTE=; a file that does not say 0 is not
	// taken for a local session.
	if kv["SEAT"] != seat || kv["ACTIVE"] != "1" || kv["REMOTE"] != "0" {
		return Seat{}, false
	}
	switch kv["CLASS"] {
	case "user", "user-early", "user-light":
	default:
		return Seat{}, false
	}
	if st := kv["STATE"]; st != "" && st != "active" {
		return Seat{}, false
	}
	uid, err := strconv.Atoi(kv["UID"])
	if err != nil || uid < 0 || kv["USER"] == "" {
		return Seat{}, false
	}
	return Seat{Seat: seat, Session: id, UID: uid, User: kv["USER"], Display: kv["DISPLAY"], TTY: kv["TTY"]}, true
}

// stateValues decodes KEY=value lines; comments, blank and malformed lines
// are skipped, and a key given twice counts as not given (a file that says
// two things says nothing).
func stateValues(b []byte) map[string]string {
	kv := map[string]string{}
	dup := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || k == "" {
			continue
		}
		if _, seen := kv[k]; seen {
			dup[k] = true
		}
		kv[k] = v
	}
	for k := range dup {
		delete(kv, k)
	}
	return kv
}

// nameOf names uid, or returns it as a number.
func nameOf(uid int) string {
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
		return u.Username
	}
	return strconv.Itoa(uid)
}
