package install

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/jumpgate/jumpgate/agent/internal/state"
	"github.com/jumpgate/jumpgate/api/agentproto"
)

func TestEnrollmentStatus(t *testing.T) {
	now := time.Date(2026, 12, 8, 2, 0, 0, 0, time.UTC)
	exp := now.Add(24 * time.Hour)
	base := func(f *state.EnrollFailure) *state.State {
		return &state.State{Kind: agentproto.KindJumpClient, URL: "https://jg.example:8443", KeyExpires: exp, EnrollFailure: f}
	}
	tests := []struct {
		name     string
		st       *state.State
		enrolled bool
		want     []string
	}{
		{
			name:     "enrolled",
			st:       &state.State{Kind: agentproto.KindJumpClient, URL: "https://jg.example:8443", ID: 7, Name: "web-01"},
			enrolled: true,
			want:     []string{`enrolled: jump client 7 ("web-01") of https://jg.example:8443`},
		},
		{
			name:     "enrolled node",
			st:       &state.State{Kind: agentproto.KindJumpoint, URL: "https://jg.example:8443", ID: 3, Name: "n"},
			enrolled: true,
			want:     []string{"enrolled: jumpoint node 3"},
		},
		{
			name: "never tried",
			st:   base(nil),
			want: []string{"not enrolled yet: the agent enrolls with https://jg.example:8443 when it runs", "by 2026-12-09T02:00:00Z"},
		},
		{
			name: "unreachable at install",
			st:   base(&state.EnrollFailure{At: now.Add(-time.Minute), Reason: "cannot reach the appliance at https://jg.example:8443: connection refused"}),
			want: []string{"not enrolled: the last attempt, at 2026-12-08T01:59:00Z, failed: cannot reach the appliance", "it tries again when it starts"},
		},
		{
			name: "refused, next attempt ahead",
			st: base(&state.EnrollFailure{At: now.Add(-time.Minute), Refused: true, Status: 409, NextAttempt: now.Add(4 * time.Minute),
				Reason: "this host already has jump client 1 in another jump group than installer x's"}),
			want: []string{"not enrolled: the appliance refused the enrollment at 2026-12-08T01:59:00Z (409 Conflict): this host already has jump client 1",
				"next attempt at 2026-12-08T02:04:00Z (restart the agent to try now)"},
		},
		{
			name: "attempt due",
			st:   base(&state.EnrollFailure{At: now.Add(-time.Hour), Reason: "cannot reach the appliance", NextAttempt: now.Add(-time.Minute)}),
			want: []string{"it tries again now if it runs"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line, enrolled := EnrollmentStatus(tt.st, now)
			assert.Equal(t, tt.enrolled, enrolled)
			for _, w := range tt.want {
				assert.Contains(t, line, w)
			}
		})
	}
}
