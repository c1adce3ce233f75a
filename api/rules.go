package api

import (
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The validation rules of the API, written once. The wire types state their
// rules in `validate` struct tags (the go-playground/validator syntax that
// the appliance enforces); a tag is either a bound (min, max, gte, lte),
// oneof, unique, startswith, or one of the named formats below. The OpenAPI
// document, the Terraform provider's validators and the web console take
// the same rules from here; the operator's CRD markers are literals for
// controller-gen and a drift test keeps them equal.
//
// Every pattern means the same in Go's RE2 and in ECMA-262 with the u flag
// (a drift test runs both on api/testdata/rules.json): no look-around, no
// back-references, no \d or \w, no lazy quantifiers, and "." only inside a
// character class.

// Patterns of the named formats.
const (
	// CodeNamePattern: 1–64 letters, digits, '_', '-' and '.', starting with
	// a letter or digit.
	CodeNamePattern = `^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`
	// UsernamePattern: 1–64 letters, digits, '_', '-', '.' and '@', starting
	// with a letter or digit.
	UsernamePattern = `^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$`
	// ClockPattern: a time of day HH:MM from 00:00 to 23:59, or 24:00 (the
	// end of a day, for an end time).
	ClockPattern = `^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$`
	// StartClockPattern: a time of day HH:MM from 00:00 to 23:59 (24:00 is
	// only an end).
	StartClockPattern = `^([01][0-9]|2[0-3]):[0-5][0-9]$`
	// HostNamePattern: a DNS host name of labels of 1–63 letters, digits
	// and '-' (not at either end), with an optional final dot. With IP
	// addresses it makes the "host" format. The dot is written [.] so the
	// same text works in CEL string literals of the CRDs.
	HostNamePattern = `^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)([.][A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*[.]?$`
	// EmailPattern: the e-mail address rule of the HTML living standard
	// (what a browser's <input type=email> accepts): no quoted local parts,
	// no comments, no display name.
	EmailPattern = "^[a-zA-Z0-9.!#$%&'*+/=?^_\\x60{|}~-]+@[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?([.][a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$"
	// DirectQueuePattern: "team:" and a team's code name, the direct queue
	// of a support button.
	DirectQueuePattern = `^team:[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`
	// DigitsPattern: ASCII digits only, such as a TOTP code.
	DigitsPattern = `^[0-9]+$`
	// MACPattern: a 48-bit MAC address, six pairs of hex digits separated
	// by ':' or '-'.
	MACPattern = `^[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}$`
)

// Limits shared by many fields. A field's own limit is in its validate tag.
const (
	// MaxNameLength bounds display names, in characters.
	MaxNameLength = 128
	// MaxCommentsLength bounds comments, descriptions and reasons.
	MaxCommentsLength = 1024
	// MaxTagLength bounds an item's tag.
	MaxTagLength = 64
	// MaxCodeNameLength bounds code names (CodeNamePattern) and usernames.
	MaxCodeNameLength = 64
	// MaxURLLength bounds web URLs.
	MaxURLLength = 2048
	// MaxEmailLength bounds an e-mail address (RFC 5321's path limit).
	MaxEmailLength = 254
	// MaxHostLength bounds a host name or IP address.
	MaxHostLength = 253
	// MaxTimezoneLength bounds an IANA time zone name (the longest is
	// about 30).
	MaxTimezoneLength = 64
	// MaxCIDRLength bounds a CIDR prefix (an IPv6 one is at most 49).
	MaxCIDRLength = 64
	// MaxListItems bounds most lists of a configuration object.
	MaxListItems = 100
	// MinPasswordLength and MaxPasswordLength bound a user's password, in
	// characters.
	MinPasswordLength = 12
	MaxPasswordLength = 256
	// MaxDirectQueueLength bounds support_button_direct_queue.
	MaxDirectQueueLength = 70
	// MinMaxOfflineMinutes is the smallest non-zero max_offline_minutes
	// ("ephemeral"); 0 means the global setting, and the largest is
	// MaxValidDuration, a year.
	MinMaxOfflineMinutes = 5
	// MinJumpClientSettingsDays is the smallest lost_after_days and
	// deleted_after_days.
	MinJumpClientSettingsDays = 15
)

// A Format is a named rule for a string, used as a validate tag.
type Format struct {
	// Name is the validate tag.
	Name string
	// Pattern, when set, is the whole rule as a regular expression.
	Pattern string
	// OpenAPIFormat is the value's format in the OpenAPI document, when one
	// fits ("hostname-or-ip", "ipv4", "uri", "email", "cidr").
	OpenAPIFormat string
	// MaxLength, when not 0, is the format's own bound in characters.
	MaxLength int
	// Message says what a valid value is, after the field's name.
	Message string
	// Note, when set, is what a reader of the OpenAPI document is told
	// beyond Pattern and OpenAPIFormat.
	Note  string
	valid func(string) bool
}

// Valid reports whether s follows the format.
func (f *Format) Valid(s string) bool { return f.valid(s) }

var (
	codeNameRE   = regexp.MustCompile(CodeNamePattern)
	usernameRE   = regexp.MustCompile(UsernamePattern)
	clockRE      = regexp.MustCompile(ClockPattern)
	startClockRE = regexp.MustCompile(StartClockPattern)
	hostNameRE   = regexp.MustCompile(HostNamePattern)
	emailRE      = regexp.MustCompile(EmailPattern)
	macRE        = regexp.MustCompile(MACPattern)
	queueRE      = regexp.MustCompile(DirectQueuePattern)
	digitsRE     = regexp.MustCompile(DigitsPattern)
	loopbackNet  = netip.MustParsePrefix("127.0.0.0/8")
)

// IsCodeName reports whether s is a code name (CodeNamePattern).
func IsCodeName(s string) bool { return codeNameRE.MatchString(s) }

// IsUsername reports whether s is a username (UsernamePattern).
func IsUsername(s string) bool { return usernameRE.MatchString(s) }

// IsClock reports whether s is a time of day HH:MM, 24:00 included.
func IsClock(s string) bool { return clockRE.MatchString(s) }

// IsStartClock reports whether s is a time of day HH:MM before 24:00.
func IsStartClock(s string) bool { return startClockRE.MatchString(s) }

// IsHost reports whether s is a DNS host name (HostNamePattern) or an IP
// address, of at most MaxHostLength characters.
func IsHost(s string) bool {
	if s == "" || len(s) > MaxHostLength {
		return false
	}
	if net.ParseIP(s) != nil {
		return true
	}
	return hostNameRE.MatchString(s)
}

// IsLoopback4 reports whether s is an IPv4 address in 127.0.0.0/8.
func IsLoopback4(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is4() && loopbackNet.Contains(a)
}

// IsTimezone reports whether s names an IANA time zone ("Local", the
// machine's own, is not one).
func IsTimezone(s string) bool {
	if s == "" || s == "Local" {
		return false
	}
	_, err := time.LoadLocation(s)
	return err == nil
}

// IsWebURL reports whether s is an absolute http:// or https:// URL with a
// host and without user info.
func IsWebURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.User == nil
}

// IsOrigin reports whether s is a web origin as a browser sends it in an
// Origin header: http:// or https://, a host in lower case (a DNS name, an
// IPv4 address, or an IPv6 address in brackets, each in its shortest
// form), and an optional port other than the scheme's default; nothing
// else, not even a final "/". Only that spelling can equal a request's
// Origin byte for byte.
func IsOrigin(s string) bool {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Opaque != "" || u.User != nil ||
		s != u.Scheme+"://"+u.Host || s != strings.ToLower(s) {
		return false
	}
	host, port := u.Hostname(), u.Port()
	bracketed := strings.HasPrefix(u.Host, "[")
	if a, err := netip.ParseAddr(host); err == nil {
		if a.Zone() != "" || a.Is4In6() || a.String() != host || bracketed != a.Is6() {
			return false
		}
	} else if bracketed || !IsHost(host) || allDigits(lastLabel(host)) {
		// A browser reads a name ending in a number as an IPv4 address
		// (010.0.0.1 is 8.0.0.1), so only the address itself is an origin.
		return false
	}
	if strings.HasSuffix(u.Host, ":") {
		return false
	}
	if port == "" {
		return true
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != port {
		return false
	}
	return !(u.Scheme == "https" && n == 443) && !(u.Scheme == "http" && n == 80)
}

func lastLabel(host string) string {
	host = strings.TrimSuffix(host, ".")
	return host[strings.LastIndexByte(host, '.')+1:]
}

func allDigits(s string) bool { return s != "" && strings.Trim(s, "0123456789") == "" }

// IsEmail reports whether s is an e-mail address (EmailPattern) of at most
// MaxEmailLength characters.
func IsEmail(s string) bool { return len(s) <= MaxEmailLength && emailRE.MatchString(s) }

// IsCIDR reports whether s is an IP prefix such as 10.0.0.0/8 or fd00::/8
// (host bits may be set).
func IsCIDR(s string) bool {
	_, _, err := net.ParseCIDR(s)
	return err == nil
}

// IsDirectQueue reports whether s is a support button's direct queue,
// "team:" and a code name (DirectQueuePattern).
func IsDirectQueue(s string) bool { return queueRE.MatchString(s) }

// IsDigits reports whether s is one or more ASCII digits.
func IsDigits(s string) bool { return digitsRE.MatchString(s) }

// IsMAC reports whether s is a 48-bit MAC address (MACPattern).
func IsMAC(s string) bool { return macRE.MatchString(s) }

var formats = []*Format{
	{Name: "codename", Pattern: CodeNamePattern, MaxLength: MaxCodeNameLength, valid: IsCodeName,
		Message: "must be 1–64 letters, digits, '_', '-' or '.', starting with a letter or digit"},
	{Name: "username", Pattern: UsernamePattern, MaxLength: MaxCodeNameLength, valid: IsUsername,
		Message: "must be 1–64 letters, digits, '_', '-', '.' or '@', starting with a letter or digit"},
	{Name: "clock", Pattern: ClockPattern, MaxLength: 5, valid: IsClock,
		Message: "must be a time of day HH:MM (00:00–23:59, or 24:00 for an end time)"},
	{Name: "startclock", Pattern: StartClockPattern, MaxLength: 5, valid: IsStartClock,
		Message: "must be a time of day HH:MM, 00:00–23:59 (24:00 is only an end time)"},
	{Name: "host", OpenAPIFormat: "hostname-or-ip", MaxLength: MaxHostLength, valid: IsHost,
		Message: "must be a DNS host name or an IP address"},
	{Name: "loopback4", OpenAPIFormat: "ipv4", MaxLength: 15, valid: IsLoopback4, Note: "in 127.0.0.0/8",
		Message: "must be an IPv4 address in 127.0.0.0/8"},
	{Name: "timezone", MaxLength: MaxTimezoneLength, valid: IsTimezone, Note: "IANA time zone",
		Message: "must be an IANA time zone such as UTC or Europe/Berlin"},
	{Name: "weburl", OpenAPIFormat: "uri", valid: IsWebURL, Note: "an http:// or https:// URL",
		Message: "must be an http:// or https:// URL without credentials"},
	{Name: "origin", OpenAPIFormat: "uri", valid: IsOrigin, Note: "a web origin scheme://host[:port] as a browser sends it",
		Message: "must be an origin such as https://support.example.com: http:// or https://, the host in lower case, an optional port other than the default, and no path (not even /), query or user info"},
	{Name: "email", Pattern: EmailPattern, OpenAPIFormat: "email", MaxLength: MaxEmailLength, valid: IsEmail,
		Message: "must be an e-mail address such as ops@example.com"},
	{Name: "cidr", OpenAPIFormat: "cidr", MaxLength: MaxCIDRLength, valid: IsCIDR,
		Message: "must be a CIDR prefix such as 10.0.0.0/8 or fd00::/8"},
	{Name: "directqueue", Pattern: DirectQueuePattern, valid: IsDirectQueue,
		Message: "must be team: followed by a team's code name"},
	{Name: "digits", Pattern: DigitsPattern, valid: IsDigits,
		Message: "must be digits only"},
	{Name: "mac", Pattern: MACPattern, valid: IsMAC,
		Message: "must be a MAC address such as 00:11:22:33:44:55"},
}

// Formats lists the named formats.
func Formats() []*Format { return slices.Clone(formats) }

// FormatOf returns the named format, or nil.
func FormatOf(name string) *Format {
	i := slices.IndexFunc(formats, func(f *Format) bool { return f.Name == name })
	if i < 0 {
		return nil
	}
	return formats[i]
}

// Cross-field rules: the appliance, the provider and the operator call
// these, each with its own way of naming the fields.

// ScheduleEndAfterStart reports whether a schedule entry's end (HH:MM,
// 24:00 allowed) is after its start; a window past midnight is two
// entries.
func ScheduleEndAfterStart(start, end string) bool { return end > start }

// ScheduleEndMessage explains, after the end_time field, an end that is
// not after the entry's start.
func ScheduleEndMessage(start string) string {
	return "must be after start_time " + start + "; a window that runs past midnight is two entries, ending at 24:00 and starting at 00:00"
}

// LostBeforeDeleted reports whether Jump Client settings mark a client
// lost before they delete it.
func LostBeforeDeleted(lostAfterDays, deletedAfterDays int) bool {
	return lostAfterDays < deletedAfterDays
}

// ValidMaxOfflineMinutes reports whether n is 0 (the global setting) or
// MinMaxOfflineMinutes–MaxValidDuration.
func ValidMaxOfflineMinutes(n int) bool {
	return n == 0 || (n >= MinMaxOfflineMinutes && n <= MaxValidDuration)
}

// MaxOfflineMinutesMessage explains a bad max_offline_minutes.
const MaxOfflineMinutesMessage = "must be 0 (use the global setting) or 5–525600 minutes (5 is \"ephemeral\")"
