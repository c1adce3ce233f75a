package broker

// Revocation reaches sessions that are already open.
//
// A session is authorised when it is requested, but the credential and the
// access it relies on can go away while it runs. The broker re-checks every
// live session:
//
//   - Revalidate re-runs, for every participant of every live session, the
//     checks a participant must keep passing (admit: the role on the item
//     and the Jump Policy that applies now, its expiry and a strict
//     schedule), against the user as stored now (deleted, disabled, no
//     longer an administrator), and looks up the API token or browser
//     session every session channel was opened with (deleted or expired;
//     a browser session ends by deleting its row: logout, expiry, the
//     user's new password, MFA reset or an administrator ending it).
//     Browser sessions with an open channel count as in use (their last
//     use is written), so a console that only holds a terminal is not
//     signed out as idle. Services call
//     AccessChanged after each committed write that can take access away
//     (tokens, users, group policies and memberships, Jump Groups, Jump
//     Policies, items); it runs Revalidate in the background, once for any
//     number of writes that arrive while one runs. A full pass also runs
//     every revalidateEvery, for writes made by another process.
//   - Between passes, a tick every revokeTick compares the clock with what
//     the last pass learnt: each channel's token expiry and each
//     participant's Jump Policy expiry or strict window end. A channel or
//     participant that the broker has not checked yet (a new channel, a
//     new participant) is checked at the next tick.
//
// What is cut:
//
//   - a channel whose token was deleted or expired, or whose browser
//     session ended, is closed (its open streams and tunnel connections
//     with it), audited as session.channel_closed with token_revoked,
//     token_expired or browser_session_ended. The
//     participant stays, and may connect again with a valid token. An
//     auto_end session whose requester loses their last channel this way
//     ends with that reason.
//   - a participant who fails a check is removed: their channels are closed,
//     their participant row is marked left, session.participant_removed is
//     audited with the reason (user_deleted, user_disabled, access_removed,
//     policy_expired, policy_changed, schedule_end), and they may not
//     connect again. The session goes on for the others, and ends with the
//     same reason when no participant is left.
//
// Approval grants, ticket checks, simultaneous-jump rules and the endpoint's
// connection gate the request only; they are not re-checked.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/sessionproto"
	"github.com/jumpgate/jumpgate/appliance/internal/audit"
	"github.com/jumpgate/jumpgate/appliance/internal/auth"
	"github.com/jumpgate/jumpgate/appliance/internal/problem"
)

// Audit actions of revocation (object_type "session").
const (
	// ActParticipantRemoved: a participant lost their access and was cut
	// from the session.
	ActParticipantRemoved = "session.participant_removed"
	// ActChannelClosed: a session channel was closed because the token it
	// was opened with went away.
	ActChannelClosed = "session.channel_closed"
)

const (
	// revokeTick is how often expiries learnt by the last pass are
	// compared with the clock, and unchecked channels and participants
	// are checked.
	revokeTick = 250 * time.Millisecond
	// revalidateEvery is how often every live session is checked in full,
	// whatever the hooks said.
	revalidateEvery = 30 * time.Second
)

// revoker is the broker's revocation state; its maps are guarded by
// Broker.mu.
type revoker struct {
	// standing is, per session and participant, until when the last check
	// lets them stay (zero: no end known) and what ends them then. A
	// participant without an entry has not been checked yet.
	standing map[int64]map[int64]standing
	// tokenExp is the expiry of each token of an open channel (zero:
	// none). A token without an entry has not been checked yet.
	tokenExp map[int64]time.Time
	// browserSeen are the browser sessions of open channels found valid
	// by a pass. A browser session without an entry has not been checked
	// yet.
	browserSeen map[int64]bool
	// cut are the channels being closed by a revocation, until they leave
	// their session, so that they are cut (and audited) once.
	cut map[*channel]*live
	// kick asks the loop for a full pass; it holds at most one request.
	kick chan struct{}
	// lastErr is when a failed check was last logged: a database that is
	// down fails every tick, and is logged every errEvery.
	lastErr time.Time
}

// errEvery is how often a failing check is logged.
const errEvery = 10 * time.Second

// checkFailed logs a check that could not run (the access it would have
// cut stays until a later check succeeds), at most once every errEvery.
func (b *Broker) checkFailed(ctx context.Context, msg string, args ...any) {
	if ctx.Err() != nil {
		return
	}
	b.mu.Lock()
	now := time.Now()
	quiet := now.Sub(b.rv.lastErr) < errEvery
	if !quiet {
		b.rv.lastErr = now
	}
	b.mu.Unlock()
	if !quiet {
		b.log.Error(msg, args...)
	}
}

type standing struct {
	until          time.Time
	reason, detail string
}

func newRevoker() revoker {
	return revoker{standing: map[int64]map[int64]standing{}, tokenExp: map[int64]time.Time{}, browserSeen: map[int64]bool{}, cut: map[*channel]*live{}, kick: make(chan struct{}, 1)}
}

// AccessChanged asks for a Revalidate pass in the background. Services call
// it after committing a write that may take access away; it never blocks.
func (b *Broker) AccessChanged() {
	select {
	case b.rv.kick <- struct{}{}:
	default:
	}
}

// revokeLoop runs the passes and the tick until the broker closes.
func (b *Broker) revokeLoop() {
	defer b.wg.Done()
	tick := time.NewTicker(revokeTick)
	defer tick.Stop()
	full := time.NewTicker(revalidateEvery)
	defer full.Stop()
	for {
		select {
		case <-b.ctx.Done():
			return
		case <-b.rv.kick:
			b.Revalidate(b.ctx, "a change to tokens, users or access")
		case <-full.C:
			b.Revalidate(b.ctx, "the periodic check")
		case <-tick.C:
			b.expire()
		}
	}
}

// Revalidate checks every live session's participants and channels again
// and cuts what no longer passes (see the package's revocation comment).
// cause says what asked for it, for the log.
func (b *Broker) Revalidate(ctx context.Context, cause string) {
	b.revalidate(ctx, nil, cause)
}

// expire cuts the channels and participants whose known end has passed,
// and checks the ones not checked yet.
func (b *Broker) expire() {
	// Jump Policies follow the broker's clock, as at the request; tokens
	// the wall clock, as the authenticator does.
	now, wall := b.now(), time.Now()
	type chanCut struct {
		l       *live
		tokenID int64
		exp     time.Time
	}
	type partCut struct {
		l   *live
		uid int64
		st  standing
	}
	var chans []chanCut
	var parts []partCut
	unchecked := map[int64]bool{}
	inUse, browserInUse := map[int64]bool{}, map[int64]bool{}
	b.mu.Lock()
	for sid, l := range b.live {
		if l.ended {
			continue
		}
		seen := map[int64]bool{}
		for ch := range l.channels {
			if bs := ch.p.BrowserSessionID; bs != 0 && b.rv.cut[ch] == nil {
				browserInUse[bs] = true
				if !b.rv.browserSeen[bs] {
					unchecked[sid] = true
				}
			}
			id := ch.p.TokenID
			if id == 0 || seen[id] || b.rv.cut[ch] != nil {
				continue
			}
			seen[id], inUse[id] = true, true
			exp, ok := b.rv.tokenExp[id]
			switch {
			case !ok:
				unchecked[sid] = true
			case !exp.IsZero() && !wall.Before(exp):
				chans = append(chans, chanCut{l, id, exp})
			}
		}
		for uid := range l.participants {
			st, ok := b.rv.standing[sid][uid]
			switch {
			case !ok:
				unchecked[sid] = true
			case !st.until.IsZero() && !now.Before(st.until):
				parts = append(parts, partCut{l, uid, st})
			}
		}
	}
	for sid := range b.rv.standing {
		if b.live[sid] == nil {
			delete(b.rv.standing, sid)
		}
	}
	for id := range b.rv.tokenExp {
		if !inUse[id] {
			delete(b.rv.tokenExp, id)
		}
	}
	for id := range b.rv.browserSeen {
		if !browserInUse[id] {
			delete(b.rv.browserSeen, id)
		}
	}
	for ch, l := range b.rv.cut {
		if _, open := l.channels[ch]; !open || l.ended {
			delete(b.rv.cut, ch)
		}
	}
	b.mu.Unlock()
	for _, c := range parts {
		b.removeParticipant(c.l, c.uid, c.st.reason, c.st.detail)
	}
	for _, c := range chans {
		b.cutToken(c.l, c.tokenID, api.EndTokenExpired, fmt.Sprintf("the API token (id %d) this channel was opened with expired at %s",
			c.tokenID, c.exp.UTC().Format(time.RFC3339)))
	}
	if len(unchecked) > 0 {
		ids := make([]int64, 0, len(unchecked))
		for id := range unchecked {
			ids = append(ids, id)
		}
		b.revalidate(b.ctx, ids, "new channels or participants")
	}
}

// liveView is what a pass reads of one live session.
type liveView struct {
	l     *live
	rec   Record
	users []int64
	names map[int64]string
	// tokens are the channels' token ids, and browser the channels'
	// browser session ids, with the user of each.
	tokens, browser map[int64]int64
}

// revalidate checks the live sessions ids (nil: all).
func (b *Broker) revalidate(ctx context.Context, ids []int64, cause string) {
	ctx = auth.WithPrincipal(ctx, auth.System)
	b.mu.Lock()
	var views []liveView
	add := func(l *live) {
		if l == nil || l.ended {
			return
		}
		v := liveView{l: l, rec: l.rec, names: map[int64]string{l.rec.UserID: l.rec.Username}, tokens: map[int64]int64{}, browser: map[int64]int64{}}
		for uid := range l.participants {
			v.users = append(v.users, uid)
		}
		for ch := range l.channels {
			v.names[ch.p.UserID] = ch.p.Username
			if ch.p.TokenID != 0 && b.rv.cut[ch] == nil {
				v.tokens[ch.p.TokenID] = ch.p.UserID
			}
			if ch.p.BrowserSessionID != 0 && b.rv.cut[ch] == nil {
				v.browser[ch.p.BrowserSessionID] = ch.p.UserID
			}
		}
		views = append(views, v)
	}
	if ids == nil {
		for _, l := range b.live {
			add(l)
		}
	} else {
		for _, id := range ids {
			add(b.live[id])
		}
	}
	b.mu.Unlock()
	if len(views) == 0 {
		return
	}

	userIDs, tokenIDs, browserIDs := map[int64]bool{}, map[int64]bool{}, map[int64]bool{}
	for _, v := range views {
		for _, u := range v.users {
			userIDs[u] = true
		}
		for t := range v.tokens {
			tokenIDs[t] = true
		}
		for bs := range v.browser {
			browserIDs[bs] = true
		}
	}
	type userRow struct {
		ID       int64
		Username string
		Admin    bool
		Enabled  bool
	}
	type tokenRow struct {
		ID        int64
		UserID    int64
		ExpiresAt *time.Time
	}
	users := map[int64]userRow{}
	if len(userIDs) > 0 {
		var rows []userRow
		if err := b.db.R.WithContext(ctx).Table("users").Select("id, username, admin, enabled").Where("id IN ?", keysOf(userIDs)).Scan(&rows).Error; err != nil {
			b.checkFailed(ctx, "revalidate sessions: load users", "cause", cause, "err", err)
			return
		}
		for _, r := range rows {
			users[r.ID] = r
		}
	}
	tokens := map[int64]tokenRow{}
	if len(tokenIDs) > 0 {
		var rows []tokenRow
		if err := b.db.R.WithContext(ctx).Table("api_tokens").Select("id, user_id, expires_at").Where("id IN ?", keysOf(tokenIDs)).Scan(&rows).Error; err != nil {
			b.checkFailed(ctx, "revalidate sessions: load tokens", "cause", cause, "err", err)
			return
		}
		for _, r := range rows {
			tokens[r.ID] = r
		}
	}
	browser := map[int64]int64{}
	if len(browserIDs) > 0 {
		var rows []struct{ ID, UserID int64 }
		ids := keysOf(browserIDs)
		if err := b.db.R.WithContext(ctx).Table(browserSessions).Select("id, user_id").Where("id IN ?", ids).Scan(&rows).Error; err != nil {
			b.checkFailed(ctx, "revalidate sessions: load browser sessions", "cause", cause, "err", err)
			return
		}
		for _, r := range rows {
			browser[r.ID] = r.UserID
		}
		// An open channel is use of its browser session.
		wall := time.Now().UTC()
		if err := b.db.W.WithContext(ctx).Table(browserSessions).Where("id IN ? AND last_seen_at < ?", ids, wall.Add(-browserTouch)).
			Update("last_seen_at", wall).Error; err != nil {
			b.checkFailed(ctx, "revalidate sessions: record browser session use", "cause", cause, "err", err)
		}
	}

	now := b.now()
	for _, v := range views {
		for _, uid := range v.users {
			name := v.names[uid]
			u, ok := users[uid]
			if ok {
				name = u.Username
			}
			var st standing
			switch {
			case !ok:
				st = standing{until: now, reason: api.EndUserDeleted, detail: fmt.Sprintf("user %d was deleted", uid)}
			case !u.Enabled:
				st = standing{until: now, reason: api.EndUserDisabled, detail: fmt.Sprintf("user %q was disabled", u.Username)}
			default:
				var err error
				st, err = b.standingOn(ctx, auth.Principal{UserID: uid, Username: u.Username, Admin: u.Admin}, &v.rec, now)
				if err != nil {
					// Known as checked, so that the tick does not retry it
					// at once; the next pass does.
					b.checkFailed(ctx, "revalidate sessions: check a participant", "session", v.rec.ID, "user", uid, "cause", cause, "err", err)
					st = standing{}
				}
			}
			if st.reason != "" && !now.Before(st.until) {
				b.log.Info("cutting a session participant", "session", v.rec.ID, "user", name, "reason", st.reason, "cause", cause)
				b.removeParticipant(v.l, uid, st.reason, st.detail)
				continue
			}
			b.mu.Lock()
			if !v.l.ended && v.l.participants[uid] {
				m := b.rv.standing[v.rec.ID]
				if m == nil {
					m = map[int64]standing{}
					b.rv.standing[v.rec.ID] = m
				}
				m[uid] = st
			}
			b.mu.Unlock()
		}
		for id, uid := range v.tokens {
			t, ok := tokens[id]
			switch {
			case !ok || t.UserID != uid:
				b.log.Info("cutting session channels of a revoked token", "session", v.rec.ID, "token", id, "cause", cause)
				b.cutToken(v.l, id, api.EndTokenRevoked, fmt.Sprintf("the API token (id %d) this channel was opened with was deleted", id))
			case t.ExpiresAt != nil && !time.Now().Before(*t.ExpiresAt):
				b.cutToken(v.l, id, api.EndTokenExpired, fmt.Sprintf("the API token (id %d) this channel was opened with expired at %s",
					id, t.ExpiresAt.UTC().Format(time.RFC3339)))
			default:
				var exp time.Time
				if t.ExpiresAt != nil {
					exp = *t.ExpiresAt
				}
				b.mu.Lock()
				b.rv.tokenExp[id] = exp
				b.mu.Unlock()
			}
		}
		for id, uid := range v.browser {
			if owner, ok := browser[id]; !ok || owner != uid {
				b.log.Info("cutting session channels of an ended browser session", "session", v.rec.ID, "browser_session", id, "cause", cause)
				b.cutBrowserSession(v.l, id, api.EndBrowserSessionEnded, fmt.Sprintf("the browser session (id %d) this channel was opened with ended", id))
				continue
			}
			b.mu.Lock()
			b.rv.browserSeen[id] = true
			b.mu.Unlock()
		}
	}
}

// browserSessions is the table of browser sessions (package login), read
// by name: login imports the broker's users, not the other way round.
const browserSessions = "browser_sessions"

// browserTouch is how stale a browser session's last use may get while a
// channel holds it open.
const browserTouch = 30 * time.Second

// standingOn runs the participant checks (admit) for p on the item of
// rec: the reason and detail are set when p may no longer take part, at
// until (now, or a Jump Policy's expiry or strict window end later).
func (b *Broker) standingOn(ctx context.Context, p auth.Principal, rec *Record, now time.Time) (standing, error) {
	if rec.ItemType != api.ItemJumpClient && rec.ItemType != api.ItemProtocolTunnelJump {
		// An access-code session has no item: its creator's account is
		// what it relies on.
		return standing{}, nil
	}
	it, err := b.loadItem(ctx, p, rec.ItemType, rec.ItemID)
	if errors.Is(err, problem.ErrNotFound) {
		table := "jump_clients"
		if rec.ItemType == api.ItemProtocolTunnelJump {
			table = "protocol_tunnel_jumps"
		}
		var n int64
		if err := b.db.R.WithContext(ctx).Table(table).Where("id = ?", rec.ItemID).Count(&n).Error; err != nil {
			return standing{}, err
		}
		if n == 0 {
			// ItemsChanged ends it as item_deleted.
			return standing{}, nil
		}
		return standing{until: now, reason: api.EndAccessRemoved,
			detail: fmt.Sprintf("%s %q is no longer visible to %s", itemTitle(rec.ItemType), rec.ItemName, p.Username)}, nil
	}
	if err != nil {
		return standing{}, err
	}
	adm, ref, err := b.admit(ctx, p, it, now, true)
	if err != nil {
		return standing{}, err
	}
	if ref != nil {
		reason := api.EndPolicyChanged
		switch ref.reason {
		case api.RefusedNoAccess:
			reason = api.EndAccessRemoved
		case api.RefusedPolicyExpired:
			reason = api.EndPolicyExpired
		}
		return standing{until: now, reason: reason, detail: p.Username + ": " + ref.detail}, nil
	}
	var st standing
	if jp := adm.jp; jp != nil {
		if jp.ExpiresAt != nil {
			st = standing{until: *jp.ExpiresAt, reason: api.EndPolicyExpired,
				detail: fmt.Sprintf("%s: jump policy %q expired at %s", p.Username, jp.DisplayName, jp.ExpiresAt.UTC().Format(time.RFC3339))}
		}
		if w := adm.windowEnd; !w.IsZero() && (st.until.IsZero() || w.Before(st.until)) {
			st = standing{until: w, reason: api.EndScheduleEnd, detail: fmt.Sprintf("%s: jump policy %q's schedule window closed", p.Username, jp.DisplayName)}
		}
	}
	return st, nil
}

// removeParticipant cuts user uid from l: their channels close, their
// participant row is marked left and the cut is audited; the session ends
// when nobody is left.
func (b *Broker) removeParticipant(l *live, uid int64, reason, detail string) {
	b.mu.Lock()
	if l.ended || !l.participants[uid] {
		b.mu.Unlock()
		return
	}
	delete(l.participants, uid)
	delete(b.rv.standing[l.rec.ID], uid)
	left := len(l.participants)
	var mine []*channel
	name := ""
	if uid == l.rec.UserID {
		name = l.rec.Username
	}
	for ch := range l.channels {
		if ch.p.UserID == uid {
			mine = append(mine, ch)
			name = ch.p.Username
			b.rv.cut[ch] = l
		}
	}
	rec := l.rec
	b.mu.Unlock()

	ctx := auth.WithPrincipal(context.Background(), auth.System)
	now := b.now().UTC()
	err := b.db.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if name == "" {
			var p Participant
			if err := tx.Where("session_id = ? AND user_id = ?", rec.ID, uid).Limit(1).Find(&p).Error; err != nil {
				return err
			}
			name = p.Username
		}
		if err := tx.Model(&Participant{}).Where("session_id = ? AND user_id = ? AND left_at IS NULL", rec.ID, uid).Update("left_at", now).Error; err != nil {
			return err
		}
		return audit.WriteEvent(ctx, tx, ActParticipantRemoved, ObjectSession, rec.ID, rec.ItemName,
			map[string]any{"user": name, "user_id": uid, "reason": reason, "detail": detail})
	})
	if err != nil {
		b.log.Error("could not record a participant's removal", "session", rec.ID, "user", uid, "err", err)
	}
	if left == 0 {
		b.End(ctx, rec.ID, api.EndedBySystem, reason, detail)
		return
	}
	b.closeChannels(l, mine, reason, detail)
	b.publish(l, sessionproto.EventNotice, fmt.Sprintf("%s was removed from the session: %s", name, detail))
}

// cutToken closes l's channels opened with token id. An auto_end session
// whose requester is left with no channel ends with the reason, as it
// would end (client_disconnected) when the channel closed.
func (b *Broker) cutToken(l *live, id int64, reason, detail string) {
	b.cutCredential(l, "token_id", id, func(p auth.Principal) bool { return p.TokenID == id }, reason, detail)
}

// cutBrowserSession closes l's channels opened with browser session id, as
// cutToken does for a token.
func (b *Broker) cutBrowserSession(l *live, id int64, reason, detail string) {
	b.cutCredential(l, "browser_session_id", id, func(p auth.Principal) bool { return p.BrowserSessionID == id }, reason, detail)
}

// cutCredential closes l's channels whose principal matches (the
// credential key=id).
func (b *Broker) cutCredential(l *live, key string, id int64, match func(auth.Principal) bool, reason, detail string) {
	b.mu.Lock()
	if l.ended {
		b.mu.Unlock()
		return
	}
	if key == "token_id" {
		delete(b.rv.tokenExp, id)
	} else {
		delete(b.rv.browserSeen, id)
	}
	var cut []*channel
	var uid int64
	name := ""
	others := false
	for ch := range l.channels {
		if match(ch.p) && b.rv.cut[ch] == nil {
			cut = append(cut, ch)
			uid, name = ch.p.UserID, ch.p.Username
		}
	}
	for ch := range l.channels {
		if ch.p.UserID == uid && !match(ch.p) && b.rv.cut[ch] == nil {
			others = true
		}
	}
	for _, ch := range cut {
		b.rv.cut[ch] = l
	}
	end := len(cut) > 0 && l.rec.AutoEnd && uid == l.rec.UserID && l.participants[uid] && !others
	rec := l.rec
	b.mu.Unlock()
	if len(cut) == 0 {
		return
	}
	ctx := auth.WithPrincipal(context.Background(), auth.System)
	_ = b.event(ctx, rec, ActChannelClosed, map[string]any{"user": name, "user_id": uid, key: id, "reason": reason, "detail": detail})
	if end {
		b.End(ctx, rec.ID, api.EndedBySystem, reason, detail)
		return
	}
	b.closeChannels(l, cut, reason, detail)
}

// closeChannels tells each channel why it is over for it (an ended event
// with the reason; the session itself may go on) and closes it, cutting
// its streams.
func (b *Broker) closeChannels(l *live, chans []*channel, reason, detail string) {
	b.mu.Lock()
	ev := b.eventLocked(l, sessionproto.EventEnded, detail)
	b.mu.Unlock()
	ev.EndReason, ev.EndedBy = reason, api.EndedBySystem
	for _, ch := range chans {
		ch.send(ev)
		ch.close()
	}
}

func keysOf(m map[int64]bool) []int64 {
	out := make([]int64, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
