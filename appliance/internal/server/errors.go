package server

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/internal/problem"
)

// kind maps a domain error to its HTTP status, problem type and title.
func kind(err error) (int, string, string) {
	var inv *problem.Invalid
	var bad *problem.BadRequest
	switch {
	case errors.As(err, &inv):
		return http.StatusUnprocessableEntity, "validation", "Validation failed"
	case errors.As(err, &bad):
		return http.StatusBadRequest, "bad-request", "Bad request"
	case errors.Is(err, problem.ErrUnauthorized):
		return http.StatusUnauthorized, "unauthorized", "Unauthorized"
	case errors.Is(err, problem.ErrForbidden):
		return http.StatusForbidden, "forbidden", "Forbidden"
	case errors.Is(err, problem.ErrNotFound):
		return http.StatusNotFound, "not-found", "Not found"
	case errors.Is(err, problem.ErrConflict):
		return http.StatusConflict, "conflict", "Conflict"
	case errors.Is(err, problem.ErrPrecondition):
		return http.StatusPreconditionFailed, "precondition-failed", "Precondition failed"
	case errors.Is(err, problem.ErrGone):
		return http.StatusGone, "gone", "Gone"
	case errors.Is(err, problem.ErrUnavailable):
		return http.StatusServiceUnavailable, "unavailable", "Service unavailable"
	case errors.Is(err, problem.ErrTooManyRequests):
		return http.StatusTooManyRequests, "too-many-requests", "Too many requests"
	case errors.Is(err, problem.ErrNotImplemented):
		return http.StatusNotImplemented, "not-implemented", "Not implemented"
	}
	return http.StatusInternalServerError, "internal", "Internal server error"
}

// problemDoc builds the problem document for err.
func problemDoc(c *gin.Context, err error) *api.Problem {
	status, typ, title := kind(err)
	p := &api.Problem{Type: api.ProblemTypeBase + typ, Title: title, Status: status, Instance: c.Request.URL.Path}
	var inv *problem.Invalid
	var bad *problem.BadRequest
	var ref *problem.Refused
	switch {
	case errors.As(err, &ref):
		p.Type, p.Title, p.Detail = api.ProblemSessionRefused, "Session refused", ref.Detail
		p.Reason, p.SessionID, p.ApprovalID = ref.Reason, ref.SessionID, ref.ApprovalID
	case errors.As(err, &inv):
		p.Errors = inv.Fields
		p.Detail = "one or more fields are invalid"
	case errors.As(err, &bad):
		p.Errors = bad.Fields
		p.Detail = bad.Detail
	case status == http.StatusInternalServerError:
		p.Detail = "the appliance could not complete the request; see its log (request " + c.GetString(requestIDKey) + ")"
	default:
		p.Detail = problem.Reason(err)
	}
	var typed *problem.Typed
	if errors.As(err, &typed) {
		p.Type = typed.Type
	}
	return p
}

// errorMiddleware is the only place where errors become HTTP answers.
func errorMiddleware(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Next()
		if len(c.Errors) == 0 || c.Writer.Written() {
			return
		}
		err := c.Errors.Last().Err
		p := problemDoc(c, err)
		if p.Status >= 500 {
			log.ErrorContext(c.Request.Context(), "request failed", "method", c.Request.Method, "path", c.Request.URL.Path,
				"request_id", c.GetString(requestIDKey), "err", err)
		}
		writeProblem(c, p)
	}
}

func writeProblem(c *gin.Context, p *api.Problem) {
	c.Header("Content-Type", "application/problem+json")
	c.Header("Cache-Control", "no-store")
	// gin keeps a Content-Type that is already set, so this stays problem+json.
	c.AbortWithStatusJSON(p.Status, p)
}
