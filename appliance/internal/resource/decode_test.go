package resource

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/internal/problem"
)

func TestDecode_NamesEveryProblem(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		wantStatus error
		wantFields []string
	}{
		{"empty", ``, problem.ErrBadRequest, nil},
		{"not an object", `[1]`, problem.ErrBadRequest, nil},
		{"syntax", `{"name": }`, problem.ErrBadRequest, nil},
		{"two values", `{} {}`, problem.ErrBadRequest, nil},
		{"unknown fields everywhere", `{"x":1,"tunnel_definitions":[{"local_port":1,"y":2}]}`, problem.ErrBadRequest, []string{"tunnel_definitions[0].y", "x"}},
		{"case-folded name is unknown", `{"Name":"a"}`, problem.ErrBadRequest, []string{"Name"}},
		{"wrong types", `{"name":1,"jumpoint_id":"a","tunnel_definitions":{}}`, nil, []string{"jumpoint_id", "name", "tunnel_definitions"}},
		{"fraction for int", `{"jumpoint_id":1.5}`, nil, []string{"jumpoint_id"}},
		{"overflow", `{"tunnel_definitions":[{"remote_port":99999999999999999999}]}`, nil, []string{"tunnel_definitions[0].remote_port"}},
		{"bad time", `{"created_at":"yesterday"}`, nil, []string{"created_at"}},
		{"ok", `{"name":"a","jumpoint_id":2,"tunnel_definitions":[{"local_port":0,"remote_port":22}],"jump_policy_id":null}`, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v api.ProtocolTunnelJump
			err := Decode(strings.NewReader(tt.body), &v)
			if tt.wantStatus == nil && tt.wantFields == nil {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			if tt.wantStatus != nil {
				assert.ErrorIs(t, err, tt.wantStatus)
			}
			var got []string
			var inv *problem.Invalid
			var bad *problem.BadRequest
			switch {
			case errors.As(err, &inv):
				for _, f := range inv.Fields {
					got = append(got, f.Field)
				}
			case errors.As(err, &bad):
				for _, f := range bad.Fields {
					got = append(got, f.Field)
				}
			}
			if tt.wantFields != nil {
				assert.ElementsMatch(t, tt.wantFields, got)
			}
		})
	}
}

// FuzzDecode feeds arbitrary bodies to the strict decoder and the
// validator: they must never panic, and anything accepted must be a valid
// JSON object that encoding/json agrees with.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"name":"a","jumpoint_id":2,"hostname":"h","jump_group_id":1,"tunnel_definitions":[{"local_port":0,"remote_port":22}]}`,
		`{"tunnel_definitions":[{"local_port":-1}]}`, `{"x":{"y":[1,2,{"z":null}]}}`, `{"created_at":"2026-01-02T15:04:05Z"}`,
		`null`, `"s"`, `{"name":"\u0000"}`, `{"jumpoint_id":1e3}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var v api.ProtocolTunnelJump
		if err := Decode(strings.NewReader(body), &v); err != nil {
			var inv *problem.Invalid
			if !errors.Is(err, problem.ErrBadRequest) && !errors.As(err, &inv) {
				t.Fatalf("unexpected error kind %T: %v", err, err)
			}
			return
		}
		_ = Validate(&v)
	})
}
