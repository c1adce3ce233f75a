package migrations_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/appliance/internal/broker"
	"github.com/jumpgate/jumpgate/appliance/internal/db"
	"github.com/jumpgate/jumpgate/appliance/internal/instance"
	"github.com/jumpgate/jumpgate/appliance/internal/jumpclient"
	"github.com/jumpgate/jumpgate/appliance/internal/jumpgroup"
	"github.com/jumpgate/jumpgate/appliance/internal/jumpoint"
	"github.com/jumpgate/jumpgate/appliance/internal/migrations"
	"github.com/jumpgate/jumpgate/internal/pgtest"
)

// TestMain stops the PostgreSQL server that the Postgres tests start.
func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

func TestMigrate_LabelsOnExistingDatabase(t *testing.T) {
	tests := []struct {
		name string
		dsn  func(t *testing.T) string
	}{
		{name: "sqlite", dsn: func(t *testing.T) string { return "sqlite://" + filepath.Join(t.TempDir(), "jumpgate.db") }},
		{name: "postgres", dsn: func(t *testing.T) string { return pgtest.NewDatabase(t) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			d, err := db.Open(ctx, tt.dsn(t), slog.New(slog.NewTextHandler(io.Discard, nil)))
			require.NoError(t, err)
			t.Cleanup(func() { _ = d.Close() })

			// A database of the release before labels: the migrations up to
			// 0003, then without the labels column the first migration's
			// current record types created, holding a row.
			all := migrations.Migrations()
			var before []*gormigrate.Migration
			for _, m := range all {
				if m.ID == "0004_labels" {
					break
				}
				before = append(before, m)
			}
			require.Len(t, before, 3)
			opts := &gormigrate.Options{TableName: "migrations", IDColumnName: "id", IDColumnSize: 255, UseTransaction: true}
			require.NoError(t, gormigrate.New(d.W, opts, before).Migrate())
			require.NoError(t, d.W.Create(&jumpgroup.Record{Name: "Ops", CodeName: "ops"}).Error)
			for _, rec := range migrations.Labeled() {
				require.NoError(t, d.W.Migrator().DropColumn(rec, "labels"), "%T", rec)
				require.False(t, d.W.Migrator().HasColumn(rec, "labels"))
			}

			require.NoError(t, migrations.Migrate(ctx, d))
			for _, rec := range migrations.Labeled() {
				assert.True(t, d.W.Migrator().HasColumn(rec, "labels"), "%T", rec)
			}
			var raw string
			require.NoError(t, d.R.Table("jump_groups").Where("code_name = ?", "ops").Select("labels").Scan(&raw).Error)
			assert.Equal(t, "{}", raw)
			var got jumpgroup.Record
			require.NoError(t, d.R.Where("code_name = ?", "ops").Take(&got).Error)
			assert.NotNil(t, got.Labels)
			assert.Empty(t, got.Labels)

			// Running again changes nothing.
			require.NoError(t, migrations.Migrate(ctx, d))
		})
	}
}

// TestMigrate_InstancesOnExistingDatabase upgrades a database of the
// release before instance ownership, with an agent online and a session
// open: the owner columns arrive empty, which counts as a dead owner, so
// the first start of the new release clears them as the old one did.
func TestMigrate_InstancesOnExistingDatabase(t *testing.T) {
	for _, tt := range []struct {
		name string
		dsn  func(t *testing.T) string
	}{
		{name: "sqlite", dsn: func(t *testing.T) string { return "sqlite://" + filepath.Join(t.TempDir(), "jumpgate.db") }},
		{name: "postgres", dsn: func(t *testing.T) string { return pgtest.NewDatabase(t) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			d, err := db.Open(ctx, tt.dsn(t), slog.New(slog.NewTextHandler(io.Discard, nil)))
			require.NoError(t, err)
			t.Cleanup(func() { _ = d.Close() })
			var before []*gormigrate.Migration
			for _, m := range migrations.Migrations() {
				if m.ID == "0005_instances" {
					break
				}
				before = append(before, m)
			}
			require.Len(t, before, 4)
			opts := &gormigrate.Options{TableName: "migrations", IDColumnName: "id", IDColumnSize: 255, UseTransaction: true}
			require.NoError(t, gormigrate.New(d.W, opts, before).Migrate())
			// 0003 made sessions from the current record type: drop what
			// 0005 adds.
			require.NoError(t, d.W.Migrator().DropColumn(&broker.Record{}, instance.Column))
			require.NoError(t, d.W.Create(&jumpclient.State{ClientID: 7, Status: "online"}).Error)
			require.NoError(t, d.W.Create(&jumpoint.Node{JumpointID: 3, Connected: true}).Error)
			require.NoError(t, d.W.Exec("INSERT INTO sessions (item_type, item_id, item_name, user_id, username, mode, status, refused_reason, detail, ticket_id, reason, "+
				"recording, record_tunnel, control_revoked, customer_name, auto_end, jumpoint_id, target_host, requested_at, ended_by, end_reason, feedback) "+
				"VALUES ('jump_client', 7, 'c', 1, 'admin', 'unattended', 'active', '', '', '', '', false, false, false, '', false, 0, '', ?, '', '', '')", time.Now().UTC()).Error)

			require.NoError(t, migrations.Migrate(ctx, d))
			assert.True(t, d.W.Migrator().HasTable(&instance.Record{}))
			for _, table := range []string{"jump_client_states", "jumpoint_nodes", "sessions"} {
				var n int64
				require.NoError(t, d.R.Table(table).Where(instance.Unowned).Count(&n).Error, table)
				assert.EqualValues(t, 1, n, "%s: the existing row has no live owner", table)
			}
			require.NoError(t, migrations.Migrate(ctx, d), "running again changes nothing")
		})
	}
}
