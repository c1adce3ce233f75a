package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/sessionproto"
	"github.com/jumpgate/jumpgate/cli/internal/channel"
)

func TestParseItemRef(t *testing.T) {
	tests := []struct {
		in      string
		want    itemRef
		wantErr string
	}{
		{in: "12", want: itemRef{id: 12}},
		{in: "client:12", want: itemRef{kind: refClient, id: 12}},
		{in: "tunnel:3", want: itemRef{kind: refTunnel, id: 3}},
		{in: "tunnel:prod db", want: itemRef{kind: refTunnel, name: "prod db"}},
		{in: "client:web-01", want: itemRef{kind: refClient, name: "web-01"}},
		{in: "web-01", want: itemRef{name: "web-01"}},
		{in: "web:prod", want: itemRef{name: "web:prod"}},
		{in: "client:", wantErr: `item "client:": want an id or a name`},
		{in: "", wantErr: `item "": want an id or a name`},
		{in: "0", wantErr: `item "0": invalid id`},
		{in: "client:99999999999999999999", wantErr: "invalid id"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseItemRef(tt.in)
			if tt.wantErr != "" {
				assert.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.in, got.String())
		})
	}
}

// fakeItems is an itemFinder over fixed items.
type fakeItems struct {
	clients []api.JumpClient
	tunnels []api.ProtocolTunnelJump
	// noClients answers the jump-clients collection with 404.
	noClients bool
}

func (f *fakeItems) GetJumpClient(_ context.Context, id int64) (*api.JumpClient, error) {
	for i := range f.clients {
		if f.clients[i].ID == id && !f.noClients {
			return &f.clients[i], nil
		}
	}
	return nil, &api.Problem{Status: 404, Title: "Not Found"}
}

func (f *fakeItems) ListJumpClients(_ context.Context, o *api.ListOptions) (*api.List[api.JumpClient], error) {
	if f.noClients {
		return nil, &api.Problem{Status: 404, Title: "Not Found"}
	}
	out := &api.List[api.JumpClient]{}
	for _, c := range f.clients {
		if c.Name == o.Filters["name"] {
			out.Items = append(out.Items, c)
		}
	}
	return out, nil
}

func (f *fakeItems) GetProtocolTunnelJump(_ context.Context, id int64) (*api.ProtocolTunnelJump, error) {
	for i := range f.tunnels {
		if f.tunnels[i].ID == id {
			return &f.tunnels[i], nil
		}
	}
	return nil, &api.Problem{Status: 404, Title: "Not Found"}
}

func (f *fakeItems) ListProtocolTunnelJumps(_ context.Context, o *api.ListOptions) (*api.List[api.ProtocolTunnelJump], error) {
	out := &api.List[api.ProtocolTunnelJump]{}
	for _, c := range f.tunnels {
		if c.Name == o.Filters["name"] {
			out.Items = append(out.Items, c)
		}
	}
	return out, nil
}

func TestResolveItem(t *testing.T) {
	items := &fakeItems{
		clients: []api.JumpClient{
			{Meta: api.Meta{ID: 1}, Name: "web-01"}, {Meta: api.Meta{ID: 2}, Name: "twin"}, {Meta: api.Meta{ID: 3}, Name: "twin"},
			{Meta: api.Meta{ID: 5}, Name: "five"}, {Meta: api.Meta{ID: 6}, Name: "shared"},
		},
		tunnels: []api.ProtocolTunnelJump{{Meta: api.Meta{ID: 5}, Name: "db"}, {Meta: api.Meta{ID: 9}, Name: "shared"}},
	}
	tests := []struct {
		name    string
		ref     string
		allowed string
		items   *fakeItems
		want    string
		wantErr string
	}{
		{name: "name, either kind", ref: "web-01", want: "client:1"},
		{name: "tunnel name", ref: "db", want: "tunnel:5"},
		{name: "prefixed id", ref: "tunnel:5", want: "tunnel:5"},
		{name: "bare id of a client command", ref: "5", allowed: refClient, want: "client:5"},
		{name: "bare id of both kinds", ref: "5", wantErr: `"5" matches 2 items: client:5 (five), tunnel:5 (db); name one as TYPE:ID, e.g. client:5`},
		{name: "name of both kinds", ref: "shared", wantErr: `"shared" matches 2 items: client:6 (shared), tunnel:9 (shared); name one as TYPE:ID, e.g. client:6`},
		{name: "ambiguous client name", ref: "twin", allowed: refClient, wantErr: `"twin" matches 2 items: client:2 (twin), client:3 (twin); name one as TYPE:ID, e.g. client:2`},
		{name: "shared name narrowed by the command", ref: "shared", allowed: refTunnel, want: "tunnel:9"},
		{name: "wrong kind", ref: "tunnel:db", allowed: refClient, wantErr: "tunnel:db is a protocol tunnel jump; this command needs a jump client"},
		{name: "no such name", ref: "nope", wantErr: `no jump client or protocol tunnel jump named "nope" (or you may not see it)`},
		{name: "no such id", ref: "client:77", wantErr: "no jump client with id 77 (or you may not see it)"},
		{name: "appliance without jump clients", ref: "db", items: &fakeItems{noClients: true, tunnels: items.tunnels}, want: "tunnel:5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ref, err := parseItemRef(tt.ref)
			require.NoError(t, err)
			f := items
			if tt.items != nil {
				f = tt.items
			}
			it, err := resolveItem(context.Background(), f, ref, tt.allowed)
			if tt.wantErr != "" {
				assert.EqualError(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, it.ref())
		})
	}
}

func TestParseForward(t *testing.T) {
	tests := []struct {
		in      string
		want    forwardSpec
		wantErr string
	}{
		{in: "8080:80", want: forwardSpec{localPort: 8080, remotePort: 80}},
		{in: "0:22", want: forwardSpec{remotePort: 22}},
		{in: "127.0.0.2:5432:5432", want: forwardSpec{addr: "127.0.0.2", localPort: 5432, remotePort: 5432}},
		{in: "localhost:3389:3389", want: forwardSpec{addr: "localhost", localPort: 3389, remotePort: 3389}},
		{in: "[::1]:8080:80", want: forwardSpec{addr: "::1", localPort: 8080, remotePort: 80}},
		{in: "::1:8080:80", wantErr: "put an IPv6 address in brackets"},
		{in: "80", wantErr: "no remote port"},
		{in: "8080:0", wantErr: `remote port "0" is not a number from 1 to 65535`},
		{in: "8080:http", wantErr: `remote port "http" is not a number`},
		{in: "70000:80", wantErr: `local port "70000" is not a number from 0 to 65535`},
		{in: ":8080:80", wantErr: "empty local address"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseForward(tt.in)
			if tt.wantErr != "" {
				assert.ErrorContains(t, err, tt.wantErr)
				assert.ErrorContains(t, err, "want [LOCAL_ADDR:]LOCAL_PORT:REMOTE_PORT")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestPlanTunnels(t *testing.T) {
	ptj := tunnelTarget{host: "db.internal", listen: "127.0.0.5", defs: []api.TunnelDefinition{{LocalPort: 0, RemotePort: 22}, {LocalPort: 15432, RemotePort: 5432}}}
	client := tunnelTarget{host: "localhost", listen: defaultListenAddress}
	tests := []struct {
		name     string
		target   tunnelTarget
		forwards []forwardSpec
		want     []channel.Spec
		wantErr  string
	}{
		{name: "tunnel jump definitions", target: ptj, want: []channel.Spec{
			{LocalAddr: "127.0.0.5", LocalPort: 0, RemotePort: 22}, {LocalAddr: "127.0.0.5", LocalPort: 15432, RemotePort: 5432}}},
		{name: "-L picks a definition", target: ptj, forwards: []forwardSpec{{localPort: 2222, remotePort: 22}},
			want: []channel.Spec{{LocalAddr: "127.0.0.5", LocalPort: 2222, RemotePort: 22}}},
		{name: "-L outside the definitions", target: ptj, forwards: []forwardSpec{{localPort: 80, remotePort: 80}},
			wantErr: "-L: port 80 is not one of the tunnel jump's remote ports (22, 5432)"},
		{name: "-L off loopback for a tunnel jump", target: ptj, forwards: []forwardSpec{{addr: "0.0.0.0", remotePort: 22}},
			wantErr: "-L: 0.0.0.0 is not a loopback address"},
		{name: "jump client", target: client, forwards: []forwardSpec{{localPort: 8080, remotePort: 80}, {addr: "127.0.0.2", remotePort: 22}},
			want: []channel.Spec{{LocalAddr: "127.0.0.1", LocalPort: 8080, RemotePort: 80}, {LocalAddr: "127.0.0.2", RemotePort: 22}}},
		{name: "-L off loopback for a jump client", target: client, forwards: []forwardSpec{{addr: "0.0.0.0", remotePort: 22}},
			wantErr: "not a loopback address"},
		{name: "jump client needs -L", target: client, wantErr: "a tunnel to a jump client needs at least one -L"},
		{name: "tunnel jump without definitions", target: tunnelTarget{host: "x", defs: []api.TunnelDefinition{}}, wantErr: "has no tunnel definitions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := planTunnels(tt.target, tt.forwards)
			if tt.wantErr != "" {
				assert.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseApprovalDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    int
		wantErr bool
	}{
		{in: "", want: 0},
		{in: "60m", want: 60},
		{in: "2h30m", want: 150},
		{in: "1d", want: 1440},
		{in: "30d", want: 43200},
		{in: "90", want: 90},
		{in: "31d", wantErr: true},
		{in: "30s", wantErr: true},
		{in: "90s", wantErr: true},
		{in: "0", wantErr: true},
		{in: "-1h", wantErr: true},
		{in: "soon", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseApprovalDuration(tt.in)
			if tt.wantErr {
				assert.ErrorContains(t, err, "want whole minutes from 1m to 30d")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestProgressFor(t *testing.T) {
	terminal := func(any) bool { return true }
	pipe := func(any) bool { return false }
	tests := []struct {
		name    string
		quiet   bool
		isTerm  func(any) bool
		wantBar bool
	}{
		{name: "terminal", isTerm: terminal, wantBar: true},
		{name: "terminal but quiet", quiet: true, isTerm: terminal},
		{name: "not a terminal", isTerm: pipe},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := progressFor(io.Discard, "file", tt.quiet, tt.isTerm)
			_, isBar := p.(*barProgress)
			assert.Equal(t, tt.wantBar, isBar)
			p.Start(100, 10)
			p.Add(90)
			p.Finish()
		})
	}
}

func TestRunArgs(t *testing.T) {
	tests := []struct {
		name        string
		withSession bool
		args        []string
		dash        int
		wantItem    string
		wantCommand []string
		wantErr     string
	}{
		{name: "item -- command", args: []string{"web-01", "--", "ls", "-l"}, dash: -1, wantItem: "web-01", wantCommand: []string{"ls", "-l"}},
		{name: "item command", args: []string{"web-01", "uname", "-a"}, dash: -1, wantItem: "web-01", wantCommand: []string{"uname", "-a"}},
		{name: "session -- command", withSession: true, args: []string{"id"}, dash: 0, wantCommand: []string{"id"}},
		{name: "no command", args: []string{"web-01", "--"}, dash: -1, wantErr: "want the item, then the command"},
		{name: "dash before the item", args: []string{"ls"}, dash: 0, wantErr: "want the item, then the command"},
		{name: "nothing", dash: -1, wantErr: "want the item, then the command"},
		{name: "session without command", withSession: true, dash: -1, wantErr: "want the command: jumpgate run --session ID -- uname -a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			item, command, err := runArgs(tt.withSession, tt.args, tt.dash)
			if tt.wantErr != "" {
				assert.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantItem, item)
			assert.Equal(t, tt.wantCommand, command)
		})
	}
}

func TestExitStatus(t *testing.T) {
	tests := []struct {
		name    string
		exit    sessionproto.Exit
		want    int
		wantMsg string
	}{
		{name: "success", exit: sessionproto.Exit{}, want: 0},
		{name: "code", exit: sessionproto.Exit{Code: 3}, want: 3},
		{name: "negative", exit: sessionproto.Exit{Code: -1}, want: 255},
		{name: "windows status", exit: sessionproto.Exit{Code: 3221225477}, want: 255},
		{name: "signal", exit: sessionproto.Exit{Signal: "KILL"}, want: 137, wantMsg: "the remote process was killed by signal KILL"},
		{name: "signal with its code", exit: sessionproto.Exit{Code: 130, Signal: "SIGINT"}, want: 130, wantMsg: "signal SIGINT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := exitStatus(&tt.exit)
			if tt.want == 0 {
				assert.NoError(t, err)
				return
			}
			var ee *exitError
			require.ErrorAs(t, err, &ee)
			assert.Equal(t, tt.want, ee.code)
			if tt.wantMsg != "" {
				assert.ErrorContains(t, ee.err, tt.wantMsg)
			} else {
				assert.Nil(t, ee.err)
			}
		})
	}
}

func TestRefusalError(t *testing.T) {
	tests := []struct {
		name string
		p    api.Problem
		want string
	}{
		{name: "approval", p: api.Problem{Reason: api.RefusedApprovalRequired, ApprovalID: 7, Detail: "the Jump Policy requires approval"},
			want: "session refused (approval_required): the Jump Policy requires approval — ask an approver to run 'jumpgate approvals grant 7', then run this again"},
		{name: "ticket", p: api.Problem{Reason: api.RefusedTicketRequired, Detail: "a ticket ID is required"},
			want: "session refused (ticket_required): a ticket ID is required — pass --ticket ID"},
		{name: "no detail", p: api.Problem{Title: "Forbidden", Reason: api.RefusedEndpointOffline},
			want: "session refused (endpoint_offline): forbidden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.p.Type, tt.p.Status = api.ProblemSessionRefused, 403
			err := sessionError(&tt.p)
			assert.EqualError(t, err, tt.want)
			assert.ErrorIs(t, err, api.ErrForbidden)
		})
	}
	other := &api.Problem{Status: 404, Title: "Not Found"}
	assert.Same(t, other, sessionError(other), "other problems pass through")
}

func TestEndedError(t *testing.T) {
	tests := []struct {
		ev   sessionproto.Event
		want string
	}{
		{ev: sessionproto.Event{Session: 4, EndReason: api.EndUser, EndedBy: "admin"}, want: "session 4 ended: ended by admin"},
		{ev: sessionproto.Event{Session: 4, EndReason: api.EndMaxDuration, Message: "the policy allows 60 minutes"},
			want: "session 4 ended: it reached its maximum duration (the policy allows 60 minutes)"},
		{ev: sessionproto.Event{Session: 4, EndReason: api.RefusedConsentRejected, Message: "the end user said no"},
			want: "session 4 refused (consent_rejected): the end user said no"},
		{ev: sessionproto.Event{Session: 4, Status: api.SessionRefused, EndReason: api.RefusedConsentTimedOut},
			want: "session 4 refused (consent_timed_out)"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			assert.EqualError(t, endedError(tt.ev), tt.want)
		})
	}
}

func TestSessionStatuses(t *testing.T) {
	got, err := sessionStatuses("", false)
	require.NoError(t, err)
	assert.Equal(t, []string{api.SessionPrompting, api.SessionActive}, got)
	got, err = sessionStatuses("", true)
	require.NoError(t, err)
	assert.Equal(t, []string{""}, got)
	got, err = sessionStatuses("ended", false)
	require.NoError(t, err)
	assert.Equal(t, []string{"ended"}, got)
	_, err = sessionStatuses("ended", true)
	assert.EqualError(t, err, "--status and --all do not go together")
	_, err = sessionStatuses("done", false)
	assert.EqualError(t, err, `--status "done": want refused, prompting, active or ended`)
}

func TestLocalDest(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		remote, local string
		want          string
		wantErr       string
	}{
		{remote: "/var/log/syslog", want: "syslog"},
		{remote: `C:\Users\bob\report.pdf`, want: "report.pdf"},
		{remote: "/var/log/syslog", local: "out.txt", want: "out.txt"},
		{remote: "/var/log/syslog", local: dir, want: filepath.Join(dir, "syslog")},
		{remote: "/var/log/syslog", local: "logs/", want: filepath.Join("logs", "syslog")},
		{remote: "/", wantErr: `"/" names no file; give LOCAL`},
		{remote: "/", local: "root", want: "root"},
		{remote: "/", local: dir, wantErr: "give a LOCAL file name"},
	}
	for _, tt := range tests {
		t.Run(tt.remote+" "+tt.local, func(t *testing.T) {
			got, err := localDest(tt.remote, tt.local)
			if tt.wantErr != "" {
				assert.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseMode(t *testing.T) {
	for in, want := range map[string]os.FileMode{"": 0, "0644": 0o644, "755": 0o755, "0o600": 0o600} {
		got, err := parseMode(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"0", "8", "1777", "rw-r--r--"} {
		_, err := parseMode(in)
		assert.ErrorContains(t, err, "want octal permission bits", in)
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB", 5 << 20: "5.0 MiB", 3 << 30: "3.0 GiB"} {
		assert.Equal(t, want, formatBytes(n))
	}
}

func TestWithItemType(t *testing.T) {
	assert.JSONEq(t, `{"item_type":"jump_client","id":1,"name":"a"}`, string(withItemType([]byte(` {"id":1,"name":"a"}`), api.ItemJumpClient)))
	assert.Equal(t, `{"item_type":"jump_client"}`, string(withItemType([]byte(`{}`), api.ItemJumpClient)))
	assert.True(t, strings.HasPrefix(string(withItemType([]byte(`{"z":1,"a":2}`), "x")), `{"item_type":"x","z":1,"a":2}`), "wire order kept")
}

func TestPickRecording(t *testing.T) {
	rec := func(id int64, kind string) api.Recording { return api.Recording{ID: id, Kind: kind} }
	tests := []struct {
		name    string
		recs    []api.Recording
		id      int64
		want    int64
		wantErr string
	}{
		{name: "the one shell", recs: []api.Recording{rec(1, api.RecordingTunnelLog), rec(2, api.RecordingShell)}, want: 2},
		{name: "by id", recs: []api.Recording{rec(1, api.RecordingTunnelLog), rec(2, api.RecordingShell)}, id: 1, want: 1},
		{name: "unknown id", recs: []api.Recording{rec(1, api.RecordingShell)}, id: 9, wantErr: "session 5 has no recording 9"},
		{name: "two shells", recs: []api.Recording{rec(1, api.RecordingShell), rec(3, api.RecordingShell)}, wantErr: "session 5 has 2 shell recordings (1, 3); name one"},
		{name: "none", wantErr: "session 5 has no recordings"},
		{name: "no shell", recs: []api.Recording{rec(1, api.RecordingTunnelLog)}, wantErr: "session 5 has no shell recording"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := pickRecording(&api.Session{ID: 5, Recordings: tt.recs}, tt.id)
			if tt.wantErr != "" {
				assert.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, r.ID)
		})
	}
}

func TestSafeFileName(t *testing.T) {
	for in, want := range map[string]string{
		"session-5-shell-1.cast": "session-5-shell-1.cast", "../../etc/passwd": "passwd", `..\..\x.cast`: "x.cast", "..": "", "": "", "/": "",
	} {
		assert.Equal(t, want, safeFileName(in), in)
	}
}

func TestNotifier_RawTerminal(t *testing.T) {
	var b strings.Builder
	n := newNotifier(&b)
	n.printf("plain %d", 1)
	n.setRaw(func() bool { return true })
	n.printf("raw")
	assert.Equal(t, "jumpgate: plain 1\n\r\njumpgate: raw\r\n", b.String())
}

func TestSessionFlags_Check(t *testing.T) {
	tests := []struct {
		sf      sessionFlags
		wantErr string
	}{
		{sf: sessionFlags{mode: "consent", ticket: "T-1"}},
		{sf: sessionFlags{sessionID: 4}},
		{sf: sessionFlags{mode: "attended"}, wantErr: `--mode "attended": want unattended or consent`},
		{sf: sessionFlags{sessionID: 4, ticket: "T-1"}, wantErr: "--ticket, --mode and --reason apply when starting a session, not with --session"},
	}
	for _, tt := range tests {
		err := tt.sf.check()
		if tt.wantErr == "" {
			assert.NoError(t, err)
		} else {
			assert.EqualError(t, err, tt.wantErr)
		}
	}
}
