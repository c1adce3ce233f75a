package openapi_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gin-gonic/gin"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
	"github.com/jumpgate/jumpgate/appliance/internal/openapi"
	"github.com/jumpgate/jumpgate/appliance/internal/route"
)

const (
	committedPath = "../../../api/openapi.json"
	apiDir        = "../../../api"
)

var methods = []string{"get", "put", "post", "delete", "patch", "head", "options", "trace"}

// fetch GETs path from the appliance with token (none if empty) over HTTPS,
// trusting the appliance's CA.
func fetch(t *testing.T, s *appliancetest.Server, token, path string) (*http.Response, []byte) {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(s.CAPEM) {
		t.Fatal("bad CA PEM")
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	defer c.CloseIdleConnections()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return resp, body
}

// TestOpenAPI_MatchesRouter compares the routes the gin engine serves with
// the operations of the document the appliance serves.
func TestOpenAPI_MatchesRouter(t *testing.T) {
	s := appliancetest.NewServer(t)
	engine, ok := s.App.Server.Handler.(*gin.Engine)
	if !ok {
		t.Fatalf("server handler is %T, want *gin.Engine", s.App.Server.Handler)
	}
	served := map[string]bool{}
	for _, r := range engine.Routes() {
		served[r.Method+" "+openapi.OpenAPIPath(r.Path)] = true
	}

	resp, body := fetch(t, s, "", "/api/v1/openapi.json")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v1/openapi.json: status %d", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("GET /api/v1/openapi.json: Content-Type %q", ct)
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("served document is not JSON: %v", err)
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths {
		for m := range item {
			if slices.Contains(methods, m) {
				documented[strings.ToUpper(m)+" "+path] = true
			}
		}
	}

	var undocumented, missing []string
	for k := range served {
		if !documented[k] {
			undocumented = append(undocumented, k)
		}
	}
	for k := range documented {
		if !served[k] {
			missing = append(missing, k)
		}
	}
	sort.Strings(undocumented)
	sort.Strings(missing)
	for _, k := range undocumented {
		t.Errorf("route %s is served but not in api/openapi.json", k)
	}
	for _, k := range missing {
		t.Errorf("api/openapi.json documents %s, which the router does not serve", k)
	}
	if len(undocumented)+len(missing) > 0 {
		t.Log("run: go generate ./appliance/internal/openapi")
	}
	if len(served) == 0 {
		t.Fatal("the router serves no routes")
	}
}

// TestOpenAPI_UpToDate regenerates the document and compares it with the
// committed one.
func TestOpenAPI_UpToDate(t *testing.T) {
	s := appliancetest.NewServer(t)
	docs, err := openapi.ParseDocs(apiDir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := openapi.Build(s.App.Server.Routes, docs)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(committedPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		i := 0
		for i < len(gl) && i < len(wl) && gl[i] == wl[i] {
			i++
		}
		line := func(l []string) string {
			if i < len(l) {
				return strings.TrimSpace(l[i])
			}
			return "(end of file)"
		}
		t.Fatalf("api/openapi.json is out of date: run go generate ./appliance/internal/openapi\n"+
			"first difference at line %d:\n  committed: %s\n  generated: %s", i+1, line(wl), line(gl))
	}
	if !bytes.Equal(api.OpenAPI, want) {
		t.Fatal("api.OpenAPI differs from api/openapi.json (stale build cache?)")
	}
}

// TestBuild_Deterministic builds twice and expects the same bytes.
func TestBuild_Deterministic(t *testing.T) {
	s := appliancetest.NewServer(t)
	docs, err := openapi.ParseDocs(apiDir)
	if err != nil {
		t.Fatal(err)
	}
	a, err := openapi.Build(s.App.Server.Routes, docs)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		b, err := openapi.Build(s.App.Server.Routes, docs)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Fatal("Build is not deterministic")
		}
	}
	if !bytes.HasSuffix(a, []byte("}\n")) || !bytes.HasPrefix(a, []byte("{\n  \"")) {
		t.Error("document is not pretty-printed with a trailing newline")
	}
	// Without docs, it still builds (the runtime never needs source files).
	if _, err := openapi.Build(s.App.Server.Routes, nil); err != nil {
		t.Fatal(err)
	}
}

// TestOpenAPI_Valid checks the committed document by hand (openapi version,
// every $ref resolves, operationIds are unique) and with kin-openapi.
func TestOpenAPI_Valid(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(api.OpenAPI, &doc); err != nil {
		t.Fatalf("api/openapi.json is not JSON: %v", err)
	}
	if v := doc["openapi"]; v != "3.0.3" {
		t.Errorf("openapi = %v, want 3.0.3", v)
	}
	if info, _ := doc["info"].(map[string]any); info["version"] != openapi.Version || info["title"] != openapi.Title {
		t.Errorf("info = %v", info)
	}

	var refs []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if r, ok := x["$ref"].(string); ok {
				refs = append(refs, r)
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(doc)
	if len(refs) == 0 {
		t.Fatal("no $ref in the document")
	}
	for _, r := range refs {
		if _, err := resolve(doc, r); err != nil {
			t.Errorf("$ref %s: %v", r, err)
		}
	}

	ids := map[string]string{}
	paths, _ := doc["paths"].(map[string]any)
	if len(paths) == 0 {
		t.Fatal("no paths")
	}
	for path, item := range paths {
		for m, op := range item.(map[string]any) {
			if !slices.Contains(methods, m) {
				continue
			}
			id, _ := op.(map[string]any)["operationId"].(string)
			where := strings.ToUpper(m) + " " + path
			if id == "" {
				t.Errorf("%s has no operationId", where)
				continue
			}
			if prev, dup := ids[id]; dup {
				t.Errorf("operationId %s is used by %s and %s", id, prev, where)
			}
			ids[id] = where
		}
	}

	loaded := loadDoc(t)
	if err := loaded.Validate(t.Context()); err != nil {
		t.Fatalf("kin-openapi: the document is invalid: %v", err)
	}
}

func loadDoc(t *testing.T) *openapi3.T {
	t.Helper()
	loaded, err := openapi3.NewLoader().LoadFromData(api.OpenAPI)
	if err != nil {
		t.Fatalf("kin-openapi: load: %v", err)
	}
	return loaded
}

// resolve follows a local JSON pointer ("#/components/schemas/X").
func resolve(doc map[string]any, ref string) (any, error) {
	p, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, fmt.Errorf("not a local reference")
	}
	var cur any = doc
	for _, tok := range strings.Split(p, "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch x := cur.(type) {
		case map[string]any:
			v, ok := x[tok]
			if !ok {
				return nil, fmt.Errorf("%q does not exist", tok)
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(x) {
				return nil, fmt.Errorf("%q is not an index of an array of %d", tok, len(x))
			}
			cur = x[i]
		default:
			return nil, fmt.Errorf("%q is not inside an object or array", tok)
		}
	}
	return cur, nil
}

// TestOpenAPI_ResponsesMatchSchemas fills an appliance with one object of
// each collection, GETs every readable route and validates each answer
// against the documented schema and headers, so the document stays true to
// what the appliance sends (nulls, empty strings, enums, formats).
func TestOpenAPI_ResponsesMatchSchemas(t *testing.T) {
	s := appliancetest.NewServer(t)
	seed(t, s)
	doc := loadDoc(t)

	checked := 0
	check := func(path string, op *openapi3.Operation, concrete string) {
		t.Helper()
		resp, body := fetch(t, s, s.AdminToken, concrete)
		ref := op.Responses.Status(resp.StatusCode)
		if ref == nil || ref.Value == nil {
			t.Errorf("GET %s: status %d is not documented: %s", concrete, resp.StatusCode, body)
			return
		}
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: status %d: %s", concrete, resp.StatusCode, body)
		}
		for name := range ref.Value.Headers {
			if resp.Header.Get(name) == "" {
				t.Errorf("GET %s: documented header %s is missing", concrete, name)
			}
		}
		ct, _, _ := strings.Cut(resp.Header.Get("Content-Type"), ";")
		mt := ref.Value.Content.Get(ct)
		if mt == nil {
			t.Errorf("GET %s: Content-Type %q is not documented", concrete, ct)
			return
		}
		if ct != "application/json" && ct != "application/problem+json" {
			return
		}
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			t.Errorf("GET %s: %v", concrete, err)
			return
		}
		if err := mt.Schema.Value.VisitJSON(v, openapi3.VisitAsResponse(), openapi3.MultiErrors()); err != nil {
			t.Errorf("GET %s: the answer does not match the schema of %s:\n%v\nbody: %s", concrete, path, err, body)
		}
		checked++
	}

	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range doc.Paths.Map() {
			if !yield(k) {
				return
			}
		}
	})
	for _, path := range keys {
		op := doc.Paths.Value(path).Get
		// The agents' WebSocket, the installer downloads (binary, per
		// platform), a session's streams (which need a connected agent:
		// test/e2e/browser_streams_test.go) and the live status stream
		// (which never ends: package events) are tested where they are
		// served.
		if op == nil || strings.HasPrefix(path, "/agent/") || strings.Contains(path, "{platform}") ||
			strings.HasPrefix(path, "/api/v1/sessions/{id}/") || path == "/api/v1/events" {
			continue
		}
		if !strings.Contains(path, "{") {
			check(path, op, path)
			continue
		}
		// An item route: read the first object of its collection.
		coll, _, _ := strings.Cut(path, "/{id}")
		_, body := fetch(t, s, s.AdminToken, coll)
		var page api.List[struct {
			ID int64 `json:"id"`
		}]
		if err := json.Unmarshal(body, &page); err != nil || len(page.Items) == 0 {
			t.Errorf("GET %s: no object to read %s with (%v)", coll, path, err)
			continue
		}
		check(path, op, strings.Replace(path, "{id}", strconv.FormatInt(page.Items[0].ID, 10), 1))
		// And a missing one: a problem document.
		if op.Responses.Status(http.StatusNotFound) != nil {
			resp, body := fetch(t, s, s.AdminToken, strings.Replace(path, "{id}", "999999", 1))
			mt := op.Responses.Status(resp.StatusCode)
			if resp.StatusCode != http.StatusNotFound || mt == nil {
				t.Errorf("GET %s with a missing id: status %d", path, resp.StatusCode)
				continue
			}
			var v any
			if err := json.Unmarshal(body, &v); err != nil {
				t.Fatal(err)
			}
			if err := mt.Value.Content.Get("application/problem+json").Schema.Value.VisitJSON(v, openapi3.VisitAsResponse()); err != nil {
				t.Errorf("GET %s with a missing id: %v", path, err)
			}
		}
	}
	if checked < 20 {
		t.Errorf("only %d answers checked", checked)
	}
}

// seed creates one object in each collection, with defaults where possible.
func seed(t *testing.T, s *appliancetest.Server) {
	t.Helper()
	c := s.Admin
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	g, err := c.CreateJumpGroup(ctx, &api.JumpGroup{Name: "Group", CodeName: "group"})
	must(err)
	_, err = c.CreateJumpPolicy(ctx, &api.JumpPolicy{DisplayName: "Policy", CodeName: "policy"})
	must(err)
	_, err = c.CreateSessionPolicy(ctx, &api.SessionPolicy{DisplayName: "Session", CodeName: "session"})
	must(err)
	jp, err := c.CreateJumpoint(ctx, &api.Jumpoint{Name: "Jumpoint", CodeName: "jumpoint", ProtocolTunnelEnabled: true})
	must(err)
	_, err = c.CreatePublicPortal(ctx, &api.PublicPortal{Hostname: "support.example.com", DisplayName: "Support"})
	must(err)
	inst, err := c.CreateJumpClientInstaller(ctx, &api.JumpClientInstaller{JumpGroupID: g.ID})
	must(err)
	_, _, err = s.Enroll(t, inst.KeyInfo, agentproto.Facts{HostID: "h1", Hostname: "host1", MACAddress: "00:11:22:33:44:55", DefaultGateway: "10.0.0.1"}, agentproto.Overrides{})
	must(err)
	tj, err := c.CreateProtocolTunnelJump(ctx, &api.ProtocolTunnelJump{Name: "db", JumpointID: jp.ID, Hostname: "db.internal",
		TunnelDefinitions: []api.TunnelDefinition{{RemotePort: 5432}}, JumpGroupID: g.ID})
	must(err)
	// A refused session (no jumpoint node is connected) is a session too.
	_, err = c.Do(ctx, http.MethodPost, "sessions", nil, &api.SessionRequest{ItemType: api.ItemProtocolTunnelJump, ItemID: tj.ID}, nil)
	if !errors.Is(err, api.ErrForbidden) {
		t.Fatalf("a session to a tunnel jump without a connected jumpoint: %v, want 403", err)
	}
	_, err = c.Do(ctx, http.MethodPost, "access-codes", nil, &api.AccessCode{}, nil)
	must(err)
	_, err = c.CreateGroupPolicy(ctx, &api.GroupPolicy{Name: "Everyone",
		JumpGroups: []api.GroupPolicyJumpGroup{{JumpGroupID: g.ID, Role: api.RoleView}}})
	must(err)
}

type widget struct {
	api.Meta
	Name   string         `json:"name" validate:"required,max=8"`
	Kind   string         `json:"kind" validate:"omitempty,oneof=a b"`
	Tags   []string       `json:"tags" validate:"max=3,unique,dive,codename"`
	Ref    *int64         `json:"ref,omitempty" validate:"omitempty,gte=1"`
	Secret string         `json:"secret,omitempty" jg:"writeonly"`
	Skip   string         `json:"-"`
	Any    any            `json:"any"`
	Counts map[string]int `json:"counts"`
}

// TestBuild_Schemas checks the reflection rules on a synthetic type.
func TestBuild_Schemas(t *testing.T) {
	routes := []route.Route{
		{Method: http.MethodPost, Path: "/api/v1/widgets", Tag: "widgets", Summary: "Create", Request: widget{}, Response: widget{},
			Status: http.StatusCreated, AdminOnly: true},
		{Method: http.MethodGet, Path: "/api/v1/widgets", Tag: "widgets", Summary: "List", Response: api.List[widget]{},
			Query: map[string]string{"ref": "By ref.", "limit": "Page size.", "name": "By name."}},
		{Method: http.MethodPatch, Path: "/api/v1/widgets/:id", Tag: "widgets", Summary: "Patch", Request: map[string]any{}, Response: widget{}},
		{Method: http.MethodGet, Path: "/healthz", Access: route.Public, Summary: "Probe"},
	}
	docs := openapi.Docs{"widget": {"": "A widget.", "Name": "Name is the widget's Name; see Kind."}}
	b, err := openapi.Build(routes, docs)
	if err != nil {
		t.Fatal(err)
	}
	var d map[string]any
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	get := func(ptr string) any {
		t.Helper()
		v, err := resolve(d, "#/"+ptr)
		if err != nil {
			t.Fatalf("%s: %v", ptr, err)
		}
		return v
	}
	js := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	for ptr, want := range map[string]string{
		"components/schemas/widget/description":                                                              `"A widget."`,
		"components/schemas/widget/required":                                                                 `["name"]`,
		"components/schemas/widget/properties/id/readOnly":                                                   `true`,
		"components/schemas/widget/properties/name":                                                          `{"description":"name is the widget's name; see kind.","maxLength":8,"minLength":1,"type":"string"}`,
		"components/schemas/widget/properties/kind/enum":                                                     `["a","b",""]`,
		"components/schemas/widget/properties/tags":                                                          `{"items":{"maxLength":64,"pattern":"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$","type":"string"},"maxItems":3,"type":"array","uniqueItems":true}`,
		"components/schemas/widget/properties/ref":                                                           `{"format":"int64","minimum":1,"nullable":true,"type":"integer"}`,
		"components/schemas/widget/properties/secret/writeOnly":                                              `true`,
		"components/schemas/widget/properties/any":                                                           `{"nullable":true}`,
		"components/schemas/widget/properties/counts":                                                        `{"additionalProperties":{"format":"int64","type":"integer"},"type":"object"}`,
		"components/schemas/WidgetList/properties/items/items/$ref":                                          `"#/components/schemas/widget"`,
		"paths/~1api~1v1~1widgets/post/operationId":                                                          `"postWidgets"`,
		"paths/~1api~1v1~1widgets/post/description":                                                          `"Create (administrators only)"`,
		"paths/~1api~1v1~1widgets/post/responses/201/headers":                                                `{"ETag":{"$ref":"#/components/headers/ETag"},"Location":{"$ref":"#/components/headers/Location"}}`,
		"paths/~1api~1v1~1widgets/get/parameters":                                                            `[{"description":"Page size.","in":"query","name":"limit","schema":{"maximum":500,"minimum":1,"type":"integer"}},{"description":"By name.","in":"query","name":"name","schema":{"type":"string"}},{"description":"By ref.","in":"query","name":"ref","schema":{"format":"int64","type":"integer"}}]`,
		"paths/~1api~1v1~1widgets~1{id}/parameters/0/schema/type":                                            `"integer"`,
		"paths/~1api~1v1~1widgets~1{id}/patch/operationId":                                                   `"patchWidgetsById"`,
		"paths/~1api~1v1~1widgets~1{id}/patch/parameters/0/$ref":                                             `"#/components/parameters/IfMatch"`,
		"paths/~1api~1v1~1widgets~1{id}/patch/requestBody/content/application~1merge-patch+json/schema/type": `"object"`,
		"paths/~1healthz/get/security":                                                                       `[]`,
		"paths/~1healthz/get/responses":                                                                      `{"200":{"description":"OK"}}`,
	} {
		if got := js(get(ptr)); got != want {
			t.Errorf("%s:\n got %s\nwant %s", ptr, got, want)
		}
	}
	if _, ok := d["components"].(map[string]any)["schemas"].(map[string]any)["widget"].(map[string]any)["properties"].(map[string]any)["Skip"]; ok {
		t.Error(`json:"-" field documented`)
	}

	type bad struct {
		X string `json:"x" validate:"uuid4"`
	}
	_, err = openapi.Build([]route.Route{{Method: http.MethodPost, Path: "/x", Request: bad{}}}, nil)
	if err == nil || !strings.Contains(err.Error(), "uuid4") {
		t.Errorf("unknown validate rule: err = %v", err)
	}
	_, err = openapi.Build([]route.Route{{Method: http.MethodGet, Path: "/x"}, {Method: http.MethodGet, Path: "/x"}}, nil)
	if err == nil {
		t.Error("duplicate route: no error")
	}
	// An outer field that shadows an embedded one loses a member on the
	// wire (a Jump Client's agent version once hid its object version).
	type shadow struct {
		api.Meta
		Version string `json:"version"`
	}
	_, err = openapi.Build([]route.Route{{Method: http.MethodGet, Path: "/x", Response: shadow{}}}, nil)
	if err == nil || !strings.Contains(err.Error(), `"version" is declared twice`) {
		t.Errorf("shadowed JSON member: err = %v", err)
	}
}
