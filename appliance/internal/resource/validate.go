package resource

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/go-playground/validator/v10"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/internal/problem"
)

var (
	codeNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)
	usernameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$`)
	clockRE    = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$`)
	hostRE     = regexp.MustCompile(`^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$`)
)

// validate checks the "validate" struct tags of the api types. It is
// stateless configuration, built once like a compiled regexp.
var validate = newValidator()

func newValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			return ""
		}
		return name
	})
	must := func(tag string, fn func(string) bool) {
		if err := v.RegisterValidation(tag, func(fl validator.FieldLevel) bool { return fn(fl.Field().String()) }); err != nil {
			panic(err)
		}
	}
	must("codename", codeNameRE.MatchString)
	must("username", usernameRE.MatchString)
	must("clock", clockRE.MatchString)
	must("host", IsHost)
	must("loopback4", func(s string) bool {
		a, err := netip.ParseAddr(s)
		return err == nil && a.Is4() && netip.MustParsePrefix("127.0.0.0/8").Contains(a)
	})
	must("timezone", func(s string) bool {
		if s == "" || s == "Local" {
			return false
		}
		_, err := time.LoadLocation(s)
		return err == nil
	})
	must("weburl", func(s string) bool {
		u, err := url.Parse(s)
		return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.User == nil
	})
	return v
}

// IsHost reports whether s is a DNS host name or an IP address.
func IsHost(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	if net.ParseIP(s) != nil {
		return true
	}
	return hostRE.MatchString(s)
}

// Validate checks v's struct tags and returns a *problem.Invalid naming each
// bad field by its JSON path.
func Validate(v any) error {
	err := validate.Struct(v)
	if err == nil {
		return nil
	}
	var ves validator.ValidationErrors
	if !errors.As(err, &ves) {
		return fmt.Errorf("validate: %w", err)
	}
	inv := &problem.Invalid{}
	for _, fe := range ves {
		inv.Fields = append(inv.Fields, api.FieldError{Field: fieldPath(fe.Namespace()), Detail: message(fe)})
	}
	return inv
}

// fieldPath drops the struct name from a validator namespace, e.g.
// "ProtocolTunnelJump.tunnel_definitions[0].remote_port".
func fieldPath(ns string) string {
	_, rest, ok := strings.Cut(ns, ".")
	if !ok {
		return ns
	}
	return rest
}

func message(fe validator.FieldError) string {
	kind := fe.Kind()
	p := fe.Param()
	switch fe.Tag() {
	case "required":
		switch kind {
		case reflect.Slice:
			return "must have at least one item"
		case reflect.Int, reflect.Int64, reflect.Int32:
			return "is required"
		}
		return "is required"
	case "max", "lte":
		switch kind {
		case reflect.String:
			return "must be at most " + p + " characters"
		case reflect.Slice, reflect.Map:
			return "must have at most " + p + " items"
		}
		return "must be at most " + p
	case "min", "gte":
		switch kind {
		case reflect.String:
			return "must be at least " + p + " characters"
		case reflect.Slice, reflect.Map:
			return "must have at least " + p + " items"
		}
		return "must be at least " + p
	case "oneof":
		return "must be one of: " + strings.ReplaceAll(p, " ", ", ")
	case "codename":
		return "must be 1–64 letters, digits, '_', '-' or '.', starting with a letter or digit"
	case "username":
		return "must be 1–64 letters, digits, '_', '-', '.' or '@', starting with a letter or digit"
	case "clock":
		return "must be a time of day HH:MM (00:00–23:59, or 24:00 for an end time)"
	case "host":
		return "must be a DNS host name or an IP address"
	case "loopback4":
		return "must be an IPv4 address in 127.0.0.0/8"
	case "timezone":
		return "must be an IANA time zone such as UTC or Europe/Berlin"
	case "weburl":
		return "must be an http:// or https:// URL without credentials"
	case "email":
		return "must be an e-mail address"
	case "cidr":
		return "must be a CIDR prefix such as 10.0.0.0/8"
	case "unique":
		return "must not repeat a value"
	case "startswith":
		return fmt.Sprintf("must start with %q", p)
	}
	return "is invalid (" + fe.Tag() + ")"
}
