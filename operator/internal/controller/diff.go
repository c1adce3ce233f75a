package controller

import (
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/jumpgate/jumpgate/api"
)

var timeType = reflect.TypeOf(time.Time{})

// diff lists the JSON paths where actual differs from desired, in the fields
// desired manages. Fields tagged jg:"readonly" and the top-level "labels" are
// skipped, and so are top-level nil pointers, slices and maps in desired (not
// managed), except the top-level pointer fields named in clearable (by JSON
// name), whose nil is a value (see Kind.Clearable); deeper down, nil is a value
// like any other. A nil and an empty slice or map are equal. Times compare as
// instants.
func diff(desired, actual any, clearable ...string) []string {
	var out []string
	c := map[string]bool{}
	for _, name := range clearable {
		c[name] = true
	}
	diffValue(reflect.ValueOf(desired), reflect.ValueOf(actual), "", 0, c, &out)
	sort.Strings(out)
	return out
}

func diffValue(d, a reflect.Value, path string, depth int, clearable map[string]bool, out *[]string) {
	top := depth <= 1 // the object itself and its own fields
	if d.Kind() == reflect.Pointer {
		if d.IsNil() && ((top && !(depth == 1 && clearable[fieldPath(path)])) || a.IsNil()) {
			return
		}
		if d.IsNil() || a.IsNil() {
			*out = append(*out, fieldPath(path))
			return
		}
		diffValue(d.Elem(), a.Elem(), path, depth, clearable, out)
		return
	}
	switch {
	case d.Type() == timeType:
		if !d.Interface().(time.Time).Equal(a.Interface().(time.Time)) {
			*out = append(*out, fieldPath(path))
		}
	case d.Kind() == reflect.Struct:
		t := d.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() || f.Tag.Get("jg") == "readonly" {
				continue
			}
			name := jsonName(f)
			if name == "-" || name == "labels" && path == "" {
				continue
			}
			p, dp := path, depth
			if !f.Anonymous {
				p, dp = path+"."+name, depth+1
			}
			diffValue(d.Field(i), a.Field(i), p, dp, clearable, out)
		}
	case d.Kind() == reflect.Slice:
		if d.IsNil() && top {
			return
		}
		if d.Len() != a.Len() {
			*out = append(*out, fieldPath(path))
			return
		}
		before := len(*out)
		for i := 0; i < d.Len() && len(*out) == before; i++ {
			diffValue(d.Index(i), a.Index(i), path, depth+1, clearable, out)
		}
		if len(*out) > before {
			*out = append((*out)[:before], fieldPath(path))
		}
	case d.Kind() == reflect.Map:
		if d.IsNil() && top {
			return
		}
		if d.Len() != a.Len() {
			*out = append(*out, fieldPath(path))
			return
		}
		for _, k := range d.MapKeys() {
			av := a.MapIndex(k)
			if !av.IsValid() || !reflect.DeepEqual(d.MapIndex(k).Interface(), av.Interface()) {
				*out = append(*out, fieldPath(path))
				return
			}
		}
	default:
		if !reflect.DeepEqual(d.Interface(), a.Interface()) {
			*out = append(*out, fieldPath(path))
		}
	}
}

func jsonName(f reflect.StructField) string {
	tag := f.Tag.Get("json")
	name, _, _ := strings.Cut(tag, ",")
	if name == "" {
		return f.Name
	}
	return name
}

func fieldPath(p string) string {
	p = strings.TrimPrefix(p, ".")
	if p == "" {
		return "(object)"
	}
	return p
}

// metaOf returns the api.Meta of an appliance object.
func metaOf(a any) *api.Meta {
	return a.(interface{ GetMeta() *api.Meta }).GetMeta()
}

// labelsOf returns the Labels field of an appliance object (nil when it has
// none).
func labelsOf(a any) map[string]string {
	f := reflect.ValueOf(a).Elem().FieldByName("Labels")
	if !f.IsValid() {
		return nil
	}
	return f.Interface().(api.Labels)
}

// setLabels sets the Labels field of an appliance object, if it has one.
func setLabels(a any, m map[string]string) {
	f := reflect.ValueOf(a).Elem().FieldByName("Labels")
	if f.IsValid() {
		f.Set(reflect.ValueOf(m))
	}
}
