package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
)

// TestCLI_SessionsAgainstAppliance drives the session commands that need
// no agent against a real appliance: the refusal of an item that cannot be
// reached, empty session and approval lists, and access codes. The paths
// with real agents are in test/e2e.
func TestCLI_SessionsAgainstAppliance(t *testing.T) {
	s := appliancetest.NewServer(t)
	ctx := context.Background()
	vars := map[string]string{envConfigDir: t.TempDir(), api.EnvURL: s.URL, api.EnvToken: s.AdminToken, api.EnvCACert: s.CAFile}

	// A Protocol Tunnel Jump whose Jumpoint has no node connected.
	g, err := s.Admin.CreateJumpGroup(ctx, &api.JumpGroup{Name: "Lab", CodeName: "lab"})
	require.NoError(t, err)
	jp, err := s.Admin.CreateJumpoint(ctx, &api.Jumpoint{Name: "Lab", CodeName: "lab", ProtocolTunnelEnabled: true})
	require.NoError(t, err)
	item, err := s.Admin.CreateProtocolTunnelJump(ctx, &api.ProtocolTunnelJump{Name: "db", JumpointID: jp.ID, Hostname: "db.internal",
		TunnelDefinitions: []api.TunnelDefinition{{RemotePort: 5432}}, JumpGroupID: g.ID})
	require.NoError(t, err)

	r := runCLI(t, vars, "", "items", "list")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Regexp(t, fmt.Sprintf(`tunnel\s+%d\s+db\s+%d\s+jumpoint offline\s+db.internal:5432\n`, item.ID, g.ID), r.stdout)

	r = runCLI(t, vars, "", "tunnel", "db")
	assert.Equal(t, 1, r.code)
	assert.Empty(t, r.stdout, "no tunnel line for a refused session")
	assert.True(t, strings.HasPrefix(r.stderr, "jumpgate: session refused (endpoint_offline): "), r.stderr)
	assert.Equal(t, 1, strings.Count(r.stderr, "\n"), "one line: %q", r.stderr)

	r = runCLI(t, vars, "", "shell", "client:999")
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "jumpgate: no jump client with id 999 (or you may not see it)\n", r.stderr)

	r = runCLI(t, vars, "", "sessions", "list", "-o", "json")
	require.Equal(t, 0, r.code, r.stderr)
	assert.JSONEq(t, `[]`, r.stdout)
	r = runCLI(t, vars, "", "sessions", "list", "--all", "-o", "json")
	require.Equal(t, 0, r.code, r.stderr)
	var all []api.Session
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &all))
	require.Len(t, all, 1, "the refused session is on record")
	assert.Equal(t, api.SessionRefused, all[0].Status)
	assert.Equal(t, item.ID, all[0].ItemID)

	r = runCLI(t, vars, "", "sessions", "show", fmt.Sprint(all[0].ID))
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Status:")
	assert.Contains(t, r.stdout, "refused ("+all[0].RefusedReason+")")

	r = runCLI(t, vars, "", "approvals", "list", "-o", "json")
	require.Equal(t, 0, r.code, r.stderr)
	assert.JSONEq(t, `[]`, r.stdout)
	r = runCLI(t, vars, "", "approvals", "list")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "ID  ITEM  REQUESTER  STATUS  REQUESTED  EXPIRES  REASON\n", r.stdout)

	r = runCLI(t, vars, "", "codes", "create", "--comment", "reception", "-o", "json")
	require.Equal(t, 0, r.code, r.stderr)
	var code api.AccessCode
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &code))
	assert.NotEmpty(t, code.Code)
	assert.NotEmpty(t, code.JoinCommand)
	assert.Equal(t, api.CodePending, code.Status)

	r = runCLI(t, vars, "", "codes", "create")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Regexp(t, `^Code:     \S+\nExpires:  \d\d:\d\d:\d\d \(in .+\)\nJoin:     .+\n$`, r.stdout)

	r = runCLI(t, vars, "", "codes", "list", "-o", "json")
	require.Equal(t, 0, r.code, r.stderr)
	var codes []api.AccessCode
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &codes))
	require.Len(t, codes, 2)
	for _, c := range codes {
		assert.Empty(t, c.Code, "a code is shown once")
	}
	r = runCLI(t, vars, "", "codes", "list", "--status", "used")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "ID  STATUS  CREATED  EXPIRES  SESSION  USER  COMMENT\n", r.stdout)
}
