package openapi_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/internal/openapi"
	"github.com/jumpgate/jumpgate/appliance/internal/route"
)

// gadget is a wire type with defaults, of every shape a default can take.
type gadget struct {
	Mode    string      `json:"mode"`
	Size    int         `json:"size"`
	On      *bool       `json:"on,omitempty"`
	Free    int         `json:"free"`
	Part    gadgetPart  `json:"part"`
	Backup  *gadgetPart `json:"backup,omitempty"`
	Comment string      `json:"comment"`
}

func (g *gadget) ApplyDefaults() {
	if g.Mode == "" {
		g.Mode = "auto"
	}
	if g.Size == 0 {
		g.Size = 7
	}
	if g.On == nil {
		g.On = api.Bool(true)
	}
	g.Part.ApplyDefaults()
}

type gadgetPart struct {
	Port int `json:"port"`
}

func (p *gadgetPart) ApplyDefaults() {
	if p.Port == 0 {
		p.Port = 8443
	}
}

// plain has no ApplyDefaults: none of its fields has a default.
type plain struct {
	Mode string `json:"mode"`
}

func TestBuild_Defaults(t *testing.T) {
	routes := []route.Route{
		{Method: http.MethodPost, Path: "/api/v1/gadgets", Tag: "gadgets", Summary: "Create", Request: gadget{}, Response: gadget{},
			Status: http.StatusCreated, AdminOnly: true},
		{Method: http.MethodPost, Path: "/api/v1/plains", Tag: "plains", Summary: "Create", Request: plain{}, Response: plain{},
			Status: http.StatusCreated, AdminOnly: true},
		{Method: http.MethodPost, Path: "/api/v1/session-policies", Tag: "session-policies", Summary: "Create",
			Request: api.SessionPolicy{}, Response: api.SessionPolicy{}, Status: http.StatusCreated, AdminOnly: true},
	}
	b, err := openapi.Build(routes, nil)
	if err != nil {
		t.Fatal(err)
	}
	var d map[string]any
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	js := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	tests := []struct {
		ptr, want string
	}{
		{"components/schemas/gadget/properties/mode", `{"default":"auto","type":"string"}`},
		{"components/schemas/gadget/properties/size", `{"default":7,"format":"int64","type":"integer"}`},
		{"components/schemas/gadget/properties/on", `{"default":true,"nullable":true,"type":"boolean"}`},
		// Zero is the value there, not a default.
		{"components/schemas/gadget/properties/free", `{"format":"int64","type":"integer"}`},
		{"components/schemas/gadget/properties/comment", `{"type":"string"}`},
		// A struct's defaults are on its own properties.
		{"components/schemas/gadget/properties/part", `{"$ref":"#/components/schemas/gadgetPart"}`},
		{"components/schemas/gadget/properties/backup", `{"allOf":[{"$ref":"#/components/schemas/gadgetPart"}],"nullable":true}`},
		{"components/schemas/gadgetPart/properties/port", `{"default":8443,"format":"int64","type":"integer"}`},
		{"components/schemas/plain/properties/mode", `{"type":"string"}`},
		{"components/schemas/SessionPolicy/properties/prompt_timeout_seconds/default", `180`},
		{"components/schemas/SessionPolicy/properties/on_timeout/default", `"deny"`},
		{"components/schemas/SessionPolicy/properties/record_shell/default", `true`},
		{"components/schemas/SessionPermissions/properties/clipboard/default", `"off"`},
	}
	for _, tt := range tests {
		t.Run(tt.ptr, func(t *testing.T) {
			v, err := resolve(d, "#/"+tt.ptr)
			if err != nil {
				t.Fatal(err)
			}
			if got := js(v); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
	idle, err := resolve(d, "#/components/schemas/SessionPolicy/properties/idle_timeout_minutes")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := idle.(map[string]any)["default"]; ok {
		t.Error("idle_timeout_minutes has a default; 0 means never")
	}
}
