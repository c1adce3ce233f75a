package settings

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/internal/audit"
	"github.com/jumpgate/jumpgate/appliance/internal/auth"
	"github.com/jumpgate/jumpgate/appliance/internal/db"
	"github.com/jumpgate/jumpgate/appliance/internal/problem"
	"github.com/jumpgate/jumpgate/appliance/internal/resource"
	"github.com/jumpgate/jumpgate/appliance/internal/route"
)

// ConsoleRecord is the single row of console settings (id 1): browser
// sign-in's MFA requirement, session lifetimes and trusted origins.
type ConsoleRecord struct {
	ID                        int64     `gorm:"primaryKey;autoIncrement:false"`
	Version                   int64     `gorm:"not null"`
	UpdatedAt                 time.Time `gorm:"not null"`
	MFARequired               bool      `gorm:"not null"`
	SessionIdleTimeoutMinutes int       `gorm:"not null"`
	SessionLifetimeHours      int       `gorm:"not null"`
	// TrustedOrigins are kept sorted, as a JSON array.
	TrustedOrigins []string `gorm:"serializer:json;type:text"`
}

// TableName fixes the table name.
func (ConsoleRecord) TableName() string { return "console_settings" }

func consoleToAPI(r *ConsoleRecord) *api.ConsoleSettings {
	origins := slices.Clone(r.TrustedOrigins)
	if origins == nil {
		origins = []string{}
	}
	return &api.ConsoleSettings{
		Version: r.Version, UpdatedAt: r.UpdatedAt, MFARequired: api.Bool(r.MFARequired),
		SessionIdleTimeoutMinutes: r.SessionIdleTimeoutMinutes, SessionLifetimeHours: r.SessionLifetimeHours,
		TrustedOrigins: origins,
	}
}

func consoleFromAPI(a *api.ConsoleSettings, r *ConsoleRecord) {
	origins := slices.Clone(a.TrustedOrigins)
	slices.Sort(origins)
	if origins == nil {
		origins = []string{}
	}
	r.MFARequired = a.MFARequired != nil && *a.MFARequired
	r.SessionIdleTimeoutMinutes, r.SessionLifetimeHours, r.TrustedOrigins = a.SessionIdleTimeoutMinutes, a.SessionLifetimeHours, origins
}

// InitialConsole returns the console settings row a new appliance starts
// with: api.ConsoleSettings.ApplyDefaults of nothing.
func InitialConsole() *ConsoleRecord {
	var a api.ConsoleSettings
	a.ApplyDefaults()
	r := &ConsoleRecord{ID: 1, Version: 1, UpdatedAt: time.Now().UTC().Truncate(time.Microsecond)}
	consoleFromAPI(&a, r)
	return r
}

// Console reads the console settings without an access check and without
// a cache, for the appliance's own use (browser sign-in).
func Console(ctx context.Context, tx *gorm.DB) (api.ConsoleSettings, error) {
	var r ConsoleRecord
	if err := tx.WithContext(ctx).Take(&r, 1).Error; err != nil {
		return api.ConsoleSettings{}, fmt.Errorf("read console settings: %w", err)
	}
	return *consoleToAPI(&r), nil
}

// ConsoleCacheTTL bounds how long ConsoleService.Current answers from its
// cache. A write through this process refreshes it at once; a write through
// another appliance process sharing the database is seen within this time.
const ConsoleCacheTTL = 5 * time.Second

// ConsoleService reads and replaces the console settings
// (/api/v1/settings/console). Any authenticated user may read them, since
// they say how the user's own browser session behaves and hold no secret;
// only administrators may change them. Create it with NewConsole.
type ConsoleService struct {
	db *db.DB

	mu       sync.Mutex
	hooks    []func(api.ConsoleSettings)
	cached   *api.ConsoleSettings
	cachedAt time.Time
}

// NewConsole returns the console settings service over d.
func NewConsole(d *db.DB) *ConsoleService { return &ConsoleService{db: d} }

// OnChange adds f to the functions called, in the order added, with the
// new settings after every committed change through this process. f runs
// on the writing request's goroutine and must not block. Other appliance
// processes sharing the database do not call it: their Current sees the
// change within ConsoleCacheTTL.
func (s *ConsoleService) OnChange(f func(api.ConsoleSettings)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hooks = append(s.hooks, f)
}

// Current returns the console settings without an access check, from a
// cache of at most ConsoleCacheTTL, for code that needs them on every
// request (browser sessions, origin checks). The slice is the caller's own.
func (s *ConsoleService) Current(ctx context.Context) (api.ConsoleSettings, error) {
	s.mu.Lock()
	if s.cached != nil && time.Since(s.cachedAt) < ConsoleCacheTTL {
		out := *s.cached
		s.mu.Unlock()
		out.TrustedOrigins = slices.Clone(out.TrustedOrigins)
		return out, nil
	}
	s.mu.Unlock()
	cur, err := Console(ctx, s.db.R)
	if err != nil {
		return api.ConsoleSettings{}, err
	}
	s.remember(cur)
	cur.TrustedOrigins = slices.Clone(cur.TrustedOrigins)
	return cur, nil
}

func (s *ConsoleService) remember(a api.ConsoleSettings) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cached != nil && s.cached.Version > a.Version && time.Since(s.cachedAt) < ConsoleCacheTTL {
		return // a concurrent reader must not put an older version back
	}
	s.cached, s.cachedAt = &a, time.Now()
}

// Get returns the console settings; any authenticated user may read them.
func (s *ConsoleService) Get(ctx context.Context) (*api.ConsoleSettings, error) {
	if _, err := auth.MustFromContext(ctx); err != nil {
		return nil, err
	}
	cur, err := Console(ctx, s.db.R)
	if err != nil {
		return nil, err
	}
	return &cur, nil
}

// Update replaces the console settings; administrators only. Settings left
// out get their defaults (api.ConsoleSettings.ApplyDefaults). ifMatch is the
// expected version or resource.NoVersion.
func (s *ConsoleService) Update(ctx context.Context, in *api.ConsoleSettings, ifMatch int64) (*api.ConsoleSettings, error) {
	if err := auth.RequireAdmin(ctx); err != nil {
		return nil, err
	}
	in.Version, in.UpdatedAt = 0, time.Time{}
	in.ApplyDefaults()
	if err := resource.Validate(in); err != nil {
		return nil, err
	}
	var out *api.ConsoleSettings
	changed := false
	err := s.db.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var r ConsoleRecord
		if err := tx.Take(&r, 1).Error; err != nil {
			return fmt.Errorf("read console settings: %w", err)
		}
		if ifMatch != resource.NoVersion && ifMatch != r.Version {
			return fmt.Errorf("console settings are at version %d, not %d: %w", r.Version, ifMatch, problem.ErrPrecondition)
		}
		old := consoleToAPI(&r)
		consoleFromAPI(in, &r)
		diff := resource.Diff(old, consoleToAPI(&r))
		if len(diff) == 0 {
			out = old
			return nil
		}
		prev := r.Version
		r.Version++
		r.UpdatedAt = time.Now().UTC().Truncate(time.Microsecond)
		res := tx.Model(&r).Where("version = ?", prev).Select("*").Updates(&r)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("console settings changed concurrently: %w", problem.ErrPrecondition)
		}
		if err := audit.Write(ctx, tx, "update", "console_settings", 1, "console settings", diff); err != nil {
			return err
		}
		out = consoleToAPI(&r)
		changed = true
		return nil
	})
	if err != nil {
		return nil, err
	}
	if changed {
		s.remember(*out)
		s.mu.Lock()
		hooks := slices.Clone(s.hooks)
		s.mu.Unlock()
		for _, f := range hooks {
			cp := *out
			cp.TrustedOrigins = slices.Clone(out.TrustedOrigins)
			f(cp)
		}
	}
	return out, nil
}

// Routes returns GET, PUT and PATCH /api/v1/settings/console.
func (s *ConsoleService) Routes() []route.Route {
	g := singleton[api.ConsoleSettings]{s: s, version: func(o *api.ConsoleSettings) int64 { return o.Version }}
	return g.routes(api.PathConsoleSettings, "the console settings", " (browser sign-in: MFA, session lifetimes, trusted origins)")
}
