package provider

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/jumpgate/jumpgate/api"
)

// ruleValidator checks an attribute with the rule api/ gives the API field
// it maps to, so a bad configuration fails at plan time with the meaning
// the appliance would give it. It exposes the field and the rule, which the
// drift test compares with api/, the OpenAPI document and the CRDs.
type ruleValidator struct {
	// Field is the API field's JSON path (api.Rules' key), in Type.
	Type, Field string
	Rule        api.Rule
}

var (
	_ validator.String = ruleValidator{}
	_ validator.Int64  = ruleValidator{}
	_ validator.List   = ruleValidator{}
	_ validator.Set    = ruleValidator{}
	_ validator.Map    = ruleValidator{}
)

// rule returns the validator of T's field at JSON path field. It panics
// when T has no rule there: the schemas are built in every test.
func rule[T any](field string) ruleValidator {
	var zero T
	r, ok := api.RulesOf[T]()[field]
	if !ok {
		panic(fmt.Sprintf("provider: api.%T has no validate rule at %q", zero, field))
	}
	return ruleValidator{Type: fmt.Sprintf("%T", zero), Field: field, Rule: r}
}

// stringRule, int64Rule and the others are rule as the one validator of an
// attribute of that type.
func stringRule[T any](field string) []validator.String { return []validator.String{rule[T](field)} }
func int64Rule[T any](field string) []validator.Int64   { return []validator.Int64{rule[T](field)} }
func listRule[T any](field string) []validator.List     { return []validator.List{rule[T](field)} }
func setRule[T any](field string) []validator.Set       { return []validator.Set{rule[T](field)} }

// Description says what the rule allows, in words.
func (v ruleValidator) Description(context.Context) string { return describeRule(v.Rule) }

func (v ruleValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func describeRule(r api.Rule) string {
	var parts []string
	if f := api.FormatOf(r.Format); f != nil {
		parts = append(parts, f.Message)
	}
	if len(r.OneOf) > 0 {
		parts = append(parts, "must be one of: `"+joinTicks(r.OneOf)+"`")
	}
	if r.Prefix != "" {
		parts = append(parts, fmt.Sprintf("must start with %q", r.Prefix))
	}
	switch {
	case r.Min != nil && r.Max != nil:
		parts = append(parts, fmt.Sprintf("%d–%d", *r.Min, *r.Max))
	case r.Max != nil:
		parts = append(parts, fmt.Sprintf("at most %d", *r.Max))
	case r.Min != nil:
		parts = append(parts, fmt.Sprintf("at least %d", *r.Min))
	}
	if r.OmitEmpty && !r.Required {
		parts = append(parts, "or empty")
	}
	return strings.Join(parts, ", ")
}

func (v ruleValidator) fail(p path.Path, shown, msg string, diags interface {
	AddAttributeError(path.Path, string, string)
}) {
	if shown != "" {
		msg = shown + " " + msg
	}
	diags.AddAttributeError(p, "Invalid value", fmt.Sprintf("%s: %s", p, msg))
}

func (v ruleValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	s := req.ConfigValue.ValueString()
	if msg := v.Rule.CheckString(s); msg != "" {
		v.fail(req.Path, fmt.Sprintf("%q", s), msg, &resp.Diagnostics)
	}
}

func (v ruleValidator) ValidateInt64(_ context.Context, req validator.Int64Request, resp *validator.Int64Response) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	n := req.ConfigValue.ValueInt64()
	if msg := v.Rule.CheckInt(n); msg != "" {
		v.fail(req.Path, fmt.Sprint(n), msg, &resp.Diagnostics)
	}
}

func (v ruleValidator) ValidateList(_ context.Context, req validator.ListRequest, resp *validator.ListResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	v.elements(req.Path, req.ConfigValue.Elements(), func(i int, e attr.Value) path.Path { return req.Path.AtListIndex(i) }, &resp.Diagnostics)
}

func (v ruleValidator) ValidateSet(_ context.Context, req validator.SetRequest, resp *validator.SetResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	v.elements(req.Path, req.ConfigValue.Elements(), func(_ int, e attr.Value) path.Path { return req.Path.AtSetValue(e) }, &resp.Diagnostics)
}

func (v ruleValidator) ValidateMap(_ context.Context, req validator.MapRequest, resp *validator.MapResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if msg := v.Rule.CheckCount(len(req.ConfigValue.Elements())); msg != "" {
		v.fail(req.Path, "", msg, &resp.Diagnostics)
	}
}

// elements checks a collection's size, and each known string or number
// element against the element rule.
func (v ruleValidator) elements(p path.Path, elems []attr.Value, at func(int, attr.Value) path.Path, diags interface {
	AddAttributeError(path.Path, string, string)
}) {
	if msg := v.Rule.CheckCount(len(elems)); msg != "" {
		v.fail(p, "", msg, diags)
	}
	if v.Rule.Unique {
		seen := map[string]bool{}
		for i, e := range elems {
			if e.IsNull() || e.IsUnknown() {
				continue
			}
			if k := e.String(); seen[k] {
				v.fail(at(i, e), k, "is listed twice", diags)
			} else {
				seen[k] = true
			}
		}
	}
	if v.Rule.Elem == nil {
		return
	}
	for i, e := range elems {
		if e.IsNull() || e.IsUnknown() {
			continue
		}
		switch e := e.(type) {
		case basetypes.StringValue:
			if msg := v.Rule.Elem.CheckString(e.ValueString()); msg != "" {
				v.fail(at(i, e), fmt.Sprintf("%q", e.ValueString()), msg, diags)
			}
		case basetypes.Int64Value:
			if msg := v.Rule.Elem.CheckInt(e.ValueInt64()); msg != "" {
				v.fail(at(i, e), fmt.Sprint(e.ValueInt64()), msg, diags)
			}
		}
	}
}

// limits says the bounds of T's field at JSON path field as descriptions
// write them: "1–128 characters" or "at most 1024 characters" for a
// string, "10–3600" for a number, "at most 100" for a list. It panics when
// the field has no bounds, like rule.
func limits[T any](field string) string {
	r := rule[T](field).Rule
	lo, hi := r.Min, r.Max
	var kind reflect.Kind
	if t, ok := fieldType(reflect.TypeFor[T](), field); ok {
		kind = t.Kind()
	}
	unit := ""
	if kind == reflect.String {
		unit = " characters"
		if lo == nil && r.Required {
			one := int64(1)
			lo = &one
		}
	}
	switch {
	case lo != nil && hi != nil:
		return fmt.Sprintf("%d–%d%s", *lo, *hi, unit)
	case hi != nil:
		return fmt.Sprintf("at most %d%s", *hi, unit)
	case lo != nil:
		return fmt.Sprintf("at least %d%s", *lo, unit)
	}
	panic(fmt.Sprintf("provider: %s of %T has no bounds", field, *new(T)))
}

// fieldType is the Go type of the field at a JSON path, lists and
// pointers looked through.
func fieldType(t reflect.Type, field string) (reflect.Type, bool) {
	for _, name := range strings.Split(field, ".") {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		f, ok := jsonField(t, name)
		if !ok {
			return nil, false
		}
		t = f.Type
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t, true
}

func jsonField(t reflect.Type, name string) (reflect.StructField, bool) {
	if t.Kind() != reflect.Struct {
		return reflect.StructField{}, false
	}
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == name {
			return f, true
		}
		if f.Anonymous && tag == "" {
			if g, ok := jsonField(f.Type, name); ok {
				return g, true
			}
		}
	}
	return reflect.StructField{}, false
}
