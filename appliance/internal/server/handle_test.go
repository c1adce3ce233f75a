package server

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/internal/problem"
	"github.com/jumpgate/jumpgate/appliance/internal/route"
)

// TestHandle checks the adapter: a nil error leaves c.Errors empty and the
// handler's answer alone; an error lands in c.Errors and the error
// middleware answers it with problem+json.
func TestHandle(t *testing.T) {
	gin.SetMode(gin.TestMode)
	var errs []*gin.Error
	e := gin.New()
	e.Use(func(c *gin.Context) { c.Next(); errs = c.Errors }, errorMiddleware(slog.New(slog.NewTextHandler(io.Discard, nil))))
	e.GET("/ok", route.Handle(func(c *gin.Context) error {
		c.Status(http.StatusNoContent)
		return nil
	}))
	e.GET("/missing", route.Handle(func(c *gin.Context) error {
		return problem.NotFound("no such thing")
	}))

	w := httptest.NewRecorder()
	e.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/ok", nil))
	if w.Code != http.StatusNoContent || len(errs) != 0 {
		t.Fatalf("nil error: status %d, errors %v; want 204 and none", w.Code, errs)
	}

	w = httptest.NewRecorder()
	e.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/missing", nil))
	if len(errs) != 1 || !errors.Is(errs[0].Err, problem.ErrNotFound) {
		t.Fatalf("error: c.Errors = %v; want the handler's not-found error", errs)
	}
	if w.Code != http.StatusNotFound || w.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("error: status %d, Content-Type %q; want 404 problem+json", w.Code, w.Header().Get("Content-Type"))
	}
	var p api.Problem
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	if p.Status != http.StatusNotFound || p.Type != api.ProblemTypeBase+"not-found" || p.Instance != "/missing" {
		t.Fatalf("problem = %+v", p)
	}
}
