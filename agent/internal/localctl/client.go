package localctl

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"runtime"
	"syscall"
	"time"

	"github.com/jumpgate/jumpgate/api/agentproto"
)

// DefaultTimeout bounds a request whose context has no deadline.
const DefaultTimeout = 10 * time.Second

// ErrNotRunning matches (errors.Is) a failure to connect because no agent
// serves the socket: it is missing, or nobody listens on it.
var ErrNotRunning = errors.New("no Jumpgate agent is running")

// ErrPermission matches a socket the caller may not open (its mode).
var ErrPermission = errors.New("permission denied")

// Client talks to the control socket of one agent. Each request is one
// connection.
type Client struct {
	// Path is the socket's path (SocketPath of the install dir).
	Path string
}

// NewClient returns a client of the agent installed in dir.
func NewClient(dir string) *Client {
	return &Client{Path: SocketPath(dir)}
}

// List returns the prompting and active sessions.
func (c *Client) List(ctx context.Context) ([]agentproto.SessionInfo, error) {
	resp, err := c.do(ctx, Request{Op: OpList})
	if err != nil {
		return nil, err
	}
	return resp.Sessions, nil
}

// Answer accepts or rejects session id's consent prompt.
func (c *Client) Answer(ctx context.Context, id int64, accept bool) error {
	_, err := c.do(ctx, Request{Op: OpAnswer, Session: id, Accept: accept})
	return err
}

// SetControl revokes (revoked true) or restores the representative's
// control of session id. A warning says that it holds here but the
// appliance could not be told yet.
func (c *Client) SetControl(ctx context.Context, id int64, revoked bool) (warning string, err error) {
	resp, err := c.do(ctx, Request{Op: OpControl, Session: id, Revoked: revoked})
	return resp.Warning, err
}

// End ends session id, giving reason. A warning says that it ended here
// but the appliance could not be told yet.
func (c *Client) End(ctx context.Context, id int64, reason string) (warning string, err error) {
	resp, err := c.do(ctx, Request{Op: OpEnd, Session: id, Reason: reason})
	return resp.Warning, err
}

// Watch calls fn with every current session, then with every change,
// until ctx ends (it returns ctx.Err()), fn returns an error (returned),
// or the agent closes the connection (an error).
func (c *Client) Watch(ctx context.Context, fn func(agentproto.SessionInfo) error) error {
	conn, err := c.dial(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	// A refused peer is answered and disconnected at once, so the write
	// may fail while the answer waits to be read.
	werr := writeLine(conn, Request{Op: OpWatch})
	r := bufio.NewReaderSize(conn, 4096)
	for {
		line, err := readLine(r)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if werr != nil {
				return c.ioError(ctx, werr)
			}
			if errors.Is(err, io.EOF) {
				return errors.New("the agent closed the connection (it stopped)")
			}
			return c.ioError(ctx, err)
		}
		var msg struct {
			agentproto.SessionInfo
			Error string `json:"error"`
		}
		if err := json.Unmarshal(line, &msg); err != nil {
			return fmt.Errorf("the agent sent a malformed line: %w", err)
		}
		if msg.Error != "" {
			return errors.New(msg.Error)
		}
		if err := fn(msg.SessionInfo); err != nil {
			return err
		}
	}
}

// do sends one request and reads its response; an error response is
// returned as an error.
func (c *Client) do(ctx context.Context, req Request) (Response, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultTimeout)
		defer cancel()
	}
	conn, err := c.dial(ctx)
	if err != nil {
		return Response{}, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	// A refused peer is answered and disconnected at once, so the write
	// may fail while the answer waits to be read.
	werr := writeLine(conn, req)
	line, err := readLine(bufio.NewReaderSize(conn, 4096))
	if err != nil {
		if werr != nil {
			err = werr
		}
		return Response{}, c.ioError(ctx, err)
	}
	var resp Response
	if err := json.Unmarshal(line, &resp); err != nil {
		return Response{}, fmt.Errorf("the agent sent a malformed response: %w", err)
	}
	if resp.Error != "" {
		return resp, errors.New(resp.Error)
	}
	return resp, nil
}

func (c *Client) dial(ctx context.Context) (net.Conn, error) {
	if runtime.GOOS == "windows" {
		return nil, ErrUnsupported
	}
	if err := checkPathLen(c.Path); err != nil {
		return nil, err
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", c.Path)
	switch {
	case err == nil:
		return conn, nil
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ECONNREFUSED):
		return nil, fmt.Errorf("%w: nothing serves the control socket %s", ErrNotRunning, c.Path)
	case errors.Is(err, fs.ErrPermission):
		return nil, fmt.Errorf("%w on the control socket %s: only root, the agent's user and the end user (the user at this machine's screen and keyboard, or the users the install names with --end-users) may use it", ErrPermission, c.Path)
	case ctx.Err() != nil:
		return nil, fmt.Errorf("no answer from the agent's control socket %s: %w", c.Path, ctx.Err())
	}
	return nil, fmt.Errorf("connect to the agent's control socket: %w", err)
}

// ioError words a failure after connecting.
func (c *Client) ioError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("no answer from the agent's control socket %s: %w", c.Path, ctx.Err())
	}
	if errors.Is(err, io.EOF) {
		return errors.New("the agent closed the connection without an answer")
	}
	return fmt.Errorf("talk to the agent's control socket: %w", err)
}
