// Package events serves the live status stream, GET /api/v1/events: a
// Server-Sent Events stream of what changes while a console is open, Jump
// Client statuses and session starts and ends, for the objects the caller
// may see. Events carry kinds, ids and the changed status only; a console
// reads anything else from the collections.
//
// # Flow
//
// The agent hub and the broker report changes with ClientStatus and
// Session; neither ever blocks: a change is put in a pending map keyed by
// event and object, where a newer status replaces an older one. Every
// Batch, the pending changes are taken at once, the owners of the Jump
// Clients among them read in one query (when a non-administrator listens),
// and each event is offered to every stream whose caller may see its
// object: administrators see everything; others the Jump Clients of the
// shared Jump Groups they are a member of and of their personal list (the
// rule of grouppolicy.ItemScope), and the sessions they requested or take
// part in. A stream has a bounded buffer: when it is full, the events that
// do not fit are dropped and the stream gets one stream.resync event,
// which tells the console to read its lists again.
//
// A stream is closed, with a stream.closed event naming the reason, when
// the credential it was opened with goes away: its API token is deleted or
// expires, its browser session ends, or its user is deleted, disabled or
// changes role. Revalidate checks every stream; the server calls
// AccessChanged after each write that can take access away, and a pass
// also runs every RevalidateEvery, for other processes' writes and
// expiries. Each user holds at most MaxPerUser streams; a comment line
// every Heartbeat keeps proxies from closing an idle stream.
package events

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/internal/auth"
	"github.com/jumpgate/jumpgate/appliance/internal/db"
	"github.com/jumpgate/jumpgate/appliance/internal/grouppolicy"
	"github.com/jumpgate/jumpgate/appliance/internal/problem"
	"github.com/jumpgate/jumpgate/appliance/internal/route"
)

// Defaults of Config.
const (
	DefaultHeartbeat       = 15 * time.Second
	DefaultBatch           = 100 * time.Millisecond
	DefaultRevalidateEvery = time.Second
	DefaultBuffer          = 256
	DefaultMaxPerUser      = 8
	// groupsEvery is how often a non-administrator's Jump Groups are read
	// again without a write having asked for it.
	groupsEvery = 30 * time.Second
)

// Config tunes a Hub; zero values take the defaults.
type Config struct {
	DB  *db.DB
	Log *slog.Logger
	// Heartbeat is the interval of comment lines on an idle stream.
	Heartbeat time.Duration
	// Batch is how long changes are gathered before they are sent.
	Batch time.Duration
	// RevalidateEvery is the interval of the credential checks.
	RevalidateEvery time.Duration
	// Buffer is the number of events a stream holds for a slow reader.
	Buffer int
	// MaxPerUser is the number of streams one user may hold at once.
	MaxPerUser int
}

// Hub fans changes out to the open streams.
type Hub struct {
	cfg Config
	db  *db.DB
	log *slog.Logger

	mu      sync.Mutex
	subs    map[*sub]struct{}
	perUser map[int64]int
	pending map[pendingKey]api.Event
	owners  map[int64][]int64 // session id → user ids that may see it
	wake    chan struct{}
	kick    chan struct{}
	stop    context.CancelFunc
	done    sync.WaitGroup
}

type pendingKey struct {
	name string
	id   int64
}

// New starts a hub; Close stops it.
func New(cfg Config) *Hub {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = DefaultHeartbeat
	}
	if cfg.Batch <= 0 {
		cfg.Batch = DefaultBatch
	}
	if cfg.RevalidateEvery <= 0 {
		cfg.RevalidateEvery = DefaultRevalidateEvery
	}
	if cfg.Buffer <= 0 {
		cfg.Buffer = DefaultBuffer
	}
	if cfg.MaxPerUser <= 0 {
		cfg.MaxPerUser = DefaultMaxPerUser
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &Hub{cfg: cfg, db: cfg.DB, log: cfg.Log, subs: map[*sub]struct{}{}, perUser: map[int64]int{},
		pending: map[pendingKey]api.Event{}, owners: map[int64][]int64{},
		wake: make(chan struct{}, 1), kick: make(chan struct{}, 1), stop: cancel}
	h.done.Add(2)
	go h.fanLoop(ctx)
	go h.revalidateLoop(ctx)
	return h
}

// Close ends every stream and stops the hub.
func (h *Hub) Close() {
	h.stop()
	h.done.Wait()
	h.mu.Lock()
	for s := range h.subs {
		s.close("the appliance is shutting down")
	}
	h.mu.Unlock()
}

// ClientStatus reports a Jump Client's new status. It never blocks.
func (h *Hub) ClientStatus(id int64, status string, lastSeen time.Time) {
	t := lastSeen.UTC()
	h.put(api.Event{Name: api.EventJumpClientStatus, Kind: api.KindJumpClient, ID: id, Status: status, LastSeenAt: &t})
}

// Session reports that a session started (api.EventSessionStarted) or
// ended (api.EventSessionEnded), with its status now and the users who
// may see it besides administrators (its requester and participants). It
// never blocks.
func (h *Hub) Session(name string, id int64, status string, users []int64) {
	h.mu.Lock()
	h.owners[id] = slices.Clone(users)
	h.mu.Unlock()
	h.put(api.Event{Name: name, Kind: "session", ID: id, Status: status})
}

func (h *Hub) put(ev api.Event) {
	h.mu.Lock()
	if len(h.subs) == 0 {
		if ev.Kind == "session" && ev.Name == api.EventSessionEnded {
			delete(h.owners, ev.ID)
		}
		h.mu.Unlock()
		return
	}
	h.pending[pendingKey{ev.Name, ev.ID}] = ev
	h.mu.Unlock()
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// AccessChanged asks for a Revalidate pass now; it never blocks.
func (h *Hub) AccessChanged() {
	select {
	case h.kick <- struct{}{}:
	default:
	}
}

// sub is one open stream.
type sub struct {
	p  auth.Principal
	ch chan api.Event
	// kinds, when not empty, limits the stream to these object kinds.
	kinds []string
	// guarded by Hub.mu:
	groups     map[int64]bool // shared Jump Groups a non-admin sees
	groupsAt   time.Time
	overflow   bool
	closed     chan struct{}
	closeOnce  sync.Once
	closeCause string
}

func (s *sub) close(cause string) {
	s.closeOnce.Do(func() {
		s.closeCause = cause
		close(s.closed)
	})
}

// offer queues ev without blocking; Hub.mu is held.
func (s *sub) offer(ev api.Event) {
	if len(s.kinds) > 0 && !slices.Contains(s.kinds, ev.Kind) {
		return
	}
	select {
	case s.ch <- ev:
	default:
		s.overflow = true
	}
}

// sees reports whether the stream's caller may see ev; owner is a Jump
// Client's (type, id). Hub.mu is held.
func (h *Hub) sees(s *sub, ev api.Event, owner clientOwner, hasOwner bool) bool {
	if s.p.Admin {
		return true
	}
	switch ev.Kind {
	case api.KindJumpClient:
		if !hasOwner {
			return false
		}
		return owner.Type == api.JumpGroupPersonal && owner.ID == s.p.UserID || owner.Type == api.JumpGroupShared && s.groups[owner.ID]
	case "session":
		return slices.Contains(h.owners[ev.ID], s.p.UserID)
	}
	return false
}

// clientOwner is a Jump Client's jump_group_id and jump_group_type.
type clientOwner struct {
	ID   int64
	Type string
}

func (h *Hub) fanLoop(ctx context.Context) {
	defer h.done.Done()
	t := time.NewTimer(0)
	<-t.C
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.wake:
		}
		// Gather what arrives within a batch.
		t.Reset(h.cfg.Batch)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		h.fan(ctx)
	}
}

func (h *Hub) fan(ctx context.Context) {
	h.mu.Lock()
	batch := h.pending
	h.pending = map[pendingKey]api.Event{}
	needOwners := false
	for s := range h.subs {
		if !s.p.Admin {
			needOwners = true
		}
	}
	h.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	owners := map[int64]clientOwner{}
	if needOwners {
		var ids []int64
		for k, ev := range batch {
			if ev.Kind == api.KindJumpClient {
				ids = append(ids, k.id)
			}
		}
		for chunk := range slices.Chunk(ids, 500) {
			var rows []struct {
				ID            int64
				JumpGroupID   int64
				JumpGroupType string
			}
			if err := h.db.R.WithContext(ctx).Table("jump_clients").Select("id, jump_group_id, jump_group_type").Where("id IN ?", chunk).Scan(&rows).Error; err != nil {
				h.log.Warn("live events: load jump client owners; non-administrators miss these events", "err", err)
				break
			}
			for _, r := range rows {
				owners[r.ID] = clientOwner{ID: r.JumpGroupID, Type: r.JumpGroupType}
			}
		}
	}
	evs := make([]api.Event, 0, len(batch))
	for _, ev := range batch {
		evs = append(evs, ev)
	}
	// Sessions in order of id, then clients, so that a started comes out
	// before its ended when both are in one batch.
	slices.SortFunc(evs, func(a, b api.Event) int {
		if c := strings.Compare(a.Kind, b.Kind); c != 0 {
			return c
		}
		if a.ID != b.ID {
			return int(a.ID - b.ID)
		}
		return strings.Compare(b.Name, a.Name) // "started" before "ended"
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, ev := range evs {
		owner, ok := owners[ev.ID]
		for s := range h.subs {
			if h.sees(s, ev, owner, ok) {
				s.offer(ev)
			}
		}
		if ev.Name == api.EventSessionEnded {
			delete(h.owners, ev.ID)
		}
	}
}

// Routes returns GET /api/v1/events.
func (h *Hub) Routes() []route.Route {
	return []route.Route{{
		Method: http.MethodGet, Path: "/api/v1/events", Tag: "events", RawBody: "text/event-stream",
		Handler: route.Handle(h.serve), Errors: []int{http.StatusTooManyRequests},
		Query: map[string]string{"kinds": "Comma-separated object kinds to receive: jump_client, session; default all."},
		Summary: "A Server-Sent Events stream of status changes of the objects the caller may see: jump_client.status, session.started, " +
			"session.ended, stream.resync and stream.closed; a comment every 15 s; 429 beyond 8 streams per user",
	}}
}

var knownKinds = []string{api.KindJumpClient, "session"}

func (h *Hub) serve(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := auth.MustFromContext(ctx)
	if err != nil {
		return err
	}
	var kinds []string
	if k := c.Query("kinds"); k != "" {
		for _, kind := range strings.Split(k, ",") {
			if !slices.Contains(knownKinds, kind) {
				inv := &problem.Invalid{}
				inv.Add("kinds", "must be a comma-separated list of %s", strings.Join(knownKinds, ", "))
				return inv.Err()
			}
			kinds = append(kinds, kind)
		}
	}
	s := &sub{p: p, ch: make(chan api.Event, h.cfg.Buffer), kinds: kinds, closed: make(chan struct{})}
	if !p.Admin {
		groups, err := h.visibleGroups(ctx, p.UserID)
		if err != nil {
			return err
		}
		s.groups, s.groupsAt = groups, time.Now()
	}
	if err := h.add(s); err != nil {
		return err
	}
	defer h.remove(s)

	w := c.Writer
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := fmt.Fprint(w, "retry: 3000\n: connected\n\n"); err != nil {
		return nil
	}
	w.Flush()
	beat := time.NewTicker(h.cfg.Heartbeat)
	defer beat.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.closed:
			_ = writeEvent(w, api.Event{Name: api.EventStreamClosed, Reason: s.closeCause})
			return nil
		case <-beat.C:
			if _, err := fmt.Fprint(w, ": heartbeat\n\n"); err != nil {
				return nil
			}
			w.Flush()
		case ev := <-s.ch:
			if err := writeEvent(w, ev); err != nil {
				return nil
			}
			// Drain what is queued before the flush, and say once that
			// some did not fit.
			for more := true; more; {
				select {
				case ev := <-s.ch:
					if err := writeEvent(w, ev); err != nil {
						return nil
					}
				default:
					more = false
				}
			}
			h.mu.Lock()
			lost := s.overflow
			s.overflow = false
			h.mu.Unlock()
			if lost {
				if err := writeEvent(w, api.Event{Name: api.EventStreamResync}); err != nil {
					return nil
				}
			}
			w.Flush()
		}
	}
}

func writeEvent(w gin.ResponseWriter, ev api.Event) error {
	b, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ev.Name, b)
	w.Flush()
	return err
}

func (h *Hub) add(s *sub) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.perUser[s.p.UserID] >= h.cfg.MaxPerUser {
		return problem.TooManyRequests("user %q holds %d event streams already; close one first", s.p.Username, h.cfg.MaxPerUser)
	}
	h.perUser[s.p.UserID]++
	h.subs[s] = struct{}{}
	return nil
}

func (h *Hub) remove(s *sub) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[s]; !ok {
		return
	}
	delete(h.subs, s)
	if h.perUser[s.p.UserID]--; h.perUser[s.p.UserID] <= 0 {
		delete(h.perUser, s.p.UserID)
	}
	if len(h.subs) == 0 {
		clear(h.owners)
	}
}

// Streams returns the number of open streams.
func (h *Hub) Streams() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

func (h *Hub) visibleGroups(ctx context.Context, userID int64) (map[int64]bool, error) {
	var ids []int64
	if err := grouppolicy.VisibleJumpGroups(h.db.R.WithContext(ctx), userID).Scan(&ids).Error; err != nil {
		return nil, fmt.Errorf("live events: load jump groups of user %d: %w", userID, err)
	}
	out := make(map[int64]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

func (h *Hub) revalidateLoop(ctx context.Context) {
	defer h.done.Done()
	t := time.NewTicker(h.cfg.RevalidateEvery)
	defer t.Stop()
	for {
		forced := false
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-h.kick:
			forced = true
		}
		if err := h.Revalidate(ctx, forced); err != nil && ctx.Err() == nil {
			h.log.Warn("live events: revalidate streams", "err", err)
		}
	}
}

// Revalidate closes the streams whose credential went away and, when
// groups is set or they are old, reads the Jump Groups of the
// non-administrators again.
func (h *Hub) Revalidate(ctx context.Context, groups bool) error {
	h.mu.Lock()
	subs := make([]*sub, 0, len(h.subs))
	for s := range h.subs {
		subs = append(subs, s)
	}
	h.mu.Unlock()
	if len(subs) == 0 {
		return nil
	}
	userIDs, tokenIDs, browserIDs := map[int64]bool{}, map[int64]bool{}, map[int64]bool{}
	for _, s := range subs {
		userIDs[s.p.UserID] = true
		if s.p.TokenID != 0 {
			tokenIDs[s.p.TokenID] = true
		}
		if s.p.BrowserSessionID != 0 {
			browserIDs[s.p.BrowserSessionID] = true
		}
	}
	r := h.db.R.WithContext(ctx)
	type userRow struct {
		ID      int64
		Admin   bool
		Enabled bool
	}
	users := map[int64]userRow{}
	var urows []userRow
	if err := r.Table("users").Select("id, admin, enabled").Where("id IN ?", keys(userIDs)).Scan(&urows).Error; err != nil {
		return err
	}
	for _, u := range urows {
		users[u.ID] = u
	}
	tokens := map[int64]*time.Time{}
	if len(tokenIDs) > 0 {
		var rows []struct {
			ID        int64
			ExpiresAt *time.Time
		}
		if err := r.Table("api_tokens").Select("id, expires_at").Where("id IN ?", keys(tokenIDs)).Scan(&rows).Error; err != nil {
			return err
		}
		for _, t := range rows {
			tokens[t.ID] = t.ExpiresAt
		}
	}
	browser := map[int64]bool{}
	if len(browserIDs) > 0 {
		var ids []int64
		if err := r.Table("browser_sessions").Where("id IN ?", keys(browserIDs)).Pluck("id", &ids).Error; err != nil {
			return err
		}
		for _, id := range ids {
			browser[id] = true
		}
	}
	now := time.Now()
	refresh := map[int64]map[int64]bool{}
	for _, s := range subs {
		u, ok := users[s.p.UserID]
		exp, tokOK := tokens[s.p.TokenID]
		var cause string
		switch {
		case s.p.UserID == 0:
		case !ok:
			cause = "the user was deleted"
		case !u.Enabled:
			cause = "the user was disabled"
		case u.Admin != s.p.Admin:
			cause = "the user's role changed; open the stream again"
		case s.p.TokenID != 0 && !tokOK:
			cause = "the API token was revoked"
		case s.p.TokenID != 0 && exp != nil && !now.Before(*exp):
			cause = "the API token expired"
		case s.p.BrowserSessionID != 0 && !browser[s.p.BrowserSessionID]:
			cause = "the browser session ended"
		}
		if cause != "" {
			s.close(cause)
			continue
		}
		if !s.p.Admin && (groups || now.Sub(s.groupsAt) > groupsEvery) {
			g, ok := refresh[s.p.UserID]
			if !ok {
				var err error
				if g, err = h.visibleGroups(ctx, s.p.UserID); err != nil {
					return err
				}
				refresh[s.p.UserID] = g
			}
			h.mu.Lock()
			s.groups, s.groupsAt = g, now
			h.mu.Unlock()
		}
	}
	return nil
}

func keys(m map[int64]bool) []int64 {
	out := make([]int64, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
