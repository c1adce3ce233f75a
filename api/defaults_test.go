package api_test

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/jumpgate/jumpgate/api"
)

// defaulter is an API object with defaults.
type defaulter interface{ ApplyDefaults() }

func TestApplyDefaults(t *testing.T) {
	tests := []struct {
		name string
		// zero is the object as a write leaving everything out sends it.
		zero defaulter
		// want is what ApplyDefaults makes of it: the documented defaults.
		want defaulter
		// set has every defaulted field set to a value other than its
		// default, which ApplyDefaults must keep.
		set defaulter
	}{
		{
			name: "session policy",
			zero: &api.SessionPolicy{},
			want: &api.SessionPolicy{
				Permissions:          api.SessionPermissions{Clipboard: "off", ClipboardMaxBytes: 8 << 20},
				PromptCustomer:       "never",
				PromptTimeoutSeconds: 180,
				OnTimeout:            "deny",
				MaxSessionMinutes:    120,
				RecordShell:          api.Bool(true), RecordScreen: api.Bool(true), RecordTunnel: api.Bool(true),
			},
			set: &api.SessionPolicy{
				Permissions:          api.SessionPermissions{Clipboard: "both", ClipboardMaxBytes: 1},
				PromptCustomer:       "always",
				PromptTimeoutSeconds: 10,
				OnTimeout:            "accept",
				MaxSessionMinutes:    1,
				RecordShell:          api.Bool(false), RecordScreen: api.Bool(false), RecordTunnel: api.Bool(false),
			},
		},
		{
			name: "session permissions",
			zero: &api.SessionPermissions{},
			want: &api.SessionPermissions{Clipboard: "off", ClipboardMaxBytes: 8 << 20},
			set:  &api.SessionPermissions{Clipboard: "to_endpoint", ClipboardMaxBytes: 1024},
		},
		{
			name: "jump policy",
			zero: &api.JumpPolicy{},
			want: &api.JumpPolicy{Timezone: "UTC", SimultaneousJumps: "join", ApprovalMaxDuration: 60},
			set:  &api.JumpPolicy{Timezone: "Europe/Berlin", SimultaneousJumps: "disallow", ApprovalMaxDuration: 5},
		},
		{
			name: "jumpoint",
			zero: &api.Jumpoint{},
			want: &api.Jumpoint{Platform: "linux-amd64", Enabled: api.Bool(true), JumpZoneProxy: api.JumpZoneProxy{Port: 8443}},
			set:  &api.Jumpoint{Platform: "windows-amd64", Enabled: api.Bool(false), JumpZoneProxy: api.JumpZoneProxy{Port: 443}},
		},
		{
			name: "jump zone proxy",
			zero: &api.JumpZoneProxy{},
			want: &api.JumpZoneProxy{Port: 8443},
			set:  &api.JumpZoneProxy{Port: 1},
		},
		{
			name: "jump client installer",
			zero: &api.JumpClientInstaller{},
			// connection_type stays empty: the appliance takes it from the
			// Jump Client settings.
			want: &api.JumpClientInstaller{ValidDuration: 1440, JumpGroupType: "shared", CustomerClientStartMode: "normal", ElevateInstall: api.Bool(true)},
			set: &api.JumpClientInstaller{ValidDuration: 10, JumpGroupType: "personal", CustomerClientStartMode: "hidden",
				ElevateInstall: api.Bool(false), ConnectionType: "standby"},
		},
		{
			name: "protocol tunnel jump",
			zero: &api.ProtocolTunnelJump{TunnelDefinitions: []api.TunnelDefinition{{RemotePort: 22}}},
			// A local port of 0 picks a free port: it is not defaulted.
			want: &api.ProtocolTunnelJump{TunnelDefinitions: []api.TunnelDefinition{{RemotePort: 22}},
				TunnelListenAddress: "127.0.0.1", JumpGroupType: "shared"},
			set: &api.ProtocolTunnelJump{TunnelListenAddress: "127.0.0.2", JumpGroupType: "personal"},
		},
		{
			name: "public portal",
			zero: &api.PublicPortal{},
			want: &api.PublicPortal{AutomaticBehavior: "reject"},
			set:  &api.PublicPortal{AutomaticBehavior: "accept"},
		},
		{
			name: "jump client",
			zero: &api.JumpClient{},
			want: &api.JumpClient{JumpGroupType: "shared", ConnectionType: "active"},
			set:  &api.JumpClient{JumpGroupType: "personal", ConnectionType: "standby"},
		},
		{
			name: "jump client settings",
			zero: &api.JumpClientSettings{},
			// Statistics stay nil: left out, none are collected.
			want: &api.JumpClientSettings{StatisticsIntervalSeconds: 60, UpgradeMode: "always", LostAfterDays: 90, DeletedAfterDays: 180,
				UninstalledBehavior: "keep", DefaultConnectionType: "active", StandbyCheckInMinutes: 60, SimultaneousJumps: "join",
				UnattendedSessionsAllowed: api.Bool(true)},
			set: &api.JumpClientSettings{StatisticsIntervalSeconds: 15, UpgradeMode: "disabled", LostAfterDays: 15, DeletedAfterDays: 16,
				UninstalledBehavior: "remove", DefaultConnectionType: "standby", StandbyCheckInMinutes: 1, SimultaneousJumps: "allow",
				UnattendedSessionsAllowed: api.Bool(false)},
		},
		{
			name: "user",
			zero: &api.User{},
			want: &api.User{Enabled: api.Bool(true)},
			set:  &api.User{Enabled: api.Bool(false)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.zero.ApplyDefaults()
			assert.Equal(t, tt.want, tt.zero, "defaults of an empty object")

			tt.zero.ApplyDefaults()
			assert.Equal(t, tt.want, tt.zero, "applied twice")

			before := reflect.ValueOf(tt.set).Elem().Interface()
			tt.set.ApplyDefaults()
			assert.Equal(t, before, reflect.ValueOf(tt.set).Elem().Interface(), "set values are kept")
		})
	}
}

func TestDefaultJumpClientSettings(t *testing.T) {
	s := api.DefaultJumpClientSettings()
	assert.Equal(t, []string{"console_user", "cpu", "disk", "uptime"}, s.Statistics)
	want := &api.JumpClientSettings{Statistics: api.DefaultStatistics()}
	want.ApplyDefaults()
	assert.Equal(t, want, s)

	// Each call returns its own statistics.
	s.Statistics[0] = "screen"
	assert.Equal(t, "console_user", api.DefaultJumpClientSettings().Statistics[0])
}
