package provider

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// Validators of the network area (jumpoints, Protocol Tunnel Jumps, public
// portals), mirroring appliance/internal/jumpoint, tunneljump and portal.

// portalHostValidators add to the API's host rule what keeps a public
// portal's host name as the appliance stores it: in lower case, without a
// trailing dot (the appliance lowers the case and drops the dot, so any
// other spelling would differ from the stored value on every plan).
func portalHostValidators() []validator.String {
	return []validator.String{
		funcValidator{"must be in lower case", func(s string) string {
			if s != strings.ToLower(s) {
				return fmt.Sprintf("must be in lower case (the appliance stores host names in lower case): use %q", strings.ToLower(s))
			}
			return ""
		}},
		funcValidator{"must not end with a dot", func(s string) string {
			if len(s) > 1 && strings.HasSuffix(s, ".") {
				return fmt.Sprintf("must not end with a dot (the appliance stores host names without it): use %q", strings.TrimSuffix(s, "."))
			}
			return ""
		}},
	}
}

// canonicalLoopbackValidator adds to the API's loopback4 rule that the
// address is written canonically, as the appliance stores it.
func canonicalLoopbackValidator() validator.String {
	return funcValidator{"must be in canonical form", func(s string) string {
		if a, err := netip.ParseAddr(s); err == nil && a.String() != s {
			return fmt.Sprintf("is not in canonical form; use %q", a.String())
		}
		return ""
	}}
}
