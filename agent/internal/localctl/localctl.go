// Package localctl is the running agent's local control socket: how the
// end user at the endpoint sees the sessions on it and answers consent
// prompts, revokes or restores control and ends sessions
// (`jumpgate-agent consent …` and `jumpgate-agent sessions …`).
//
// # Protocol
//
// The socket is a Unix socket at <install-dir>/run/ctl.sock. A client
// writes one JSON request line; the server answers with JSON lines:
//
//	{"op":"list"}                                     → {"ok":true,"sessions":[SessionInfo…]}
//	{"op":"answer","session":N,"accept":true|false}   → {"ok":true} | {"error":"…"}
//	{"op":"control","session":N,"revoked":true|false} → {"ok":true[,"warning":"…"]} | {"error":"…"}
//	{"op":"end","session":N,"reason":"…"}             → {"ok":true[,"warning":"…"]} | {"error":"…"}
//	{"op":"watch"}                                    → SessionInfo lines: first one per current
//	                                                    session, then one per change, until the
//	                                                    client hangs up; or one {"error":"…"} line
//
// A connection may carry several requests one after another (watch ends
// it). A malformed line is answered with an error and the server reads the
// next one. A peer that may not use the socket is answered with one error
// line and disconnected.
//
// # Who may connect
//
// The socket is mode 0600; its directory is 0755. A root agent on Linux
// adds a POSIX ACL that lets the end users' uids connect, brought up to
// date every second (the seat changes hands), so that the kernel refuses
// everyone else. Where the file system has no ACLs, and on macOS, a root
// agent makes the socket 0666 and relies on the checks below. On Linux
// (SO_PEERCRED) and macOS (LOCAL_PEERCRED) the server learns the peer's uid
// and allows only root, the agent's own user and the end user (Policy;
// package enduser decides who that is: the install's --end-users, else the
// user of the active session at the machine's seat). It decides at connect
// and again before every request, and every few seconds during a watch,
// so that a user who has left the seat loses the socket. Elsewhere the
// peer's uid is unknown: the server then relies on the socket's mode
// alone, and refuses everyone when it runs as root (mode 0666 would let any
// local user in). Windows has no control socket (ErrUnsupported).
//
// The user name of the peer is what the session manager records as the
// one who answered, revoked or ended ("by").
package localctl

import (
	"errors"
	"path/filepath"

	"github.com/jumpgate/jumpgate/api/agentproto"
)

// Names of the socket inside the install dir.
const (
	// RunDir is the directory of runtime files inside the install dir.
	RunDir = "run"
	// SocketName is the control socket's file name inside RunDir.
	SocketName = "ctl.sock"
)

// Ops of Request.
const (
	OpList    = "list"
	OpAnswer  = "answer"
	OpControl = "control"
	OpEnd     = "end"
	OpWatch   = "watch"
)

// MaxLine bounds one request or response line.
const MaxLine = 1 << 20

// ErrUnsupported is returned on systems without the control socket
// (Windows).
var ErrUnsupported = errors.New("the local control socket is not supported on this system")

// SocketPath returns the control socket's path of the agent installed in
// dir.
func SocketPath(dir string) string {
	return filepath.Join(dir, RunDir, SocketName)
}

// Manager is what the server needs of the agent's session manager
// (session.Manager implements it).
type Manager interface {
	// Sessions returns the prompting and active sessions, oldest first.
	Sessions() []agentproto.SessionInfo
	// Answer answers session id's consent prompt.
	Answer(id int64, accept bool, by string) error
	// SetControl revokes or restores the representative's control.
	SetControl(id int64, revoked bool, by string) error
	// End ends the session.
	End(id int64, by, reason string) error
	// Subscribe returns every change of a session until cancel is called.
	Subscribe() (<-chan agentproto.SessionInfo, func())
}

// Request is one request line.
type Request struct {
	// Op is list, answer, control, end or watch.
	Op string `json:"op"`
	// Session is the session id of answer, control and end.
	Session int64 `json:"session,omitempty"`
	// Accept is answer's answer.
	Accept bool `json:"accept,omitempty"`
	// Revoked is control's new state.
	Revoked bool `json:"revoked,omitempty"`
	// Reason is end's reason, the end user's words.
	Reason string `json:"reason,omitempty"`
}

// Response is one response line (other than watch's SessionInfo lines).
type Response struct {
	OK    bool   `json:"ok,omitempty"`
	Error string `json:"error,omitempty"`
	// Warning qualifies an OK: a revoke or end took effect here, but the
	// appliance could not be told yet (the agent tells it again when it
	// reconnects).
	Warning string `json:"warning,omitempty"`
	// Sessions answers list.
	Sessions []agentproto.SessionInfo `json:"sessions,omitempty"`
}

// listResponse is list's answer: sessions is always present, [] when
// there are none.
type listResponse struct {
	OK       bool                     `json:"ok"`
	Sessions []agentproto.SessionInfo `json:"sessions"`
}
