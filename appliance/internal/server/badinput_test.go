package server_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
)

// badCase is one request the appliance must refuse.
type badCase struct {
	name   string
	method string // default POST to the collection
	path   string // default the collection
	body   map[string]any
	want   error
	// field is the field the problem must name (400 and 422); for a 409 it
	// is a fragment of the problem's detail.
	field string
}

const missing = 999999 // an id no test creates

func long(n int) string { return strings.Repeat("a", n) }

// testBadInput sends invalid bodies to every collection and checks each is
// refused with the right status, naming the field, and that none of them
// changed anything.
func testBadInput(t *testing.T, s *appliancetest.Server, fx *fixtures) {
	ctx := context.Background()
	c := s.Admin
	eventsBefore := countAuditEvents(t, c)
	group, err := c.GetJumpGroup(ctx, fx.group.ID)
	require.NoError(t, err)

	jg := func(kv ...any) map[string]any { return with(t, bodyOf(t, newJumpGroup()), kv...) }
	jp := func(kv ...any) map[string]any { return with(t, bodyOf(t, newJumpPolicy()), kv...) }
	sp := func(kv ...any) map[string]any { return with(t, bodyOf(t, newSessionPolicy()), kv...) }
	jpt := func(kv ...any) map[string]any { return with(t, bodyOf(t, newJumpoint()), kv...) }
	ins := func(kv ...any) map[string]any { return with(t, bodyOf(t, fx.newInstaller()), kv...) }
	tj := func(kv ...any) map[string]any { return with(t, bodyOf(t, fx.newTunnelJump()), kv...) }
	pp := func(kv ...any) map[string]any { return with(t, bodyOf(t, newPortal()), kv...) }
	usr := func(kv ...any) map[string]any { return with(t, bodyOf(t, newUser()), kv...) }
	gp := func(kv ...any) map[string]any { return with(t, bodyOf(t, newGroupPolicy()), kv...) }
	tok := func(kv ...any) map[string]any { return with(t, map[string]any{"name": uniq("tok")}, kv...) }
	settings, err := c.GetJumpClientSettings(ctx)
	require.NoError(t, err)
	set := func(kv ...any) map[string]any { return with(t, bodyOf(t, settings), kv...) }
	def := func(local, remote any) map[string]any {
		return map[string]any{"local_port": local, "remote_port": remote}
	}
	var manyDefs []any
	for i := range api.MaxTunnelDefinitions + 1 {
		manyDefs = append(manyDefs, def(0, 1000+i))
	}
	past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	membership := func(gpID any, role string) []any {
		return []any{map[string]any{"group_policy_id": gpID, "role": role}}
	}

	tests := map[string][]badCase{
		api.PathJumpGroups: {
			{name: "unknown field", body: jg("owner", "bob"), want: api.ErrBadRequest, field: "owner"},
			{name: "unknown nested field", body: jg("memberships", []any{map[string]any{"group_policy_id": fx.groupPolicy.ID, "role": "view", "admin": true}}), want: api.ErrBadRequest, field: "memberships[0].admin"},
			{name: "name of the wrong type", body: jg("name", 5), want: api.ErrValidation, field: "name"},
			{name: "name missing", body: jg("name", nil), want: api.ErrValidation, field: "name"},
			{name: "name of 129 characters", body: jg("name", long(129)), want: api.ErrValidation, field: "name"},
			{name: "code name with a leading dash", body: jg("code_name", "-ops"), want: api.ErrValidation, field: "code_name"},
			{name: "code name with a space", body: jg("code_name", "o ps"), want: api.ErrValidation, field: "code_name"},
			{name: "code name of 65 characters", body: jg("code_name", long(65)), want: api.ErrValidation, field: "code_name"},
			{name: "comments of 1025 characters", body: jg("comments", long(1025)), want: api.ErrValidation, field: "comments"},
			{name: "memberships of the wrong type", body: jg("memberships", "all"), want: api.ErrValidation, field: "memberships"},
			{name: "membership of a missing group policy", body: jg("memberships", membership(missing, "view")), want: api.ErrValidation, field: "memberships[0].group_policy_id"},
			{name: "membership with a bad role", body: jg("memberships", membership(fx.groupPolicy.ID, "owner")), want: api.ErrValidation, field: "memberships[0].role"},
			{name: "membership with a missing jump policy", body: jg("memberships", []any{map[string]any{"group_policy_id": fx.groupPolicy.ID, "role": "view", "jump_policy_id": missing}}), want: api.ErrValidation, field: "memberships[0].jump_policy_id"},
			{name: "group policy listed twice", body: jg("memberships", append(membership(fx.groupPolicy.ID, "view"), membership(fx.groupPolicy.ID, "edit")...)), want: api.ErrValidation, field: "memberships[1].group_policy_id"},
			{name: "code name taken", body: jg("code_name", fx.group.CodeName), want: api.ErrConflict, field: "code_name"},
			{name: "update: name of 129 characters", method: http.MethodPut, path: itemPath(api.PathJumpGroups, fx.group.ID), body: with(t, bodyOf(t, group), "name", long(129)), want: api.ErrValidation, field: "name"},
			{name: "update: unknown field", method: http.MethodPut, path: itemPath(api.PathJumpGroups, fx.group.ID), body: with(t, bodyOf(t, group), "owner", 1), want: api.ErrBadRequest, field: "owner"},
			{name: "patch: wrong type", method: http.MethodPatch, path: itemPath(api.PathJumpGroups, fx.group.ID), body: map[string]any{"name": true}, want: api.ErrValidation, field: "name"},
			{name: "patch: unknown field", method: http.MethodPatch, path: itemPath(api.PathJumpGroups, fx.group.ID), body: map[string]any{"owner": 1}, want: api.ErrBadRequest, field: "owner"},
			{name: "patch: missing group policy", method: http.MethodPatch, path: itemPath(api.PathJumpGroups, fx.group.ID), body: map[string]any{"memberships": membership(missing, "view")}, want: api.ErrValidation, field: "memberships[0].group_policy_id"},
		},
		api.PathJumpPolicies: {
			{name: "unknown field", body: jp("schedule_mode", "weekly"), want: api.ErrBadRequest, field: "schedule_mode"},
			{name: "display name of 129 characters", body: jp("display_name", long(129)), want: api.ErrValidation, field: "display_name"},
			{name: "boolean of the wrong type", body: jp("schedule_enabled", "yes"), want: api.ErrValidation, field: "schedule_enabled"},
			{name: "approval duration of 43201 minutes", body: jp("approval_max_duration", 43201), want: api.ErrValidation, field: "approval_max_duration"},
			{name: "negative approval duration", body: jp("approval_max_duration", -1), want: api.ErrValidation, field: "approval_max_duration"},
			{name: "unknown time zone", body: jp("timezone", "Mars/Olympus_Mons"), want: api.ErrValidation, field: "timezone"},
			{name: "bad simultaneous jumps", body: jp("simultaneous_jumps", "sometimes"), want: api.ErrValidation, field: "simultaneous_jumps"},
			{name: "expiry that is not a time", body: jp("expires_at", "tomorrow"), want: api.ErrValidation, field: "expires_at"},
			{name: "ticket id required without webhook", body: jp("ticket_id_required", true), want: api.ErrValidation, field: "ticket_id_webhook_url"},
			{name: "webhook that is not http", body: jp("ticket_id_webhook_url", "ftp://tickets.example.com/check"), want: api.ErrValidation, field: "ticket_id_webhook_url"},
			{name: "webhook with credentials", body: jp("notification_webhook_url", "https://user:pw@hooks.example.com/"), want: api.ErrValidation, field: "notification_webhook_url"},
			{name: "approval required without approvers", body: jp("approval_required", true), want: api.ErrValidation, field: "approval_user_ids"},
			{name: "missing approver", body: jp("approval_required", true, "approval_user_ids", []any{missing}), want: api.ErrValidation, field: "approval_user_ids[0]"},
			{name: "approver listed twice", body: jp("approval_user_ids", []any{fx.adminID, fx.adminID}), want: api.ErrValidation, field: "approval_user_ids[1]"},
			{name: "schedule end before start", body: jp("schedule", []any{map[string]any{"day": "monday", "start_time": "17:00", "end_time": "09:00"}}), want: api.ErrValidation, field: "schedule[0].end_time"},
			{name: "schedule end at start", body: jp("schedule", []any{map[string]any{"day": "monday", "start_time": "09:00", "end_time": "09:00"}}), want: api.ErrValidation, field: "schedule[0].end_time"},
			{name: "schedule start at 24:00", body: jp("schedule", []any{map[string]any{"day": "monday", "start_time": "24:00", "end_time": "24:00"}}), want: api.ErrValidation, field: "schedule[0].start_time"},
			{name: "schedule on a bad day", body: jp("schedule", []any{map[string]any{"day": "funday", "start_time": "09:00", "end_time": "17:00"}}), want: api.ErrValidation, field: "schedule[0].day"},
			{name: "schedule at 25:00", body: jp("schedule", []any{map[string]any{"day": "monday", "start_time": "25:00", "end_time": "26:00"}}), want: api.ErrValidation, field: "schedule[0].start_time"},
			{name: "schedule enabled without entries", body: jp("schedule_enabled", true), want: api.ErrValidation, field: "schedule"},
			{name: "notifications without a destination", body: jp("session_start_notification", true), want: api.ErrValidation, field: "notification_email_addresses"},
			{name: "bad notification address", body: jp("notification_email_addresses", []any{"not-an-address"}), want: api.ErrValidation, field: "notification_email_addresses[0]"},
			{name: "code name taken", body: jp("code_name", fx.jumpPolicy.CodeName), want: api.ErrConflict, field: "code_name"},
		},
		api.PathSessionPolicies: {
			{name: "unknown nested field", body: sp("permissions.record", true), want: api.ErrBadRequest, field: "permissions.record"},
			{name: "permission of the wrong type", body: sp("permissions.shell", "yes"), want: api.ErrValidation, field: "permissions.shell"},
			{name: "clipboard over 8 MiB", body: sp("permissions.clipboard_max_bytes", 8<<20+1), want: api.ErrValidation, field: "permissions.clipboard_max_bytes"},
			{name: "negative clipboard limit", body: sp("permissions.clipboard_max_bytes", -1), want: api.ErrValidation, field: "permissions.clipboard_max_bytes"},
			{name: "bad clipboard direction", body: sp("permissions.clipboard", "sideways"), want: api.ErrValidation, field: "permissions.clipboard"},
			{name: "session of 10081 minutes", body: sp("max_session_minutes", 10081), want: api.ErrValidation, field: "max_session_minutes"},
			{name: "negative session length", body: sp("max_session_minutes", -5), want: api.ErrValidation, field: "max_session_minutes"},
			{name: "prompt timeout of 9 seconds", body: sp("prompt_timeout_seconds", 9), want: api.ErrValidation, field: "prompt_timeout_seconds"},
			{name: "prompt timeout of 3601 seconds", body: sp("prompt_timeout_seconds", 3601), want: api.ErrValidation, field: "prompt_timeout_seconds"},
			{name: "idle timeout of 1441 minutes", body: sp("idle_timeout_minutes", 1441), want: api.ErrValidation, field: "idle_timeout_minutes"},
			{name: "negative idle timeout", body: sp("idle_timeout_minutes", -1), want: api.ErrValidation, field: "idle_timeout_minutes"},
			{name: "bad timeout action", body: sp("on_timeout", "maybe"), want: api.ErrValidation, field: "on_timeout"},
			{name: "bad prompt rule", body: sp("prompt_customer", "sometimes"), want: api.ErrValidation, field: "prompt_customer"},
			{name: "record flag of the wrong type", body: sp("record_shell", "yes"), want: api.ErrValidation, field: "record_shell"},
			{name: "screen control without screen view", body: sp("permissions.screen_control", true), want: api.ErrValidation, field: "permissions.screen_control"},
			{name: "file write without file read", body: sp("permissions.file_read", false, "permissions.file_write", true), want: api.ErrValidation, field: "permissions.file_write"},
			{name: "code name taken", body: sp("code_name", fx.sessionPolicy.CodeName), want: api.ErrConflict, field: "code_name"},
		},
		api.PathJumpoints: {
			{name: "unknown field", body: jpt("rdp_enabled", true), want: api.ErrBadRequest, field: "rdp_enabled"},
			{name: "enabled of the wrong type", body: jpt("enabled", "yes"), want: api.ErrValidation, field: "enabled"},
			{name: "clustered of the wrong type", body: jpt("clustered", 1), want: api.ErrValidation, field: "clustered"},
			{name: "unknown platform", body: jpt("platform", "amiga"), want: api.ErrValidation, field: "platform"},
			{name: "name of 129 characters", body: jpt("name", long(129)), want: api.ErrValidation, field: "name"},
			{name: "proxy enabled without hostname", body: jpt("jump_zone_proxy.enabled", true), want: api.ErrValidation, field: "jump_zone_proxy.hostname"},
			{name: "bad proxy hostname", body: jpt("jump_zone_proxy.hostname", "bad host"), want: api.ErrValidation, field: "jump_zone_proxy.hostname"},
			{name: "proxy port 65536", body: jpt("jump_zone_proxy.port", 65536), want: api.ErrValidation, field: "jump_zone_proxy.port"},
			{name: "negative proxy port", body: jpt("jump_zone_proxy.port", -1), want: api.ErrValidation, field: "jump_zone_proxy.port"},
			{name: "bad client CIDR", body: jpt("jump_zone_proxy.allowed_client_cidrs", []any{"10.0.0.0/33"}), want: api.ErrValidation, field: "jump_zone_proxy.allowed_client_cidrs[0]"},
			{name: "code name taken", body: jpt("code_name", fx.jumpoint.CodeName), want: api.ErrConflict, field: "code_name"},
		},
		api.PathJumpClientInstallers: {
			{name: "unknown field", body: ins("installer_secret", "x"), want: api.ErrBadRequest, field: "installer_secret"},
			{name: "valid duration of the wrong type", body: ins("valid_duration", "1d"), want: api.ErrValidation, field: "valid_duration"},
			{name: "fractional valid duration", body: ins("valid_duration", 60.5), want: api.ErrValidation, field: "valid_duration"},
			{name: "huge valid duration", body: ins("valid_duration", 1e20), want: api.ErrValidation, field: "valid_duration"},
			{name: "valid duration of 9 minutes", body: ins("valid_duration", 9), want: api.ErrValidation, field: "valid_duration"},
			{name: "valid duration of 525601 minutes", body: ins("valid_duration", 525601), want: api.ErrValidation, field: "valid_duration"},
			{name: "jump group missing", body: ins("jump_group_id", nil), want: api.ErrValidation, field: "jump_group_id"},
			{name: "dangling jump group", body: ins("jump_group_id", missing), want: api.ErrValidation, field: "jump_group_id"},
			{name: "dangling personal owner", body: ins("jump_group_type", "personal", "jump_group_id", missing), want: api.ErrValidation, field: "jump_group_id"},
			{name: "bad owner type", body: ins("jump_group_type", "team"), want: api.ErrValidation, field: "jump_group_type"},
			{name: "dangling jump policy", body: ins("jump_policy_id", missing), want: api.ErrValidation, field: "jump_policy_id"},
			{name: "dangling public portal", body: ins("public_portal_id", missing), want: api.ErrValidation, field: "public_portal_id"},
			{name: "dangling attended session policy", body: ins("attended_session_policy_id", missing), want: api.ErrValidation, field: "attended_session_policy_id"},
			{name: "dangling unattended session policy", body: ins("unattended_session_policy_id", missing), want: api.ErrValidation, field: "unattended_session_policy_id"},
			{name: "dangling jumpoint proxy", body: ins("jumpoint_proxy_id", missing), want: api.ErrValidation, field: "jumpoint_proxy_id"},
			{name: "jumpoint that is no proxy", body: ins("jumpoint_proxy_id", fx.jumpoint.ID), want: api.ErrValidation, field: "jumpoint_proxy_id"},
			{name: "max offline of 3 minutes", body: ins("max_offline_minutes", 3), want: api.ErrValidation, field: "max_offline_minutes"},
			{name: "max offline of 525601 minutes", body: ins("max_offline_minutes", 525601), want: api.ErrValidation, field: "max_offline_minutes"},
			{name: "bad connection type", body: ins("connection_type", "sometimes"), want: api.ErrValidation, field: "connection_type"},
			{name: "bad start mode", body: ins("customer_client_start_mode", "fullscreen"), want: api.ErrValidation, field: "customer_client_start_mode"},
			{name: "bad direct queue", body: ins("support_button_direct_queue", "queue:ops"), want: api.ErrValidation, field: "support_button_direct_queue"},
			{name: "bad support button profile", body: ins("support_button_profile", "-x"), want: api.ErrValidation, field: "support_button_profile"},
			{name: "tag of 65 characters", body: ins("tag", long(65)), want: api.ErrValidation, field: "tag"},
			{name: "name of 129 characters", body: ins("name", long(129)), want: api.ErrValidation, field: "name"},
		},
		api.PathProtocolTunnelJumps: {
			{name: "unknown nested field", body: tj("tunnel_definitions", []any{map[string]any{"remote_port": 22, "protocol": "udp"}}), want: api.ErrBadRequest, field: "tunnel_definitions[0].protocol"},
			{name: "remote port of the wrong type", body: tj("tunnel_definitions", []any{def(0, "22")}), want: api.ErrValidation, field: "tunnel_definitions[0].remote_port"},
			{name: "remote port 0", body: tj("tunnel_definitions", []any{def(0, 0)}), want: api.ErrValidation, field: "tunnel_definitions[0].remote_port"},
			{name: "remote port 65536", body: tj("tunnel_definitions", []any{def(0, 65536)}), want: api.ErrValidation, field: "tunnel_definitions[0].remote_port"},
			{name: "local port -1", body: tj("tunnel_definitions", []any{def(-1, 22)}), want: api.ErrValidation, field: "tunnel_definitions[0].local_port"},
			{name: "local port 65536", body: tj("tunnel_definitions", []any{def(65536, 22)}), want: api.ErrValidation, field: "tunnel_definitions[0].local_port"},
			{name: "no tunnel definitions", body: tj("tunnel_definitions", []any{}), want: api.ErrValidation, field: "tunnel_definitions"},
			{name: "tunnel definitions missing", body: tj("tunnel_definitions", nil), want: api.ErrValidation, field: "tunnel_definitions"},
			{name: "101 tunnel definitions", body: tj("tunnel_definitions", manyDefs), want: api.ErrValidation, field: "tunnel_definitions"},
			{name: "duplicate local ports", body: tj("tunnel_definitions", []any{def(8080, 80), def(8080, 8080)}), want: api.ErrValidation, field: "tunnel_definitions[1].local_port"},
			{name: "listen address outside loopback", body: tj("tunnel_listen_address", "10.0.0.1"), want: api.ErrValidation, field: "tunnel_listen_address"},
			{name: "listen address IPv6", body: tj("tunnel_listen_address", "::1"), want: api.ErrValidation, field: "tunnel_listen_address"},
			{name: "listen address a name", body: tj("tunnel_listen_address", "localhost"), want: api.ErrValidation, field: "tunnel_listen_address"},
			{name: "bad hostname", body: tj("hostname", "db internal"), want: api.ErrValidation, field: "hostname"},
			{name: "hostname missing", body: tj("hostname", nil), want: api.ErrValidation, field: "hostname"},
			{name: "jumpoint missing", body: tj("jumpoint_id", nil), want: api.ErrValidation, field: "jumpoint_id"},
			{name: "dangling jumpoint", body: tj("jumpoint_id", missing), want: api.ErrValidation, field: "jumpoint_id"},
			{name: "jumpoint without protocol tunnels", body: tj("jumpoint_id", fx.plainJumpoint.ID), want: api.ErrValidation, field: "jumpoint_id"},
			{name: "dangling jump group", body: tj("jump_group_id", missing), want: api.ErrValidation, field: "jump_group_id"},
			{name: "dangling personal owner", body: tj("jump_group_type", "personal", "jump_group_id", missing), want: api.ErrValidation, field: "jump_group_id"},
			{name: "dangling jump policy", body: tj("jump_policy_id", missing), want: api.ErrValidation, field: "jump_policy_id"},
			{name: "dangling session policy", body: tj("session_policy_id", missing), want: api.ErrValidation, field: "session_policy_id"},
			{name: "patch: remote port 0", method: http.MethodPatch, path: itemPath(api.PathProtocolTunnelJumps, fx.tunnelJump.ID), body: map[string]any{"tunnel_definitions": []any{def(0, 0)}}, want: api.ErrValidation, field: "tunnel_definitions[0].remote_port"},
			{name: "patch: jumpoint without protocol tunnels", method: http.MethodPatch, path: itemPath(api.PathProtocolTunnelJumps, fx.tunnelJump.ID), body: map[string]any{"jumpoint_id": fx.plainJumpoint.ID}, want: api.ErrValidation, field: "jumpoint_id"},
		},
		api.PathPublicPortals: {
			{name: "unknown field", body: pp("theme", "dark"), want: api.ErrBadRequest, field: "theme"},
			{name: "default of the wrong type", body: pp("default", "yes"), want: api.ErrValidation, field: "default"},
			{name: "bad hostname", body: pp("hostname", "support portal"), want: api.ErrValidation, field: "hostname"},
			{name: "hostname missing", body: pp("hostname", nil), want: api.ErrValidation, field: "hostname"},
			{name: "display name of 129 characters", body: pp("display_name", long(129)), want: api.ErrValidation, field: "display_name"},
			{name: "dangling session policy", body: pp("session_policy_id", missing), want: api.ErrValidation, field: "session_policy_id"},
			{name: "hostname taken", body: pp("hostname", strings.ToUpper(fx.portal.Hostname)+"."), want: api.ErrConflict, field: "hostname"},
		},
		api.PathUsers: {
			{name: "password hash is no field", body: usr("password_hash", "$argon2id$x"), want: api.ErrBadRequest, field: "password_hash"},
			{name: "admin of the wrong type", body: usr("admin", "yes"), want: api.ErrValidation, field: "admin"},
			{name: "username with a space", body: usr("username", "bad user"), want: api.ErrValidation, field: "username"},
			{name: "username of 65 characters", body: usr("username", long(65)), want: api.ErrValidation, field: "username"},
			{name: "username missing", body: usr("username", nil), want: api.ErrValidation, field: "username"},
			{name: "password of 11 characters", body: usr("password", long(11)), want: api.ErrValidation, field: "password"},
			{name: "password of 257 characters", body: usr("password", long(257)), want: api.ErrValidation, field: "password"},
			{name: "bad email", body: usr("email", "alice"), want: api.ErrValidation, field: "email"},
			{name: "username taken", body: usr("username", "admin"), want: api.ErrConflict, field: "username"},
		},
		api.PathGroupPolicies: {
			{name: "unknown field", body: gp("admins", true), want: api.ErrBadRequest, field: "admins"},
			{name: "members of the wrong type", body: gp("members", "1"), want: api.ErrValidation, field: "members"},
			{name: "member of the wrong type", body: gp("members", []any{"1"}), want: api.ErrValidation, field: "members[0]"},
			{name: "dangling member", body: gp("members", []any{missing}), want: api.ErrValidation, field: "members[0]"},
			{name: "member listed twice", body: gp("members", []any{fx.adminID, fx.adminID}), want: api.ErrValidation, field: "members[1]"},
			{name: "dangling jump group", body: gp("jump_groups", []any{map[string]any{"jump_group_id": missing, "role": "view"}}), want: api.ErrValidation, field: "jump_groups[0].jump_group_id"},
			{name: "bad role", body: gp("jump_groups", []any{map[string]any{"jump_group_id": fx.group.ID, "role": "boss"}}), want: api.ErrValidation, field: "jump_groups[0].role"},
			{name: "dangling jump policy", body: gp("jump_groups", []any{map[string]any{"jump_group_id": fx.group.ID, "role": "view", "jump_policy_id": missing}}), want: api.ErrValidation, field: "jump_groups[0].jump_policy_id"},
			{name: "name of 129 characters", body: gp("name", long(129)), want: api.ErrValidation, field: "name"},
			{name: "name taken", body: gp("name", fx.groupPolicy.Name), want: api.ErrConflict, field: "name"},
		},
		api.PathAPITokens: {
			{name: "hash is no field", body: tok("hash", "00"), want: api.ErrBadRequest, field: "hash"},
			{name: "name of the wrong type", body: tok("name", 5), want: api.ErrValidation, field: "name"},
			{name: "name missing", body: tok("name", nil), want: api.ErrValidation, field: "name"},
			{name: "name of 129 characters", body: tok("name", long(129)), want: api.ErrValidation, field: "name"},
			{name: "expiry in the past", body: tok("expires_at", past), want: api.ErrValidation, field: "expires_at"},
			{name: "expiry that is not a time", body: tok("expires_at", "never"), want: api.ErrValidation, field: "expires_at"},
			{name: "dangling user", body: tok("user_id", missing), want: api.ErrValidation, field: "user_id"},
			{name: "negative user", body: tok("user_id", -1), want: api.ErrValidation, field: "user_id"},
		},
		api.PathJumpClientSettings: {
			{name: "unknown field", body: set("auto_update", true), want: api.ErrBadRequest, field: "auto_update"},
			{name: "interval of the wrong type", body: set("statistics_interval_seconds", "60"), want: api.ErrValidation, field: "statistics_interval_seconds"},
			{name: "interval of 14 seconds", body: set("statistics_interval_seconds", 14), want: api.ErrValidation, field: "statistics_interval_seconds"},
			{name: "interval of 86401 seconds", body: set("statistics_interval_seconds", 86401), want: api.ErrValidation, field: "statistics_interval_seconds"},
			{name: "statistic listed twice", body: set("statistics", []any{"cpu", "cpu"}), want: api.ErrValidation, field: "statistics"},
			{name: "unknown statistic", body: set("statistics", []any{"gpu"}), want: api.ErrValidation, field: "statistics[0]"},
			{name: "lost after 14 days", body: set("lost_after_days", 14), want: api.ErrValidation, field: "lost_after_days"},
			{name: "deleted after 14 days", body: set("deleted_after_days", 14), want: api.ErrValidation, field: "deleted_after_days"},
			{name: "lost not before deleted", body: set("lost_after_days", 100, "deleted_after_days", 100), want: api.ErrValidation, field: "lost_after_days"},
			{name: "lost after deleted", body: set("lost_after_days", 200, "deleted_after_days", 100), want: api.ErrValidation, field: "lost_after_days"},
			{name: "standby check-in of 1441 minutes", body: set("standby_check_in_minutes", 1441), want: api.ErrValidation, field: "standby_check_in_minutes"},
			{name: "bad upgrade mode", body: set("upgrade_mode", "never"), want: api.ErrValidation, field: "upgrade_mode"},
			{name: "bad uninstalled behavior", body: set("uninstalled_behavior", "ignore"), want: api.ErrValidation, field: "uninstalled_behavior"},
			{name: "patch: lost not before deleted", method: http.MethodPatch, body: map[string]any{"lost_after_days": 180}, want: api.ErrValidation, field: "lost_after_days"},
			{name: "patch: unknown field", method: http.MethodPatch, body: map[string]any{"auto_update": true}, want: api.ErrBadRequest, field: "auto_update"},
		},
	}
	for _, path := range []string{api.PathJumpGroups, api.PathJumpPolicies, api.PathSessionPolicies, api.PathJumpoints,
		api.PathJumpClientInstallers, api.PathProtocolTunnelJumps, api.PathPublicPortals, api.PathUsers,
		api.PathGroupPolicies, api.PathAPITokens, api.PathJumpClientSettings} {
		t.Run(path, func(t *testing.T) {
			require.NotEmpty(t, tests[path])
			for _, tt := range tests[path] {
				t.Run(tt.name, func(t *testing.T) {
					method, p := tt.method, tt.path
					if method == "" {
						method = http.MethodPost
						if path == api.PathJumpClientSettings {
							method = http.MethodPut
						}
					}
					if p == "" {
						p = path
					}
					_, err := c.Do(ctx, method, p, nil, tt.body, nil)
					if tt.want == api.ErrConflict {
						assertProblem(t, err, tt.want, "")
						assert.Contains(t, problemDetail(err), tt.field)
						return
					}
					assertProblem(t, err, tt.want, tt.field)
				})
			}
		})
	}
	delete(tests, api.PathJumpClientSettings)

	t.Run("nothing was written", func(t *testing.T) {
		assert.Equal(t, eventsBefore, countAuditEvents(t, c), "a refused request must not write")
		g, err := c.GetJumpGroup(ctx, fx.group.ID)
		require.NoError(t, err)
		assert.Equal(t, group.Version, g.Version)
		cur, err := c.GetJumpClientSettings(ctx)
		require.NoError(t, err)
		assert.Equal(t, settings.Version, cur.Version)
	})
}

func countAuditEvents(t *testing.T, c *api.Client) int {
	t.Helper()
	all, err := api.ListAll(context.Background(), c.ListAuditEvents, &api.ListOptions{Limit: 500})
	require.NoError(t, err)
	return len(all)
}

// testMalformedRequests sends requests that are not JSON objects, or that
// address nothing, over plain HTTP.
func testMalformedRequests(t *testing.T, s *appliancetest.Server, fx *fixtures) {
	hc := s.Admin.HTTPClient()
	group := itemPath(api.PathJumpGroups, fx.group.ID)
	tests := []struct {
		name    string
		method  string
		path    string
		body    string
		header  map[string]string
		want    int
		problem bool
	}{
		{name: "truncated JSON", method: http.MethodPost, path: api.PathJumpGroups, body: `{"name":`, want: http.StatusBadRequest, problem: true},
		{name: "array body", method: http.MethodPost, path: api.PathJumpGroups, body: `[]`, want: http.StatusBadRequest, problem: true},
		{name: "string body", method: http.MethodPost, path: api.PathJumpGroups, body: `"ops"`, want: http.StatusBadRequest, problem: true},
		{name: "empty body", method: http.MethodPost, path: api.PathJumpGroups, body: ``, want: http.StatusBadRequest, problem: true},
		{name: "two objects", method: http.MethodPost, path: api.PathJumpGroups, body: `{}{}`, want: http.StatusBadRequest, problem: true},
		{name: "body over 1 MiB", method: http.MethodPost, path: api.PathJumpGroups, body: `{"comments":"` + long(1<<20) + `"}`, want: http.StatusBadRequest, problem: true},
		{name: "merge patch that is no object", method: http.MethodPatch, path: group, body: `[{"op":"replace"}]`, want: http.StatusBadRequest, problem: true},
		{name: "malformed merge patch", method: http.MethodPatch, path: group, body: `{"name"`, want: http.StatusBadRequest, problem: true},
		{name: "malformed If-Match", method: http.MethodDelete, path: group, header: map[string]string{"If-Match": "yesterday"}, want: http.StatusBadRequest, problem: true},
		{name: "id that is no number", method: http.MethodGet, path: api.PathJumpGroups + "/ops", want: http.StatusNotFound, problem: true},
		{name: "id 0", method: http.MethodGet, path: api.PathJumpGroups + "/0", want: http.StatusNotFound, problem: true},
		{name: "negative id", method: http.MethodDelete, path: api.PathJumpGroups + "/-1", want: http.StatusNotFound, problem: true},
		{name: "unknown collection", method: http.MethodGet, path: "jump-things", want: http.StatusNotFound, problem: true},
		{name: "method not allowed", method: http.MethodPost, path: group, body: `{}`, want: http.StatusMethodNotAllowed, problem: true},
		{name: "settings cannot be deleted", method: http.MethodDelete, path: api.PathJumpClientSettings, want: http.StatusMethodNotAllowed, problem: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, s.URL+"/api/v1/"+tt.path, bytes.NewBufferString(tt.body))
			require.NoError(t, err)
			req.Header.Set("Authorization", "Bearer "+s.AdminToken)
			req.Header.Set("Content-Type", "application/json")
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			resp, err := hc.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			assert.Equal(t, tt.want, resp.StatusCode, "body: %s", b)
			if tt.problem {
				assert.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
				assert.Contains(t, string(b), `"status":`)
			}
		})
	}
}

// testListQueries checks the refusals of list query parameters on every
// collection.
func testListQueries(t *testing.T, s *appliancetest.Server) {
	ctx := context.Background()
	c := s.Admin
	paths := []string{api.PathJumpGroups, api.PathJumpPolicies, api.PathSessionPolicies, api.PathJumpoints,
		api.PathJumpClientInstallers, api.PathProtocolTunnelJumps, api.PathPublicPortals, api.PathUsers,
		api.PathGroupPolicies, api.PathAPITokens, api.PathAuditEvents}
	tests := []struct {
		name  string
		query url.Values
		want  error
		field string
	}{
		{name: "limit 0", query: url.Values{"limit": {"0"}}, want: api.ErrValidation, field: "limit"},
		{name: "limit 501", query: url.Values{"limit": {"501"}}, want: api.ErrValidation, field: "limit"},
		{name: "negative limit", query: url.Values{"limit": {"-1"}}, want: api.ErrValidation, field: "limit"},
		{name: "limit that is no number", query: url.Values{"limit": {"ten"}}, want: api.ErrValidation, field: "limit"},
		{name: "forged cursor", query: url.Values{"cursor": {"garbage!"}}, want: api.ErrValidation, field: "cursor"},
		{name: "cursor of another format", query: url.Values{"cursor": {"aWQ6LTE"}}, want: api.ErrValidation, field: "cursor"},
		{name: "unknown parameter", query: url.Values{"colour": {"red"}}, want: api.ErrBadRequest, field: "colour"},
		{name: "limit 500", query: url.Values{"limit": {"500"}}},
	}
	for _, path := range paths {
		t.Run(path, func(t *testing.T) {
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					_, err := c.Do(ctx, http.MethodGet, path, tt.query, nil, &api.List[map[string]any]{})
					if tt.want == nil {
						assert.NoError(t, err)
						return
					}
					assertProblem(t, err, tt.want, tt.field)
				})
			}
		})
	}
	typed := []struct {
		path  string
		query url.Values
		field string
	}{
		{api.PathProtocolTunnelJumps, url.Values{"jump_group_id": {"ops"}}, "jump_group_id"},
		{api.PathJumpClientInstallers, url.Values{"jump_group_id": {"1.5"}}, "jump_group_id"},
		{api.PathJumpoints, url.Values{"enabled": {"maybe"}}, "enabled"},
		{api.PathUsers, url.Values{"admin": {"sometimes"}}, "admin"},
		{api.PathAPITokens, url.Values{"user_id": {"me"}}, "user_id"},
		{api.PathAuditEvents, url.Values{"since": {"yesterday"}}, "since"},
		{api.PathAuditEvents, url.Values{"until": {"2026-13-01T00:00:00Z"}}, "until"},
		{api.PathAuditEvents, url.Values{"object_id": {"ops"}}, "object_id"},
	}
	for _, tt := range typed {
		t.Run(tt.path+" filter "+tt.field, func(t *testing.T) {
			_, err := c.Do(ctx, http.MethodGet, tt.path, tt.query, nil, &api.List[map[string]any]{})
			assertProblem(t, err, api.ErrValidation, tt.field)
		})
	}
}
