package provider

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// Conversions between API values and Terraform values, shared by the
// resources' toAPI/fromAPI pairs.

type attrType = attr.Type

// objectTypeOf is the object type with the given attribute types.
func objectTypeOf(attrs map[string]attr.Type) types.ObjectType {
	return types.ObjectType{AttrTypes: attrs}
}

// int64Ptr is nil for a null or unknown value.
func int64Ptr(v types.Int64) *int64 {
	if v.IsNull() || v.IsUnknown() {
		return nil
	}
	x := v.ValueInt64()
	return &x
}

// int64Value is null for nil.
func int64Value(p *int64) types.Int64 {
	if p == nil {
		return types.Int64Null()
	}
	return types.Int64Value(*p)
}

// boolPtr is nil for a null or unknown value.
func boolPtr(v types.Bool) *bool {
	if v.IsNull() || v.IsUnknown() {
		return nil
	}
	x := v.ValueBool()
	return &x
}

// boolValueOr is *p, or def for nil.
func boolValueOr(p *bool, def bool) types.Bool {
	if p == nil {
		return types.BoolValue(def)
	}
	return types.BoolValue(*p)
}

// timePtr is nil for a null or unknown value.
func timePtr(v timetypes.RFC3339, diags *diag.Diagnostics) *time.Time {
	if v.IsNull() || v.IsUnknown() {
		return nil
	}
	t, d := v.ValueRFC3339Time()
	diags.Append(d...)
	return &t
}

// timeValue is null for nil; the time is rendered in RFC 3339 (UTC).
func timeValue(p *time.Time) timetypes.RFC3339 {
	if p == nil || p.IsZero() {
		return timetypes.NewRFC3339Null()
	}
	return timetypes.NewRFC3339TimeValue(p.UTC())
}

// setOf converts elements (tfsdk-tagged structs or plain values) into a set.
func setOf[T any](ctx context.Context, elem attr.Type, elems []T, diags *diag.Diagnostics) types.Set {
	s, d := types.SetValueFrom(ctx, elem, elems)
	diags.Append(d...)
	return s
}

// listOf converts elements (tfsdk-tagged structs or plain values) into a list.
func listOf[T any](ctx context.Context, elem attr.Type, elems []T, diags *diag.Diagnostics) types.List {
	l, d := types.ListValueFrom(ctx, elem, elems)
	diags.Append(d...)
	return l
}

// stringsOf reads a list or set of strings; nil for null or unknown.
func stringsOf(ctx context.Context, v interface {
	IsNull() bool
	IsUnknown() bool
	ElementsAs(context.Context, any, bool) diag.Diagnostics
}, diags *diag.Diagnostics) []string {
	if v.IsNull() || v.IsUnknown() {
		return nil
	}
	out := []string{}
	diags.Append(v.ElementsAs(ctx, &out, false)...)
	return out
}

// int64sOf reads a list or set of numbers; nil for null or unknown.
func int64sOf(ctx context.Context, v interface {
	IsNull() bool
	IsUnknown() bool
	ElementsAs(context.Context, any, bool) diag.Diagnostics
}, diags *diag.Diagnostics) []int64 {
	if v.IsNull() || v.IsUnknown() {
		return nil
	}
	out := []int64{}
	diags.Append(v.ElementsAs(ctx, &out, false)...)
	return out
}

// sameInstantOr is the time p as a value: the known value prior (the plan,
// the prior state) when it is the same instant, else p in UTC. The
// appliance answers in UTC, and timetypes.RFC3339's semantic equality only
// treats Z and +00:00 as equal, not the same instant written with another
// offset such as +02:00.
func sameInstantOr(prior timetypes.RFC3339, p *time.Time) timetypes.RFC3339 {
	if p != nil && cfgKnown(prior) {
		if t, err := time.Parse(time.RFC3339, prior.ValueString()); err == nil && t.Equal(*p) {
			return prior
		}
	}
	return timeValue(p)
}
