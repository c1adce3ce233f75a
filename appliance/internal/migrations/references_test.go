package migrations_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/appliance/internal/db"
	"github.com/jumpgate/jumpgate/appliance/internal/migrations"
	"github.com/jumpgate/jumpgate/appliance/internal/resource"
)

// unguarded are the id columns that are deliberately no resource.Reference,
// as table.column, with the reason.
var unguarded = map[string]string{
	"jump_client_installers.installer_id": "the installer's own random id, not a row id",
	"jump_clients.installer_id":           "names the installer by its installer_id; a client outlives the installer it enrolled with",
	"jump_clients.host_id":                "the agent's machine id, not a row id",
	"jumpoint_nodes.host_id":              "the agent's machine id, not a row id",
	"jumpoint_nodes.instance_id":          "the appliance process that holds the connection (instance.Column); a dead owner counts as none",
	"jump_client_states.instance_id":      "the appliance process that holds the connection (instance.Column); a dead owner counts as none",
	"sessions.instance_id":                "the appliance process that runs the session (instance.Column); a dead owner counts as none",
	"appliance_instances.p_id":            "an operating system process id",
	"jump_policies.approval_user_ids":     "a JSON list, not a column of ids; deleting a user checks it (user.approverOf)",

	"audit_events.actor_id":      "history: the audit trail keeps the actor's name and outlives the actor",
	"audit_events.object_id":     "history: names an object of any kind (object_type), deleted ones included",
	"agent_tombstones.object_id": "history: the retired key of a deleted jump client or jumpoint node",

	"sessions.item_id":                 "history: names a Jump Item of any kind (item_type) and keeps its name",
	"sessions.user_id":                 "history: keeps the username",
	"sessions.jump_policy_id":          "history: the policy that allowed the session",
	"sessions.session_policy_id":       "history: the session keeps its own copy of the permissions",
	"sessions.access_code_id":          "history: the code the session was joined with",
	"sessions.jumpoint_id":             "history: the jumpoint the session went through",
	"sessions.ticket_id":               "a ticket number of an outside system, not a row id",
	"session_participants.session_id":  "history: rows of a session, which is never deleted",
	"session_participants.user_id":     "history: keeps the username",
	"session_approvals.item_id":        "history: names a Jump Item of any kind (item_type) and keeps its name",
	"session_approvals.jump_policy_id": "history: the policy that asked for the approval",
	"session_approvals.user_id":        "history: keeps the username",
	"access_codes.user_id":             "history: keeps the username of the code's creator",
	"access_codes.session_id":          "history: the session the code was used for",
	"session_recordings.session_id":    "history: rows of a session, which is never deleted",
}

// TestMigrate_EveryReferenceColumnIsDeclared walks the columns of a migrated
// database: every column named *_id or *_ids is a registered
// resource.Reference, so deletes of what it names are guarded, or is listed
// in unguarded with a reason. A new reference column that nobody declares
// fails here.
func TestMigrate_EveryReferenceColumnIsDeclared(t *testing.T) {
	ctx := context.Background()
	d, err := db.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "jumpgate.db"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close() })
	require.NoError(t, migrations.Migrate(ctx, d))

	tables, err := d.W.Migrator().GetTables()
	require.NoError(t, err)
	columns := map[string]bool{}
	for _, table := range tables {
		cols, err := d.W.Migrator().ColumnTypes(table)
		require.NoError(t, err, table)
		for _, c := range cols {
			columns[table+"."+c.Name()] = true
		}
	}
	require.True(t, columns["session_policies.id"], "the collections' tables are there")

	declared := map[string]bool{}
	for _, r := range resource.References() {
		col := r.Table + "." + r.Column
		declared[col] = true
		assert.True(t, columns[col], "reference %s → %s names no column", col, r.Target)
		assert.True(t, columns[r.Target+".id"], "reference %s names no table %s", col, r.Target)
		if !r.Cascade {
			assert.NotEmpty(t, r.Title, "reference %s guards deletes and needs a title", col)
		}
	}
	for col := range columns {
		_, name, _ := strings.Cut(col, ".")
		if name == "id" || !(strings.HasSuffix(name, "_id") || strings.HasSuffix(name, "_ids")) {
			continue
		}
		if declared[col] {
			assert.NotContains(t, unguarded, col, "%s is declared; drop it from unguarded", col)
			continue
		}
		if _, ok := unguarded[col]; !ok {
			t.Errorf("column %s is neither a registered resource.Reference (deletes of what it names would not be refused) nor listed in unguarded with a reason", col)
		}
	}
	for col := range unguarded {
		assert.True(t, columns[col], "unguarded lists %s, which no table has", col)
	}
}
