//go:build linux

package prompt_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/agent/internal/enduser"
	"github.com/jumpgate/jumpgate/agent/internal/enduser/endusertest"
	"github.com/jumpgate/jumpgate/agent/internal/localctl/localctltest"
	"github.com/jumpgate/jumpgate/agent/internal/prompt"
)

var (
	aliceAtSeat    = endusertest.Session{ID: "2", UID: 1000, User: "alice", Seat: "seat0", Display: ":0", TTY: "tty2"}
	malloryOverSSH = endusertest.Session{ID: "5", UID: 1001, User: "mallory", Remote: true, TTY: "pts/0"}
	gdmGreeter     = endusertest.Session{ID: "c1", UID: 115, User: "gdm", Seat: "seat0", Class: "greeter", Display: ":1024"}
)

// TestPrompter_RootAgentAsksOnlyTheEndUser: a system-wide (root) agent
// whose environment names a display shows the consent dialog only there
// when that display is the end user's. The dialog program accepts at once
// (whoever is at the display clicks Accept): on any other display the
// dialog must not even run, and nothing is answered.
//
// The seats are logind's files under a stand-in for /run/systemd (logind
// does not run on the test machine); the decision is the real default
// (prompt.SeatDisplay) of an agent running as root.
func TestPrompter_RootAgentAsksOnlyTheEndUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: the seat files must be owned by root")
	}
	seat := endusertest.Logind(t, "", "2", aliceAtSeat, malloryOverSSH, gdmGreeter)
	nobodyAtSeat := endusertest.Logind(t, "", "c1", aliceAtSeat, malloryOverSSH, gdmGreeter)
	tests := []struct {
		name    string
		display string
		policy  enduser.Policy
		asks    bool
	}{
		{name: "alice's display while she holds the seat", display: ":0", policy: enduser.Policy{Source: enduser.Source{Root: seat}}, asks: true},
		{name: "the display of mallory's ssh login", display: "localhost:10.0", policy: enduser.Policy{Source: enduser.Source{Root: seat}}},
		{name: "alice's display while the greeter holds the seat", display: ":0", policy: enduser.Policy{Source: enduser.Source{Root: nobodyAtSeat}}},
		{name: "the greeter's display", display: ":1024", policy: enduser.Policy{Source: enduser.Source{Root: nobodyAtSeat}}},
		{name: "alice's display when the install names other end users", display: ":0", policy: enduser.Policy{Users: []string{"1001"}, Source: enduser.Source{Root: seat}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDesktop(t)
			d.set("zenity.exit", "0")
			m := localctltest.New()
			log := start(t, prompt.Config{
				Programs:  prompt.Programs{Zenity: d.path("zenity"), NotifySend: d.path("notify-send")},
				AtDisplay: prompt.SeatDisplay(tt.policy, tt.display, 0),
			}, m)
			m.Put(prompting(7))
			if tt.asks {
				eventually(t, "the answer", func() bool { return len(m.Calls()) > 0 })
				assert.Equal(t, []localctltest.Call{{Op: "answer", Session: 7, Accept: true, By: "dialog"}}, m.Calls())
				return
			}
			eventually(t, "the prompter passes", func() bool {
				return strings.Contains(log.String(), "no consent dialog: the display is not the end user's")
			})
			assert.Nil(t, d.args("zenity"), "the dialog ran on a display that is not the end user's")
			assert.Empty(t, m.Calls(), "someone who is not the end user answered")
		})
	}
}

// TestPrompter_DropsAnAnswerAfterTheSeatChangedHands: alice's dialog is
// open when she leaves (the greeter takes the seat); the Accept clicked on
// it afterwards is not passed on.
func TestPrompter_DropsAnAnswerAfterTheSeatChangedHands(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: the seat files must be owned by root")
	}
	root := endusertest.Logind(t, "", "2", aliceAtSeat, gdmGreeter)
	d := newDesktop(t)
	// This zenity waits for the test's go-ahead, then accepts.
	require.NoError(t, os.WriteFile(d.path("zenity"), []byte(`#!/bin/sh
d=$(dirname "$0")
echo $$ > "$d/zenity.pid"
while [ ! -f "$d/go" ]; do sleep 0.05; done
exit 0
`), 0o755))
	m := localctltest.New()
	log := start(t, prompt.Config{
		Programs:  prompt.Programs{Zenity: d.path("zenity"), NotifySend: d.path("notify-send")},
		AtDisplay: prompt.SeatDisplay(enduser.Policy{Source: enduser.Source{Root: root}}, ":0", 0),
	}, m)
	m.Put(prompting(7))
	eventually(t, "the dialog runs", func() bool { _, err := os.Stat(d.path("zenity.pid")); return err == nil })
	endusertest.Logind(t, root, "c1", aliceAtSeat, gdmGreeter)
	d.set("go", "")
	eventually(t, "the answer is dropped", func() bool { return strings.Contains(log.String(), "the answer is dropped") })
	assert.Empty(t, m.Calls())
}

func TestSeatDisplay_UserAgent(t *testing.T) {
	// An agent that runs as a user shows its own user's display, whoever
	// holds the seat: nothing to read.
	assert.NoError(t, prompt.SeatDisplay(enduser.Policy{Source: enduser.Source{Root: t.TempDir()}}, "localhost:10.0", 1000)())
}
