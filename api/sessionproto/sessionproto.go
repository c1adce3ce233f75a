// Package sessionproto defines the streams of a session: what the
// representative's CLI and the appliance exchange over a session channel,
// and what the appliance and an agent exchange over the agent's
// connection for that session. It depends on the standard library and the
// api package only, so the CLI, the appliance and the agent share one
// definition.
//
// # The session channel
//
// A representative reaches a session's endpoint through one WebSocket,
// subprotocol "jumpgate-session.v1":
//
//	GET /api/v1/sessions/{id}/connect   (Authorization: Bearer …, Upgrade: websocket)
//
// After the upgrade the WebSocket carries binary frames of a yamux session
// in which the CLI is the client. The CLI opens the first stream with an
// Open{type: "control"} line; the appliance then writes Event lines on it
// (state changes, time remaining, warnings, the end). Every other stream
// starts with an Open line naming a feature (shell, exec, sysinfo,
// file_list, file_get, file_put, tunnel); the appliance answers with one
// Opened line, and on success the stream carries the feature's body.
//
// # The agent leg
//
// For each feature stream the appliance opens a stream on the agent's
// connection (see agentproto) whose header is agentproto.StreamHeader{type:
// "session", open: Open{…, session: id}}. The agent answers with an Opened
// line and then the same body. The agent checks the stream against the
// session it was told about (agentproto.SessionInfo): a stream of a
// session it does not know, or one its permissions do not allow, is
// refused there too.
//
// # Bodies
//
//   - shell, exec: Frames both ways. To the agent: data (stdin), eof,
//     resize, signal. From the agent: data (stdout), stderr (exec without a
//     TTY), notice, exit, then the stream closes. A shell is a PTY.
//   - sysinfo: one SysInfo JSON document, then close.
//   - file_list: one FileList JSON document, then close.
//   - file_get: Opened.File describes the file; then data frames with the
//     bytes from Open.Offset to the end, then a done frame (Done with the
//     SHA-256 of the whole file), then close.
//   - file_put: Opened.Offset says where to resume (bytes already received
//     in an earlier, interrupted transfer of the same file and hash); the
//     sender writes data frames from there to Open.Size, then an eof
//     frame; the agent verifies size and SHA-256, renames the temporary
//     file over the target, answers with a done frame (or an error frame)
//     and closes. Nothing is written to the target path until then.
//   - tunnel: raw bytes both ways. Closing the write side (a yamux FIN)
//     is a TCP half-close.
package sessionproto

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/jumpgate/jumpgate/api"
)

// Subprotocol is the WebSocket subprotocol of a session channel.
const Subprotocol = "jumpgate-session.v1"

// ConnectPath is the path of session id's channel.
func ConnectPath(id int64) string {
	return "/api/v1/sessions/" + strconv.FormatInt(id, 10) + "/connect"
}

// Stream types: Open.Type.
const (
	StreamControl  = "control"
	StreamShell    = "shell"
	StreamExec     = "exec"
	StreamSysInfo  = "sysinfo"
	StreamFileList = "file_list"
	StreamFileGet  = "file_get"
	StreamFilePut  = "file_put"
	StreamTunnel   = "tunnel"
)

// FeatureStreams are the feature stream types, in the order of the
// package comment.
var FeatureStreams = []string{StreamShell, StreamExec, StreamSysInfo, StreamFileList, StreamFileGet, StreamFilePut, StreamTunnel}

// ItemStreams returns the stream types a session on an item of itemType
// (api.ItemJumpClient, api.ItemProtocolTunnelJump, api.ItemCustomerClient)
// may carry, whatever its session policy grants. The endpoint of a
// Protocol Tunnel Jump is a node of its Jumpoint, which carries tunnels to
// the item's own targets and nothing else: no shell, exec, files or system
// information of the node. Agents apply the same rule by their kind: a
// Jumpoint node serves tunnel streams only.
func ItemStreams(itemType string) []string {
	if itemType == api.ItemProtocolTunnelJump {
		return []string{StreamTunnel}
	}
	return FeatureStreams
}

// ItemCarries reports whether a session on an item of itemType may carry
// streams of type typ (see ItemStreams).
func ItemCarries(itemType, typ string) bool {
	return slices.Contains(ItemStreams(itemType), typ)
}

// MaxLine bounds an Opened or Event line, and an Open line on the agent
// leg.
const MaxLine = 64 << 10

// MaxOpenLine bounds the Open line a representative's client sends on a
// session channel; a longer one is a protocol violation that ends the
// channel. An exec's command line and a path fit well within it.
const MaxOpenLine = 16 << 10

// Open is the first line of a session stream.
type Open struct {
	Type string `json:"type"`
	// Session is the session id, set by the appliance on the agent leg.
	Session int64 `json:"session,omitempty"`

	// Command is exec's argv (Command[0] is looked up in PATH); empty for
	// a shell, which runs the user's login shell.
	Command []string `json:"command,omitempty"`
	// TTY runs exec in a PTY (a shell always has one).
	TTY bool `json:"tty,omitempty"`
	// Cols and Rows size the PTY; default 80×24.
	Cols int `json:"cols,omitempty"`
	Rows int `json:"rows,omitempty"`
	// Term is the TERM of the PTY; default xterm-256color.
	Term string `json:"term,omitempty"`

	// Path is the file or directory of file_* streams: absolute, or
	// relative to the session user's home directory.
	Path string `json:"path,omitempty"`
	// Offset is where file_get starts.
	Offset int64 `json:"offset,omitempty"`
	// Size is the whole size of a file_put.
	Size int64 `json:"size,omitempty"`
	// Mode is the permission bits of a file_put (default 0644).
	Mode uint32 `json:"mode,omitempty"`
	// SHA256 is the hex SHA-256 of the whole file of a file_put.
	SHA256 string `json:"sha256,omitempty"`
	// Overwrite lets a file_put replace an existing file.
	Overwrite bool `json:"overwrite,omitempty"`

	// Port is the remote port of a tunnel connection.
	Port int `json:"port,omitempty"`
	// Host is the target of a tunnel connection, set by the appliance on
	// the agent leg: the item's hostname for a Jumpoint, empty (localhost)
	// for a Jump Client.
	Host string `json:"host,omitempty"`
	// Item is the Protocol Tunnel Jump a Jumpoint connection belongs to,
	// set by the appliance.
	Item int64 `json:"item,omitempty"`
	// Peer is the address of the local application connection, for the
	// tunnel log.
	Peer string `json:"peer,omitempty"`
}

// Opened codes: why a stream was refused.
const (
	CodePermission = "permission_denied" // the session policy does not allow it
	CodeRevoked    = "control_revoked"   // the end user revoked control
	CodeNoSession  = "no_session"        // the session is not active (here)
	CodeNotFound   = "not_found"         // no such file
	CodeExists     = "exists"            // file_put without overwrite onto an existing file
	CodeLimit      = "limit"             // the 256-connection limit
	CodeRefused    = "target_refused"    // the far end's dial failed, or the target is not allowed
	CodeBadRequest = "bad_request"       // a malformed Open
	CodeOffline    = "offline"           // the endpoint is not connected
	CodeFailed     = "failed"            // anything else
)

// Opened answers an Open.
type Opened struct {
	OK bool `json:"ok"`
	// Code and Error say why not.
	Code  string `json:"code,omitempty"`
	Error string `json:"error,omitempty"`
	// File describes a file_get's file.
	File *FileInfo `json:"file,omitempty"`
	// Offset is where a file_put resumes.
	Offset int64 `json:"offset,omitempty"`
	// Recording is set when the appliance records this stream.
	Recording bool `json:"recording,omitempty"`
}

// Refuse returns a refused Opened.
func Refuse(code, format string, args ...any) Opened {
	return Opened{Code: code, Error: fmt.Sprintf(format, args...)}
}

// Err returns the refusal as an error, nil when OK.
func (o *Opened) Err() error {
	if o.OK {
		return nil
	}
	return &RefusedError{Code: o.Code, Message: o.Error}
}

// RefusedError is a stream the far side refused.
type RefusedError struct {
	Code    string
	Message string
}

func (e *RefusedError) Error() string {
	if e.Message == "" {
		return "refused (" + e.Code + ")"
	}
	return e.Message + " (" + e.Code + ")"
}

// FileInfo describes a file or directory.
type FileInfo struct {
	Name string `json:"name"`
	// Path is the absolute path.
	Path    string    `json:"path,omitempty"`
	Size    int64     `json:"size"`
	Mode    string    `json:"mode"` // fs.FileMode.String(), e.g. "-rw-r--r--"
	ModTime time.Time `json:"mod_time"`
	IsDir   bool      `json:"is_dir"`
	// Link is a symbolic link's target.
	Link string `json:"link,omitempty"`
}

// MaxListEntries bounds a FileList.
const MaxListEntries = 10000

// FileList is the body of a file_list stream.
type FileList struct {
	Path    string     `json:"path"`
	Entries []FileInfo `json:"entries"`
	// Truncated is set when the directory has more than MaxListEntries.
	Truncated bool `json:"truncated,omitempty"`
}

// Done ends a file transfer.
type Done struct {
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	// Path is where a file_put was written.
	Path string `json:"path,omitempty"`
}

// Exit ends a shell or exec.
type Exit struct {
	Code int `json:"code"`
	// Signal names the signal that killed the process, if one did.
	Signal string `json:"signal,omitempty"`
}

// Resize changes the PTY size.
type Resize struct {
	Cols int `json:"cols"`
	Rows int `json:"rows"`
}

// SysInfo is the body of a sysinfo stream.
type SysInfo struct {
	Hostname      string            `json:"hostname"`
	FQDN          string            `json:"fqdn,omitempty"`
	OS            string            `json:"os"`
	Kernel        string            `json:"kernel,omitempty"`
	Platform      string            `json:"platform"`
	Arch          string            `json:"arch"`
	CPUs          int               `json:"cpus"`
	CPUModel      string            `json:"cpu_model,omitempty"`
	MemTotalBytes uint64            `json:"mem_total_bytes,omitempty"`
	MemFreeBytes  uint64            `json:"mem_free_bytes,omitempty"`
	UptimeSeconds int64             `json:"uptime_seconds,omitempty"`
	BootTime      *time.Time        `json:"boot_time,omitempty"`
	Users         []string          `json:"users,omitempty"`
	Disks         []DiskInfo        `json:"disks,omitempty"`
	Interfaces    []InterfaceInfo   `json:"interfaces,omitempty"`
	AgentVersion  string            `json:"agent_version"`
	SessionUser   string            `json:"session_user,omitempty"`
	Env           map[string]string `json:"env,omitempty"`
}

// DiskInfo is one mounted file system.
type DiskInfo struct {
	Mount      string `json:"mount"`
	FSType     string `json:"fs_type,omitempty"`
	TotalBytes uint64 `json:"total_bytes"`
	FreeBytes  uint64 `json:"free_bytes"`
}

// InterfaceInfo is one network interface.
type InterfaceInfo struct {
	Name  string   `json:"name"`
	MAC   string   `json:"mac,omitempty"`
	Addrs []string `json:"addrs,omitempty"`
	Up    bool     `json:"up"`
}

// Event types on the control stream.
const (
	// EventState: the session's status, end and control state now. Sent
	// first, on every change, and every minute while active.
	EventState = "state"
	// EventWarning: the session ends soon (Message says why).
	EventWarning = "warning"
	// EventNotice: something the representative should know (the end
	// user revoked control; a stream was refused).
	EventNotice = "notice"
	// EventEnded: the session is over, or over for this channel: its token
	// was revoked or its participant removed while others go on
	// (EndReason says why). The appliance closes the channel.
	EventEnded = "ended"
)

// Event is one line on the control stream.
type Event struct {
	Type    string `json:"type"`
	Session int64  `json:"session"`
	Status  string `json:"status,omitempty"`
	// EndsAt and RemainingSeconds tell the time left.
	EndsAt           *time.Time `json:"ends_at,omitempty"`
	RemainingSeconds int64      `json:"remaining_seconds,omitempty"`
	ControlRevoked   bool       `json:"control_revoked,omitempty"`
	// PromptExpiresAt is when the consent prompt times out, while the
	// status is prompting.
	PromptExpiresAt *time.Time `json:"prompt_expires_at,omitempty"`
	// RefusedReason is set when a prompting session was refused (the
	// status is then refused).
	RefusedReason string `json:"refused_reason,omitempty"`
	Message       string `json:"message,omitempty"`
	EndReason     string `json:"end_reason,omitempty"`
	EndedBy       string `json:"ended_by,omitempty"`
	// Permissions are the session's, in the first state event.
	Permissions *api.SessionPermissions `json:"permissions,omitempty"`
}

// WriteLine writes v as one JSON line.
func WriteLine(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// ErrLineTooLong is returned by ReadLine and ReadLineLimit for a line over
// the limit.
var ErrLineTooLong = errors.New("line too long")

// ReadLine reads one JSON line of at most MaxLine bytes into v, byte by
// byte so that nothing after the line is consumed (the body follows it on
// the same stream).
func ReadLine(r io.Reader, v any) error { return ReadLineLimit(r, v, MaxLine) }

// ReadLineLimit is ReadLine with a limit of max bytes.
func ReadLineLimit(r io.Reader, v any, max int) error {
	var line []byte
	var b [1]byte
	for {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) || (errors.Is(err, io.EOF) && len(line) > 0) {
				return io.ErrUnexpectedEOF
			}
			return err
		}
		if b[0] == '\n' {
			break
		}
		if len(line) >= max {
			return fmt.Errorf("%w: more than %d bytes", ErrLineTooLong, max)
		}
		line = append(line, b[0])
	}
	if err := json.Unmarshal(line, v); err != nil {
		return fmt.Errorf("decode %T: %w", v, err)
	}
	return nil
}

// Frame types of shell, exec and file streams.
const (
	FrameData   byte = 'd' // stdin, stdout, file bytes
	FrameStderr byte = 'e' // exec's stderr
	FrameResize byte = 'r' // Resize JSON
	FrameSignal byte = 's' // a signal name: INT, TERM, HUP, KILL, QUIT
	FrameEOF    byte = 'c' // the sender's input ended (stdin closed; all file bytes sent)
	FrameExit   byte = 'x' // Exit JSON
	FrameError  byte = 'E' // an error message; the stream ends
	FrameNotice byte = 'n' // a message for the user; the stream goes on
	FrameDone   byte = 'f' // Done JSON; a file transfer completed
)

// MaxFrame bounds one frame's payload.
const MaxFrame = 1 << 20

// frameHeader is the type byte and the big-endian uint32 payload length.
const frameHeader = 5

// WriteFrame writes one frame in a single Write, so that concurrent
// writers that hold a lock per call never interleave frames.
func WriteFrame(w io.Writer, typ byte, payload []byte) error {
	if len(payload) > MaxFrame {
		return fmt.Errorf("frame of %d bytes exceeds %d", len(payload), MaxFrame)
	}
	b := make([]byte, frameHeader+len(payload))
	b[0] = typ
	binary.BigEndian.PutUint32(b[1:frameHeader], uint32(len(payload)))
	copy(b[frameHeader:], payload)
	_, err := w.Write(b)
	return err
}

// WriteJSONFrame writes v as the payload of a frame.
func WriteJSONFrame(w io.Writer, typ byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return WriteFrame(w, typ, b)
}

// FrameReader reads frames. The payload returned by Next is valid until the
// next call.
type FrameReader struct {
	r   *bufio.Reader
	buf []byte
}

// NewFrameReader reads frames from r.
func NewFrameReader(r io.Reader) *FrameReader {
	return &FrameReader{r: bufio.NewReaderSize(r, 64<<10)}
}

// Next returns the next frame. io.EOF means the stream ended between
// frames; a stream that ends inside a frame is io.ErrUnexpectedEOF.
func (f *FrameReader) Next() (byte, []byte, error) {
	var h [frameHeader]byte
	if _, err := io.ReadFull(f.r, h[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(h[1:])
	if n > MaxFrame {
		return 0, nil, fmt.Errorf("frame of %d bytes exceeds %d", n, MaxFrame)
	}
	if cap(f.buf) < int(n) {
		f.buf = make([]byte, n)
	}
	p := f.buf[:n]
	if _, err := io.ReadFull(f.r, p); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return 0, nil, err
	}
	return h[0], p, nil
}
