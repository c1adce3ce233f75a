package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/jumpgate/jumpgate/api"
)

// schemaSet holds the appliance's OpenAPI document, to check documents
// before apply writes anything: unknown and read-only fields, types, enums,
// lengths, ranges, patterns and, for new objects, required fields. The
// appliance checks again; what it alone knows (a time zone's name, say) is
// still reported by the write that fails.
type schemaSet struct {
	schemas map[string]any // components.schemas
	paths   map[string]any
	regexps map[string]*regexp.Regexp
}

// newSchemaSet reads an OpenAPI document; nil (no checks) if it is not one.
func newSchemaSet(doc []byte) *schemaSet {
	var d struct {
		Paths      map[string]any `json:"paths"`
		Components struct {
			Schemas map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if json.Unmarshal(doc, &d) != nil || d.Components.Schemas == nil {
		return nil
	}
	return &schemaSet{schemas: d.Components.Schemas, paths: d.Paths, regexps: map[string]*regexp.Regexp{}}
}

// embeddedSchemas is the document this CLI was built with.
func embeddedSchemas() *schemaSet { return newSchemaSet(api.OpenAPI) }

// object returns the create schema of a collection, nil if unknown.
func (s *schemaSet) object(path string) map[string]any {
	if s == nil {
		return nil
	}
	op := dig(s.paths, "/api/v1/"+path, "post", "requestBody", "content", "application/json", "schema")
	if op == nil { // the settings singleton is only replaced
		op = dig(s.paths, "/api/v1/"+path, "put", "requestBody", "content", "application/json", "schema")
	}
	m, _ := op.(map[string]any)
	return s.deref(m)
}

// writeOnly lists the write-only top-level fields of a collection.
func (s *schemaSet) writeOnly(path string) map[string]bool {
	out := map[string]bool{}
	props, _ := s.object(path)["properties"].(map[string]any)
	for k, p := range props {
		if pm, _ := p.(map[string]any); pm["writeOnly"] == true {
			out[k] = true
		}
	}
	return out
}

func (s *schemaSet) deref(m map[string]any) map[string]any {
	for range 16 {
		ref, ok := m["$ref"].(string)
		if !ok {
			break
		}
		next, _ := s.schemas[strings.TrimPrefix(ref, "#/components/schemas/")].(map[string]any)
		if next == nil {
			return nil
		}
		m = next
	}
	if all, ok := m["allOf"].([]any); ok && len(all) == 1 {
		if sub, ok := all[0].(map[string]any); ok {
			return s.deref(sub)
		}
	}
	return m
}

func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// check records the problems of d's fields; create also asks for the
// required fields.
func (s *schemaSet) check(d *applyDoc, create bool, errs *docErrors) {
	sch := s.object(d.coll.path)
	if sch == nil {
		return
	}
	if create {
		req, _ := sch["required"].([]any)
		for _, r := range req {
			if name, _ := r.(string); name != "" {
				if _, ok := d.fields[name]; !ok {
					errs.addDoc(d, "%s: required to create %s", refName(name), d.coll.singular)
				}
			}
		}
	}
	s.walk(d, sch, d.fields, "", errs)
}

// refName is how a reference field is written by key, for messages.
func refName(field string) string {
	if _, ok := refFields[field]; ok {
		return field + " (or " + strings.TrimSuffix(field, "_id") + " by key)"
	}
	return field
}

func (s *schemaSet) walk(d *applyDoc, sch map[string]any, v any, path string, errs *docErrors) {
	sch = s.deref(sch)
	if sch == nil {
		return
	}
	bad := func(format string, args ...any) {
		p := path
		if p == "" {
			p = "(object)"
		}
		errs.addDoc(d, "%s: %s", p, fmt.Sprintf(format, args...))
	}
	if v == nil {
		if sch["nullable"] != true && sch["type"] != nil && sch["type"] != "object" && sch["type"] != "array" {
			bad("must not be null")
		}
		return
	}
	if _, ok := v.(*docRef); ok {
		return // an id, resolved elsewhere
	}
	typ, _ := sch["type"].(string)
	if _, ok := sch["properties"]; ok && typ == "" {
		typ = "object"
	}
	switch typ {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			bad("must be an object")
			return
		}
		props, _ := sch["properties"].(map[string]any)
		extra, _ := sch["additionalProperties"].(map[string]any)
		for _, k := range sortedKeys(m) {
			sub := joinPath(path, k)
			p, known := props[k].(map[string]any)
			switch {
			case known && p["readOnly"] == true:
				errs.addDoc(d, "%s: read-only, set by the appliance; remove it", sub)
			case known:
				s.walk(d, p, m[k], sub, errs)
			case extra != nil:
				s.walk(d, extra, m[k], sub, errs)
			case props != nil:
				errs.addDoc(d, "%s: unknown field", sub)
			}
		}
		if n, ok := intOf(sch["maxProperties"]); ok && len(m) > n {
			bad("at most %s", plural(n, "entry", "entries"))
		}
	case "array":
		a, ok := v.([]any)
		if !ok {
			bad("must be a list")
			return
		}
		if n, ok := intOf(sch["minItems"]); ok && len(a) < n {
			bad("at least %s", plural(n, "entry", "entries"))
		}
		if n, ok := intOf(sch["maxItems"]); ok && len(a) > n {
			bad("at most %s", plural(n, "entry", "entries"))
		}
		items, _ := sch["items"].(map[string]any)
		for i, e := range a {
			s.walk(d, items, e, fmt.Sprintf("%s[%d]", path, i), errs)
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			bad("must be a string")
			return
		}
		if enum, ok := sch["enum"].([]any); ok && !containsValue(enum, str) {
			var names []string
			for _, e := range enum {
				if e != "" {
					names = append(names, fmt.Sprint(e))
				}
			}
			bad("must be one of %s", strings.Join(names, ", "))
		}
		n := utf8.RuneCountInString(str)
		if min, ok := intOf(sch["minLength"]); ok && n < min {
			bad("at least %s", plural(min, "character", "characters"))
		}
		if max, ok := intOf(sch["maxLength"]); ok && n > max {
			bad("at most %s", plural(max, "character", "characters"))
		}
		if pat, ok := sch["pattern"].(string); ok {
			if re := s.regexp(pat); re != nil && !re.MatchString(str) {
				bad("must match %s", pat)
			}
		}
	case "integer", "number":
		num, ok := v.(json.Number)
		if !ok {
			bad("must be a number")
			return
		}
		f, err := num.Float64()
		if err != nil {
			bad("must be a number")
			return
		}
		if typ == "integer" {
			if _, err := num.Int64(); err != nil {
				bad("must be a whole number")
				return
			}
		}
		if min, ok := sch["minimum"].(float64); ok && f < min {
			bad("must be at least %v", min)
		}
		if max, ok := sch["maximum"].(float64); ok && f > max {
			bad("must be at most %v", max)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			bad("must be true or false")
		}
	}
}

func (s *schemaSet) regexp(pat string) *regexp.Regexp {
	if re, ok := s.regexps[pat]; ok {
		return re
	}
	re, err := regexp.Compile(pat)
	if err != nil {
		re = nil // an ECMAScript pattern Go cannot read: the appliance checks it
	}
	s.regexps[pat] = re
	return re
}

func intOf(v any) (int, bool) {
	f, ok := v.(float64)
	return int(f), ok
}

func containsValue(list []any, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
