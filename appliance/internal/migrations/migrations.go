// Package migrations holds the appliance's versioned database migrations. They
// run at startup, in order, each once, recorded in the "migrations" table.
//
// Rules for new migrations: append, never edit a released one; keep them
// idempotent (check HasTable/HasColumn) because the first migration creates
// tables from the current record types; test on SQLite and PostgreSQL (the
// store tests run every migration on both).
package migrations

import (
	"context"
	"fmt"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"

	"github.com/jumpgate/jumpgate/appliance/internal/agentid"
	"github.com/jumpgate/jumpgate/appliance/internal/apitoken"
	"github.com/jumpgate/jumpgate/appliance/internal/audit"
	"github.com/jumpgate/jumpgate/appliance/internal/broker"
	"github.com/jumpgate/jumpgate/appliance/internal/db"
	"github.com/jumpgate/jumpgate/appliance/internal/grouppolicy"
	"github.com/jumpgate/jumpgate/appliance/internal/installer"
	"github.com/jumpgate/jumpgate/appliance/internal/instance"
	"github.com/jumpgate/jumpgate/appliance/internal/jumpclient"
	"github.com/jumpgate/jumpgate/appliance/internal/jumpgroup"
	"github.com/jumpgate/jumpgate/appliance/internal/jumpoint"
	"github.com/jumpgate/jumpgate/appliance/internal/jumppolicy"
	"github.com/jumpgate/jumpgate/appliance/internal/login"
	"github.com/jumpgate/jumpgate/appliance/internal/portal"
	"github.com/jumpgate/jumpgate/appliance/internal/sessionpolicy"
	"github.com/jumpgate/jumpgate/appliance/internal/settings"
	"github.com/jumpgate/jumpgate/appliance/internal/tunneljump"
	"github.com/jumpgate/jumpgate/appliance/internal/user"
)

// Migrations lists every migration in order.
func Migrations() []*gormigrate.Migration {
	return []*gormigrate.Migration{
		{
			ID: "0001_control_plane",
			Migrate: func(tx *gorm.DB) error {
				if err := tx.AutoMigrate(
					&user.Record{}, &apitoken.Record{}, &audit.Record{},
					&grouppolicy.Record{}, &grouppolicy.Member{}, &grouppolicy.Membership{},
					&jumpgroup.Record{}, &jumppolicy.Record{}, &sessionpolicy.Record{},
					&jumpoint.Record{}, &jumpoint.Node{}, &installer.Record{},
					&tunneljump.Record{}, &portal.Record{}, &settings.Record{},
				); err != nil {
					return err
				}
				var n int64
				if err := tx.Model(&settings.Record{}).Count(&n).Error; err != nil {
					return err
				}
				if n == 0 {
					return tx.Create(settings.Initial()).Error
				}
				return nil
			},
		},
		{
			// Jump Clients, their reported state, retired agent keys, and the
			// columns enrolled jumpoint nodes and upgrade cycles need.
			ID: "0002_agents",
			Migrate: func(tx *gorm.DB) error {
				return tx.AutoMigrate(&jumpclient.Record{}, &jumpclient.State{}, &agentid.Tombstone{}, &jumpoint.Node{}, &settings.Record{})
			},
		},
		{
			// Sessions, their participants, approvals, access codes and
			// recordings; session event details in the audit log; the
			// organisation-wide unattended switch, the portals' automatic
			// behaviour and the clients' headless fact.
			ID: "0003_sessions",
			Migrate: func(tx *gorm.DB) error {
				return tx.AutoMigrate(&broker.Record{}, &broker.Participant{}, &broker.ApprovalRecord{}, &broker.CodeRecord{},
					&broker.RecordingRecord{}, &audit.Record{}, &settings.Record{}, &portal.Record{}, &jumpclient.State{})
			},
		},
		{
			// Labels on the configuration objects: a JSON text column that
			// existing rows fill with {} (the column default).
			ID: "0004_labels",
			Migrate: func(tx *gorm.DB) error {
				for _, rec := range Labeled() {
					if tx.Migrator().HasColumn(rec, "labels") {
						continue
					}
					if err := tx.Migrator().AddColumn(rec, "Labels"); err != nil {
						return fmt.Errorf("add labels to %T: %w", rec, err)
					}
				}
				return nil
			},
		},
		{
			// The registry of running appliance processes, and the owner of
			// each presence row (a client's and a node's connection, a
			// session), so that a starting process clears only what dead
			// processes left. Existing rows get no owner, which counts as
			// dead.
			ID: "0005_instances",
			Migrate: func(tx *gorm.DB) error {
				if err := tx.AutoMigrate(&instance.Record{}); err != nil {
					return err
				}
				for _, rec := range Owned() {
					if tx.Migrator().HasColumn(rec, instance.Column) {
						continue
					}
					if err := tx.Migrator().AddColumn(rec, "InstanceID"); err != nil {
						return fmt.Errorf("add %s to %T: %w", instance.Column, rec, err)
					}
				}
				return nil
			},
		},
		{
			// The console settings of browser sign-in, one row with the
			// defaults of a new appliance.
			ID: "0006_console_settings",
			Migrate: func(tx *gorm.DB) error {
				if err := tx.AutoMigrate(&settings.ConsoleRecord{}); err != nil {
					return err
				}
				var n int64
				if err := tx.Model(&settings.ConsoleRecord{}).Count(&n).Error; err != nil {
					return err
				}
				if n == 0 {
					return tx.Create(settings.InitialConsole()).Error
				}
				return nil
			},
		},
		{
			// Browser sign-in: browser sessions, TOTP secrets and recovery
			// codes, and the users' own mfa_required (false for existing
			// users).
			ID: "0007_browser_sign_in",
			Migrate: func(tx *gorm.DB) error {
				return tx.AutoMigrate(append(login.Records(), &user.Record{})...)
			},
		},
	}
}

// clientStateOwner and nodeOwner are the instance_id columns that
// migration 0005 adds to tables whose record types do not declare them
// (the agent hub writes them by name).
type clientStateOwner struct {
	InstanceID string `gorm:"size:32;not null;default:''"`
}

func (clientStateOwner) TableName() string { return "jump_client_states" }

type nodeOwner struct {
	InstanceID string `gorm:"size:32;not null;default:''"`
}

func (nodeOwner) TableName() string { return "jumpoint_nodes" }

// Owned returns a record of each table whose rows name the appliance
// process that owns them (instance.Column).
func Owned() []any { return []any{&clientStateOwner{}, &nodeOwner{}, &broker.Record{}} }

// Labeled returns a record of each collection whose objects carry labels.
func Labeled() []any {
	return []any{&jumpgroup.Record{}, &jumppolicy.Record{}, &sessionpolicy.Record{}, &jumpoint.Record{},
		&installer.Record{}, &tunneljump.Record{}, &portal.Record{}, &user.Record{}, &grouppolicy.Record{}}
}

// Migrate brings the database up to date.
func Migrate(ctx context.Context, d *db.DB) error {
	m := gormigrate.New(d.W.WithContext(ctx), &gormigrate.Options{
		TableName:                 "migrations",
		IDColumnName:              "id",
		IDColumnSize:              255,
		UseTransaction:            true,
		ValidateUnknownMigrations: true,
	}, Migrations())
	if err := m.Migrate(); err != nil {
		return fmt.Errorf("migrate database: %w", err)
	}
	return nil
}
