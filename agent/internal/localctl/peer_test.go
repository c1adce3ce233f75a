package localctl

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestPolicy_Allow(t *testing.T) {
	loggedIn := func() []string { return []string{"alice", "carol"} }
	tests := []struct {
		name    string
		policy  Policy
		peer    Peer
		wantErr string
	}{
		{name: "root", policy: Policy{OwnUID: 0, LoggedIn: loggedIn}, peer: Peer{UID: 0, User: "root"}},
		{name: "the agent's own user", policy: Policy{OwnUID: 1001, LoggedIn: loggedIn}, peer: Peer{UID: 1001, User: "jc"}},
		{name: "a logged-in user", policy: Policy{OwnUID: 0, LoggedIn: loggedIn}, peer: Peer{UID: 1000, User: "alice"}},
		{
			name: "a user not logged in", policy: Policy{OwnUID: 0, LoggedIn: loggedIn}, peer: Peer{UID: 1002, User: "mallory"},
			wantErr: "user mallory (uid 1002) may not control the agent's sessions: only root, the agent's user and users logged in on this machine may",
		},
		{
			name: "a uid without a name", policy: Policy{OwnUID: 0, LoggedIn: func() []string { return []string{"4242"} }}, peer: Peer{UID: 4242},
			wantErr: "user  (uid 4242) may not control",
		},
		{
			name: "nobody knows who is logged in", policy: Policy{OwnUID: 0}, peer: Peer{UID: 1000, User: "alice"},
			wantErr: "user alice (uid 1000) may not control",
		},
		{name: "unknown peer, socket 0600", policy: Policy{OwnUID: 1001}, peer: Peer{UID: UnknownUID, User: "jc"}},
		{
			name: "unknown peer, root agent (socket 0666)", policy: Policy{OwnUID: 0, LoggedIn: loggedIn}, peer: Peer{UID: UnknownUID},
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
		want os.FileMode
	}{
		{euid: 0, want: 0o666},
		{euid: 1000, want: 0o600},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, socketMode(tt.euid), "euid %d", tt.euid)
	}
}
