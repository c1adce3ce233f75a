package broker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"gorm.io/gorm"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/api/sessionproto"
	"github.com/jumpgate/jumpgate/appliance/internal/audit"
	"github.com/jumpgate/jumpgate/appliance/internal/auth"
	"github.com/jumpgate/jumpgate/appliance/internal/problem"
)

// live is a session in progress (prompting or active). Its fields are
// guarded by Broker.mu.
type live struct {
	rec Record
	// agentKind/agentID address the endpoint's agent: a Jump Client, or a
	// customer client (whose id is the session's); tunnel jumps go to the
	// nodes of rec.JumpointID.
	agentKind string
	agentID   int64

	participants map[int64]bool // user ids that may connect
	channels     map[*channel]struct{}
	lastChannel  time.Time
	lastState    time.Time
	streams      map[io.Closer]struct{}
	tunnelsOpen  int
	stats        map[int]*tunnelStat
	rr           int

	idle      time.Duration
	idleTimer *time.Timer
	timers    []*time.Timer
	promptExp time.Time
	onTimeout string
	// windowEnd is a strict schedule's end: a session that starts after a
	// prompt ends there too.
	windowEnd  time.Time
	notifyURL  string
	notifyEnd  bool
	tunnelLog  *tunnelLog
	ended      bool
	endedEvent *sessionproto.Event
}

func (b *Broker) newLive(rec *Record) *live {
	now := b.now()
	l := &live{rec: *rec, participants: map[int64]bool{rec.UserID: true}, channels: map[*channel]struct{}{},
		streams: map[io.Closer]struct{}{}, stats: map[int]*tunnelStat{}, lastChannel: now, lastState: now}
	switch rec.ItemType {
	case api.ItemJumpClient:
		l.agentKind, l.agentID = agentproto.KindJumpClient, rec.ItemID
	case api.ItemCustomerClient:
		l.agentKind, l.agentID = agentproto.KindCustomer, rec.ID
	}
	return l
}

// start records a session that passed every check and starts it, or
// prompts the end user.
func (b *Broker) start(ctx context.Context, p auth.Principal, it *item, rec *Record, d *decision) (*api.Session, error) {
	now := b.now().UTC()
	rec.Mode = d.mode
	rec.Recording, rec.RecordTunnel = d.recording, d.recTunnel
	prompting := d.mode == api.ModeConsent && d.automatic == ""
	rejected := d.mode == api.ModeConsent && d.automatic == api.AutomaticReject
	switch {
	case rejected:
		rec.Status, rec.RefusedReason = api.SessionRefused, api.RefusedConsentRejected
		rec.Detail = "the endpoint is headless and its public portal's automatic behaviour rejects sessions that need consent"
	case prompting:
		rec.Status = api.SessionPrompting
	default:
		rec.Status = api.SessionActive
		rec.StartedAt = &now
		ends := d.endsAt
		rec.EndsAt = &ends
	}
	var promptExp time.Time
	if prompting {
		promptExp = now.Add(b.seconds(d.sp.PromptTimeoutSeconds))
	}
	err := b.db.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(rec).Error; err != nil {
			return err
		}
		if err := tx.Create(&Participant{SessionID: rec.ID, UserID: p.UserID, Username: p.Username, JoinedAt: now}).Error; err != nil {
			return err
		}
		if err := audit.WriteEvent(ctx, tx, ActRequested, ObjectSession, rec.ID, rec.ItemName, requestDetails(rec)); err != nil {
			return err
		}
		if d.mode == api.ModeConsent {
			det := map[string]any{"timeout_seconds": d.sp.PromptTimeoutSeconds, "on_timeout": d.sp.OnTimeout}
			if d.automatic != "" {
				det["automatic_behavior"] = d.automatic
			}
			if err := audit.WriteEvent(ctx, tx, ActPrompted, ObjectSession, rec.ID, rec.ItemName, det); err != nil {
				return err
			}
			switch d.automatic {
			case api.AutomaticAccept:
				if err := audit.WriteEvent(ctx, tx, ActAccepted, ObjectSession, rec.ID, rec.ItemName, map[string]any{"by": "automatic (headless endpoint)"}); err != nil {
					return err
				}
			case api.AutomaticReject:
				if err := audit.WriteEvent(ctx, tx, ActRejected, ObjectSession, rec.ID, rec.ItemName, map[string]any{"by": "automatic (headless endpoint)"}); err != nil {
					return err
				}
				return audit.WriteEvent(ctx, tx, ActRefused, ObjectSession, rec.ID, rec.ItemName, map[string]any{"reason": rec.RefusedReason, "detail": rec.Detail})
			}
		}
		if rec.Status == api.SessionActive {
			return audit.WriteEvent(ctx, tx, ActStarted, ObjectSession, rec.ID, rec.ItemName, startDetails(rec))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if rejected {
		return nil, &problem.Refused{Reason: rec.RefusedReason, Detail: rec.Detail, SessionID: rec.ID}
	}
	l := b.newLive(rec)
	l.idle = b.minutes(d.sp.IdleTimeoutMinutes)
	l.onTimeout = d.sp.OnTimeout
	l.windowEnd = d.windowEnd
	if d.jp != nil {
		l.notifyURL = d.jp.NotificationWebhookURL
		l.notifyEnd = d.jp.SessionEndNotification
		if !d.jp.SessionStartNotification && !d.jp.SessionEndNotification {
			l.notifyURL = ""
		}
	}
	b.mu.Lock()
	b.live[rec.ID] = l
	if prompting {
		l.promptExp = promptExp
		l.timers = append(l.timers, time.AfterFunc(promptExp.Sub(b.now()), func() { b.promptTimedOut(rec.ID) }))
	} else {
		b.armLocked(l)
	}
	b.mu.Unlock()
	if prompting {
		b.publish(l, "", "")
	} else {
		b.started(l, d.jp != nil && d.jp.SessionStartNotification)
	}
	return b.Get(ctx, rec.ID)
}

func startDetails(rec *Record) map[string]any {
	d := map[string]any{"mode": rec.Mode, "permissions": rec.Permissions, "recording": rec.Recording}
	if rec.EndsAt != nil {
		d["ends_at"] = rec.EndsAt.UTC().Format(time.RFC3339)
	}
	if rec.SessionPolicyID != nil {
		d["session_policy_id"] = *rec.SessionPolicyID
	} else {
		d["session_policy"] = "builtin-default"
	}
	if rec.JumpPolicyID != nil {
		d["jump_policy_id"] = *rec.JumpPolicyID
	}
	if rec.CustomerPresent != nil {
		d["customer_present"] = *rec.CustomerPresent
	}
	return d
}

// started tells the endpoint and the webhook that l is active.
func (b *Broker) started(l *live, notifyStart bool) {
	b.publish(l, sessionproto.EventState, "")
	b.sessionEvent(l, api.EventSessionStarted)
	if notifyStart && l.notifyURL != "" {
		if s, err := b.Get(context.Background(), l.rec.ID); err == nil {
			b.notify(l.notifyURL, "session.started", s)
		}
	}
}

// armLocked starts l's end and warning timers and its idle timer.
func (b *Broker) armLocked(l *live) {
	if l.rec.EndsAt == nil {
		return
	}
	id := l.rec.ID
	left := l.rec.EndsAt.Sub(b.now())
	reason := api.EndMaxDuration
	if !l.windowEnd.IsZero() && l.rec.EndsAt.Equal(l.windowEnd) {
		reason = api.EndScheduleEnd
	}
	l.timers = append(l.timers, time.AfterFunc(left, func() {
		ctx := auth.WithPrincipal(context.Background(), auth.System)
		msg := "the session reached its maximum duration"
		if reason == api.EndScheduleEnd {
			msg = "the jump policy's schedule window closed"
		}
		b.End(ctx, id, api.EndedBySystem, reason, msg)
	}))
	for _, before := range []time.Duration{5 * b.cfg.Minute, b.cfg.Minute} {
		if left > before {
			mins := int(before / b.cfg.Minute)
			l.timers = append(l.timers, time.AfterFunc(left-before, func() { b.warn(id, mins) }))
		}
	}
	b.idleLocked(l)
}

// idleLocked (re)arms the idle timer when l has no stream open.
func (b *Broker) idleLocked(l *live) {
	if l.idle <= 0 {
		return
	}
	if l.idleTimer != nil {
		l.idleTimer.Stop()
		l.idleTimer = nil
	}
	if len(l.streams) > 0 {
		return
	}
	id := l.rec.ID
	l.idleTimer = time.AfterFunc(l.idle, func() {
		ctx := auth.WithPrincipal(context.Background(), auth.System)
		b.End(ctx, id, api.EndedBySystem, api.EndIdle, "no stream was open for the session policy's idle timeout")
	})
}

func (b *Broker) warn(id int64, mins int) {
	b.mu.Lock()
	l := b.live[id]
	b.mu.Unlock()
	if l == nil {
		return
	}
	msg := fmt.Sprintf("the session ends in %d minute(s)", mins)
	ctx := auth.WithPrincipal(context.Background(), auth.System)
	_ = b.db.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return audit.WriteEvent(ctx, tx, ActWarning, ObjectSession, id, l.rec.ItemName, map[string]any{"message": msg})
	})
	b.publish(l, sessionproto.EventWarning, msg)
}

// join adds p to another user's session (simultaneous jumps "join").
func (b *Broker) join(ctx context.Context, p auth.Principal, l *live) (*api.Session, error) {
	now := b.now().UTC()
	id := l.rec.ID
	err := b.db.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&Participant{SessionID: id, UserID: p.UserID, Username: p.Username, JoinedAt: now}).Error; err != nil {
			return err
		}
		return audit.WriteEvent(ctx, tx, ActJoined, ObjectSession, id, l.rec.ItemName, map[string]any{"user": p.Username})
	})
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	l.participants[p.UserID] = true
	b.mu.Unlock()
	b.publish(l, sessionproto.EventNotice, p.Username+" joined the session")
	return b.Get(ctx, id)
}

// End ends a live session: it is recorded (audited) first, then the
// endpoint and the representatives are told and every stream is cut. by is
// a username, api.EndedByEndUser or api.EndedBySystem.
func (b *Broker) End(ctx context.Context, id int64, by, reason, detail string) bool {
	b.mu.Lock()
	l := b.live[id]
	if l == nil || l.ended {
		b.mu.Unlock()
		return false
	}
	l.ended = true
	delete(b.live, id)
	for _, t := range l.timers {
		t.Stop()
	}
	if l.idleTimer != nil {
		l.idleTimer.Stop()
	}
	rec := l.rec
	rec.Tunnels = statsOf(l)
	b.mu.Unlock()

	now := b.now().UTC()
	if err := b.finish(ctx, &rec, now, by, reason, detail); err != nil {
		b.log.Error("could not record the end of a session", "session", id, "err", err)
	}
	b.mu.Lock()
	status := api.SessionEnded
	if rec.Status == api.SessionPrompting && reason != api.EndUser && reason != api.EndEndUser {
		status = api.SessionRefused
	}
	l.rec.Status, l.rec.EndedAt, l.rec.EndedBy, l.rec.EndReason = status, &now, by, reason
	chans := make([]*channel, 0, len(l.channels))
	for c := range l.channels {
		chans = append(chans, c)
	}
	streams := make([]io.Closer, 0, len(l.streams))
	for s := range l.streams {
		streams = append(streams, s)
	}
	b.mu.Unlock()
	b.publish(l, sessionproto.EventEnded, detail)
	b.sessionEvent(l, api.EventSessionEnded)
	for _, s := range streams {
		_ = s.Close()
	}
	for _, c := range chans {
		c.close()
	}
	if l.tunnelLog != nil {
		l.tunnelLog.finish(b)
	}
	if l.notifyEnd && l.notifyURL != "" {
		if s, err := b.Get(context.Background(), id); err == nil {
			b.notify(l.notifyURL, "session.ended", s)
		}
	}
	return true
}

// finish writes the end of rec.
func (b *Broker) finish(ctx context.Context, rec *Record, now time.Time, by, reason, detail string) error {
	status := api.SessionEnded
	if rec.Status == api.SessionPrompting && reason != api.EndUser && reason != api.EndEndUser {
		status = api.SessionRefused
	}
	return b.db.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		upd := map[string]any{"status": status, "ended_at": now, "ended_by": by, "end_reason": reason,
			"detail": clip(detail, 1024), "tunnels": jsonText(rec.Tunnels), "control_revoked": rec.ControlRevoked}
		if err := tx.Model(&Record{}).Where("id = ?", rec.ID).Updates(upd).Error; err != nil {
			return err
		}
		if err := tx.Model(&Participant{}).Where("session_id = ? AND left_at IS NULL", rec.ID).Update("left_at", now).Error; err != nil {
			return err
		}
		return audit.WriteEvent(ctx, tx, ActEnded, ObjectSession, rec.ID, rec.ItemName, map[string]any{"ended_by": by, "reason": reason, "detail": detail})
	})
}

// publish sends l's state to its representatives (event typ, "" for none)
// and to the endpoint.
func (b *Broker) publish(l *live, typ, msg string) {
	b.mu.Lock()
	ev := b.eventLocked(l, typ, msg)
	info := b.infoLocked(l, msg)
	chans := make([]*channel, 0, len(l.channels))
	for c := range l.channels {
		chans = append(chans, c)
	}
	kind, id, jumpoint := l.agentKind, l.agentID, l.rec.JumpointID
	if typ == sessionproto.EventEnded {
		l.endedEvent = &ev
	}
	b.mu.Unlock()
	if typ != "" {
		for _, c := range chans {
			c.send(ev)
		}
	}
	m := agentproto.Control{Type: agentproto.MsgSession, Session: &info}
	switch {
	case kind != "":
		_ = b.hub.Send(kind, id, m)
	case jumpoint != 0:
		for _, n := range b.hub.JumpointNodes(jumpoint) {
			_ = b.hub.Send(agentproto.KindJumpoint, n, m)
		}
	}
}

func (b *Broker) eventLocked(l *live, typ, msg string) sessionproto.Event {
	ev := sessionproto.Event{Type: typ, Session: l.rec.ID, Status: l.rec.Status, EndsAt: l.rec.EndsAt,
		ControlRevoked: l.rec.ControlRevoked, Message: msg, EndReason: l.rec.EndReason, EndedBy: l.rec.EndedBy}
	if l.rec.EndsAt != nil && l.rec.Status == api.SessionActive {
		ev.RemainingSeconds = int64(max(l.rec.EndsAt.Sub(b.now()), 0) / time.Second)
	}
	if typ == sessionproto.EventState {
		perm := l.rec.Permissions
		ev.Permissions = &perm
	}
	if l.rec.Status == api.SessionPrompting && !l.promptExp.IsZero() {
		exp := l.promptExp
		ev.PromptExpiresAt = &exp
	}
	ev.RefusedReason = l.rec.RefusedReason
	return ev
}

func (b *Broker) infoLocked(l *live, msg string) agentproto.SessionInfo {
	info := agentproto.SessionInfo{ID: l.rec.ID, Status: l.rec.Status, Mode: l.rec.Mode, Representative: l.rec.Username,
		ItemName: l.rec.ItemName, Permissions: l.rec.Permissions, Recording: l.rec.Recording, EndsAt: l.rec.EndsAt,
		ControlRevoked: l.rec.ControlRevoked, EndReason: l.rec.EndReason, Message: msg}
	if l.rec.Status == api.SessionPrompting {
		info.Prompt = &agentproto.Prompt{ExpiresAt: l.promptExp, OnTimeout: l.onTimeout,
			Message: fmt.Sprintf("%s asks to connect to this computer (%s). Allow?", l.rec.Username, l.rec.ItemName)}
	}
	return info
}

// answer applies the end user's answer to a prompt, or the timeout.
func (b *Broker) answer(id int64, accept bool, action, by string) {
	b.mu.Lock()
	l := b.live[id]
	if l == nil || l.rec.Status != api.SessionPrompting {
		b.mu.Unlock()
		return
	}
	now := b.now().UTC()
	if accept {
		sp, err := b.sessionPolicy(context.Background(), l.rec.SessionPolicyID)
		if err != nil {
			b.mu.Unlock()
			b.log.Error("load session policy", "session", id, "err", err)
			return
		}
		l.rec.Status, l.rec.StartedAt = api.SessionActive, &now
		ends := now.Add(b.minutes(sp.MaxSessionMinutes))
		if !l.windowEnd.IsZero() && l.windowEnd.Before(ends) {
			ends = l.windowEnd
		}
		l.rec.EndsAt = &ends
	}
	for _, t := range l.timers {
		t.Stop()
	}
	l.timers = nil
	rec := l.rec
	b.mu.Unlock()

	ctx := auth.WithPrincipal(context.Background(), auth.System)
	det := map[string]any{"by": by}
	err := b.db.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := audit.WriteEvent(ctx, tx, action, ObjectSession, id, rec.ItemName, det); err != nil {
			return err
		}
		if !accept {
			return nil
		}
		if err := tx.Model(&Record{}).Where("id = ?", id).Updates(map[string]any{"status": api.SessionActive, "started_at": now, "ends_at": *rec.EndsAt}).Error; err != nil {
			return err
		}
		return audit.WriteEvent(ctx, tx, ActStarted, ObjectSession, id, rec.ItemName, startDetails(&rec))
	})
	if err != nil {
		b.log.Error("could not record a consent answer", "session", id, "err", err)
	}
	if !accept {
		reason, detail := api.RefusedConsentRejected, "the end user rejected the session"
		if action == ActPromptTimedOut {
			reason, detail = api.RefusedConsentTimedOut, "nobody answered the consent prompt in time and the session policy's on_timeout is deny"
		}
		b.mu.Lock()
		if cur := b.live[id]; cur != nil {
			cur.rec.RefusedReason = reason
		}
		b.mu.Unlock()
		_ = b.db.W.WithContext(ctx).Model(&Record{}).Where("id = ?", id).Updates(map[string]any{"refused_reason": reason}).Error
		_ = b.event(ctx, rec, ActRefused, map[string]any{"reason": reason, "detail": detail})
		by := api.EndedByEndUser
		if action == ActPromptTimedOut {
			by = api.EndedBySystem
		}
		b.End(ctx, id, by, reason, detail)
		return
	}
	b.mu.Lock()
	if cur := b.live[id]; cur != nil {
		b.armLocked(cur)
	}
	b.mu.Unlock()
	notifyStart := false
	if rec.JumpPolicyID != nil {
		var on struct{ SessionStartNotification bool }
		_ = b.db.R.Table("jump_policies").Select("session_start_notification").Where("id = ?", *rec.JumpPolicyID).Take(&on).Error
		notifyStart = on.SessionStartNotification
	}
	b.started(l, notifyStart)
}

func (b *Broker) promptTimedOut(id int64) {
	b.mu.Lock()
	l := b.live[id]
	on := ""
	if l != nil {
		on = l.onTimeout
	}
	b.mu.Unlock()
	if l == nil {
		return
	}
	b.answer(id, on == "accept", ActPromptTimedOut, "timeout (on_timeout "+on+")")
}

// setControl records the end user revoking or restoring control.
func (b *Broker) setControl(id int64, revoked bool, by string) {
	b.mu.Lock()
	l := b.live[id]
	if l == nil || l.rec.Status != api.SessionActive || l.rec.ControlRevoked == revoked {
		b.mu.Unlock()
		return
	}
	l.rec.ControlRevoked = revoked
	name := l.rec.ItemName
	b.mu.Unlock()
	action, msg := ActControlRestored, "the end user gave control back"
	if revoked {
		action, msg = ActControlRevoked, "the end user revoked control: input is blocked, the session stays open"
	}
	ctx := auth.WithPrincipal(context.Background(), auth.System)
	err := b.db.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&Record{}).Where("id = ?", id).Update("control_revoked", revoked).Error; err != nil {
			return err
		}
		return audit.WriteEvent(ctx, tx, action, ObjectSession, id, name, map[string]any{"by": by})
	})
	if err != nil {
		b.log.Error("could not record a control change", "session", id, "err", err)
	}
	b.publish(l, sessionproto.EventNotice, msg)
}

// liveSession returns the live session id, if any.
func (b *Broker) liveSession(id int64) (*live, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	l := b.live[id]
	if l == nil {
		return nil, errNoSession
	}
	return l, nil
}

var _ = errors.New

// sessionEvent tells the live status stream that l started or ended.
func (b *Broker) sessionEvent(l *live, name string) {
	if b.cfg.Events == nil {
		return
	}
	b.mu.Lock()
	users := make([]int64, 0, len(l.participants)+1)
	users = append(users, l.rec.UserID)
	for uid := range l.participants {
		users = append(users, uid)
	}
	status := l.rec.Status
	b.mu.Unlock()
	b.cfg.Events.Session(name, l.rec.ID, status, users)
}
