// Package install turns an installer (an agent build with an installer
// trailer, see agentproto.Manifest) into an installed agent, and removes one
// again.
//
// An install runs in three phases. ParseArgs reads the command line: the
// installer's flags (--scope, --startup, --jc-*, …) and the Windows-style NAME=value
// properties, in any mix. Check verifies the installer's key info (issuer,
// expiry, kind, CA pin) and that every override given is allowed. Install
// then writes the install dir (agent binary without its trailer, agent.json,
// init-script, uninstall), the startup files and, with --online-install,
// enrolls before it declares success. Any failure after the first file is
// written undoes everything, so a failed install leaves nothing behind.
package install

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/api/keyinfo"
)

// Scopes.
const (
	ScopeSystem = "system"
	ScopeUser   = "user"
)

// Startup modes. Linux has systemd, xdg and none; macOS launchd and none;
// Windows task (a scheduled task) and none.
const (
	StartupSystemd = "systemd"
	StartupXDG     = "xdg"
	StartupLaunchd = "launchd"
	StartupTask    = "task"
	StartupNone    = "none"
)

// Limits of the override values; they mirror the appliance's validation of
// the same fields, so that a bad value fails here and not at enrollment.
const (
	MaxNameLen        = 128
	MaxTagLen         = 64
	MaxCommentsLen    = 1024
	MinOfflineMinutes = 5
	MaxOfflineMinutes = 525600
	ephemeralMinutes  = 5
)

// ErrUsage marks an error in the command line itself (exit code 2).
var ErrUsage = errors.New("invalid arguments")

// Options is everything an install command line says.
type Options struct {
	// Scope is system or user; default system.
	Scope string
	// Startup is how the agent is started at boot or login; "" until
	// ParseArgs fills in the platform's default for Scope.
	Startup string
	// Headless installs without anything that needs a graphical session.
	Headless bool
	// InstallDir is the new directory to install into; "" picks DefaultDir.
	InstallDir string
	// KeyInfo is --key-info / KEY_INFO=, needed by a generic installer.
	KeyInfo string
	// SessionUser runs sessions as this user (system scope, headless only).
	SessionUser string
	// EndUsers are --end-users / END_USERS=: the only users (names or
	// uids) who may answer consent prompts and control sessions at the
	// endpoint (system scope only); empty means the user at the machine's
	// active seat.
	EndUsers []string
	// Proxy is "", "direct" or the URL of the proxy the agent connects through.
	Proxy string
	// OnlineInstall fails the install unless enrollment succeeds at once.
	OnlineInstall bool
	// NoStart is START_SERVICES="": set up the startup but start nothing.
	NoStart bool
	// Help asks for the usage text; nothing else is checked.
	Help bool
	// Overrides are the --jc-* / JC_* values.
	Overrides agentproto.Overrides

	// given lists, per allow_override field, the options that set it, as
	// "--jc-tag (JC_TAG)", for messages.
	given map[string][]string
}

// Given returns how the user spelled the options that set the override
// field (an allow_override_<field> suffix), e.g. ["--jc-tag (JC_TAG)"].
func (o *Options) Given(field string) []string { return o.given[field] }

// spec is one install option: a flag, a property, or both.
type spec struct {
	flag    string // without dashes; "" if property only
	prop    string // upper case; "" if flag only
	boolean bool
	// field is the allow_override_<field> the option needs; "" if none.
	field string
	set   func(o *Options, v string) error
}

func (s *spec) label() string {
	switch {
	case s.flag == "":
		return s.prop + "="
	case s.prop == "":
		return "--" + s.flag
	}
	return "--" + s.flag + " (" + s.prop + ")"
}

var (
	sysUserRE  = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,63}$`)
	propNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.]*$`)
	plainRE    = regexp.MustCompile(`^[-A-Za-z0-9_.]+$`)
)

// specs lists every option once; flags and properties that mean the same
// share a spec, so they parse identically.
var specs = []*spec{
	{flag: "scope", set: func(o *Options, v string) error {
		if v != ScopeSystem && v != ScopeUser {
			return fmt.Errorf("must be system or user, not %s", quote(v))
		}
		o.Scope = v
		return nil
	}},
	{flag: "startup", set: func(o *Options, v string) error {
		switch v {
		case StartupSystemd, StartupXDG, StartupLaunchd, StartupTask, StartupNone:
			o.Startup = v
			return nil
		}
		return fmt.Errorf("must be systemd, xdg or none (launchd on macOS, task on Windows), not %s", quote(v))
	}},
	{flag: "headless", boolean: true, set: func(o *Options, v string) error {
		b, err := parseBool(v)
		o.Headless = b
		return err
	}},
	{flag: "install-dir", prop: "INSTALLDIR", set: func(o *Options, v string) error {
		if v == "" {
			return errors.New("needs a directory")
		}
		o.InstallDir = v
		return nil
	}},
	{flag: "key-info", prop: "KEY_INFO", set: func(o *Options, v string) error {
		v = strings.TrimSpace(v)
		if len(v) > keyinfo.MaxLen {
			return fmt.Errorf("is longer than %d characters", keyinfo.MaxLen)
		}
		o.KeyInfo = v
		return nil
	}},
	{flag: "session-user", set: func(o *Options, v string) error {
		if !sysUserRE.MatchString(v) {
			return fmt.Errorf("%s is not a user name", quote(v))
		}
		o.SessionUser = v
		return nil
	}},
	{flag: "end-users", prop: "END_USERS", set: func(o *Options, v string) error {
		var users []string
		for _, u := range strings.Split(v, ",") {
			u = strings.TrimSpace(u)
			if !sysUserRE.MatchString(u) {
				return fmt.Errorf("must be a comma-separated list of user names or uids, not %s", quote(v))
			}
			if !slices.Contains(users, u) {
				users = append(users, u)
			}
		}
		o.EndUsers = users
		return nil
	}},
	{flag: "proxy", prop: "PROXY", set: func(o *Options, v string) error {
		if err := checkProxy(v); err != nil {
			return err
		}
		o.Proxy = v
		return nil
	}},
	{flag: "online-install", prop: "ONLINE_INSTALL", boolean: true, set: func(o *Options, v string) error {
		b, err := parseBool(v)
		o.OnlineInstall = b
		return err
	}},
	{prop: "START_SERVICES", set: func(o *Options, v string) error {
		b, err := parseBool(v)
		o.NoStart = !b
		return err
	}},
	{flag: "jc-name", prop: "JC_NAME", field: "name", set: func(o *Options, v string) error {
		if err := checkText(v, MaxNameLen, false); err != nil {
			return err
		}
		o.Overrides.Name = &v
		return nil
	}},
	{flag: "jc-jump-group", prop: "JC_JUMP_GROUP", field: "jump_group", set: func(o *Options, v string) error {
		kind, name, ok := strings.Cut(v, ":")
		kind = strings.ToLower(strings.TrimSpace(kind))
		name = strings.TrimSpace(name)
		switch {
		case ok && kind == "user" && api.IsUsername(name),
			ok && kind == "jumpgroup" && api.IsCodeName(name):
		default:
			return fmt.Errorf("must be user:<username> or jumpgroup:<code-name>, not %s", quote(v))
		}
		s := kind + ":" + name
		o.Overrides.JumpGroup = &s
		return nil
	}},
	{flag: "jc-public-site-address", prop: "JC_PUBLIC_SITE_ADDRESS", field: "public_portal", set: func(o *Options, v string) error {
		if !api.IsHost(v) {
			return fmt.Errorf("%s is not a host name", quote(v))
		}
		o.Overrides.PublicSiteAddress = &v
		return nil
	}},
	{flag: "jc-session-policy-present", prop: "JC_SESSION_POLICY_PRESENT", field: "attended_session_policy", set: codeName(func(o *Options) **string { return &o.Overrides.SessionPolicyPresent })},
	{flag: "jc-session-policy-not-present", prop: "JC_SESSION_POLICY_NOT_PRESENT", field: "unattended_session_policy", set: codeName(func(o *Options) **string { return &o.Overrides.SessionPolicyNotPresent })},
	{flag: "jc-support-button-profile", prop: "JC_SUPPORT_BUTTON_PROFILE", field: "support_button_profile", set: codeName(func(o *Options) **string { return &o.Overrides.SupportButtonProfile })},
	{flag: "jc-support-button-direct-queue", prop: "JC_SUPPORT_BUTTON_DIRECT_QUEUE", field: "support_button_direct_queue", set: func(o *Options, v string) error {
		kind, name, ok := strings.Cut(v, ":")
		kind = strings.ToLower(strings.TrimSpace(kind))
		name = strings.TrimSpace(name)
		if !ok || kind != "team" || !api.IsDirectQueue("team:"+name) {
			return fmt.Errorf("must be team:<code-name>, not %s", quote(v))
		}
		s := "team:" + name
		o.Overrides.SupportButtonDirectQueue = &s
		return nil
	}},
	{flag: "jc-jump-policy", prop: "JC_JUMP_POLICY", field: "jump_policy", set: codeName(func(o *Options) **string { return &o.Overrides.JumpPolicy })},
	{flag: "jc-tag", prop: "JC_TAG", field: "tag", set: func(o *Options, v string) error {
		if err := checkText(v, MaxTagLen, false); err != nil {
			return err
		}
		o.Overrides.Tag = &v
		return nil
	}},
	{flag: "jc-comments", prop: "JC_COMMENTS", field: "comments", set: func(o *Options, v string) error {
		if err := checkText(v, MaxCommentsLen, true); err != nil {
			return err
		}
		o.Overrides.Comments = &v
		return nil
	}},
	{flag: "jc-max-offline-minutes", prop: "JC_MAX_OFFLINE_MINUTES", field: "max_offline_minutes", set: func(o *Options, v string) error {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < MinOfflineMinutes || n > MaxOfflineMinutes {
			return fmt.Errorf("must be a number of minutes from %d to %d, not %s", MinOfflineMinutes, MaxOfflineMinutes, quote(v))
		}
		if o.Overrides.MaxOfflineMinutes != nil && *o.Overrides.MaxOfflineMinutes != n {
			return fmt.Errorf("conflicts with --jc-ephemeral, which means %d minutes", ephemeralMinutes)
		}
		o.Overrides.MaxOfflineMinutes = &n
		return nil
	}},
	{flag: "jc-ephemeral", prop: "JC_EPHEMERAL", boolean: true, field: "max_offline_minutes", set: func(o *Options, v string) error {
		b, err := parseBool(v)
		if err != nil || !b {
			return err
		}
		if o.Overrides.MaxOfflineMinutes != nil && *o.Overrides.MaxOfflineMinutes != ephemeralMinutes {
			return fmt.Errorf("conflicts with --jc-max-offline-minutes %d: ephemeral means %d minutes", *o.Overrides.MaxOfflineMinutes, ephemeralMinutes)
		}
		n := ephemeralMinutes
		o.Overrides.MaxOfflineMinutes = &n
		return nil
	}},
}

var (
	byFlag = map[string]*spec{}
	byProp = map[string]*spec{}
)

func init() {
	for _, s := range specs {
		if s.flag != "" {
			byFlag[s.flag] = s
		}
		if s.prop != "" {
			byProp[s.prop] = s
		}
	}
}

func codeName(field func(*Options) **string) func(*Options, string) error {
	return func(o *Options, v string) error {
		if !api.IsCodeName(v) {
			return fmt.Errorf("%s is not a code name (letters, digits, '_', '.', '-'; at most 64)", quote(v))
		}
		*field(o) = &v
		return nil
	}
}

// ParseArgs parses an install command line for the platform goos
// (runtime.GOOS). It accepts the installer's flags (--flag
// value, --flag=value, or -flag) and the Windows-style properties
// (NAME=value, names in any case) anywhere, in any mix, and applies the
// defaults that depend on the options (scope system; startup by scope,
// --headless and platform). Every error wraps ErrUsage; all problems found
// are reported together, each naming its option.
func ParseArgs(goos string, args []string) (*Options, error) {
	o := &Options{given: map[string][]string{}}
	var problems []string
	seen := map[*spec]bool{}
	apply := func(s *spec, v string, fromProp bool) {
		if seen[s] {
			problems = append(problems, s.label()+" is given more than once")
			return
		}
		seen[s] = true
		// A blank property is MSI's way of not setting it; only
		// START_SERVICES="" and ONLINE_INSTALL= give blank a meaning.
		if fromProp && v == "" && s.prop != "START_SERVICES" && !s.boolean {
			return
		}
		if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
			problems = append(problems, s.label()+" has a value that is not valid text")
			return
		}
		if err := s.set(o, v); err != nil {
			problems = append(problems, s.label()+" "+err.Error())
			return
		}
		if on, _ := parseBool(v); s.field != "" && (!s.boolean || on) {
			o.given[s.field] = append(o.given[s.field], s.label())
		}
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-h" || a == "--help" || a == "-help" || a == "/?":
			o.Help = true
		case strings.HasPrefix(a, "-") && len(a) > 1:
			name := strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
			name, val, hasVal := strings.Cut(name, "=")
			s := byFlag[name]
			if s == nil || s.flag == "" {
				problems = append(problems, "unknown flag "+quoteFlag(a))
				continue
			}
			if s.boolean {
				if !hasVal {
					val = "true"
				}
				apply(s, val, false)
				continue
			}
			if !hasVal {
				if i+1 >= len(args) || isKnownFlag(args[i+1]) {
					problems = append(problems, "--"+s.flag+" needs a value")
					continue
				}
				i++
				val = args[i]
			}
			apply(s, val, false)
		case strings.Contains(a, "=") && propNameRE.MatchString(a[:strings.IndexByte(a, '=')]):
			name, val, _ := strings.Cut(a, "=")
			s := byProp[strings.ToUpper(name)]
			if s == nil {
				problems = append(problems, "unknown property "+quoteFlag(name)+"=")
				continue
			}
			apply(s, val, true)
		default:
			problems = append(problems, "unexpected argument "+quote(a)+" (flags start with --, properties are NAME=value)")
		}
	}
	if o.Help {
		return o, nil
	}
	if len(problems) == 0 {
		problems = o.complete(goos)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrUsage, strings.Join(problems, "; "))
	}
	return o, nil
}

// complete applies the defaults that depend on other options and checks the
// combination.
func (o *Options) complete(goos string) []string {
	var problems []string
	if o.Scope == "" {
		o.Scope = ScopeSystem
	}
	if o.Startup == "" {
		o.Startup = DefaultStartup(goos, o.Scope, o.Headless)
	}
	if ok := Startups(goos); !slices.Contains(ok, o.Startup) {
		problems = append(problems, fmt.Sprintf("--startup %s is not available on %s: use %s", o.Startup, osName(goos), strings.Join(ok, " or ")))
	}
	if o.Startup == StartupXDG && o.Scope != ScopeUser {
		problems = append(problems, "--startup xdg starts the agent at a user's graphical login, so it needs --scope user")
	}
	if o.SessionUser != "" && (o.Scope != ScopeSystem || !o.Headless) {
		problems = append(problems, "--session-user applies only with --scope system and --headless")
	}
	if len(o.EndUsers) > 0 && o.Scope != ScopeSystem {
		problems = append(problems, "--end-users applies only with --scope system (a --scope user agent serves only its own user)")
	}
	return problems
}

// Startups returns the startup modes available on goos, default first
// for system scope.
func Startups(goos string) []string {
	switch goos {
	case "linux":
		return []string{StartupSystemd, StartupXDG, StartupNone}
	case "darwin":
		return []string{StartupLaunchd, StartupNone}
	case "windows":
		return []string{StartupTask, StartupNone}
	}
	return []string{StartupNone}
}

// DefaultStartup is the startup mode used when --startup is not given: on
// Linux systemd for system scope and xdg for user scope (systemd --user when
// --headless, since a headless host has no graphical login); launchd on
// macOS; a scheduled task on Windows.
func DefaultStartup(goos, scope string, headless bool) string {
	switch goos {
	case "linux":
		if scope == ScopeUser && !headless {
			return StartupXDG
		}
		return StartupSystemd
	case "darwin":
		return StartupLaunchd
	case "windows":
		return StartupTask
	}
	return StartupNone
}

func osName(goos string) string {
	switch goos {
	case "linux":
		return "Linux"
	case "darwin":
		return "macOS"
	case "windows":
		return "Windows"
	}
	return quote(goos)
}

func isKnownFlag(a string) bool {
	if a == "-h" || a == "--help" || a == "-help" {
		return true
	}
	if !strings.HasPrefix(a, "-") {
		return false
	}
	name, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-"), "=")
	s := byFlag[name]
	return s != nil
}

func parseBool(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "on":
		return true, nil
	case "", "0", "false", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("must be 1 or blank, not %s", quote(v))
}

func checkText(v string, maxLen int, multiline bool) error {
	if strings.TrimSpace(v) == "" {
		return errors.New("needs a value")
	}
	if n := utf8.RuneCountInString(v); n > maxLen {
		return fmt.Errorf("is %d characters long, more than %d", n, maxLen)
	}
	for _, r := range v {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t' || r == '\r')) {
			return errors.New("contains a control character")
		}
	}
	return nil
}

func checkProxy(v string) error {
	if v == "" || v == "direct" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || u.Host == "" {
		return errors.New("must be direct or a proxy URL such as http://proxy:3128")
	}
	switch u.Scheme {
	case "http", "https", "socks5":
		return nil
	}
	return fmt.Errorf("must be an http://, https:// or socks5:// URL, not %s://", quote(u.Scheme))
}

// quote renders a user's value for a message: quoted (so the message stays
// one line) and cut short.
func quote(v string) string {
	const maxShown = 64
	if utf8.RuneCountInString(v) > maxShown {
		v = string([]rune(v)[:maxShown]) + "…"
	}
	return strconv.Quote(v)
}

// quoteFlag renders an unknown flag or property name, quoted only when it
// holds anything unusual.
func quoteFlag(v string) string {
	if len(v) <= 64 && plainRE.MatchString(v) {
		return v
	}
	return quote(v)
}
