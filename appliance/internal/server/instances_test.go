package server_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
	"github.com/jumpgate/jumpgate/appliance/internal/broker"
	"github.com/jumpgate/jumpgate/appliance/internal/jumpclient"
	"github.com/jumpgate/jumpgate/internal/pgtest"
)

// TestInstances_StartClearsOnlyTheDead runs two appliance processes on one
// PostgreSQL database. Rows owned by the first (an online client, an open
// session) survive the second's start and stop; rows of a dead process
// (one without a registration) are cleared by the start, the session ended
// once, with its audit event.
func TestInstances_StartClearsOnlyTheDead(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	a := appliancetest.NewServer(t, appliancetest.WithDatabase(dsn))
	d := a.App.DB
	live, dead := a.App.Server.Instance.ID, "0123456789abcdef0123456789abcdef"

	now := time.Now().UTC()
	session := func(owner string) int64 {
		rec := &broker.Record{ItemType: api.ItemJumpClient, ItemID: 1, ItemName: "owned by " + owner[:6], UserID: 1, Username: "admin",
			Mode: api.ModeUnattended, Status: api.SessionActive, RequestedAt: now, StartedAt: &now, InstanceID: owner}
		require.NoError(t, d.W.Create(rec).Error)
		return rec.ID
	}
	client := func(id int64, owner string) {
		require.NoError(t, d.W.Create(&jumpclient.State{ClientID: id, Status: api.ClientOnline}).Error)
		require.NoError(t, d.W.Table("jump_client_states").Where("client_id = ?", id).Update("instance_id", owner).Error)
	}
	liveSession, deadSession := session(live), session(dead)
	client(101, live)
	client(102, dead)
	status := func(table, key string, id int64) string {
		var s string
		require.NoError(t, d.R.Table(table).Where(key+" = ?", id).Select("status").Scan(&s).Error)
		return s
	}

	// On PostgreSQL processes may share a data dir (one set of key
	// material); this one also reads the admin token from there.
	b := appliancetest.NewServer(t, appliancetest.WithDatabase(dsn), appliancetest.WithDataDir(a.DataDir))
	require.NotEqual(t, live, b.App.Server.Instance.ID)
	assert.Equal(t, api.ClientOnline, status("jump_client_states", "client_id", 101), "the live process's client")
	assert.Equal(t, api.ClientOffline, status("jump_client_states", "client_id", 102), "the dead process's client")
	assert.Equal(t, api.SessionActive, status("sessions", "id", liveSession), "the live process's session")
	assert.Equal(t, api.SessionEnded, status("sessions", "id", deadSession), "the dead process's session")
	var ended broker.Record
	require.NoError(t, d.R.Take(&ended, deadSession).Error)
	assert.Equal(t, api.EndApplianceStop, ended.EndReason)
	assert.Equal(t, api.EndedBySystem, ended.EndedBy)

	b.Stop()
	assert.Equal(t, api.ClientOnline, status("jump_client_states", "client_id", 101), "a clean stop of another process")
	assert.Equal(t, api.SessionActive, status("sessions", "id", liveSession), "a clean stop of another process")

	// The dead session's end is audited once: every process reaps, and the
	// first to end it wins.
	events, err := a.Admin.ListAuditEvents(ctx, &api.ListOptions{Filters: map[string]string{"object_type": "session", "object_id": strconv.FormatInt(deadSession, 10)}})
	require.NoError(t, err)
	n := 0
	for _, e := range events.Items {
		if e.Action == broker.ActEnded {
			n++
		}
	}
	assert.Equal(t, 1, n, "%+v", events.Items)
}
