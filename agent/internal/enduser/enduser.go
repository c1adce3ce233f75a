// Package enduser decides who the end user of a Jump Client is: the person
// who may answer its consent prompts and end, revoke or restore the
// sessions on the machine (the control socket of localctl and the desktop
// dialogs of prompt).
//
// # Who the end user is
//
// Root and the agent's own user may always act (they own the agent); the
// callers check that. Of everyone else:
//
//   - When the install names its end users (--end-users user1,user2, kept in
//     the install state), exactly those users are end users, wherever they
//     are logged in from, an ssh login included; nobody else is.
//   - Otherwise the end user is whoever holds the machine's screen and
//     keyboard now: the owner of the active session of a local seat. On
//     Linux with systemd-logind that is the session named by ACTIVE= in
//     /run/systemd/seats/<seat>, if its state file in /run/systemd/sessions
//     says it is active, on that seat, of class user and not remote.
//     Without logind (no seat files), it is the owner of the active virtual
//     console's terminal device (/sys/class/tty/tty0/active, /dev/ttyN),
//     which login(1) gives to the user it logs in and takes back at logout.
//     On macOS it is the owner of /dev/console (root at the login window,
//     which counts as nobody). When nobody holds a seat — a greeter or a
//     lock screen is active, the machine is a headless server, or the
//     system cannot tell — no local user but root may answer, and a prompt
//     runs out: the session policy's on_timeout applies.
//
// A remote login (ssh, a remote desktop session logind marks remote) is
// never the end user unless the install names its user. The decision is
// made again for every request, so that the user who leaves the seat loses
// it at once.
package enduser

import (
	"errors"
	"fmt"
	"os/user"
	"slices"
	"strconv"
	"strings"
)

// Errors of Policy.Check; their text completes "… may not control the
// agent's sessions: ".
var (
	// ErrNotListed: the install names its end users, and this user is not
	// one of them.
	ErrNotListed = errors.New("only root and the end users named at install (--end-users) may")
	// ErrNotAtSeat: someone else holds the machine's seat.
	ErrNotAtSeat = errors.New("only root and the user logged in at this machine's screen and keyboard (its active seat) may")
	// ErrNoSeat: nobody holds the machine's seat now.
	ErrNoSeat = errors.New("only root and the user logged in at this machine's screen and keyboard (its active seat) may, and nobody is logged in there now")
	// ErrUnsupported: this system does not tell who holds its seat.
	ErrUnsupported = errors.New("this system does not tell the agent who is at its screen and keyboard")
)

// Seat is the active session of one local seat: the person at a screen and
// keyboard of the machine.
type Seat struct {
	// Seat names the seat: "seat0" (logind), "vt" (the active virtual
	// console) or "console" (macOS).
	Seat string
	// Session is logind's session id; "" elsewhere.
	Session string
	// UID and User are the session's owner.
	UID  int
	User string
	// Display is the session's X11 display (":0"); "" when it has none
	// or nobody says.
	Display string
	// TTY is the session's terminal ("tty2"), when it has one.
	TTY string
}

// Policy says who the end users are. The zero value is the seat rule on
// the running system.
type Policy struct {
	// Users are the install's --end-users: names, or numeric uids for
	// users the agent cannot name. When set, exactly these users are end
	// users and the seats are not consulted.
	Users []string
	// Source is where the seats are read; the zero value reads the
	// running system.
	Source Source
}

// Check returns nil when the user uid is an end user now, else
// one of the errors above (possibly wrapped) that says why not. It does not
// know root or the agent's own user: the callers allow those first.
func (p Policy) Check(uid int) error {
	if len(p.Users) > 0 {
		if p.listed(uid) {
			return nil
		}
		return ErrNotListed
	}
	seats, err := p.Source.Active()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNoSeat, err)
	}
	if len(seats) == 0 {
		return ErrNoSeat
	}
	for _, s := range seats {
		if s.UID == uid {
			return nil
		}
	}
	return ErrNotAtSeat
}

// UIDs returns the uids of the end users now, sorted and without root:
// those of the listed users the agent can resolve (numbers as they are),
// else the owners of the active seats. It is what a file such as the
// control socket is opened to; Check stays the decision.
func (p Policy) UIDs() []int {
	var uids []int
	if len(p.Users) > 0 {
		for _, u := range p.Users {
			u = strings.TrimSpace(u)
			if n, err := strconv.Atoi(u); err == nil {
				uids = append(uids, n)
			} else if acct, err := user.Lookup(u); err == nil {
				if n, err := strconv.Atoi(acct.Uid); err == nil {
					uids = append(uids, n)
				}
			}
		}
	} else if seats, err := p.Source.Active(); err == nil {
		for _, s := range seats {
			uids = append(uids, s.UID)
		}
	}
	slices.Sort(uids)
	uids = slices.Compact(uids)
	return slices.DeleteFunc(uids, func(uid int) bool { return uid <= 0 })
}

// listed reports whether the allow-list names uid. Names are resolved to
// uids at each check, so that a name and the number of the same account
// mean the same; a name the agent cannot resolve matches nobody (list such
// users by uid).
func (p Policy) listed(uid int) bool {
	for _, u := range p.Users {
		u = strings.TrimSpace(u)
		if u == "" {
			continue
		}
		if n, err := strconv.Atoi(u); err == nil {
			if n == uid {
				return true
			}
			continue
		}
		if acct, err := user.Lookup(u); err == nil && acct.Uid == strconv.Itoa(uid) {
			return true
		}
	}
	return false
}

// DisplaySeat returns the seat whose session shows on the X11 display (the
// agent's $DISPLAY) when its owner is an end user now; a display that is
// not local (host:N, an ssh-forwarded X server) or not an active seat's is
// nobody's. It is what a root agent asks before it shows a dialog that
// whoever sits at display may answer.
func (p Policy) DisplaySeat(display string) (Seat, error) {
	want, ok := localDisplay(display)
	if !ok {
		return Seat{}, fmt.Errorf("display %q is not a local display", display)
	}
	seats, err := p.Source.Active()
	if err != nil {
		return Seat{}, err
	}
	for _, s := range seats {
		if got, ok := localDisplay(s.Display); ok && got == want {
			if err := p.Check(s.UID); err != nil {
				return Seat{}, fmt.Errorf("user %s at display %s: %w", s.User, display, err)
			}
			return s, nil
		}
	}
	return Seat{}, fmt.Errorf("display %s is not the display of a local seat's active session", display)
}

// localDisplay returns the display number of a local X11 display name
// (":0", ":0.0", "unix:0"); false for a remote one ("localhost:10.0",
// "host:0") or a malformed one.
func localDisplay(d string) (string, bool) {
	host, rest, ok := strings.Cut(d, ":")
	if !ok || (host != "" && host != "unix") {
		return "", false
	}
	num, _, _ := strings.Cut(rest, ".")
	if num == "" || len(num) > 6 {
		return "", false
	}
	for _, c := range num {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	return strings.TrimLeft(num[:len(num)-1], "0") + num[len(num)-1:], true
}
