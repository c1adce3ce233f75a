package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/sessionproto"
	"github.com/jumpgate/jumpgate/cli/internal/channel"
)

// endTimeout bounds the best-effort end of an auto_end session when the
// command finishes (the command's context may be over by then).
const endTimeout = 5 * time.Second

// settleTimeout bounds the wait for the control stream's last events when
// a job failed in a way the session's end may explain.
const settleTimeout = time.Second

// defaultPromptTimeout is a session policy's prompt_timeout_seconds default.
const defaultPromptTimeout = api.DefaultPromptTimeoutSeconds * time.Second

// sessionFlags are the flags of every command that works in a session.
type sessionFlags struct {
	sessionID int64
	ticket    string
	mode      string
	reason    string
}

// addSessionFlags registers the session flags on cmd. The session mode is
// --mode, except on 'files put', where --mode is the file's and the
// session's is --session-mode.
func addSessionFlags(cmd *cobra.Command, sf *sessionFlags) {
	fl := cmd.Flags()
	modeFlag := "mode"
	if fl.Lookup("mode") != nil {
		modeFlag = "session-mode"
	}
	fl.Int64Var(&sf.sessionID, "session", 0, "work in this existing session (e.g. an access-code session) instead of starting one; leave out the item argument")
	fl.StringVar(&sf.ticket, "ticket", "", "ticket ID, for Jump Policies that require one")
	fl.StringVar(&sf.mode, modeFlag, "", "unattended (refused if the session policy prompts) or consent (ask the end user); default: the session policy decides")
	fl.StringVar(&sf.reason, "reason", "", "why you start the session; kept with it and shown to approvers")
}

// check validates the flags; the item argument is given unless --session
// is.
func (sf *sessionFlags) check() error {
	switch sf.mode {
	case "", api.ModeUnattended, api.ModeConsent:
	default:
		return fmt.Errorf("--mode %q: want unattended or consent", sf.mode)
	}
	if sf.sessionID < 0 {
		return errors.New("--session must be a session id")
	}
	if sf.sessionID > 0 && (sf.ticket != "" || sf.mode != "" || sf.reason != "") {
		return errors.New("--ticket, --mode and --reason apply when starting a session, not with --session")
	}
	return nil
}

// splitItemArg separates the item argument from the others: without
// --session it is the first, with --session there is none.
func (sf *sessionFlags) splitItemArg(args []string, min, max int, usage string) (string, []string, error) {
	if sf.sessionID > 0 {
		if len(args) < min || len(args) > max {
			return "", nil, fmt.Errorf("with --session the arguments are: %s (leave out the item)", usage)
		}
		return "", args, nil
	}
	if len(args) < min+1 || len(args) > max+1 {
		if len(args) == 0 {
			return "", nil, errors.New("name an item (e.g. client:12, a name or an id), or pass --session ID")
		}
		return "", nil, fmt.Errorf("want the item, then %s", usage)
	}
	return args[0], args[1:], nil
}

// liveSession is the session a command works in and its channel.
type liveSession struct {
	c *api.Client
	s *api.Session
	// item is the Jump Item when the command named one.
	item *item
	ch   *channel.Channel
	// owned sessions were started by this command (auto_end): it ends them.
	owned bool
	out   *notifier
}

// sessionJob is what a command does in a session.
type sessionJob struct {
	// itemArg names the item; empty with --session.
	itemArg string
	// allowed is the kind of item the command works on: refClient,
	// refTunnel or "" for either.
	allowed string
	// prepare, when set, runs once the item (or --session's session) is
	// known and before a session starts, so that local failures (a port
	// in use) cost no session.
	prepare func(ctx context.Context, ls *liveSession) error
	// run works in the active session. Its context ends when the session
	// ends remotely.
	run func(ctx context.Context, ls *liveSession) error
}

// inSession starts a session on the job's item, or joins --session, waits
// until it is active and runs the job in it. When the session ends
// remotely the error is the end's. The session is ended when the job
// returns if this command started it.
func (e env) inSession(ctx context.Context, f *connFlags, sf *sessionFlags, job sessionJob) (err error) {
	if err := sf.check(); err != nil {
		return err
	}
	c, err := e.client(f)
	if err != nil {
		return err
	}
	ls := &liveSession{c: c, out: newNotifier(e.stderr)}
	if sf.sessionID > 0 {
		if ls.s, err = c.GetSession(ctx, sf.sessionID); err != nil {
			return err
		}
		if ls.s.Status == api.SessionEnded || ls.s.Status == api.SessionRefused {
			return fmt.Errorf("session %d is %s", ls.s.ID, ls.s.Status)
		}
		if job.allowed == refClient && ls.s.ItemType == api.ItemProtocolTunnelJump {
			return fmt.Errorf("session %d is on a protocol tunnel jump; this command needs a session on a jump client", ls.s.ID)
		}
	} else {
		ref, err := parseItemRef(job.itemArg)
		if err != nil {
			return err
		}
		if ls.item, err = resolveItem(ctx, c, ref, job.allowed); err != nil {
			return err
		}
	}
	if job.prepare != nil {
		if err := job.prepare(ctx, ls); err != nil {
			return err
		}
	}
	if ls.s == nil {
		ls.s, err = c.StartSession(ctx, &api.SessionRequest{
			ItemType: ls.item.typ, ItemID: ls.item.id, Mode: sf.mode, TicketID: sf.ticket, Reason: sf.reason, AutoEnd: true,
		})
		if err != nil {
			return sessionError(err)
		}
		// A session handed back by simultaneous jumps "join" is another
		// representative's: leaving it must not end it.
		if me, err := c.WhoAmI(ctx); err == nil && me.UserID == ls.s.UserID {
			ls.owned = true
		}
	}
	defer ls.finish(ctx)

	if ls.ch, err = channel.Dial(ctx, c, ls.s.ID); err != nil {
		return err
	}
	if err := ls.waitActive(ctx, e.promptDeadline(ctx, c, ls.s)); err != nil {
		return interrupted(ctx, err)
	}
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stopWatch, watched := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(watched)
		ls.watch(stopWatch, cancel)
	}()
	err = job.run(runCtx, ls)
	if err != nil && mayBeTheEnd(ctx, err) {
		// A stream cut by the session's end can beat the ended event to
		// us; the appliance closes the channel right after it.
		t := time.NewTimer(settleTimeout)
		select {
		case <-ls.ch.ControlDone():
		case <-t.C:
		}
		t.Stop()
	}
	select {
	case <-ls.ch.ControlDone():
		// Every event is in: let watch print the last warnings.
	default:
		close(stopWatch)
	}
	<-watched
	if err == nil {
		// The job got to its end; a session ending after that is no failure.
		return nil
	}
	if ended := ls.ch.Ended(); ended != nil {
		return endedError(*ended)
	}
	if cause := context.Cause(runCtx); cause != nil && ctx.Err() == nil && !errors.Is(cause, context.Canceled) {
		return cause
	}
	return interrupted(ctx, err)
}

// mayBeTheEnd reports whether a job's error may come from the session
// ending rather than from the job: not a refusal, an exit status or the
// user's interrupt.
func mayBeTheEnd(ctx context.Context, err error) bool {
	var refused *sessionproto.RefusedError
	var exit *exitError
	return ctx.Err() == nil && !errors.As(err, &refused) && !errors.As(err, &exit)
}

// interrupted names an error caused by the user's Ctrl-C or SIGTERM.
func interrupted(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return errors.New("interrupted")
	}
	return err
}

// finish ends the session if this command started it, then closes the
// channel. Closing the channel of an auto_end session ends it too, but as
// "client_disconnected"; ending it first records that the representative
// ended it.
func (ls *liveSession) finish(ctx context.Context) {
	if ls.owned && (ls.ch == nil || ls.ch.Ended() == nil) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), endTimeout)
		_, _ = ls.c.EndSession(ctx, ls.s.ID, &api.SessionEnd{Reason: "the jumpgate command finished"})
		cancel()
	}
	if ls.ch != nil {
		ls.ch.Close()
	}
}

// promptDeadline is when the end user's prompt of s times out, as far as
// the session policy tells (zero when it cannot be read).
func (e env) promptDeadline(ctx context.Context, c *api.Client, s *api.Session) time.Time {
	if s.Status != api.SessionPrompting {
		return time.Time{}
	}
	timeout := defaultPromptTimeout
	if s.SessionPolicyID != nil {
		p, err := c.GetSessionPolicy(ctx, *s.SessionPolicyID)
		if err != nil {
			return time.Time{}
		}
		if p.PromptTimeoutSeconds > 0 {
			timeout = time.Duration(p.PromptTimeoutSeconds) * time.Second
		}
	}
	return s.RequestedAt.Add(timeout)
}

// waitActive reads the control stream until the session is active,
// printing the wait for the end user's answer and any warnings.
func (ls *liveSession) waitActive(ctx context.Context, promptDeadline time.Time) error {
	waiting := false
	wait := func() {
		if waiting {
			return
		}
		waiting = true
		if promptDeadline.IsZero() {
			ls.out.printf("waiting for the end user to accept…")
			return
		}
		ls.out.printf("waiting for the end user to accept (times out at %s)…", promptDeadline.Local().Format(time.TimeOnly))
	}
	if ls.s.Status == api.SessionPrompting {
		wait()
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev, ok := <-ls.ch.Events():
			if !ok {
				return ls.lost()
			}
			switch ev.Type {
			case sessionproto.EventState:
				switch ev.Status {
				case api.SessionActive:
					return nil
				case api.SessionPrompting:
					wait()
				case api.SessionRefused, api.SessionEnded:
					return endedError(ev)
				}
			case sessionproto.EventWarning, sessionproto.EventNotice:
				ls.out.printf("%s", ev.Message)
			case sessionproto.EventEnded:
				return endedError(ev)
			}
		}
	}
}

// watch prints the control stream's warnings and notices while the job
// runs, and cancels it with the reason when the session ends or the
// channel is lost. It returns when stop is closed or the events end.
func (ls *liveSession) watch(stop <-chan struct{}, cancel context.CancelCauseFunc) {
	for {
		select {
		case <-stop:
			return
		case ev, ok := <-ls.ch.Events():
			if !ok {
				if ended := ls.ch.Ended(); ended != nil {
					cancel(endedError(*ended))
				} else {
					cancel(ls.lost())
				}
				return
			}
			switch ev.Type {
			case sessionproto.EventWarning:
				ls.out.printf("warning: %s", ev.Message)
			case sessionproto.EventNotice:
				ls.out.printf("%s", ev.Message)
			case sessionproto.EventState:
				if ev.Status == api.SessionEnded || ev.Status == api.SessionRefused {
					cancel(endedError(ev))
				}
			case sessionproto.EventEnded:
				cancel(endedError(ev))
			}
		}
	}
}

// lost explains a control stream that stopped without an ended event.
func (ls *liveSession) lost() error {
	if err := ls.ch.Err(); err != nil {
		return fmt.Errorf("lost the connection to session %d: %w", ls.s.ID, err)
	}
	return fmt.Errorf("lost the connection to session %d", ls.s.ID)
}

// sessionEndedError is a session that ended (or was refused) while the
// command waited or worked in it.
type sessionEndedError struct{ ev sessionproto.Event }

func endedError(ev sessionproto.Event) error { return &sessionEndedError{ev: ev} }

func (e *sessionEndedError) Error() string {
	ev := e.ev
	// policy_expired is both a refusal and an end reason: an ended event of
	// an active session is an end.
	if ev.Status == api.SessionRefused || (ev.Status != api.SessionActive && ev.Status != api.SessionEnded && isRefusal(ev.EndReason)) {
		msg := fmt.Sprintf("session %d refused", ev.Session)
		if ev.EndReason != "" {
			msg += " (" + ev.EndReason + ")"
		}
		if ev.Message != "" {
			msg += ": " + ev.Message
		}
		return msg
	}
	msg := fmt.Sprintf("session %d ended: %s", ev.Session, endText(ev.EndReason, ev.EndedBy))
	if ev.Message != "" && !strings.EqualFold(ev.Message, endText(ev.EndReason, ev.EndedBy)) {
		msg += " (" + ev.Message + ")"
	}
	return msg
}

// isRefusal reports whether a reason is a refusal code.
func isRefusal(reason string) bool {
	switch reason {
	case api.RefusedConsentRejected, api.RefusedConsentTimedOut, api.RefusedNoAccess, api.RefusedOutsideSchedule,
		api.RefusedPolicyExpired, api.RefusedSimultaneous, api.RefusedApprovalRequired, api.RefusedTicketRequired,
		api.RefusedTicketRejected, api.RefusedTicketCheckFailed, api.RefusedUnattendedDisabled, api.RefusedConsentRequired,
		api.RefusedPermission, api.RefusedEndpointOffline, api.RefusedJumpointUnavailable:
		return true
	}
	return false
}

// endText says why a session ended, in words.
func endText(reason, by string) string {
	switch reason {
	case api.EndUser:
		if by != "" && by != api.EndedBySystem {
			return "ended by " + by
		}
		return "ended by a representative"
	case api.EndEndUser:
		return "the end user ended it"
	case api.EndMaxDuration:
		return "it reached its maximum duration"
	case api.EndScheduleEnd:
		return "the Jump Policy's schedule window closed"
	case api.EndIdle:
		return "it was idle too long"
	case api.EndDisconnected:
		return "the representative's connection closed"
	case api.EndEndpointGone:
		return "the endpoint disconnected"
	case api.EndItemDeleted:
		return "the Jump Item was deleted"
	case api.EndApplianceStop:
		return "the appliance stopped"
	case api.EndRecordingError:
		return "its recording failed"
	case api.EndTokenRevoked:
		return "the API token of this connection was revoked"
	case api.EndTokenExpired:
		return "the API token of this connection expired"
	case api.EndUserDisabled:
		return "the user was disabled"
	case api.EndUserDeleted:
		return "the user was deleted"
	case api.EndAccessRemoved:
		return "the access to the Jump Item was removed"
	case api.EndPolicyChanged:
		return "the Jump Policy no longer allows it"
	case api.EndPolicyExpired:
		return "the Jump Policy expired"
	case "":
		return "no reason given"
	}
	return reason
}

// refusalError is a 403 session-refused problem, with a hint at the way
// out where there is one.
type refusalError struct{ p *api.Problem }

// sessionError turns a session-refused problem into a refusalError.
func sessionError(err error) error {
	var p *api.Problem
	if errors.As(err, &p) && p.Type == api.ProblemSessionRefused {
		return &refusalError{p: p}
	}
	return err
}

func (e *refusalError) Error() string {
	p := e.p
	msg := "session refused"
	if p.Reason != "" {
		msg += " (" + p.Reason + ")"
	}
	detail := p.Detail
	if detail == "" {
		detail = strings.ToLower(p.Title)
	}
	if detail != "" {
		msg += ": " + detail
	}
	if hint := refusalHint(p); hint != "" {
		msg += " — " + hint
	}
	return msg
}

func (e *refusalError) Unwrap() error { return e.p }

// refusalHint says what to do about a refusal, when something can be done.
func refusalHint(p *api.Problem) string {
	switch p.Reason {
	case api.RefusedApprovalRequired:
		if p.ApprovalID > 0 {
			return fmt.Sprintf("ask an approver to run 'jumpgate approvals grant %d', then run this again", p.ApprovalID)
		}
		return "ask an approver to grant your request ('jumpgate approvals list'), then run this again"
	case api.RefusedTicketRequired:
		return "pass --ticket ID"
	case api.RefusedConsentRequired, api.RefusedUnattendedDisabled:
		return "run again with --mode consent to ask the end user"
	}
	return ""
}

// notifier prints messages for the user on stderr, each on its own line,
// also while the terminal is raw (where a newline does not return the
// cursor).
type notifier struct {
	mu  sync.Mutex
	w   io.Writer
	raw func() bool
}

func newNotifier(w io.Writer) *notifier { return &notifier{w: w} }

// setRaw tells the notifier how to learn whether the terminal is raw; nil
// means it is not.
func (n *notifier) setRaw(raw func() bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.raw = raw
}

func (n *notifier) printf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.raw != nil && n.raw() {
		fmt.Fprint(n.w, "\r\njumpgate: "+msg+"\r\n")
		return
	}
	fmt.Fprintln(n.w, "jumpgate: "+msg)
}

// exitError makes the CLI exit with code, printing err (when not nil) as
// the usual one line.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }
