package provider

import (
	"fmt"
	"sync"

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
