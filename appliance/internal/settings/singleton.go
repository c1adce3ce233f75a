package settings

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/jumpgate/jumpgate/appliance/internal/auth"
	"github.com/jumpgate/jumpgate/appliance/internal/problem"
	"github.com/jumpgate/jumpgate/appliance/internal/resource"
	"github.com/jumpgate/jumpgate/appliance/internal/route"
)

// store is a settings singleton read and written whole; T is its wire type.
type store[T any] interface {
	Get(ctx context.Context) (*T, error)
	Update(ctx context.Context, in *T, ifMatch int64) (*T, error)
}

// singleton serves GET, PUT and PATCH (a JSON merge patch) of a settings
// singleton at path, with ETag/If-Match; writes are for administrators.
// version reads an object's version.
type singleton[T any] struct {
	s       store[T]
	version func(*T) int64
}

// routes lists the singleton's routes; what names it in the summaries
// ("the console settings").
func (g singleton[T]) routes(path, what, readDetail string) []route.Route {
	var zero T
	return []route.Route{
		{Method: http.MethodGet, Path: path, Handler: route.Handle(g.handleGet), Tag: "settings",
			Summary: "Read " + what + readDetail, Response: zero},
		{Method: http.MethodPut, Path: path, Handler: route.Handle(g.handlePut), Tag: "settings",
			Summary: "Replace " + what, Request: zero, Response: zero, AdminOnly: true},
		{Method: http.MethodPatch, Path: path, Handler: route.Handle(g.handlePatch), Tag: "settings",
			Summary: "Change " + what + " with a JSON merge patch", Request: map[string]any{}, Response: zero, AdminOnly: true},
	}
}

func (g singleton[T]) handleGet(c *gin.Context) error {
	out, err := g.s.Get(c.Request.Context())
	if err != nil {
		return err
	}
	resource.WriteObject(c, http.StatusOK, out, g.version(out))
	return nil
}

func (g singleton[T]) handlePut(c *gin.Context) error {
	// Refuse before reading the body, as handlePatch does.
	if err := auth.RequireAdmin(c.Request.Context()); err != nil {
		return err
	}
	ifMatch, err := resource.IfMatch(c)
	if err != nil {
		return err
	}
	in := new(T)
	if err := resource.Decode(c.Request.Body, in); err != nil {
		return err
	}
	out, err := g.s.Update(c.Request.Context(), in, ifMatch)
	if err != nil {
		return err
	}
	resource.WriteObject(c, http.StatusOK, out, g.version(out))
	return nil
}

func (g singleton[T]) handlePatch(c *gin.Context) error {
	ctx := c.Request.Context()
	if err := auth.RequireAdmin(ctx); err != nil {
		return err
	}
	ifMatch, err := resource.IfMatch(c)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(io.LimitReader(c.Request.Body, resource.MaxBodyBytes+1))
	if err != nil || len(body) > resource.MaxBodyBytes {
		return &problem.BadRequest{Detail: fmt.Sprintf("unreadable request body, or larger than %d bytes", resource.MaxBodyBytes)}
	}
	cur, err := g.s.Get(ctx)
	if err != nil {
		return err
	}
	if ifMatch == resource.NoVersion {
		ifMatch = g.version(cur)
	}
	in := new(T)
	if err := resource.ApplyMergePatch(cur, body, in); err != nil {
		return err
	}
	out, err := g.s.Update(ctx, in, ifMatch)
	if err != nil {
		return err
	}
	resource.WriteObject(c, http.StatusOK, out, g.version(out))
	return nil
}
