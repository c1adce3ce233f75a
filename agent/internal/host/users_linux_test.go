package host

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMergeLogins(t *testing.T) {
	dir := t.TempDir()
	write := func(id, body string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, id), []byte(body), 0o644))
	}
	write("1", "USER=alice\nCLASS=user\nSEAT=seat0\nACTIVE=1\n")
	write("2", "USER=gdm\nCLASS=greeter\nSEAT=seat0\n")
	write("3", "USER=carol\nCLASS=user\nREMOTE=1\n")
	sessions := readLogindSessions(dir)

	tests := []struct {
		name     string
		utmp     []utmpEntry
		sessions []logindSession
		want     []string
	}{
		{name: "nothing", want: nil},
		{name: "utmp only", utmp: []utmpEntry{{User: "bob", Line: "pts/0", Host: "10.0.0.1"}, {User: "alice", Line: "tty1"}}, want: []string{"alice", "bob"}},
		{name: "logind only, greeter left out", sessions: sessions, want: []string{"alice", "carol"}},
		{name: "both, deduplicated", utmp: []utmpEntry{{User: "alice", Line: ":0"}, {User: "alice", Line: "pts/1"}}, sessions: sessions, want: []string{"alice", "carol"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, mergeLogins(tt.utmp, tt.sessions))
		})
	}
}

func TestLoggedInUsers_Runs(t *testing.T) {
	// The machine's own logins are whatever they are; the call must not
	// fail and must return sorted, unique names.
	got := LoggedInUsers()
	assert.Equal(t, uniqueSorted(append([]string(nil), got...)), got)
}
