package openapi

import (
	"reflect"

	"github.com/jumpgate/jumpgate/api"
)

// defaultOf is the default of field f of the struct type owner, as
// api.DefaultsOfType reads it from owner's ApplyDefaults: the value f takes
// on owner's zero value, if that is not the zero value. A struct-valued
// field gets none: its type's own schema reports the defaults of its
// fields.
func defaultOf(owner reflect.Type, f reflect.StructField) (any, bool) {
	if owner.Kind() != reflect.Struct {
		return nil, false
	}
	name, ok := jsonName(f)
	if !ok {
		return nil, false
	}
	v, ok := api.DefaultsOfType(owner)[name]
	return v, ok
}
