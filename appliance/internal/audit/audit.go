// Package audit stores the audit log: every configuration change and session
// event, written in the same transaction as the change it records, so nothing
// is acknowledged without its audit record.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/internal/auth"
	"github.com/jumpgate/jumpgate/appliance/internal/db"
	"github.com/jumpgate/jumpgate/appliance/internal/page"
	"github.com/jumpgate/jumpgate/appliance/internal/problem"
	"github.com/jumpgate/jumpgate/appliance/internal/route"
)

// Record is the GORM model of an audit event.
type Record struct {
	ID         int64     `gorm:"primaryKey;autoIncrement"`
	Time       time.Time `gorm:"not null;index"`
	ActorID    int64     `gorm:"not null"`
	Actor      string    `gorm:"size:64;not null;index"`
	Action     string    `gorm:"size:64;not null"`
	ObjectType string    `gorm:"size:64;not null;index:idx_audit_object"`
	ObjectID   int64     `gorm:"not null;index:idx_audit_object"`
	ObjectName string    `gorm:"size:256;not null"`
	Diff       string    `gorm:"type:text;not null"`
	RemoteAddr string    `gorm:"size:64;not null"`
	// Details is the JSON object of a session event's details; "" for
	// configuration changes.
	Details string `gorm:"type:text;not null;default:''"`
}

// TableName fixes the table name.
func (Record) TableName() string { return "audit_events" }

func (r *Record) toAPI() api.AuditEvent {
	ev := api.AuditEvent{
		ID: r.ID, Time: r.Time, ActorID: r.ActorID, Actor: r.Actor, Action: r.Action,
		ObjectType: r.ObjectType, ObjectID: r.ObjectID, ObjectName: r.ObjectName, RemoteAddr: r.RemoteAddr,
	}
	if r.Diff != "" && r.Diff != "null" {
		_ = json.Unmarshal([]byte(r.Diff), &ev.Diff)
	}
	if r.Details != "" && r.Details != "null" {
		_ = json.Unmarshal([]byte(r.Details), &ev.Details)
	}
	return ev
}

type remoteAddrKey struct{}

// WithRemoteAddr returns a context that carries the client address for audit records.
func WithRemoteAddr(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, remoteAddrKey{}, addr)
}

// knownObjectType refuses an object type outside api.AuditObjectTypes: the
// list filter takes only those, so an event of another type could never be
// found by it.
func knownObjectType(t string) error {
	if !slices.Contains(api.AuditObjectTypes, t) {
		return fmt.Errorf("write audit event: object type %q is not in api.AuditObjectTypes", t)
	}
	return nil
}

// Write adds an event in tx. The actor comes from the context's principal.
func Write(ctx context.Context, tx *gorm.DB, action, objectType string, objectID int64, objectName string, diff map[string]api.FieldChange) error {
	if err := knownObjectType(objectType); err != nil {
		return err
	}
	p, ok := auth.FromContext(ctx)
	if !ok {
		p = auth.System
	}
	addr, _ := ctx.Value(remoteAddrKey{}).(string)
	b, err := json.Marshal(diff)
	if err != nil {
		return fmt.Errorf("encode audit diff: %w", err)
	}
	rec := &Record{
		Time: time.Now().UTC(), ActorID: p.UserID, Actor: p.Username, Action: action,
		ObjectType: objectType, ObjectID: objectID, ObjectName: objectName, Diff: string(b), RemoteAddr: addr,
	}
	if err := tx.WithContext(ctx).Create(rec).Error; err != nil {
		return fmt.Errorf("write audit event: %w", err)
	}
	return nil
}

// WriteEvent adds a session event (or another event that is not a
// configuration change) in tx, with its details. The actor comes from the
// context's principal.
func WriteEvent(ctx context.Context, tx *gorm.DB, action, objectType string, objectID int64, objectName string, details map[string]any) error {
	if err := knownObjectType(objectType); err != nil {
		return err
	}
	p, ok := auth.FromContext(ctx)
	if !ok {
		p = auth.System
	}
	addr, _ := ctx.Value(remoteAddrKey{}).(string)
	d := ""
	if len(details) > 0 {
		b, err := json.Marshal(details)
		if err != nil {
			return fmt.Errorf("encode audit details: %w", err)
		}
		d = string(b)
	}
	rec := &Record{
		Time: time.Now().UTC(), ActorID: p.UserID, Actor: p.Username, Action: action,
		ObjectType: objectType, ObjectID: objectID, ObjectName: clip(objectName, 256), Diff: "null", RemoteAddr: addr, Details: d,
	}
	if err := tx.WithContext(ctx).Create(rec).Error; err != nil {
		return fmt.Errorf("write audit event: %w", err)
	}
	return nil
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// Handler serves GET /api/v1/audit-events.
type Handler struct {
	DB *db.DB
}

var listQuery = map[string]string{
	"object_type": "Only events about this kind of object: access_code, api_token, approval, console_settings, group_policy, jump_client, jump_client_installer, jump_client_settings, jump_group, jump_policy, jumpoint, protocol_tunnel_jump, public_portal, session, session_policy or user.",
	"object_id":   "Only events about this object id.",
	"actor":       "Only events by this username.",
	"action":      "Only this action, e.g. create, update, delete.",
	"since":       "Only events at or after this RFC 3339 time.",
	"until":       "Only events before this RFC 3339 time.",
	"q":           "Case-insensitive substring search on object_name and actor; % and _ match themselves.",
	"limit":       "Page size, 1–500 (default 100).",
	"cursor":      "The next_cursor of the previous page.",
}

// Routes returns the audit routes.
func (h *Handler) Routes() []route.Route {
	return []route.Route{{
		Method: http.MethodGet, Path: "/api/v1/audit-events", Handler: route.Handle(h.list),
		Tag: "audit-events", Summary: "List audit events, oldest first", Response: api.List[api.AuditEvent]{},
		Query: listQuery, AdminOnly: true,
	}}
}

func (h *Handler) list(c *gin.Context) error {
	ctx := c.Request.Context()
	if err := auth.RequireAdmin(ctx); err != nil {
		return err
	}
	bad := &problem.BadRequest{Detail: "unknown query parameters"}
	for k := range c.Request.URL.Query() {
		if _, ok := listQuery[k]; !ok {
			bad.Fields = append(bad.Fields, api.FieldError{Field: k, Detail: "unknown query parameter"})
		}
	}
	if len(bad.Fields) > 0 {
		return bad
	}
	q := h.DB.R.WithContext(ctx).Model(&Record{})
	inv := &problem.Invalid{}
	if v := c.Query("object_type"); v != "" && !slices.Contains(api.AuditObjectTypes, v) {
		inv.Add("object_type", "must be one of %s", strings.Join(api.AuditObjectTypes, ", "))
	}
	for _, k := range []string{"object_type", "actor", "action"} {
		if v := c.Query(k); v != "" {
			q = q.Where(k+" = ?", v)
		}
	}
	if v := c.Query("object_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			inv.Add("object_id", "must be an integer")
		}
		q = q.Where("object_id = ?", id)
	}
	for _, k := range []string{"since", "until"} {
		if v := c.Query(k); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				inv.Add(k, "must be an RFC 3339 time such as 2026-01-02T15:04:05Z")
				continue
			}
			if k == "since" {
				q = q.Where("time >= ?", t.UTC())
			} else {
				q = q.Where("time < ?", t.UTC())
			}
		}
	}
	if term := page.ParseSearch(c.Query(page.SearchQuery), inv); term != "" {
		cond, args := page.SearchWhere([]string{"object_name", "actor"}, nil, page.LikePattern(term))
		q = q.Where(cond, args...)
	}
	limit, cursor := page.Parse(c.Query("limit"), c.Query("cursor"), inv)
	if err := inv.Err(); err != nil {
		return err
	}
	var total int64
	if err := q.Session(&gorm.Session{}).Count(&total).Error; err != nil {
		return err
	}
	var recs []Record
	if err := q.Where("id > ?", cursor).Order("id").Limit(limit + 1).Find(&recs).Error; err != nil {
		return err
	}
	out := api.List[api.AuditEvent]{Items: make([]api.AuditEvent, 0, len(recs)), Total: &total}
	if len(recs) > limit {
		recs = recs[:limit]
		out.NextCursor = page.Cursor(recs[len(recs)-1].ID)
	}
	for i := range recs {
		out.Items = append(out.Items, recs[i].toAPI())
	}
	c.JSON(http.StatusOK, out)
	return nil
}
