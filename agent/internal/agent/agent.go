// Package agent is the running Jump Client (or Jumpoint node): it enrolls
// with the key info of its installer, then keeps in touch with the
// appliance as its configuration says, reports statistics and presence,
// and obeys the appliance's commands.
//
// The life of an agent, as Run drives it:
//
//	not enrolled ──Enroll ok──► enrolled
//	     │ key info expired            │
//	     ▼                             ▼
//	 uninstall self      ┌─ active:  connect (intent run) and stay; report now and every
//	                     │           statistics interval; obey config / uninstall / upgrade / wake
//	                     └─ standby: every check-in interval connect (intent check_in), report
//	                                 once, obey commands for a short window, close
//
// A connection refused with code "deleted", an uninstall command, or no
// contact with the appliance for longer than the configured offline limit
// make the agent remove its install and Run return ErrUninstalled. Every
// other failure is retried with jittered exponential backoff. An
// enrollment the appliance refuses (a 4xx such as 409 or 403: only an
// administrator changes that answer) is retried on RefusalBackoff's slow
// schedule instead, until the key info expires; each failed enrollment is
// recorded in agent.json (state.EnrollFailure) for `init-script status`. An upgrade
// (offered in Welcome or by command) replaces the binary and restarts it.
//
// While an active connection is up, the appliance opens session streams on
// it (agentproto.StreamSession); a session.Manager, one for Run's life,
// serves them against the sessions the appliance announced with
// MsgSession. A lost connection forgets those sessions (Manager.Reset).
package agent

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jumpgate/jumpgate/agent/internal/conn"
	"github.com/jumpgate/jumpgate/agent/internal/enroll"
	"github.com/jumpgate/jumpgate/agent/internal/host"
	"github.com/jumpgate/jumpgate/agent/internal/session"
	"github.com/jumpgate/jumpgate/agent/internal/state"
	"github.com/jumpgate/jumpgate/agent/internal/upgrade"
	"github.com/jumpgate/jumpgate/agent/internal/wol"
	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/api/keyinfo"
)

// Errors that end Run or NotifyUninstall and that the caller acts on.
var (
	// ErrUninstalled: the agent removed its install (deleted by the
	// appliance, told to uninstall, key info expired before enrollment, or
	// offline too long). The process should exit with success.
	ErrUninstalled = errors.New("the agent uninstalled itself")
	// ErrUninstallRestricted: the appliance refuses local uninstalls.
	ErrUninstallRestricted = errors.New("local uninstall is restricted by the appliance's jump client settings (restrict_local_uninstall)")
	// ErrRestarted: the agent upgraded itself and started the new build in
	// a new process (Windows); the process should exit with success. On
	// other systems a successful upgrade replaces the process and Run never
	// returns.
	ErrRestarted = errors.New("the agent upgraded itself and started the new build")
)

// Defaults of the appliance's configuration, used while the cached
// configuration leaves a field unset.
const (
	defaultStatisticsInterval = 60 * time.Second
	defaultStandbyMinutes     = 60
	// defaultCommandWindow is how long a standby check-in waits for
	// commands.
	defaultCommandWindow = 2 * time.Second
	// lastContactSaveEvery throttles writing LastContact to agent.json while
	// a connection is held.
	lastContactSaveEvery = 10 * time.Minute
	// notifyTimeout bounds NotifyUninstall.
	notifyTimeout = 30 * time.Second
	// stableSession is how long a session must last for the backoff to
	// start over when it ends; an appliance that accepts and drops at once
	// is backed off like one that refuses.
	stableSession = time.Minute
	// upgradeRetryAfter spaces retries of an offer that failed to apply.
	upgradeRetryAfter = time.Hour
)

// DefaultRefusalBackoff is Config.RefusalBackoff's default: a refused
// enrollment is tried again after 5 minutes, then at most hourly, not every
// minute; restarting the agent tries at once.
var DefaultRefusalBackoff = conn.Backoff{Min: 5 * time.Minute, Max: time.Hour}

// Config configures a running agent. The zero value of every field but Dir
// is useful.
type Config struct {
	// Dir is the install dir holding agent.json. Required.
	Dir string
	// Log receives the agent's log; nil discards it.
	Log *slog.Logger
	// Exe is the path of the running agent binary, which an upgrade
	// replaces; "" means os.Executable().
	Exe string
	// Shell is the program of session shells ("" is the session user's
	// login shell).
	Shell string
	// WOLAddrs are where Wake-on-LAN packets are broadcast ("host:port");
	// nil means wol.DefaultAddrs (255.255.255.255:9).
	WOLAddrs []string
	// Now tells the time; nil means time.Now.
	Now func() time.Time
	// Backoff spaces reconnection and enrollment attempts; the zero value
	// uses conn's defaults (1 s to 60 s).
	Backoff conn.Backoff
	// RefusalBackoff spaces enrollment attempts after the appliance refused
	// the enrollment (enroll.Refusal); the zero value is 5 minutes, doubling
	// up to an hour (DefaultRefusalBackoff).
	RefusalBackoff conn.Backoff
	// OnManager, when set, is called once when Run starts, with the
	// session manager that serves this agent's sessions; the end user's
	// side (the local control socket) works through it. The manager is
	// closed when Run returns, which ends its subscriptions.
	OnManager func(*session.Manager)

	// minute is the unit of the configuration's minute fields; tests
	// shrink it.
	minute time.Duration
	// restart replaces upgrade.Restart in tests.
	restart func(exe string, args []string) error
	// commandWindow is how long a standby check-in waits for commands.
	commandWindow time.Duration
}

func (c Config) withDefaults() (Config, error) {
	if c.Dir == "" {
		return c, errors.New("agent: no install dir configured")
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.Exe == "" {
		exe, err := os.Executable()
		if err != nil {
			return c, fmt.Errorf("agent: find own binary: %w", err)
		}
		c.Exe = exe
	}
	if p, err := filepath.EvalSymlinks(c.Exe); err == nil {
		// An upgrade must replace the file itself, not a link to it.
		c.Exe = p
	}
	if len(c.WOLAddrs) == 0 {
		c.WOLAddrs = wol.DefaultAddrs
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.RefusalBackoff == (conn.Backoff{}) {
		c.RefusalBackoff = DefaultRefusalBackoff
	}
	if c.minute <= 0 {
		c.minute = time.Minute
	}
	if c.commandWindow <= 0 {
		c.commandWindow = defaultCommandWindow
	}
	if c.restart == nil {
		c.restart = upgrade.Restart
	}
	return c, nil
}

// runner is one agent's state while it runs. Only the goroutine of Run
// (or Enroll, NotifyUninstall) touches it, but for the fields under mu,
// which the session manager reads from its streams' goroutines.
type runner struct {
	cfg     Config
	log     *slog.Logger
	st      *state.State
	dialer  *conn.Dialer
	sampler *host.Sampler
	// removed is set once the install is gone, so nothing writes it again.
	removed bool
	// savedContact is when LastContact was last written to disk.
	savedContact time.Time
	// failedUpgrades remembers offers that failed, by SHA-256, and when.
	failedUpgrades map[string]time.Time
	// declinedUpgrade is the SHA-256 of the last offer a container install
	// declined, so that it is logged once.
	declinedUpgrade string
	// sessions serves the appliance's session streams.
	sessions *session.Manager

	mu sync.Mutex
	// control is the connected session's control stream; nil offline.
	control *conn.Control
	// tunnels mirrors r.st.Config.Tunnels.
	tunnels []agentproto.TunnelTarget
}

// errOffline: a message for the appliance while there is no connection.
var errOffline = errors.New("not connected to the appliance")

func newRunner(cfg Config) (*runner, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	st, err := state.Load(cfg.Dir)
	if err != nil {
		return nil, err
	}
	r := &runner{
		cfg: cfg,
		log: cfg.Log,
		st:  st,
		dialer: &conn.Dialer{
			URL: st.URL, CAPin: st.CAPin, Proxy: st.Proxy,
			UserAgent: "jumpgate-agent/" + api.Version, Log: cfg.Log,
		},
		sampler:        &host.Sampler{Dir: cfg.Dir},
		failedUpgrades: map[string]time.Time{},
	}
	r.configChanged()
	r.sessions = session.New(session.Config{
		Kind:        st.Kind,
		SessionUser: st.Install.SessionUser,
		Log:         cfg.Log,
		Send:        r.send,
		Tunnels:     r.currentTunnels,
		Shell:       cfg.Shell,
	})
	return r, nil
}

// send delivers a message of the session manager on the current
// connection.
func (r *runner) send(m agentproto.Control) error {
	r.mu.Lock()
	c := r.control
	r.mu.Unlock()
	if c == nil {
		return errOffline
	}
	return c.Send(m)
}

func (r *runner) setControl(c *conn.Control) {
	r.mu.Lock()
	r.control = c
	r.mu.Unlock()
}

// configChanged publishes what the session manager reads of r.st.Config;
// call it after every change of r.st.Config.
func (r *runner) configChanged() {
	r.mu.Lock()
	r.tunnels = slices.Clone(r.st.Config.Tunnels)
	r.mu.Unlock()
}

func (r *runner) currentTunnels() []agentproto.TunnelTarget {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.tunnels
}

// Enroll enrolls the agent installed in cfg.Dir if it is not enrolled yet:
// it proves the installer's key info to the appliance, registers its
// public key and saves the identity and configuration it gets. A refusal
// wraps the appliance's *api.Problem; an unreachable appliance matches
// enroll.ErrUnreachable; expired key info matches keyinfo.ErrExpired. A
// failure is recorded in agent.json (state.EnrollFailure), with no next
// attempt: the agent tries again when it runs.
func Enroll(ctx context.Context, cfg Config) error {
	r, err := newRunner(cfg)
	if err != nil {
		return err
	}
	if r.st.Enrolled() {
		return nil
	}
	err = r.enroll(ctx)
	if err != nil && ctx.Err() == nil && !isFatal(err) {
		r.noteEnrollFailure(err, time.Time{})
	}
	return err
}

// noteEnrollFailure records in agent.json why the agent is not enrolled,
// and when it tries again (zero: when it next runs).
func (r *runner) noteEnrollFailure(err error, next time.Time) {
	f := &state.EnrollFailure{At: r.cfg.Now().UTC(), Reason: enroll.Reason(err)}
	if !next.IsZero() {
		f.NextAttempt = next.UTC()
	}
	var p *api.Problem
	if errors.As(err, &p) {
		f.Status = p.Status
	}
	_, f.Refused = enroll.Refusal(err)
	r.st.EnrollFailure = f
	if err := r.save(); err != nil {
		r.log.Warn("could not record the failed enrollment", "err", err)
	}
}

func (r *runner) enroll(ctx context.Context) error {
	if r.keyExpired() {
		return fmt.Errorf("%w (it expired at %s); download a new installer", keyinfo.ErrExpired, r.st.KeyExpires.Format(time.RFC3339))
	}
	if r.st.KeyInfo == "" {
		return fatal(errors.New("agent.json holds neither an identity nor key info; reinstall the agent"))
	}
	key, err := r.st.Key()
	if err != nil {
		return fatal(err)
	}
	req := agentproto.EnrollRequest{
		KeyInfo:   r.st.KeyInfo,
		PublicKey: key.Public().(ed25519.PublicKey),
		Overrides: r.st.Overrides,
		Facts:     r.facts(),
		Version:   api.Version,
	}
	pred := r.st.Predecessor
	var resp *agentproto.EnrollResponse
	for deadline := r.cfg.Now().Add(predecessorGone); ; {
		if pred != nil && len(pred.PrivateKey) == ed25519.SeedSize {
			// The proof that this install replaces the old one on this
			// machine (see install's findPredecessor): without it the
			// appliance re-binds nothing to the new key.
			req.Replaces = agentproto.SignReplaces(ed25519.NewKeyFromSeed(pred.PrivateKey), pred.Kind, pred.ID, req.PublicKey, r.cfg.Now())
		}
		resp, err = enroll.Enroll(ctx, r.dialer, req)
		var p *api.Problem
		if err == nil || pred == nil || !errors.As(err, &p) || p.Status != http.StatusConflict ||
			!strings.Contains(p.Detail, agentproto.ReplaceConnected) || !r.cfg.Now().Before(deadline) {
			break
		}
		// The installer stopped the old agent, and the appliance refuses
		// while its connection is still open: give it a moment to close.
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
	if err != nil {
		return err
	}
	if resp.Kind != "" {
		r.st.Kind = resp.Kind
	}
	r.st.ID, r.st.Name, r.st.Config = resp.ID, resp.Name, resp.Config
	r.configChanged()
	r.st.LastContact = r.cfg.Now().UTC()
	r.st.KeyInfo = ""
	r.st.Predecessor = nil
	r.st.EnrollFailure = nil
	r.st.Version = api.Version
	if err := r.save(); err != nil {
		return fmt.Errorf("enrolled as %s %d but could not save it: %w", r.st.Kind, r.st.ID, err)
	}
	r.savedContact = r.st.LastContact
	r.log.Info("enrolled", "kind", r.st.Kind, "id", r.st.ID, "name", r.st.Name, "rebound", resp.Rebound)
	if pred != nil && resp.Rebound && resp.ID == pred.ID {
		r.removePredecessor(pred)
	}
	return nil
}

// predecessorGone is how long an enrollment that replaces an old install
// retries a conflict: the old agent, just stopped, may still be connected.
const predecessorGone = 10 * time.Second

// removePredecessor removes the install this one took over: its key is
// retired, so it would only uninstall itself at its next start.
func (r *runner) removePredecessor(p *state.Predecessor) {
	old, err := state.Load(p.Dir)
	if err != nil || old.ID != p.ID || old.Kind != p.Kind || filepath.Clean(old.Install.Dir) != filepath.Clean(p.Dir) || filepath.Clean(p.Dir) == filepath.Clean(r.cfg.Dir) {
		return
	}
	if err := state.RemoveInstall(old); err != nil {
		r.log.Warn("could not remove the replaced install", "dir", p.Dir, "err", err)
		return
	}
	r.log.Info("removed the replaced install", "dir", p.Dir, "id", p.ID)
}

// Run runs the agent installed in cfg.Dir until ctx is done (it returns
// nil) or the agent uninstalls itself (ErrUninstalled) or restarts into an
// upgrade (ErrRestarted). Any other error is one retrying cannot fix (a
// missing or corrupt agent.json). No goroutine outlives Run.
func Run(ctx context.Context, cfg Config) error {
	r, err := newRunner(cfg)
	if err != nil {
		return err
	}
	defer r.sessions.Close()
	if cfg.OnManager != nil {
		cfg.OnManager(r.sessions)
	}
	upgrade.Cleanup(r.cfg.Dir, r.cfg.Exe)
	return r.run(ctx)
}

func (r *runner) run(ctx context.Context) error {
	attempt, refusals := 0, 0
	for {
		if ctx.Err() != nil {
			return nil
		}
		if !r.st.Enrolled() {
			if r.keyExpired() {
				return r.uninstallSelf("the installer's key info expired before the agent could enroll")
			}
			err := r.enroll(ctx)
			if err == nil {
				attempt = 0
				continue
			}
			if ctx.Err() != nil {
				return nil
			}
			if isFatal(err) {
				return err
			}
			var wait time.Duration
			_, refused := enroll.Refusal(err)
			if refused {
				// Only an administrator changes this answer (deletes the
				// client in the way, extends the installer): asking every
				// minute is noise in both logs.
				wait = max(r.cfg.RefusalBackoff.Next(refusals), r.cfg.RefusalBackoff.Min)
				refusals++
			} else {
				wait = r.cfg.Backoff.Next(attempt)
				attempt++
			}
			if !r.st.KeyExpires.IsZero() {
				// Wake up at expiry to uninstall, not a backoff later.
				wait = min(wait, max(r.st.KeyExpires.Sub(r.cfg.Now())+time.Second, 0))
			}
			r.noteEnrollFailure(err, r.cfg.Now().Add(wait))
			if refused {
				r.log.Error("the appliance refused the enrollment; trying again later, until the key info expires (restart the agent to try now)",
					"err", err, "retry_in", wait.Round(time.Second), "key_expires", r.st.KeyExpires)
			} else {
				r.log.Warn("enrollment failed; retrying", "err", err, "retry_in", wait.Round(time.Second))
			}
			if !sleep(ctx, wait) {
				return nil
			}
			continue
		}
		if r.offlineTooLong() {
			return r.uninstallSelf(fmt.Sprintf("no contact with the appliance since %s, longer than the configured %d minutes",
				r.st.LastContact.Format(time.RFC3339), r.st.Config.UninstallAfterOfflineMinutes))
		}

		stable, err := r.visit(ctx)
		if ctx.Err() != nil && !errors.Is(err, ErrUninstalled) && !errors.Is(err, ErrRestarted) {
			return nil
		}
		var re *conn.RefusedError
		switch {
		case errors.Is(err, ErrUninstalled), errors.Is(err, ErrRestarted), isFatal(err):
			return err
		case errors.As(err, &re) && re.Refused.Code == agentproto.RefusedDeleted:
			return r.uninstallSelf("the appliance deleted this " + r.kindName())
		case err == nil, errors.Is(err, errModeChanged):
			attempt = 0
			continue
		}
		if stable {
			attempt = 0
		}
		wait := r.cfg.Backoff.Delay(attempt, err)
		attempt++
		r.log.Warn("connection to the appliance failed; retrying", "err", err, "retry_in", wait.Round(time.Second))
		if !sleep(ctx, wait) {
			return nil
		}
	}
}

// Internal outcomes of a session.
var (
	// errModeChanged: the connection type changed; reconnect at once in the
	// new mode.
	errModeChanged = errors.New("connection type changed")
)

// fatalError marks an error that retrying cannot fix; it ends Run.
type fatalError struct{ err error }

func (e *fatalError) Error() string { return e.err.Error() }
func (e *fatalError) Unwrap() error { return e.err }

func fatal(err error) error { return &fatalError{err: err} }

func isFatal(err error) bool {
	var f *fatalError
	return errors.As(err, &f)
}

// connect opens a session with intent, recording the contact.
func (r *runner) connect(ctx context.Context, intent string) (*conn.Session, error) {
	key, err := r.st.Key()
	if err != nil {
		return nil, fatal(err)
	}
	sess, err := r.dialer.Connect(ctx, key, agentproto.Auth{
		Kind: r.st.Kind, ID: r.st.ID, Intent: intent, Version: api.Version, Facts: r.facts(),
	})
	var re *conn.RefusedError
	if errors.As(err, &re) && (re.Refused.Code == agentproto.RefusedBusy || re.Refused.Code == agentproto.RefusedDisabled) {
		// The appliance answered: it is there, only not admitting now.
		r.contact(true)
	}
	if err != nil {
		return nil, err
	}
	if intent != agentproto.IntentUninstall {
		r.st.Config = sess.Welcome.Config
		r.configChanged()
		r.contact(true)
	}
	return sess, nil
}

// visit connects in the mode the cached configuration names and serves the
// session. Active: until the session fails or ctx ends. Standby: report,
// take commands for commandWindow, close, then wait out the check-in
// interval. stable tells whether the session lasted long enough that its
// end should not count as another failed attempt.
func (r *runner) visit(ctx context.Context) (stable bool, err error) {
	intent := agentproto.IntentRun
	if r.st.Config.ConnectionType == "standby" {
		intent = agentproto.IntentCheckIn
	}
	sess, err := r.connect(ctx, intent)
	if err != nil {
		return false, err
	}
	// Welcome carries the current configuration; it decides the mode.
	standby := r.st.Config.ConnectionType == "standby"
	r.log.Info("connected to the appliance", "url", r.st.URL, "intent", intent, "standby", standby)
	start := time.Now()
	if err := r.serve(ctx, sess, !standby); err != nil || !standby {
		return time.Since(start) >= stableSession, err
	}
	if r.st.Config.ConnectionType != "standby" {
		return true, errModeChanged
	}
	minutes := r.st.Config.StandbyCheckInMinutes
	if minutes <= 0 {
		minutes = defaultStandbyMinutes
	}
	// ±10% jitter keeps a fleet that started together from checking in
	// together forever.
	interval := time.Duration(float64(time.Duration(minutes)*r.cfg.minute) * (0.9 + 0.2*rand.Float64()))
	sleep(ctx, interval)
	return true, nil
}

// serve runs a session: first an upgrade if Welcome offers one, then a
// report, then control messages (and, when active, a report every
// statistics interval, and the session streams the appliance opens) until
// the session ends, ctx ends, or, for a standby check-in, the command
// window closes or the appliance ends the visit.
func (r *runner) serve(ctx context.Context, sess *conn.Session, active bool) error {
	msgs := make(chan agentproto.Control)
	recvErr := make(chan error, 1)
	done := make(chan struct{})
	var wg sync.WaitGroup
	// The reader hands over messages one at a time and reports the end of
	// the stream only after every message before it, so no command sent
	// just before the appliance closes is lost.
	wg.Go(func() {
		for {
			m, err := sess.Control.Recv()
			if err != nil {
				recvErr <- err
				return
			}
			select {
			case msgs <- m:
			case <-done:
				return
			}
		}
	})
	r.setControl(sess.Control)
	if active {
		wg.Go(func() { r.acceptStreams(ctx, sess) })
	}
	defer func() {
		close(done)
		r.setControl(nil)
		sess.Close()
		// Without the appliance no session goes on: their processes are
		// killed and tunnels closed, which also lets the stream
		// goroutines end.
		r.sessions.Reset()
		wg.Wait()
		// The appliance was there until now.
		r.contact(true)
	}()

	if u := sess.Welcome.Upgrade; u != nil {
		if err := r.upgrade(ctx, sess, *u); err != nil {
			return err
		}
	}
	l := sessionLoop{r: r, sess: sess, msgs: msgs, recvErr: recvErr, standby: !active}
	if err := r.report(sess); err != nil {
		l.ending(err)
	}
	if active {
		l.interval = r.reportInterval()
		t := time.NewTicker(l.interval)
		defer t.Stop()
		l.ticker = t
		l.tick = t.C
	} else {
		w := time.NewTimer(r.cfg.commandWindow)
		defer w.Stop()
		l.window = w.C
	}
	return l.run(ctx)
}

// acceptStreams serves the streams the appliance opens until the
// connection ends, and returns once every stream's goroutine has ended.
func (r *runner) acceptStreams(ctx context.Context, sess *conn.Session) {
	var streams sync.WaitGroup
	defer streams.Wait()
	for {
		st, h, err := sess.AcceptStream()
		if err != nil {
			if sess.Mux.IsClosed() {
				return
			}
			// One stream with a bad header; the connection goes on.
			r.log.Debug("ignoring a stream from the appliance", "err", err)
			continue
		}
		if h.Type != agentproto.StreamSession || h.Open == nil {
			r.log.Debug("ignoring a stream from the appliance", "type", h.Type)
			st.Close()
			continue
		}
		streams.Go(func() { r.sessions.Serve(ctx, st, h.Open) })
	}
}

// drainTimeout bounds taking the last commands of a session that is
// ending.
const drainTimeout = 2 * time.Second

// sessionLoop dispatches one session's events.
type sessionLoop struct {
	r       *runner
	sess    *conn.Session
	msgs    <-chan agentproto.Control
	recvErr <-chan error
	standby bool

	ticker   *time.Ticker // active: reports
	tick     <-chan time.Time
	interval time.Duration
	window   <-chan time.Time // standby: the command window

	// failed is the send error that showed the session is ending; the
	// commands received before the end are still obeyed (the appliance
	// often sends one, uninstall say, and closes at once).
	failed error
	drain  <-chan time.Time
}

func (l *sessionLoop) ending(err error) {
	if l.failed == nil {
		l.failed = err
		l.tick = nil
		l.drain = time.After(drainTimeout)
	}
}

func (l *sessionLoop) run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-l.recvErr:
			switch {
			case l.failed != nil:
				return l.failed
			case l.standby:
				// The appliance ended the visit.
				return nil
			}
			return fmt.Errorf("control stream: %w", err)
		case <-l.window:
			return l.failed
		case <-l.drain:
			return l.failed
		case <-l.tick:
			if err := l.r.report(l.sess); err != nil {
				l.ending(err)
				continue
			}
			l.r.contact(false)
		case m := <-l.msgs:
			if err := l.r.handle(ctx, l.sess, m); err != nil {
				return err
			}
			if m.Type == agentproto.MsgConfig && l.ticker != nil && l.failed == nil {
				if ni := l.r.reportInterval(); ni != l.interval {
					l.interval = ni
					l.ticker.Reset(ni)
				}
			}
		}
	}
}

// handle obeys one control message.
func (r *runner) handle(ctx context.Context, sess *conn.Session, m agentproto.Control) error {
	switch m.Type {
	case agentproto.MsgConfig:
		if m.Config == nil {
			return nil
		}
		oldType := r.st.Config.ConnectionType
		r.st.Config = *m.Config
		r.configChanged()
		if err := r.save(); err != nil {
			r.log.Error("could not save the new configuration", "err", err)
		}
		r.log.Info("configuration changed", "connection_type", m.Config.ConnectionType,
			"statistics_interval_seconds", m.Config.StatisticsIntervalSeconds)
		if (oldType == "standby") != (m.Config.ConnectionType == "standby") {
			return errModeChanged
		}
	case agentproto.MsgUninstall:
		reason := "the appliance asked the agent to uninstall"
		if m.Reason != "" {
			reason += ": " + m.Reason
		}
		return r.uninstallSelf(reason)
	case agentproto.MsgUpgrade:
		if m.Upgrade != nil {
			return r.upgrade(ctx, sess, *m.Upgrade)
		}
	case agentproto.MsgWake:
		if m.Wake != nil {
			r.wake(ctx, *m.Wake)
		}
	case agentproto.MsgSession:
		if m.Session != nil {
			r.sessions.Update(*m.Session)
		}
	default:
		// Newer appliances may send more; ignoring them keeps old agents
		// working.
		r.log.Debug("ignoring unknown control message", "type", m.Type)
	}
	return nil
}

// report sends the selected statistics and the presence.
func (r *runner) report(sess *conn.Session) error {
	stats := r.sampler.Sample(r.st.Config.Statistics)
	stats.ReportedAt = r.cfg.Now().UTC()
	return sess.Control.Send(agentproto.Control{Type: agentproto.MsgReport, Report: &agentproto.Report{
		Stats:       stats,
		Presence:    host.Presence(),
		ConsoleUser: host.ConsoleUser(),
	}})
}

// upgrade applies an offered build and restarts into it. A build that
// fails to apply is logged and not retried for a while; the agent goes on
// with the version it has.
func (r *runner) upgrade(ctx context.Context, sess *conn.Session, u agentproto.Upgrade) error {
	if u.Version == api.Version {
		return nil
	}
	if p := r.st.Install.Platform; p != "" && u.Platform != p {
		r.log.Warn("ignoring an upgrade for another platform", "platform", u.Platform, "installed", p)
		return nil
	}
	if r.st.Install.Container {
		// The binary belongs to a container image: a new version is a new
		// image, deployed by whoever runs the container.
		if r.declinedUpgrade != u.SHA256 {
			r.declinedUpgrade = u.SHA256
			r.log.Info("not upgrading: this agent runs from a container image; deploy the image of the offered version", "version", api.Version, "offered", u.Version)
		}
		return nil
	}
	if at, ok := r.failedUpgrades[u.SHA256]; ok && r.cfg.Now().Sub(at) < upgradeRetryAfter {
		return nil
	}
	r.log.Info("upgrading", "from", api.Version, "to", u.Version, "size", u.Size)
	if err := upgrade.Apply(ctx, sess, r.cfg.Dir, r.cfg.Exe, u, ed25519.PublicKey(r.st.SigningKey)); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		r.failedUpgrades[u.SHA256] = r.cfg.Now()
		r.log.Error("upgrade failed; keeping the current version", "to", u.Version, "err", err)
		return nil
	}
	r.st.Version = u.Version
	if err := r.save(); err != nil {
		r.log.Error("could not record the new version", "err", err)
	}
	r.log.Info("upgraded; restarting", "version", u.Version)
	sess.Close()
	if err := r.cfg.restart(r.cfg.Exe, os.Args); err != nil {
		// The binary on disk is already the new one; exiting lets the
		// service manager start it.
		return fatal(fmt.Errorf("upgraded to %s but could not restart: %w", u.Version, err))
	}
	return ErrRestarted
}

// wake broadcasts a Wake-on-LAN packet for a peer.
func (r *runner) wake(ctx context.Context, w agentproto.Wake) {
	pkt, err := wol.MagicPacket(w.MAC, w.Password)
	if err != nil {
		r.log.Warn("cannot wake a peer", "err", err)
		return
	}
	if err := wol.Send(ctx, pkt, r.cfg.WOLAddrs); err != nil {
		r.log.Warn("wake-on-lan failed", "mac", w.MAC, "err", err)
		return
	}
	r.log.Info("sent wake-on-lan", "mac", w.MAC, "to", r.cfg.WOLAddrs)
}

// NotifyUninstall tells the appliance that the agent in cfg.Dir is being
// uninstalled locally. It returns ErrUninstallRestricted when the
// appliance refuses (restrict_local_uninstall), or when the appliance
// cannot be asked and the cached configuration says uninstalls are
// restricted; otherwise nil, and the caller goes on to remove the install.
func NotifyUninstall(ctx context.Context, cfg Config) error {
	r, err := newRunner(cfg)
	if err != nil {
		return err
	}
	if !r.st.Enrolled() {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, notifyTimeout)
	defer cancel()
	sess, err := r.connect(ctx, agentproto.IntentUninstall)
	if err == nil {
		sess.Close()
		r.log.Info("told the appliance about the uninstall")
		return nil
	}
	var re *conn.RefusedError
	if errors.As(err, &re) {
		switch re.Refused.Code {
		case agentproto.RefusedUninstallRestricted:
			return ErrUninstallRestricted
		case agentproto.RefusedDeleted:
			return nil
		}
	}
	if r.st.Config.RestrictLocalUninstall {
		r.log.Warn("could not ask the appliance; the last known settings restrict local uninstall", "err", err)
		return ErrUninstallRestricted
	}
	r.log.Warn("could not tell the appliance about the uninstall; it will show the client offline", "err", err)
	return nil
}

// uninstallSelf removes the install and returns ErrUninstalled.
func (r *runner) uninstallSelf(reason string) error {
	r.log.Warn("uninstalling", "reason", reason)
	r.removed = true
	if err := state.RemoveInstall(r.st); err != nil {
		r.log.Error("could not remove the install", "err", err)
		return fmt.Errorf("%w (%s), but removing the install failed: %w", ErrUninstalled, reason, err)
	}
	return fmt.Errorf("%w: %s", ErrUninstalled, reason)
}

// contact records that the appliance was reached now; force writes it at
// once, else at most every lastContactSaveEvery.
func (r *runner) contact(force bool) {
	now := r.cfg.Now().UTC()
	r.st.LastContact = now
	if !force && now.Sub(r.savedContact) < lastContactSaveEvery {
		return
	}
	if err := r.save(); err != nil {
		r.log.Error("could not save agent state", "err", err)
		return
	}
	r.savedContact = now
}

func (r *runner) save() error {
	if r.removed {
		return nil
	}
	return r.st.Save(r.cfg.Dir)
}

func (r *runner) keyExpired() bool {
	return !r.st.KeyExpires.IsZero() && !r.cfg.Now().Before(r.st.KeyExpires)
}

func (r *runner) offlineTooLong() bool {
	m := r.st.Config.UninstallAfterOfflineMinutes
	return m > 0 && !r.st.LastContact.IsZero() &&
		r.cfg.Now().Sub(r.st.LastContact) > time.Duration(m)*r.cfg.minute
}

func (r *runner) reportInterval() time.Duration {
	s := r.st.Config.StatisticsIntervalSeconds
	if s <= 0 {
		return defaultStatisticsInterval
	}
	return time.Duration(s) * time.Second
}

func (r *runner) facts() agentproto.Facts {
	mode := ""
	switch r.st.Install.Scope {
	case "system":
		mode = host.InstallModeService
	case "user":
		mode = host.InstallModeUser
	}
	applianceHost := ""
	if u, err := url.Parse(r.st.URL); err == nil {
		applianceHost = u.Host
	}
	f := host.Facts(mode, r.st.Install.Platform, applianceHost)
	f.Headless = r.st.Install.Headless
	return f
}

func (r *runner) kindName() string {
	if r.st.Kind == agentproto.KindJumpoint {
		return "jumpoint"
	}
	return "jump client"
}

// sleep waits d or until ctx ends; false means ctx ended.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
