package openapi

import "reflect"

// defaulter is a wire type with defaults: the api objects fill their empty
// fields with ApplyDefaults before the appliance validates a write.
type defaulter interface{ ApplyDefaults() }

// defaultOf is the default of field f of the struct type owner, when owner
// has one: the value f takes when ApplyDefaults runs on owner's zero value,
// if that differs from the zero value. Pointers are followed, so a nil *bool
// that becomes true has the default true. A struct-valued field gets none:
// its type's own schema reports the defaults of its fields.
func defaultOf(owner reflect.Type, f reflect.StructField) (any, bool) {
	if owner.Kind() != reflect.Struct {
		return nil, false
	}
	p := reflect.New(owner)
	d, ok := p.Interface().(defaulter)
	if !ok {
		return nil, false
	}
	d.ApplyDefaults()
	v := p.Elem().FieldByIndex(f.Index)
	if v.IsZero() {
		return nil, false
	}
	for v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if v.Kind() == reflect.Struct {
		return nil, false
	}
	return v.Interface(), true
}
