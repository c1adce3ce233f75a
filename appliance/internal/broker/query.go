package broker

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"gorm.io/gorm"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/internal/audit"
	"github.com/jumpgate/jumpgate/appliance/internal/auth"
	"github.com/jumpgate/jumpgate/appliance/internal/page"
	"github.com/jumpgate/jumpgate/appliance/internal/problem"
	"github.com/jumpgate/jumpgate/appliance/internal/resource"
)

// knownQuery refuses query parameters a route does not document.
func knownQuery(q map[string][]string, known map[string]string) error {
	bad := &problem.BadRequest{Detail: "unknown query parameters"}
	for k := range q {
		if _, ok := known[k]; !ok {
			bad.Fields = append(bad.Fields, api.FieldError{Field: k, Detail: "unknown query parameter"})
		}
	}
	if len(bad.Fields) > 0 {
		return bad
	}
	return nil
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// mayRead tells whether p may see session s: administrators see every
// session, representatives the ones they took part in.
func (b *Broker) mayRead(p auth.Principal, s *api.Session) bool {
	if p.Admin || s.UserID == p.UserID {
		return true
	}
	for _, pa := range s.Participants {
		if pa.UserID == p.UserID {
			return true
		}
	}
	return false
}

// mayReadRecording tells whether p may read a recording of session s (which
// p may see) that started at started. Administrators and the
// representative who requested the session read every recording of it; a
// representative who joined reads only those that started while they took
// part: joining a session gives no view of what happened in it before.
func mayReadRecording(p auth.Principal, s *api.Session, started time.Time) bool {
	if p.Admin || s.UserID == p.UserID {
		return true
	}
	for _, pa := range s.Participants {
		if pa.UserID == p.UserID && !started.Before(pa.JoinedAt) && (pa.LeftAt == nil || started.Before(*pa.LeftAt)) {
			return true
		}
	}
	return false
}

// visibleRecordings drops from s the recordings p may not read.
func visibleRecordings(p auth.Principal, s *api.Session) {
	kept := s.Recordings[:0]
	for _, r := range s.Recordings {
		if mayReadRecording(p, s, r.StartedAt) {
			kept = append(kept, r)
		}
	}
	s.Recordings = kept
}

// Get returns session id as stored, with live figures (status, time left,
// tunnel statistics) while it runs. It does no access check.
func (b *Broker) Get(ctx context.Context, id int64) (*api.Session, error) {
	var r Record
	if err := b.db.R.WithContext(ctx).Take(&r, id).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, problem.NotFound("session %d does not exist", id)
		}
		return nil, err
	}
	out := []*api.Session{r.toAPI()}
	if err := b.hydrate(ctx, out); err != nil {
		return nil, err
	}
	return out[0], nil
}

func (b *Broker) hydrate(ctx context.Context, ss []*api.Session) error {
	if len(ss) == 0 {
		return nil
	}
	ids := make([]int64, len(ss))
	byID := map[int64]*api.Session{}
	for i, s := range ss {
		ids[i] = s.ID
		byID[s.ID] = s
	}
	var ps []Participant
	if err := b.db.R.WithContext(ctx).Where("session_id IN ?", ids).Order("id").Find(&ps).Error; err != nil {
		return err
	}
	for _, p := range ps {
		s := byID[p.SessionID]
		s.Participants = append(s.Participants, api.SessionParticipant{UserID: p.UserID, Username: p.Username, JoinedAt: p.JoinedAt, LeftAt: p.LeftAt})
	}
	var rs []RecordingRecord
	if err := b.db.R.WithContext(ctx).Where("session_id IN ?", ids).Order("id").Find(&rs).Error; err != nil {
		return err
	}
	for _, r := range rs {
		byID[r.SessionID].Recordings = append(byID[r.SessionID].Recordings, r.toAPI())
	}
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, s := range ss {
		l := b.live[s.ID]
		if l == nil {
			continue
		}
		s.Status, s.ControlRevoked, s.EndsAt, s.StartedAt = l.rec.Status, l.rec.ControlRevoked, l.rec.EndsAt, l.rec.StartedAt
		if l.rec.Status == api.SessionPrompting && !l.promptExp.IsZero() {
			exp := l.promptExp
			s.PromptExpiresAt = &exp
		}
		s.Tunnels = statsOf(l)
		if l.rec.EndsAt != nil && l.rec.Status == api.SessionActive {
			left := int64(max(l.rec.EndsAt.Sub(now), 0) / time.Second)
			s.RemainingSeconds = &left
		}
	}
	return nil
}

// sessionQuery documents the filters of GET /api/v1/sessions.
var sessionQuery = map[string]string{
	"status":    "Only sessions in this status: refused, prompting, active or ended.",
	"item_type": "Only sessions on this kind of item: jump_client, protocol_tunnel_jump or customer_client.",
	"item_id":   "Only sessions on this item id.",
	"username":  "Only sessions requested by this user (administrators).",
	"q":         "Case-insensitive substring search on item_name and username; % and _ match themselves.",
	"limit":     "Page size, 1–500 (default 100).",
	"cursor":    "The next_cursor of the previous page.",
}

// List lists sessions, newest first: all of them for administrators, the
// caller's own (requested or joined) for others.
func (b *Broker) List(ctx context.Context, q map[string][]string) (*api.List[api.Session], error) {
	p, err := auth.MustFromContext(ctx)
	if err != nil {
		return nil, err
	}
	if err := knownQuery(q, sessionQuery); err != nil {
		return nil, err
	}
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	inv := &problem.Invalid{}
	tx := b.db.R.WithContext(ctx).Model(&Record{})
	if !p.Admin {
		tx = tx.Where("user_id = ? OR id IN (?)", p.UserID,
			b.db.R.Session(&gorm.Session{NewDB: true}).Model(&Participant{}).Select("session_id").Where("user_id = ?", p.UserID))
	}
	if v := get("status"); v != "" {
		switch v {
		case api.SessionRefused, api.SessionPrompting, api.SessionActive, api.SessionEnded:
			tx = tx.Where("status = ?", v)
		default:
			inv.Add("status", "must be one of refused, prompting, active, ended")
		}
	}
	if v := get("item_type"); v != "" {
		tx = tx.Where("item_type = ?", v)
	}
	if v := get("item_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			inv.Add("item_id", "must be an integer")
		}
		tx = tx.Where("item_id = ?", id)
	}
	if v := get("username"); v != "" {
		tx = tx.Where("username = ?", v)
	}
	if term := page.ParseSearch(get(page.SearchQuery), inv); term != "" {
		cond, args := page.SearchWhere([]string{"item_name", "username"}, nil, page.LikePattern(term))
		tx = tx.Where(cond, args...)
	}
	limit, cursor := page.Parse(get("limit"), get("cursor"), inv)
	if err := inv.Err(); err != nil {
		return nil, err
	}
	var total int64
	if err := tx.Session(&gorm.Session{}).Count(&total).Error; err != nil {
		return nil, err
	}
	if cursor > 0 {
		tx = tx.Where("id < ?", cursor)
	}
	var recs []Record
	if err := tx.Order("id DESC").Limit(limit + 1).Find(&recs).Error; err != nil {
		return nil, err
	}
	out := &api.List[api.Session]{Items: []api.Session{}, Total: &total}
	if len(recs) > limit {
		recs = recs[:limit]
		out.NextCursor = page.Cursor(recs[len(recs)-1].ID)
	}
	ss := make([]*api.Session, len(recs))
	for i := range recs {
		ss[i] = recs[i].toAPI()
	}
	if err := b.hydrate(ctx, ss); err != nil {
		return nil, err
	}
	for _, s := range ss {
		visibleRecordings(p, s)
		out.Items = append(out.Items, *s)
	}
	return out, nil
}

// GetFor returns session id if the caller may see it.
func (b *Broker) GetFor(ctx context.Context, id int64) (*api.Session, error) {
	p, err := auth.MustFromContext(ctx)
	if err != nil {
		return nil, err
	}
	s, err := b.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if !b.mayRead(p, s) {
		return nil, problem.NotFound("session %d does not exist", id)
	}
	visibleRecordings(p, s)
	return s, nil
}

// EndBy ends session id for the caller: a participant, or an
// administrator.
func (b *Broker) EndBy(ctx context.Context, id int64, in *api.SessionEnd) (*api.Session, error) {
	p, err := auth.MustFromContext(ctx)
	if err != nil {
		return nil, err
	}
	if err := resource.Validate(in); err != nil {
		return nil, err
	}
	s, err := b.GetFor(ctx, id)
	if err != nil {
		return nil, err
	}
	if s.Status != api.SessionActive && s.Status != api.SessionPrompting {
		return nil, problem.Conflict("session %d is %s", id, s.Status)
	}
	detail := "ended by " + p.Username
	if in.Reason != "" {
		detail += ": " + in.Reason
	}
	b.End(ctx, id, p.Username, api.EndUser, detail)
	return b.Get(ctx, id)
}

// Feedback stores the end-of-session survey of a participant.
func (b *Broker) Feedback(ctx context.Context, id int64, in *api.SessionFeedback) (*api.Session, error) {
	p, err := auth.MustFromContext(ctx)
	if err != nil {
		return nil, err
	}
	if err := resource.Validate(in); err != nil {
		return nil, err
	}
	s, err := b.GetFor(ctx, id)
	if err != nil {
		return nil, err
	}
	if s.Status == api.SessionRefused {
		return nil, problem.Conflict("session %d was refused; there is nothing to rate", id)
	}
	_ = p
	err = b.db.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&Record{}).Where("id = ?", id).Updates(map[string]any{"rating": in.Rating, "feedback": in.Feedback}).Error; err != nil {
			return err
		}
		return audit.WriteEvent(ctx, tx, ActFeedback, ObjectSession, id, s.ItemName, map[string]any{"rating": in.Rating, "feedback": in.Feedback})
	})
	if err != nil {
		return nil, err
	}
	return b.Get(ctx, id)
}
