// Package problem defines the appliance's domain errors. Services return
// them; the server's error middleware is the only place that turns them into
// HTTP statuses and RFC 9457 problem documents.
package problem

import (
	"errors"
	"fmt"
	"strings"

	"github.com/jumpgate/jumpgate/api"
)

// Sentinel domain errors. Wrap them with %w to add a human reason.
var (
	ErrNotFound       = errors.New("not found")
	ErrConflict       = errors.New("conflict")
	ErrPrecondition   = errors.New("precondition failed")
	ErrForbidden      = errors.New("forbidden")
	ErrUnauthorized   = errors.New("unauthorized")
	ErrBadRequest     = errors.New("bad request")
	ErrNotImplemented = errors.New("not implemented")
	// ErrGone: the object exists but can no longer be used (an expired
	// installer) — HTTP 410.
	ErrGone = errors.New("gone")
	// ErrUnavailable: the appliance cannot serve this now (no agent build,
	// too many agent handshakes) — HTTP 503.
	ErrUnavailable = errors.New("unavailable")
	// ErrTooManyRequests: retry later (a Wake-on-LAN cooldown) — HTTP 429.
	ErrTooManyRequests = errors.New("too many requests")
)

// Gone returns an ErrGone with a reason.
func Gone(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ErrGone)
}

// Unavailable returns an ErrUnavailable with a reason.
func Unavailable(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ErrUnavailable)
}

// TooManyRequests returns an ErrTooManyRequests with a reason.
func TooManyRequests(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ErrTooManyRequests)
}

// Typed is an error answered with a problem type of its own (the status is
// Err's, the type Type instead of the status's).
type Typed struct {
	Type string
	Err  error
}

// Error returns Err's message.
func (e *Typed) Error() string { return e.Err.Error() }

// Unwrap returns Err.
func (e *Typed) Unwrap() error { return e.Err }

// Invalid is a validation failure naming each bad field (HTTP 422).
type Invalid struct {
	Fields []api.FieldError
}

// Error lists the bad fields.
func (e *Invalid) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Detail
	}
	return "invalid: " + strings.Join(parts, "; ")
}

// Add appends a field error.
func (e *Invalid) Add(field, format string, args ...any) {
	e.Fields = append(e.Fields, api.FieldError{Field: field, Detail: fmt.Sprintf(format, args...)})
}

// Err returns e if it holds any field error, else nil.
func (e *Invalid) Err() error {
	if e == nil || len(e.Fields) == 0 {
		return nil
	}
	return e
}

// Field returns a validation error for one field.
func Field(field, format string, args ...any) error {
	e := &Invalid{}
	e.Add(field, format, args...)
	return e
}

// BadRequest is a malformed request (HTTP 400), optionally naming fields
// such as unknown JSON members or query parameters.
type BadRequest struct {
	Detail string
	Fields []api.FieldError
}

func (e *BadRequest) Error() string { return "bad request: " + e.Detail }

// Is makes errors.Is(err, ErrBadRequest) hold.
func (e *BadRequest) Is(target error) bool { return target == ErrBadRequest }

// Refused refuses a session (HTTP 403 of type session-refused): Reason is
// one of the api.Refused* codes, Detail says why in words.
type Refused struct {
	Reason     string
	Detail     string
	SessionID  int64
	ApprovalID int64
}

func (e *Refused) Error() string { return "session refused (" + e.Reason + "): " + e.Detail }

// Is makes errors.Is(err, ErrForbidden) hold.
func (e *Refused) Is(target error) bool { return target == ErrForbidden }

// NotFound returns ErrNotFound with a reason.
func NotFound(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ErrNotFound)
}

// Conflict returns ErrConflict with a reason.
func Conflict(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ErrConflict)
}

// Forbidden returns ErrForbidden with a reason.
func Forbidden(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ErrForbidden)
}

// Reason returns the human part of a wrapped sentinel error: the message
// without the trailing ": <sentinel>".
func Reason(err error) string {
	msg := err.Error()
	for _, s := range []error{ErrNotFound, ErrConflict, ErrPrecondition, ErrForbidden, ErrUnauthorized, ErrBadRequest, ErrNotImplemented, ErrGone, ErrUnavailable, ErrTooManyRequests} {
		if errors.Is(err, s) {
			msg = strings.TrimSuffix(msg, ": "+s.Error())
			if msg == s.Error() {
				return ""
			}
			return msg
		}
	}
	return msg
}
