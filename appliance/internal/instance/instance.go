// Package instance registers each running appliance process in the
// database, so that what a process holds in memory (agent connections, live
// sessions) is recorded as its own and is cleared only once that process is
// dead.
//
// Every start makes a new random instance ID and inserts a row into
// appliance_instances. The process renews the row every Interval, moving
// its expires_at Interval×LeaseIntervals ahead, and deletes it on a clean
// stop. Rows that carry presence (jump_client_states, jumpoint_nodes,
// sessions) name their owner in an instance_id column. An owner is live
// while its row exists; any process deletes rows whose expires_at has
// passed and then clears presence whose owner has no row (Unowned). With
// SQLite only one process can use the database (the data dir lock), so a
// start treats every other row as dead at once (Config.Exclusive).
//
// The flow of one process:
//
//	Register ──► insert own row; delete expired rows (every other row, if Exclusive)
//	   │
//	Start ─────► every Interval: renew own row (re-insert and call Lost if another
//	   │         process deleted it), delete expired rows, call Reap
//	Close ─────► stop the loop, delete own row
//
// Clocks: expires_at is written and compared with each process's own clock,
// so replicas' clocks must agree to well within the lease (NTP).
package instance

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/jumpgate/jumpgate/appliance/internal/db"
)

// Record is one running (or dead but not yet expired) appliance process.
type Record struct {
	// ID is random per start, 32 hex digits.
	ID        string    `gorm:"primaryKey;size:32"`
	PID       int       `gorm:"not null"`
	Hostname  string    `gorm:"size:253;not null"`
	StartedAt time.Time `gorm:"not null"`
	LastSeen  time.Time `gorm:"not null"`
	// ExpiresAt is when other processes may count this one dead.
	ExpiresAt time.Time `gorm:"not null;index"`
}

// TableName fixes the table name.
func (Record) TableName() string { return "appliance_instances" }

// DefaultInterval is how often a process renews its row.
const DefaultInterval = 5 * time.Second

// LeaseIntervals is how many renewals a process may miss before the others
// count it dead.
const LeaseIntervals = 4

// Column is the name of the owner column in the tables that carry presence.
const Column = "instance_id"

// Unowned is a WHERE condition (for gorm's Where) that holds for rows whose
// owner is not a registered process: dead, or from before owners were
// recorded (an empty instance_id).
const Unowned = Column + " NOT IN (SELECT id FROM appliance_instances)"

// Config configures a Registry; zero values are defaults.
type Config struct {
	DB  *db.DB
	Log *slog.Logger
	// Interval is how often the row is renewed and the dead are reaped;
	// default DefaultInterval. The lease is LeaseIntervals of it.
	Interval time.Duration
	// Exclusive says no other process can use the database (SQLite under
	// the data dir lock): Register counts every other row dead.
	Exclusive bool
	// Reap clears what dead processes left (presence, sessions); it runs
	// after Register's deletions (by the caller) and on every renewal.
	Reap func(ctx context.Context) error
	// Lost is called when this process's row had been deleted by another
	// process (it missed its renewals, e.g. during a database outage) and
	// was inserted again: what it owns may have been cleared meanwhile.
	Lost func()
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Registry is this process's registration.
type Registry struct {
	// ID is this process's instance ID.
	ID string

	cfg     Config
	log     *slog.Logger
	started time.Time

	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
}

// New returns a registry with a fresh instance ID; Register writes it.
func New(cfg Config) (*Registry, error) {
	if cfg.DB == nil {
		return nil, errors.New("instance: DB is required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	return &Registry{ID: hex.EncodeToString(b), cfg: cfg, log: cfg.Log, cancel: func() {}}, nil
}

// Lease is how long the row stays valid after a renewal.
func (r *Registry) Lease() time.Duration { return LeaseIntervals * r.cfg.Interval }

// Register inserts this process's row and deletes the rows of dead
// processes (with Exclusive, of every other process).
func (r *Registry) Register(ctx context.Context) error {
	now := r.cfg.Now().UTC()
	r.started = now
	if err := r.insert(ctx, now); err != nil {
		return err
	}
	if r.cfg.Exclusive {
		if err := r.cfg.DB.W.WithContext(ctx).Where("id <> ?", r.ID).Delete(&Record{}).Error; err != nil {
			return fmt.Errorf("forget previous appliance processes: %w", err)
		}
		return nil
	}
	_, err := r.Expire(ctx)
	return err
}

func (r *Registry) insert(ctx context.Context, now time.Time) error {
	host, _ := os.Hostname()
	rec := &Record{ID: r.ID, PID: os.Getpid(), Hostname: host, StartedAt: r.started, LastSeen: now, ExpiresAt: now.Add(r.Lease())}
	if err := r.cfg.DB.W.WithContext(ctx).Create(rec).Error; err != nil {
		return fmt.Errorf("register appliance instance: %w", err)
	}
	return nil
}

// Expire deletes the rows of processes whose lease has run out, except
// this process's own, and returns how many.
func (r *Registry) Expire(ctx context.Context) (int64, error) {
	res := r.cfg.DB.W.WithContext(ctx).Where("expires_at < ? AND id <> ?", r.cfg.Now().UTC(), r.ID).Delete(&Record{})
	if res.Error != nil {
		return 0, fmt.Errorf("expire dead appliance instances: %w", res.Error)
	}
	if res.RowsAffected > 0 {
		r.log.Info("appliance instances expired (missed heartbeats)", "count", res.RowsAffected)
	}
	return res.RowsAffected, nil
}

// Renew moves this process's lease ahead, inserting the row again if
// another process deleted it (then Lost is called).
func (r *Registry) Renew(ctx context.Context) error {
	now := r.cfg.Now().UTC()
	res := r.cfg.DB.W.WithContext(ctx).Model(&Record{}).Where("id = ?", r.ID).
		Updates(map[string]any{"last_seen": now, "expires_at": now.Add(r.Lease())})
	if res.Error != nil {
		return fmt.Errorf("renew appliance instance: %w", res.Error)
	}
	if res.RowsAffected > 0 {
		return nil
	}
	r.log.Warn("this appliance's instance row was removed by another process (renewals missed for longer than the lease); registering again",
		"instance", r.ID, "lease", r.Lease())
	if err := r.insert(ctx, now); err != nil {
		return err
	}
	if r.cfg.Lost != nil {
		r.cfg.Lost()
	}
	return nil
}

// Start renews the row and reaps the dead every Interval until Close.
func (r *Registry) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		t := time.NewTicker(r.cfg.Interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if err := r.tick(ctx); err != nil && ctx.Err() == nil {
				r.log.Error("appliance instance heartbeat failed", "instance", r.ID, "err", err)
			}
		}
	}()
}

func (r *Registry) tick(ctx context.Context) error {
	if err := r.Renew(ctx); err != nil {
		return err
	}
	if _, err := r.Expire(ctx); err != nil {
		return err
	}
	if r.cfg.Reap != nil {
		return r.cfg.Reap(ctx)
	}
	return nil
}

// Close stops the heartbeat and deletes this process's row; call it after
// the connections and sessions it owned are written as ended.
func (r *Registry) Close(ctx context.Context) error {
	var err error
	r.once.Do(func() {
		r.cancel()
		r.wg.Wait()
		if e := r.cfg.DB.W.WithContext(ctx).Where("id = ?", r.ID).Delete(&Record{}).Error; e != nil {
			err = fmt.Errorf("unregister appliance instance: %w", e)
		}
	})
	return err
}
