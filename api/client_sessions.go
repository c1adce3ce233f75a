package api

import (
	"context"
	"io"
	"net/http"
	"strconv"
)

// Paths of the session resources under /api/v1.
const (
	PathApprovals   = "approvals"
	PathAccessCodes = "access-codes"
)

// StartSession asks for a session on a Jump Item. The answer is the
// session, active or (while the end user is asked) prompting. A refusal is
// a 403 *Problem of type ProblemSessionRefused whose Reason is one of the
// Refused* codes (SessionID names the refused session, ApprovalID the
// approval request of approval_required); a missing or invisible item is
// ErrNotFound.
func (c *Client) StartSession(ctx context.Context, in *SessionRequest) (*Session, error) {
	return action[SessionRequest, Session](ctx, c, PathSessions, in)
}

// GetSession returns the session with the given id.
func (c *Client) GetSession(ctx context.Context, id int64) (*Session, error) {
	return get[Session](ctx, c, PathSessions, id)
}

// ListSessions returns one page of the sessions visible to the caller
// (admins see all). Filters: status, item_type, item_id and username.
func (c *Client) ListSessions(ctx context.Context, opts *ListOptions) (*List[Session], error) {
	return list[Session](ctx, c, PathSessions, opts)
}

// EndSession ends a session; in may be nil. Ending an ended session
// returns it unchanged.
func (c *Client) EndSession(ctx context.Context, id int64, in *SessionEnd) (*Session, error) {
	if in == nil {
		in = &SessionEnd{}
	}
	return action[SessionEnd, Session](ctx, c, itemPath(PathSessions, id)+"/end", in)
}

// SessionFeedback records the end-of-session survey of a session.
func (c *Client) SessionFeedback(ctx context.Context, id int64, in *SessionFeedback) (*Session, error) {
	return action[SessionFeedback, Session](ctx, c, itemPath(PathSessions, id)+"/feedback", in)
}

// RecordingPath is the API path (relative to /api/v1) of one recording's
// file.
func RecordingPath(sessionID, recordingID int64) string {
	return itemPath(PathSessions, sessionID) + "/recordings/" + strconv.FormatInt(recordingID, 10)
}

// DownloadRecording streams one recording of a session into w (asciicast
// v2 for a shell, JSON lines for a tunnel log) and returns its file name
// from Content-Disposition ("" when the appliance sent none).
func (c *Client) DownloadRecording(ctx context.Context, sessionID, recordingID int64, w io.Writer) (string, error) {
	return c.Download(ctx, RecordingPath(sessionID, recordingID), w)
}

// ListApprovals returns one page of the approval requests the caller may
// see: their own, and those they may decide. Filter: status.
func (c *Client) ListApprovals(ctx context.Context, opts *ListOptions) (*List[Approval], error) {
	return list[Approval](ctx, c, PathApprovals, opts)
}

// GrantApproval grants a pending approval request; in may be nil (the
// Jump Policy's maximum duration, no comment).
func (c *Client) GrantApproval(ctx context.Context, id int64, in *ApprovalDecision) (*Approval, error) {
	if in == nil {
		in = &ApprovalDecision{}
	}
	return action[ApprovalDecision, Approval](ctx, c, itemPath(PathApprovals, id)+"/grant", in)
}

// DenyApproval denies a pending approval request; in may be nil.
func (c *Client) DenyApproval(ctx context.Context, id int64, in *ApprovalDecision) (*Approval, error) {
	if in == nil {
		in = &ApprovalDecision{}
	}
	return action[ApprovalDecision, Approval](ctx, c, itemPath(PathApprovals, id)+"/deny", in)
}

// CreateAccessCode makes a one-time access code for the caller (only
// SessionPolicyID and Comment of in are read). The answer is the only one
// that carries Code and JoinCommand.
func (c *Client) CreateAccessCode(ctx context.Context, in *AccessCode) (*AccessCode, error) {
	return create(ctx, c, PathAccessCodes, in)
}

// GetAccessCode returns an access code (without Code): its status and, once
// used, SessionID.
func (c *Client) GetAccessCode(ctx context.Context, id int64) (*AccessCode, error) {
	return get[AccessCode](ctx, c, PathAccessCodes, id)
}

// ListAccessCodes returns one page of the caller's access codes (admins
// see all). Filter: status.
func (c *Client) ListAccessCodes(ctx context.Context, opts *ListOptions) (*List[AccessCode], error) {
	return list[AccessCode](ctx, c, PathAccessCodes, opts)
}

// Header returns the headers the client sends with every request: the
// Authorization bearer token (when one is set) and the User-Agent. It is a
// fresh copy, for requests the client does not make itself, such as the
// WebSocket dial of a session channel, which goes to BaseURL() + the
// connect path through HTTPClient(). Never log it: it holds the token.
func (c *Client) Header() http.Header {
	h := http.Header{}
	h.Set("User-Agent", c.userAgent)
	if c.token != "" {
		h.Set("Authorization", "Bearer "+c.token)
	}
	return h
}

// action POSTs in to path and decodes the answer.
func action[In, Out any](ctx context.Context, c *Client, path string, in *In) (*Out, error) {
	out := new(Out)
	if _, err := c.Do(ctx, http.MethodPost, path, nil, in, out); err != nil {
		return nil, err
	}
	return out, nil
}
