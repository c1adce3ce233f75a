package resource

import (
	"encoding/json"
	"reflect"

	"github.com/jumpgate/jumpgate/api"
)

// metaFields are left out of diffs: read-only metadata, and fields derived
// from others (an installer's download links follow from its id).
var metaFields = map[string]bool{"id": true, "version": true, "created_at": true, "updated_at": true, "downloads": true}

// Diff compares two api objects (either may be nil) field by field through
// their JSON form and returns the changed top-level fields, leaving out the
// read-only metadata.
func Diff(old, new any) map[string]api.FieldChange {
	o, n := toMap(old), toMap(new)
	out := map[string]api.FieldChange{}
	for k, nv := range n {
		if metaFields[k] {
			continue
		}
		if ov, ok := o[k]; !ok || !reflect.DeepEqual(ov, nv) {
			out[k] = api.FieldChange{Old: o[k], New: nv}
		}
	}
	for k, ov := range o {
		if metaFields[k] {
			continue
		}
		if _, ok := n[k]; !ok {
			out[k] = api.FieldChange{Old: ov, New: nil}
		}
	}
	return out
}

func toMap(v any) map[string]any {
	if v == nil || (reflect.ValueOf(v).Kind() == reflect.Pointer && reflect.ValueOf(v).IsNil()) {
		return map[string]any{}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return map[string]any{}
	}
	m := map[string]any{}
	_ = json.Unmarshal(b, &m)
	return m
}
