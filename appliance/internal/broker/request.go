package broker

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/appliance/internal/audit"
	"github.com/jumpgate/jumpgate/appliance/internal/auth"
	"github.com/jumpgate/jumpgate/appliance/internal/grouppolicy"
	"github.com/jumpgate/jumpgate/appliance/internal/jumpclient"
	"github.com/jumpgate/jumpgate/appliance/internal/jumpoint"
	"github.com/jumpgate/jumpgate/appliance/internal/jumppolicy"
	"github.com/jumpgate/jumpgate/appliance/internal/portal"
	"github.com/jumpgate/jumpgate/appliance/internal/problem"
	"github.com/jumpgate/jumpgate/appliance/internal/resource"
	"github.com/jumpgate/jumpgate/appliance/internal/sessionpolicy"
	"github.com/jumpgate/jumpgate/appliance/internal/settings"
	"github.com/jumpgate/jumpgate/appliance/internal/tunneljump"
)

// Audit actions of session events (object_type "session").
const (
	ActRequested           = "session.requested"
	ActRefused             = "session.refused"
	ActJoined              = "session.joined"
	ActPrompted            = "session.prompted"
	ActAccepted            = "session.accepted"
	ActRejected            = "session.rejected"
	ActPromptTimedOut      = "session.prompt_timed_out"
	ActStarted             = "session.started"
	ActStreamOpened        = "session.stream_opened"
	ActStreamRefused       = "session.stream_refused"
	ActFileTransfer        = "session.file_transfer_started"
	ActFileTransferred     = "session.file_transferred"
	ActTunnelOpened        = "session.tunnel_opened"
	ActTunnelClosed        = "session.tunnel_closed"
	ActTunnelRefused       = "session.tunnel_refused"
	ActControlRevoked      = "session.control_revoked"
	ActControlRestored     = "session.control_restored"
	ActWarning             = "session.warning"
	ActEnded               = "session.ended"
	ActFeedback            = "session.feedback"
	ActRecordingDownloaded = "session.recording_downloaded"
	ActApprovalRequest     = "approval.requested"
	ActApprovalGranted     = "approval.granted"
	ActApprovalDenied      = "approval.denied"
	ActCodeCreated         = "access_code.created"
	ActCodeRefused         = "access_code.refused"
)

// ObjectSession is the audit object_type of session events.
const ObjectSession = "session"

// roleRank orders Jump Group roles.
var roleRank = map[string]int{api.RoleView: 1, api.RoleStart: 2, api.RoleEdit: 3}

// item is a Jump Item as the broker sees it.
type item struct {
	typ, name          string
	id                 int64
	groupType          string
	groupID            int64
	jumpPolicyID       *int64
	portalID           *int64
	presentPolicyID    *int64 // jump client: attended
	notPresentPolicyID *int64 // jump client: unattended; tunnel: its session policy
	// jump client
	presence *api.JumpClientPresence
	headless bool
	// tunnel jump
	jumpointID int64
	host       string
	ports      []int
}

func (b *Broker) loadItem(ctx context.Context, p auth.Principal, typ string, id int64) (*item, error) {
	tx := b.db.R.WithContext(ctx)
	// The same visibility rule as the item collections' own reads.
	scope := func(q *gorm.DB) *gorm.DB {
		if p.Admin {
			return q
		}
		return grouppolicy.ItemScope(p.UserID)(q)
	}
	notFound := problem.NotFound("%s %d does not exist or is not visible to you", itemTitle(typ), id)
	switch typ {
	case api.ItemJumpClient:
		var r jumpclient.Record
		if err := scope(tx.Model(&jumpclient.Record{})).Where("id = ?", id).Take(&r).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return nil, notFound
			}
			return nil, err
		}
		it := &item{typ: typ, id: r.ID, name: r.Name, groupType: r.JumpGroupType, groupID: r.JumpGroupID,
			jumpPolicyID: r.JumpPolicyID, portalID: r.PublicPortalID,
			presentPolicyID: r.AttendedSessionPolicyID, notPresentPolicyID: r.UnattendedSessionPolicyID}
		var st jumpclient.State
		if err := tx.Where("client_id = ?", r.ID).Limit(1).Find(&st).Error; err != nil {
			return nil, err
		}
		it.presence, it.headless = st.Presence, st.Headless
		return it, nil
	case api.ItemProtocolTunnelJump:
		var r tunneljump.Record
		if err := scope(tx.Model(&tunneljump.Record{})).Where("id = ?", id).Take(&r).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return nil, notFound
			}
			return nil, err
		}
		it := &item{typ: typ, id: r.ID, name: r.Name, groupType: r.JumpGroupType, groupID: r.JumpGroupID,
			jumpPolicyID: r.JumpPolicyID, notPresentPolicyID: r.SessionPolicyID, jumpointID: r.JumpointID, host: r.Hostname}
		for _, d := range r.TunnelDefinitions {
			if !slices.Contains(it.ports, d.RemotePort) {
				it.ports = append(it.ports, d.RemotePort)
			}
		}
		return it, nil
	}
	return nil, notFound
}

func itemTitle(typ string) string {
	switch typ {
	case api.ItemJumpClient:
		return "jump client"
	case api.ItemProtocolTunnelJump:
		return "protocol tunnel jump"
	}
	return "item"
}

// access is the user's standing on an item: the best role, and the Jump
// Policy of the membership that grants it (nil: the item's applies).
type access struct {
	role             string
	membershipPolicy *int64
	via              string
}

func (b *Broker) accessTo(ctx context.Context, p auth.Principal, it *item) (*access, error) {
	if it.groupType == api.JumpGroupPersonal && it.groupID == p.UserID {
		return &access{role: api.RoleEdit, via: "your personal list"}, nil
	}
	var rows []struct {
		Role          string
		JumpPolicyID  *int64
		GroupPolicyID int64
	}
	if it.groupType == api.JumpGroupShared {
		err := b.db.R.WithContext(ctx).Table("jump_group_memberships AS m").Select("m.role, m.jump_policy_id, m.group_policy_id").
			Joins("JOIN group_policy_members AS gm ON gm.group_policy_id = m.group_policy_id").
			Where("gm.user_id = ? AND m.jump_group_id = ?", p.UserID, it.groupID).Order("m.group_policy_id").Scan(&rows).Error
		if err != nil {
			return nil, err
		}
	}
	best := &access{}
	for _, r := range rows {
		switch {
		case roleRank[r.Role] > roleRank[best.role]:
			best = &access{role: r.Role, membershipPolicy: r.JumpPolicyID, via: fmt.Sprintf("group policy %d", r.GroupPolicyID)}
		case roleRank[r.Role] == roleRank[best.role] && best.membershipPolicy != nil && r.JumpPolicyID == nil:
			// Among equal roles a membership without a Jump Policy of its
			// own is the user's least restricted way in.
			best = &access{role: r.Role, via: fmt.Sprintf("group policy %d", r.GroupPolicyID)}
		}
	}
	if roleRank[best.role] < roleRank[api.RoleStart] && p.Admin {
		return &access{role: api.RoleEdit, via: "administrator"}, nil
	}
	return best, nil
}

// decision is what the checks decided for a session about to start.
type decision struct {
	jp      *jumppolicy.Record
	sp      *api.SessionPolicy
	spID    *int64
	present *bool
	mode    string
	endsAt  time.Time
	// windowEnd is a strict schedule's end, zero if none.
	windowEnd time.Time
	recording bool
	recTunnel bool
	// automatic is the portal's answer on a headless endpoint ("" = ask).
	automatic string
	join      *live
}

// Request handles POST /api/v1/sessions.
func (b *Broker) Request(ctx context.Context, req *api.SessionRequest) (*api.Session, error) {
	p, err := auth.MustFromContext(ctx)
	if err != nil {
		return nil, err
	}
	if err := resource.Validate(req); err != nil {
		return nil, err
	}
	it, err := b.loadItem(ctx, p, req.ItemType, req.ItemID)
	if err != nil {
		if errors.Is(err, problem.ErrNotFound) {
			// Probing for items is audited too.
			_ = b.db.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
				return audit.WriteEvent(ctx, tx, ActRefused, req.ItemType, req.ItemID, "", map[string]any{
					"reason": api.RefusedItemNotFound, "detail": err.Error()})
			})
		}
		return nil, err
	}
	now := b.now().UTC()
	rec := &Record{
		ItemType: it.typ, ItemID: it.id, ItemName: it.name, UserID: p.UserID, Username: p.Username,
		Mode: api.ModeUnattended, TicketID: req.TicketID, Reason: req.Reason, AutoEnd: req.AutoEnd,
		RequestedAt: now, JumpointID: it.jumpointID, TargetHost: it.host, TunnelPorts: it.ports, InstanceID: b.cfg.Instance,
	}
	d, ref, err := b.decide(ctx, p, it, req, rec, now)
	if err != nil {
		return nil, err
	}
	if ref != nil {
		return nil, b.refuse(ctx, rec, ref)
	}
	if d.join != nil {
		return b.join(ctx, p, d.join)
	}
	return b.start(ctx, p, it, rec, d)
}

// refusal is a session refusal before it is recorded.
type refusal struct {
	reason, detail string
	approval       *ApprovalRecord // a pending approval request to write
	approvalID     int64           // an existing pending one
}

func refuse(reason, format string, args ...any) *refusal {
	return &refusal{reason: reason, detail: fmt.Sprintf(format, args...)}
}

// refuse records a refused session (requested, then refused, in one
// transaction) and returns the 403.
func (b *Broker) refuse(ctx context.Context, rec *Record, r *refusal) error {
	rec.Status, rec.RefusedReason, rec.Detail = api.SessionRefused, r.reason, clip(r.detail, 1024)
	approvalID := r.approvalID
	err := b.db.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(rec).Error; err != nil {
			return err
		}
		if err := audit.WriteEvent(ctx, tx, ActRequested, ObjectSession, rec.ID, rec.ItemName, requestDetails(rec)); err != nil {
			return err
		}
		if r.approval != nil {
			if err := tx.Create(r.approval).Error; err != nil {
				return err
			}
			approvalID = r.approval.ID
			if err := audit.WriteEvent(ctx, tx, ActApprovalRequest, "approval", r.approval.ID, r.approval.ItemName, map[string]any{
				"session_id": rec.ID, "item_type": rec.ItemType, "item_id": rec.ItemID, "jump_policy_id": r.approval.JumpPolicyID, "reason": rec.Reason}); err != nil {
				return err
			}
		}
		det := map[string]any{"reason": r.reason, "detail": r.detail}
		if approvalID != 0 {
			det["approval_id"] = approvalID
		}
		return audit.WriteEvent(ctx, tx, ActRefused, ObjectSession, rec.ID, rec.ItemName, det)
	})
	if err != nil {
		return err
	}
	detail := r.detail
	if approvalID != 0 {
		detail += fmt.Sprintf(" (approval request %d is pending)", approvalID)
	}
	return &problem.Refused{Reason: r.reason, Detail: detail, SessionID: rec.ID, ApprovalID: approvalID}
}

func requestDetails(rec *Record) map[string]any {
	d := map[string]any{"item_type": rec.ItemType, "item_id": rec.ItemID}
	if rec.TicketID != "" {
		d["ticket_id"] = rec.TicketID
	}
	if rec.Reason != "" {
		d["reason"] = rec.Reason
	}
	return d
}

// admission is what the standing checks (role, Jump Policy expiry and
// schedule) decided for a user on an item.
type admission struct {
	acc *access
	// jp is the Jump Policy that applies (the membership's, else the
	// item's); nil when none.
	jp *jumppolicy.Record
	// windowEnd is a strict schedule's end, zero if none.
	windowEnd time.Time
}

// admit runs the checks that a user must pass for as long as they take
// part in a session on it, not only when it starts: a role of start or
// edit, and the Jump Policy that applies (not expired, inside its
// schedule). A session request runs them first; Revalidate runs them
// again for every participant of a live session, with live set, where a
// schedule that is not strict is not checked (such a schedule lets a
// session outlast its window).
func (b *Broker) admit(ctx context.Context, p auth.Principal, it *item, now time.Time, live bool) (*admission, *refusal, error) {
	acc, err := b.accessTo(ctx, p, it)
	if err != nil {
		return nil, nil, err
	}
	if roleRank[acc.role] < roleRank[api.RoleStart] {
		if acc.role == "" {
			return nil, refuse(api.RefusedNoAccess, "you have no role in the jump group of %s %q", itemTitle(it.typ), it.name), nil
		}
		return nil, refuse(api.RefusedNoAccess, "your role in the jump group of %s %q is %s (through %s); starting sessions needs start or edit",
			itemTitle(it.typ), it.name, acc.role, acc.via), nil
	}
	a := &admission{acc: acc}

	// The Jump Policy: the membership's overrides the item's.
	jpID := it.jumpPolicyID
	if acc.membershipPolicy != nil {
		jpID = acc.membershipPolicy
	}
	if jpID != nil {
		var jp jumppolicy.Record
		if err := b.db.R.WithContext(ctx).Take(&jp, *jpID).Error; err != nil {
			return nil, nil, fmt.Errorf("load jump policy %d: %w", *jpID, err)
		}
		a.jp = &jp
	}
	if jp := a.jp; jp != nil {
		if jp.ExpiresAt != nil && !now.Before(*jp.ExpiresAt) {
			return nil, refuse(api.RefusedPolicyExpired, "jump policy %q expired at %s", jp.DisplayName, jp.ExpiresAt.UTC().Format(time.RFC3339)), nil
		}
		if jp.ScheduleEnabled && (jp.ScheduleStrict || !live) {
			loc, err := time.LoadLocation(jp.Timezone)
			if err != nil {
				loc = time.UTC
			}
			in, end, next := scheduleAt(jp.Schedule, loc, now)
			if !in {
				msg := fmt.Sprintf("jump policy %q allows sessions only %s", jp.DisplayName, describeSchedule(jp.Schedule, jp.Timezone))
				if !next.IsZero() {
					msg += "; the next window opens at " + next.In(loc).Format("Mon 2006-01-02 15:04 MST")
				}
				return nil, refuse(api.RefusedOutsideSchedule, "%s", msg), nil
			}
			if jp.ScheduleStrict {
				a.windowEnd = end
			}
		}
	}
	return a, nil, nil
}

// decide runs every check in order and returns the decision, or a refusal.
func (b *Broker) decide(ctx context.Context, p auth.Principal, it *item, req *api.SessionRequest, rec *Record, now time.Time) (*decision, *refusal, error) {
	adm, ref, err := b.admit(ctx, p, it, now, false)
	if err != nil || ref != nil {
		return nil, ref, err
	}
	d := &decision{jp: adm.jp}
	if d.jp != nil {
		rec.JumpPolicyID = &d.jp.ID
	}
	windowEnd := adm.windowEnd
	simul, err := b.simultaneous(ctx, d.jp, it)
	if err != nil {
		return nil, nil, err
	}
	if other := b.otherSession(it, p.UserID); other != nil {
		switch simul {
		case api.SimultaneousDisallow:
			return nil, refuse(api.RefusedSimultaneous, "%s %q is in session %d with %s, and simultaneous jumps are disallowed",
				itemTitle(it.typ), it.name, other.rec.ID, other.rec.Username), nil
		case api.SimultaneousJoin:
			d.join = other
		}
	}
	if jp := d.jp; jp != nil && jp.ApprovalRequired {
		ok, pendingID, err := b.approved(ctx, p.UserID, it, jp, now)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			r := refuse(api.RefusedApprovalRequired, "jump policy %q requires approval to use %s %q", jp.DisplayName, itemTitle(it.typ), it.name)
			if pendingID != 0 {
				r.approvalID = pendingID
			} else {
				exp := now.Add(24 * time.Hour)
				r.approval = &ApprovalRecord{ItemType: it.typ, ItemID: it.id, ItemName: it.name, JumpPolicyID: jp.ID,
					UserID: p.UserID, Username: p.Username, Reason: req.Reason, Status: api.ApprovalPending, RequestedAt: now, ExpiresAt: &exp}
			}
			return nil, r, nil
		}
	}
	if jp := d.jp; jp != nil && jp.TicketIDRequired {
		if req.TicketID == "" {
			return nil, refuse(api.RefusedTicketRequired, "jump policy %q requires a ticket ID (--ticket)", jp.DisplayName), nil
		}
		if jp.TicketIDWebhookURL != "" {
			err := b.checkTicket(ctx, jp.TicketIDWebhookURL, &TicketCheck{TicketID: req.TicketID, Username: p.Username, UserID: p.UserID,
				ItemType: it.typ, ItemID: it.id, ItemName: it.name, JumpPolicy: jp.CodeName})
			switch {
			case errors.Is(err, errTicketRejected):
				return nil, refuse(api.RefusedTicketRejected, "ticket %q was not accepted: %s", req.TicketID, trimSentinel(err)), nil
			case err != nil:
				b.log.Warn("ticket check failed", "policy", jp.CodeName, "err", err)
				return nil, refuse(api.RefusedTicketCheckFailed, "ticket %q could not be checked (%v); sessions are refused until the ticket system answers", req.TicketID, err), nil
			}
		}
	}
	if d.join != nil {
		return d, nil, nil
	}

	// The session policy, by presence for a Jump Client.
	st, err := settings.Current(ctx, b.db.R)
	if err != nil {
		return nil, nil, err
	}
	policyID := it.notPresentPolicyID
	if it.typ == api.ItemJumpClient {
		present := false
		if pr := it.presence; pr != nil {
			present = pr.UserLoggedIn
			if st.PresenceUsesScreenState {
				present = pr.UserLoggedIn && !isTrue(pr.ScreenLocked) && !isTrue(pr.ScreenSaver)
			}
		}
		d.present = &present
		rec.CustomerPresent = &present
		if present {
			policyID = it.presentPolicyID
		}
	}
	pt, err := b.portalFor(ctx, it.portalID)
	if err != nil {
		return nil, nil, err
	}
	if policyID == nil && pt != nil {
		policyID = pt.SessionPolicyID
	}
	sp, err := b.sessionPolicy(ctx, policyID)
	if err != nil {
		return nil, nil, err
	}
	d.sp, d.spID = sp, policyID
	rec.SessionPolicyID, rec.Permissions = policyID, sp.Permissions
	perm := sp.Permissions
	switch it.typ {
	case api.ItemProtocolTunnelJump:
		if !perm.Tunnel {
			return nil, refuse(api.RefusedPermission, "session policy %q does not allow tunnels", sp.DisplayName), nil
		}
		// The session carries what the item can (sessionproto.ItemStreams):
		// the policy's other grants do not apply to a Jumpoint node.
		rec.Permissions = api.SessionPermissions{Tunnel: true, Clipboard: api.ClipboardOff, ClipboardMaxBytes: api.DefaultClipboardMaxBytes}
		var jpt jumpoint.Record
		if err := b.db.R.WithContext(ctx).Take(&jpt, it.jumpointID).Error; err != nil {
			return nil, nil, fmt.Errorf("load jumpoint %d: %w", it.jumpointID, err)
		}
		if !jpt.Enabled || !jpt.ProtocolTunnelEnabled {
			return nil, refuse(api.RefusedJumpointUnavailable, "jumpoint %q is disabled or does not allow protocol tunnel jumps", jpt.Name), nil
		}
		if len(b.hub.JumpointNodes(it.jumpointID)) == 0 {
			return nil, refuse(api.RefusedEndpointOffline, "no node of jumpoint %q is connected", jpt.Name), nil
		}
	case api.ItemJumpClient:
		if !perm.Shell && !perm.FileRead && !perm.SystemInfo && !perm.Tunnel {
			return nil, refuse(api.RefusedPermission, "session policy %q allows nothing a session could do here (shell, files, system info, tunnels)", sp.DisplayName), nil
		}
		if !b.hub.IsConnected(agentproto.KindJumpClient, it.id) {
			return nil, refuse(api.RefusedEndpointOffline, "jump client %q is not connected (offline, or a standby client between check-ins)", it.name), nil
		}
		prompt := req.Mode == api.ModeConsent || sp.PromptCustomer == api.PromptAlways ||
			(sp.PromptCustomer == api.PromptNotPresent && *d.present)
		switch {
		case prompt && req.Mode == api.ModeUnattended:
			return nil, refuse(api.RefusedConsentRequired, "session policy %q asks the end user for consent here; request the session without --mode unattended", sp.DisplayName), nil
		case prompt:
			d.mode = api.ModeConsent
			if it.headless {
				d.automatic = api.AutomaticReject
				if pt != nil && pt.AutomaticBehavior != "" {
					d.automatic = pt.AutomaticBehavior
				}
			}
		case !st.UnattendedSessionsAllowed:
			return nil, refuse(api.RefusedUnattendedDisabled, "unattended sessions are turned off (settings/jump-clients unattended_sessions_allowed); ask the end user with --mode consent"), nil
		}
	}
	if d.mode == "" {
		d.mode = api.ModeUnattended
	}
	d.endsAt = now.Add(b.minutes(sp.MaxSessionMinutes))
	d.windowEnd = windowEnd
	if !windowEnd.IsZero() && windowEnd.Before(d.endsAt) {
		d.endsAt = windowEnd
	}
	disabled := d.jp != nil && d.jp.RecordingsDisabled
	d.recording = isTrue(sp.RecordShell) && !disabled
	d.recTunnel = isTrue(sp.RecordTunnel) && !disabled
	return d, nil, nil
}

func trimSentinel(err error) string {
	s := err.Error()
	prefix := errTicketRejected.Error() + ": "
	if len(s) > len(prefix) && s[:len(prefix)] == prefix {
		return s[len(prefix):]
	}
	return s
}

func isTrue(b *bool) bool { return b != nil && *b }

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// simultaneous is the rule for another user's session on the item: the
// Jump Policy's, else the Jump Client settings' for clients, else allow.
func (b *Broker) simultaneous(ctx context.Context, jp *jumppolicy.Record, it *item) (string, error) {
	if jp != nil && jp.SimultaneousJumps != "" {
		return jp.SimultaneousJumps, nil
	}
	if it.typ == api.ItemJumpClient {
		st, err := settings.Current(ctx, b.db.R)
		if err != nil {
			return "", err
		}
		if st.SimultaneousJumps != "" {
			return st.SimultaneousJumps, nil
		}
	}
	return api.SimultaneousAllow, nil
}

// otherSession is another user's live session on the item, if any.
func (b *Broker) otherSession(it *item, userID int64) *live {
	b.mu.Lock()
	defer b.mu.Unlock()
	var found *live
	for _, l := range b.live {
		if l.rec.ItemType == it.typ && l.rec.ItemID == it.id && l.rec.Status == api.SessionActive && l.rec.UserID != userID {
			if found == nil || l.rec.ID < found.rec.ID {
				found = l
			}
		}
	}
	return found
}

// portalFor is the item's public portal, else the default one, else nil.
func (b *Broker) portalFor(ctx context.Context, id *int64) (*portal.Record, error) {
	var ps []portal.Record
	q := b.db.R.WithContext(ctx)
	if id != nil {
		if err := q.Where("id = ?", *id).Limit(1).Find(&ps).Error; err != nil {
			return nil, err
		}
	}
	if len(ps) == 0 {
		if err := q.Where("is_default = ?", true).Limit(1).Find(&ps).Error; err != nil {
			return nil, err
		}
	}
	if len(ps) == 0 {
		return nil, nil
	}
	return &ps[0], nil
}

// BuiltinPolicy is the session policy of sessions that no item, portal or
// default portal gives one: shell, files, system info and tunnels, no
// prompt, 120 minutes, recorded. Starting a session still needs the start
// role on the item, which only an administrator grants.
func BuiltinPolicy() *api.SessionPolicy {
	sp := &api.SessionPolicy{CodeName: "builtin-default", DisplayName: "Built-in default",
		Permissions: api.SessionPermissions{Shell: true, FileRead: true, FileWrite: true, Tunnel: true, SystemInfo: true}}
	sessionpolicy.Defaults(sp)
	return sp
}

func (b *Broker) sessionPolicy(ctx context.Context, id *int64) (*api.SessionPolicy, error) {
	if id == nil {
		return BuiltinPolicy(), nil
	}
	var r sessionpolicy.Record
	if err := b.db.R.WithContext(ctx).Take(&r, *id).Error; err != nil {
		return nil, fmt.Errorf("load session policy %d: %w", *id, err)
	}
	sp := &api.SessionPolicy{CodeName: r.CodeName, DisplayName: r.DisplayName, Permissions: r.Permissions,
		PromptCustomer: r.PromptCustomer, PromptTimeoutSeconds: r.PromptTimeoutSeconds, OnTimeout: r.OnTimeout,
		MaxSessionMinutes: r.MaxSessionMinutes, IdleTimeoutMinutes: r.IdleTimeoutMinutes,
		RecordShell: api.Bool(r.RecordShell), RecordScreen: api.Bool(r.RecordScreen), RecordTunnel: api.Bool(r.RecordTunnel)}
	sessionpolicy.Defaults(sp)
	return sp, nil
}
