package resource

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"reflect"
	"slices"
	"strings"

	"gorm.io/gorm"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/internal/db"
	"github.com/jumpgate/jumpgate/appliance/internal/problem"
)

// Labels work the same way for every collection that has them, so they
// live here rather than in each collection's toAPI/fromAPI: a collection
// opts in by embedding Labeled in its record, and its api type carries
// `Labels map[string]string json:"labels"`. The Service then copies the
// labels between the two, validates them, keeps them on a write that
// leaves them null, and serves the ?label= list filter.

// LabelQuery is the list query parameter that selects by label.
const LabelQuery = "label"

// LabelQueryDoc documents the label filter in the OpenAPI document.
const LabelQueryDoc = "Only objects with these labels. Repeatable, all must match: key=value (the key with exactly this value) or key (the key with any value)."

// Labeled is embedded in the GORM record of a collection whose objects
// carry labels.
type Labeled struct {
	// Labels are stored as a JSON object in a text column.
	Labels LabelSet `gorm:"column:labels;not null;default:'{}'"`
}

func (l *Labeled) labeled() *Labeled { return l }

type labeledRecord interface{ labeled() *Labeled }

// LabelSet is the stored form of an object's labels: a JSON object in a
// text column. It always stores an object ({} when empty, never NULL or ""),
// so the JSON functions of the label filter can read every row.
type LabelSet map[string]string

// Value encodes the set as a JSON object.
func (l LabelSet) Value() (driver.Value, error) {
	if l == nil {
		return "{}", nil
	}
	b, err := json.Marshal(map[string]string(l))
	if err != nil {
		return nil, fmt.Errorf("encode labels: %w", err)
	}
	return string(b), nil
}

// Scan decodes a JSON object; NULL and "" read as no labels.
func (l *LabelSet) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case nil:
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		return fmt.Errorf("scan labels: unexpected %T", src)
	}
	m := map[string]string{}
	if len(b) > 0 {
		if err := json.Unmarshal(b, &m); err != nil {
			return fmt.Errorf("scan labels: %w", err)
		}
	}
	*l = m
	return nil
}

// GormDataType makes the column text on every database.
func (LabelSet) GormDataType() string { return "text" }

// hasLabels reports whether the collection's records embed Labeled.
func (s *Service[A, R]) hasLabels() bool {
	_, ok := any(new(R)).(labeledRecord)
	return ok
}

// apiLabels returns the Labels field of an api object. It panics when the
// record embeds Labeled but the api type has no such field: a programming
// error that the first request (and every test) finds.
func apiLabels[A any](a *A) *api.Labels {
	f := reflect.ValueOf(a).Elem().FieldByName("Labels")
	if !f.IsValid() || f.Type() != reflect.TypeOf(api.Labels(nil)) {
		panic(fmt.Sprintf("resource: %T has a labeled record but no Labels api.Labels field", a))
	}
	return f.Addr().Interface().(*api.Labels)
}

// toAPI converts a record, adding its labels ({} when none).
func (s *Service[A, R]) toAPI(r *R) *A {
	a := s.Spec.ToAPI(r)
	if lr, ok := any(r).(labeledRecord); ok {
		m := map[string]string{}
		maps.Copy(m, lr.labeled().Labels)
		*apiLabels(a) = m
	}
	return a
}

// fromAPI copies a request onto a record. Null labels keep the stored ones
// (none on create); {} removes them all.
func (s *Service[A, R]) fromAPI(a *A, r *R) error {
	if err := s.Spec.FromAPI(a, r); err != nil {
		return err
	}
	if lr, ok := any(r).(labeledRecord); ok {
		l := lr.labeled()
		if in := *apiLabels(a); in != nil {
			l.Labels = maps.Clone(LabelSet(in))
		}
		if l.Labels == nil {
			l.Labels = LabelSet{}
		}
	}
	return nil
}

// checkLabels adds an error naming labels.<key> for every bad label.
func checkLabels(m map[string]string, inv *problem.Invalid) {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if err := api.CheckLabelKey(k); err != nil {
			inv.Add("labels."+k, "is not a valid label key: %v", err)
			continue
		}
		if err := api.CheckLabelValue(m[k]); err != nil {
			inv.Add("labels."+k, "is not a valid label value: %v", err)
		}
	}
}

// labelSelector is one ?label= term: the key, and the value unless any
// value matches.
type labelSelector struct {
	key, value string
	anyValue   bool
}

// parseLabelSelectors reads the ?label= terms, adding an error naming
// "label" for each malformed one.
func parseLabelSelectors(q url.Values, inv *problem.Invalid) []labelSelector {
	var out []labelSelector
	for _, term := range q[LabelQuery] {
		k, v, hasValue := strings.Cut(term, "=")
		if err := api.CheckLabelKey(k); err != nil {
			inv.Add(LabelQuery, "%q is not key=value or key: %v", term, err)
			continue
		}
		if err := api.CheckLabelValue(v); err != nil {
			inv.Add(LabelQuery, "%q is not key=value or key: %v", term, err)
			continue
		}
		out = append(out, labelSelector{key: k, value: v, anyValue: !hasValue})
	}
	return out
}

// where restricts tx to the rows that match the selector. Keys are checked
// label keys (no quote can reach the JSON path), and both the path and the
// value are bound parameters. The JSON functions compare exact keys and
// values, so a value never matches a longer one it is a prefix of.
func (sel labelSelector) where(tx *gorm.DB, dialect string) *gorm.DB {
	if dialect == db.Postgres {
		if sel.anyValue {
			return tx.Where("(labels::jsonb -> ?) IS NOT NULL", sel.key)
		}
		return tx.Where("(labels::jsonb ->> ?) = ?", sel.key, sel.value)
	}
	path := `$."` + sel.key + `"`
	if sel.anyValue {
		return tx.Where("json_type(labels, ?) IS NOT NULL", path)
	}
	return tx.Where("json_type(labels, ?) = 'text' AND json_extract(labels, ?) = ?", path, path, sel.value)
}
