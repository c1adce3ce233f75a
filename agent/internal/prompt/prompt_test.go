//go:build unix

package prompt_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/agent/internal/localctl/localctltest"
	"github.com/jumpgate/jumpgate/agent/internal/prompt"
	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
)

// dialogScript stands in for zenity, kdialog and osascript. It records its
// pid and the arguments of its first run (NUL-separated) beside itself, prints <name>.stdout if
// present, waits to be killed if <name>.wait exists, else exits with the
// status in <name>.exit.
const dialogScript = `#!/bin/sh
d=$(dirname "$0"); n=$(basename "$0")
echo $$ > "$d/$n.pid"
[ -e "$d/$n.args" ] || { printf '%s\0' "$@" > "$d/$n.args.tmp" && mv "$d/$n.args.tmp" "$d/$n.args"; }
[ -f "$d/$n.stdout" ] && cat "$d/$n.stdout"
[ -f "$d/$n.wait" ] && exec sleep 300
exit $(cat "$d/$n.exit" 2>/dev/null || echo 0)
`

// notifyScript stands in for notify-send: each call's arguments go to a
// file of their own.
const notifyScript = `#!/bin/sh
d=$(dirname "$0")
f=$(mktemp "$d/notified.XXXXXX")
printf '%s\0' "$@" > "$f.tmp" && mv "$f.tmp" "$f.done"
`

// desktop is a temp dir of fake desktop programs.
type desktop struct {
	t   *testing.T
	dir string
}

func newDesktop(t *testing.T) *desktop {
	d := &desktop{t: t, dir: t.TempDir()}
	for _, name := range []string{"zenity", "kdialog", "osascript"} {
		require.NoError(t, os.WriteFile(filepath.Join(d.dir, name), []byte(dialogScript), 0o755))
	}
	require.NoError(t, os.WriteFile(filepath.Join(d.dir, "notify-send"), []byte(notifyScript), 0o755))
	return d
}

func (d *desktop) path(name string) string { return filepath.Join(d.dir, name) }

func (d *desktop) set(file, content string) {
	require.NoError(d.t, os.WriteFile(d.path(file), []byte(content), 0o644))
}

// args returns the arguments of the first run of program (the dialog; on
// macOS osascript also shows the notifications that may follow), nil until
// it ran.
func (d *desktop) args(program string) []string {
	b, err := os.ReadFile(d.path(program + ".args"))
	if err != nil {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
}

// notifications returns the arguments of every notify-send call.
func (d *desktop) notifications() [][]string {
	files, _ := filepath.Glob(d.path("notified.*.done"))
	var out [][]string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err == nil {
			out = append(out, strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00"))
		}
	}
	return out
}

func (d *desktop) pid(program string) int {
	b, err := os.ReadFile(d.path(program + ".pid"))
	require.NoError(d.t, err)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	require.NoError(d.t, err)
	return pid
}

// logBuffer collects the prompter's log.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var t0 = time.Date(2026, 11, 21, 14, 0, 0, 0, time.UTC)

func prompting(id int64) agentproto.SessionInfo {
	return agentproto.SessionInfo{
		ID: id, Status: api.SessionPrompting, Mode: api.ModeConsent, Representative: "alice",
		Permissions: api.SessionPermissions{Shell: true, FileRead: true}, Recording: true,
		Prompt: &agentproto.Prompt{ExpiresAt: t0.Add(time.Minute), OnTimeout: "deny", Message: "alice (Support) asks to connect to this computer."},
	}
}

// start runs a prompter with cfg over m until the test ends, and returns
// once it follows m's changes; the test fails if Run does not return once
// its context ends.
func start(t *testing.T, cfg prompt.Config, m *localctltest.Manager) *logBuffer {
	t.Helper()
	log := &logBuffer{}
	cfg.Log = slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg.Now = func() time.Time { return t0 }
	if cfg.Display == nil {
		cfg.Display = func() bool { return true }
	}
	if cfg.AtDisplay == nil {
		cfg.AtDisplay = func() error { return nil }
	}
	p := prompt.New(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		p.Run(ctx, m)
		close(done)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("Run did not return after its context ended")
		}
	})
	eventually(t, "Run subscribes", func() bool { return m.Subscribers() == 1 })
	return log
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestPrompter_Dialog(t *testing.T) {
	tests := []struct {
		name    string
		goos    string
		missing []string // programs not installed
		exit    string
		stdout  string
		// wantArgs are arguments the dialog must get (prefix match with
		// "~" at the end).
		program  string
		wantArgs []string
		// answer is the Answer call; nil means none.
		answer *localctltest.Call
	}{
		{
			name: "zenity accept", exit: "0", program: "zenity",
			wantArgs: []string{"--question", "--ok-label=Accept", "--cancel-label=Reject", "--timeout=60", "--no-markup", "--text=alice (Support) asks to connect to this computer.~"},
			answer:   &localctltest.Call{Op: "answer", Session: 7, Accept: true, By: "dialog"},
		},
		{
			name: "zenity reject", exit: "1", program: "zenity",
			answer: &localctltest.Call{Op: "answer", Session: 7, Accept: false, By: "dialog"},
		},
		{name: "zenity times out: no answer", exit: "5", program: "zenity"},
		{
			name: "kdialog when zenity is missing", missing: []string{"zenity"}, exit: "0", program: "kdialog",
			wantArgs: []string{"--yesno", "alice (Support) asks to connect to this computer.~", "--yes-label", "Accept"},
			answer:   &localctltest.Call{Op: "answer", Session: 7, Accept: true, By: "dialog"},
		},
		{
			name: "osascript accept", goos: "darwin", program: "osascript", stdout: "button returned:Accept, gave up:false\n",
			wantArgs: []string{"-e", `display dialog "alice (Support) asks to connect to this computer.\n~`},
			answer:   &localctltest.Call{Op: "answer", Session: 7, Accept: true, By: "dialog"},
		},
		{
			name: "osascript reject", goos: "darwin", program: "osascript", stdout: "button returned:Reject, gave up:false\n",
			answer: &localctltest.Call{Op: "answer", Session: 7, Accept: false, By: "dialog"},
		},
		{name: "osascript gives up: no answer", goos: "darwin", program: "osascript", stdout: "button returned:, gave up:true\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDesktop(t)
			d.set(tt.program+".exit", cmpStr(tt.exit, "0"))
			if tt.stdout != "" {
				d.set(tt.program+".stdout", tt.stdout)
			}
			progs := prompt.Programs{Zenity: d.path("zenity"), KDialog: d.path("kdialog"), OSAScript: d.path("osascript"), NotifySend: d.path("notify-send")}
			for _, m := range tt.missing {
				if m == "zenity" {
					progs.Zenity = d.path("not-installed")
				}
			}
			m := localctltest.New()
			log := start(t, prompt.Config{GOOS: tt.goos, Programs: progs}, m)
			m.Put(prompting(7))

			eventually(t, "the dialog runs", func() bool { return d.args(tt.program) != nil })
			args := d.args(tt.program)
			for _, want := range tt.wantArgs {
				assert.True(t, hasArg(args, want), "%s args %q lack %q", tt.program, args, want)
			}
			if tt.program == "osascript" {
				assert.Contains(t, args[1], `buttons {"Reject", "Accept"}`)
				assert.Contains(t, args[1], `giving up after 60`)
			}
			if tt.answer != nil {
				eventually(t, "the answer", func() bool { return len(m.Calls()) > 0 })
				assert.Equal(t, []localctltest.Call{*tt.answer}, m.Calls())
				return
			}
			eventually(t, "the dialog closes", func() bool { return strings.Contains(log.String(), "consent dialog closed without an answer") })
			assert.Empty(t, m.Calls(), "a dialog that times out never answers")
		})
	}
}

func cmpStr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// hasArg reports whether args hold want, or an argument starting with
// want's text when it ends in "~".
func hasArg(args []string, want string) bool {
	for _, a := range args {
		if a == want || (strings.HasSuffix(want, "~") && strings.HasPrefix(a, strings.TrimSuffix(want, "~"))) {
			return true
		}
	}
	return false
}

func TestPrompter_DialogText(t *testing.T) {
	d := newDesktop(t)
	m := localctltest.New()
	start(t, prompt.Config{Programs: prompt.Programs{Zenity: d.path("zenity"), NotifySend: d.path("notify-send")}}, m)
	s := prompting(7)
	ends := t0.Add(time.Hour)
	s.EndsAt = &ends
	m.Put(s)
	eventually(t, "the dialog runs", func() bool { return d.args("zenity") != nil })
	var text string
	for _, a := range d.args("zenity") {
		if strings.HasPrefix(a, "--text=") {
			text = strings.TrimPrefix(a, "--text=")
		}
	}
	for _, want := range []string{
		"alice (Support) asks to connect to this computer.",
		"Representative: alice",
		"Allowed: shell, read files",
		"Shell sessions are recorded.",
		"The session ends at " + ends.Local().Format("15:04") + " at the latest.",
		"Without an answer by " + t0.Add(time.Minute).Local().Format("15:04:05") + ", the request is rejected.",
	} {
		assert.Contains(t, text, want)
	}
}

func TestPrompter_KillsDialogAnsweredElsewhere(t *testing.T) {
	tests := []struct {
		name   string
		change agentproto.SessionInfo
		notify string // the notification that follows, "" none
	}{
		{name: "accepted at the command line", change: agentproto.SessionInfo{ID: 7, Status: api.SessionActive, Representative: "alice"}, notify: "Remote support session started"},
		{name: "timed out at the appliance", change: agentproto.SessionInfo{ID: 7, Status: api.SessionEnded, EndReason: api.RefusedConsentTimedOut}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDesktop(t)
			d.set("zenity.wait", "")
			m := localctltest.New()
			start(t, prompt.Config{Programs: prompt.Programs{Zenity: d.path("zenity"), NotifySend: d.path("notify-send")}}, m)
			m.Put(prompting(7))
			eventually(t, "the dialog runs", func() bool { return d.args("zenity") != nil })
			pid := d.pid("zenity")

			m.Put(tt.change)
			eventually(t, "the dialog is killed", func() bool {
				return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
			})
			assert.Empty(t, m.Calls(), "a killed dialog answers nothing")
			if tt.notify != "" {
				eventually(t, "the notification", func() bool { return len(d.notifications()) == 1 })
				assert.Contains(t, d.notifications()[0], tt.notify)
			}
		})
	}
}

func TestPrompter_KillsDialogsWhenStopped(t *testing.T) {
	d := newDesktop(t)
	d.set("zenity.wait", "")
	m := localctltest.New()
	p := prompt.New(prompt.Config{Display: func() bool { return true }, AtDisplay: func() error { return nil }, Now: func() time.Time { return t0 },
		Programs: prompt.Programs{Zenity: d.path("zenity"), NotifySend: d.path("notify-send")}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		p.Run(ctx, m)
		close(done)
	}()
	eventually(t, "subscribed", func() bool { return m.Subscribers() == 1 })
	m.Put(prompting(7))
	eventually(t, "the dialog runs", func() bool { return d.args("zenity") != nil })
	pid := d.pid("zenity")
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
	assert.ErrorIs(t, syscall.Kill(pid, 0), syscall.ESRCH, "Run returns after its dialogs are gone")
	assert.Zero(t, m.Subscribers())
}

func TestPrompter_FallbackNotification(t *testing.T) {
	d := newDesktop(t)
	m := localctltest.New()
	start(t, prompt.Config{Command: "/opt/jc/jumpgate-agent", Programs: prompt.Programs{
		Zenity: d.path("none-zenity"), KDialog: d.path("none-kdialog"), NotifySend: d.path("notify-send"),
	}}, m)
	m.Put(prompting(7))
	eventually(t, "the notification", func() bool { return len(d.notifications()) == 1 })
	n := d.notifications()[0]
	assert.Contains(t, n, "Remote support request")
	body := n[len(n)-1]
	assert.Contains(t, body, "To accept, run: /opt/jc/jumpgate-agent consent accept 7")
	assert.Contains(t, body, "To reject, run: /opt/jc/jumpgate-agent consent reject 7")
	assert.Empty(t, m.Calls())
}

func TestPrompter_StartAndEndNotifications(t *testing.T) {
	d := newDesktop(t)
	m := localctltest.New()
	start(t, prompt.Config{Programs: prompt.Programs{NotifySend: d.path("notify-send")}}, m)
	m.Put(agentproto.SessionInfo{ID: 9, Status: api.SessionActive, Mode: api.ModeUnattended, Representative: "bob", Recording: true})
	eventually(t, "the start notification", func() bool { return len(d.notifications()) == 1 })
	started := d.notifications()[0]
	assert.Contains(t, started, "Remote support session started")
	assert.Contains(t, started[len(started)-1], "bob is connected to this computer.")
	assert.Contains(t, started[len(started)-1], "To end it, run: jumpgate-agent sessions end 9")

	// A change that is not a start notifies nothing; the end does.
	m.Put(agentproto.SessionInfo{ID: 9, Status: api.SessionActive, Representative: "bob", ControlRevoked: true})
	m.Put(agentproto.SessionInfo{ID: 9, Status: api.SessionEnded, Representative: "bob", EndReason: api.EndMaxDuration})
	eventually(t, "the end notification", func() bool { return len(d.notifications()) == 2 })
	var ended []string
	for _, n := range d.notifications() {
		if hasArg(n, "Remote support session ended") {
			ended = n
		}
	}
	require.NotNil(t, ended)
	assert.Equal(t, "The session with bob ended: its time ran out.", ended[len(ended)-1])
}

func TestPrompter_Enabled(t *testing.T) {
	tests := []struct {
		name    string
		cfg     prompt.Config
		enabled bool
	}{
		{name: "display", cfg: prompt.Config{GOOS: "linux", Display: func() bool { return true }}, enabled: true},
		{name: "headless", cfg: prompt.Config{GOOS: "linux", Headless: true, Display: func() bool { return true }}},
		{name: "no display", cfg: prompt.Config{GOOS: "linux", Display: func() bool { return false }}},
		{name: "windows", cfg: prompt.Config{GOOS: "windows", Display: func() bool { return true }}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.enabled, prompt.New(tt.cfg).Enabled())
		})
	}
	t.Run("headless runs nothing", func(t *testing.T) {
		m := localctltest.New(prompting(7))
		p := prompt.New(prompt.Config{Headless: true, Display: func() bool { return true }})
		// Run returns at once, without subscribing.
		p.Run(context.Background(), m)
		assert.Zero(t, m.Subscribers())
	})
}
