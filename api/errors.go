package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Sentinel errors that a *Problem matches with errors.Is, by HTTP status.
var (
	// ErrBadRequest: the request was malformed (bad JSON, unknown fields or
	// query parameters).
	ErrBadRequest = errors.New("bad request")
	// ErrUnauthorized: no valid credentials were presented.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrForbidden: the caller may not do this.
	ErrForbidden = errors.New("forbidden")
	// ErrNotFound: the object does not exist (or is invisible to the caller).
	ErrNotFound = errors.New("not found")
	// ErrConflict: a uniqueness clash or an object still in use.
	ErrConflict = errors.New("conflict")
	// ErrPreconditionFailed: If-Match named a stale version.
	ErrPreconditionFailed = errors.New("precondition failed")
	// ErrValidation: one or more fields are invalid; see Problem.Errors.
	ErrValidation = errors.New("validation failed")
	// ErrGone: the object can no longer be used (an expired installer).
	ErrGone = errors.New("gone")
	// ErrTooManyRequests: retry later (see the Retry-After header).
	ErrTooManyRequests = errors.New("too many requests")
	// ErrUnavailable: the appliance cannot serve this now.
	ErrUnavailable = errors.New("unavailable")
)

// Problem types, the "type" member of a problem document.
const (
	ProblemTypeBase = "https://jumpgate.dev/problems/"
	// ProblemSessionRefused is the type of a 403 that refuses a session;
	// Problem.Reason says why.
	ProblemSessionRefused = ProblemTypeBase + "session-refused"
)

// FieldError names one invalid field of a request body, with a JSON path such
// as "tunnel_definitions[1].remote_port".
type FieldError struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

// Problem is an RFC 9457 problem document. It is the error type returned by
// every Client method when the appliance answers with a non-2xx status.
type Problem struct {
	Type     string       `json:"type"`
	Title    string       `json:"title"`
	Status   int          `json:"status"`
	Detail   string       `json:"detail,omitempty"`
	Instance string       `json:"instance,omitempty"`
	Errors   []FieldError `json:"errors,omitempty"`
	// Reason is a machine-readable reason code: for a 403 of type
	// session-refused one of the Refused* constants.
	Reason string `json:"reason,omitempty"`
	// SessionID names the (refused) session a session problem is about.
	SessionID int64 `json:"session_id,omitempty"`
	// ApprovalID names the pending approval request of an
	// approval_required refusal.
	ApprovalID int64 `json:"approval_id,omitempty"`
}

// Error renders the problem as one line, naming each bad field.
func (p *Problem) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s", p.Status, strings.ToLower(p.Title))
	if p.Detail != "" {
		b.WriteString(": ")
		b.WriteString(p.Detail)
	}
	for i, fe := range p.Errors {
		if i == 0 {
			b.WriteString(" (")
		} else {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s: %s", fe.Field, fe.Detail)
		if i == len(p.Errors)-1 {
			b.WriteString(")")
		}
	}
	return b.String()
}

// Is matches the sentinel error for the problem's status.
func (p *Problem) Is(target error) bool {
	return statusSentinel(p.Status) == target && target != nil
}

func statusSentinel(status int) error {
	switch status {
	case http.StatusBadRequest:
		return ErrBadRequest
	case http.StatusUnauthorized:
		return ErrUnauthorized
	case http.StatusForbidden:
		return ErrForbidden
	case http.StatusNotFound:
		return ErrNotFound
	case http.StatusConflict:
		return ErrConflict
	case http.StatusPreconditionFailed:
		return ErrPreconditionFailed
	case http.StatusUnprocessableEntity:
		return ErrValidation
	case http.StatusGone:
		return ErrGone
	case http.StatusTooManyRequests:
		return ErrTooManyRequests
	case http.StatusServiceUnavailable:
		return ErrUnavailable
	}
	return nil
}

// FieldErrors returns the per-field errors of err if it is a *Problem.
func FieldErrors(err error) []FieldError {
	var p *Problem
	if errors.As(err, &p) {
		return p.Errors
	}
	return nil
}
