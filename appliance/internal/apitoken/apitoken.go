// Package apitoken manages API tokens: bearer secrets stored only as
// SHA-256 hashes, shown once at creation, revocable at any time. It also
// authenticates requests by token.
package apitoken

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/internal/auth"
	"github.com/jumpgate/jumpgate/appliance/internal/db"
	"github.com/jumpgate/jumpgate/appliance/internal/problem"
	"github.com/jumpgate/jumpgate/appliance/internal/resource"
)

// Record is an API token row. Hash is the SHA-256 of the secret.
type Record struct {
	resource.Base
	Name       string `gorm:"size:128;not null"`
	UserID     int64  `gorm:"not null;index"`
	Hash       string `gorm:"size:64;not null;uniqueIndex"`
	Prefix     string `gorm:"size:16;not null"`
	ExpiresAt  *time.Time
	LastUsedAt *time.Time
	// secret is the clear token, known only while creating it.
	secret string `gorm:"-"`
}

// TableName fixes the table name.
func (Record) TableName() string { return "api_tokens" }

// owner is the user a token acts as; deleting the user deletes its tokens.
var owner = resource.Reference{Table: "api_tokens", Column: "user_id", Field: "user_id", Target: "users", Noun: "user", Cascade: true}

func init() { resource.Register(owner) }

func toAPI(r *Record) *api.APIToken {
	return &api.APIToken{Meta: r.Meta(), Name: r.Name, UserID: r.UserID, ExpiresAt: r.ExpiresAt, LastUsedAt: r.LastUsedAt, Prefix: r.Prefix}
}

func fromAPI(a *api.APIToken, r *Record) error {
	r.Name, r.ExpiresAt = a.Name, nil
	if a.ExpiresAt != nil {
		// Stored to the second in UTC, so what is answered equals what is read back.
		t := a.ExpiresAt.UTC().Truncate(time.Second)
		r.ExpiresAt = &t
	}
	if r.Hash == "" {
		secret, hash, err := auth.NewToken()
		if err != nil {
			return fmt.Errorf("generate token: %w", err)
		}
		r.UserID, r.Hash, r.Prefix, r.secret = a.UserID, hash, secret[:len(auth.TokenPrefix)+6], secret
	}
	return nil
}

// Service is the api-tokens collection.
type Service = resource.Service[api.APIToken, Record]

// New returns the api-tokens collection over d. Users manage their own
// tokens; administrators manage everyone's.
func New(d *db.DB, changed func()) *Service {
	return &Service{DB: d, Spec: resource.Spec[api.APIToken, Record]{
		Kind: "api_token", Path: api.PathAPITokens, Title: "API Token",
		ToAPI: toAPI, FromAPI: fromAPI,
		Check:        check,
		Name:         func(a *api.APIToken) string { return a.Name },
		Reveal:       func(_ context.Context, a *api.APIToken, r *Record) { a.Token = r.secret },
		Redact:       func(a *api.APIToken) { a.Token = "" },
		Changed:      changed,
		NonAdminRead: true, NonAdminWrite: true,
		ReadScope: func(_ context.Context, p auth.Principal) resource.Scope {
			return func(tx *gorm.DB) *gorm.DB { return tx.Where("user_id = ?", p.UserID) }
		},
		Authorize: func(_ context.Context, p auth.Principal, a, _ *api.APIToken) error {
			if a != nil && a.UserID != 0 && a.UserID != p.UserID {
				return problem.Forbidden("only administrators may manage other users' tokens")
			}
			return nil
		},
		Search: []string{"name", "prefix"}, SearchDoc: "name and prefix",
		Sorts: map[string]string{"name": "name"},
		Filters: map[string]resource.Filter{
			"user_id": {Column: "user_id", Int: true, Doc: "Only tokens of this user."},
			"name":    {Column: "name", Doc: "Only tokens with this name."},
		},
	}}
}

func check(ctx context.Context, tx *gorm.DB, a *api.APIToken, id int64) error {
	inv := &problem.Invalid{}
	if id == 0 {
		if a.UserID == 0 {
			p, err := auth.MustFromContext(ctx)
			if err != nil {
				return err
			}
			if p.UserID == 0 {
				inv.Add("user_id", "is required")
				return inv
			}
			a.UserID = p.UserID
		}
		uid := a.UserID
		if err := owner.Check(ctx, tx, inv, "", &uid); err != nil {
			return err
		}
		if a.ExpiresAt != nil && !a.ExpiresAt.After(time.Now()) {
			inv.Add("expires_at", "must be in the future")
		}
	} else {
		var cur Record
		if err := tx.WithContext(ctx).Take(&cur, id).Error; err != nil {
			return err
		}
		if a.UserID != 0 && a.UserID != cur.UserID {
			inv.Add("user_id", "cannot be changed; create a token for the other user instead")
		}
		a.UserID = cur.UserID
		p, err := auth.MustFromContext(ctx)
		if err != nil {
			return err
		}
		if msg := expiryChange(p, cur.ExpiresAt, a.ExpiresAt, time.Now()); msg != "" {
			inv.Add("expires_at", "%s", msg)
		}
	}
	return inv.Err()
}

// expiryChange says why p may not move a token's expiry from cur to next,
// or "" when it may. Nobody revives an expired token; its owner may only
// shorten its life (set an expiry, or an earlier one); an administrator
// may also lengthen the life of a token that has not expired.
func expiryChange(p auth.Principal, cur, next *time.Time, now time.Time) string {
	if next != nil {
		t := next.UTC().Truncate(time.Second)
		next = &t
	}
	same := (cur == nil && next == nil) || (cur != nil && next != nil && cur.Equal(*next))
	switch {
	case same:
		return ""
	case cur != nil && !cur.After(now):
		return fmt.Sprintf("cannot be changed: the token expired at %s, and an expired token is never revived; create a new token", cur.UTC().Format(time.RFC3339))
	case p.Admin:
		return ""
	case next == nil:
		return fmt.Sprintf("cannot be removed: you may only shorten your token's life (it expires at %s); an administrator may lengthen it", cur.UTC().Format(time.RFC3339))
	case cur != nil && next.After(*cur):
		return fmt.Sprintf("cannot be later than the token's expiry, %s: you may only shorten your token's life; an administrator may lengthen it", cur.UTC().Format(time.RFC3339))
	}
	return ""
}

// Authenticator resolves tokens against the database, joined with their
// user. Resolved tokens are cached for CacheTTL; every write to users or
// tokens calls Invalidate (wired by the server), so revoking a token or
// disabling a user takes effect on the next request of this appliance. The
// TTL bounds staleness against writes made by another process on a shared
// database. Unknown tokens are never cached.
type Authenticator struct {
	DB *db.DB
	// CacheTTL is how long a resolved token is trusted; 0 means 5 seconds.
	CacheTTL time.Duration

	mu       sync.Mutex
	lastSeen map[int64]time.Time
	cache    map[string]cached
}

type cached struct {
	p       auth.Principal
	expires *time.Time
	until   time.Time
}

// maxCached bounds the cache; it is emptied when full.
const maxCached = 10000

// Invalidate drops every cached token.
func (a *Authenticator) Invalidate() {
	a.mu.Lock()
	a.cache = nil
	a.mu.Unlock()
}

type authRow struct {
	TokenID    int64
	ExpiresAt  *time.Time
	LastUsedAt *time.Time
	UserID     int64
	Username   string
	Admin      bool
	Enabled    bool
}

// Authenticate implements auth.Authenticator.
func (a *Authenticator) Authenticate(ctx context.Context, hash string) (auth.Principal, error) {
	now := time.Now().UTC()
	a.mu.Lock()
	c, ok := a.cache[hash]
	a.mu.Unlock()
	if ok && now.Before(c.until) {
		if c.expires != nil && !c.expires.After(now) {
			return auth.Principal{}, fmt.Errorf("token expired at %s: %w", c.expires.Format(time.RFC3339), problem.ErrUnauthorized)
		}
		a.touch(ctx, c.p.TokenID, nil, now)
		return c.p, nil
	}
	var row authRow
	err := a.DB.R.WithContext(ctx).Table("api_tokens AS t").
		Select("t.id AS token_id, t.expires_at, t.last_used_at, u.id AS user_id, u.username, u.admin, u.enabled").
		Joins("JOIN users AS u ON u.id = t.user_id").
		Where("t.hash = ?", hash).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return auth.Principal{}, fmt.Errorf("invalid token: %w", problem.ErrUnauthorized)
	}
	if err != nil {
		return auth.Principal{}, fmt.Errorf("authenticate: %w", err)
	}
	if row.ExpiresAt != nil && !row.ExpiresAt.After(now) {
		return auth.Principal{}, fmt.Errorf("token expired at %s: %w", row.ExpiresAt.Format(time.RFC3339), problem.ErrUnauthorized)
	}
	if !row.Enabled {
		return auth.Principal{}, fmt.Errorf("user %q is disabled: %w", row.Username, problem.ErrUnauthorized)
	}
	p := auth.Principal{UserID: row.UserID, Username: row.Username, Admin: row.Admin, TokenID: row.TokenID}
	ttl := a.CacheTTL
	if ttl == 0 {
		ttl = 5 * time.Second
	}
	a.mu.Lock()
	if a.cache == nil || len(a.cache) >= maxCached {
		a.cache = map[string]cached{}
	}
	a.cache[hash] = cached{p: p, expires: row.ExpiresAt, until: now.Add(ttl)}
	a.mu.Unlock()
	a.touch(ctx, row.TokenID, row.LastUsedAt, now)
	return p, nil
}

// touch records last use at most once a minute per token, so authentication
// stays a read on the hot path.
func (a *Authenticator) touch(ctx context.Context, id int64, stored *time.Time, now time.Time) {
	a.mu.Lock()
	if a.lastSeen == nil {
		a.lastSeen = map[int64]time.Time{}
	}
	last, ok := a.lastSeen[id]
	if !ok && stored != nil {
		last = *stored
	}
	if now.Sub(last) < time.Minute {
		a.mu.Unlock()
		return
	}
	a.lastSeen[id] = now
	a.mu.Unlock()
	_ = a.DB.W.WithContext(context.WithoutCancel(ctx)).Table("api_tokens").Where("id = ?", id).Update("last_used_at", now.Truncate(time.Second)).Error
}
