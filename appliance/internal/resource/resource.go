// Package resource implements the create/read/update/delete/list behaviour
// that every configuration collection of the API shares: strict decoding,
// validation, reference checks, optimistic concurrency (versions, ETag and
// If-Match), keyset pagination with filters, authorisation, and an audit
// record with a field diff written in the same transaction as the change.
//
// A collection is a Spec: its GORM record, the conversion to and from its
// api type, and small hooks for its own rules. Service runs the shared
// behaviour over a Spec and Routes exposes it over HTTP.
package resource

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/internal/auth"
)

// Base is embedded in every collection's GORM record.
type Base struct {
	ID        int64     `gorm:"primaryKey;autoIncrement"`
	Version   int64     `gorm:"not null"`
	CreatedAt time.Time `gorm:"not null"`
	UpdatedAt time.Time `gorm:"not null"`
}

func (b *Base) base() *Base { return b }

// Meta converts the base to the api form.
func (b *Base) Meta() api.Meta {
	return api.Meta{ID: b.ID, Version: b.Version, CreatedAt: b.CreatedAt, UpdatedAt: b.UpdatedAt}
}

type record interface{ base() *Base }

type metaHolder interface{ GetMeta() *api.Meta }

// Filter is an exact-match list filter, ?<name>=<value>.
type Filter struct {
	// Column is the SQL column.
	Column string
	// Int parses the value as an integer.
	Int bool
	// Bool parses the value as true/false.
	Bool bool
	// Doc describes the filter in the OpenAPI document.
	Doc string
	// Where, when set, replaces "<Column> = ?", e.g. a subquery on another
	// table; it takes the value as its one argument.
	Where string
}

// Scope restricts a query to the rows a non-admin caller may see.
type Scope func(tx *gorm.DB) *gorm.DB

// Spec describes one collection. A is the api type (embedding api.Meta) and
// R the GORM record (embedding Base).
type Spec[A any, R any] struct {
	// Kind is the audit object type, singular snake_case ("jump_group").
	Kind string
	// Path is the collection path under /api/v1 ("jump-groups").
	Path string
	// Title is the singular human name ("Jump Group").
	Title string

	// ToAPI converts a record; associations are added by Hydrate.
	ToAPI func(r *R) *A
	// FromAPI copies the writable fields of a validated request onto r,
	// which is zero on create and the stored record on update.
	FromAPI func(a *A, r *R) error
	// Defaults fills defaults into a request before validation.
	Defaults func(a *A)
	// Check enforces rules beyond struct tags, inside the write transaction:
	// cross-field rules and references to other objects. id is 0 on create.
	Check func(ctx context.Context, tx *gorm.DB, a *A, id int64) error
	// Unique lists fields whose values must be unique, as JSON name → column;
	// a clash is a 409 naming the field.
	Unique map[string]string
	// Hydrate loads associations into api objects after a read.
	Hydrate func(ctx context.Context, tx *gorm.DB, items []*A) error
	// Save writes associations after the record row is written.
	Save func(ctx context.Context, tx *gorm.DB, a *A, r *R) error
	// BeforeDelete refuses a delete (409) or removes dependent rows.
	BeforeDelete func(ctx context.Context, tx *gorm.DB, r *R) error
	// Name returns the human name of an object, for audit records.
	Name func(a *A) string
	// Redact removes secrets from objects that are read (get and list).
	Redact func(a *A)
	// RedactFor removes, after Redact, what caller p may not read of an
	// object that is read or answered to a write (webhook URLs hidden
	// from non-administrators). A merge patch applies to the object as
	// stored, so a hidden field is kept; a field hidden from callers who
	// may also replace the object (PUT) would be lost, so hide only what
	// those callers cannot write.
	RedactFor func(p auth.Principal, a *A)
	// Reveal adds secrets to the create answer only (new token, key info).
	Reveal func(ctx context.Context, a *A, r *R)
	// WriteOnly lists request fields that are never echoed (passwords); the
	// audit diff shows them as "(changed)".
	WriteOnly []string
	// Filters are the list filters by query name.
	Filters map[string]Filter
	// Search lists the columns that ?q= searches, case-insensitively and
	// as a substring: names, code names, host names, tags.
	Search []string
	// SearchIn adds conditions with one ? that ?q= also matches with its
	// LIKE pattern, such as a subquery on another table (see LikeIn).
	SearchIn []string
	// SearchDoc names what ?q= searches, for the OpenAPI document.
	SearchDoc string
	// Sorts are the keys ?sort= takes besides id, key → column. The
	// columns are NOT NULL columns of the record's table, so that a
	// cursor (sort value, id) orders every row.
	Sorts map[string]string

	// NonAdminRead lets non-admin users read the collection, limited by
	// ReadScope when set.
	NonAdminRead bool
	// ReadScope limits what a non-admin caller sees.
	ReadScope func(ctx context.Context, p auth.Principal) Scope
	// NonAdminWrite lets non-admin users write objects within ReadScope,
	// subject to Authorize.
	NonAdminWrite bool
	// Authorize checks a write by a non-admin caller; old is nil on create.
	Authorize func(ctx context.Context, p auth.Principal, a *A, old *A) error
	// Changed is called after a committed write (e.g. to drop caches).
	Changed func()
}

func meta[A any](a *A) *api.Meta { return any(a).(metaHolder).GetMeta() }

func baseOf[R any](r *R) *Base { return any(r).(record).base() }
