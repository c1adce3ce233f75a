package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/defaults"
	"sigs.k8s.io/yaml"

	"github.com/jumpgate/jumpgate/api"
)

// The drift test: every validation rule and default of the API is written
// once, in api/ (the validate tags of the wire types, the formats of
// api/rules.go, the ApplyDefaults methods). The OpenAPI document and the
// provider take them from there; the CRD markers are literals for
// controller-gen. This test walks all three and compares every pattern,
// limit, enum and default with api's.

// driftKind is one object type of the API with its provider resource, its
// OpenAPI component and its CRD (file in crds/, "" when it has none).
type driftKind struct {
	typ      reflect.Type
	resource func() resource.Resource
	crd      string
}

var driftKinds = []driftKind{
	{reflect.TypeFor[api.JumpGroup](), NewJumpGroupResource, "jumpgate.dev_jumpgroups.yaml"},
	{reflect.TypeFor[api.JumpPolicy](), NewJumpPolicyResource, "jumpgate.dev_jumppolicies.yaml"},
	{reflect.TypeFor[api.SessionPolicy](), NewSessionPolicyResource, "jumpgate.dev_sessionpolicies.yaml"},
	{reflect.TypeFor[api.Jumpoint](), NewJumpointResource, "jumpgate.dev_jumpoints.yaml"},
	{reflect.TypeFor[api.ProtocolTunnelJump](), NewProtocolTunnelJumpResource, "jumpgate.dev_protocoltunneljumps.yaml"},
	{reflect.TypeFor[api.PublicPortal](), NewPublicPortalResource, "jumpgate.dev_publicportals.yaml"},
	{reflect.TypeFor[api.JumpClientInstaller](), NewJumpClientInstallerResource, "jumpgate.dev_jumpclientinstallers.yaml"},
	{reflect.TypeFor[api.JumpClientSettings](), NewJumpClientSettingsResource, "jumpgate.dev_jumpclientsettings.yaml"},
	{reflect.TypeFor[api.ConsoleSettings](), NewConsoleSettingsResource, "jumpgate.dev_consolesettings.yaml"},
	{reflect.TypeFor[api.User](), NewUserResource, ""},
	{reflect.TypeFor[api.GroupPolicy](), NewGroupPolicyResource, ""},
	{reflect.TypeFor[api.APIToken](), NewAPITokenResource, ""},
}

// notInProvider are API fields with a rule that the provider does not
// take as an attribute of the same path, with the reason.
var notInProvider = map[string]string{
	"JumpGroup.labels":           labelsNotInProvider,
	"JumpPolicy.labels":          labelsNotInProvider,
	"SessionPolicy.labels":       labelsNotInProvider,
	"Jumpoint.labels":            labelsNotInProvider,
	"ProtocolTunnelJump.labels":  labelsNotInProvider,
	"PublicPortal.labels":        labelsNotInProvider,
	"JumpClientInstaller.labels": labelsNotInProvider,
	"User.labels":                labelsNotInProvider,
	"GroupPolicy.labels":         labelsNotInProvider,
}

const labelsNotInProvider = "the provider does not manage labels yet: the API leaves them unchanged when a write omits them"

// notInCRD are API fields with a rule that the CRD does not carry under
// the camel-case name, with the reason. Fields ending in _id or _ids are
// not looked for: the CRDs name other objects by reference (jumpGroupRef)
// and the operator resolves them.
var notInCRD = map[string]string{
	"JumpGroup.memberships":        "group policy memberships are not managed by the operator",
	"JumpGroup.memberships.role":   "group policy memberships are not managed by the operator",
	"JumpGroup.labels":             "the operator sets the labels of the objects it manages itself",
	"JumpPolicy.labels":            "the operator sets the labels of the objects it manages itself",
	"SessionPolicy.labels":         "the operator sets the labels of the objects it manages itself",
	"Jumpoint.labels":              "the operator sets the labels of the objects it manages itself",
	"ProtocolTunnelJump.labels":    "the operator sets the labels of the objects it manages itself",
	"PublicPortal.labels":          "the operator sets the labels of the objects it manages itself",
	"PublicPortal.hostname":        "the CRD asks for the spelling the appliance stores (lower case, no final dot; a CEL rule with isIP), as the provider's extra validators do",
	"JumpClientInstaller.labels":   "the operator sets the labels of the objects it manages itself",
	"JumpPolicy.approval_user_ids": "approverUsernames: the CRD names users by username",
}

// crdDefaultDiffers are CRD defaults that differ from the API's on purpose.
var crdDefaultDiffers = map[string]string{
	"JumpClientSettings.statistics": "a declared JumpClientSettings without statistics gets a new appliance's list (api.DefaultStatistics), as the provider's default does; in a PUT of the API an omitted list means none",
}

func TestDrift_RulesAndDefaultsAgree(t *testing.T) {
	doc := loadOpenAPI(t)
	checked := map[string]int{}
	for _, k := range driftKinds {
		name := k.typ.Name()
		rules, err := api.RulesOfType(k.typ)
		if err != nil {
			t.Fatal(err)
		}
		defs := api.DefaultsOfType(k.typ)
		attrs := providerAttributes(t, k.resource())
		var crd map[string]any
		if k.crd != "" {
			crd = loadCRDSpec(t, k.crd)
		}
		for _, field := range sortedKeys(rules) {
			r := rules[field]
			id := name + "." + field

			// The OpenAPI document.
			if s := openAPIProperty(doc, name, field); s == nil {
				t.Errorf("%s: no property in api/openapi.json", id)
			} else {
				for _, d := range compareOpenAPI(r, s, defs[field]) {
					t.Errorf("%s: api/openapi.json: %s", id, d)
				}
				checked["openapi"]++
			}

			// The provider.
			if a, ok := attrs[field]; !ok {
				if _, known := notInProvider[id]; !known {
					t.Errorf("%s: the provider has no attribute %s (map it, or list it in notInProvider with the reason)", id, field)
				}
			} else {
				for _, d := range compareProvider(k.typ, field, r, a, defs[field]) {
					t.Errorf("%s: provider attribute %s: %s", id, field, d)
				}
				checked["provider"]++
			}

			// The CRD.
			if crd == nil || strings.HasSuffix(field, "_id") || strings.HasSuffix(field, "_ids") {
				continue
			}
			if _, skip := notInCRD[id]; skip {
				continue
			}
			s := crdProperty(crd, field)
			if s == nil {
				t.Errorf("%s: the CRD %s has no property %s (add it, or list it in notInCRD with the reason)", id, k.crd, camelPath(field))
				continue
			}
			def := defs[field]
			if _, ok := crdDefaultDiffers[id]; ok {
				def = s["default"]
			}
			for _, d := range compareCRD(r, s, def, "") {
				t.Errorf("%s: CRD %s property %s: %s", id, k.crd, camelPath(field), d)
			}
			checked["crd"]++
		}
		// A default without a rule is compared too.
		for _, field := range sortedKeys(defs) {
			if _, ok := rules[field]; ok {
				continue
			}
			id := name + "." + field
			if s := openAPIProperty(doc, name, field); s != nil {
				if !sameJSON(s["default"], defs[field]) {
					t.Errorf("%s: api/openapi.json default %v, api %v", id, s["default"], defs[field])
				}
			}
			if a, ok := attrs[field]; ok {
				if got, ok := providerDefault(a); ok && !sameDefault(got, defs[field]) {
					t.Errorf("%s: provider default %v, api %v", id, got, defs[field])
				}
			}
			if crd != nil {
				if s := crdProperty(crd, field); s != nil && s["default"] != nil && !sameJSON(s["default"], defs[field]) {
					t.Errorf("%s: CRD default %v, api %v", id, s["default"], defs[field])
				}
			}
		}
	}
	t.Logf("compared %d OpenAPI properties, %d provider attributes, %d CRD properties", checked["openapi"], checked["provider"], checked["crd"])
	if checked["provider"] < 60 || checked["crd"] < 40 {
		t.Errorf("too few fields compared: %v", checked)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// sameDefault compares a stated default with api's; a zero value is the
// same as no default, as the appliance stores the zero value when nothing
// is set.
func sameDefault(got, api any) bool {
	if api == nil {
		return got == nil || reflect.ValueOf(got).IsZero()
	}
	return sameJSON(got, api)
}

// sameJSON compares two values as JSON (numbers as numbers).
func sameJSON(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	var va, vb any
	_ = json.Unmarshal(ja, &va)
	_ = json.Unmarshal(jb, &vb)
	return reflect.DeepEqual(va, vb)
}

// ---- the OpenAPI document ----

func loadOpenAPI(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "api", "openapi.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// openAPIProperty finds the schema of a JSON path in a component,
// following $ref, allOf and array items.
func openAPIProperty(doc map[string]any, component, field string) map[string]any {
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	resolve := func(s map[string]any) map[string]any {
		for range 8 {
			if ref, ok := s["$ref"].(string); ok {
				s, _ = schemas[strings.TrimPrefix(ref, "#/components/schemas/")].(map[string]any)
				continue
			}
			if all, ok := s["allOf"].([]any); ok && len(all) == 1 {
				s = all[0].(map[string]any)
				continue
			}
			if items, ok := s["items"].(map[string]any); ok && s["type"] == "array" {
				if _, isRef := items["$ref"]; isRef {
					s = items
					continue
				}
			}
			break
		}
		return s
	}
	s, _ := schemas[component].(map[string]any)
	parts := strings.Split(field, ".")
	for i, p := range parts {
		props, _ := resolve(s)["properties"].(map[string]any)
		s, _ = props[p].(map[string]any)
		if s == nil {
			return nil
		}
		if i < len(parts)-1 {
			s = resolve(s)
		}
	}
	return s
}

// expected is what the rule says in JSON Schema terms.
type expected struct {
	minLength, maxLength, minimum, maximum, minItems, maxItems *int64
	enum                                                       []string
	pattern, format                                            string
	unique                                                     bool
}

func expect(r api.Rule, kind string) expected {
	var e expected
	switch kind {
	case "string":
		if r.Required {
			one := int64(1)
			e.minLength = &one
		}
		if r.Min != nil {
			e.minLength = r.Min
		}
		if n := r.MaxLength(); n >= 0 {
			e.maxLength = &n
		}
		e.pattern = r.Pattern()
		e.enum = slices.Clone(r.OneOf)
		if r.OmitEmpty && len(e.enum) > 0 {
			e.enum = append(e.enum, "")
		}
		if f := api.FormatOf(r.Format); f != nil {
			e.format = f.OpenAPIFormat
		}
	case "integer", "number":
		e.minimum, e.maximum = r.Min, r.Max
		e.enum = r.OneOf
	case "array", "object":
		e.minItems, e.maxItems = r.Min, r.Max
		e.unique = r.Unique
	}
	return e
}

func schemaType(s map[string]any) string {
	if t, ok := s["type"].(string); ok {
		return t
	}
	if all, ok := s["allOf"].([]any); ok && len(all) == 1 {
		return "object"
	}
	return ""
}

func num(s map[string]any, key string) *int64 {
	switch v := s[key].(type) {
	case float64:
		n := int64(v)
		return &n
	case json.Number:
		n, _ := v.Int64()
		return &n
	case int64:
		return &v
	case int:
		n := int64(v)
		return &n
	}
	return nil
}

func eqInt(a, b *int64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func show(p *int64) string {
	if p == nil {
		return "none"
	}
	return strconv.FormatInt(*p, 10)
}

func strings2(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func compareOpenAPI(r api.Rule, s map[string]any, def any) []string {
	var diffs []string
	kind := schemaType(s)
	e := expect(r, kind)
	sizeMin, sizeMax := "minItems", "maxItems"
	if kind == "object" {
		sizeMin, sizeMax = "minProperties", "maxProperties"
	}
	for _, c := range []struct {
		key  string
		want *int64
	}{{"minLength", e.minLength}, {"maxLength", e.maxLength}, {"minimum", e.minimum}, {"maximum", e.maximum}, {sizeMin, e.minItems}, {sizeMax, e.maxItems}} {
		if got := num(s, c.key); !eqInt(got, c.want) {
			diffs = append(diffs, fmt.Sprintf("%s %s, api %s", c.key, show(got), show(c.want)))
		}
	}
	if got := strings2(s["enum"]); !sameSet(got, e.enum) {
		diffs = append(diffs, fmt.Sprintf("enum %v, api %v", got, e.enum))
	}
	if got, _ := s["pattern"].(string); got != e.pattern {
		diffs = append(diffs, fmt.Sprintf("pattern %q, api %q", got, e.pattern))
	}
	if got, _ := s["format"].(string); e.format != "" && got != e.format {
		diffs = append(diffs, fmt.Sprintf("format %q, api %q", got, e.format))
	}
	if got, _ := s["uniqueItems"].(bool); got != e.unique {
		diffs = append(diffs, fmt.Sprintf("uniqueItems %v, api %v", got, e.unique))
	}
	if !sameJSON(s["default"], def) {
		diffs = append(diffs, fmt.Sprintf("default %v, api %v", s["default"], def))
	}
	if r.Elem != nil {
		items, _ := s["items"].(map[string]any)
		if items == nil {
			items, _ = s["additionalProperties"].(map[string]any)
		}
		if items == nil {
			return append(diffs, "no items schema for the element rule")
		}
		if _, isRef := items["$ref"]; !isRef {
			for _, d := range compareOpenAPI(*r.Elem, items, nil) {
				diffs = append(diffs, "items: "+d)
			}
		}
	}
	return diffs
}

// ---- the provider ----

// providerAttributes flattens a resource's schema by JSON path, nested
// attributes as "outer.inner".
func providerAttributes(t *testing.T, r resource.Resource) map[string]schema.Attribute {
	t.Helper()
	var resp resource.SchemaResponse
	r.Schema(context.Background(), resource.SchemaRequest{}, &resp)
	if resp.Diagnostics.HasError() {
		t.Fatal(resp.Diagnostics)
	}
	out := map[string]schema.Attribute{}
	var walk func(prefix string, attrs map[string]schema.Attribute)
	walk = func(prefix string, attrs map[string]schema.Attribute) {
		for name, a := range attrs {
			out[prefix+name] = a
			switch a := a.(type) {
			case schema.SingleNestedAttribute:
				walk(prefix+name+".", a.Attributes)
			case schema.ListNestedAttribute:
				walk(prefix+name+".", a.NestedObject.Attributes)
			case schema.SetNestedAttribute:
				walk(prefix+name+".", a.NestedObject.Attributes)
			case schema.MapNestedAttribute:
				walk(prefix+name+".", a.NestedObject.Attributes)
			}
		}
	}
	walk("", resp.Schema.Attributes)
	return out
}

// ruleValidators are an attribute's validators that carry api's rule.
func ruleValidators(a schema.Attribute) []ruleValidator {
	v := reflect.ValueOf(a).FieldByName("Validators")
	if !v.IsValid() {
		return nil
	}
	var out []ruleValidator
	for i := range v.Len() {
		if rv, ok := v.Index(i).Interface().(ruleValidator); ok {
			out = append(out, rv)
		}
	}
	return out
}

// providerDefault is the static default of a string, number or bool
// attribute.
func providerDefault(a schema.Attribute) (any, bool) {
	ctx := context.Background()
	switch a := a.(type) {
	case schema.StringAttribute:
		if a.Default == nil {
			return nil, false
		}
		var resp defaults.StringResponse
		a.Default.DefaultString(ctx, defaults.StringRequest{}, &resp)
		return resp.PlanValue.ValueString(), true
	case schema.Int64Attribute:
		if a.Default == nil {
			return nil, false
		}
		var resp defaults.Int64Response
		a.Default.DefaultInt64(ctx, defaults.Int64Request{}, &resp)
		return resp.PlanValue.ValueInt64(), true
	case schema.BoolAttribute:
		if a.Default == nil {
			return nil, false
		}
		var resp defaults.BoolResponse
		a.Default.DefaultBool(ctx, defaults.BoolRequest{}, &resp)
		return resp.PlanValue.ValueBool(), true
	}
	return nil, false
}

func compareProvider(typ reflect.Type, field string, r api.Rule, a schema.Attribute, def any) []string {
	var diffs []string
	rvs := ruleValidators(a)
	switch {
	case len(rvs) == 0:
		diffs = append(diffs, "has no validator with api's rule (use stringRule, int64Rule, listRule, setRule or mapRule)")
	case len(rvs) > 1:
		diffs = append(diffs, "has more than one rule validator")
	default:
		rv := rvs[0]
		if rv.Type != "api."+typ.Name() || rv.Field != field {
			diffs = append(diffs, fmt.Sprintf("checks api.%s's rule at %s, not %s", rv.Type, rv.Field, field))
		}
		if !reflect.DeepEqual(rv.Rule, r) {
			diffs = append(diffs, fmt.Sprintf("rule %+v, api %+v", rv.Rule, r))
		}
	}
	if got, ok := providerDefault(a); ok && !sameDefault(got, def) {
		diffs = append(diffs, fmt.Sprintf("default %v, api %v", got, def))
	}
	return diffs
}

// ---- the CRDs ----

func loadCRDSpec(t *testing.T, file string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "crds", file))
	if err != nil {
		t.Fatal(err)
	}
	var crd map[string]any
	if err := yaml.Unmarshal(b, &crd); err != nil {
		t.Fatal(err)
	}
	v := crd["spec"].(map[string]any)["versions"].([]any)[0].(map[string]any)
	root := v["schema"].(map[string]any)["openAPIV3Schema"].(map[string]any)
	return root["properties"].(map[string]any)["spec"].(map[string]any)
}

// initialisms are the Go initialisms of the CRD field names.
var initialisms = map[string]string{"id": "ID", "ids": "IDs", "url": "URL", "ip": "IP", "cidrs": "CIDRs", "cidr": "CIDR"}

// camel turns a JSON field of the API into the CRD's name for it.
func camel(s string) string {
	parts := strings.Split(s, "_")
	for i, p := range parts {
		if i == 0 {
			continue
		}
		if up, ok := initialisms[p]; ok {
			parts[i] = up
		} else if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "")
}

func camelPath(field string) string {
	parts := strings.Split(field, ".")
	for i, p := range parts {
		parts[i] = camel(p)
	}
	return strings.Join(parts, ".")
}

func crdProperty(spec map[string]any, field string) map[string]any {
	s := spec
	for _, p := range strings.Split(field, ".") {
		if items, ok := s["items"].(map[string]any); ok && s["type"] == "array" {
			s = items
		}
		props, _ := s["properties"].(map[string]any)
		s, _ = props[camel(p)].(map[string]any)
		if s == nil {
			return nil
		}
	}
	return s
}

// compareCRD compares a CRD property with api's rule; parentCEL are the
// CEL rules of the list an element belongs to.
func compareCRD(r api.Rule, s map[string]any, def any, parentCEL string) []string {
	var diffs []string
	kind, _ := s["type"].(string)
	e := expect(r, kind)
	// A CRD's optional fields are left out rather than empty, and its
	// required ones are required by the operator's own markers: minLength
	// is compared where the CRD states it.
	if got := num(s, "minLength"); got != nil && !eqInt(got, e.minLength) && *got != 1 {
		diffs = append(diffs, fmt.Sprintf("minLength %s, api %s", show(got), show(e.minLength)))
	}
	if r.Max != nil || kind != "string" {
		for _, c := range []struct {
			key  string
			want *int64
		}{{"maxLength", e.maxLength}, {"minimum", e.minimum}, {"maximum", e.maximum}, {"maxItems", e.maxItems}} {
			if got := num(s, c.key); !eqInt(got, c.want) {
				diffs = append(diffs, fmt.Sprintf("%s %s, api %s", c.key, show(got), show(c.want)))
			}
		}
	} else if got := num(s, "maxLength"); got != nil && !eqInt(got, e.maxLength) {
		diffs = append(diffs, fmt.Sprintf("maxLength %s, api %s", show(got), show(e.maxLength)))
	}
	if len(r.OneOf) > 0 {
		if got := strings2(s["enum"]); !sameSet(got, r.OneOf) {
			diffs = append(diffs, fmt.Sprintf("enum %v, api %v", got, r.OneOf))
		}
	}
	if f := api.FormatOf(r.Format); f != nil {
		got, _ := s["pattern"].(string)
		cel := celRules(s) + parentCEL
		switch {
		case f.Pattern != "" && got != f.Pattern && got != r.Pattern():
			diffs = append(diffs, fmt.Sprintf("pattern %q, api %q", got, f.Pattern))
		case r.Format == "host" && !strings.Contains(cel, api.HostNamePattern):
			diffs = append(diffs, "no CEL rule with api.HostNamePattern and isIP")
		case r.Format == "weburl" && !strings.Contains(cel, "isURL(self)"):
			diffs = append(diffs, "no CEL rule checking an http(s) URL")
		case r.Format == "origin" && !strings.Contains(cel, "isURL(self)"):
			diffs = append(diffs, "no CEL rule checking an origin")
		case r.Format == "loopback4" && !strings.Contains(cel, "cidr('127.0.0.0/8').containsIP"):
			diffs = append(diffs, "no CEL rule checking 127.0.0.0/8")
		case r.Format == "cidr" && !strings.Contains(cel, "isCIDR"):
			diffs = append(diffs, "no CEL rule checking CIDRs")
		}
	}
	if d := s["default"]; d != nil && !sameDefault(d, def) {
		diffs = append(diffs, fmt.Sprintf("default %v, api %v", d, def))
	} else if d == nil && def != nil && kind != "object" {
		diffs = append(diffs, fmt.Sprintf("no default, api %v", def))
	}
	if r.Elem != nil {
		if items, ok := s["items"].(map[string]any); ok && items["properties"] == nil {
			for _, d := range compareCRD(*r.Elem, items, nil, celRules(s)) {
				diffs = append(diffs, "items: "+d)
			}
		}
	}
	return diffs
}

// celRules joins the x-kubernetes-validations rules of a schema (and of its
// items).
func celRules(s map[string]any) string {
	var b strings.Builder
	for _, x := range []map[string]any{s, func() map[string]any { m, _ := s["items"].(map[string]any); return m }()} {
		list, _ := x["x-kubernetes-validations"].([]any)
		for _, v := range list {
			m, _ := v.(map[string]any)
			fmt.Fprintln(&b, m["rule"])
		}
	}
	return b.String()
}
