// Package prompt shows the end user the sessions on their machine on the
// desktop: a dialog for each consent prompt, and a notification when a
// session starts and when it ends.
//
// # Flow
//
// Run follows the session manager's changes:
//
//	prompting (with Prompt) ─► a dialog (Accept / Reject), in its own process:
//	                             Linux: zenity --question (times out at Prompt.ExpiresAt)
//	                                    else kdialog --yesno (killed at Prompt.ExpiresAt)
//	                                    else notify-send, telling the user to run
//	                                    `jumpgate-agent consent accept|reject ID`
//	                             macOS: osascript display dialog … giving up after N
//	                           Accept / Reject → Manager.Answer(id, accept, "dialog").
//	                           A dialog that times out, fails or is closed otherwise
//	                           answers nothing: the appliance applies on_timeout.
//	active                   ─► the dialog, if any, is killed (answered elsewhere);
//	                           a "session started" notification
//	ended                    ─► the dialog, if any, is killed; a "session ended"
//	                           notification when the session had started
//
// Nothing is shown when the agent is headless or no display is reachable:
// on Linux the agent's environment must name one (DISPLAY or
// WAYLAND_DISPLAY: an agent installed for the user, started in their
// graphical session); on macOS the agent must run as a user, not as root.
// Dialogs run beside the manager and each other: none waits for another.
//
// Whoever sits at the display answers, so the display must be the end
// user's (Config.AtDisplay, checked before each dialog or notification and
// again before a dialog's answer is passed on). An agent that runs as a
// user shows its own user's display: it is that user's agent. A root agent
// shows a dialog only on the X11 display of a local seat's active session
// whose user is an end user (package enduser): never on a display it
// inherited from an ssh login (localhost:10.0), a greeter's, or anyone's
// when nobody holds the seat; a prompt then runs out and the session
// policy's on_timeout applies.
package prompt

import (
	"context"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jumpgate/jumpgate/agent/internal/enduser"
	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
)

// By is the name a dialog's answer is given under.
const By = "dialog"

// notifyTimeout bounds a notification program.
const notifyTimeout = 10 * time.Second

// expiryGrace is how long after Prompt.ExpiresAt a dialog that does not
// time out by itself (kdialog) is killed; the appliance has applied
// on_timeout by then.
const expiryGrace = 2 * time.Second

// Manager is what the prompter needs of the agent's session manager
// (session.Manager implements it).
type Manager interface {
	// Sessions returns the prompting and active sessions, oldest first.
	Sessions() []agentproto.SessionInfo
	// Answer answers session id's consent prompt.
	Answer(id int64, accept bool, by string) error
	// Subscribe returns every change of a session until cancel is called.
	Subscribe() (<-chan agentproto.SessionInfo, func())
}

// Programs name the desktop programs; each is looked up with exec.LookPath
// when needed, so that a program installed later is found. Empty fields
// take the default names.
type Programs struct {
	Zenity     string // default "zenity"
	KDialog    string // default "kdialog"
	NotifySend string // default "notify-send"
	OSAScript  string // default "osascript"
}

// Config configures a Prompter. The zero value detects everything.
type Config struct {
	// Headless is the install's --headless: nobody to ask, nothing shown.
	Headless bool
	// GOOS picks the programs (linux: zenity, kdialog, notify-send;
	// darwin: osascript); "" is runtime.GOOS.
	GOOS string
	// Display reports whether a dialog can be shown; nil detects it from
	// the agent's environment (see the package comment).
	Display func() bool
	// EndUsers says who the end user is (the install's --end-users, else
	// the user at the active seat); it is what the default AtDisplay asks.
	EndUsers enduser.Policy
	// AtDisplay returns nil when the person at the display the dialogs
	// show on is the end user, else why not; nil is
	// SeatDisplay(EndUsers, $DISPLAY, the agent's euid).
	AtDisplay func() error
	// Programs overrides the programs' names.
	Programs Programs
	// Command is how the end user runs the agent, in the text of the
	// notify-send fallback; "" is "jumpgate-agent".
	Command string
	// Now tells the time; nil is time.Now.
	Now func() time.Time
	// Log receives the prompter's log; nil discards it.
	Log *slog.Logger
}

// Prompter shows sessions on the desktop.
type Prompter struct {
	cfg Config
}

// New returns a prompter.
func New(cfg Config) *Prompter {
	if cfg.GOOS == "" {
		cfg.GOOS = runtime.GOOS
	}
	if cfg.Display == nil {
		goos := cfg.GOOS
		cfg.Display = func() bool { return displayAvailable(goos, os.Getenv, os.Geteuid()) }
	}
	if cfg.AtDisplay == nil {
		cfg.AtDisplay = SeatDisplay(cfg.EndUsers, os.Getenv("DISPLAY"), os.Geteuid())
	}
	p := &cfg.Programs
	p.Zenity = cmp(p.Zenity, "zenity")
	p.KDialog = cmp(p.KDialog, "kdialog")
	p.NotifySend = cmp(p.NotifySend, "notify-send")
	p.OSAScript = cmp(p.OSAScript, "osascript")
	cfg.Command = cmp(cfg.Command, "jumpgate-agent")
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Prompter{cfg: cfg}
}

func cmp(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// displayAvailable reports whether a desktop is reachable: on Linux and
// the other Unix desktops a display named in the environment, on macOS a
// user (not root) agent; never on Windows.
func displayAvailable(goos string, getenv func(string) string, euid int) bool {
	switch goos {
	case "windows":
		return false
	case "darwin":
		return euid != 0
	}
	return getenv("DISPLAY") != "" || getenv("WAYLAND_DISPLAY") != ""
}

// SeatDisplay is the default Config.AtDisplay of an agent that runs as
// euid with $DISPLAY display: nil for an agent that runs as a user (its
// display is its own user's); for a root agent, nil only while display is
// the X11 display of a local seat's active session whose user is an end
// user of policy.
func SeatDisplay(policy enduser.Policy, display string, euid int) func() error {
	if euid != 0 {
		return func() error { return nil }
	}
	return func() error {
		_, err := policy.DisplaySeat(display)
		return err
	}
}

// Enabled reports whether the prompter shows anything: not headless, and a
// display is reachable.
func (p *Prompter) Enabled() bool {
	return !p.cfg.Headless && p.cfg.GOOS != "windows" && p.cfg.Display()
}

// Run shows m's sessions until ctx ends or m's subscription closes; it
// then kills the dialogs still open and returns once every program it
// started has exited. When the prompter is not Enabled it returns at once.
func (p *Prompter) Run(ctx context.Context, m Manager) {
	if !p.Enabled() {
		p.cfg.Log.Debug("no desktop prompts: headless or no display")
		return
	}
	changes, cancel := m.Subscribe()
	defer cancel()
	r := &run{p: p, m: m, ctx: ctx, dialogs: map[int64]context.CancelFunc{}, status: map[int64]string{}}
	defer r.wg.Wait()
	defer r.stopAll()
	for _, s := range m.Sessions() {
		// What is already active started before the agent did: no
		// notification, but its end gets one.
		r.status[s.ID] = s.Status
		if s.Status == api.SessionPrompting {
			r.prompt(s)
		}
	}
	for {
		select {
		case <-ctx.Done():
			return
		case s, ok := <-changes:
			if !ok {
				return
			}
			r.apply(s)
		}
	}
}

// run is one Run's state, touched by Run's goroutine only.
type run struct {
	p   *Prompter
	m   Manager
	ctx context.Context
	wg  sync.WaitGroup
	// dialogs kill the open dialog of a session.
	dialogs map[int64]context.CancelFunc
	// status is the last status seen of each session not ended.
	status map[int64]string
}

func (r *run) apply(s agentproto.SessionInfo) {
	prev := r.status[s.ID]
	switch s.Status {
	case api.SessionPrompting:
		r.status[s.ID] = s.Status
		if s.Prompt != nil {
			r.prompt(s)
		}
	case api.SessionActive:
		r.status[s.ID] = s.Status
		r.stop(s.ID)
		if prev != api.SessionActive {
			r.notify("Remote support session started", startedText(s, r.p.cfg.Command))
		}
	case api.SessionEnded:
		delete(r.status, s.ID)
		r.stop(s.ID)
		if prev == api.SessionActive {
			r.notify("Remote support session ended", endedText(s))
		}
	}
}

// prompt opens session s's dialog unless one is open.
func (r *run) prompt(s agentproto.SessionInfo) {
	if _, open := r.dialogs[s.ID]; open || s.Prompt == nil {
		return
	}
	left := s.Prompt.ExpiresAt.Sub(r.p.cfg.Now())
	if left <= 0 {
		return
	}
	// Not recorded as open: a later change of the prompt asks again, in
	// case the end user has sat down since.
	if err := r.p.cfg.AtDisplay(); err != nil {
		r.p.cfg.Log.Info("no consent dialog: the display is not the end user's; they can answer with `consent`", "session", s.ID, "why", err.Error())
		return
	}
	d, ok := r.p.dialog(s, left)
	if !ok {
		r.p.cfg.Log.Warn("no dialog program to ask for consent; telling the user with a notification, if possible", "session", s.ID)
		r.notify("Remote support request", fallbackText(s, r.p.cfg.Command, r.p.cfg.Now()))
		// The entry keeps a later change of the same prompt from
		// notifying again.
		r.dialogs[s.ID] = func() {}
		return
	}
	ctx, cancel := context.WithTimeout(r.ctx, left+expiryGrace)
	r.dialogs[s.ID] = cancel
	r.wg.Go(func() {
		defer cancel()
		r.p.show(ctx, r.m, s.ID, d)
	})
}

// stop kills session id's dialog, if one is open.
func (r *run) stop(id int64) {
	if cancel, ok := r.dialogs[id]; ok {
		cancel()
		delete(r.dialogs, id)
	}
}

func (r *run) stopAll() {
	for id := range r.dialogs {
		r.stop(id)
	}
}

// notify shows a notification beside everything else.
func (r *run) notify(summary, body string) {
	if err := r.p.cfg.AtDisplay(); err != nil {
		r.p.cfg.Log.Debug("no notification: the display is not the end user's", "summary", summary, "why", err.Error())
		return
	}
	argv, ok := r.p.notification(summary, body)
	if !ok {
		r.p.cfg.Log.Debug("no notification program", "summary", summary)
		return
	}
	r.wg.Go(func() {
		ctx, cancel := context.WithTimeout(r.ctx, notifyTimeout)
		defer cancel()
		if _, _, err := runProgram(ctx, argv, false); err != nil {
			r.p.cfg.Log.Debug("notification failed", "program", argv[0], "err", err)
		}
	})
}

// dialogCmd is a dialog to run and how to read its answer.
type dialogCmd struct {
	argv []string
	// stdout: the answer is on standard output (osascript), not in the
	// exit status.
	stdout bool
}

// dialog picks the dialog of session s; ok is false when no dialog
// program is installed.
func (p *Prompter) dialog(s agentproto.SessionInfo, left time.Duration) (dialogCmd, bool) {
	text := dialogText(s, p.cfg.Now())
	secs := strconv.Itoa(int(math.Ceil(left.Seconds())))
	if p.cfg.GOOS == "darwin" {
		path, err := exec.LookPath(p.cfg.Programs.OSAScript)
		if err != nil {
			return dialogCmd{}, false
		}
		script := `display dialog "` + appleString(text) + `" with title "Jumpgate" buttons {"Reject", "Accept"} default button "Reject" giving up after ` + secs
		return dialogCmd{argv: []string{path, "-e", script}, stdout: true}, true
	}
	if path, err := exec.LookPath(p.cfg.Programs.Zenity); err == nil {
		return dialogCmd{argv: []string{path, "--question", "--title=Jumpgate", "--no-markup", "--width=420",
			"--ok-label=Accept", "--cancel-label=Reject", "--timeout=" + secs, "--text=" + text}}, true
	}
	if path, err := exec.LookPath(p.cfg.Programs.KDialog); err == nil {
		// kdialog has no timeout: the context kills it at the expiry.
		return dialogCmd{argv: []string{path, "--title", "Jumpgate", "--yes-label", "Accept", "--no-label", "Reject", "--yesno", text}}, true
	}
	return dialogCmd{}, false
}

// notification builds the notification program's command line.
func (p *Prompter) notification(summary, body string) ([]string, bool) {
	if p.cfg.GOOS == "darwin" {
		path, err := exec.LookPath(p.cfg.Programs.OSAScript)
		if err != nil {
			return nil, false
		}
		return []string{path, "-e", `display notification "` + appleString(body) + `" with title "Jumpgate" subtitle "` + appleString(summary) + `"`}, true
	}
	path, err := exec.LookPath(p.cfg.Programs.NotifySend)
	if err != nil {
		return nil, false
	}
	return []string{path, "-a", "Jumpgate", "-u", "critical", summary, body}, true
}

// show runs dialog d of session id and gives its answer to m. A dialog
// killed because the prompt was answered elsewhere, ended or expired
// answers nothing.
func (p *Prompter) show(ctx context.Context, m Manager, id int64, d dialogCmd) {
	p.cfg.Log.Info("asking the user for consent", "session", id, "program", d.argv[0])
	code, out, err := runProgram(ctx, d.argv, d.stdout)
	if ctx.Err() != nil {
		p.cfg.Log.Debug("consent dialog closed: the prompt was answered elsewhere, ended or expired", "session", id)
		return
	}
	accept, answered := false, false
	switch {
	case err != nil:
		p.cfg.Log.Warn("consent dialog failed", "session", id, "err", err)
	case d.stdout:
		// osascript: "button returned:Accept, gave up:false".
		if !strings.Contains(out, "gave up:true") {
			accept = strings.Contains(out, "button returned:Accept")
			answered = accept || strings.Contains(out, "button returned:Reject")
		}
	default:
		// zenity and kdialog: 0 yes, 1 no (also a closed window); zenity's
		// 5 is its timeout.
		accept, answered = code == 0, code == 0 || code == 1
	}
	if !answered {
		p.cfg.Log.Info("consent dialog closed without an answer", "session", id, "exit", code)
		return
	}
	// The seat may have changed hands while the dialog was open.
	if err := p.cfg.AtDisplay(); err != nil {
		p.cfg.Log.Warn("consent dialog answered, but the display is no longer the end user's: the answer is dropped", "session", id, "accept", accept, "why", err.Error())
		return
	}
	if err := m.Answer(id, accept, By); err != nil {
		p.cfg.Log.Warn("could not pass on the dialog's answer", "session", id, "accept", accept, "err", err)
		return
	}
	p.cfg.Log.Info("the user answered the consent dialog", "session", id, "accept", accept)
}

// appleString escapes s for an AppleScript string literal.
func appleString(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}
