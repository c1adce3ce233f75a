// Package page implements the keyset pagination shared by every list
// endpoint: items come in ascending id order and the cursor is an opaque
// encoding of the last id of the previous page, so pages stay stable while
// objects are created and deleted. A list sorted by another key uses
// KeyCursor, and lists that search share ?q= (LikePattern, SearchWhere).
package page

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/jumpgate/jumpgate/appliance/internal/problem"
)

// Limits of a page.
const (
	DefaultLimit = 100
	MaxLimit     = 500
)

const cursorPrefix = "id:"

// Cursor encodes the id of the last item of a page.
func Cursor(lastID int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + strconv.FormatInt(lastID, 10)))
}

// Parse reads ?limit= and ?cursor=, recording bad values in inv. It returns
// the page size and the id after which the page starts.
func Parse(limit, cursor string, inv *problem.Invalid) (int, int64) {
	n := DefaultLimit
	if limit != "" {
		v, err := strconv.Atoi(limit)
		if err != nil || v < 1 || v > MaxLimit {
			inv.Add("limit", "must be an integer from 1 to %d", MaxLimit)
		} else {
			n = v
		}
	}
	var after int64
	if cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(cursor)
		s := string(b)
		if err != nil || !strings.HasPrefix(s, cursorPrefix) {
			inv.Add("cursor", "is not a cursor returned by this API")
		} else if v, err := strconv.ParseInt(strings.TrimPrefix(s, cursorPrefix), 10, 64); err != nil || v < 0 {
			inv.Add("cursor", "is not a cursor returned by this API")
		} else {
			after = v
		}
	}
	return n, after
}
