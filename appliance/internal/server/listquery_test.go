package server_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
)

// TestListQuery drives ?q=, ?sort= and total on a collection, on each
// database: substring search with the LIKE wildcards taken literally,
// every sort key in both directions with the cursor keeping the order
// across pages, and refusals.
func TestListQuery(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, s *appliancetest.Server) {
		ctx := context.Background()
		prefix := uniq("lq")
		// Names repeat, so that ties are broken by id across pages.
		names := []string{"Alpha", "beta", "Gamma", "alpha", "50% off", "under_score", "Beta", "delta", "Alpha"}
		var want []api.JumpGroup
		for i, n := range names {
			g, err := s.Admin.CreateJumpGroup(ctx, &api.JumpGroup{Name: prefix + " " + n, CodeName: fmt.Sprintf("%s-%d", prefix, i)})
			require.NoError(t, err)
			want = append(want, *g)
		}
		list := func(t *testing.T, o api.ListOptions) []api.JumpGroup {
			t.Helper()
			var got []api.JumpGroup
			var total int64 = -1
			for {
				l, err := s.Admin.ListJumpGroups(ctx, &o)
				require.NoError(t, err)
				require.NotNil(t, l.Total)
				if total >= 0 {
					assert.Equal(t, total, *l.Total, "total is the same on every page")
				}
				total = *l.Total
				got = append(got, l.Items...)
				if l.NextCursor == "" {
					break
				}
				o.Cursor = l.NextCursor
			}
			assert.Equal(t, int64(len(got)), total)
			return got
		}
		ids := func(gs []api.JumpGroup) []int64 {
			out := make([]int64, len(gs))
			for i, g := range gs {
				out[i] = g.ID
			}
			return out
		}

		t.Run("search", func(t *testing.T) {
			for _, tt := range []struct{ q, want string }{
				{"ALPHA", "Alpha alpha Alpha"},
				{"eta", "beta Beta"},
				{"%", "50% off"},
				{"_", "under_score"},
				{"0% o", "50% off"},
				{"r_s", "under_score"},
				{prefix + "-4", "50% off"}, // code names too
				{"nothing-like-it", ""},
			} {
				t.Run(tt.q, func(t *testing.T) {
					got := list(t, api.ListOptions{Search: tt.q, Limit: 2, Filters: nil})
					var gotNames []string
					for _, g := range got {
						if strings.HasPrefix(g.Name, prefix+" ") {
							gotNames = append(gotNames, strings.TrimPrefix(g.Name, prefix+" "))
						}
					}
					assert.Equal(t, tt.want, strings.Join(gotNames, " "))
				})
			}
		})

		t.Run("sort", func(t *testing.T) {
			for _, key := range []string{"name", "-name", "code_name", "-code_name", "created_at", "-created_at", "id", "-id", "updated_at"} {
				t.Run(key, func(t *testing.T) {
					exp := slices.Clone(want)
					field, desc := strings.CutPrefix(key, "-")
					slices.SortStableFunc(exp, func(a, b api.JumpGroup) int {
						var c int
						switch field {
						case "name":
							c = strings.Compare(a.Name, b.Name)
						case "code_name":
							c = strings.Compare(a.CodeName, b.CodeName)
						case "created_at":
							c = a.CreatedAt.Compare(b.CreatedAt)
						case "updated_at":
							c = a.UpdatedAt.Compare(b.UpdatedAt)
						}
						if c == 0 {
							c = int(a.ID - b.ID)
						}
						if desc {
							c = -c
						}
						return c
					})
					for _, limit := range []int{1, 2, 4, 100} {
						got := list(t, api.ListOptions{Search: prefix, Sort: key, Limit: limit})
						assert.Equal(t, ids(exp), ids(got), "limit %d", limit)
					}
				})
			}
		})

		t.Run("refusals", func(t *testing.T) {
			_, err := s.Admin.ListJumpGroups(ctx, &api.ListOptions{Sort: "comments"})
			assertProblem(t, err, api.ErrValidation, "sort")
			_, err = s.Admin.ListJumpGroups(ctx, &api.ListOptions{Sort: "--name"})
			assertProblem(t, err, api.ErrValidation, "sort")
			_, err = s.Admin.ListJumpGroups(ctx, &api.ListOptions{Search: strings.Repeat("x", 129)})
			assertProblem(t, err, api.ErrValidation, "q")
			l, err := s.Admin.ListJumpGroups(ctx, &api.ListOptions{Search: prefix, Sort: "name", Limit: 1})
			require.NoError(t, err)
			_, err = s.Admin.ListJumpGroups(ctx, &api.ListOptions{Search: prefix, Sort: "-name", Cursor: l.NextCursor})
			assertProblem(t, err, api.ErrValidation, "cursor")
			_, err = s.Admin.ListAuditEvents(ctx, &api.ListOptions{Sort: "name"})
			require.Error(t, err)
		})

		t.Run("audit events and sessions search and count", func(t *testing.T) {
			l, err := s.Admin.ListAuditEvents(ctx, &api.ListOptions{Search: prefix, Limit: 2,
				Filters: map[string]string{"object_type": "jump_group", "action": "create"}})
			require.NoError(t, err)
			require.NotNil(t, l.Total)
			assert.Equal(t, int64(len(names)), *l.Total)
			assert.Len(t, l.Items, 2)
			sl, err := s.Admin.ListSessions(ctx, &api.ListOptions{Search: "no-such-item"})
			require.NoError(t, err)
			require.NotNil(t, sl.Total)
			assert.Equal(t, int64(0), *sl.Total)
		})

		t.Run("every listed collection searches and sorts", func(t *testing.T) {
			for _, path := range []string{api.PathJumpGroups, api.PathJumpPolicies, api.PathSessionPolicies, api.PathJumpoints,
				api.PathJumpClientInstallers, api.PathJumpClients, api.PathProtocolTunnelJumps, api.PathPublicPortals,
				api.PathUsers, api.PathGroupPolicies, api.PathAPITokens} {
				var out api.List[map[string]any]
				_, err := s.Admin.Do(ctx, "GET", path, (&api.ListOptions{Search: "a%_\\", Sort: "-created_at"}).Query(), nil, &out)
				require.NoError(t, err, path)
				require.NotNil(t, out.Total, path)
			}
		})
	})
}
