package api_test

import (
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"testing"

	"github.com/jumpgate/jumpgate/api"
)

// Examples are api/testdata/rules.json: valid and invalid values of every
// named format.
type Examples map[string]struct{ Valid, Invalid []string }

func loadExamples(t *testing.T) Examples {
	t.Helper()
	b, err := os.ReadFile("testdata/rules.json")
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	delete(raw, "_comment")
	ex := Examples{}
	for k, v := range raw {
		var e struct{ Valid, Invalid []string }
		if err := json.Unmarshal(v, &e); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		ex[k] = e
	}
	return ex
}

func TestFormats_Examples(t *testing.T) {
	ex := loadExamples(t)
	for _, f := range api.Formats() {
		e, ok := ex[f.Name]
		if !ok || len(e.Valid) == 0 || len(e.Invalid) == 0 {
			t.Errorf("format %s has no valid and invalid examples in testdata/rules.json", f.Name)
			continue
		}
		var re *regexp.Regexp
		if f.Pattern != "" {
			re = regexp.MustCompile(f.Pattern)
		}
		for _, v := range e.Valid {
			if !f.Valid(v) {
				t.Errorf("%s: %q is refused, want valid", f.Name, v)
			}
			if re != nil && !re.MatchString(v) {
				t.Errorf("%s: pattern does not match %q", f.Name, v)
			}
		}
		for _, v := range e.Invalid {
			if f.Valid(v) {
				t.Errorf("%s: %q is accepted, want invalid", f.Name, v)
			}
			if re != nil && re.MatchString(v) {
				t.Errorf("%s: pattern matches %q", f.Name, v)
			}
		}
		if f.Message == "" {
			t.Errorf("format %s has no message", f.Name)
		}
	}
	for name := range ex {
		if api.FormatOf(name) == nil {
			t.Errorf("testdata/rules.json has examples of %q, which is no format", name)
		}
	}
}

func TestParseRule(t *testing.T) {
	n := func(v int64) *int64 { return &v }
	for tag, want := range map[string]api.Rule{
		"required,max=128":                                {Required: true, Max: n(128)},
		"omitempty,gte=10,lte=3600":                       {OmitEmpty: true, Min: n(10), Max: n(3600)},
		"omitempty,oneof=accept deny":                     {OmitEmpty: true, OneOf: []string{"accept", "deny"}},
		"max=100,dive,email,max=254":                      {Max: n(100), Elem: &api.Rule{Format: "email", Max: n(254)}},
		"max=5,unique,dive,oneof=cpu disk":                {Max: n(5), Unique: true, Elem: &api.Rule{OneOf: []string{"cpu", "disk"}}},
		"omitempty,max=70,directqueue":                    {OmitEmpty: true, Max: n(70), Format: "directqueue"},
		"gt=0,lt=10":                                      {Min: n(1), Max: n(9)},
		"startswith=team:":                                {Prefix: "team:"},
		"required,min=1,max=100,dive":                     {Required: true, Min: n(1), Max: n(100), Elem: &api.Rule{}},
		"omitempty,codename":                              {OmitEmpty: true, Format: "codename"},
		"required,len=5":                                  {Required: true, Min: n(5), Max: n(5)},
		"omitempty,weburl,max=2048":                       {OmitEmpty: true, Format: "weburl", Max: n(2048)},
		"required,oneof=jump_client protocol_tunnel_jump": {Required: true, OneOf: []string{"jump_client", "protocol_tunnel_jump"}},
	} {
		got, err := api.ParseRule(tag)
		if err != nil {
			t.Errorf("%s: %v", tag, err)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %+v, want %+v", tag, got, want)
		}
	}
	for _, bad := range []string{"frobnicate", "max=x", "codename,username", "host=1"} {
		if _, err := api.ParseRule(bad); err == nil {
			t.Errorf("ParseRule(%q) accepted", bad)
		}
	}
}

func TestRule_Check(t *testing.T) {
	r, _ := api.ParseRule("omitempty,gte=10,lte=3600")
	for n, want := range map[int64]string{0: "", 10: "", 3600: "", 9: "must be 10–3600", 3601: "must be 10–3600"} {
		if got := r.CheckInt(n); got != want {
			t.Errorf("CheckInt(%d) = %q, want %q", n, got, want)
		}
	}
	r, _ = api.ParseRule("required,codename")
	if got := r.CheckString(""); got != "is required" {
		t.Errorf("required: %q", got)
	}
	if got := r.CheckString("-x"); got != api.FormatOf("codename").Message {
		t.Errorf("codename: %q", got)
	}
	r, _ = api.ParseRule("max=3")
	if got := r.CheckString("äöü"); got != "" {
		t.Errorf("max counts characters, not bytes: %q", got)
	}
	if got := r.CheckCount(4); got != "must have at most 3 items" {
		t.Errorf("CheckCount: %q", got)
	}
	r, _ = api.ParseRule("omitempty,codename")
	if got, want := r.Pattern(), "^$|"+api.CodeNamePattern; got != want {
		t.Errorf("Pattern() = %q, want %q", got, want)
	}
}

// TestRulesOf_WireTypes reads the validate tags of every object type of
// the API: a tag that api.ParseRule does not know fails here.
func TestRulesOf_WireTypes(t *testing.T) {
	for _, v := range []any{
		api.JumpGroup{}, api.JumpPolicy{}, api.SessionPolicy{}, api.Jumpoint{}, api.JumpClientInstaller{},
		api.ProtocolTunnelJump{}, api.PublicPortal{}, api.JumpClient{}, api.JumpClientSettings{}, api.User{},
		api.GroupPolicy{}, api.APIToken{}, api.SessionRequest{}, api.ConsoleSettings{}, api.LoginRequest{}, api.MFAConfirm{}, api.PasswordChange{},
	} {
		rules, err := api.RulesOfType(reflect.TypeOf(v))
		if err != nil {
			t.Errorf("%T: %v", v, err)
			continue
		}
		if len(rules) == 0 {
			t.Errorf("%T has no rules", v)
		}
	}
	rules := api.RulesOf[api.SessionPolicy]()
	if r := rules["permissions.clipboard_max_bytes"]; r.Max == nil || *r.Max != api.DefaultClipboardMaxBytes {
		t.Errorf("nested rule permissions.clipboard_max_bytes = %+v", r)
	}
	if r := api.RulesOf[api.ProtocolTunnelJump]()["tunnel_definitions.remote_port"]; r.Max == nil || *r.Max != 65535 {
		t.Errorf("list element rule tunnel_definitions.remote_port = %+v", r)
	}
}
