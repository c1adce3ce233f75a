package server_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
	"github.com/jumpgate/jumpgate/appliance/internal/jumpclient"
	"github.com/jumpgate/jumpgate/appliance/internal/resource"
)

// BenchmarkJumpItems_20000Clients measures the console's Jump Items page on
// SQLite with 20,000 Jump Clients over HTTPS: the first page, a search as
// typed, a sorted page, and the jump-clients collection, each as a ratio to
// GET /api/v1/whoami (the cost of a request that does no query) measured
// in the same run. A non-admin member of one group of ten is measured too.
func BenchmarkJumpItems_20000Clients(b *testing.B) {
	const n = 20000
	s := appliancetest.NewServer(b)
	ctx := context.Background()
	var groups []*api.JumpGroup
	for i := 0; i < 10; i++ {
		g, err := s.Admin.CreateJumpGroup(ctx, newJumpGroup())
		require.NoError(b, err)
		groups = append(groups, g)
	}
	u, uc := s.NewUser(b, false)
	_, err := s.Admin.CreateGroupPolicy(ctx, &api.GroupPolicy{Name: uniq("viewers"), Members: []int64{u.ID},
		JumpGroups: []api.GroupPolicyJumpGroup{{JumpGroupID: groups[3].ID, Role: api.RoleView}}})
	require.NoError(b, err)
	now := time.Now().UTC()
	recs := make([]jumpclient.Record, 0, n)
	for i := 0; i < n; i++ {
		recs = append(recs, jumpclient.Record{Base: resource.Base{Version: 1, CreatedAt: now, UpdatedAt: now},
			Name: fmt.Sprintf("client %05d", (i*7919)%n), JumpGroupID: groups[i%10].ID, JumpGroupType: api.JumpGroupShared,
			Tag: fmt.Sprintf("tag-%d", i%50), ConnectionType: api.ConnectionActive, InstallerID: "bench",
			HostID: fmt.Sprintf("host-%05d", i), InstallMode: "system", RunUser: "root", Platform: "linux-amd64", PublicKey: []byte{1}})
	}
	w := s.App.DB.W.WithContext(ctx)
	require.NoError(b, w.CreateInBatches(recs, 500).Error)
	states := make([]jumpclient.State, 0, n)
	for i := range recs {
		status := api.ClientOffline
		if i%3 == 0 {
			status = api.ClientOnline
		}
		states = append(states, jumpclient.State{ClientID: recs[i].ID, Status: status, Hostname: fmt.Sprintf("host-%05d.example.com", i), LastSeenAt: &now})
	}
	require.NoError(b, w.CreateInBatches(states, 500).Error)

	run := func(name string, fn func() error) {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if err := fn(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	run("baseline whoami", func() error { _, err := s.Admin.WhoAmI(ctx); return err })
	run("jump-items first page", func() error {
		l, err := s.Admin.ListJumpItems(ctx, &api.ListOptions{})
		if err == nil && (len(l.Items) != 100 || *l.Total != n) {
			err = fmt.Errorf("got %d items of %d", len(l.Items), *l.Total)
		}
		return err
	})
	run("jump-items first page non-admin", func() error {
		l, err := uc.ListJumpItems(ctx, &api.ListOptions{})
		if err == nil && *l.Total != n/10 {
			err = fmt.Errorf("got a total of %d", *l.Total)
		}
		return err
	})
	run("jump-items q=host-123", func() error { _, err := s.Admin.ListJumpItems(ctx, &api.ListOptions{Search: "host-123"}); return err })
	run("jump-items q=1 status=online sort=-hostname", func() error {
		_, err := s.Admin.ListJumpItems(ctx, &api.ListOptions{Search: "1", Sort: "-hostname", Filters: map[string]string{"status": api.ClientOnline}})
		return err
	})
	run("jump-items second page", func() error {
		l, err := s.Admin.ListJumpItems(ctx, &api.ListOptions{})
		if err == nil {
			_, err = s.Admin.ListJumpItems(ctx, &api.ListOptions{Cursor: l.NextCursor})
		}
		return err
	})
	run("jump-clients first page sort=name", func() error {
		_, err := s.Admin.ListJumpClients(ctx, &api.ListOptions{Sort: "name"})
		return err
	})
	run("jump-clients q=host-123", func() error {
		_, err := s.Admin.ListJumpClients(ctx, &api.ListOptions{Search: "host-123"})
		return err
	})
}
