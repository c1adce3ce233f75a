package broker

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/sessionproto"
	"github.com/jumpgate/jumpgate/appliance/internal/problem"
	"github.com/jumpgate/jumpgate/appliance/internal/resource"
	"github.com/jumpgate/jumpgate/appliance/internal/route"
)

// maxBody bounds the JSON bodies of the broker's routes.
const maxBody = 64 << 10

func decode(c *gin.Context, v any) error {
	return resource.Decode(io.LimitReader(c.Request.Body, maxBody), v)
}

// idParam reads an id path parameter (resource.ParseID reads only :id;
// recordings have two).
func idParam(c *gin.Context, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id < 1 {
		return 0, problem.NotFound("%q is not an id", c.Param(name))
	}
	return id, nil
}

// Routes returns the session, approval, access-code and recording routes.
func (b *Broker) Routes() []route.Route {
	sess := "/api/v1/" + api.PathSessions
	return []route.Route{
		{Method: http.MethodPost, Path: sess, Tag: api.PathSessions, Status: http.StatusCreated,
			Summary: "Start a session on a Jump Item (403 session-refused with a reason when the broker says no)",
			Request: api.SessionRequest{}, Response: api.Session{}, Handler: route.Handle(func(c *gin.Context) error {
				var in api.SessionRequest
				if err := decode(c, &in); err != nil {
					return err
				}
				s, err := b.Request(c.Request.Context(), &in)
				if err != nil {
					return err
				}
				c.JSON(http.StatusCreated, s)
				return nil
			})},
		{Method: http.MethodGet, Path: sess, Tag: api.PathSessions, Summary: "List sessions, newest first (yours, or all for administrators)",
			Response: api.List[api.Session]{}, Query: sessionQuery, Handler: route.Handle(func(c *gin.Context) error {
				out, err := b.List(c.Request.Context(), c.Request.URL.Query())
				if err != nil {
					return err
				}
				c.JSON(http.StatusOK, out)
				return nil
			})},
		{Method: http.MethodGet, Path: sess + "/:id", Tag: api.PathSessions, Summary: "Get a session, with live tunnel statistics and time left",
			Response: api.Session{}, Handler: route.Handle(func(c *gin.Context) error {
				id, err := idParam(c, "id")
				if err != nil {
					return err
				}
				s, err := b.GetFor(c.Request.Context(), id)
				if err != nil {
					return err
				}
				c.JSON(http.StatusOK, s)
				return nil
			})},
		{Method: http.MethodPost, Path: sess + "/:id/end", Tag: api.PathSessions, Summary: "End a session (a participant or an administrator)",
			Request: api.SessionEnd{}, Response: api.Session{}, Handler: route.Handle(func(c *gin.Context) error {
				id, err := idParam(c, "id")
				if err != nil {
					return err
				}
				var in api.SessionEnd
				if c.Request.ContentLength != 0 {
					if err := decode(c, &in); err != nil {
						return err
					}
				}
				s, err := b.EndBy(c.Request.Context(), id, &in)
				if err != nil {
					return err
				}
				c.JSON(http.StatusOK, s)
				return nil
			})},
		{Method: http.MethodPost, Path: sess + "/:id/feedback", Tag: api.PathSessions, Summary: "Rate a session (the end-of-session survey)",
			Request: api.SessionFeedback{}, Response: api.Session{}, Handler: route.Handle(func(c *gin.Context) error {
				id, err := idParam(c, "id")
				if err != nil {
					return err
				}
				var in api.SessionFeedback
				if err := decode(c, &in); err != nil {
					return err
				}
				s, err := b.Feedback(c.Request.Context(), id, &in)
				if err != nil {
					return err
				}
				c.JSON(http.StatusOK, s)
				return nil
			})},
		{Method: http.MethodGet, Path: sess + "/:id/connect", Tag: api.PathSessions, RawBody: "application/octet-stream",
			Summary: "The session channel: a WebSocket (subprotocol jumpgate-session.v1) carrying the session's streams",
			Handler: route.Handle(b.handleConnect)},
		{Method: http.MethodGet, Path: sess + "/:id/shell", Tag: api.PathSessions, RawBody: "application/octet-stream", Query: shellQuery,
			Summary: "A terminal in the session for a browser: a WebSocket (subprotocol " + sessionproto.TerminalSubprotocol + "), binary messages the terminal's bytes, text messages resize, signal, notice, exit and ended",
			Errors:  []int{http.StatusForbidden, http.StatusNotFound, http.StatusConflict},
			Handler: route.Handle(b.handleShell)},
		{Method: http.MethodGet, Path: sess + "/:id/sysinfo", Tag: api.PathSessions, Summary: "The endpoint's system information (permission system_info)",
			Response: sessionproto.SysInfo{}, Errors: []int{http.StatusForbidden, http.StatusNotFound, http.StatusConflict},
			Handler: route.Handle(b.handleSysInfo)},
		{Method: http.MethodGet, Path: sess + "/:id/files", Tag: api.PathSessions, Summary: "List a directory on the endpoint (permission file_read)",
			Response: sessionproto.FileList{}, Query: fileQuery, Errors: []int{http.StatusForbidden, http.StatusNotFound, http.StatusConflict},
			Handler: route.Handle(b.handleFileList)},
		{Method: http.MethodGet, Path: sess + "/:id/files/content", Tag: api.PathSessions, RawBody: "application/octet-stream", Query: fileQuery,
			Summary: "Download a file from the endpoint (permission file_read): X-Jumpgate-Size, and the endpoint's SHA-256 in the trailer X-Jumpgate-SHA256; a transfer that fails or does not match is aborted",
			Errors:  []int{http.StatusForbidden, http.StatusNotFound, http.StatusConflict},
			Handler: route.Handle(b.handleFileGet)},
		{Method: http.MethodPut, Path: sess + "/:id/files/content", Tag: api.PathSessions, Query: uploadQuery, Unversioned: true,
			Summary:  "Upload a file to the endpoint (permission file_write): the body is the whole file, checked by the endpoint against its size and sha256 before it replaces the path",
			Response: sessionproto.Done{}, Errors: []int{http.StatusForbidden, http.StatusNotFound, http.StatusConflict},
			Handler: route.Handle(b.handleFilePut)},
		{Method: http.MethodGet, Path: sess + "/:id/recordings/:rid", Tag: api.PathSessions, RawBody: "application/octet-stream",
			Summary: "Download a recording: asciicast v2 (shell) or JSON lines (tunnel log)", Handler: route.Handle(b.handleRecording)},
		{Method: http.MethodGet, Path: "/api/v1/approvals", Tag: "approvals", Summary: "List approval requests you made or may decide",
			Response: api.List[api.Approval]{}, Query: approvalQuery, Handler: route.Handle(func(c *gin.Context) error {
				out, err := b.Approvals(c.Request.Context(), c.Request.URL.Query())
				if err != nil {
					return err
				}
				c.JSON(http.StatusOK, out)
				return nil
			})},
		b.decideRoute(true), b.decideRoute(false),
		{Method: http.MethodPost, Path: "/api/v1/access-codes", Tag: "access-codes", Status: http.StatusCreated,
			Summary: "Make a one-time access code (valid 5 minutes, once) for a customer to join with 'jumpgate-agent join'",
			Request: api.AccessCode{}, Response: api.AccessCode{}, Handler: route.Handle(func(c *gin.Context) error {
				var in api.AccessCode
				if c.Request.ContentLength != 0 {
					if err := decode(c, &in); err != nil {
						return err
					}
				}
				out, err := b.CreateCode(c.Request.Context(), &in)
				if err != nil {
					return err
				}
				c.JSON(http.StatusCreated, out)
				return nil
			})},
		{Method: http.MethodGet, Path: "/api/v1/access-codes", Tag: "access-codes", Summary: "List access codes (yours, or all for administrators)",
			Response: api.List[api.AccessCode]{}, Handler: route.Handle(func(c *gin.Context) error {
				if err := knownQuery(c.Request.URL.Query(), nil); err != nil {
					return err
				}
				out, err := b.Codes(c.Request.Context())
				if err != nil {
					return err
				}
				c.JSON(http.StatusOK, out)
				return nil
			})},
		{Method: http.MethodGet, Path: "/api/v1/access-codes/:id", Tag: "access-codes", Summary: "Get an access code's status",
			Response: api.AccessCode{}, Handler: route.Handle(func(c *gin.Context) error {
				id, err := idParam(c, "id")
				if err != nil {
					return err
				}
				out, err := b.Code(c.Request.Context(), id)
				if err != nil {
					return err
				}
				c.JSON(http.StatusOK, out)
				return nil
			})},
	}
}

func (b *Broker) decideRoute(grant bool) route.Route {
	verb, summary := "deny", "Deny an approval request"
	if grant {
		verb, summary = "grant", "Grant an approval request for a while (at most the Jump Policy's approval_max_duration)"
	}
	return route.Route{Method: http.MethodPost, Path: "/api/v1/approvals/:id/" + verb, Tag: "approvals", Summary: summary,
		Request: api.ApprovalDecision{}, Response: api.Approval{}, Handler: route.Handle(func(c *gin.Context) error {
			id, err := idParam(c, "id")
			if err != nil {
				return err
			}
			var in api.ApprovalDecision
			if c.Request.ContentLength != 0 {
				if err := decode(c, &in); err != nil {
					return err
				}
			}
			out, err := b.Decide(c.Request.Context(), id, grant, &in)
			if err != nil {
				return err
			}
			c.JSON(http.StatusOK, out)
			return nil
		})}
}

func (b *Broker) handleRecording(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	rid, err := idParam(c, "rid")
	if err != nil {
		return err
	}
	ctx := c.Request.Context()
	sess, err := b.GetFor(ctx, id)
	if err != nil {
		return err
	}
	var r RecordingRecord
	if err := b.db.R.WithContext(ctx).Where("id = ? AND session_id = ?", rid, id).Take(&r).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return problem.NotFound("session %d has no recording %d", id, rid)
		}
		return err
	}
	if !slices.ContainsFunc(sess.Recordings, func(v api.Recording) bool { return v.ID == r.ID }) {
		// GetFor left out what the caller may not read (mayReadRecording).
		return problem.NotFound("session %d has no recording %d", id, rid)
	}
	f, err := os.Open(filepath.Join(b.recDir, filepath.Clean(r.Path)))
	if err != nil {
		return problem.Gone("the file of recording %d is missing from the appliance's data dir", rid)
	}
	defer f.Close()
	ev := map[string]any{"recording_id": r.ID, "kind": r.Kind, "file_name": r.FileName, "sha256": r.SHA256}
	if err := b.event(ctx, Record{ID: id, ItemName: sess.ItemName}, ActRecordingDownloaded, ev); err != nil {
		return err
	}
	ct := "application/x-asciicast"
	if r.Kind == api.RecordingTunnelLog {
		ct = "application/x-ndjson"
	}
	c.Header("Content-Type", ct)
	c.Header("Content-Disposition", fmt.Sprintf("attachment; filename=%q", r.FileName))
	c.Header("Cache-Control", "no-store")
	if r.SHA256 != "" {
		c.Header("X-Jumpgate-SHA256", r.SHA256)
	}
	c.Status(http.StatusOK)
	_, _ = io.Copy(c.Writer, f)
	return nil
}
