// Package agentid keeps what the appliance remembers about agent identities
// that no longer exist: a tombstone per deleted (or replaced) key, so that an
// agent presenting it is told to uninstall itself instead of being refused
// like a stranger.
package agentid

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Tombstone is a retired agent key.
type Tombstone struct {
	ID int64 `gorm:"primaryKey;autoIncrement"`
	// Kind is jump_client or jumpoint.
	Kind string `gorm:"size:16;not null;index:idx_tomb_identity"`
	// ObjectID is the Jump Client id or Jumpoint node id.
	ObjectID  int64     `gorm:"not null;index:idx_tomb_identity"`
	PublicKey []byte    `gorm:"not null"`
	Reason    string    `gorm:"size:64;not null"`
	CreatedAt time.Time `gorm:"not null;index"`
}

// TableName fixes the table name.
func (Tombstone) TableName() string { return "agent_tombstones" }

// Bury records that key no longer identifies (kind, id).
func Bury(ctx context.Context, tx *gorm.DB, kind string, id int64, key []byte, reason string) error {
	if len(key) == 0 {
		return nil
	}
	t := &Tombstone{Kind: kind, ObjectID: id, PublicKey: key, Reason: reason, CreatedAt: time.Now().UTC()}
	if err := tx.WithContext(ctx).Create(t).Error; err != nil {
		return fmt.Errorf("record retired agent key: %w", err)
	}
	return nil
}

// Buried reports whether sig over msg was made by a retired key of (kind,
// id), and why that key was retired.
func Buried(ctx context.Context, tx *gorm.DB, kind string, id int64, msg, sig []byte) (bool, string, error) {
	var ts []Tombstone
	if err := tx.WithContext(ctx).Where("kind = ? AND object_id = ?", kind, id).Find(&ts).Error; err != nil {
		return false, "", fmt.Errorf("read retired agent keys: %w", err)
	}
	for _, t := range ts {
		if len(t.PublicKey) == ed25519.PublicKeySize && ed25519.Verify(t.PublicKey, msg, sig) {
			return true, t.Reason, nil
		}
	}
	return false, "", nil
}

// Purge drops tombstones older than before.
func Purge(ctx context.Context, tx *gorm.DB, before time.Time) error {
	return tx.WithContext(ctx).Where("created_at < ?", before).Delete(&Tombstone{}).Error
}
