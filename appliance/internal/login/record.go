package login

import (
	"time"

	"github.com/jumpgate/jumpgate/appliance/internal/resource"
	"github.com/jumpgate/jumpgate/appliance/internal/user"
)

// Session is a browser session row. Hash is the SHA-256 (hex) of the
// cookie's secret; the secret itself is never stored.
type Session struct {
	ID         int64     `gorm:"primaryKey;autoIncrement"`
	UserID     int64     `gorm:"not null;index"`
	Hash       string    `gorm:"size:64;not null;uniqueIndex"`
	CreatedAt  time.Time `gorm:"not null"`
	LastSeenAt time.Time `gorm:"not null"`
	RemoteAddr string    `gorm:"size:64;not null"`
	UserAgent  string    `gorm:"size:256;not null"`
}

// TableName fixes the table name.
func (Session) TableName() string { return user.SignInTables[0] }

// Secret is a user's TOTP secret, encrypted (see sealer). ConfirmedAt is
// nil while the enrollment waits for its first code. LastStep is the last
// TOTP time step that signed in or confirmed, so a code works once.
type Secret struct {
	UserID      int64  `gorm:"primaryKey;autoIncrement:false"`
	Sealed      string `gorm:"size:256;not null"`
	ConfirmedAt *time.Time
	LastStep    int64     `gorm:"not null"`
	CreatedAt   time.Time `gorm:"not null"`
}

// TableName fixes the table name.
func (Secret) TableName() string { return user.SignInTables[1] }

// RecoveryCode is the SHA-256 (hex) of one unused recovery code.
type RecoveryCode struct {
	ID     int64  `gorm:"primaryKey;autoIncrement"`
	UserID int64  `gorm:"not null;index"`
	Hash   string `gorm:"size:64;not null"`
}

// TableName fixes the table name.
func (RecoveryCode) TableName() string { return user.SignInTables[2] }

// Records returns a record of each table of this package, for the migration
// that creates them.
func Records() []any { return []any{&Session{}, &Secret{}, &RecoveryCode{}} }

// The user's delete removes these rows (user.SignInTables).
func init() {
	for _, t := range user.SignInTables {
		resource.Register(resource.Reference{Table: t, Column: "user_id", Target: "users", Noun: "user", Cascade: true})
	}
}
