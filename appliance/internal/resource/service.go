package resource

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/internal/audit"
	"github.com/jumpgate/jumpgate/appliance/internal/auth"
	"github.com/jumpgate/jumpgate/appliance/internal/db"
	"github.com/jumpgate/jumpgate/appliance/internal/page"
	"github.com/jumpgate/jumpgate/appliance/internal/problem"
)

// Service runs the shared collection behaviour over a Spec.
type Service[A any, R any] struct {
	Spec Spec[A, R]
	DB   *db.DB
}

// NoVersion means a write has no If-Match precondition.
const NoVersion int64 = -1

func (s *Service[A, R]) notFound(id int64) error {
	return problem.NotFound("%s %d does not exist", strings.ToLower(s.Spec.Title), id)
}

// access checks the caller may read (write=false) or write the collection
// and returns the scope limiting what it sees.
func (s *Service[A, R]) access(ctx context.Context, write bool) (auth.Principal, Scope, error) {
	p, err := auth.MustFromContext(ctx)
	if err != nil {
		return p, nil, err
	}
	if p.Admin {
		return p, nil, nil
	}
	if write && !s.Spec.NonAdminWrite {
		return p, nil, problem.Forbidden("only administrators may change %s", s.Spec.Path)
	}
	if !write && !s.Spec.NonAdminRead {
		return p, nil, problem.Forbidden("only administrators may read %s", s.Spec.Path)
	}
	var sc Scope
	if s.Spec.ReadScope != nil {
		sc = s.Spec.ReadScope(ctx, p)
	}
	return p, sc, nil
}

func apply(tx *gorm.DB, sc Scope) *gorm.DB {
	if sc != nil {
		return sc(tx)
	}
	return tx
}

// load reads one record and its api form inside tx.
func (s *Service[A, R]) load(ctx context.Context, tx *gorm.DB, sc Scope, id int64) (*R, *A, error) {
	r := new(R)
	if err := apply(tx.WithContext(ctx), sc).Where("id = ?", id).Take(r).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, nil, s.notFound(id)
		}
		return nil, nil, fmt.Errorf("load %s %d: %w", s.Spec.Kind, id, err)
	}
	a := s.toAPI(r)
	if s.Spec.Hydrate != nil {
		if err := s.Spec.Hydrate(ctx, tx, []*A{a}); err != nil {
			return nil, nil, err
		}
	}
	return r, a, nil
}

func (s *Service[A, R]) prepare(ctx context.Context, tx *gorm.DB, in *A, id int64) error {
	*meta(in) = api.Meta{}
	if s.Spec.Defaults != nil {
		s.Spec.Defaults(in)
	}
	if err := Validate(in); err != nil {
		if inv, ok := err.(*problem.Invalid); ok && s.hasLabels() {
			checkLabels(*apiLabels(in), inv)
		}
		return err
	}
	if s.hasLabels() {
		inv := &problem.Invalid{}
		checkLabels(*apiLabels(in), inv)
		if err := inv.Err(); err != nil {
			return err
		}
	}
	if s.Spec.Check != nil {
		return s.Spec.Check(ctx, tx, in, id)
	}
	return nil
}

// Create stores a new object and returns it as stored.
func (s *Service[A, R]) Create(ctx context.Context, in *A) (*A, error) {
	p, _, err := s.access(ctx, true)
	if err != nil {
		return nil, err
	}
	if !p.Admin && s.Spec.Authorize != nil {
		if err := s.Spec.Authorize(ctx, p, in, nil); err != nil {
			return nil, err
		}
	}
	writeOnly := s.writeOnlyDiff(in)
	var out *A
	var rec *R
	err = s.DB.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.prepare(ctx, tx, in, 0); err != nil {
			return err
		}
		r := new(R)
		if err := s.fromAPI(in, r); err != nil {
			return err
		}
		b := baseOf(r)
		b.ID, b.Version = 0, 1
		if err := tx.Create(r).Error; err != nil {
			return s.writeErr(err)
		}
		if s.Spec.Save != nil {
			if err := s.Spec.Save(ctx, tx, in, r); err != nil {
				return err
			}
		}
		// The record holds exactly what was stored; only associations need reading.
		a := s.toAPI(r)
		if s.Spec.Hydrate != nil {
			if err := s.Spec.Hydrate(ctx, tx, []*A{a}); err != nil {
				return err
			}
		}
		diff := Diff(nil, a)
		for k, v := range writeOnly {
			diff[k] = v
		}
		if err := audit.Write(ctx, tx, "create", s.Spec.Kind, b.ID, s.Spec.Name(a), diff); err != nil {
			return err
		}
		out, rec = a, r
		return nil
	})
	if err != nil {
		return nil, s.uniqueConflict(ctx, err, in, 0)
	}
	s.changed()
	s.redact(ctx, out)
	if s.Spec.Reveal != nil {
		s.Spec.Reveal(ctx, out, rec)
	}
	return out, nil
}

// Get returns one object.
func (s *Service[A, R]) Get(ctx context.Context, id int64) (*A, error) {
	_, sc, err := s.access(ctx, false)
	if err != nil {
		return nil, err
	}
	_, a, err := s.load(ctx, s.DB.R, sc, id)
	if err != nil {
		return nil, err
	}
	s.redact(ctx, a)
	return a, nil
}

// GetRecord returns the stored record, for packages that build on a
// collection (e.g. key info of an installer). It applies read access.
func (s *Service[A, R]) GetRecord(ctx context.Context, id int64) (*R, error) {
	_, sc, err := s.access(ctx, false)
	if err != nil {
		return nil, err
	}
	r, _, err := s.load(ctx, s.DB.R, sc, id)
	return r, err
}

// Update replaces an object. ifMatch is the expected version or NoVersion.
// An update that changes nothing writes nothing and keeps the version.
func (s *Service[A, R]) Update(ctx context.Context, id int64, in *A, ifMatch int64) (*A, error) {
	p, sc, err := s.access(ctx, true)
	if err != nil {
		return nil, err
	}
	writeOnly := s.writeOnlyDiff(in)
	var out *A
	changed := false
	err = s.DB.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		r, old, err := s.load(ctx, tx, sc, id)
		if err != nil {
			return err
		}
		b := baseOf(r)
		if ifMatch != NoVersion && ifMatch != b.Version {
			return fmt.Errorf("%s %d is at version %d, not %d: %w", s.Spec.Kind, id, b.Version, ifMatch, problem.ErrPrecondition)
		}
		if !p.Admin && s.Spec.Authorize != nil {
			if err := s.Spec.Authorize(ctx, p, in, old); err != nil {
				return err
			}
		}
		if err := s.prepare(ctx, tx, in, id); err != nil {
			return err
		}
		if err := s.fromAPI(in, r); err != nil {
			return err
		}
		// FromAPI writes onto the stored record; restore what requests never set.
		prev := b.Version
		b.ID = id
		if s.Spec.Save != nil {
			if err := s.Spec.Save(ctx, tx, in, r); err != nil {
				return err
			}
		}
		next := s.toAPI(r)
		if s.Spec.Hydrate != nil {
			if err := s.Spec.Hydrate(ctx, tx, []*A{next}); err != nil {
				return err
			}
		}
		diff := Diff(old, next)
		for k, v := range writeOnly {
			diff[k] = v
		}
		if len(diff) == 0 {
			out = old
			return nil
		}
		b.Version = prev + 1
		b.UpdatedAt = time.Now().UTC().Truncate(time.Microsecond)
		res := tx.Model(r).Where("version = ?", prev).Select("*").Omit("id", "created_at").Updates(r)
		if res.Error != nil {
			return s.writeErr(res.Error)
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("%s %d changed concurrently: %w", s.Spec.Kind, id, problem.ErrPrecondition)
		}
		*meta(next) = b.Meta()
		if err := audit.Write(ctx, tx, "update", s.Spec.Kind, id, s.Spec.Name(next), diff); err != nil {
			return err
		}
		out, changed = next, true
		return nil
	})
	if err != nil {
		return nil, s.uniqueConflict(ctx, err, in, id)
	}
	if changed {
		s.changed()
	}
	s.redact(ctx, out)
	return out, nil
}

// Patch applies an RFC 7396 JSON merge patch to an object and stores the
// result as Update does. Without ifMatch, the version read is the
// precondition, so a concurrent write is never silently overwritten.
func (s *Service[A, R]) Patch(ctx context.Context, id int64, patch []byte, ifMatch int64) (*A, error) {
	_, sc, err := s.access(ctx, true)
	if err != nil {
		return nil, err
	}
	_, cur, err := s.load(ctx, s.DB.R, sc, id)
	if err != nil {
		return nil, err
	}
	if s.Spec.Redact != nil {
		s.Spec.Redact(cur)
	}
	if ifMatch == NoVersion {
		ifMatch = meta(cur).Version
	}
	in := new(A)
	if err := ApplyMergePatch(cur, patch, in); err != nil {
		return nil, err
	}
	return s.Update(ctx, id, in, ifMatch)
}

// ApplyMergePatch applies the RFC 7396 merge patch to the JSON form of cur
// and decodes the result strictly into out.
func ApplyMergePatch(cur any, patch []byte, out any) error {
	var p any
	if err := json.Unmarshal(patch, &p); err != nil {
		return &problem.BadRequest{Detail: "malformed JSON merge patch: " + err.Error()}
	}
	pm, ok := p.(map[string]any)
	if !ok {
		return &problem.BadRequest{Detail: "a JSON merge patch must be an object"}
	}
	b, err := json.Marshal(cur)
	if err != nil {
		return err
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return err
	}
	mb, err := json.Marshal(MergePatch(doc, pm))
	if err != nil {
		return err
	}
	return DecodeBytes(mb, out)
}

// MergePatch applies an RFC 7396 merge patch to target.
func MergePatch(target any, patch any) any {
	pm, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	tm, ok := target.(map[string]any)
	if !ok {
		tm = map[string]any{}
	}
	for k, v := range pm {
		if v == nil {
			delete(tm, k)
			continue
		}
		tm[k] = MergePatch(tm[k], v)
	}
	return tm
}

// Delete removes an object. ifMatch is the expected version or NoVersion.
func (s *Service[A, R]) Delete(ctx context.Context, id int64, ifMatch int64) error {
	p, sc, err := s.access(ctx, true)
	if err != nil {
		return err
	}
	err = s.DB.W.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		r, old, err := s.load(ctx, tx, sc, id)
		if err != nil {
			return err
		}
		if v := baseOf(r).Version; ifMatch != NoVersion && ifMatch != v {
			return fmt.Errorf("%s %d is at version %d, not %d: %w", s.Spec.Kind, id, v, ifMatch, problem.ErrPrecondition)
		}
		if !p.Admin && s.Spec.Authorize != nil {
			if err := s.Spec.Authorize(ctx, p, nil, old); err != nil {
				return err
			}
		}
		if s.Spec.BeforeDelete != nil {
			if err := s.Spec.BeforeDelete(ctx, tx, r); err != nil {
				return err
			}
		}
		if err := tx.Delete(r).Error; err != nil {
			return s.writeErr(err)
		}
		if s.Spec.Redact != nil {
			s.Spec.Redact(old)
		}
		return audit.Write(ctx, tx, "delete", s.Spec.Kind, id, s.Spec.Name(old), Diff(old, nil))
	})
	if err == nil {
		s.changed()
	}
	return err
}

// List returns one page of objects matching the query's filters.
func (s *Service[A, R]) List(ctx context.Context, q url.Values) (*api.List[A], error) {
	_, sc, err := s.access(ctx, false)
	if err != nil {
		return nil, err
	}
	bad := &problem.BadRequest{}
	for k := range q {
		if k == LabelQuery && s.hasLabels() || k == SearchQuery && s.hasSearch() {
			continue
		}
		if _, ok := s.Spec.Filters[k]; !ok && k != "limit" && k != "cursor" && k != SortQuery {
			bad.Fields = append(bad.Fields, api.FieldError{Field: k, Detail: "unknown query parameter; filters are " + s.filterNames()})
		}
	}
	if len(bad.Fields) > 0 {
		sort.Slice(bad.Fields, func(i, j int) bool { return bad.Fields[i].Field < bad.Fields[j].Field })
		bad.Detail = "unknown query parameters"
		return nil, bad
	}
	inv := &problem.Invalid{}
	limit, _ := page.Parse(q.Get("limit"), "", inv)
	order := ParseSort(q.Get(SortQuery), "id", s.sorts(), inv)
	pos := page.ParseKey(q.Get("cursor"), order.Key, inv)
	var after any
	if pos != nil && order.Column != "id" {
		f, err := sortField[R](s.DB.R.NamingStrategy, order.Column)
		if err != nil {
			return nil, err
		}
		after = cursorValue(f, pos.Value, inv)
	}
	tx := apply(s.DB.R.WithContext(ctx).Model(new(R)), sc)
	for name, f := range s.Spec.Filters {
		v, ok := q[name]
		if !ok {
			continue
		}
		val := any(v[0])
		switch {
		case f.Int:
			n, err := strconv.ParseInt(v[0], 10, 64)
			if err != nil {
				inv.Add(name, "must be an integer")
				continue
			}
			val = n
		case f.Bool:
			b, err := strconv.ParseBool(v[0])
			if err != nil {
				inv.Add(name, "must be true or false")
				continue
			}
			val = b
		}
		if f.Where != "" {
			tx = tx.Where(f.Where, val)
		} else {
			tx = tx.Where(f.Column+" = ?", val)
		}
	}
	if s.hasLabels() {
		for _, sel := range parseLabelSelectors(q, inv) {
			tx = sel.where(tx, s.DB.Dialect)
		}
	}
	if term := page.ParseSearch(q.Get(SearchQuery), inv); term != "" && s.hasSearch() {
		cond, args := page.SearchWhere(s.Spec.Search, s.Spec.SearchIn, page.LikePattern(term))
		tx = tx.Where(cond, args...)
	}
	if err := inv.Err(); err != nil {
		return nil, err
	}
	// The total counts with the same conditions, before the cursor.
	var total int64
	if err := tx.Session(&gorm.Session{}).Count(&total).Error; err != nil {
		return nil, fmt.Errorf("count %s: %w", s.Spec.Path, err)
	}
	var recs []R
	if err := order.Page(tx.Session(&gorm.Session{}), pos, after).Limit(limit + 1).Find(&recs).Error; err != nil {
		return nil, fmt.Errorf("list %s: %w", s.Spec.Path, err)
	}
	out := &api.List[A]{Items: make([]A, 0, len(recs)), Total: &total}
	if len(recs) > limit {
		recs = recs[:limit]
		last := &recs[len(recs)-1]
		if order.Column == "id" && !order.Desc {
			out.NextCursor = page.Cursor(baseOf(last).ID)
		} else {
			v, err := s.sortValue(ctx, last, order.Column)
			if err != nil {
				return nil, err
			}
			out.NextCursor = page.KeyCursor(order.Key, v, "", baseOf(last).ID)
		}
	}
	ptrs := make([]*A, len(recs))
	for i := range recs {
		ptrs[i] = s.toAPI(&recs[i])
	}
	if s.Spec.Hydrate != nil && len(ptrs) > 0 {
		if err := s.Spec.Hydrate(ctx, s.DB.R, ptrs); err != nil {
			return nil, err
		}
	}
	for _, a := range ptrs {
		s.redact(ctx, a)
		out.Items = append(out.Items, *a)
	}
	return out, nil
}

// sortValue is rec's value of a sort column.
func (s *Service[A, R]) sortValue(ctx context.Context, rec *R, column string) (any, error) {
	f, err := sortField[R](s.DB.R.NamingStrategy, column)
	if err != nil {
		return nil, err
	}
	v, _ := f.ValueOf(ctx, reflect.ValueOf(rec).Elem())
	return v, nil
}

// sorts are the Spec's sort keys and those of every record: created_at
// and updated_at (id is implicit).
func (s *Service[A, R]) sorts() map[string]string {
	keys := map[string]string{"created_at": "created_at", "updated_at": "updated_at"}
	for k, c := range s.Spec.Sorts {
		keys[k] = c
	}
	return keys
}

func (s *Service[A, R]) hasSearch() bool { return len(s.Spec.Search)+len(s.Spec.SearchIn) > 0 }

func (s *Service[A, R]) filterNames() string {
	names := []string{"limit", "cursor", SortQuery}
	if s.hasLabels() {
		names = append(names, LabelQuery)
	}
	if s.hasSearch() {
		names = append(names, SearchQuery)
	}
	for k := range s.Spec.Filters {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// redact applies Redact and RedactFor (for the caller of ctx) to a.
func (s *Service[A, R]) redact(ctx context.Context, a *A) {
	if s.Spec.Redact != nil {
		s.Spec.Redact(a)
	}
	if s.Spec.RedactFor != nil {
		p, _ := auth.FromContext(ctx)
		s.Spec.RedactFor(p, a)
	}
}

func (s *Service[A, R]) changed() {
	if s.Spec.Changed != nil {
		s.Spec.Changed()
	}
}

// uniqueConflict explains a unique-index violation by finding the field
// that clashes. It runs after the failed transaction has rolled back, so the
// common path pays for no uniqueness query at all.
func (s *Service[A, R]) uniqueConflict(ctx context.Context, err error, in *A, id int64) error {
	if !errors.Is(err, gorm.ErrDuplicatedKey) {
		return err
	}
	fields := make([]string, 0, len(s.Spec.Unique))
	for f := range s.Spec.Unique {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	for _, field := range fields {
		v := reflectField(in, field)
		if v == nil || v == "" {
			continue
		}
		var n int64
		if qerr := s.DB.R.WithContext(ctx).Model(new(R)).Where(s.Spec.Unique[field]+" = ? AND id <> ?", v, id).Count(&n).Error; qerr != nil {
			return qerr
		}
		if n > 0 {
			return problem.Conflict("a %s with %s %q already exists", strings.ToLower(s.Spec.Title), field, fmt.Sprint(v))
		}
	}
	return problem.Conflict("a %s with the same unique field already exists", strings.ToLower(s.Spec.Title))
}

// writeErr maps foreign-key violations; unique violations are explained by
// uniqueConflict after the transaction.
func (s *Service[A, R]) writeErr(err error) error {
	switch {
	case errors.Is(err, gorm.ErrForeignKeyViolated):
		return problem.Conflict("%s refers to, or is referred to by, another object", strings.ToLower(s.Spec.Title))
	}
	return err
}

func (s *Service[A, R]) writeOnlyDiff(in *A) map[string]api.FieldChange {
	out := map[string]api.FieldChange{}
	for _, f := range s.Spec.WriteOnly {
		if v := reflectField(in, f); v != nil && v != "" {
			out[f] = api.FieldChange{Old: "(hidden)", New: "(changed)"}
		}
	}
	return out
}

// reflectField returns the value of the field with JSON name name, or nil.
func reflectField(v any, name string) any {
	rv := reflect.Indirect(reflect.ValueOf(v))
	t := rv.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		n, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if n == name {
			return rv.Field(i).Interface()
		}
	}
	return nil
}
