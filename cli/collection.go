package main

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jumpgate/jumpgate/api"
)

// pathJumpClients is the jump-clients collection.
const pathJumpClients = api.PathJumpClients

// number reads a JSON number of a decoded object: objects are decoded
// with UseNumber (decodeObject), so numbers are json.Number.
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case float64:
		return n, true
	}
	return 0, false
}

// clientCPU shows a client's latest CPU figure.
func clientCPU(o map[string]any) string {
	st, _ := o["statistics"].(map[string]any)
	if v, ok := number(st["cpu_percent"]); ok {
		return fmt.Sprintf("%.0f%%", v)
	}
	return ""
}

// clientUptime shows a client's latest uptime, rounded.
func clientUptime(o map[string]any) string {
	st, _ := o["statistics"].(map[string]any)
	if v, ok := number(st["uptime_seconds"]); ok {
		return (time.Duration(v) * time.Second).Round(time.Minute).String()
	}
	return ""
}

// collection describes how the CLI shows one API collection. Objects are
// handled as JSON maps, so a new field needs no CLI change.
type collection struct {
	// path is the collection under /api/v1 and its canonical CLI name.
	path string
	// singular is the kebab-case name of one object.
	singular string
	// aliases are extra accepted names besides path and singular.
	aliases []string
	// singleton collections are read with "get NAME" and no id.
	singleton bool
	// listOnly collections have no per-object read.
	listOnly bool
	// labeled collections carry labels and take the ?label= list filter.
	labeled bool
	// columns are the table columns of list.
	columns []column
}

// column is one table column; value renders it from an object.
type column struct {
	header string
	value  func(obj map[string]any) string
}

// field is a column that shows one top-level field as is.
func field(header, key string) column {
	return column{header, func(o map[string]any) string { return scalar(o[key]) }}
}

// count is a column that shows the length of an array field.
func count(header, key string) column {
	return column{header, func(o map[string]any) string {
		a, _ := o[key].([]any)
		return fmt.Sprint(len(a))
	}}
}

// timestamp is a column that shows an RFC 3339 field to the second.
func timestamp(header, key string) column {
	return column{header, func(o map[string]any) string {
		s, _ := o[key].(string)
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t.Format(time.RFC3339)
		}
		return scalar(o[key])
	}}
}

// jumpGroupColumn shows the owner of a Jump Item: the group id, or the
// user id marked personal.
var jumpGroupColumn = column{"JUMP GROUP", func(o map[string]any) string {
	id := scalar(o["jump_group_id"])
	if o["jump_group_type"] == api.JumpGroupPersonal {
		return id + " (personal)"
	}
	return id
}}

var collections = []*collection{
	{path: api.PathJumpGroups, labeled: true, singular: "jump-group", columns: []column{
		field("ID", "id"), field("CODE NAME", "code_name"), field("NAME", "name"), count("MEMBERSHIPS", "memberships"),
	}},
	{path: api.PathJumpPolicies, labeled: true, singular: "jump-policy", columns: []column{
		field("ID", "id"), field("CODE NAME", "code_name"), field("DISPLAY NAME", "display_name"),
		field("SIMULTANEOUS", "simultaneous_jumps"), field("SCHEDULE", "schedule_enabled"),
		field("APPROVAL", "approval_required"), timestamp("EXPIRES", "expires_at"),
	}},
	{path: api.PathSessionPolicies, labeled: true, singular: "session-policy", columns: []column{
		field("ID", "id"), field("CODE NAME", "code_name"), field("DISPLAY NAME", "display_name"),
		{"PERMISSIONS", permissions}, field("PROMPT", "prompt_customer"), field("MAX MINUTES", "max_session_minutes"),
	}},
	{path: api.PathJumpoints, labeled: true, singular: "jumpoint", columns: []column{
		field("ID", "id"), field("CODE NAME", "code_name"), field("NAME", "name"), field("PLATFORM", "platform"),
		field("ENABLED", "enabled"), field("CONNECTED", "connected"), field("TUNNELS", "protocol_tunnel_enabled"),
	}},
	{path: api.PathJumpClientInstallers, labeled: true, singular: "jump-client-installer", aliases: []string{"installers", "installer"}, columns: []column{
		field("ID", "id"), field("INSTALLER ID", "installer_id"), field("NAME", "name"), jumpGroupColumn,
		field("CONNECTION", "connection_type"), timestamp("EXPIRES", "expires_at"),
	}},
	{path: pathJumpClients, singular: "jump-client", aliases: []string{"clients", "client"}, columns: []column{
		field("ID", "id"), field("NAME", "name"), field("HOSTNAME", "hostname"), field("STATUS", "status"),
		field("PRIVATE IP", "private_ip"), field("VERSION", "version"), timestamp("LAST SEEN", "last_seen_at"),
		{"CPU", clientCPU}, {"UPTIME", clientUptime}, jumpGroupColumn, field("CONNECTION", "connection_type"), field("TAG", "tag"),
	}},
	{path: api.PathProtocolTunnelJumps, labeled: true, singular: "protocol-tunnel-jump", aliases: []string{"tunnel-jumps", "tunnel-jump"}, columns: []column{
		field("ID", "id"), field("NAME", "name"), field("JUMPOINT", "jumpoint_id"), field("HOSTNAME", "hostname"),
		{"TUNNELS", tunnels}, jumpGroupColumn,
	}},
	{path: api.PathPublicPortals, labeled: true, singular: "public-portal", aliases: []string{"portals", "portal"}, columns: []column{
		field("ID", "id"), field("HOSTNAME", "hostname"), field("DISPLAY NAME", "display_name"),
		field("DEFAULT", "default"), field("SESSION POLICY", "session_policy_id"),
	}},
	{path: api.PathUsers, labeled: true, singular: "user", columns: []column{
		field("ID", "id"), field("USERNAME", "username"), field("ADMIN", "admin"), field("ENABLED", "enabled"),
	}},
	{path: api.PathGroupPolicies, labeled: true, singular: "group-policy", columns: []column{
		field("ID", "id"), field("NAME", "name"), count("MEMBERS", "members"), count("JUMP GROUPS", "jump_groups"),
	}},
	{path: api.PathAPITokens, singular: "api-token", aliases: []string{"tokens", "token"}, columns: []column{
		field("ID", "id"), field("NAME", "name"), field("USER", "user_id"), field("PREFIX", "prefix"),
		timestamp("EXPIRES", "expires_at"), timestamp("LAST USED", "last_used_at"),
	}},
	{path: api.PathAuditEvents, singular: "audit-event", aliases: []string{"audit"}, listOnly: true, columns: []column{
		field("ID", "id"), timestamp("TIME", "time"), field("ACTOR", "actor"), field("ACTION", "action"),
		field("OBJECT TYPE", "object_type"), field("OBJECT ID", "object_id"), field("OBJECT NAME", "object_name"),
		{"CHANGED FIELDS", changedFields},
	}},
	{path: api.PathJumpClientSettings, singular: "jump-client-settings", aliases: []string{"settings"}, singleton: true},
	{path: strings.TrimPrefix(api.PathConsoleSettings, "/api/v1/"), singular: "console-settings", singleton: true},
}

// labeledNames lists the canonical names of the collections with labels.
func labeledNames() []string {
	var out []string
	for _, c := range collections {
		if c.labeled {
			out = append(out, c.path)
		}
	}
	return out
}

// labelsColumn shows an object's labels as sorted key=value pairs.
var labelsColumn = column{"LABELS", func(o map[string]any) string {
	m, _ := o["labels"].(map[string]any)
	pairs := make([]string, 0, len(m))
	for k, v := range m {
		pairs = append(pairs, k+"="+scalar(v))
	}
	sort.Strings(pairs)
	return strings.Join(pairs, ",")
}}

// names returns every name that selects c, canonical first.
func (c *collection) names() []string {
	return append([]string{c.path, c.singular}, c.aliases...)
}

// objectType is the audit log's name for c's objects, e.g. jump_group.
func (c *collection) objectType() string { return strings.ReplaceAll(c.singular, "-", "_") }

// lookupCollection finds a collection by any of its names, in kebab or
// snake case.
func lookupCollection(name string) (*collection, error) {
	n := strings.ToLower(strings.ReplaceAll(name, "_", "-"))
	for _, c := range collections {
		for _, alias := range c.names() {
			if n == alias {
				return c, nil
			}
		}
	}
	return nil, fmt.Errorf("unknown collection %q; valid names: %s", name, strings.Join(collectionNames(), ", "))
}

// collectionNames lists the canonical CLI names of every collection, the
// listable ones first.
func collectionNames() []string {
	var out, singletons []string
	for _, c := range collections {
		if c.singleton {
			singletons = append(singletons, c.aliases...)
			singletons = append(singletons, c.singular)
			continue
		}
		out = append(out, c.path)
	}
	return append(out, singletons...)
}

// scalar renders a decoded JSON value for a table cell.
func scalar(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		return fmt.Sprint(v)
	default:
		b, _ := json.Marshal(v)
		return string(b)
	}
}

// tunnels renders tunnel_definitions as "0->22,5432->5432".
func tunnels(o map[string]any) string {
	defs, _ := o["tunnel_definitions"].([]any)
	parts := make([]string, 0, len(defs))
	for _, d := range defs {
		m, _ := d.(map[string]any)
		parts = append(parts, scalar(m["local_port"])+"->"+scalar(m["remote_port"]))
	}
	return strings.Join(parts, ",")
}

// permissions renders the granted permissions of a session policy.
func permissions(o map[string]any) string {
	p, _ := o["permissions"].(map[string]any)
	var on []string
	for k, v := range p {
		if v == true {
			on = append(on, k)
		}
	}
	if clip, _ := p["clipboard"].(string); clip != "" && clip != api.ClipboardOff {
		on = append(on, "clipboard:"+clip)
	}
	sort.Strings(on)
	return strings.Join(on, ",")
}

// changedFields renders the field names of an audit event's diff.
func changedFields(o map[string]any) string {
	d, _ := o["diff"].(map[string]any)
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ",")
}
