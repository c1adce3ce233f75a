package provider

import (
	"fmt"
	"net"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// Validators of the network area (jumpoints, Protocol Tunnel Jumps, public
// portals), mirroring appliance/internal/jumpoint, tunneljump and portal.

// looseCIDRValidator accepts what the appliance's "cidr" rule accepts
// (net.ParseCIDR), host bits included: the appliance stores a jump zone
// proxy's CIDRs as sent, so "10.1.2.3/8" is no inconsistency and is not
// refused here either.
func looseCIDRValidator() validator.String {
	return funcValidator{"must be a CIDR prefix such as 10.0.0.0/8", func(s string) string {
		if _, _, err := net.ParseCIDR(s); err != nil {
			return "is not a CIDR prefix such as 10.0.0.0/8 or fd00::/8"
		}
		return ""
	}}
}

// portalHostValidators accept a public portal's host name as the appliance
// stores it: a DNS name or IP address in lower case, without a trailing dot
// (the appliance lowers the case and drops the dot, so any other spelling
// would differ from the stored value on every plan).
func portalHostValidators() []validator.String {
	return []validator.String{
		lowerHostValidator(),
		funcValidator{"must not end with a dot", func(s string) string {
			if len(s) > 1 && strings.HasSuffix(s, ".") {
				return fmt.Sprintf("must not end with a dot (the appliance stores host names without it): use %q", strings.TrimSuffix(s, "."))
			}
			return ""
		}},
	}
}
