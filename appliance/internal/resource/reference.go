package resource

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"gorm.io/gorm"

	"github.com/jumpgate/jumpgate/appliance/internal/problem"
)

// Reference declares a column whose rows name a row of another table. The
// package that owns the referring table declares it once and registers it
// with Register from its init function; both directions read the one
// declaration:
//
//   - forward, a write of a referring row checks that the target exists
//     (Check, CheckList, CheckRefs: a 422 field error naming Field);
//   - backward, a delete of a target counts the rows that still name it
//     (UsesOf, RefuseIfUsed: a 409 naming Title), unless Cascade says the
//     target's delete removes them.
//
// So a new reference column is guarded as soon as it is declared, without
// a change to the referenced collection.
type Reference struct {
	// Table and Column are the referring table and its column.
	Table, Column string
	// Field is the JSON field of the request that writes Column, for
	// field errors; empty when no request names the target by id.
	Field string
	// Target is the referenced table, whose id Column holds.
	Target string
	// Noun names one target row in field errors ("session policy").
	Noun string
	// Title names the referring rows in conflicts, as a regular plural
	// that Counted can make singular ("jump client installers (attended)").
	Title string
	// Where, when set, is an SQL condition on the referring rows under
	// which Column names Target (jump_group_id names a jump group when
	// jump_group_type is 'shared', and a user when it is 'personal').
	Where string
	// Cascade marks referring rows that the target's delete removes itself
	// (a jump group's memberships, a user's API tokens, a jumpoint's
	// nodes): they never refuse the delete.
	Cascade bool
}

// Check checks that id names an existing target, recording a field error at
// prefix+Field in inv otherwise (prefix places a reference inside a list,
// e.g. "memberships[2]."). A nil or zero id is no reference.
func (r Reference) Check(ctx context.Context, tx *gorm.DB, inv *problem.Invalid, prefix string, id *int64) error {
	return Ref(ctx, tx, inv, prefix+r.Field, r.Target, r.Noun, id)
}

// CheckList checks a list of ids written through Field with RefList.
func (r Reference) CheckList(ctx context.Context, tx *gorm.DB, inv *problem.Invalid, ids []int64) error {
	return RefList(ctx, tx, inv, r.Field, r.Target, r.Noun, ids)
}

// CheckRefs checks the reference fields of one request: ids maps a JSON
// field to its id (nil or zero is none), and each field must be the Field of
// exactly one of refs, or CheckRefs fails (a bug, not a bad request). The
// references are checked in the order of refs; those whose field ids does
// not name have rules beyond existence, which their owner checks itself.
func CheckRefs(ctx context.Context, tx *gorm.DB, inv *problem.Invalid, refs []Reference, ids map[string]*int64) error {
	for f := range ids {
		n := 0
		for _, r := range refs {
			if r.Field == f {
				n++
			}
		}
		if n != 1 {
			return fmt.Errorf("check references: field %q is the field of %d declared references, not 1", f, n)
		}
	}
	for _, r := range refs {
		if id, ok := ids[r.Field]; ok {
			if err := r.Check(ctx, tx, inv, "", id); err != nil {
				return err
			}
		}
	}
	return nil
}

var registry struct {
	sync.RWMutex
	refs []Reference
}

// Register adds references to the registry that delete guards read. It is
// called from init functions; an incomplete or repeated declaration
// panics, since it is a bug of the declaring package.
func Register(refs ...Reference) {
	registry.Lock()
	defer registry.Unlock()
	for _, r := range refs {
		if r.Table == "" || r.Column == "" || r.Target == "" || (r.Title == "" && !r.Cascade) {
			panic(fmt.Sprintf("resource.Register: incomplete reference %+v", r))
		}
		for _, o := range registry.refs {
			if o.Table == r.Table && o.Column == r.Column && o.Target == r.Target && o.Where == r.Where {
				panic(fmt.Sprintf("resource.Register: %s.%s → %s is declared twice", r.Table, r.Column, r.Target))
			}
		}
		registry.refs = append(registry.refs, r)
	}
	slices.SortStableFunc(registry.refs, func(a, b Reference) int { return tableRank(a.Table) - tableRank(b.Table) })
}

// References returns every registered reference, in message order.
func References() []Reference {
	registry.RLock()
	defer registry.RUnlock()
	return slices.Clone(registry.refs)
}

// messageOrder is the order in which conflicts name the referring rows
// (Jump Items and portals before the rows that configure them, access codes
// last), as they did when each collection listed its users by hand. It only
// orders messages: a table missing here is guarded all the same and named
// after these, in registration order.
var messageOrder = []string{
	"protocol_tunnel_jumps", "public_portals", "jump_client_installers", "jump_group_memberships", "jump_clients", "access_codes",
}

func tableRank(table string) int {
	if i := slices.Index(messageOrder, table); i >= 0 {
		return i
	}
	return len(messageOrder)
}

// Use is a reference through which rows still name one target row.
type Use struct {
	Reference
	// Count is how many rows do.
	Count int64
}

// UsesOf returns the registered references to target through which rows
// still name the row id, with their counts, in message order. Cascade
// references are left out.
func UsesOf(ctx context.Context, tx *gorm.DB, target string, id int64) ([]Use, error) {
	var uses []Use
	for _, r := range References() {
		if r.Target != target || r.Cascade {
			continue
		}
		q := tx.WithContext(ctx).Table(r.Table).Where(r.Column+" = ?", id)
		if r.Where != "" {
			q = q.Where(r.Where)
		}
		var n int64
		if err := q.Count(&n).Error; err != nil {
			return nil, fmt.Errorf("count %s.%s: %w", r.Table, r.Column, err)
		}
		if n > 0 {
			uses = append(uses, Use{Reference: r, Count: n})
		}
	}
	return uses, nil
}

// UsedBy writes uses as English: "1 protocol tunnel jump and 2 jump clients".
func UsedBy(uses []Use) string {
	parts := make([]string, len(uses))
	for i, u := range uses {
		parts[i] = Counted(u.Count, u.Title)
	}
	return CountList(parts)
}

// RefuseIfUsed returns a 409 naming every use of row id of target (what is
// the object, e.g. `jump policy "ops"`), or nil when nothing refers to it.
func RefuseIfUsed(ctx context.Context, tx *gorm.DB, what, target string, id int64) error {
	uses, err := UsesOf(ctx, tx, target, id)
	if err != nil {
		return err
	}
	if len(uses) > 0 {
		return problem.Conflict("%s is still used by %s", what, UsedBy(uses))
	}
	return nil
}
