package provider

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	dschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	rschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/jumpgate/jumpgate/api"
)

// The data sources of a collection are derived from its resource: the same
// attributes, read-only, so the two never disagree. The singular one finds
// one object by id or a lookup key; the plural one lists them with filters.

// objectDataSource is the singular data source jumpgate_<name>.
type objectDataSource[A any, M any] struct {
	spec   *spec[A, M]
	client *api.Client
}

// listDataSource is the plural data source jumpgate_<plural>.
type listDataSource[A any, M any] struct {
	spec   *spec[A, M]
	client *api.Client
}

var (
	_ datasource.DataSourceWithConfigure = (*objectDataSource[api.JumpGroup, jumpGroupModel])(nil)
	_ datasource.DataSourceWithConfigure = (*listDataSource[api.JumpGroup, jumpGroupModel])(nil)
)

func (d *objectDataSource[A, M]) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_" + d.spec.name
}

func (d *objectDataSource[A, M]) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.client = configuredClient(req.ProviderData, &resp.Diagnostics)
}

func (d *objectDataSource[A, M]) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	rs := d.spec.schema()
	attrs := dataAttributes(rs.Attributes, d.spec.omitInDataSource)
	keys := append([]string{"id"}, d.spec.lookup...)
	for _, k := range keys {
		a := attrs[k].(dschema.StringAttribute)
		a.Computed, a.Optional = true, true
		attrs[k] = a
	}
	resp.Schema = dschema.Schema{
		MarkdownDescription: fmt.Sprintf("Reads one %s, found by %s. Every attribute of the `jumpgate_%s` resource is available.",
			d.spec.title, orList(quoteAll(keys)), d.spec.name),
		Attributes: attrs,
	}
}

func (d *objectDataSource[A, M]) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	keys := append([]string{"id"}, d.spec.lookup...)
	filters := map[string]string{}
	for _, k := range keys {
		var v types.String
		resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root(k), &v)...)
		if !v.IsNull() && !v.IsUnknown() {
			filters[k] = v.ValueString()
		}
	}
	if resp.Diagnostics.HasError() {
		return
	}
	if len(filters) == 0 {
		resp.Diagnostics.AddError("Missing lookup", fmt.Sprintf("Set %s to find the %s.", orList(quoteAll(keys)), d.spec.title))
		return
	}
	var obj *A
	if s, ok := filters["id"]; ok {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			resp.Diagnostics.AddAttributeError(path.Root("id"), "Invalid id", fmt.Sprintf("%q is not a numeric id", s))
			return
		}
		o, err := d.spec.get(d.client, ctx, id)
		if err != nil {
			addAPIError(&resp.Diagnostics, "Cannot read the "+d.spec.title, err)
			return
		}
		for k, v := range filters {
			if k != "id" && !matches(ctx, d.spec, o, k, v, &resp.Diagnostics) {
				resp.Diagnostics.AddError("No match", fmt.Sprintf("%s %d does not have %s %q", d.spec.title, id, k, v))
				return
			}
		}
		obj = o
	} else {
		items, err := api.ListAll(ctx, func(ctx context.Context, o *api.ListOptions) (*api.List[A], error) {
			return d.spec.list(d.client, ctx, o)
		}, &api.ListOptions{Filters: filters, Limit: 500})
		if err != nil {
			addAPIError(&resp.Diagnostics, "Cannot list the "+d.spec.title+" objects", err)
			return
		}
		switch len(items) {
		case 0:
			resp.Diagnostics.AddError("Not found", fmt.Sprintf("No %s matches %s.", d.spec.title, describe(filters)))
			return
		case 1:
			obj = &items[0]
		default:
			resp.Diagnostics.AddError("Ambiguous lookup", fmt.Sprintf("%d objects of type %s match %s; narrow it down (for example by id), or use the jumpgate_%s data source to list them.",
				len(items), d.spec.title, describe(filters), d.spec.plural))
			return
		}
	}
	values := objectAttributes(ctx, d.spec, obj, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	for k, v := range values {
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root(k), v)...)
	}
}

func (d *listDataSource[A, M]) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_" + d.spec.plural
}

func (d *listDataSource[A, M]) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.client = configuredClient(req.ProviderData, &resp.Diagnostics)
}

func (d *listDataSource[A, M]) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	rs := d.spec.schema()
	attrs := map[string]dschema.Attribute{
		"id": dschema.StringAttribute{
			MarkdownDescription: "A fixed identifier of this read, derived from the filters.",
			Computed:            true,
		},
		"items": dschema.ListNestedAttribute{
			MarkdownDescription: fmt.Sprintf("The matching %s objects in ascending id order, with every attribute of the `jumpgate_%s` resource.", d.spec.title, d.spec.name),
			Computed:            true,
			NestedObject:        dschema.NestedAttributeObject{Attributes: dataAttributes(rs.Attributes, d.spec.omitInDataSource)},
		},
	}
	for _, f := range d.spec.filters {
		desc := "Only objects whose `" + f.name + "` is this value. " + f.description
		switch {
		case f.int:
			attrs[f.name] = dschema.Int64Attribute{MarkdownDescription: desc, Optional: true}
		case f.bool:
			attrs[f.name] = dschema.BoolAttribute{MarkdownDescription: desc, Optional: true}
		default:
			attrs[f.name] = dschema.StringAttribute{MarkdownDescription: desc, Optional: true}
		}
	}
	resp.Schema = dschema.Schema{
		MarkdownDescription: fmt.Sprintf("Lists %s objects, optionally filtered (exact matches; all filters must match).", d.spec.title),
		Attributes:          attrs,
	}
}

func (d *listDataSource[A, M]) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	filters := map[string]string{}
	for _, f := range d.spec.filters {
		p := path.Root(f.name)
		switch {
		case f.int:
			var v types.Int64
			resp.Diagnostics.Append(req.Config.GetAttribute(ctx, p, &v)...)
			if !v.IsNull() && !v.IsUnknown() {
				filters[f.name] = strconv.FormatInt(v.ValueInt64(), 10)
			}
			resp.Diagnostics.Append(resp.State.SetAttribute(ctx, p, v)...)
		case f.bool:
			var v types.Bool
			resp.Diagnostics.Append(req.Config.GetAttribute(ctx, p, &v)...)
			if !v.IsNull() && !v.IsUnknown() {
				filters[f.name] = strconv.FormatBool(v.ValueBool())
			}
			resp.Diagnostics.Append(resp.State.SetAttribute(ctx, p, v)...)
		default:
			var v types.String
			resp.Diagnostics.Append(req.Config.GetAttribute(ctx, p, &v)...)
			if !v.IsNull() && !v.IsUnknown() {
				filters[f.name] = v.ValueString()
			}
			resp.Diagnostics.Append(resp.State.SetAttribute(ctx, p, v)...)
		}
	}
	if resp.Diagnostics.HasError() {
		return
	}
	items, err := api.ListAll(ctx, func(ctx context.Context, o *api.ListOptions) (*api.List[A], error) {
		return d.spec.list(d.client, ctx, o)
	}, &api.ListOptions{Filters: filters, Limit: 500})
	if err != nil {
		addAPIError(&resp.Diagnostics, "Cannot list the "+d.spec.title+" objects", err)
		return
	}
	elemType := dataObjectType(d.spec)
	elems := make([]attr.Value, 0, len(items))
	for i := range items {
		values := objectAttributes(ctx, d.spec, &items[i], &resp.Diagnostics)
		if resp.Diagnostics.HasError() {
			return
		}
		o, diags := types.ObjectValue(elemType.AttrTypes, values)
		resp.Diagnostics.Append(diags...)
		elems = append(elems, o)
	}
	list, diags := types.ListValue(elemType, elems)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("items"), list)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), d.spec.plural+"?"+describe(filters))...)
}

// objectAttributes converts an API object into the data source attribute
// values: the resource model's, less the omitted attributes.
func objectAttributes[A any, M any](ctx context.Context, s *spec[A, M], a *A, diags *diag.Diagnostics) map[string]attr.Value {
	var m M
	s.fromAPI(ctx, a, &m, diags)
	if diags.HasError() {
		return nil
	}
	full := s.schema().Type().(basetypes.ObjectType)
	o, d := types.ObjectValueFrom(ctx, full.AttrTypes, &m)
	diags.Append(d...)
	if diags.HasError() {
		return nil
	}
	out := o.Attributes()
	for _, k := range s.omitInDataSource {
		delete(out, k)
	}
	return out
}

// dataObjectType is the object type of one data source item.
func dataObjectType[A any, M any](s *spec[A, M]) types.ObjectType {
	full := s.schema().Type().(basetypes.ObjectType)
	at := map[string]attr.Type{}
	for k, v := range full.AttrTypes {
		if !contains(s.omitInDataSource, k) {
			at[k] = v
		}
	}
	return types.ObjectType{AttrTypes: at}
}

// matches tells whether object a has string attribute key equal to value.
func matches[A any, M any](ctx context.Context, s *spec[A, M], a *A, key, value string, diags *diag.Diagnostics) bool {
	v, ok := objectAttributes(ctx, s, a, diags)[key].(types.String)
	return ok && strings.EqualFold(v.ValueString(), value)
}

// dataAttributes converts resource attributes into computed data source
// attributes with the same types and descriptions, less omit.
func dataAttributes(in map[string]rschema.Attribute, omit []string) map[string]dschema.Attribute {
	out := make(map[string]dschema.Attribute, len(in))
	for k, a := range in {
		if contains(omit, k) {
			continue
		}
		out[k] = dataAttribute(a)
	}
	return out
}

func dataAttribute(a rschema.Attribute) dschema.Attribute {
	desc := a.GetMarkdownDescription()
	switch a := a.(type) {
	case rschema.StringAttribute:
		return dschema.StringAttribute{MarkdownDescription: desc, Computed: true, Sensitive: a.Sensitive, CustomType: a.CustomType}
	case rschema.Int64Attribute:
		return dschema.Int64Attribute{MarkdownDescription: desc, Computed: true, Sensitive: a.Sensitive, CustomType: a.CustomType}
	case rschema.BoolAttribute:
		return dschema.BoolAttribute{MarkdownDescription: desc, Computed: true, Sensitive: a.Sensitive, CustomType: a.CustomType}
	case rschema.ListAttribute:
		return dschema.ListAttribute{MarkdownDescription: desc, Computed: true, Sensitive: a.Sensitive, ElementType: a.ElementType, CustomType: a.CustomType}
	case rschema.SetAttribute:
		return dschema.SetAttribute{MarkdownDescription: desc, Computed: true, Sensitive: a.Sensitive, ElementType: a.ElementType, CustomType: a.CustomType}
	case rschema.MapAttribute:
		return dschema.MapAttribute{MarkdownDescription: desc, Computed: true, Sensitive: a.Sensitive, ElementType: a.ElementType, CustomType: a.CustomType}
	case rschema.ListNestedAttribute:
		return dschema.ListNestedAttribute{MarkdownDescription: desc, Computed: true, Sensitive: a.Sensitive, CustomType: a.CustomType,
			NestedObject: dschema.NestedAttributeObject{Attributes: dataAttributes(a.NestedObject.Attributes, nil)}}
	case rschema.SetNestedAttribute:
		return dschema.SetNestedAttribute{MarkdownDescription: desc, Computed: true, Sensitive: a.Sensitive, CustomType: a.CustomType,
			NestedObject: dschema.NestedAttributeObject{Attributes: dataAttributes(a.NestedObject.Attributes, nil)}}
	case rschema.SingleNestedAttribute:
		return dschema.SingleNestedAttribute{MarkdownDescription: desc, Computed: true, Sensitive: a.Sensitive, CustomType: a.CustomType,
			Attributes: dataAttributes(a.Attributes, nil)}
	}
	panic(fmt.Sprintf("dataAttribute: unsupported attribute type %T", a))
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = "`" + v + "`"
	}
	return out
}

func orList(s []string) string {
	if len(s) <= 1 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// describe renders filters as "a = "x", b = "y"" in a stable order.
func describe(filters map[string]string) string {
	keys := make([]string, 0, len(filters))
	for k := range filters {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s = %q", k, filters[k])
	}
	if len(parts) == 0 {
		return "no filter"
	}
	return strings.Join(parts, ", ")
}
