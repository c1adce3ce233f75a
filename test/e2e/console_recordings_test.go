package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/internal/browsertest"
)

// playerText is what the recording player's terminal shows.
func playerText(p *browsertest.Page) string {
	return browsertest.Eval[string](p, `(document.querySelector(".player .ap-term") || document.querySelector(".player") || {}).innerText || ""`)
}

// TestRecordings_ShellPlaysInThePage: a real shell through the broker on a
// real Jump Client is recorded; the session history lists the session, its
// page shows the events and plays the recording with asciinema-player (the
// recorded output appears in the page), and links its download.
func TestRecordings_ShellPlaysInThePage(t *testing.T) {
	w := newWorld(t)
	out, errOut, code := w.admin.jg("echo recorded-says-$((6*7))\nexit 0\n", "shell", w.clientRef())
	require.Equal(t, 0, code, "shell: %s %s", out, errOut)
	require.Contains(t, out, "recorded-says-42")
	var sess *api.Session
	ss := sessionsOf(t, w.s, api.ItemJumpClient, w.client.ID)
	for i := range ss {
		for _, rc := range ss[i].Recordings {
			if rc.Kind == api.RecordingShell {
				sess = &ss[i]
			}
		}
	}
	require.NotNil(t, sess, "the shell was recorded")

	p := consolePage(t, w)
	p.Click("link", "History")
	p.Find("heading", "Session history")
	p.Click("link", fmt.Sprintf("Session %d: %s", sess.ID, w.client.Name))
	p.WaitPath(fmt.Sprintf("/recordings/%d", sess.ID))
	p.Find("heading", fmt.Sprintf("Session %d: %s", sess.ID, w.client.Name))
	p.Find("region", "Player of "+sess.Recordings[0].FileName)
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(playerText(p), "recorded-says-42") {
		if time.Now().After(deadline) {
			p.Screenshot("recording-timeout")
			t.Fatalf("the player never showed the recorded output; it shows:\n%s", playerText(p))
		}
		time.Sleep(100 * time.Millisecond)
	}
	p.Find("link", "Download "+sess.Recordings[0].FileName)
	p.WaitText("session.stream_opened")
	p.Screenshot("recording")
	axe(t, p, "a recording's page")
	assert.Empty(t, p.Errors(), "the page logged errors (a CSP violation is one)")
}
