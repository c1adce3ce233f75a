// Package broker brokers sessions: it authorises a representative's request
// to reach a Jump Item against the Jump Group role, the Jump Policy and the
// Session Policy, runs the consent prompt, and then carries the session's
// streams between the representative's session channel and the agent,
// recording and auditing as it goes.
//
// The life of a session:
//
//	POST /api/v1/sessions ──► checks ──refused──► status refused (403, audited)
//	                            │
//	                  no prompt │ prompt (consent; headless → portal's automatic behaviour)
//	                            ▼            ▼
//	                         active ◄──accepted── prompting ──rejected / timed out (deny)──► refused
//	                            │
//	   end (representative, end user, max_session_minutes, strict schedule end,
//	        idle timeout, the CLI gone for an auto_end session, the endpoint gone)
//	                            ▼
//	                          ended
//
// Every step is written to the audit log before it takes effect. A session's
// permissions, policies and recording are fixed when it starts. Each stream
// is checked again when it opens (active, permitted, control not revoked,
// tunnel port allowed, fewer than 256 tunnel connections), and the agent
// checks it once more against what it was told about the session.
package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/api/sessionproto"
	"github.com/jumpgate/jumpgate/appliance/internal/audit"
	"github.com/jumpgate/jumpgate/appliance/internal/auth"
	"github.com/jumpgate/jumpgate/appliance/internal/db"
	"github.com/jumpgate/jumpgate/appliance/internal/instance"
)

// Hub is what the broker needs of the agents' connections.
type Hub interface {
	// IsConnected reports whether the agent (kind, id) is connected.
	IsConnected(kind string, id int64) bool
	// Send sends a control message to a connected agent.
	Send(kind string, id int64, m agentproto.Control) error
	// OpenStream opens a session stream on a connected agent and writes
	// its header (agentproto.StreamHeader{Type: session, Open: open}).
	OpenStream(ctx context.Context, kind string, id int64, open *sessionproto.Open) (net.Conn, error)
	// JumpointNodes lists the connected nodes of a Jumpoint.
	JumpointNodes(jumpointID int64) []int64
}

// Config are the broker's collaborators and knobs.
type Config struct {
	DB  *db.DB
	Log *slog.Logger
	// Events hears of sessions that start and end, with the users who may
	// see them besides administrators, for the live status stream; nil
	// tells no one. It must not block.
	Events interface {
		Session(name string, id int64, status string, users []int64)
	}
	Hub Hub
	// DataDir holds recordings, under DataDir/recordings.
	DataDir string
	// PublicURL and CAPin make the join command shown with access codes.
	PublicURL string
	CAPin     string
	// HTTPClient calls webhooks; nil uses a client with a 10 s timeout.
	HTTPClient *http.Client
	// Now is the clock; nil is time.Now.
	Now func() time.Time
	// Instance is this appliance process's instance ID, recorded as the
	// owner of the sessions it runs (see package instance).
	Instance string
	// Minute is the length of a policy minute (max_session_minutes,
	// idle_timeout_minutes, approval durations) and a sixtieth of it a
	// prompt second; tests shrink it. Default time.Minute.
	Minute time.Duration
}

// Broker runs sessions.
type Broker struct {
	cfg Config
	db  *db.DB
	log *slog.Logger
	hub Hub
	hc  *http.Client
	now func() time.Time

	recDir string

	// lim bounds what users hold through session channels.
	lim *limits

	mu   sync.Mutex
	live map[int64]*live
	// joinFails counts failed access-code joins per remote address.
	joinFails map[string][]time.Time
	// rv cuts live sessions whose access went away (revoke.go).
	rv revoker

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New returns a broker; Start runs its background work.
func New(cfg Config) *Broker {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Minute <= 0 {
		cfg.Minute = time.Minute
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: webhookTimeout}
	}
	b := &Broker{
		cfg: cfg, db: cfg.DB, log: cfg.Log, hub: cfg.Hub, hc: cfg.HTTPClient, now: cfg.Now,
		recDir: filepath.Join(cfg.DataDir, "recordings"), lim: newLimits(),
		live: map[int64]*live{}, joinFails: map[string][]time.Time{}, rv: newRevoker(),
	}
	b.ctx, b.cancel = context.WithCancel(context.Background())
	return b
}

// SetHub sets the hub after construction (the hub and the broker refer to
// each other).
func (b *Broker) SetHub(h Hub) { b.hub = h }

// Start ends the sessions that dead appliance processes left open (no
// connection survives its process; see EndOrphans) and starts the minute
// loop. Register this process's instance first: sessions of live processes
// are left alone.
func (b *Broker) Start(ctx context.Context) error {
	if err := b.EndOrphans(ctx); err != nil {
		return err
	}
	b.wg.Add(2)
	go b.loop()
	go b.revokeLoop()
	return nil
}

// EndOrphans ends the open (active or prompting) sessions whose appliance
// process is not registered any more (instance.Unowned): that process is
// dead, and its sessions' connections with it. Each is ended once, even
// when several processes reap at the same time.
func (b *Broker) EndOrphans(ctx context.Context) error {
	open := []string{api.SessionActive, api.SessionPrompting}
	var stale []Record
	if err := b.db.R.WithContext(ctx).Where("status IN ?", open).Where(instance.Unowned).Find(&stale).Error; err != nil {
		return fmt.Errorf("find sessions left open: %w", err)
	}
	sctx := auth.WithPrincipal(ctx, auth.System)
	for i := range stale {
		r := &stale[i]
		now := b.now().UTC()
		status := api.SessionEnded
		if r.Status == api.SessionPrompting {
			status = api.SessionRefused
		}
		const detail = "the appliance process that ran the session stopped while it was open"
		err := b.db.W.WithContext(sctx).Transaction(func(tx *gorm.DB) error {
			res := tx.Model(&Record{}).Where("id = ? AND status IN ?", r.ID, open).Where(instance.Unowned).
				Updates(map[string]any{"status": status, "ended_at": now, "ended_by": api.EndedBySystem, "end_reason": api.EndApplianceStop, "detail": detail})
			if res.Error != nil || res.RowsAffected == 0 {
				return res.Error // another process ended it first
			}
			if err := tx.Model(&Participant{}).Where("session_id = ? AND left_at IS NULL", r.ID).Update("left_at", now).Error; err != nil {
				return err
			}
			return audit.WriteEvent(sctx, tx, ActEnded, ObjectSession, r.ID, r.ItemName,
				map[string]any{"ended_by": api.EndedBySystem, "reason": api.EndApplianceStop, "detail": detail})
		})
		if err != nil {
			return fmt.Errorf("end session %d left open: %w", r.ID, err)
		}
		b.log.Info("ended a session left open by a stopped appliance process", "session", r.ID, "instance", r.InstanceID)
	}
	return nil
}

// Close ends every live session and waits for the background work.
func (b *Broker) Close() {
	b.mu.Lock()
	ids := make([]int64, 0, len(b.live))
	for id := range b.live {
		ids = append(ids, id)
	}
	b.mu.Unlock()
	ctx := auth.WithPrincipal(context.Background(), auth.System)
	for _, id := range ids {
		b.End(ctx, id, api.EndedBySystem, api.EndApplianceStop, "the appliance is shutting down")
	}
	b.cancel()
	b.wg.Wait()
}

// loop sends every live session its time left each minute and ends
// auto_end sessions whose representative never connected or went away.
func (b *Broker) loop() {
	defer b.wg.Done()
	t := time.NewTicker(min(b.cfg.Minute, time.Minute) / 2)
	defer t.Stop()
	for {
		select {
		case <-b.ctx.Done():
			return
		case <-t.C:
			b.tick()
		}
	}
}

func (b *Broker) tick() {
	now := b.now()
	b.mu.Lock()
	var orphans []int64
	var states []*live
	for id, l := range b.live {
		if l.rec.Status != api.SessionActive {
			continue
		}
		if l.rec.AutoEnd && len(l.channels) == 0 && now.Sub(l.lastChannel) > b.cfg.Minute {
			orphans = append(orphans, id)
			continue
		}
		if now.Sub(l.lastState) >= b.cfg.Minute {
			l.lastState = now
			states = append(states, l)
		}
	}
	b.mu.Unlock()
	ctx := auth.WithPrincipal(context.Background(), auth.System)
	for _, id := range orphans {
		b.End(ctx, id, api.EndedBySystem, api.EndDisconnected, "the representative's session channel closed and did not come back")
	}
	for _, l := range states {
		b.publish(l, sessionproto.EventState, "")
	}
}

// minutes converts policy minutes to a duration.
func (b *Broker) minutes(n int) time.Duration { return time.Duration(n) * b.cfg.Minute }

// seconds converts policy seconds (prompt timeouts) to a duration.
func (b *Broker) seconds(n int) time.Duration { return time.Duration(n) * b.cfg.Minute / 60 }

var errNoSession = errors.New("no such live session")
