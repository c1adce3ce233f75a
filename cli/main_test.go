package main

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
)

// The fake appliance below serves canned JSON for a few routes. It checks the
// CLI's argument handling, output and error printing, not the product: the
// end-to-end tests drive the real appliance.

// tokens maps the bearer tokens the fake accepts to their users.
var tokens = map[string]string{"admin-token": "admin", "env-token": "env", "flag-token": "flag"}

var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type fakeAppliance struct {
	*httptest.Server
	caFile string

	mu      sync.Mutex
	queries map[string][]url.Values
}

func newFakeAppliance(t *testing.T) *fakeAppliance {
	t.Helper()
	f := &fakeAppliance{queries: map[string][]url.Values{}}
	f.Server = httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	// The untrusted-CA case makes the server log a handshake error; keep test output clean.
	f.Config.ErrorLog = log.New(io.Discard, "", 0)
	f.StartTLS()
	t.Cleanup(f.Close)
	f.caFile = filepath.Join(t.TempDir(), "ca.pem")
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.Certificate().Raw})
	require.NoError(t, os.WriteFile(f.caFile, ca, 0o600))
	return f
}

// requests returns the queries of every request to path.
func (f *fakeAppliance) requests(path string) []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.queries[path]
}

func (f *fakeAppliance) serve(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/api/v1/")
	f.mu.Lock()
	f.queries[path] = append(f.queries[path], r.URL.Query())
	f.mu.Unlock()

	user, ok := tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
	if !ok {
		problem(w, http.StatusUnauthorized, `{"title":"Unauthorized","status":401,"detail":"missing or invalid token"}`)
		return
	}
	cursor := r.URL.Query().Get("cursor")
	switch {
	case path == "whoami":
		answer(w, `{"user_id":1,"username":"`+user+`","admin":`+boolJSON(user == "admin")+`,"token_id":7,"version":"test"}`)
	case path == "jump-groups" && cursor == "":
		answer(w, `{"items":[
			{"id":1,"code_name":"ops","name":"Operations","memberships":[{"group_policy_id":1,"role":"start"}],
				"labels":{"team":"ops","jumpgate.dev/managed-by":"jumpgate-operator"}},
			{"id":2,"code_name":"dev","name":"Development","memberships":[],"labels":{}}],"next_cursor":"c2"}`)
	case path == "jump-groups" && cursor == "c2":
		answer(w, `{"items":[{"id":3,"code_name":"qa","name":"Quality\tAssurance","memberships":null}],"next_cursor":""}`)
	case path == "jump-groups/1":
		answer(w, `{"id":1,"version":4,"code_name":"ops","name":"Operations","memberships":[]}`)
	case path == "protocol-tunnel-jumps":
		answer(w, `{"items":[{"id":5,"name":"db","jumpoint_id":2,"hostname":"db.internal","jump_group_id":9,
			"jump_group_type":"personal","tunnel_definitions":[{"local_port":0,"remote_port":22},{"local_port":5432,"remote_port":5432}]}]}`)
	case path == "audit-events":
		answer(w, `{"items":[{"id":11,"time":"2026-03-01T11:30:00.123Z","actor":"admin","action":"update",
			"object_type":"jump_group","object_id":1,"object_name":"ops","diff":{"name":{"old":"a","new":"b"},"code_name":{"old":"x","new":"y"}}}]}`)
	case path == "settings/jump-clients":
		answer(w, `{"version":2,"upgrade_mode":"always","statistics":["cpu","disk"]}`)
	case path == "users":
		problem(w, http.StatusUnprocessableEntity, `{"type":"https://jumpgate.dev/problems/validation","title":"Validation Failed","status":422,
			"errors":[{"field":"limit","detail":"must be an integer from 1 to 500"},{"field":"enabled","detail":"must be true or false"}]}`)
	default:
		problem(w, http.StatusNotFound, `{"title":"Not Found","status":404,"detail":"no route"}`)
	}
}

func answer(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(body))
}

func problem(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

func boolJSON(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

type result struct {
	code           int
	stdout, stderr string
}

// runCLI runs the CLI in process with only the given environment; the config
// dir is a fresh temporary one unless vars names another.
func runCLI(t *testing.T, vars map[string]string, stdin string, args ...string) result {
	t.Helper()
	if _, ok := vars[envConfigDir]; !ok {
		vars = withVar(vars, envConfigDir, t.TempDir())
	}
	var stdout, stderr strings.Builder
	e := env{
		stdin:  strings.NewReader(stdin),
		stdout: &stdout,
		stderr: &stderr,
		getenv: func(k string) string { return vars[k] },
		now:    func() time.Time { return testNow },
	}
	code := e.run(context.Background(), args)
	return result{code, stdout.String(), stderr.String()}
}

func withVar(vars map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for k, v := range vars {
		out[k] = v
	}
	return out
}

// loggedIn returns an environment whose config dir holds a login to f.
func loggedIn(t *testing.T, f *fakeAppliance) map[string]string {
	t.Helper()
	vars := map[string]string{envConfigDir: t.TempDir()}
	r := runCLI(t, vars, "", "login", "--url", f.URL, "--token", "admin-token", "--ca-cert", f.caFile)
	require.Equal(t, 0, r.code, r.stderr)
	return vars
}

func TestLogin(t *testing.T) {
	f := newFakeAppliance(t)
	tests := []struct {
		name  string
		vars  map[string]string
		stdin string
		args  []string
	}{
		{name: "flags", args: []string{"--url", f.URL, "--token", "admin-token", "--ca-cert", f.caFile}},
		{name: "token from stdin", stdin: "admin-token\n", args: []string{"--url", f.URL, "--token", "-", "--ca-cert", f.caFile}},
		{name: "env", vars: map[string]string{api.EnvURL: f.URL, api.EnvToken: "admin-token", api.EnvCACert: f.caFile}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "jumpgate")
			vars := withVar(tt.vars, envConfigDir, dir)
			r := runCLI(t, vars, tt.stdin, append([]string{"login"}, tt.args...)...)
			require.Equal(t, 0, r.code, r.stderr)
			assert.Equal(t, "Logged in to "+f.URL+" as admin (admin)\n", r.stdout)

			st, err := os.Stat(dir)
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o700), st.Mode().Perm())
			st, err = os.Stat(filepath.Join(dir, "config.json"))
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())

			b, err := os.ReadFile(filepath.Join(dir, "config.json"))
			require.NoError(t, err)
			var c storedConfig
			require.NoError(t, json.Unmarshal(b, &c))
			ca, err := os.ReadFile(f.caFile)
			require.NoError(t, err)
			assert.Equal(t, storedConfig{URL: f.URL, Token: "admin-token", CACertPEM: string(ca)}, c)
		})
	}
}

func TestLogin_StoredCAOutlivesFile(t *testing.T) {
	f := newFakeAppliance(t)
	vars := loggedIn(t, f)
	require.NoError(t, os.Remove(f.caFile))

	r := runCLI(t, vars, "", "whoami")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "User:  admin (id 1)")
	assert.Contains(t, r.stdout, "URL:   "+f.URL)

	r = runCLI(t, vars, "", "logout")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "Logged out of "+f.URL+"\n", r.stdout)
	r = runCLI(t, vars, "", "whoami")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "not logged in")
}

func TestLogin_BadTokenStoresNothing(t *testing.T) {
	f := newFakeAppliance(t)
	dir := t.TempDir()
	r := runCLI(t, map[string]string{envConfigDir: dir}, "", "login", "--url", f.URL, "--token", "wrong", "--ca-cert", f.caFile)
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "jumpgate: log in to "+f.URL+": 401 unauthorized: missing or invalid token"+
		" (the token was rejected: check it, or run 'jumpgate login' again)\n", r.stderr)
	assert.NoFileExists(t, filepath.Join(dir, "config.json"))
}

func TestConnectionPrecedence(t *testing.T) {
	f := newFakeAppliance(t)
	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		wantUser string
		wantErr  string
	}{
		{name: "stored config", wantUser: "admin"},
		{name: "env over config", env: map[string]string{api.EnvToken: "env-token"}, wantUser: "env"},
		{name: "flag over env", env: map[string]string{api.EnvToken: "env-token"}, args: []string{"--token", "flag-token"}, wantUser: "flag"},
		{name: "flag url and token", args: []string{"--url", f.URL, "--token", "flag-token", "--ca-cert", f.caFile}, wantUser: "flag"},
		{
			name:    "stored token is not sent to another url",
			env:     map[string]string{api.EnvURL: "https://other.example"},
			wantErr: "jumpgate: no token for https://other.example; pass --token, set JUMPGATE_TOKEN or run 'jumpgate login'\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars := loggedIn(t, f)
			for k, v := range tt.env {
				vars[k] = v
			}
			r := runCLI(t, vars, "", append([]string{"whoami", "-o", "json"}, tt.args...)...)
			if tt.wantErr != "" {
				assert.Equal(t, 1, r.code)
				assert.Equal(t, tt.wantErr, r.stderr)
				return
			}
			require.Equal(t, 0, r.code, r.stderr)
			var who struct {
				Username string `json:"username"`
				URL      string `json:"url"`
			}
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &who))
			assert.Equal(t, tt.wantUser, who.Username)
			assert.Equal(t, f.URL, who.URL)
		})
	}
}

func TestList(t *testing.T) {
	f := newFakeAppliance(t)
	vars := loggedIn(t, f)
	tests := []struct {
		name        string
		args        []string
		want        string
		wantQueries []url.Values
	}{
		{
			name: "follows next_cursor",
			args: []string{"list", "jump-groups"},
			want: "ID  CODE NAME  NAME               MEMBERSHIPS\n" +
				"1   ops        Operations         1\n" +
				"2   dev        Development        0\n" +
				"3   qa         Quality Assurance  0\n",
			wantQueries: []url.Values{{"limit": {"500"}}, {"limit": {"500"}, "cursor": {"c2"}}},
		},
		{
			name: "limit stops early",
			args: []string{"list", "jump_group", "--limit", "1", "--filter", "code_name=ops"},
			want: "ID  CODE NAME  NAME        MEMBERSHIPS\n" +
				"1   ops        Operations  1\n",
			wantQueries: []url.Values{{"limit": {"1"}, "code_name": {"ops"}}},
		},
		{
			name: "items without a jump-clients collection are the tunnel jumps",
			args: []string{"items", "list"},
			want: "TYPE    ID  NAME  JUMP GROUP    STATUS  TARGET\n" +
				"tunnel  5   db    9 (personal)          db.internal:22,5432\n",
		},
		{
			name: "labels select and show",
			args: []string{"list", "jump-groups", "--label", "jumpgate.dev/managed-by=jumpgate-operator", "-l", "team", "--show-labels"},
			want: "ID  CODE NAME  NAME               MEMBERSHIPS  LABELS\n" +
				"1   ops        Operations         1            jumpgate.dev/managed-by=jumpgate-operator,team=ops\n" +
				"2   dev        Development        0            \n" +
				"3   qa         Quality Assurance  0            \n",
			wantQueries: []url.Values{
				{"limit": {"500"}, "label": {"jumpgate.dev/managed-by=jumpgate-operator", "team"}},
				{"limit": {"500"}, "label": {"jumpgate.dev/managed-by=jumpgate-operator", "team"}, "cursor": {"c2"}},
			},
		},
		{
			name: "audit shortcuts",
			args: []string{"list", "audit", "--object-type", "jump-groups", "--actor", "admin", "--since", "1h"},
			want: "ID  TIME                  ACTOR  ACTION  OBJECT TYPE  OBJECT ID  OBJECT NAME  CHANGED FIELDS\n" +
				"11  2026-03-01T11:30:00Z  admin  update  jump_group   1          ops          code_name,name\n",
			wantQueries: []url.Values{{
				"limit": {"500"}, "object_type": {"jump_group"}, "actor": {"admin"}, "since": {"2026-03-01T11:00:00Z"},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := map[string]int{}
			for _, p := range []string{"jump-groups", "audit-events"} {
				before[p] = len(f.requests(p))
			}
			r := runCLI(t, vars, "", tt.args...)
			require.Equal(t, 0, r.code, r.stderr)
			assert.Equal(t, tt.want, r.stdout)
			if tt.wantQueries != nil {
				coll, err := lookupCollection(tt.args[1])
				require.NoError(t, err)
				assert.Equal(t, tt.wantQueries, f.requests(coll.path)[before[coll.path]:])
			}
		})
	}
}

func TestOutputJSON(t *testing.T) {
	f := newFakeAppliance(t)
	vars := loggedIn(t, f)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "list is an array of every item", args: []string{"list", "jump-groups", "-o", "json"}, want: `[
			{"id":1,"code_name":"ops","name":"Operations","memberships":[{"group_policy_id":1,"role":"start"}],
				"labels":{"team":"ops","jumpgate.dev/managed-by":"jumpgate-operator"}},
			{"id":2,"code_name":"dev","name":"Development","memberships":[],"labels":{}},
			{"id":3,"code_name":"qa","name":"Quality\tAssurance","memberships":null}]`},
		{name: "get", args: []string{"get", "jump-group", "1", "-o", "json"}, want: `{"id":1,"version":4,"code_name":"ops","name":"Operations","memberships":[]}`},
		{name: "singleton", args: []string{"get", "settings", "-o", "json"}, want: `{"version":2,"upgrade_mode":"always","statistics":["cpu","disk"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, vars, "", tt.args...)
			require.Equal(t, 0, r.code, r.stderr)
			assert.JSONEq(t, tt.want, r.stdout)
		})
	}
}

func TestGet_Table(t *testing.T) {
	f := newFakeAppliance(t)
	r := runCLI(t, loggedIn(t, f), "", "get", "jump-groups", "1")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "id:          1\nversion:     4\ncode_name:   ops\nname:        Operations\nmemberships: []\n", r.stdout)
}

func TestErrors(t *testing.T) {
	f := newFakeAppliance(t)
	vars := loggedIn(t, f)
	tests := []struct {
		name string
		vars map[string]string
		args []string
		want string
		// lines is the number of stderr lines when not 1: a problem's
		// field errors follow on lines of their own.
		lines int
	}{
		{
			name: "not logged in",
			vars: map[string]string{},
			args: []string{"list", "jump-groups"},
			want: "not logged in; run 'jumpgate login --url … --token …' or set JUMPGATE_URL and JUMPGATE_TOKEN",
		},
		{
			name: "unknown collection",
			args: []string{"list", "widgets"},
			want: `unknown collection "widgets"; valid names: jump-groups, jump-policies, session-policies, jumpoints, ` +
				`jump-client-installers, jump-clients, protocol-tunnel-jumps, public-portals, users, group-policies, ` +
				`api-tokens, audit-events, settings, jump-client-settings`,
		},
		{
			name:  "problem names its fields",
			args:  []string{"list", "users"},
			want:  "jumpgate: 422 validation failed\nlimit: must be an integer from 1 to 500\nenabled: must be true or false\n",
			lines: 3,
		},
		{
			name: "no jump clients yet",
			args: []string{"clients", "list"},
			want: "this appliance has no jump-clients collection yet: 404 not found: no route",
		},
		{
			name: "self-signed appliance without ca",
			vars: map[string]string{api.EnvURL: f.URL, api.EnvToken: "admin-token"},
			args: []string{"whoami"},
			want: "(the appliance's certificate is not trusted: pass --ca-cert <data-dir>/ca.pem or set JUMPGATE_CA_CERT)",
		},
		{name: "get needs an id", args: []string{"get", "users"}, want: "get user needs an id"},
		{name: "bad id", args: []string{"get", "users", "bob"}, want: `invalid id "bob": want a positive number`},
		{name: "audit events are list only", args: []string{"get", "audit-events", "1"}, want: "audit-events can only be listed; use 'jumpgate list audit-events'"},
		{name: "singleton list", args: []string{"list", "settings"}, want: "jump-client-settings is a single object; use 'jumpgate get jump-client-settings'"},
		{name: "audit flags elsewhere", args: []string{"list", "users", "--actor", "bob"}, want: "--object-type, --actor and --since apply only to audit-events"},
		{name: "bad since", args: []string{"list", "audit-events", "--since", "yesterday"}, want: `--since "yesterday": want an RFC 3339 time or a duration such as 1h`},
		{name: "unknown audit object type", args: []string{"list", "audit-events", "--object-type", "nonsense"},
			want: `--object-type "nonsense": not a kind of audited object; valid: access_code, api_token, approval,`},
		{name: "bad filter", args: []string{"list", "users", "--filter", "enabled"}, want: `--filter "enabled": want key=value`},
		{
			name: "labels on a collection without them",
			args: []string{"list", "api-tokens", "--label", "team=ops"},
			want: "api-tokens have no labels; --label and --show-labels apply to jump-groups, jump-policies, session-policies, " +
				"jumpoints, jump-client-installers, protocol-tunnel-jumps, public-portals, users, group-policies",
		},
		{name: "show labels without them", args: []string{"list", "audit", "--show-labels"}, want: "audit-events have no labels"},
		{name: "bad label key", args: []string{"list", "users", "--label", "Team Name=ops"}, want: `--label "Team Name=ops": the key's name must be 1–63 letters`},
		{name: "bad label prefix", args: []string{"list", "users", "-l", "Example.com/team"}, want: `--label "Example.com/team": the key's prefix must be a lower-case DNS subdomain`},
		{name: "bad label value", args: []string{"list", "users", "--label", "team=-ops"}, want: `--label "team=-ops": the value must be empty or 1–63 letters`},
		{name: "clients list has no labels", args: []string{"clients", "list", "--label", "a=b"}, want: "unknown flag: --label"},
		{name: "bad output", args: []string{"list", "users", "-o", "yaml"}, want: `unknown output format "yaml"; use table or json`},
		{name: "missing collection", args: []string{"list"}, want: "list needs one collection; valid names: jump-groups,"},
		{name: "missing get args", args: []string{"get"}, want: "get needs a collection and an id; valid collections: jump-groups,"},
		{name: "unknown flag", args: []string{"list", "users", "--bogus"}, want: "unknown flag: --bogus"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := vars
			if tt.vars != nil {
				v = tt.vars
			}
			r := runCLI(t, v, "", tt.args...)
			assert.Equal(t, 1, r.code)
			assert.Empty(t, r.stdout)
			assert.True(t, strings.HasPrefix(r.stderr, "jumpgate: "), r.stderr)
			assert.Contains(t, r.stderr, tt.want)
			lines := max(tt.lines, 1)
			assert.Equal(t, lines, strings.Count(r.stderr, "\n"), "%d lines: %q", lines, r.stderr)
		})
	}
}

func TestVersion(t *testing.T) {
	r := runCLI(t, nil, "", "version")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, api.Version+"\n", r.stdout)
}

func TestListHelpNamesEveryCollection(t *testing.T) {
	r := runCLI(t, nil, "", "list", "--help")
	require.Equal(t, 0, r.code, r.stderr)
	help := strings.Join(strings.Fields(r.stdout), " ")
	for _, c := range collections {
		if !c.singleton {
			assert.Contains(t, help, c.path)
		}
	}
}
