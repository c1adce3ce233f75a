// Package settings manages the appliance's settings singletons: the
// site-wide Jump Client settings at /api/v1/settings/jump-clients and the
// console settings (browser sign-in) at /api/v1/settings/console.
package settings

import (
	"context"
	"fmt"
	"slices"
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

// Record is the single settings row (id 1).
type Record struct {
	ID                           int64     `gorm:"primaryKey;autoIncrement:false"`
	Version                      int64     `gorm:"not null"`
	UpdatedAt                    time.Time `gorm:"not null"`
	Statistics                   []string  `gorm:"serializer:json;type:text"`
	StatisticsIntervalSeconds    int       `gorm:"not null"`
	UpgradeMode                  string    `gorm:"size:16;not null"`
	LostAfterDays                int       `gorm:"not null"`
	DeletedAfterDays             int       `gorm:"not null"`
	UninstalledBehavior          string    `gorm:"size:8;not null"`
	RestrictLocalUninstall       bool      `gorm:"not null"`
	DefaultConnectionType        string    `gorm:"size:8;not null"`
	StandbyCheckInMinutes        int       `gorm:"not null"`
	WakeOnLANAllowed             bool      `gorm:"not null"`
	PresenceUsesScreenState      bool      `gorm:"not null"`
	AdhocSessionsFromJumpClients bool      `gorm:"not null"`
	SimultaneousJumps            string    `gorm:"size:16;not null"`
	// UnattendedSessionsAllowed is on by default; existing rows get the
	// default when the column is added.
	UnattendedSessionsAllowed bool `gorm:"not null;default:true"`
	// UpgradeVersion is the appliance version that was running when
	// upgrade_mode was set to this_version: upgrades stop once the appliance
	// runs another version (the next upgrade cycle).
	UpgradeVersion string `gorm:"size:64;not null;default:''"`
}

// Current reads the settings row without an access check, for the
// appliance's own use (agent connections, maintenance).
func Current(ctx context.Context, tx *gorm.DB) (*Record, error) {
	var r Record
	if err := tx.WithContext(ctx).Take(&r, 1).Error; err != nil {
		return nil, fmt.Errorf("read jump client settings: %w", err)
	}
	return &r, nil
}

// UpgradesAllowed reports whether agents may upgrade to a build of
// buildVersion while the appliance runs applianceVersion.
func (r *Record) UpgradesAllowed(buildVersion, applianceVersion string) bool {
	switch r.UpgradeMode {
	case api.UpgradeAlways:
		return true
	case api.UpgradeThisVersion:
		return r.UpgradeVersion == applianceVersion
	default:
		return false
	}
}

// TableName fixes the table name.
func (Record) TableName() string { return "jump_client_settings" }

func toAPI(r *Record) *api.JumpClientSettings {
	st := r.Statistics
	if st == nil {
		st = []string{}
	}
	return &api.JumpClientSettings{
		Version: r.Version, UpdatedAt: r.UpdatedAt, Statistics: st, StatisticsIntervalSeconds: r.StatisticsIntervalSeconds,
		UpgradeMode: r.UpgradeMode, LostAfterDays: r.LostAfterDays, DeletedAfterDays: r.DeletedAfterDays,
		UninstalledBehavior: r.UninstalledBehavior, RestrictLocalUninstall: r.RestrictLocalUninstall,
		DefaultConnectionType: r.DefaultConnectionType, StandbyCheckInMinutes: r.StandbyCheckInMinutes,
		WakeOnLANAllowed: r.WakeOnLANAllowed, PresenceUsesScreenState: r.PresenceUsesScreenState,
		AdhocSessionsFromJumpClients: r.AdhocSessionsFromJumpClients, SimultaneousJumps: r.SimultaneousJumps,
		UnattendedSessionsAllowed: api.Bool(r.UnattendedSessionsAllowed),
	}
}

func fromAPI(a *api.JumpClientSettings, r *Record) {
	st := slices.Clone(a.Statistics)
	slices.Sort(st)
	r.Statistics, r.StatisticsIntervalSeconds, r.UpgradeMode = st, a.StatisticsIntervalSeconds, a.UpgradeMode
	r.LostAfterDays, r.DeletedAfterDays, r.UninstalledBehavior = a.LostAfterDays, a.DeletedAfterDays, a.UninstalledBehavior
	r.RestrictLocalUninstall, r.DefaultConnectionType, r.StandbyCheckInMinutes = a.RestrictLocalUninstall, a.DefaultConnectionType, a.StandbyCheckInMinutes
	r.WakeOnLANAllowed, r.PresenceUsesScreenState = a.WakeOnLANAllowed, a.PresenceUsesScreenState
	r.AdhocSessionsFromJumpClients, r.SimultaneousJumps = a.AdhocSessionsFromJumpClients, a.SimultaneousJumps
	r.UnattendedSessionsAllowed = a.UnattendedSessionsAllowed == nil || *a.UnattendedSessionsAllowed
}

// Defaults fills the documented defaults of unset settings
// (api.JumpClientSettings.ApplyDefaults). Statistics left out are none.
func Defaults(a *api.JumpClientSettings) {
	if a.Statistics == nil {
		a.Statistics = []string{}
	}
	a.ApplyDefaults()
}

// Initial returns the settings row a new appliance starts with.
func Initial() *Record {
	a := api.DefaultJumpClientSettings()
	r := &Record{ID: 1, Version: 1, UpdatedAt: time.Now().UTC().Truncate(time.Microsecond)}
	fromAPI(a, r)
	return r
}

// Service reads and replaces the settings.
type Service struct {
	DB *db.DB
	// Changed, when set, is called after a committed change.
	Changed func()
}

// Get returns the settings; any authenticated user may read them.
func (s *Service) Get(ctx context.Context) (*api.JumpClientSettings, error) {
	if _, err := auth.MustFromContext(ctx); err != nil {
		return nil, err
	}
	var r Record
	if err := s.DB.R.WithContext(ctx).Take(&r, 1).Error; err != nil {
		return nil, fmt.Errorf("read jump client settings: %w", err)
	}
	return toAPI(&r), nil
}

// Update replaces the settings; administrators only. ifMatch is the expected
// version or resource.NoVersion.
func (s *Service) Update(ctx context.Context, in *api.JumpClientSettings, ifMatch int64) (*api.JumpClientSettings, error) {
	if err := auth.RequireAdmin(ctx); err != nil {
		return nil, err
	}
	in.Version, in.UpdatedAt = 0, time.Time{}
	Defaults(in)
	if err := resource.Validate(in); err != nil {
		return nil, err
	}
	if !api.LostBeforeDeleted(in.LostAfterDays, in.DeletedAfterDays) {
		return nil, problem.Field("lost_after_days", "must be less than deleted_after_days (%d), so clients are marked lost before they are deleted", in.DeletedAfterDays)
	}
	var out *api.JumpClientSettings
	changed := false
	err := s.DB.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var r Record
		if err := tx.Take(&r, 1).Error; err != nil {
			return fmt.Errorf("read jump client settings: %w", err)
		}
		if ifMatch != resource.NoVersion && ifMatch != r.Version {
			return fmt.Errorf("jump client settings are at version %d, not %d: %w", r.Version, ifMatch, problem.ErrPrecondition)
		}
		old := toAPI(&r)
		fromAPI(in, &r)
		next := toAPI(&r)
		diff := resource.Diff(old, next)
		if len(diff) == 0 {
			out = old
			return nil
		}
		if r.UpgradeMode == api.UpgradeThisVersion && old.UpgradeMode != api.UpgradeThisVersion {
			r.UpgradeVersion = api.Version
		}
		prev := r.Version
		r.Version++
		r.UpdatedAt = time.Now().UTC().Truncate(time.Microsecond)
		res := tx.Model(&r).Where("version = ?", prev).Select("*").Updates(&r)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("jump client settings changed concurrently: %w", problem.ErrPrecondition)
		}
		if err := audit.Write(ctx, tx, "update", "jump_client_settings", 1, "jump client settings", diff); err != nil {
			return err
		}
		out = toAPI(&r)
		changed = true
		return nil
	})
	if changed && s.Changed != nil {
		s.Changed()
	}
	return out, err
}

// Routes returns GET, PUT and PATCH /api/v1/settings/jump-clients.
func (s *Service) Routes() []route.Route {
	g := singleton[api.JumpClientSettings]{s: s, version: func(o *api.JumpClientSettings) int64 { return o.Version }}
	return g.routes("/api/v1/"+api.PathJumpClientSettings, "the site-wide Jump Client settings", "")
}
