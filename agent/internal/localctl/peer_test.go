package localctl

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/jumpgate/jumpgate/agent/internal/enduser"
)

func TestPolicy_Allow(t *testing.T) {
	// alice (1000) is the end user; everyone else is not.
	endUser := func(uid int) error {
		if uid == 1000 {
			return nil
		}
		return enduser.ErrNotAtSeat
	}
	tests := []struct {
		name    string
		policy  Policy
		peer    Peer
		wantErr string
	}{
		{name: "root", policy: Policy{OwnUID: 0, EndUser: endUser}, peer: Peer{UID: 0, User: "root"}},
		{name: "the agent's own user", policy: Policy{OwnUID: 1001, EndUser: endUser}, peer: Peer{UID: 1001, User: "jc"}},
		{name: "the end user", policy: Policy{OwnUID: 0, EndUser: endUser}, peer: Peer{UID: 1000, User: "alice"}},
		{
			name: "another user", policy: Policy{OwnUID: 0, EndUser: endUser}, peer: Peer{UID: 1002, User: "mallory"},
			wantErr: "user mallory (uid 1002) may not control the agent's sessions: only root and the user logged in at this machine's screen and keyboard (its active seat) may",
		},
		{
			name: "no end user rule", policy: Policy{OwnUID: 0}, peer: Peer{UID: 1000, User: "alice"},
			wantErr: "user alice (uid 1000) may not control the agent's sessions: only root and the agent's user may",
		},
		{name: "unknown peer, socket 0600", policy: Policy{OwnUID: 1001}, peer: Peer{UID: UnknownUID, User: "jc"}},
		{
			name: "unknown peer, root agent", policy: Policy{OwnUID: 0, EndUser: endUser}, peer: Peer{UID: UnknownUID},
			wantErr: "the control socket is refused to everyone",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.policy.Allow(tt.peer)
			if tt.wantErr == "" {
				assert.NoError(t, err)
			} else {
				assert.ErrorContains(t, err, tt.wantErr)
			}
		})
	}
}

func TestSocketMode(t *testing.T) {
	tests := []struct {
		euid int
		goos string
		want os.FileMode
	}{
		{euid: 0, goos: "linux", want: 0o666},
		{euid: 0, goos: "darwin", want: 0o666},
		{euid: 0, goos: "freebsd", want: 0o600},
		{euid: 1000, goos: "linux", want: 0o600},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, socketMode(tt.euid, tt.goos), "euid %d on %s", tt.euid, tt.goos)
	}
}
