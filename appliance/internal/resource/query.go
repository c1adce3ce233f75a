package resource

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"

	"gorm.io/gorm"
	"gorm.io/gorm/schema"

	"github.com/jumpgate/jumpgate/appliance/internal/page"
	"github.com/jumpgate/jumpgate/appliance/internal/problem"
)

// The query parameters of search and sort, which every collection that
// declares Search or Sorts takes.
const (
	SearchQuery = page.SearchQuery
	SortQuery   = "sort"
)

// Documentation of the search and sort parameters in the OpenAPI document.
const (
	SearchQueryDoc = "Case-insensitive substring search on %s; %% and _ match themselves."
	SortQueryDoc   = "Sort key, one of %s; prefix with - for descending order. Ties are broken by id, and the cursor keeps the order. Default id."
	TotalDoc       = "total is the number of items matching the filters and search, on every page."
)

// Order is a parsed ?sort=.
type Order struct {
	// Key is the sort as given ("-name"); it is part of the cursor.
	Key string
	// Column is the SQL column of the sort key.
	Column string
	// Desc sorts in descending order.
	Desc bool
}

// ParseSort reads ?sort= against the allowed keys (key → column; "id" is
// always allowed), recording an unknown key in inv. "" is def.
func ParseSort(raw, def string, keys map[string]string, inv *problem.Invalid) Order {
	if raw == "" {
		raw = def
	}
	name, desc := strings.CutPrefix(raw, "-")
	col, ok := keys[name]
	if name == "id" {
		col, ok = "id", true
	}
	if !ok {
		inv.Add(SortQuery, "must be one of %s, or one of them prefixed with - for descending order", SortNames(keys))
		return Order{Key: "id", Column: "id"}
	}
	return Order{Key: raw, Column: col, Desc: desc}
}

// SortNames lists the sort keys of keys and "id", sorted and comma
// separated.
func SortNames(keys map[string]string) string {
	names := []string{"id"}
	for k := range keys {
		if k != "id" {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// Dir is the SQL direction of the order.
func (o Order) Dir() string {
	if o.Desc {
		return "DESC"
	}
	return "ASC"
}

// cmp is the row-value comparison that selects what comes after a cursor.
func (o Order) cmp() string {
	if o.Desc {
		return "<"
	}
	return ">"
}

// Page orders tx by the sort key and then id, and starts it after pos.
// value is pos's sort value decoded into the column's type.
func (o Order) Page(tx *gorm.DB, pos *page.Position, value any) *gorm.DB {
	if o.Column == "id" {
		if pos != nil {
			tx = tx.Where("id "+o.cmp()+" ?", pos.ID)
		}
		return tx.Order("id " + o.Dir())
	}
	if pos != nil {
		tx = tx.Where(fmt.Sprintf("(%s, id) %s (?, ?)", o.Column, o.cmp()), value, pos.ID)
	}
	return tx.Order(o.Column + " " + o.Dir()).Order("id " + o.Dir())
}

var schemas sync.Map

// sortField returns the record field of a sort column.
func sortField[R any](naming schema.Namer, column string) (*schema.Field, error) {
	s, err := schema.Parse(new(R), &schemas, naming)
	if err != nil {
		return nil, err
	}
	f := s.LookUpField(column)
	if f == nil {
		return nil, fmt.Errorf("sort column %q is not a column of %s", column, s.Table)
	}
	return f, nil
}

// cursorValue decodes a cursor's sort value into the type of field f.
func cursorValue(f *schema.Field, raw json.RawMessage, inv *problem.Invalid) any {
	v := reflect.New(f.FieldType)
	if err := json.Unmarshal(raw, v.Interface()); err != nil {
		inv.Add("cursor", "is not a cursor returned by this API")
		return nil
	}
	return v.Elem().Interface()
}
