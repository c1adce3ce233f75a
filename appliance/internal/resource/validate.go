package resource

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/go-playground/validator/v10"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/internal/problem"
)

// validate checks the "validate" struct tags of the api types. It is
// stateless configuration, built once like a compiled regexp.
var validate = newValidator()

func newValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			return ""
		}
		return name
	})
	// The named formats are api's: the OpenAPI document, the provider
	// and the console check the same.
	for _, f := range api.Formats() {
		if err := v.RegisterValidation(f.Name, func(fl validator.FieldLevel) bool { return f.Valid(fl.Field().String()) }); err != nil {
			panic(err)
		}
	}
	return v
}

// Validate checks v's struct tags and returns a *problem.Invalid naming each
// bad field by its JSON path.
func Validate(v any) error {
	err := validate.Struct(v)
	if err == nil {
		return nil
	}
	var ves validator.ValidationErrors
	if !errors.As(err, &ves) {
		return fmt.Errorf("validate: %w", err)
	}
	inv := &problem.Invalid{}
	for _, fe := range ves {
		inv.Fields = append(inv.Fields, api.FieldError{Field: fieldPath(fe.Namespace()), Detail: message(fe)})
	}
	return inv
}

// fieldPath drops the struct name from a validator namespace, e.g.
// "ProtocolTunnelJump.tunnel_definitions[0].remote_port".
func fieldPath(ns string) string {
	_, rest, ok := strings.Cut(ns, ".")
	if !ok {
		return ns
	}
	return rest
}

func message(fe validator.FieldError) string {
	kind := fe.Kind()
	p := fe.Param()
	switch fe.Tag() {
	case "required":
		switch kind {
		case reflect.Slice:
			return "must have at least one item"
		case reflect.Int, reflect.Int64, reflect.Int32:
			return "is required"
		}
		return "is required"
	case "max", "lte":
		switch kind {
		case reflect.String:
			return "must be at most " + p + " characters"
		case reflect.Slice, reflect.Map:
			return "must have at most " + p + " items"
		}
		return "must be at most " + p
	case "min", "gte":
		switch kind {
		case reflect.String:
			return "must be at least " + p + " characters"
		case reflect.Slice, reflect.Map:
			return "must have at least " + p + " items"
		}
		return "must be at least " + p
	case "oneof":
		return "must be one of: " + strings.ReplaceAll(p, " ", ", ")
	case "unique":
		return "must not repeat a value"
	case "startswith":
		return fmt.Sprintf("must start with %q", p)
	}
	if f := api.FormatOf(fe.Tag()); f != nil {
		return f.Message
	}
	return "is invalid (" + fe.Tag() + ")"
}
