package page

import (
	"strings"

	"github.com/jumpgate/jumpgate/appliance/internal/problem"
)

// Search: ?q=, a case-insensitive substring searched with LIKE on the
// columns a list names, shared by every list that searches.
const (
	SearchQuery = "q"
	// MaxSearchLen bounds ?q=, in bytes.
	MaxSearchLen = 128
)

// LikePattern returns the LIKE pattern that matches q as a case-insensitive
// substring of a lower-cased column, with \ escaping the wildcards % and _
// (use it with ESCAPE '\').
func LikePattern(q string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(strings.ToLower(q)) + "%"
}

// SearchWhere returns a condition true when pattern (see LikePattern)
// matches one of columns, or one of conds, conditions holding one ? that
// each take the pattern (such as a subquery on another table), and its
// arguments.
func SearchWhere(columns, conds []string, pattern string) (string, []any) {
	parts := make([]string, 0, len(columns)+len(conds))
	args := make([]any, 0, cap(parts))
	for _, c := range columns {
		parts = append(parts, "LOWER("+c+`) LIKE ? ESCAPE '\'`)
		args = append(args, pattern)
	}
	for _, c := range conds {
		parts = append(parts, c)
		args = append(args, pattern)
	}
	return "(" + strings.Join(parts, " OR ") + ")", args
}

// LikeIn returns a condition for SearchWhere's conds: column of the
// table, lower-cased, matches the pattern.
func LikeIn(column string) string { return "LOWER(" + column + `) LIKE ? ESCAPE '\'` }

// ParseSearch reads ?q=, recording a bad value in inv; "" means no search.
func ParseSearch(q string, inv *problem.Invalid) string {
	q = strings.TrimSpace(q)
	if len(q) > MaxSearchLen {
		inv.Add(SearchQuery, "must be at most %d bytes", MaxSearchLen)
		return ""
	}
	return q
}
