package install

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api/agentproto"
)

func ptr[T any](v T) *T { return &v }

func TestParseArgs(t *testing.T) {
	tests := []struct {
		name string
		goos string
		args []string
		want Options // given is not compared
	}{
		{
			name: "defaults",
			goos: "linux",
			want: Options{Scope: "system", Startup: "systemd"},
		},
		{
			name: "user scope defaults to xdg",
			goos: "linux",
			args: []string{"--scope", "user"},
			want: Options{Scope: "user", Startup: "xdg"},
		},
		{
			name: "headless user scope defaults to systemd",
			goos: "linux",
			args: []string{"--scope=user", "--headless"},
			want: Options{Scope: "user", Startup: "systemd", Headless: true},
		},
		{
			name: "macOS defaults to launchd",
			goos: "darwin",
			want: Options{Scope: "system", Startup: "launchd"},
		},
		{
			name: "Windows defaults to a task",
			goos: "windows",
			args: []string{"INSTALLDIR=C:\\Jumpgate\\x"},
			want: Options{Scope: "system", Startup: "task", InstallDir: `C:\Jumpgate\x`},
		},
		{
			name: "end users, flag",
			goos: "linux",
			args: []string{"--end-users", "alice, 1005,alice"},
			want: Options{Scope: "system", Startup: "systemd", EndUsers: []string{"alice", "1005"}},
		},
		{
			name: "end users, property",
			goos: "linux",
			args: []string{"end_users=helpdesk"},
			want: Options{Scope: "system", Startup: "systemd", EndUsers: []string{"helpdesk"}},
		},
		{
			name: "every flag",
			goos: "linux",
			args: []string{
				"--scope", "system", "--startup", "none", "--headless", "--install-dir", "/opt/x",
				"--key-info", " jgk1.a.b ", "--session-user", "bob", "--proxy", "socks5://p:1080",
				"--online-install",
				"-jc-name", "Web 1", "--jc-jump-group", "jumpgroup:ops", "--jc-public-site-address", "support.example.com",
				"--jc-session-policy-present", "attended", "--jc-session-policy-not-present", "unattended",
				"--jc-support-button-profile", "sb", "--jc-support-button-direct-queue", "team:t1",
				"--jc-jump-policy", "business-hours", "--jc-tag", "servers", "--jc-comments", "line 1\nline 2",
				"--jc-max-offline-minutes", "60",
			},
			want: Options{
				Scope: "system", Startup: "none", Headless: true, InstallDir: "/opt/x", KeyInfo: "jgk1.a.b",
				SessionUser: "bob", Proxy: "socks5://p:1080", OnlineInstall: true,
				Overrides: agentproto.Overrides{
					Name: ptr("Web 1"), JumpGroup: ptr("jumpgroup:ops"), PublicSiteAddress: ptr("support.example.com"),
					SessionPolicyPresent: ptr("attended"), SessionPolicyNotPresent: ptr("unattended"),
					SupportButtonProfile: ptr("sb"), SupportButtonDirectQueue: ptr("team:t1"),
					JumpPolicy: ptr("business-hours"), Tag: ptr("servers"), Comments: ptr("line 1\nline 2"),
					MaxOfflineMinutes: ptr(60),
				},
			},
		},
		{
			name: "every property, any case",
			goos: "linux",
			args: []string{
				"INSTALLDIR=/opt/x", "key_info=jgk1.a.b", "PROXY=direct", "ONLINE_INSTALL=1", "START_SERVICES=",
				"JC_NAME=Web 1", "jc_jump_group=user: Bob", "JC_PUBLIC_SITE_ADDRESS=support.example.com",
				"JC_SESSION_POLICY_PRESENT=attended", "JC_SESSION_POLICY_NOT_PRESENT=unattended",
				"JC_SUPPORT_BUTTON_PROFILE=sb", "JC_SUPPORT_BUTTON_DIRECT_QUEUE=Team:t1", "JC_JUMP_POLICY=business-hours",
				"Jc_Tag=servers", "JC_COMMENTS=a=b", "JC_EPHEMERAL=1",
			},
			want: Options{
				Scope: "system", Startup: "systemd", InstallDir: "/opt/x", KeyInfo: "jgk1.a.b", Proxy: "direct",
				OnlineInstall: true, NoStart: true,
				Overrides: agentproto.Overrides{
					Name: ptr("Web 1"), JumpGroup: ptr("user:Bob"), PublicSiteAddress: ptr("support.example.com"),
					SessionPolicyPresent: ptr("attended"), SessionPolicyNotPresent: ptr("unattended"),
					SupportButtonProfile: ptr("sb"), SupportButtonDirectQueue: ptr("team:t1"),
					JumpPolicy: ptr("business-hours"), Tag: ptr("servers"), Comments: ptr("a=b"),
					MaxOfflineMinutes: ptr(5),
				},
			},
		},
		{
			name: "blank properties are not set; START_SERVICES=1 starts",
			goos: "linux",
			args: []string{"JC_TAG=", "KEY_INFO=", "ONLINE_INSTALL=", "START_SERVICES=1", "JC_EPHEMERAL=0"},
			want: Options{Scope: "system", Startup: "systemd"},
		},
		{
			name: "ephemeral with max offline 5 agree",
			goos: "linux",
			args: []string{"--jc-ephemeral", "--jc-max-offline-minutes=5"},
			want: Options{Scope: "system", Startup: "systemd", Overrides: agentproto.Overrides{MaxOfflineMinutes: ptr(5)}},
		},
		{
			name: "help wins over errors",
			goos: "linux",
			args: []string{"--bogus", "--help"},
			want: Options{Help: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseArgs(tt.goos, tt.args)
			require.NoError(t, err)
			got.given = nil
			assert.Equal(t, tt.want, *got)
		})
	}
}

// TestParseArgs_FlagsAndPropertiesAgree checks that every property parses
// exactly as its flag does.
func TestParseArgs_FlagsAndPropertiesAgree(t *testing.T) {
	values := map[string]string{
		"install-dir": "/srv/jc", "key-info": "jgk1.x.y", "proxy": "http://proxy:3128", "end-users": "alice,1005",
		"jc-name": "n", "jc-jump-group": "user:alice", "jc-public-site-address": "a.example.com",
		"jc-session-policy-present": "p1", "jc-session-policy-not-present": "p2",
		"jc-support-button-profile": "sb", "jc-support-button-direct-queue": "team:q",
		"jc-jump-policy": "jp", "jc-tag": "t", "jc-comments": "c", "jc-max-offline-minutes": "30",
	}
	for _, s := range specs {
		if s.flag == "" || s.prop == "" {
			continue
		}
		t.Run(s.flag, func(t *testing.T) {
			flagArgs, propArgs := []string{"--" + s.flag}, []string{s.prop + "=1"}
			if !s.boolean {
				v, ok := values[s.flag]
				require.True(t, ok, "add a test value for --%s", s.flag)
				flagArgs = []string{"--" + s.flag, v}
				propArgs = []string{strings.ToLower(s.prop) + "=" + v}
			}
			fromFlag, err := ParseArgs("linux", flagArgs)
			require.NoError(t, err)
			fromProp, err := ParseArgs("linux", propArgs)
			require.NoError(t, err)
			assert.Equal(t, fromFlag.Overrides, fromProp.Overrides)
			fromFlag.given, fromProp.given = nil, nil
			assert.Equal(t, fromFlag, fromProp)
		})
	}
}

func TestParseArgs_Errors(t *testing.T) {
	tests := []struct {
		name string
		goos string
		args []string
		want []string // substrings of the message
	}{
		{"unknown flag", "linux", []string{"--jc-colour", "red"}, []string{"unknown flag --jc-colour"}},
		{"unknown property", "linux", []string{"JC_COLOUR=red"}, []string{"unknown property JC_COLOUR="}},
		{"every unknown is named", "linux", []string{"--a", "B=1", "--c"}, []string{"unknown flag --a", "unknown property B=", "unknown flag --c"}},
		{"stray argument", "linux", []string{"servers"}, []string{`unexpected argument "servers"`}},
		{"missing value", "linux", []string{"--jc-tag"}, []string{"--jc-tag needs a value"}},
		{"flag as value", "linux", []string{"--install-dir", "--headless"}, []string{"--install-dir needs a value"}},
		{"bad scope", "linux", []string{"--scope", "global"}, []string{`--scope must be system or user, not "global"`}},
		{"bad startup", "linux", []string{"--startup", "cron"}, []string{"--startup must be systemd, xdg or none"}},
		{"startup of another platform", "darwin", []string{"--startup", "systemd"}, []string{"--startup systemd is not available on macOS: use launchd or none"}},
		{"xdg needs user scope", "linux", []string{"--startup", "xdg"}, []string{"--startup xdg", "needs --scope user"}},
		{"session user without headless", "linux", []string{"--session-user", "bob"}, []string{"--session-user applies only with --scope system and --headless"}},
		{"session user in user scope", "linux", []string{"--scope", "user", "--headless", "--session-user", "bob"}, []string{"--session-user applies only"}},
		{"bad session user", "linux", []string{"--session-user", "bob smith"}, []string{`--session-user "bob smith" is not a user name`}},
		{"end users in user scope", "linux", []string{"--scope", "user", "--end-users", "alice"}, []string{"--end-users applies only with --scope system"}},
		{"bad end users", "linux", []string{"--end-users", "alice,bob smith"}, []string{`--end-users (END_USERS) must be a comma-separated list of user names or uids, not "alice,bob smith"`}},
		{"empty end user", "linux", []string{"--end-users", "alice,,bob"}, []string{`--end-users (END_USERS) must be a comma-separated list`}},
		{"bad jump group", "linux", []string{"--jc-jump-group", "ops"}, []string{"--jc-jump-group (JC_JUMP_GROUP) must be user:<username> or jumpgroup:<code-name>"}},
		{"empty jump group name", "linux", []string{"JC_JUMP_GROUP=jumpgroup:"}, []string{"must be user:<username> or jumpgroup:<code-name>"}},
		{"bad direct queue", "linux", []string{"--jc-support-button-direct-queue", "queue:x"}, []string{"must be team:<code-name>"}},
		{"bad code name", "linux", []string{"--jc-jump-policy", "two words"}, []string{"--jc-jump-policy (JC_JUMP_POLICY) \"two words\" is not a code name"}},
		{"bad host", "linux", []string{"--jc-public-site-address", "a b"}, []string{"is not a host name"}},
		{"offline below 5", "linux", []string{"--jc-max-offline-minutes", "4"}, []string{"from 5 to 525600"}},
		{"offline not a number", "linux", []string{"JC_MAX_OFFLINE_MINUTES=soon"}, []string{`not "soon"`}},
		{"ephemeral conflicts", "linux", []string{"--jc-max-offline-minutes", "60", "--jc-ephemeral"}, []string{"conflicts with --jc-max-offline-minutes 60"}},
		{"ephemeral conflicts, other order", "linux", []string{"JC_EPHEMERAL=1", "JC_MAX_OFFLINE_MINUTES=60"}, []string{"conflicts with --jc-ephemeral"}},
		{"bad boolean property", "linux", []string{"ONLINE_INSTALL=maybe"}, []string{`--online-install (ONLINE_INSTALL) must be 1 or blank, not "maybe"`}},
		{"given twice", "linux", []string{"--jc-tag", "a", "JC_TAG=b"}, []string{"--jc-tag (JC_TAG) is given more than once"}},
		{"name too long", "linux", []string{"--jc-name", strings.Repeat("n", 129)}, []string{"129 characters long, more than 128"}},
		{"control character", "linux", []string{"--jc-tag", "a\x1bb"}, []string{"contains a control character"}},
		{"invalid UTF-8", "linux", []string{"--jc-tag", "\xff"}, []string{"not valid text"}},
		{"empty flag value", "linux", []string{"--jc-tag="}, []string{"--jc-tag (JC_TAG) needs a value"}},
		{"bad proxy", "linux", []string{"--proxy", "ftp://p"}, []string{`must be an http://, https:// or socks5:// URL, not "ftp"://`}},
		{"long values are cut in messages", "linux", []string{"--scope", strings.Repeat("x", 500)}, []string{"xxx…"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseArgs(tt.goos, tt.args)
			require.Error(t, err)
			assert.True(t, errors.Is(err, ErrUsage))
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.Less(t, len(err.Error()), 1000)
		})
	}
}

func TestParseArgs_Given(t *testing.T) {
	o, err := ParseArgs("linux", []string{"JC_TAG=x", "--jc-ephemeral", "--jc-name", "n"})
	require.NoError(t, err)
	assert.Equal(t, []string{"--jc-tag (JC_TAG)"}, o.Given("tag"))
	assert.Equal(t, []string{"--jc-ephemeral (JC_EPHEMERAL)"}, o.Given("max_offline_minutes"))
	assert.Equal(t, []string{"--jc-name (JC_NAME)"}, o.Given("name"))
	assert.Empty(t, o.Given("comments"))
}

// FuzzParseArgs checks that no command line panics the parser, that every
// error is one readable line wrapping ErrUsage, and that accepted options
// are complete and within the limits.
func FuzzParseArgs(f *testing.F) {
	seeds := [][]string{
		{"--scope", "user", "--startup", "none", "--install-dir", "/tmp/x"},
		{"KEY_INFO=jgk1.a.b", "INSTALLDIR=C:\\x", "JC_TAG=t", "START_SERVICES="},
		{"--jc-ephemeral", "--jc-max-offline-minutes=5", "--jc-jump-group", "user: bob"},
		{"--session-user", "bob", "--headless", "--jc-comments", "a\nb"},
		{"-jc-name", "x", "=", "--", "-", "--=", "A=", "JC_EPHEMERAL=1"},
	}
	for _, s := range seeds {
		f.Add(strings.Join(s, "\x00"), "linux")
	}
	f.Add("--startup\x00task", "windows")
	f.Fuzz(func(t *testing.T, joined, goos string) {
		args := strings.Split(joined, "\x00")
		o, err := ParseArgs(goos, args)
		if err != nil {
			msg := err.Error()
			if !errors.Is(err, ErrUsage) {
				t.Fatalf("error does not wrap ErrUsage: %v", err)
			}
			if !utf8.ValidString(msg) || strings.ContainsAny(msg, "\n\r") {
				t.Fatalf("error is not one line of text: %q", msg)
			}
			return
		}
		if o.Help {
			return
		}
		if o.Scope != ScopeSystem && o.Scope != ScopeUser {
			t.Fatalf("scope %q", o.Scope)
		}
		if o.Startup == "" {
			t.Fatal("no startup")
		}
		if m := o.Overrides.MaxOfflineMinutes; m != nil && (*m < MinOfflineMinutes || *m > MaxOfflineMinutes) {
			t.Fatalf("max offline %d", *m)
		}
		if n := o.Overrides.Name; n != nil && utf8.RuneCountInString(*n) > MaxNameLen {
			t.Fatalf("name of %d runes", utf8.RuneCountInString(*n))
		}
		if o.SessionUser != "" && (o.Scope != ScopeSystem || !o.Headless) {
			t.Fatal("session user accepted without system scope and headless")
		}
		for _, field := range o.Overrides.Needs() {
			if len(o.Given(field)) == 0 {
				t.Fatalf("override %s set but not recorded as given", field)
			}
		}
	})
}
