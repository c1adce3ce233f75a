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

	"github.com/jumpgate/jumpgate/api"
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
	Default              any           `json:"default,omitempty"`
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
		for _, prev := range s.Properties {
			if prev.Name == name {
				// encoding/json would drop one of them silently (an outer
				// field shadows an embedded one).
				return fmt.Errorf("%s.%s: JSON member %q is declared twice", t.Name(), f.Name, name)
			}
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
	required, err := applyRules(s, f.Type, f.Tag.Get("validate"), &notes)
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
	def, hasDefault := defaultOf(owner, f)
	if s.Ref != "" && (desc != "" || readOnly || writeOnly || hasDefault) {
		s = &jsonSchema{AllOf: []*jsonSchema{s}}
	}
	s.Description, s.ReadOnly, s.WriteOnly, s.Default = desc, readOnly, writeOnly, def
	return s, required, nil
}

// applyRules adds the constraints of a field's validate tag (read by
// api.ParseRule, the one reader of the tags) to s, the schema of a value of
// type t. It reports whether the value is required and appends description
// notes.
func applyRules(s *jsonSchema, t reflect.Type, tag string, notes *[]string) (required bool, err error) {
	r, err := api.ParseRule(tag)
	if err != nil {
		return false, err
	}
	return r.Required, applyRule(s, t, r, notes)
}

func applyRule(s *jsonSchema, t reflect.Type, r api.Rule, notes *[]string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	kind := kindOf(t)
	if s.Ref != "" || len(s.AllOf) > 0 {
		// A struct: only presence rules make sense.
		if r.Min != nil || r.Max != nil || len(r.OneOf) > 0 || r.Unique || r.Prefix != "" || r.Format != "" || r.Elem != nil {
			return fmt.Errorf("validate rules other than required on a struct-typed field are not supported")
		}
		return nil
	}
	if r.Required && kind == "string" {
		s.MinLength = intp(1)
	}
	if err := bounds(s, kind, r); err != nil {
		return err
	}
	for _, v := range r.OneOf {
		if kind == "number" {
			s.Enum = append(s.Enum, json.Number(v))
		} else {
			s.Enum = append(s.Enum, v)
		}
	}
	s.UniqueItems = r.Unique
	if f := api.FormatOf(r.Format); f != nil {
		s.Format = f.OpenAPIFormat
		if f.MaxLength > 0 && s.MaxLength == nil {
			s.MaxLength = intp(f.MaxLength)
		}
		if f.Note != "" {
			*notes = append(*notes, f.Note)
		}
	}
	if kind == "string" {
		s.Pattern = r.Pattern()
		if r.OmitEmpty && len(s.Enum) > 0 {
			// The validator skips the zero value, and the appliance answers
			// with "" where nothing is set.
			s.Enum = append(s.Enum, "")
		}
	}
	if r.Elem != nil {
		elem := s.Items
		if elem == nil {
			elem = s.AdditionalProperties
		}
		if elem == nil {
			return fmt.Errorf("dive on non-collection %s", t)
		}
		return applyRule(elem, t.Elem(), *r.Elem, notes)
	}
	return nil
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

// bounds maps the rule's bounds, whose meaning depends on the kind.
func bounds(s *jsonSchema, kind string, r api.Rule) error {
	if r.Min == nil && r.Max == nil {
		return nil
	}
	num := func(n *int64) json.Number {
		if n == nil {
			return ""
		}
		return json.Number(strconv.FormatInt(*n, 10))
	}
	in := func(n *int64) *int {
		if n == nil {
			return nil
		}
		return intp(int(*n))
	}
	switch kind {
	case "number":
		s.Minimum, s.Maximum = num(r.Min), num(r.Max)
	case "string":
		s.MinLength, s.MaxLength = cmpOr(in(r.Min), s.MinLength), in(r.Max)
	case "array":
		s.MinItems, s.MaxItems = in(r.Min), in(r.Max)
	case "object":
		s.MinProperties, s.MaxProperties = in(r.Min), in(r.Max)
	default:
		return fmt.Errorf("validate bounds on a %s", kind)
	}
	return nil
}

func cmpOr(a, b *int) *int {
	if a != nil {
		return a
	}
	return b
}

func intp(n int) *int { return &n }
