package provider

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// Validators of the installer resources, mirroring
// appliance/internal/installer and api.JumpClientInstaller's rules.

const (
	// maxDirectQueue is the longest support_button_direct_queue.
	maxDirectQueue = 70
	// maxOfflineLimit is the largest max_offline_minutes (a year).
	maxOfflineLimit = 525600
)

// maxOfflineMinutesValidator accepts 0 (the global setting) or 5–525600,
// the appliance's rule for max_offline_minutes.
func maxOfflineMinutesValidator() validator.Int64 { return maxOfflineMinutes{} }

type maxOfflineMinutes struct{}

func (maxOfflineMinutes) Description(context.Context) string {
	return "must be 0 (use the global setting) or 5–525600"
}

func (v maxOfflineMinutes) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (maxOfflineMinutes) ValidateInt64(_ context.Context, req validator.Int64Request, resp *validator.Int64Response) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	n := req.ConfigValue.ValueInt64()
	if n == 0 || (n >= 5 && n <= maxOfflineLimit) {
		return
	}
	resp.Diagnostics.AddAttributeError(req.Path, "Invalid value",
		fmt.Sprintf("%s: %d must be 0 (use the global setting) or 5–525600 minutes (5 is \"ephemeral\")", req.Path, n))
}

// directQueueValidator accepts "" or "team:<…>" of at most 70 characters.
func directQueueValidator() validator.String {
	return funcValidator{"must be empty or team:<code-name>, at most 70 characters", func(s string) string {
		if s == "" {
			return ""
		}
		if !strings.HasPrefix(s, "team:") {
			return "must be team:<code-name>"
		}
		if utf8.RuneCountInString(s) > maxDirectQueue {
			return fmt.Sprintf("is longer than %d characters", maxDirectQueue)
		}
		return ""
	}}
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

// emptyOr applies v to non-empty strings only: the appliance treats "" as
// "none" for optional code names.
func emptyOr(v validator.String) validator.String { return emptyOrValidator{v} }

type emptyOrValidator struct{ v validator.String }

func (e emptyOrValidator) Description(ctx context.Context) string {
	return "empty, or " + e.v.Description(ctx)
}

func (e emptyOrValidator) MarkdownDescription(ctx context.Context) string {
	return "empty, or " + e.v.MarkdownDescription(ctx)
}

func (e emptyOrValidator) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if !req.ConfigValue.IsNull() && !req.ConfigValue.IsUnknown() && req.ConfigValue.ValueString() == "" {
		return
	}
	e.v.ValidateString(ctx, req, resp)
}

// joinTicks renders values as "a`, `b`, `c" for a list in backticks.
func joinTicks(values []string) string { return strings.Join(values, "`, `") }
