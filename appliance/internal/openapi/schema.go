package openapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// jsonSchema is an OpenAPI 3.0 schema object, limited to what the wire types use.
type jsonSchema struct {
	Ref                  string        `json:"$ref,omitempty"`
	AllOf                []*jsonSchema `json:"allOf,omitempty"`
	Type                 string        `json:"type,omitempty"`
	Format               string        `json:"format,omitempty"`
	Description          string        `json:"description,omitempty"`
	Nullable             bool          `json:"nullable,omitempty"`
	ReadOnly             bool          `json:"readOnly,omitempty"`
	WriteOnly            bool          `json:"writeOnly,omitempty"`
	Enum                 []any         `json:"enum,omitempty"`
	Pattern              string        `json:"pattern,omitempty"`
	MinLength            *int          `json:"minLength,omitempty"`
	MaxLength            *int          `json:"maxLength,omitempty"`
	Minimum              json.Number   `json:"minimum,omitempty"`
	ExclusiveMinimum     bool          `json:"exclusiveMinimum,omitempty"`
	Maximum              json.Number   `json:"maximum,omitempty"`
	ExclusiveMaximum     bool          `json:"exclusiveMaximum,omitempty"`
	MinItems             *int          `json:"minItems,omitempty"`
	MaxItems             *int          `json:"maxItems,omitempty"`
	UniqueItems          bool          `json:"uniqueItems,omitempty"`
	MinProperties        *int          `json:"minProperties,omitempty"`
	MaxProperties        *int          `json:"maxProperties,omitempty"`
	Items                *jsonSchema   `json:"items,omitempty"`
	Required             []string      `json:"required,omitempty"`
	Properties           properties    `json:"properties,omitempty"`
	AdditionalProperties *jsonSchema   `json:"additionalProperties,omitempty"`
}

// properties are a schema's properties in declaration order.
type properties []property

// property is one named property of an object schema.
type property struct {
	Name   string
	Schema *jsonSchema
}

// MarshalJSON writes the properties as an object, in order.
func (p properties) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, prop := range p {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := marshal(prop.Name)
		if err != nil {
			return nil, err
		}
		v, err := marshal(prop.Schema)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// marshal is json.Marshal without HTML escaping, so descriptions keep "<".
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// Patterns and formats of the appliance's custom validation tags; they
// mirror appliance/internal/resource/validate.go.
const (
	codeNamePattern = `^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`
	usernamePattern = `^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$`
	clockPattern    = `^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$`
	maxHostLength   = 253
)

var timeType = reflect.TypeFor[time.Time]()

// schemas builds component schemas by reflection over the wire types.
type schemas struct {
	docs   Docs
	byName map[string]*jsonSchema
	types  map[string]reflect.Type
}

func newSchemas(docs Docs) *schemas {
	return &schemas{docs: docs, byName: map[string]*jsonSchema{}, types: map[string]reflect.Type{}}
}

func ref(name string) *jsonSchema { return &jsonSchema{Ref: "#/components/schemas/" + name} }

// schemaName names a named struct type: its Go name, or for an instance of
// a generic type its type arguments' names followed by the generic name
// (api.List[api.JumpGroup] → JumpGroupList).
func schemaName(t reflect.Type) (string, error) {
	name := t.Name()
	base, args, generic := strings.Cut(name, "[")
	if !generic {
		return name, nil
	}
	var b strings.Builder
	for _, a := range strings.Split(strings.TrimSuffix(args, "]"), ",") {
		a = a[strings.LastIndex(a, "/")+1:]
		a = a[strings.LastIndex(a, ".")+1:]
		if a == "" || strings.ContainsAny(a, "[]*") {
			return "", fmt.Errorf("openapi: cannot name generic type %s", name)
		}
		b.WriteString(upperFirst(a))
	}
	b.WriteString(base)
	return b.String(), nil
}

// baseName is the bare Go name of a type, without type arguments; it keys
// Docs.
func baseName(t reflect.Type) string {
	base, _, _ := strings.Cut(t.Name(), "[")
	return base
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// of returns the schema of a Go type: a $ref for named structs (adding them
// to the components), an inline schema otherwise.
func (g *schemas) of(t reflect.Type) (*jsonSchema, error) {
	switch {
	case t == timeType:
		return &jsonSchema{Type: "string", Format: "date-time"}, nil
	case t.Kind() == reflect.Pointer:
		s, err := g.of(t.Elem())
		if err != nil {
			return nil, err
		}
		return nullable(s), nil
	}
	switch t.Kind() {
	case reflect.Bool:
		return &jsonSchema{Type: "boolean"}, nil
	case reflect.Int, reflect.Int64, reflect.Uint, reflect.Uint32, reflect.Uint64:
		return &jsonSchema{Type: "integer", Format: "int64"}, nil
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Uint8, reflect.Uint16:
		return &jsonSchema{Type: "integer", Format: "int32"}, nil
	case reflect.Float32:
		return &jsonSchema{Type: "number", Format: "float"}, nil
	case reflect.Float64:
		return &jsonSchema{Type: "number", Format: "double"}, nil
	case reflect.String:
		return &jsonSchema{Type: "string"}, nil
	case reflect.Interface:
		return &jsonSchema{Nullable: true}, nil // any JSON value, null included
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return &jsonSchema{Type: "string", Format: "byte"}, nil
		}
		items, err := g.of(t.Elem())
		if err != nil {
			return nil, err
		}
		return &jsonSchema{Type: "array", Items: items}, nil
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return nil, fmt.Errorf("openapi: map key of %s is not a string", t)
		}
		v, err := g.of(t.Elem())
		if err != nil {
			return nil, err
		}
		return &jsonSchema{Type: "object", AdditionalProperties: v}, nil
	case reflect.Struct:
		if t.Name() == "" {
			return g.object(t)
		}
		name, err := schemaName(t)
		if err != nil {
			return nil, err
		}
		if prev, ok := g.types[name]; ok {
			if prev != t {
				return nil, fmt.Errorf("openapi: types %s and %s both map to schema %s", prev, t, name)
			}
			return ref(name), nil
		}
		g.types[name] = t // before recursing, for self-references
		s, err := g.object(t)
		if err != nil {
			return nil, err
		}
		s.Description = g.docs[baseName(t)][""]
		g.byName[name] = s
		return ref(name), nil
	}
	return nil, fmt.Errorf("openapi: cannot describe Go type %s", t)
}

// nullable makes s accept null; a $ref cannot carry siblings in OpenAPI 3.0,
// so it is wrapped in allOf.
func nullable(s *jsonSchema) *jsonSchema {
	if s.Ref != "" {
		return &jsonSchema{AllOf: []*jsonSchema{s}, Nullable: true}
	}
	s.Nullable = true
	return s
}

// object describes a struct's JSON object, flattening embedded structs.
func (g *schemas) object(t reflect.Type) (*jsonSchema, error) {
	s := &jsonSchema{Type: "object"}
	if err := g.fields(t, s); err != nil {
		return nil, err
	}
	return s, nil
}

func (g *schemas) fields(t reflect.Type, s *jsonSchema) error {
	// The doc comments name fields by their Go names; the document uses
	// JSON names.
	rename := map[string]string{}
	for i := range t.NumField() {
		f := t.Field(i)
		if name, ok := jsonName(f); ok {
			rename[f.Name] = name
		}
	}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			et := f.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				if err := g.fields(et, s); err != nil {
					return err
				}
				continue
			}
		}
		name, ok := jsonName(f)
		if !ok {
			continue
		}
		p, required, err := g.field(t, f, rename)
		if err != nil {
			return fmt.Errorf("%s.%s: %w", t.Name(), f.Name, err)
		}
		s.Properties = append(s.Properties, property{Name: name, Schema: p})
		if required {
			s.Required = append(s.Required, name)
		}
	}
	return nil
}

// jsonName is the member name encoding/json gives f, or false if it skips f.
func jsonName(f reflect.StructField) (string, bool) {
	if !f.IsExported() {
		return "", false
	}
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	switch name {
	case "-":
		return "", false
	case "":
		return f.Name, true
	}
	return name, true
}

var goIdent = regexp.MustCompile(`\b[A-Z][A-Za-z0-9]*\b`)

// field describes one struct field: its type's schema with the constraints
// of its validate tag, its doc comment and read/write-only marks.
func (g *schemas) field(owner reflect.Type, f reflect.StructField, rename map[string]string) (*jsonSchema, bool, error) {
	s, err := g.of(f.Type)
	if err != nil {
		return nil, false, err
	}
	var notes []string
	required, err := applyRules(s, f.Type, splitRules(f.Tag.Get("validate")), &notes)
	if err != nil {
		return nil, false, err
	}
	text := g.docs[baseName(owner)][f.Name]
	if text == "" && f.Type.Kind() != reflect.Struct && f.Type.Name() != "" {
		text = g.docs[f.Type.Name()][""]
	}
	desc := goIdent.ReplaceAllStringFunc(text, func(w string) string {
		if n, ok := rename[w]; ok {
			return n
		}
		return w
	})
	for _, n := range notes {
		if !strings.Contains(strings.ToLower(desc), strings.ToLower(n)) {
			if desc != "" && !strings.HasSuffix(desc, ".") {
				desc += "."
			}
			desc = strings.TrimSpace(desc + " " + upperFirst(n) + ".")
		}
	}
	jg := f.Tag.Get("jg")
	readOnly, writeOnly := jg == "readonly", jg == "writeonly"
	if jg != "" && !readOnly && !writeOnly {
		return nil, false, fmt.Errorf("unknown jg tag %q", jg)
	}
	if s.Ref != "" && (desc != "" || readOnly || writeOnly) {
		s = &jsonSchema{AllOf: []*jsonSchema{s}}
	}
	s.Description, s.ReadOnly, s.WriteOnly = desc, readOnly, writeOnly
	return s, required, nil
}

// splitRules splits a validate tag at its commas ("oneof=a b" keeps its
// spaces).
func splitRules(tag string) []string {
	if tag == "" {
		return nil
	}
	return strings.Split(tag, ",")
}

// applyRules adds the constraints of go-playground/validator rules to s, the
// schema of a value of type t. Rules after "dive" apply to the elements. It
// reports whether the value is required and appends description notes.
// Unknown rules are an error, so the document never silently drops one.
func applyRules(s *jsonSchema, t reflect.Type, rules []string, notes *[]string) (required bool, err error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	kind := kindOf(t)
	target := s
	if s.Ref != "" || len(s.AllOf) > 0 {
		target = nil // a struct: only presence rules make sense
	}
	need := func(rule string) (*jsonSchema, error) {
		if target == nil {
			return nil, fmt.Errorf("validate rule %q on a struct-typed field is not supported", rule)
		}
		return target, nil
	}
	omitempty := false
	for i, r := range rules {
		name, param, _ := strings.Cut(r, "=")
		switch name {
		case "":
		case "required":
			required = true
			if kind == "string" && s.MinLength == nil && target != nil {
				s.MinLength = intp(1)
			}
		case "omitempty":
			omitempty = true
		case "dive":
			if s.Items == nil && s.AdditionalProperties == nil {
				return false, fmt.Errorf("dive on non-collection %s", t)
			}
			elem := s.Items
			if elem == nil {
				elem = s.AdditionalProperties
			}
			if _, err := applyRules(elem, t.Elem(), rules[i+1:], notes); err != nil {
				return false, err
			}
			finish(s, kind, omitempty)
			return required, nil
		case "min", "max", "gte", "lte", "len", "gt", "lt":
			x, err := need(name)
			if err != nil {
				return false, err
			}
			if err := bound(x, kind, name, param); err != nil {
				return false, err
			}
		case "oneof":
			x, err := need(name)
			if err != nil {
				return false, err
			}
			for _, v := range strings.Fields(param) {
				if kind == "number" {
					x.Enum = append(x.Enum, json.Number(v))
				} else {
					x.Enum = append(x.Enum, v)
				}
			}
		case "unique":
			x, err := need(name)
			if err != nil {
				return false, err
			}
			x.UniqueItems = true
		case "startswith", "codename", "username", "clock":
			x, err := need(name)
			if err != nil {
				return false, err
			}
			if x.Pattern != "" {
				return false, fmt.Errorf("validate rule %q adds a second pattern", name)
			}
			x.Pattern = map[string]string{"startswith": "^" + regexp.QuoteMeta(param), "codename": codeNamePattern,
				"username": usernamePattern, "clock": clockPattern}[name]
		case "host":
			x, err := need(name)
			if err != nil {
				return false, err
			}
			x.Format = "hostname-or-ip"
			if x.MaxLength == nil {
				x.MaxLength = intp(maxHostLength)
			}
		case "loopback4":
			x, err := need(name)
			if err != nil {
				return false, err
			}
			x.Format = "ipv4"
			*notes = append(*notes, "in 127.0.0.0/8")
		case "timezone":
			*notes = append(*notes, "IANA time zone")
		case "weburl":
			x, err := need(name)
			if err != nil {
				return false, err
			}
			x.Format = "uri"
			*notes = append(*notes, "an http:// or https:// URL")
		case "mac":
			x, err := need(name)
			if err != nil {
				return false, err
			}
			x.Pattern = "^[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}$"
		case "email", "cidr":
			x, err := need(name)
			if err != nil {
				return false, err
			}
			x.Format = name
		default:
			return false, fmt.Errorf("validate rule %q has no OpenAPI mapping; teach appliance/internal/openapi", r)
		}
	}
	finish(s, kind, omitempty)
	return required, nil
}

// finish lets an omitempty string be empty too: the validator skips the
// zero value, and the appliance answers with "" where nothing is set.
func finish(s *jsonSchema, kind string, omitempty bool) {
	if !omitempty || kind != "string" {
		return
	}
	if len(s.Enum) > 0 {
		s.Enum = append(s.Enum, "")
	}
	if s.Pattern != "" {
		s.Pattern = "^$|" + s.Pattern
	}
}

func kindOf(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Map:
		return "object"
	}
	return t.Kind().String()
}

// bound maps min/max/gte/lte/len/gt/lt, whose meaning depends on the kind.
func bound(s *jsonSchema, kind, rule, param string) error {
	low := rule == "min" || rule == "gte" || rule == "gt" || rule == "len"
	high := rule == "max" || rule == "lte" || rule == "lt" || rule == "len"
	if kind == "number" {
		if _, err := strconv.ParseFloat(param, 64); err != nil {
			return fmt.Errorf("validate rule %s=%s: not a number", rule, param)
		}
		if low {
			s.Minimum, s.ExclusiveMinimum = json.Number(param), rule == "gt"
		}
		if high {
			s.Maximum, s.ExclusiveMaximum = json.Number(param), rule == "lt"
		}
		return nil
	}
	n, err := strconv.Atoi(param)
	if err != nil {
		return fmt.Errorf("validate rule %s=%s: not an integer", rule, param)
	}
	if rule == "gt" {
		n++
	} else if rule == "lt" {
		n--
	}
	var lo, hi **int
	switch kind {
	case "string":
		lo, hi = &s.MinLength, &s.MaxLength
	case "array":
		lo, hi = &s.MinItems, &s.MaxItems
	case "object":
		lo, hi = &s.MinProperties, &s.MaxProperties
	default:
		return fmt.Errorf("validate rule %s on a %s", rule, kind)
	}
	if low {
		*lo = intp(n)
	}
	if high {
		*hi = intp(n)
	}
	return nil
}

func intp(n int) *int { return &n }
