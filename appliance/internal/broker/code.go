package broker

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/netip"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/appliance/internal/audit"
	"github.com/jumpgate/jumpgate/appliance/internal/auth"
	"github.com/jumpgate/jumpgate/appliance/internal/problem"
	"github.com/jumpgate/jumpgate/appliance/internal/resource"
)

// codeDigits is the length of an access code: 10^12 codes, so that with
// at most maxJoinFailuresGlobal wrong guesses per minute from all addresses
// together, guessing a live code is hopeless within its 5 minutes (500
// guesses per code's life: a chance of 5·10^-10 per live code).
const codeDigits = 12

// maxJoinFailures bounds failed joins per remote address and minute.
const maxJoinFailures = 10

// maxJoinFailuresGlobal bounds failed joins per minute from all addresses
// together (on this replica), so that a guesser with many addresses cannot
// enumerate codes either. Once it is reached every join is refused, a right
// code too, until the minute has passed: while a distributed guesser is at
// work customers wait, rather than the guesser getting through.
const maxJoinFailuresGlobal = 100

// joinWindow is the window of the join limits and of the aggregated
// access_code.refused audit rows.
const joinWindow = time.Minute

// joinFailsAll is the joinFails key of the failures from every address; no
// remote address has this form.
const joinFailsAll = "*"

func newCode() (string, error) {
	var b strings.Builder
	for range codeDigits {
		n, err := rand.Int(rand.Reader, big.NewInt(10))
		if err != nil {
			return "", err
		}
		b.WriteByte(byte('0' + n.Int64()))
	}
	return b.String(), nil
}

// normalizeCode keeps the digits of a code as typed ("1234-5678 9012").
func normalizeCode(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func formatCode(c string) string {
	if len(c) != codeDigits {
		return c
	}
	return c[0:4] + "-" + c[4:8] + "-" + c[8:12]
}

func hashCode(c string) string {
	sum := sha256.Sum256([]byte("jumpgate-access-code\n" + c))
	return hex.EncodeToString(sum[:])
}

// CreateCode makes a one-time access code for the caller. Only
// administrators may choose its session policy.
func (b *Broker) CreateCode(ctx context.Context, in *api.AccessCode) (*api.AccessCode, error) {
	p, err := auth.MustFromContext(ctx)
	if err != nil {
		return nil, err
	}
	if err := resource.Validate(in); err != nil {
		return nil, err
	}
	if in.SessionPolicyID != nil && !p.Admin {
		return nil, problem.Forbidden("only administrators may choose the session policy of an access code")
	}
	code, err := newCode()
	if err != nil {
		return nil, err
	}
	now := b.now().UTC()
	rec := &CodeRecord{CodeHash: hashCode(code), UserID: p.UserID, Username: p.Username, SessionPolicyID: in.SessionPolicyID,
		Comment: in.Comment, CreatedAt: now, ExpiresAt: now.Add(api.AccessCodeValidity)}
	err = b.db.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		inv := &problem.Invalid{}
		if err := codePolicy.Check(ctx, tx, inv, "", in.SessionPolicyID); err != nil {
			return err
		}
		if err := inv.Err(); err != nil {
			return err
		}
		if err := tx.Create(rec).Error; err != nil {
			return err
		}
		return audit.WriteEvent(ctx, tx, ActCodeCreated, "access_code", rec.ID, "", map[string]any{"expires_at": rec.ExpiresAt.Format(time.RFC3339), "comment": in.Comment})
	})
	if err != nil {
		return nil, err
	}
	out := rec.toAPI(now)
	out.Code = formatCode(code)
	out.JoinCommand = b.joinCommand(out.Code)
	return out, nil
}

func (b *Broker) joinCommand(code string) string {
	cmd := "jumpgate-agent join " + code + " --name 'Your Name' --url " + b.cfg.PublicURL
	if b.cfg.CAPin != "" {
		cmd += " --ca-pin " + b.cfg.CAPin
	}
	return cmd
}

// Codes lists access codes, newest first: every code for administrators,
// the caller's own for others.
func (b *Broker) Codes(ctx context.Context) (*api.List[api.AccessCode], error) {
	p, err := auth.MustFromContext(ctx)
	if err != nil {
		return nil, err
	}
	q := b.db.R.WithContext(ctx).Order("id DESC").Limit(500)
	if !p.Admin {
		q = q.Where("user_id = ?", p.UserID)
	}
	var rows []CodeRecord
	if err := q.Find(&rows).Error; err != nil {
		return nil, err
	}
	now := b.now()
	out := &api.List[api.AccessCode]{Items: []api.AccessCode{}}
	for i := range rows {
		out.Items = append(out.Items, *rows[i].toAPI(now))
	}
	return out, nil
}

// Code returns access code id if the caller made it (or is an admin).
func (b *Broker) Code(ctx context.Context, id int64) (*api.AccessCode, error) {
	p, err := auth.MustFromContext(ctx)
	if err != nil {
		return nil, err
	}
	var r CodeRecord
	if err := b.db.R.WithContext(ctx).Take(&r, id).Error; err != nil || (!p.Admin && r.UserID != p.UserID) {
		if err == nil || errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, problem.NotFound("access code %d does not exist", id)
		}
		return nil, err
	}
	return r.toAPI(b.now()), nil
}

// Join starts the session of a customer client that presents an access
// code (agentproto intent join). It answers Refused code_invalid for a code
// that is unknown, used or expired, and after too many failures from one
// address.
func (b *Broker) Join(ctx context.Context, a *agentproto.Auth, remote string) (*agentproto.HandshakeReply, int64, error) {
	now := b.now().UTC()
	refused := func(msg string) *agentproto.HandshakeReply {
		return &agentproto.HandshakeReply{Refused: &agentproto.Refused{Code: agentproto.RefusedCode, Message: msg}}
	}
	key := joinKey(remote)
	switch b.joinBlocked(key, now) {
	case joinBlockedAddress:
		return refused("too many wrong access codes from this address; wait a minute"), 0, nil
	case joinBlockedAll:
		return refused("too many wrong access codes on this appliance; wait a minute"), 0, nil
	}
	ctx = audit.WithRemoteAddr(ctx, remote)
	code := normalizeCode(a.Code)
	name := strings.TrimSpace(a.Name)
	if name == "" {
		name = a.Facts.Hostname
	}
	name = clip(name, 100)
	var rec *Record
	var why string
	sctx := auth.WithPrincipal(ctx, auth.Principal{Username: "customer:" + clip(name, 50)})
	err := b.db.W.WithContext(sctx).Transaction(func(tx *gorm.DB) error {
		var c CodeRecord
		err := tx.Where("code_hash = ?", hashCode(code)).Take(&c).Error
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound) || len(code) != codeDigits:
			why = "unknown access code"
			return auditRefusal(sctx, tx, 0, why, remote)
		case err != nil:
			return err
		case c.UsedAt != nil:
			why = "the access code was already used"
		case !now.Before(c.ExpiresAt):
			why = "the access code expired"
		}
		if why == "" {
			res := tx.Model(&CodeRecord{}).Where("id = ? AND used_at IS NULL", c.ID).Update("used_at", now)
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected != 1 {
				why = "the access code was already used"
			}
		}
		if why != "" {
			return auditRefusal(sctx, tx, c.ID, why, remote)
		}
		pt, err := b.portalFor(ctx, nil)
		if err != nil {
			return err
		}
		policyID := c.SessionPolicyID
		if policyID == nil && pt != nil {
			policyID = pt.SessionPolicyID
		}
		sp, err := b.sessionPolicy(ctx, policyID)
		if err != nil {
			return err
		}
		ends := now.Add(b.minutes(sp.MaxSessionMinutes))
		rec = &Record{ItemType: api.ItemCustomerClient, ItemID: c.ID, ItemName: clip(name+" ("+a.Facts.Hostname+")", 128),
			UserID: c.UserID, Username: c.Username, Mode: api.ModeAccessCode, Status: api.SessionActive, SessionPolicyID: policyID,
			Permissions: sp.Permissions, Recording: isTrue(sp.RecordShell), RecordTunnel: isTrue(sp.RecordTunnel), CustomerName: name,
			AccessCodeID: &c.ID, RequestedAt: now, StartedAt: &now, EndsAt: &ends, InstanceID: b.cfg.Instance}
		if err := tx.Create(rec).Error; err != nil {
			return err
		}
		if err := tx.Model(&CodeRecord{}).Where("id = ?", c.ID).Update("session_id", rec.ID).Error; err != nil {
			return err
		}
		if err := tx.Create(&Participant{SessionID: rec.ID, UserID: c.UserID, Username: c.Username, JoinedAt: now}).Error; err != nil {
			return err
		}
		if err := audit.WriteEvent(sctx, tx, ActRequested, ObjectSession, rec.ID, rec.ItemName, map[string]any{
			"item_type": rec.ItemType, "access_code_id": c.ID, "customer_name": name, "remote": remote, "hostname": a.Facts.Hostname}); err != nil {
			return err
		}
		return audit.WriteEvent(sctx, tx, ActStarted, ObjectSession, rec.ID, rec.ItemName, startDetails(rec))
	})
	if err != nil {
		return nil, 0, err
	}
	if why != "" {
		if b.joinFailed(key, now) {
			// Once per window: the appliance now refuses every join.
			_ = audit.WriteEvent(audit.WithRemoteAddr(systemCtx(ctx), ""), b.db.W.WithContext(ctx), ActCodeRefused, "access_code", 0, "",
				map[string]any{"reason": "too many wrong access codes on this appliance", "count": maxJoinFailuresGlobal,
					"window_seconds": int(joinWindow / time.Second), "limit": "global"})
		}
		return refused(why), 0, nil
	}
	l := b.newLive(rec)
	sp, _ := b.sessionPolicy(ctx, rec.SessionPolicyID)
	if sp != nil {
		l.idle = b.minutes(sp.IdleTimeoutMinutes)
	}
	b.mu.Lock()
	b.live[rec.ID] = l
	b.armLocked(l)
	info := b.infoLocked(l, fmt.Sprintf("connected to %s", rec.Username))
	b.mu.Unlock()
	return &agentproto.HandshakeReply{Welcome: &agentproto.Welcome{Session: &info}}, rec.ID, nil
}

// joinKey is what the per-address join limit counts against: the IP, or
// its /64 for IPv6, the block one host or home usually gets.
func joinKey(remote string) string {
	a, err := netip.ParseAddr(remote)
	if err != nil {
		return remote
	}
	if a = a.Unmap().WithZone(""); !a.Is6() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}

// Results of joinBlocked.
const (
	joinAllowed = iota
	joinBlockedAddress
	joinBlockedAll
)

// joinBlocked says whether remote, or every address, has used up its
// failures of the window.
func (b *Broker) joinBlocked(remote string, now time.Time) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	all := b.pruneJoinFailsLocked(joinFailsAll, now)
	if all == 0 && len(b.joinFails) > 1 {
		// Nothing failed within the window: forget every address.
		clear(b.joinFails)
	}
	switch {
	case b.pruneJoinFailsLocked(remote, now) >= maxJoinFailures:
		return joinBlockedAddress
	case all >= maxJoinFailuresGlobal:
		return joinBlockedAll
	}
	return joinAllowed
}

// pruneJoinFailsLocked drops the failures of key older than the window
// and returns how many are left.
func (b *Broker) pruneJoinFailsLocked(key string, now time.Time) int {
	var keep []time.Time
	for _, t := range b.joinFails[key] {
		if now.Sub(t) < joinWindow {
			keep = append(keep, t)
		}
	}
	if len(keep) == 0 {
		delete(b.joinFails, key)
	} else {
		b.joinFails[key] = keep
	}
	return len(keep)
}

// joinFailed counts a failure of remote; it reports whether it was the one
// that reached the global bound.
func (b *Broker) joinFailed(remote string, now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.joinFails[remote] = append(b.joinFails[remote], now)
	b.joinFails[joinFailsAll] = append(b.joinFails[joinFailsAll], now)
	return len(b.joinFails[joinFailsAll]) == maxJoinFailuresGlobal
}

// systemCtx gives ctx the principal of the appliance's own audit rows.
func systemCtx(ctx context.Context) context.Context { return auth.WithPrincipal(ctx, auth.System) }

// auditRefusal records a refused join in the access_code.refused row of
// its address and reason for the current window (joinWindow from the
// row's first refusal), counting it there: repeated failures do not grow
// the audit log, one row per address, reason and minute does. The row
// carries the address (remote_addr and details.remote), the reason, the
// count and the time of the last refusal.
func auditRefusal(ctx context.Context, tx *gorm.DB, codeID int64, why, remote string) error {
	now := time.Now().UTC()
	var rows []audit.Record
	if err := tx.Where("action = ? AND remote_addr = ? AND time >= ?", ActCodeRefused, remote, now.Add(-joinWindow)).
		Order("id DESC").Limit(5).Find(&rows).Error; err != nil {
		return err
	}
	for _, r := range rows {
		d := map[string]any{}
		if err := json.Unmarshal([]byte(r.Details), &d); err != nil || d["reason"] != why {
			continue
		}
		n, _ := d["count"].(float64)
		d["count"] = int(n) + 1
		d["last_at"] = now.Format(time.RFC3339Nano)
		b, err := json.Marshal(d)
		if err != nil {
			return err
		}
		return tx.Model(&audit.Record{}).Where("id = ?", r.ID).Update("details", string(b)).Error
	}
	return audit.WriteEvent(ctx, tx, ActCodeRefused, "access_code", codeID, "", map[string]any{"reason": why, "remote": remote,
		"count": 1, "last_at": now.Format(time.RFC3339Nano), "window_seconds": int(joinWindow / time.Second)})
}
