package resource

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/internal/problem"
	"github.com/jumpgate/jumpgate/appliance/internal/route"
)

// Routes returns the HTTP routes of a collection:
//
//	POST   /api/v1/<path>        create (201, Location, ETag)
//	GET    /api/v1/<path>        list (?limit, ?cursor, ?q, ?sort, filters; total)
//	GET    /api/v1/<path>/:id    read (ETag)
//	PUT    /api/v1/<path>/:id    replace (If-Match)
//	PATCH  /api/v1/<path>/:id    JSON merge patch (If-Match)
//	DELETE /api/v1/<path>/:id    delete (If-Match, 204)
func Routes[A any, R any](s *Service[A, R]) []route.Route {
	sp := s.Spec
	base := "/api/v1/" + sp.Path
	item := base + "/:id"
	zero := new(A)
	query := map[string]string{
		"limit":  "Page size, 1–500 (default 100).",
		"cursor": "The next_cursor of the previous page.",
	}
	for k, f := range sp.Filters {
		query[k] = f.Doc
	}
	if s.hasLabels() {
		apiLabels(zero) // fails at startup when the api type lacks Labels
		query[LabelQuery] = LabelQueryDoc
	}
	if s.hasSearch() {
		query[SearchQuery] = fmt.Sprintf(SearchQueryDoc, sp.SearchDoc)
	}
	query[SortQuery] = fmt.Sprintf(SortQueryDoc, SortNames(s.sorts()))
	for _, col := range s.sorts() {
		if _, err := sortField[R](s.DB.R.NamingStrategy, col); err != nil {
			panic("resource: " + sp.Path + ": " + err.Error()) // a Spec's mistake, found at startup
		}
	}
	adminWrite := !sp.NonAdminWrite
	adminRead := !sp.NonAdminRead
	return []route.Route{
		{Method: http.MethodPost, Path: base, Handler: route.Handle(s.handleCreate), Tag: sp.Path, Status: http.StatusCreated,
			Summary: "Create a " + sp.Title, Request: *zero, Response: *zero, AdminOnly: adminWrite},
		{Method: http.MethodGet, Path: base, Handler: route.Handle(s.handleList), Tag: sp.Path,
			Summary: "List " + sp.Title + "s", Response: api.List[A]{}, Query: query, AdminOnly: adminRead},
		{Method: http.MethodGet, Path: item, Handler: route.Handle(s.handleGet), Tag: sp.Path,
			Summary: "Read a " + sp.Title, Response: *zero, AdminOnly: adminRead},
		{Method: http.MethodPut, Path: item, Handler: route.Handle(s.handleUpdate), Tag: sp.Path,
			Summary: "Replace a " + sp.Title, Request: *zero, Response: *zero, AdminOnly: adminWrite},
		{Method: http.MethodPatch, Path: item, Handler: route.Handle(s.handlePatch), Tag: sp.Path,
			Summary: "Change a " + sp.Title + " with a JSON merge patch", Request: map[string]any{}, Response: *zero, AdminOnly: adminWrite},
		{Method: http.MethodDelete, Path: item, Handler: route.Handle(s.handleDelete), Tag: sp.Path, Status: http.StatusNoContent,
			Summary: "Delete a " + sp.Title, AdminOnly: adminWrite},
	}
}

// ParseID reads the :id path parameter.
func ParseID(c *gin.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, problem.NotFound("%q is not an object id", c.Param("id"))
	}
	return id, nil
}

// IfMatch reads the If-Match header: a quoted version, W/ tolerated, or *.
func IfMatch(c *gin.Context) (int64, error) {
	h := strings.TrimSpace(c.GetHeader("If-Match"))
	if h == "" || h == "*" {
		return NoVersion, nil
	}
	v := strings.Trim(strings.TrimPrefix(h, "W/"), `"`)
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, &problem.BadRequest{Detail: fmt.Sprintf("If-Match %q is not an ETag returned by this API", h)}
	}
	return n, nil
}

// WriteObject answers with obj and its ETag.
func WriteObject(c *gin.Context, status int, obj any, version int64) {
	c.Header("ETag", api.ETag(version))
	c.JSON(status, obj)
}

func (s *Service[A, R]) handleCreate(c *gin.Context) error {
	if err := s.refuseEarly(c); err != nil {
		return err
	}
	in := new(A)
	if err := Decode(c.Request.Body, in); err != nil {
		return err
	}
	out, err := s.Create(c.Request.Context(), in)
	if err != nil {
		return err
	}
	m := meta(out)
	c.Header("Location", fmt.Sprintf("/api/v1/%s/%d", s.Spec.Path, m.ID))
	WriteObject(c, http.StatusCreated, out, m.Version)
	return nil
}

func (s *Service[A, R]) handleGet(c *gin.Context) error {
	id, err := ParseID(c)
	if err != nil {
		return err
	}
	out, err := s.Get(c.Request.Context(), id)
	if err != nil {
		return err
	}
	WriteObject(c, http.StatusOK, out, meta(out).Version)
	return nil
}

func (s *Service[A, R]) handleList(c *gin.Context) error {
	out, err := s.List(c.Request.Context(), c.Request.URL.Query())
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (s *Service[A, R]) handleUpdate(c *gin.Context) error {
	id, err := ParseID(c)
	if err != nil {
		return err
	}
	if err := s.refuseEarly(c); err != nil {
		return err
	}
	ifMatch, err := IfMatch(c)
	if err != nil {
		return err
	}
	in := new(A)
	if err := Decode(c.Request.Body, in); err != nil {
		return err
	}
	out, err := s.Update(c.Request.Context(), id, in, ifMatch)
	if err != nil {
		return err
	}
	WriteObject(c, http.StatusOK, out, meta(out).Version)
	return nil
}

func (s *Service[A, R]) handlePatch(c *gin.Context) error {
	id, err := ParseID(c)
	if err != nil {
		return err
	}
	ifMatch, err := IfMatch(c)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(io.LimitReader(c.Request.Body, MaxBodyBytes+1))
	if err != nil || len(body) > MaxBodyBytes {
		return &problem.BadRequest{Detail: "unreadable or too large request body"}
	}
	out, err := s.Patch(c.Request.Context(), id, body, ifMatch)
	if err != nil {
		return err
	}
	WriteObject(c, http.StatusOK, out, meta(out).Version)
	return nil
}

func (s *Service[A, R]) handleDelete(c *gin.Context) error {
	id, err := ParseID(c)
	if err != nil {
		return err
	}
	ifMatch, err := IfMatch(c)
	if err != nil {
		return err
	}
	if err := s.Delete(c.Request.Context(), id, ifMatch); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

// refuseEarly refuses a write by a caller who may not write the collection
// before the body is read, so a refused caller gets 403 whatever it sends
// and learns nothing from the body checks. The service checks again.
func (s *Service[A, R]) refuseEarly(c *gin.Context) error {
	_, _, err := s.access(c.Request.Context(), true)
	return err
}

// RoutesOf returns the collection's HTTP routes (see Routes).
func (s *Service[A, R]) RoutesOf() []route.Route { return Routes(s) }
