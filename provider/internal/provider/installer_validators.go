package provider

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/jumpgate/jumpgate/api"
)

// Validators of the installer resources beyond api's rules.

// maxOfflineMinutesValidator adds to the API's bounds of
// max_offline_minutes that a non-zero value is at least 5 minutes.
func maxOfflineMinutesValidator() validator.Int64 { return maxOfflineMinutes{} }

type maxOfflineMinutes struct{}

func (maxOfflineMinutes) Description(context.Context) string {
	return api.MaxOfflineMinutesMessage
}

func (v maxOfflineMinutes) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (maxOfflineMinutes) ValidateInt64(_ context.Context, req validator.Int64Request, resp *validator.Int64Response) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if n := req.ConfigValue.ValueInt64(); !api.ValidMaxOfflineMinutes(int(n)) {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid value", fmt.Sprintf("%s: %d %s", req.Path, n, api.MaxOfflineMinutesMessage))
	}
}

// numericIDValidator accepts a positive appliance id written as a string,
// as the id attribute of a resource holds it.
func numericIDValidator(resource string) validator.String {
	return funcValidator{"must be the numeric id of a " + resource, func(s string) string {
		if n, err := strconv.ParseInt(s, 10, 64); err != nil || n <= 0 {
			return "is not a numeric id: use the id attribute of the " + resource + " resource"
		}
		return ""
	}}
}

// joinTicks renders values as "a`, `b`, `c" for a list in backticks.
func joinTicks(values []string) string { return strings.Join(values, "`, `") }
