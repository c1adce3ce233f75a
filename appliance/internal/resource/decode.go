package resource

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/internal/problem"
)

// MaxBodyBytes bounds a JSON request body.
const MaxBodyBytes = 1 << 20

// Decode reads one JSON object from r into v (a pointer to a struct). Unlike
// encoding/json it reports every problem at once: unknown members anywhere in
// the document become one 400 naming each of them, and values of the wrong
// type become one 422 naming each field, so a client learns all its mistakes
// from one answer.
func Decode(r io.Reader, v any) error {
	body, err := io.ReadAll(io.LimitReader(r, MaxBodyBytes+1))
	if err != nil {
		return &problem.BadRequest{Detail: "reading request body: " + err.Error()}
	}
	if len(body) > MaxBodyBytes {
		return &problem.BadRequest{Detail: fmt.Sprintf("request body is larger than %d bytes", MaxBodyBytes)}
	}
	return DecodeBytes(body, v)
}

// DecodeBytes is Decode for a byte slice.
func DecodeBytes(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return &problem.BadRequest{Detail: "request body is empty; send a JSON object"}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return &problem.BadRequest{Detail: "malformed JSON: " + jsonSyntaxDetail(err)}
	}
	if dec.More() {
		return &problem.BadRequest{Detail: "malformed JSON: more than one value in the body"}
	}
	if _, ok := doc.(map[string]any); !ok {
		return &problem.BadRequest{Detail: "the body must be a JSON object"}
	}
	w := walker{}
	w.walk(doc, reflect.TypeOf(v).Elem(), "")
	if len(w.unknown) > 0 {
		sort.Strings(w.unknown)
		bad := &problem.BadRequest{Detail: "unknown fields: " + strings.Join(w.unknown, ", ")}
		for _, f := range w.unknown {
			bad.Fields = append(bad.Fields, api.FieldError{Field: f, Detail: "unknown field"})
		}
		return bad
	}
	if len(w.invalid.Fields) > 0 {
		return &w.invalid
	}
	if err := json.Unmarshal(body, v); err != nil {
		// The walk mirrors encoding/json's rules; reaching here means a case it
		// does not model, still reported as the client's fault.
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return problem.Field(te.Field, "must be %s", te.Type.String())
		}
		return &problem.BadRequest{Detail: "malformed JSON: " + err.Error()}
	}
	return nil
}

func jsonSyntaxDetail(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s (at byte %d)", se.Error(), se.Offset)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "unexpected end of input"
	}
	return err.Error()
}

type walker struct {
	unknown []string
	invalid problem.Invalid
}

var timeType = reflect.TypeFor[time.Time]()

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func (w *walker) bad(path, want string, got any) {
	w.invalid.Add(path, "must be %s, not %s", want, jsonKind(got))
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return "a value"
}

func (w *walker) walk(v any, t reflect.Type, path string) {
	if v == nil {
		return // null leaves the Go value as it is, as encoding/json does
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == timeType {
		s, ok := v.(string)
		if !ok {
			w.bad(path, "an RFC 3339 time string", v)
			return
		}
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			w.invalid.Add(path, "must be an RFC 3339 time such as 2026-01-02T15:04:05Z")
		}
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			w.bad(path, "an object", v)
			return
		}
		fields := jsonFields(t)
		for k, fv := range obj {
			ft, ok := fields[k]
			if !ok {
				w.unknown = append(w.unknown, join(path, k))
				continue
			}
			w.walk(fv, ft, join(path, k))
		}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			// []byte is base64 text in JSON.
			s, ok := v.(string)
			if !ok {
				w.bad(path, "a base64 string", v)
				return
			}
			if _, err := base64.StdEncoding.DecodeString(s); err != nil {
				w.invalid.Add(path, "must be standard base64")
			}
			return
		}
		arr, ok := v.([]any)
		if !ok {
			w.bad(path, "an array", v)
			return
		}
		for i, e := range arr {
			w.walk(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
		}
	case reflect.Map:
		obj, ok := v.(map[string]any)
		if !ok {
			w.bad(path, "an object", v)
			return
		}
		for k, e := range obj {
			w.walk(e, t.Elem(), join(path, k))
		}
	case reflect.String:
		if _, ok := v.(string); !ok {
			w.bad(path, "a string", v)
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			w.bad(path, "a boolean", v)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := v.(json.Number)
		if !ok {
			w.bad(path, "an integer", v)
			return
		}
		i, err := strconv.ParseInt(string(n), 10, 64)
		if err != nil || i < minInt(t.Bits()) || i > maxInt(t.Bits()) {
			w.invalid.Add(path, "must be an integer from %d to %d", minInt(t.Bits()), maxInt(t.Bits()))
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, ok := v.(json.Number)
		if !ok {
			w.bad(path, "a non-negative integer", v)
			return
		}
		if _, err := strconv.ParseUint(string(n), 10, t.Bits()); err != nil {
			w.invalid.Add(path, "must be a non-negative integer")
		}
	case reflect.Float32, reflect.Float64:
		if _, ok := v.(json.Number); !ok {
			w.bad(path, "a number", v)
		}
	case reflect.Interface:
		// any value is acceptable
	}
}

func minInt(bits int) int64 {
	if bits == 64 {
		return math.MinInt64
	}
	return -(1 << (bits - 1))
}

func maxInt(bits int) int64 {
	if bits == 64 {
		return math.MaxInt64
	}
	return 1<<(bits-1) - 1
}

// jsonFields maps the JSON member names of struct type t (including promoted
// fields of embedded structs) to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range jsonFields(ft) {
					if _, dup := out[k]; !dup {
						out[k] = v
					}
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}
