package api

import (
	"reflect"
	"strings"
)

// Defaulter is an object of the API with documented defaults, which
// ApplyDefaults fills into its empty fields.
type Defaulter interface{ ApplyDefaults() }

// DefaultsOfType returns the static defaults of a struct type's fields by
// JSON path, as RulesOfType keys them: the value a field takes when
// ApplyDefaults runs on the zero value, where that is not the zero value.
// Nested objects are walked; a field with no static default (one the
// appliance takes from stored settings) is left out.
func DefaultsOfType(t reflect.Type) map[string]any {
	out := map[string]any{}
	p := reflect.New(t)
	if d, ok := p.Interface().(Defaulter); ok {
		d.ApplyDefaults()
	}
	collectDefaults(p.Elem(), "", out)
	return out
}

func collectDefaults(v reflect.Value, prefix string, out map[string]any) {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		fv := v.Field(i)
		if f.Anonymous && name == "" {
			if fv.Kind() == reflect.Struct {
				collectDefaults(fv, prefix, out)
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		for fv.Kind() == reflect.Pointer && !fv.IsNil() {
			fv = fv.Elem()
		}
		switch {
		case fv.Kind() == reflect.Struct && fv.Type() != timeType:
			collectDefaults(fv, prefix+name+".", out)
		case fv.Kind() == reflect.Pointer || fv.IsZero():
		default:
			out[prefix+name] = fv.Interface()
		}
	}
}
