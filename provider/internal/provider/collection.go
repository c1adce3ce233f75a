package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/jumpgate/jumpgate/api"
)

// spec describes one appliance collection to the generic resource and data
// sources. A is the API type, M the resource's Terraform model.
type spec[A any, M any] struct {
	// name is the type name after "jumpgate_", e.g. "jump_group".
	name string
	// plural is the name of the list data source after "jumpgate_", e.g. "jump_groups".
	plural string
	// title is the human name in messages and docs, e.g. "Jump Group".
	title string
	// lookup are unique string attributes that find one object: terraform
	// import accepts "<key>=<value>" besides the numeric id, and the singular
	// data source accepts them instead of id.
	lookup []string
	// filters are the list filters the plural data source offers.
	filters []filter
	// omitInDataSource are resource attributes that data sources leave out
	// (inputs the API never returns, such as passwords or keepers).
	omitInDataSource []string

	create func(*api.Client, context.Context, *A) (*A, error)
	get    func(*api.Client, context.Context, int64) (*A, error)
	update func(*api.Client, context.Context, int64, *A, ...api.WriteOption) (*A, error)
	remove func(*api.Client, context.Context, int64, ...api.WriteOption) error
	list   func(*api.Client, context.Context, *api.ListOptions) (*api.List[A], error)

	// schema is the resource schema. Every attribute has a MarkdownDescription.
	schema func() schema.Schema
	// toAPI builds a request body from a plan. config is the configuration
	// as written: an Optional+Computed attribute that is null there is not
	// managed by this resource (for example memberships declared on the
	// other side of a relation) and should be sent as "unchanged".
	toAPI func(ctx context.Context, plan, config *M, diags *diag.Diagnostics) *A
	// fromAPI writes an object onto m. m holds the prior state, plan or
	// config, so it may keep values the API never returns.
	fromAPI func(ctx context.Context, a *A, m *M, diags *diag.Diagnostics)
	// validate checks cross-field rules of a configuration at plan time,
	// where they mirror the appliance's; optional.
	validate func(ctx context.Context, m *M, diags *diag.Diagnostics)
	// modifyPlan adjusts a plan (not a destroy) beyond the schema's plan
	// modifiers; optional.
	modifyPlan func(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse)
}

// filter is one exact-match list filter of a plural data source.
type filter struct {
	// name is both the attribute and the query parameter.
	name string
	// description documents the attribute.
	description string
	// int makes the attribute a number (an id) instead of a string.
	int bool
	// bool makes the attribute a boolean.
	bool bool
}

// collectionResource is the generic resource over a spec.
type collectionResource[A any, M any] struct {
	spec   *spec[A, M]
	client *api.Client
}

var (
	_ resource.ResourceWithConfigure      = (*collectionResource[api.JumpGroup, jumpGroupModel])(nil)
	_ resource.ResourceWithImportState    = (*collectionResource[api.JumpGroup, jumpGroupModel])(nil)
	_ resource.ResourceWithModifyPlan     = (*collectionResource[api.JumpGroup, jumpGroupModel])(nil)
	_ resource.ResourceWithValidateConfig = (*collectionResource[api.JumpGroup, jumpGroupModel])(nil)
)

func (r *collectionResource[A, M]) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_" + r.spec.name
}

func (r *collectionResource[A, M]) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = r.spec.schema()
}

func (r *collectionResource[A, M]) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.client = configuredClient(req.ProviderData, &resp.Diagnostics)
}

func (r *collectionResource[A, M]) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	if r.spec.validate == nil {
		return
	}
	var m M
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	r.spec.validate(ctx, &m, &resp.Diagnostics)
}

func (r *collectionResource[A, M]) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if r.spec.modifyPlan == nil || req.Plan.Raw.IsNull() {
		return
	}
	r.spec.modifyPlan(ctx, req, resp)
}

func (r *collectionResource[A, M]) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var m, cfg M
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	in := r.spec.toAPI(ctx, &m, &cfg, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	out, err := r.spec.create(r.client, ctx, in)
	if err != nil {
		addAPIError(&resp.Diagnostics, "Cannot create the "+r.spec.title, err)
		return
	}
	r.spec.fromAPI(ctx, out, &m, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
	resp.Diagnostics.Append(setVersion(ctx, resp.Private, metaOf(out).Version)...)
}

func (r *collectionResource[A, M]) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var m M
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id, ok := stateID(ctx, req.State, &resp.Diagnostics)
	if !ok {
		return
	}
	out, err := r.spec.get(r.client, ctx, id)
	if errors.Is(err, api.ErrNotFound) {
		// Deleted outside Terraform: the next plan creates it again.
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		addAPIError(&resp.Diagnostics, "Cannot read the "+r.spec.title, err)
		return
	}
	r.spec.fromAPI(ctx, out, &m, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
	resp.Diagnostics.Append(setVersion(ctx, resp.Private, metaOf(out).Version)...)
}

func (r *collectionResource[A, M]) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var m, cfg M
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id, ok := stateID(ctx, req.State, &resp.Diagnostics)
	if !ok {
		return
	}
	in := r.spec.toAPI(ctx, &m, &cfg, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	out, err := r.spec.update(r.client, ctx, id, in, ifMatch(ctx, req.Private)...)
	if errors.Is(err, api.ErrPreconditionFailed) {
		out, err = r.retryUpdate(ctx, req, id, &cfg, in, err)
	}
	if err != nil {
		addAPIError(&resp.Diagnostics, "Cannot update the "+r.spec.title, err)
		return
	}
	r.spec.fromAPI(ctx, out, &m, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
	resp.Diagnostics.Append(setVersion(ctx, resp.Private, metaOf(out).Version)...)
}

// retryUpdate handles a 412 of an update: the object's version moved after
// the refresh. When everything this resource would write is still as last
// read, the change came through a relation it does not manage (a Jump
// Group's memberships moving a group policy's version, or the other side
// being deleted in the same apply), and the update is retried once against
// the current version. Otherwise the 412 stands: someone changed a managed
// attribute, and a new plan must show it.
func (r *collectionResource[A, M]) retryUpdate(ctx context.Context, req resource.UpdateRequest, id int64, cfg *M, in *A, first error) (*A, error) {
	var prior M
	var diags diag.Diagnostics
	diags.Append(req.State.Get(ctx, &prior)...)
	cur, err := r.spec.get(r.client, ctx, id)
	if err != nil || diags.HasError() {
		return nil, first
	}
	now := prior
	r.spec.fromAPI(ctx, cur, &now, &diags)
	was := r.spec.toAPI(ctx, &prior, cfg, &diags)
	is := r.spec.toAPI(ctx, &now, cfg, &diags)
	if diags.HasError() {
		return nil, first
	}
	wb, err1 := json.Marshal(was)
	ib, err2 := json.Marshal(is)
	if err1 != nil || err2 != nil || string(wb) != string(ib) {
		return nil, first
	}
	return r.spec.update(r.client, ctx, id, in, api.IfMatch(metaOf(cur).Version))
}

func (r *collectionResource[A, M]) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	id, ok := stateID(ctx, req.State, &resp.Diagnostics)
	if !ok {
		return
	}
	err := r.spec.remove(r.client, ctx, id)
	if err != nil && !errors.Is(err, api.ErrNotFound) {
		addAPIError(&resp.Diagnostics, "Cannot delete the "+r.spec.title, err)
	}
}

// ImportState accepts the numeric id, or "<key>=<value>" for a lookup key
// such as code_name=ops.
func (r *collectionResource[A, M]) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	id, err := r.resolveImportID(ctx, req.ID)
	if err != nil {
		resp.Diagnostics.AddError("Cannot import the "+r.spec.title, err.Error())
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), strconv.FormatInt(id, 10))...)
}

func (r *collectionResource[A, M]) resolveImportID(ctx context.Context, s string) (int64, error) {
	if id, err := strconv.ParseInt(s, 10, 64); err == nil && id > 0 {
		return id, nil
	}
	key, value, ok := strings.Cut(s, "=")
	if ok && contains(r.spec.lookup, key) && value != "" {
		items, err := api.ListAll(ctx, func(ctx context.Context, o *api.ListOptions) (*api.List[A], error) {
			return r.spec.list(r.client, ctx, o)
		}, &api.ListOptions{Filters: map[string]string{key: value}})
		if err != nil {
			return 0, err
		}
		switch len(items) {
		case 0:
			return 0, fmt.Errorf("no %s has %s %q", r.spec.title, key, value)
		case 1:
			return metaOf(&items[0]).ID, nil
		default:
			return 0, fmt.Errorf("%d objects of type %s have %s %q; import by numeric id", len(items), r.spec.title, key, value)
		}
	}
	want := "the numeric id"
	if len(r.spec.lookup) > 0 {
		want += " or " + strings.Join(r.spec.lookup, "=… or ") + "=…"
	}
	return 0, fmt.Errorf("import id %q is not valid: use %s", s, want)
}

// metaOf returns the embedded api.Meta of an API object.
func metaOf[A any](a *A) *api.Meta {
	return any(a).(interface{ GetMeta() *api.Meta }).GetMeta()
}

// configuredClient is the *api.Client the provider's Configure made, or nil
// before it ran (validation calls resources unconfigured).
func configuredClient(data any, diags *diag.Diagnostics) *api.Client {
	if data == nil {
		return nil
	}
	c, ok := data.(*api.Client)
	if !ok {
		diags.AddError("Unexpected provider data", fmt.Sprintf("expected *api.Client, got %T; please report this bug", data))
		return nil
	}
	return c
}

// stateID reads the numeric id attribute of a state.
func stateID(ctx context.Context, st interface {
	GetAttribute(context.Context, path.Path, any) diag.Diagnostics
}, diags *diag.Diagnostics) (int64, bool) {
	var s types.String
	diags.Append(st.GetAttribute(ctx, path.Root("id"), &s)...)
	if diags.HasError() {
		return 0, false
	}
	id, err := strconv.ParseInt(s.ValueString(), 10, 64)
	if err != nil || id <= 0 {
		diags.AddAttributeError(path.Root("id"), "Invalid id", fmt.Sprintf("%q is not a numeric appliance id", s.ValueString()))
		return 0, false
	}
	return id, true
}

// privateState is the part of resource private state the generic code uses.
type privateState interface {
	GetKey(context.Context, string) ([]byte, diag.Diagnostics)
}

type privateWriter interface {
	SetKey(context.Context, string, []byte) diag.Diagnostics
}

// setVersion keeps the object's version in private state, for If-Match.
func setVersion(ctx context.Context, p privateWriter, v int64) diag.Diagnostics {
	b, _ := json.Marshal(v)
	return p.SetKey(ctx, "version", b)
}

// ifMatch makes a write conditional on the version last read, so a change
// made outside Terraform after the refresh is not silently overwritten.
func ifMatch(ctx context.Context, p privateState) []api.WriteOption {
	b, d := p.GetKey(ctx, "version")
	if d.HasError() || len(b) == 0 {
		return nil
	}
	var v int64
	if json.Unmarshal(b, &v) != nil || v <= 0 {
		return nil
	}
	return []api.WriteOption{api.IfMatch(v)}
}

// addAPIError turns an appliance error into diagnostics: each invalid field
// of a validation problem as an error on its attribute, anything else as
// one error.
func addAPIError(diags *diag.Diagnostics, summary string, err error) {
	var p *api.Problem
	if !errors.As(err, &p) {
		diags.AddError(summary, err.Error())
		return
	}
	if errors.Is(err, api.ErrPreconditionFailed) {
		diags.AddError(summary, "The object changed outside Terraform after it was last read ("+p.Detail+"). "+
			"Run terraform apply again: the new plan starts from the current object.")
		return
	}
	if len(p.Errors) == 0 {
		diags.AddError(summary, p.Error())
		return
	}
	for _, fe := range p.Errors {
		root, _, _ := strings.Cut(fe.Field, ".")
		root, _, _ = strings.Cut(root, "[")
		detail := fe.Field + ": " + fe.Detail
		if root == "" {
			diags.AddError(summary, detail)
			continue
		}
		diags.AddAttributeError(path.Root(root), summary, detail)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// idString renders an appliance id as the string id attribute.
func idString(id int64) types.String { return types.StringValue(strconv.FormatInt(id, 10)) }
