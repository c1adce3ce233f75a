package provider

import (
	"context"
	"fmt"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// The validators mirror the appliance's rules (appliance/internal/resource
// validate.go and the collections' checks), so a bad configuration fails at
// plan time with the meaning the API would give it.

var (
	codeNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)
	usernameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$`)
	clockRE    = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$`)
	hostRE     = regexp.MustCompile(`^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$`)
)

// Common limits of the appliance.
const (
	maxName     = 128
	maxComments = 1024
	maxTag      = 64
	maxURL      = 2048
)

// nameValidators: required display names, 1–128 characters.
func nameValidators() []validator.String {
	return []validator.String{stringvalidator.LengthBetween(1, maxName)}
}

// codeNameValidators: 1–64 of letters, digits, '_', '-' and '.', starting
// with a letter or digit.
func codeNameValidators() []validator.String {
	return []validator.String{stringvalidator.RegexMatches(codeNameRE,
		"must be 1–64 characters of letters, digits, '_', '-' and '.', starting with a letter or digit")}
}

// maxLen limits a string's length in characters.
func maxLen(n int) []validator.String {
	return []validator.String{stringvalidator.LengthAtMost(n)}
}

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

// isHost: a DNS host name or an IP address.
func isHost(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	if net.ParseIP(s) != nil {
		return true
	}
	return hostRE.MatchString(s)
}

// hostValidator accepts a DNS host name or an IP address.
func hostValidator() validator.String {
	return funcValidator{"must be a DNS host name or an IP address", func(s string) string {
		if !isHost(s) {
			return "is not a DNS host name or an IP address"
		}
		return ""
	}}
}

// lowerHostValidator accepts a host name in lower case: the appliance
// stores host names of portals in lower case, so another spelling would
// differ from the stored value on every plan.
func lowerHostValidator() validator.String {
	return funcValidator{"must be a DNS host name or an IP address, in lower case", func(s string) string {
		if !isHost(s) {
			return "is not a DNS host name or an IP address"
		}
		if s != strings.ToLower(s) {
			return "must be in lower case (the appliance stores host names in lower case): use " + fmt.Sprintf("%q", strings.ToLower(s))
		}
		return ""
	}}
}

// loopbackValidator accepts an IPv4 address in 127.0.0.0/8.
func loopbackValidator() validator.String {
	return funcValidator{"must be an IPv4 address in 127.0.0.0/8", func(s string) string {
		a, err := netip.ParseAddr(s)
		if err != nil || !a.Is4() || !netip.MustParsePrefix("127.0.0.0/8").Contains(a) {
			return "is not an IPv4 address in 127.0.0.0/8 (tunnel listeners bind only loopback addresses)"
		}
		if a.String() != s {
			return fmt.Sprintf("is not in canonical form; use %q", a.String())
		}
		return ""
	}}
}

// webURLValidator accepts an http(s) URL with a host and no user info, at
// most 2048 characters.
func webURLValidator() validator.String {
	return funcValidator{"must be an http or https URL", func(s string) string {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
			return "is not an http or https URL with a host (and without user info)"
		}
		if len(s) > maxURL {
			return fmt.Sprintf("is longer than %d characters", maxURL)
		}
		return ""
	}}
}

// clockValidator accepts "HH:MM" from 00:00 to 23:59, and 24:00.
func clockValidator() validator.String {
	return funcValidator{"must be a time of day as HH:MM (00:00–23:59, or 24:00 as an end)", func(s string) string {
		if !clockRE.MatchString(s) {
			return "is not a time of day as HH:MM (00:00–23:59, or 24:00 as an end)"
		}
		return ""
	}}
}

// timezoneValidator accepts an IANA time zone name.
func timezoneValidator() validator.String {
	return funcValidator{"must be an IANA time zone such as Europe/Berlin", func(s string) string {
		if s == "" || s == "Local" {
			return "is not an IANA time zone such as Europe/Berlin"
		}
		if _, err := time.LoadLocation(s); err != nil {
			return "is not an IANA time zone such as Europe/Berlin"
		}
		return ""
	}}
}

// emailValidator accepts one e-mail address of at most 254 characters.
func emailValidator() validator.String {
	return funcValidator{"must be an e-mail address", func(s string) string {
		a, err := mail.ParseAddress(s)
		if err != nil || a.Address != s || a.Name != "" {
			return "is not an e-mail address such as ops@example.com"
		}
		if len(s) > 254 {
			return "is longer than 254 characters"
		}
		return ""
	}}
}

// usernameValidator: 1–64 of letters, digits, '_', '-', '.' and '@'.
func usernameValidator() validator.String {
	return stringvalidator.RegexMatches(usernameRE, "must be 1–64 characters of letters, digits, '_', '-', '.' and '@', starting with a letter or digit")
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
