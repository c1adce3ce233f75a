package resource

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/jumpgate/jumpgate/appliance/internal/problem"
)

// Exists reports whether table has a row with the given id.
func Exists(ctx context.Context, tx *gorm.DB, table string, id int64) (bool, error) {
	var n int64
	if err := tx.WithContext(ctx).Table(table).Where("id = ?", id).Count(&n).Error; err != nil {
		return false, fmt.Errorf("check %s %d: %w", table, id, err)
	}
	return n > 0, nil
}

// Ref checks that a reference field points at an existing row, recording a
// 422 field error in inv otherwise. A nil or zero id is no reference.
func Ref(ctx context.Context, tx *gorm.DB, inv *problem.Invalid, field, table, title string, id *int64) error {
	if id == nil || *id == 0 {
		return nil
	}
	ok, err := Exists(ctx, tx, table, *id)
	if err != nil {
		return err
	}
	if !ok {
		inv.Add(field, "%s %d does not exist", title, *id)
	}
	return nil
}

// CountRefs counts rows of table where column = id, for delete guards.
func CountRefs(ctx context.Context, tx *gorm.DB, table, column string, id int64) (int64, error) {
	var n int64
	if err := tx.WithContext(ctx).Table(table).Where(column+" = ?", id).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count %s.%s: %w", table, column, err)
	}
	return n, nil
}
