// Package user manages the appliance's users and their password hashes.
package user

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
	"gorm.io/gorm"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/internal/auth"
	"github.com/jumpgate/jumpgate/appliance/internal/db"
	"github.com/jumpgate/jumpgate/appliance/internal/grouppolicy"
	"github.com/jumpgate/jumpgate/appliance/internal/problem"
	"github.com/jumpgate/jumpgate/appliance/internal/resource"
)

// Record is a user row.
type Record struct {
	resource.Base
	resource.Labeled
	Username     string `gorm:"size:64;not null;uniqueIndex"`
	DisplayName  string `gorm:"size:128;not null"`
	Email        string `gorm:"size:254;not null"`
	Admin        bool   `gorm:"not null"`
	Enabled      bool   `gorm:"not null"`
	PasswordHash string `gorm:"size:256;not null"`
	// MFARequired makes the user enroll TOTP before the console opens.
	MFARequired bool `gorm:"not null;default:false"`
}

// TableName fixes the table name.
func (Record) TableName() string { return "users" }

func toAPI(r *Record) *api.User {
	return &api.User{Meta: r.Meta(), Username: r.Username, DisplayName: r.DisplayName, Email: r.Email,
		Admin: r.Admin, Enabled: api.Bool(r.Enabled), HasPassword: r.PasswordHash != "", MFARequired: api.Bool(r.MFARequired)}
}

func fromAPI(a *api.User, r *Record) error {
	r.Username, r.DisplayName, r.Email, r.Admin, r.Enabled = a.Username, a.DisplayName, a.Email, a.Admin, *a.Enabled
	if a.MFARequired != nil {
		r.MFARequired = *a.MFARequired
	}
	if a.Password != "" {
		h, err := HashPassword(a.Password)
		if err != nil {
			return err
		}
		r.PasswordHash = h
	}
	return nil
}

// Service is the users collection.
type Service = resource.Service[api.User, Record]

// New returns the users collection over d. changed is called after every
// write, so credential caches can be dropped.
func New(d *db.DB, changed func()) *Service {
	return &Service{DB: d, Spec: resource.Spec[api.User, Record]{
		Kind: "user", Path: api.PathUsers, Title: "User",
		ToAPI: toAPI, FromAPI: fromAPI,
		Defaults:     (*api.User).ApplyDefaults,
		Unique:       map[string]string{"username": "username"},
		Check:        check,
		BeforeDelete: beforeDelete,
		Save:         endBrowserSessions,
		Hydrate:      mfaEnrolled,
		Name:         func(a *api.User) string { return a.Username },
		Redact:       func(a *api.User) { a.Password = "" },
		WriteOnly:    []string{"password"},
		Changed:      changed,
		Search:       []string{"username", "display_name", "email"}, SearchDoc: "username, display_name and email",
		Sorts: map[string]string{"username": "username", "display_name": "display_name"},
		Filters: map[string]resource.Filter{
			"username": {Column: "username", Doc: "Only the user with this username."},
			"admin":    {Column: "admin", Bool: true, Doc: "Only administrators (true) or only others (false)."},
			"enabled":  {Column: "enabled", Bool: true, Doc: "Only enabled (true) or disabled (false) users."},
		},
	}}
}

// check keeps usernames unique regardless of case and keeps at least one
// enabled administrator.
func check(ctx context.Context, tx *gorm.DB, a *api.User, id int64) error {
	// Usernames differing only in case would make the audit trail ambiguous.
	var clash int64
	if err := tx.WithContext(ctx).Model(&Record{}).Where("LOWER(username) = LOWER(?) AND id <> ?", a.Username, id).Count(&clash).Error; err != nil {
		return err
	}
	if clash > 0 {
		return problem.Conflict("a user with username %q (ignoring case) already exists", a.Username)
	}
	if id == 0 || (a.Admin && *a.Enabled) {
		return nil
	}
	var cur Record
	if err := tx.WithContext(ctx).Take(&cur, id).Error; err != nil {
		return err
	}
	if !cur.Admin || !cur.Enabled {
		return nil
	}
	n, err := otherAdmins(ctx, tx, id)
	if err != nil {
		return err
	}
	if n == 0 {
		return problem.Conflict("user %q is the last enabled administrator; make another user an administrator first", cur.Username)
	}
	return nil
}

func otherAdmins(ctx context.Context, tx *gorm.DB, id int64) (int64, error) {
	var n int64
	err := tx.WithContext(ctx).Model(&Record{}).Where("admin = ? AND enabled = ? AND id <> ?", true, true, id).Count(&n).Error
	return n, err
}

func beforeDelete(ctx context.Context, tx *gorm.DB, r *Record) error {
	if p, ok := auth.FromContext(ctx); ok && p.UserID == r.ID {
		return problem.Conflict("you cannot delete your own user")
	}
	if r.Admin && r.Enabled {
		n, err := otherAdmins(ctx, tx, r.ID)
		if err != nil {
			return err
		}
		if n == 0 {
			return problem.Conflict("user %q is the last enabled administrator", r.Username)
		}
	}
	// A user's personal list, and any other reference to users but the
	// group policy memberships and API tokens removed below, keeps the
	// user.
	uses, err := resource.UsesOf(ctx, tx, "users", r.ID)
	if err != nil {
		return err
	}
	for _, u := range uses {
		if grouppolicy.IsPersonal(u.Reference) {
			return problem.Conflict("user %q still has %d %s on their personal list", r.Username, u.Count, u.Title)
		}
	}
	if len(uses) > 0 {
		return problem.Conflict("user %q is still used by %s", r.Username, resource.UsedBy(uses))
	}
	names, err := approverOf(ctx, tx, r.ID)
	if err != nil {
		return err
	}
	if len(names) > 0 {
		return problem.Conflict("user %q approves jumps of jump policies %s; remove them from approval_user_ids first", r.Username, strings.Join(names, ", "))
	}
	if err := tx.WithContext(ctx).Exec("DELETE FROM api_tokens WHERE user_id = ?", r.ID).Error; err != nil {
		return fmt.Errorf("delete user tokens: %w", err)
	}
	for _, table := range SignInTables {
		if err := tx.WithContext(ctx).Exec("DELETE FROM "+table+" WHERE user_id = ?", r.ID).Error; err != nil {
			return fmt.Errorf("delete user's %s: %w", table, err)
		}
	}
	return grouppolicy.DeleteForUser(ctx, tx, r.ID)
}

// SignInTables are the tables of package login that hold a user's browser
// sessions and MFA state (by user_id): deleting the user deletes their rows.
// The first is the browser sessions, which a disabled user or a new password
// also ends.
var SignInTables = []string{"browser_sessions", "mfa_secrets", "mfa_recovery_codes"}

// mfaEnrolled fills MFAEnrolled from the confirmed TOTP secrets.
func mfaEnrolled(ctx context.Context, tx *gorm.DB, items []*api.User) error {
	if len(items) == 0 {
		return nil
	}
	ids := make([]int64, len(items))
	for i, a := range items {
		ids[i] = a.ID
	}
	var enrolled []int64
	if err := tx.WithContext(ctx).Table(SignInTables[1]).Where("user_id IN ? AND confirmed_at IS NOT NULL", ids).Pluck("user_id", &enrolled).Error; err != nil {
		return fmt.Errorf("read users' MFA state: %w", err)
	}
	for _, a := range items {
		a.MFAEnrolled = slices.Contains(enrolled, a.ID)
	}
	return nil
}

// endBrowserSessions ends the browser sessions of a user who is disabled or
// gets a new password, in the write's transaction; the server's changed hook
// then closes the session channels opened with them.
func endBrowserSessions(ctx context.Context, tx *gorm.DB, a *api.User, r *Record) error {
	if r.ID == 0 || r.Enabled && a.Password == "" {
		return nil
	}
	if err := tx.WithContext(ctx).Exec("DELETE FROM "+SignInTables[0]+" WHERE user_id = ?", r.ID).Error; err != nil {
		return fmt.Errorf("end browser sessions: %w", err)
	}
	return nil
}

// approverOf returns the code names of the jump policies that list the user
// in approval_user_ids; deleting the user would leave them naming no one.
func approverOf(ctx context.Context, tx *gorm.DB, id int64) ([]string, error) {
	var rows []struct {
		CodeName        string
		ApprovalUserIDs string
	}
	// The ids are a JSON array in a text column: LIKE narrows the rows, the
	// decode below decides.
	if err := tx.WithContext(ctx).Table("jump_policies").Select("code_name, approval_user_ids").
		Where("approval_user_ids LIKE ?", "%"+strconv.FormatInt(id, 10)+"%").Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("find jump policies approved by user %d: %w", id, err)
	}
	var names []string
	for _, row := range rows {
		var ids []int64
		if err := json.Unmarshal([]byte(row.ApprovalUserIDs), &ids); err != nil {
			return nil, fmt.Errorf("jump policy %q: approval_user_ids: %w", row.CodeName, err)
		}
		if slices.Contains(ids, id) {
			names = append(names, strconv.Quote(row.CodeName))
		}
	}
	return names, nil
}

// argon2id parameters: OWASP's recommended minimum (19 MiB, 2 passes).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// HashPassword returns an argon2id hash in the PHC string format.
func HashPassword(pw string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// CheckPassword reports whether pw matches a HashPassword hash.
func CheckPassword(hash, pw string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errors.New("unknown password hash format")
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false, fmt.Errorf("parse password hash: %w", err)
	}
	enc := base64.RawStdEncoding
	salt, err := enc.DecodeString(parts[4])
	if err != nil {
		return false, fmt.Errorf("parse password hash: %w", err)
	}
	want, err := enc.DecodeString(parts[5])
	if err != nil {
		return false, fmt.Errorf("parse password hash: %w", err)
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
