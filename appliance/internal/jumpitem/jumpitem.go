// Package jumpitem serves the Jump Items list, GET /api/v1/jump-items:
// Jump Clients and Protocol Tunnel Jumps in one list, searchable, sortable
// and paginated across both kinds, with the visibility the two collections
// apply (grouppolicy.ItemScope for non-administrators).
//
// The list is one SQL query: a UNION ALL of the two tables, each already
// limited to what the caller may see, filtered, searched and ordered by the
// sort key, then kind and id, from the cursor's (value, kind, id) on. The
// total is one COUNT over the same union and conditions.
package jumpitem

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/internal/auth"
	"github.com/jumpgate/jumpgate/appliance/internal/db"
	"github.com/jumpgate/jumpgate/appliance/internal/grouppolicy"
	"github.com/jumpgate/jumpgate/appliance/internal/page"
	"github.com/jumpgate/jumpgate/appliance/internal/problem"
	"github.com/jumpgate/jumpgate/appliance/internal/resource"
	"github.com/jumpgate/jumpgate/appliance/internal/route"
)

// List serves the Jump Items list.
type List struct {
	DB *db.DB
}

// filters are the exact-match filters, query name → column of the union.
var filters = map[string]struct {
	column, doc string
	int         bool
}{
	"kind":            {"kind", "Only items of this kind: jump_client or protocol_tunnel_jump.", false},
	"jump_group_id":   {"jump_group_id", "Only items owned by this jump group (or user, with jump_group_type=personal).", true},
	"jump_group_type": {"jump_group_type", "shared or personal.", false},
	"tag":             {"tag", "Only items with this tag.", false},
	"status":          {"status", "Only items with this status: online, offline, lost or uninstalled (tunnel jumps are online or offline).", false},
	"jumpoint_id":     {"jumpoint_id", "Only tunnel jumps through this jumpoint.", true},
}

// sorts are the sort keys, key → column of the union; every column is NOT
// NULL (COALESCE in the union).
var sorts = map[string]string{"name": "name", "tag": "tag", "status": "status", "hostname": "hostname", "kind": "kind"}

// search are the columns ?q= searches.
var search = []string{"name", "tag", "hostname"}

// row is one row of the union.
type row struct {
	Kind           string
	ID             int64
	Name           string
	JumpGroupID    int64
	JumpGroupType  string
	Tag            string
	Comments       string
	Status         string
	Hostname       string
	LastSeenAt     nullTime
	JumpointID     *int64
	ConnectionType string
	Platform       string
}

func (r *row) toAPI() api.JumpItem {
	it := api.JumpItem{Kind: r.Kind, ID: r.ID, Name: r.Name, JumpGroupID: r.JumpGroupID, JumpGroupType: r.JumpGroupType,
		Tag: r.Tag, Comments: r.Comments, Status: r.Status, Hostname: r.Hostname, JumpointID: r.JumpointID,
		ConnectionType: r.ConnectionType, Platform: r.Platform}
	if r.LastSeenAt.Valid {
		t := r.LastSeenAt.Time.UTC()
		it.LastSeenAt = &t
	}
	return it
}

// Routes returns GET /api/v1/jump-items.
func (l *List) Routes() []route.Route {
	query := map[string]string{
		"limit":              "Page size, 1–500 (default 100).",
		"cursor":             "The next_cursor of the previous page.",
		resource.SearchQuery: fmt.Sprintf(resource.SearchQueryDoc, "name, tag and hostname"),
		resource.SortQuery:   "Sort key, one of " + resource.SortNames(sorts) + "; prefix with - for descending order. Ties are broken by kind and id, and the cursor keeps the order. Default name.",
	}
	for k, f := range filters {
		query[k] = f.doc
	}
	return []route.Route{{
		Method: http.MethodGet, Path: "/api/v1/" + api.PathJumpItems, Tag: api.PathJumpItems, Query: query,
		Summary:  "List the Jump Items the caller may see: Jump Clients and Protocol Tunnel Jumps, with status, search, sort and a total",
		Response: api.List[api.JumpItem]{},
		Handler: route.Handle(func(c *gin.Context) error {
			out, err := l.List(c.Request.Context(), c.Request.URL.Query())
			if err != nil {
				return err
			}
			c.JSON(http.StatusOK, out)
			return nil
		}),
	}}
}

// union is the caller's items of both kinds.
func (l *List) union(ctx context.Context, p auth.Principal) *gorm.DB {
	tx := l.DB.R.WithContext(ctx).Session(&gorm.Session{NewDB: true})
	clients := tx.Table("jump_clients AS jc").
		Select("'"+api.KindJumpClient+"' AS kind, jc.id AS id, jc.name AS name, jc.jump_group_id AS jump_group_id, "+
			"jc.jump_group_type AS jump_group_type, jc.tag AS tag, jc.comments AS comments, "+
			"COALESCE(st.status, ?) AS status, COALESCE(st.hostname, '') AS hostname, st.last_seen_at AS last_seen_at, "+
			"CAST(NULL AS BIGINT) AS jumpoint_id, jc.connection_type AS connection_type, jc.platform AS platform", api.ClientOffline).
		Joins("LEFT JOIN jump_client_states AS st ON st.client_id = jc.id")
	tunnels := tx.Session(&gorm.Session{NewDB: true}).Table("protocol_tunnel_jumps AS t").
		Select("'"+api.KindProtocolTunnelJump+"' AS kind, t.id AS id, t.name AS name, t.jump_group_id AS jump_group_id, "+
			"t.jump_group_type AS jump_group_type, t.tag AS tag, t.comments AS comments, "+
			"CASE WHEN EXISTS (SELECT 1 FROM jumpoint_nodes AS n WHERE n.jumpoint_id = t.jumpoint_id AND n.connected = ?) THEN ? ELSE ? END AS status, "+
			"t.hostname AS hostname, NULL AS last_seen_at, t.jumpoint_id AS jumpoint_id, '' AS connection_type, '' AS platform",
			true, api.TunnelOnline, api.TunnelOffline)
	if !p.Admin {
		clients = grouppolicy.ItemScope(p.UserID)(clients)
		tunnels = grouppolicy.ItemScope(p.UserID)(tunnels)
	}
	return tx.Session(&gorm.Session{NewDB: true}).Table("(?) AS items", tx.Session(&gorm.Session{NewDB: true}).Raw("? UNION ALL ?", clients, tunnels))
}

// List returns one page of the caller's Jump Items.
func (l *List) List(ctx context.Context, q url.Values) (*api.List[api.JumpItem], error) {
	p, err := auth.MustFromContext(ctx)
	if err != nil {
		return nil, err
	}
	bad := &problem.BadRequest{}
	for k := range q {
		if _, ok := filters[k]; !ok && k != "limit" && k != "cursor" && k != resource.SearchQuery && k != resource.SortQuery {
			bad.Fields = append(bad.Fields, api.FieldError{Field: k, Detail: "unknown query parameter; filters are " + filterNames()})
		}
	}
	if len(bad.Fields) > 0 {
		sort.Slice(bad.Fields, func(i, j int) bool { return bad.Fields[i].Field < bad.Fields[j].Field })
		bad.Detail = "unknown query parameters"
		return nil, bad
	}
	inv := &problem.Invalid{}
	limit, _ := page.Parse(q.Get("limit"), "", inv)
	order := resource.ParseSort(q.Get(resource.SortQuery), "name", sorts, inv)
	pos := page.ParseKey(q.Get("cursor"), order.Key, inv)
	tx := l.union(ctx, p)
	for name, f := range filters {
		v, ok := q[name]
		if !ok {
			continue
		}
		val := any(v[0])
		if f.int {
			n, err := strconv.ParseInt(v[0], 10, 64)
			if err != nil {
				inv.Add(name, "must be an integer")
				continue
			}
			val = n
		}
		tx = tx.Where(f.column+" = ?", val)
	}
	if term := page.ParseSearch(q.Get(resource.SearchQuery), inv); term != "" {
		cond, args := page.SearchWhere(search, nil, page.LikePattern(term))
		tx = tx.Where(cond, args...)
	}
	var after any
	if pos != nil && order.Column != "id" {
		var s string
		if err := json.Unmarshal(pos.Value, &s); err != nil {
			inv.Add("cursor", "is not a cursor returned by this API")
		}
		after = s
	}
	if err := inv.Err(); err != nil {
		return nil, err
	}
	var total int64
	if err := tx.Session(&gorm.Session{}).Count(&total).Error; err != nil {
		return nil, fmt.Errorf("count jump items: %w", err)
	}
	cmp, dir := ">", "ASC"
	if order.Desc {
		cmp, dir = "<", "DESC"
	}
	pg := tx.Session(&gorm.Session{})
	if order.Column == "id" {
		if pos != nil {
			pg = pg.Where("(id, kind) "+cmp+" (?, ?)", pos.ID, pos.Kind)
		}
		pg = pg.Order("id " + dir).Order("kind " + dir)
	} else {
		if pos != nil {
			pg = pg.Where("("+order.Column+", kind, id) "+cmp+" (?, ?, ?)", after, pos.Kind, pos.ID)
		}
		pg = pg.Order(order.Column + " " + dir).Order("kind " + dir).Order("id " + dir)
	}
	var rows []row
	if err := pg.Limit(limit + 1).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("list jump items: %w", err)
	}
	out := &api.List[api.JumpItem]{Items: make([]api.JumpItem, 0, len(rows)), Total: &total}
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[len(rows)-1]
		var v any = last.ID
		switch order.Column {
		case "name":
			v = last.Name
		case "tag":
			v = last.Tag
		case "status":
			v = last.Status
		case "hostname":
			v = last.Hostname
		case "kind":
			v = last.Kind
		}
		out.NextCursor = page.KeyCursor(order.Key, v, last.Kind, last.ID)
	}
	for i := range rows {
		out.Items = append(out.Items, rows[i].toAPI())
	}
	return out, nil
}

func filterNames() string {
	names := []string{"limit", "cursor", resource.SearchQuery, resource.SortQuery}
	for k := range filters {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// nullTime scans a time that may come as text: SQLite has no time type,
// and through the union the column loses the declared type that lets the
// driver parse it.
type nullTime struct {
	Time  time.Time
	Valid bool
}

// sqliteTimeFormats are the forms the SQLite driver writes times in.
var sqliteTimeFormats = []string{"2006-01-02 15:04:05.999999999-07:00", "2006-01-02T15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999", time.RFC3339Nano}

// Scan implements sql.Scanner.
func (t *nullTime) Scan(v any) error {
	*t = nullTime{}
	var s string
	switch v := v.(type) {
	case nil:
		return nil
	case time.Time:
		*t = nullTime{Time: v, Valid: true}
		return nil
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("jump item time: unsupported type %T", v)
	}
	for _, f := range sqliteTimeFormats {
		if tm, err := time.Parse(f, s); err == nil {
			*t = nullTime{Time: tm, Valid: true}
			return nil
		}
	}
	return fmt.Errorf("jump item time: unparsable %q", s)
}

// Value implements driver.Valuer, which GORM wants of a scanned struct.
func (t nullTime) Value() (driver.Value, error) {
	if !t.Valid {
		return nil, nil
	}
	return t.Time, nil
}
