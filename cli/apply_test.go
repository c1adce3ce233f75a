package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
)

func parseDocs(t *testing.T, text string) ([]*applyDoc, docErrors) {
	t.Helper()
	var errs docErrors
	docs := parseApplyFile("f.yaml", []byte(text), &errs)
	return docs, errs
}

func TestParseApplyFile(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		docs    int
		wantErr []string
	}{
		{"two documents and an empty one", "collection: jump-groups\ncode_name: a\nname: A\n---\n---\ncollection: jump-group\ncode_name: b\nname: B\n", 2, nil},
		{"json is yaml", `{"collection": "users", "username": "bob"}`, 1, nil},
		{"no collection", "code_name: a\n", 0, []string{"f.yaml document 1 (line 1): collection: missing"}},
		{"unknown collection", "collection: nope\n", 0, []string{`collection: unknown collection "nope"`}},
		{"no unique key", "collection: api-tokens\nname: t\n", 0, []string{"collection api-tokens has no unique key"}},
		{"the settings singleton needs no key", "collection: settings\nlost_after_days: 30\n---\ncollection: jump-client-settings\n", 2, nil},
		{"key missing", "collection: public-portals\ndisplay_name: P\n", 0, []string{"hostname: missing; apply matches public-portals by hostname"}},
		{"key not a string", "collection: jump-groups\ncode_name: 5\n", 0, []string{"code_name: missing"}},
		{"not a mapping", "collection: users\nusername: a\n---\n- x\n", 1, []string{"f.yaml document 2 (line 4): want a mapping of fields, not a list"}},
		{"duplicate field", "collection: users\nusername: a\nusername: b\n", 0, []string{`"username" is given twice`}},
		{"alias refused", "collection: users\nusername: &u a\ndisplay_name: *u\n", 0, []string{"anchors and aliases are not supported"}},
		{"bad ref key", "collection: protocol-tunnel-jumps\nname: x\njumpoint: {name: dc1}\n", 0, []string{`jumpoint: "name" is not a key it can be found by; write {code_name: …}`}},
		{"ref with two keys", "collection: protocol-tunnel-jumps\nname: x\njump_group: {code_name: a, username: b}\n", 0, []string{"jump_group: a reference by key names one key, {code_name: …} or {username: …}"}},
		{"ref and id", "collection: protocol-tunnel-jumps\nname: x\njump_group: {code_name: a}\njump_group_id: 3\n", 0, []string{"give jump_group or jump_group_id, not both"}},
		{"malformed yaml", "collection: users\nusername: a\n---\n{x: [\n", 1, []string{"f.yaml: document 2: malformed YAML"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs, errs := parseDocs(t, tt.text)
			assert.Len(t, docs, tt.docs)
			err := errs.err()
			if len(tt.wantErr) == 0 {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, w := range tt.wantErr {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestParseApplyFile_ReferencesByKey(t *testing.T) {
	docs, errs := parseDocs(t, `collection: jump-groups
code_name: ops
name: Ops
memberships:
  - group_policy: {name: Team}
    role: start
    jump_policy: {code_name: hours}
  - group_policy_id: 7
    role: view
---
collection: protocol-tunnel-jumps
name: db
jump_group: {username: alice}
---
collection: jump-policies
code_name: hours
display_name: Hours
approval_user_ids: [3, {username: bob}]
`)
	require.NoError(t, errs.err())
	require.Len(t, docs, 3)

	g := docs[0]
	require.Len(t, g.refs, 2)
	ms := g.fields["memberships"].([]any)
	m0 := ms[0].(map[string]any)
	assert.Equal(t, refTarget{"name", api.PathGroupPolicies}, m0["group_policy_id"].(*docRef).target)
	assert.Equal(t, "memberships[0].group_policy", m0["group_policy_id"].(*docRef).field)
	assert.Equal(t, "hours", m0["jump_policy_id"].(*docRef).value)
	assert.NotContains(t, m0, "group_policy")
	assert.Equal(t, json.Number("7"), ms[1].(map[string]any)["group_policy_id"])

	// A user's personal list: jump_group_type follows.
	p := docs[1]
	assert.Equal(t, refTarget{"username", api.PathUsers}, p.fields["jump_group_id"].(*docRef).target)
	assert.Equal(t, api.JumpGroupPersonal, p.fields["jump_group_type"])

	ids := docs[2].fields["approval_user_ids"].([]any)
	assert.Equal(t, json.Number("3"), ids[0])
	assert.Equal(t, "bob", ids[1].(*docRef).value)

	// Materialized, placeholders become the ids they resolved to.
	m0["group_policy_id"].(*docRef).id = 11
	m0["jump_policy_id"].(*docRef).doc = docs[2]
	docs[2].id = 12
	out, err := json.Marshal(materialize(g.fields))
	require.NoError(t, err)
	assert.JSONEq(t, `{"code_name":"ops","name":"Ops","memberships":[{"group_policy_id":11,"role":"start","jump_policy_id":12},{"group_policy_id":7,"role":"view"}]}`, string(out))
}

// stateOf builds an applyState from JSON lists by collection.
func stateOf(t *testing.T, lists map[string]string) applyState {
	t.Helper()
	s := applyState{}
	for path, text := range lists {
		var raws []json.RawMessage
		require.NoError(t, json.Unmarshal([]byte(text), &raws))
		var objs []map[string]any
		for _, r := range raws {
			o, err := decodeObject(r)
			require.NoError(t, err)
			objs = append(objs, o)
		}
		coll, err := lookupCollection(path)
		require.NoError(t, err)
		key, err := applyKey(coll)
		require.NoError(t, err)
		require.NoError(t, s.add(path, key, objs))
	}
	return s
}

func planLines(steps []*planStep) []string {
	var out []string
	for _, s := range steps {
		out = append(out, s.String())
	}
	return out
}

func TestPlan_OrderAndActions(t *testing.T) {
	// Written in the "wrong" order: the item first, what it needs after.
	docs, errs := parseDocs(t, `collection: protocol-tunnel-jumps
name: db
hostname: db.example.com
jumpoint: {code_name: dc1}
jump_group: {code_name: ops}
tunnel_definitions: [{remote_port: 5432}]
---
collection: jump-groups
code_name: ops
name: Operations
---
collection: jumpoints
code_name: dc1
name: DC 1
comments: changed
---
collection: users
username: alice
password: a-long-password-here
`)
	require.NoError(t, errs.err())
	state := stateOf(t, map[string]string{
		api.PathJumpoints: `[{"id": 4, "version": 2, "code_name": "dc1", "name": "DC 1", "comments": "old"}]`,
		api.PathUsers:     `[{"id": 2, "version": 1, "username": "alice", "has_password": true}]`,
		api.PathJumpGroups: `[{"id": 9, "version": 1, "code_name": "old", "name": "Old", "labels": {"set": "a"}},
			{"id": 10, "version": 1, "code_name": "ops2", "name": "x"}]`,
	})
	prune := map[string][]*remoteObject{api.PathJumpGroups: state[api.PathJumpGroups]["old"]}
	steps := plan(docs, state, embeddedSchemas(), applyOptions{}, prune, &errs)
	require.NoError(t, errs.err())
	assert.Equal(t, []string{
		"unchanged users username=alice (id 2)", // the password is write-only: never compared
		"update jumpoints code_name=dc1 (id 4): comments",
		"create jump-groups code_name=ops",
		"create protocol-tunnel-jumps name=db",
		"delete jump-groups code_name=old (id 9)",
	}, planLines(steps))
}

func TestPlan_PortalHostnamesAsStored(t *testing.T) {
	docs, errs := parseDocs(t, "collection: public-portals\nhostname: Support.Example.com.\ndisplay_name: S\n---\n"+
		"collection: jump-client-installers\n")
	require.Len(t, docs, 1)
	errs = nil
	state := stateOf(t, map[string]string{api.PathPublicPortals: `[{"id": 1, "version": 1, "hostname": "support.example.com", "display_name": "S"}]`})
	steps := plan(docs, state, embeddedSchemas(), applyOptions{}, nil, &errs)
	require.NoError(t, errs.err())
	assert.Equal(t, []string{"unchanged public-portals hostname=support.example.com (id 1)"}, planLines(steps))
}

func TestPlan_Refusals(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		state map[string]string
		want  string
	}{
		{"dangling reference", "collection: protocol-tunnel-jumps\nname: db\njump_group: {code_name: nope}\n", nil,
			`jump_group: no jump-groups with code_name "nope" in the files or on the appliance`},
		{"duplicate document", "collection: users\nusername: a\n---\ncollection: user\nusername: a\n", nil,
			"f.yaml document 2 (line 4): username: users username=a is also in f.yaml document 1 (line 1)"},
		{"cycle between new objects", `collection: jump-groups
code_name: ops
name: Ops
memberships: [{group_policy: {name: T}, role: view}]
---
collection: group-policies
name: T
jump_groups: [{jump_group: {code_name: ops}, role: view}]
`, nil, "refers back to it before either exists"},
		{"ambiguous key on the appliance", "collection: protocol-tunnel-jumps\nname: db\n",
			map[string]string{api.PathProtocolTunnelJumps: `[{"id": 1, "version": 1, "name": "db"}, {"id": 2, "version": 1, "name": "db"}]`},
			`2 protocol-tunnel-jumps on the appliance have name "db"`},
		{"unknown nested field", "collection: session-policies\ncode_name: s\ndisplay_name: S\npermissions: {shel: true}\n", nil,
			"permissions.shel: unknown field"},
		{"wrong type", "collection: jump-policies\ncode_name: p\ndisplay_name: P\napproval_required: \"yes\"\n", nil,
			"approval_required: must be true or false"},
		{"required on create", "collection: protocol-tunnel-jumps\nname: db\n", nil,
			"hostname: required to create protocol-tunnel-jump"},
		{"read-only field", "collection: jump-groups\ncode_name: a\nname: A\nversion: 3\n", nil,
			"version: read-only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs, errs := parseDocs(t, tt.text)
			require.NoError(t, errs.err())
			plan(docs, stateOf(t, tt.state), embeddedSchemas(), applyOptions{}, nil, &errs)
			err := errs.err()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestPlan_PruneNeedsLabels(t *testing.T) {
	docs, errs := parseDocs(t, "collection: users\nusername: a\nlabels: {set: x}\n---\ncollection: users\nusername: b\n")
	require.NoError(t, errs.err())
	state := stateOf(t, map[string]string{api.PathUsers: `[{"id": 5, "version": 1, "username": "c", "labels": {"set": "x"}}]`})
	plan(docs, state, embeddedSchemas(), applyOptions{prune: map[string]string{"set": "x"}}, nil, &errs)
	err := errs.err()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "f.yaml document 2 (line 5): labels: with --prune -l set=x every document carries that label")
	assert.NotContains(t, err.Error(), "document 1")

	// An object the files refer to is never pruned, and saying so beats
	// deleting what a document needs.
	docs, errs = parseDocs(t, "collection: jump-groups\ncode_name: g\nname: G\nlabels: {set: x}\nmemberships: [{group_policy: {name: T}, role: view}]\n")
	require.NoError(t, errs.err())
	state = stateOf(t, map[string]string{api.PathGroupPolicies: `[{"id": 3, "version": 1, "name": "T", "labels": {"set": "x"}}]`})
	steps := plan(docs, state, embeddedSchemas(), applyOptions{prune: map[string]string{"set": "x"}}, map[string][]*remoteObject{api.PathGroupPolicies: state[api.PathGroupPolicies]["T"]}, &errs)
	require.NoError(t, errs.err())
	assert.Equal(t, []string{"create jump-groups code_name=g"}, planLines(steps))
}

func TestDiffFields(t *testing.T) {
	have := map[string]any{}
	require.NoError(t, json.Unmarshal([]byte(`{}`), &have))
	h, err := decodeObject(json.RawMessage(`{"name": "A", "count": 5, "expires_at": "2027-01-01T00:00:00Z",
		"permissions": {"shell": true, "tunnel": false}, "labels": {"a": "1", "b": "2"},
		"tunnel_definitions": [{"local_port": 0, "remote_port": 22}], "jump_policy_id": 4, "members": [1, 2, 3],
		"memberships": [{"group_policy_id": 1, "role": "view", "jump_policy_id": 2}]}`))
	require.NoError(t, err)
	tests := []struct {
		name string
		want string
		diff []string
	}{
		{"equal", `{"name": "A", "count": 5.0}`, nil},
		{"times by instant", `{"expires_at": "2027-01-01T01:00:00+01:00"}`, nil},
		{"objects merge", `{"permissions": {"shell": true}, "labels": {"b": "2"}}`, nil},
		{"nested change", `{"permissions": {"tunnel": true}}`, []string{"permissions"}},
		{"list entries may leave defaults out", `{"tunnel_definitions": [{"remote_port": 22}]}`, nil},
		{"a list entry losing a set field differs", `{"memberships": [{"group_policy_id": 1, "role": "view"}]}`, []string{"memberships"}},
		{"a list entry naming it is equal", `{"memberships": [{"group_policy_id": 1, "role": "view", "jump_policy_id": 2}]}`, nil},
		{"lists compare whole", `{"tunnel_definitions": [{"remote_port": 22}, {"remote_port": 80}]}`, []string{"tunnel_definitions"}},
		{"lists compare in any order", `{"members": [3, 1, 2]}`, nil},
		{"lists compare as multisets", `{"members": [1, 1, 3]}`, []string{"members"}},
		{"null removes", `{"jump_policy_id": null}`, []string{"jump_policy_id"}},
		{"null of an absent field", `{"session_policy_id": null}`, nil},
		{"changed scalars, sorted", `{"name": "B", "count": 6}`, []string{"count", "name"}},
		{"write-only ignored", `{"password": "secret-secret"}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, err := decodeObject(json.RawMessage(tt.want))
			require.NoError(t, err)
			assert.Equal(t, tt.diff, diffFields(h, want, map[string]bool{"password": true}))
		})
	}
	// A reference to an object not created yet always differs.
	assert.False(t, sameValue(json.Number("4"), &docRef{}))
	assert.True(t, sameValue(json.Number("4"), &docRef{id: 4}))
}

func TestDecodeInput(t *testing.T) {
	m, err := decodeInput([]byte("name: A\ncount: 3\nratio: 0.5\non: true\nwhen: 2027-01-01T00:00:00Z\nnothing: ~\n"))
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"name": "A", "count": json.Number("3"), "ratio": json.Number("0.5"), "on": true,
		"when": "2027-01-01T00:00:00Z", "nothing": nil}, m)
	m, err = decodeInput([]byte(`  {"count": 3}`))
	require.NoError(t, err)
	assert.Equal(t, json.Number("3"), m["count"])
	for _, bad := range []string{"", "  \n", "a: 1\n---\nb: 2\n", "- 1\n", "{\"a\": 1} {}", "x: .inf\n"} {
		_, err := decodeInput([]byte(bad))
		assert.Error(t, err, "%q", bad)
	}
}

// FuzzApplyDocuments feeds the apply parser arbitrary files: it must never
// panic, and what it accepts is a document of a collection apply manages,
// with its key.
func FuzzApplyDocuments(f *testing.F) {
	for _, s := range []string{
		"collection: jump-groups\ncode_name: ops\nname: Ops\n",
		"collection: protocol-tunnel-jumps\nname: db\njump_group: {code_name: ops}\njumpoint: {code_name: dc1}\n---\n",
		"collection: jump-groups\ncode_name: g\nmemberships: [{group_policy: {name: T}, role: view}]\n",
		"collection: jump-policies\ncode_name: p\napproval_user_ids: [1, {username: a}]\n",
		`{"collection": "users", "username": "x", "labels": {"a": "b"}}`,
		"a: &x [1]\nb: *x\n",
		"--- !!binary aGk=\n",
		"<<: {a: 1}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 1<<16 {
			return
		}
		var errs docErrors
		docs := parseApplyFile("fuzz.yaml", b, &errs)
		for _, d := range docs {
			if _, err := applyKey(d.coll); err != nil {
				t.Fatalf("accepted a document of %s: %v", d.coll.path, err)
			}
			if d.value == "" || d.fields[d.key] != d.value {
				t.Fatalf("accepted a document without its key: %v", d.fields)
			}
			if _, err := json.Marshal(materialize(d.fields)); err != nil {
				t.Fatalf("fields do not encode: %v", err)
			}
		}
		if e := errs.err(); e != nil && !strings.HasPrefix(e.Error(), "the files were refused") {
			t.Fatalf("error %q", e)
		}
	})
}
