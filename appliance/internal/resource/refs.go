package resource

import (
	"context"
	"fmt"
	"strings"

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

// Counted writes n of a thing named by its regular plural, e.g. "1 jump
// client", "2 jump clients", "1 jump client installer (attended)": for one,
// the s of the noun (before any parenthesis) is dropped.
func Counted(n int64, plural string) string {
	if n != 1 {
		return fmt.Sprintf("%d %s", n, plural)
	}
	noun, rest, paren := strings.Cut(plural, " (")
	noun = strings.TrimSuffix(noun, "s")
	if paren {
		return "1 " + noun + " (" + rest
	}
	return "1 " + noun
}

// CountList joins counted things as English: "a", "a and b", "a, b and c".
func CountList(parts []string) string {
	if len(parts) <= 1 {
		return strings.Join(parts, "")
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// RefList checks a list of references: each id appears once and points at
// an existing row of table. Problems are recorded in inv as field[i].
func RefList(ctx context.Context, tx *gorm.DB, inv *problem.Invalid, field, table, title string, ids []int64) error {
	seen := map[int64]bool{}
	for i, id := range ids {
		f := fmt.Sprintf("%s[%d]", field, i)
		if seen[id] {
			inv.Add(f, "%s %d is listed twice", title, id)
		}
		seen[id] = true
		if err := Ref(ctx, tx, inv, f, table, title, &id); err != nil {
			return err
		}
	}
	return nil
}
