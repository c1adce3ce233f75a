package localctl

import (
	"errors"
	"fmt"
	"os/user"
	"strconv"
)

// UnknownUID is Peer.UID when the OS does not tell who the peer is.
const UnknownUID = -1

// Peer is the process at the other end of a control connection.
type Peer struct {
	// UID is the peer's user id, UnknownUID when the OS does not tell.
	UID int
	// PID is the peer's process id where the OS tells (Linux), else 0.
	PID int
	// User is the name of UID, its number when it has no name, or the
	// agent's own user name when UID is unknown (only that user and root
	// can open a 0600 socket).
	User string
}

// Policy is the default authorisation of peers: root, the agent's own user
// and the end user (package enduser: the user at the machine's active seat,
// or the users the install names); everyone else is refused. A peer whose
// uid is unknown is allowed only when the socket's mode already restricts
// it to the agent's user and root (the agent does not run as root).
type Policy struct {
	// OwnUID is the uid the agent runs as.
	OwnUID int
	// EndUser returns nil when uid is the end user now
	// (enduser.Policy.Check), else why not; nil refuses everyone but root
	// and the agent's user.
	EndUser func(uid int) error
}

// Allow returns nil when peer may use the socket, else an error that says
// why not, worded for the peer.
func (p Policy) Allow(peer Peer) error {
	switch {
	case peer.UID == UnknownUID:
		if p.OwnUID == 0 {
			return fmt.Errorf("this system does not tell the agent who is connecting, and the agent runs as root: the control socket is refused to everyone")
		}
		return nil
	case peer.UID == 0, peer.UID == p.OwnUID:
		return nil
	}
	why := errors.New("only root and the agent's user may")
	if p.EndUser != nil {
		if why = p.EndUser(peer.UID); why == nil {
			return nil
		}
	}
	return fmt.Errorf("user %s (uid %d) may not control the agent's sessions: %w", peer.User, peer.UID, why)
}

// userName names uid, or returns it as a number when it has no name.
func userName(uid int) string {
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
		return u.Username
	}
	return strconv.Itoa(uid)
}
