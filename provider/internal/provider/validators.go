package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// The provider's validators beyond api's rules (rule_validator.go):
// checks that keep a configuration equal to what the appliance stores.

// funcValidator is a string validator from a check function; check returns
// "" for a valid value or what is wrong with it.
type funcValidator struct {
	desc  string
	check func(string) string
}

func (v funcValidator) Description(context.Context) string         { return v.desc }
func (v funcValidator) MarkdownDescription(context.Context) string { return v.desc }

func (v funcValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if msg := v.check(req.ConfigValue.ValueString()); msg != "" {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid value", fmt.Sprintf("%s: %q %s", req.Path, req.ConfigValue.ValueString(), msg))
	}
}

// expiresAtValidator accepts an RFC 3339 time without fractional
// seconds: the appliance truncates times to the second, so a fraction
// would differ from the stored value after every apply.
func expiresAtValidator() validator.String {
	return funcValidator{"must be an RFC 3339 time in whole seconds", func(s string) string {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return "is not an RFC 3339 time such as 2030-01-31T18:00:00Z"
		}
		if t.Nanosecond() != 0 {
			return fmt.Sprintf("has fractional seconds, which the appliance does not keep; use %q", t.Truncate(time.Second).Format(time.RFC3339))
		}
		return ""
	}}
}
