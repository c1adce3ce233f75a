package api

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// A Rule is what a field's validate tag says, in the terms the OpenAPI
// document, the Terraform provider and the console use. Bounds count
// characters for strings, items for lists and maps, and the value for
// numbers.
type Rule struct {
	// Required: the zero value is refused (a string must not be empty).
	Required bool `json:"required,omitempty"`
	// OmitEmpty: the zero value is allowed whatever the other rules say.
	OmitEmpty bool `json:"omit_empty,omitempty"`
	// Min and Max are inclusive bounds, nil when unbounded.
	Min *int64 `json:"min,omitempty"`
	Max *int64 `json:"max,omitempty"`
	// OneOf lists the allowed values.
	OneOf []string `json:"one_of,omitempty"`
	// Unique: a list must not repeat a value.
	Unique bool `json:"unique,omitempty"`
	// Prefix, when set, must start a string.
	Prefix string `json:"prefix,omitempty"`
	// Format names a Format.
	Format string `json:"format,omitempty"`
	// Elem is the rule of a list's or map's elements ("dive").
	Elem *Rule `json:"elem,omitempty"`
}

// ParseRule reads a validate tag. Unknown rules are an error, so that no
// consumer silently drops one.
func ParseRule(tag string) (Rule, error) {
	var r Rule
	if tag == "" {
		return r, nil
	}
	parts := strings.Split(tag, ",")
	for i, p := range parts {
		name, param, _ := strings.Cut(p, "=")
		bound := func() (int64, error) {
			n, err := strconv.ParseInt(param, 10, 64)
			if err != nil {
				return 0, fmt.Errorf("validate rule %s: %q is not an integer", name, param)
			}
			return n, nil
		}
		switch name {
		case "required":
			r.Required = true
		case "omitempty":
			r.OmitEmpty = true
		case "dive":
			elem, err := ParseRule(strings.Join(parts[i+1:], ","))
			if err != nil {
				return r, err
			}
			r.Elem = &elem
			return r, nil
		case "min", "gte", "max", "lte", "len", "gt", "lt":
			n, err := bound()
			if err != nil {
				return r, err
			}
			switch name {
			case "min", "gte":
				r.Min = &n
			case "gt":
				n++
				r.Min = &n
			case "max", "lte":
				r.Max = &n
			case "lt":
				n--
				r.Max = &n
			case "len":
				r.Min, r.Max = &n, &n
			}
		case "oneof":
			r.OneOf = strings.Fields(param)
		case "unique":
			r.Unique = true
		case "startswith":
			r.Prefix = param
		default:
			if FormatOf(name) == nil || param != "" {
				return r, fmt.Errorf("validate rule %q is not known to api.ParseRule", p)
			}
			if r.Format != "" {
				return r, fmt.Errorf("validate rules %q and %q are two formats", r.Format, name)
			}
			r.Format = name
		}
	}
	return r, nil
}

// Pattern is the rule's regular expression for a string, or "": the
// format's pattern, or the prefix. With OmitEmpty, "" matches too.
func (r Rule) Pattern() string {
	p := ""
	if f := FormatOf(r.Format); f != nil {
		p = f.Pattern
	}
	if p == "" && r.Prefix != "" {
		p = "^" + quoteECMA(r.Prefix)
	}
	if p != "" && r.OmitEmpty {
		p = "^$|" + p
	}
	return p
}

// quoteECMA escapes the characters that are special in both RE2 and
// ECMA-262.
func quoteECMA(s string) string {
	var b strings.Builder
	for _, c := range s {
		if strings.ContainsRune(`\^$.|?*+()[]{}/`, c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// MaxLength is the rule's bound on a string's characters, the format's own
// included, or -1.
func (r Rule) MaxLength() int64 {
	n := int64(-1)
	if r.Max != nil {
		n = *r.Max
	}
	if f := FormatOf(r.Format); f != nil && f.MaxLength > 0 && (n < 0 || int64(f.MaxLength) < n) {
		n = int64(f.MaxLength)
	}
	return n
}

// CheckString returns what is wrong with s under the rule, or "".
func (r Rule) CheckString(s string) string {
	if s == "" {
		if r.Required {
			return "is required"
		}
		if r.OmitEmpty {
			return ""
		}
	}
	lo := r.Min
	if lo == nil && r.Required {
		one := int64(1)
		lo = &one
	}
	if msg := bounds(lo, r.Max, int64(utf8.RuneCountInString(s)), "must be ", " characters"); msg != "" {
		return msg
	}
	if len(r.OneOf) > 0 && !slices.Contains(r.OneOf, s) {
		return "must be one of: " + strings.Join(r.OneOf, ", ")
	}
	if r.Prefix != "" && !strings.HasPrefix(s, r.Prefix) {
		return fmt.Sprintf("must start with %q", r.Prefix)
	}
	if f := FormatOf(r.Format); f != nil && !f.Valid(s) {
		return f.Message
	}
	return ""
}

// CheckInt returns what is wrong with n under the rule, or "".
func (r Rule) CheckInt(n int64) string {
	if n == 0 && r.OmitEmpty && !r.Required {
		return ""
	}
	if n == 0 && r.Required && r.Min == nil {
		return "is required"
	}
	if msg := bounds(r.Min, r.Max, n, "must be ", ""); msg != "" {
		return msg
	}
	if len(r.OneOf) > 0 && !slices.Contains(r.OneOf, strconv.FormatInt(n, 10)) {
		return "must be one of: " + strings.Join(r.OneOf, ", ")
	}
	return ""
}

// CheckCount returns what is wrong with a list or map of n elements under
// the rule, or "".
func (r Rule) CheckCount(n int) string {
	if n == 0 && r.OmitEmpty && !r.Required {
		return ""
	}
	if n == 0 && r.Required && r.Min == nil {
		return "must have at least one item"
	}
	return bounds(r.Min, r.Max, int64(n), "must have ", " items")
}

// bounds says what is wrong with n between lo and hi (either may be nil):
// "must be 10–3600", "must be at most 128 characters", or "".
func bounds(lo, hi *int64, n int64, verb, unit string) string {
	if (lo == nil || n >= *lo) && (hi == nil || n <= *hi) {
		return ""
	}
	switch {
	case lo != nil && hi != nil:
		return fmt.Sprintf("%s%d–%d%s", verb, *lo, *hi, unit)
	case lo != nil:
		return fmt.Sprintf("%sat least %d%s", verb, *lo, unit)
	}
	return fmt.Sprintf("%sat most %d%s", verb, *hi, unit)
}

// Rules are the rules of a wire type's fields by JSON path: a nested
// object's fields are "outer.inner", a list of objects' fields
// "outer.inner" too. Fields without a validate tag are left out.
type Rules map[string]Rule

var rulesCache sync.Map // reflect.Type → Rules

// RulesOf returns the rules of the struct type T. It panics on a tag that
// ParseRule refuses: the api package's own tests parse every type.
func RulesOf[T any]() Rules {
	r, err := RulesOfType(reflect.TypeFor[T]())
	if err != nil {
		panic(err)
	}
	return r
}

// RulesOfType returns the rules of a struct type's fields.
func RulesOfType(t reflect.Type) (Rules, error) {
	if r, ok := rulesCache.Load(t); ok {
		return r.(Rules), nil
	}
	rules := Rules{}
	if err := collectRules(t, "", rules, map[reflect.Type]bool{}); err != nil {
		return nil, err
	}
	rulesCache.Store(t, rules)
	return rules, nil
}

var timeType = reflect.TypeFor[time.Time]()

func collectRules(t reflect.Type, prefix string, into Rules, seen map[reflect.Type]bool) error {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t == timeType || seen[t] {
		return nil
	}
	seen[t] = true
	defer delete(seen, t)
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" {
			if err := collectRules(f.Type, prefix, into, seen); err != nil {
				return err
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		path := prefix + name
		if tag, ok := f.Tag.Lookup("validate"); ok {
			r, err := ParseRule(tag)
			if err != nil {
				return fmt.Errorf("%s.%s: %w", t.Name(), f.Name, err)
			}
			into[path] = r
		}
		if err := collectRules(f.Type, path+".", into, seen); err != nil {
			return err
		}
	}
	return nil
}
