package page

import (
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/jumpgate/jumpgate/appliance/internal/problem"
)

const keyPrefix = "key:"

// key is the position after an item of a page in a sorted list: the sort
// the page was taken in, the item's value of the sort key and its tie
// breakers (kind, for lists of several kinds, and id).
type key struct {
	Sort  string          `json:"s"`
	Value json.RawMessage `json:"v"`
	Kind  string          `json:"k,omitempty"`
	ID    int64           `json:"id"`
}

// KeyCursor encodes the position after an item in a list sorted by sort
// (a ?sort= value such as "-name"): the item's sort value, its kind (""
// in lists of one kind) and its id. The sort is part of the cursor, so a
// cursor is refused under another sort rather than skipping items.
func KeyCursor(sort string, value any, kind string, id int64) string {
	v, err := json.Marshal(value)
	if err != nil {
		// Sort values are strings, numbers, booleans and times.
		panic("page: unencodable sort value: " + err.Error())
	}
	b, _ := json.Marshal(key{Sort: sort, Value: v, Kind: kind, ID: id})
	return base64.RawURLEncoding.EncodeToString(append([]byte(keyPrefix), b...))
}

// Position is a decoded KeyCursor.
type Position struct {
	// Value is the JSON of the sort value; decode it into the sort
	// column's Go type.
	Value json.RawMessage
	// Kind and ID break ties.
	Kind string
	ID   int64
}

// ParseKey reads a cursor of a list sorted by sort, recording a bad or
// foreign cursor in inv. It returns nil for no cursor. An id cursor (see
// Cursor) is accepted when sort is "id".
func ParseKey(cursor, sort string, inv *problem.Invalid) *Position {
	if cursor == "" {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		inv.Add("cursor", "is not a cursor returned by this API")
		return nil
	}
	s := string(b)
	if strings.HasPrefix(s, cursorPrefix) && sort == "id" {
		_, after := Parse("", cursor, inv)
		v, _ := json.Marshal(after)
		return &Position{Value: v, ID: after}
	}
	var k key
	if !strings.HasPrefix(s, keyPrefix) || json.Unmarshal([]byte(strings.TrimPrefix(s, keyPrefix)), &k) != nil || k.ID < 0 || len(k.Value) == 0 {
		inv.Add("cursor", "is not a cursor returned by this API")
		return nil
	}
	if k.Sort != sort {
		inv.Add("cursor", "belongs to a list sorted by %q, not %q; start again without a cursor", k.Sort, sort)
		return nil
	}
	return &Position{Value: k.Value, Kind: k.Kind, ID: k.ID}
}
