package provider

import (
	"fmt"
	"sync"
	"time"

	playground "github.com/go-playground/validator/v10"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// Validators of the identity resources (users, group policies, API tokens,
// Jump Client settings), mirroring appliance/internal/user, grouppolicy,
// apitoken and settings.

// Password limits of the appliance, in characters.
const (
	minPassword = 12
	maxPassword = 256
	maxEmail    = 254
)

// playgroundValidate is the appliance's own struct-tag validator library;
// the e-mail rule uses it so that exactly the addresses the appliance
// accepts pass at plan time.
var playgroundValidate = sync.OnceValue(func() *playground.Validate { return playground.New() })

// userEmailValidator accepts "" (no address) or an e-mail address as the
// appliance's `email` rule does, at most 254 characters.
func userEmailValidator() validator.String {
	return funcValidator{"must be empty or an e-mail address of at most 254 characters", func(s string) string {
		if s == "" {
			return ""
		}
		if len(s) > maxEmail {
			return fmt.Sprintf("is longer than %d characters", maxEmail)
		}
		if playgroundValidate().Var(s, "email") != nil {
			return "is not an e-mail address such as jane@example.com"
		}
		return ""
	}}
}

// utcSecondsValidator accepts an RFC 3339 time in UTC (`Z`) and whole
// seconds, the form the appliance answers with: it stores token expiries
// to the second in UTC, so any other spelling of the same instant would
// differ from the stored value after every apply.
func utcSecondsValidator() validator.String {
	return funcValidator{"must be an RFC 3339 time in UTC and whole seconds, such as 2030-01-31T18:00:00Z", func(s string) string {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return "is not an RFC 3339 time such as 2030-01-31T18:00:00Z"
		}
		if c := t.UTC().Truncate(time.Second).Format(time.RFC3339); c != s {
			return fmt.Sprintf("is not in the appliance's form (UTC with Z, whole seconds); write %q", c)
		}
		return ""
	}}
}
