package session

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/agentproto"
	"github.com/jumpgate/jumpgate/api/sessionproto"
)

func without(f func(*api.SessionPermissions)) api.SessionPermissions {
	p := allowAll
	f(&p)
	return p
}

func TestServe_Refuses(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(file, []byte("x"), 0o644))
	const sum = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

	active := func(p api.SessionPermissions) func(*Manager) {
		return func(m *Manager) { m.Update(activeSession(sessionID, p)) }
	}
	revokedByAppliance := func(m *Manager) {
		info := activeSession(sessionID, allowAll)
		info.ControlRevoked = true
		m.Update(info)
	}
	revokedHere := func(m *Manager) {
		m.Update(activeSession(sessionID, allowAll))
		require.NoError(t, m.SetControl(sessionID, true, "enduser"))
	}
	tests := []struct {
		name  string
		setup func(*Manager)
		open  sessionproto.Open
		code  string
		msg   string
	}{
		{"unknown session", active(allowAll), sessionproto.Open{Type: sessionproto.StreamSysInfo, Session: 99}, sessionproto.CodeNoSession, "session 99"},
		{"no session at all", func(*Manager) {}, sessionproto.Open{Type: sessionproto.StreamSysInfo, Session: sessionID}, sessionproto.CodeNoSession, ""},
		{"prompting session", func(m *Manager) {
			m.Update(agentproto.SessionInfo{ID: sessionID, Status: api.SessionPrompting, Permissions: allowAll, Prompt: &agentproto.Prompt{Message: "?"}})
		}, sessionproto.Open{Type: sessionproto.StreamShell, Session: sessionID}, sessionproto.CodeNoSession, ""},
		{"ended session", func(m *Manager) {
			m.Update(activeSession(sessionID, allowAll))
			m.Update(agentproto.SessionInfo{ID: sessionID, Status: api.SessionEnded, EndReason: api.EndUser})
		}, sessionproto.Open{Type: sessionproto.StreamSysInfo, Session: sessionID}, sessionproto.CodeNoSession, ""},
		{"session ended at the endpoint", func(m *Manager) {
			m.Update(activeSession(sessionID, allowAll))
			require.NoError(t, m.End(sessionID, "enduser", "done"))
		}, sessionproto.Open{Type: sessionproto.StreamSysInfo, Session: sessionID}, sessionproto.CodeNoSession, ""},
		{"reset", func(m *Manager) {
			m.Update(activeSession(sessionID, allowAll))
			m.Reset()
		}, sessionproto.Open{Type: sessionproto.StreamSysInfo, Session: sessionID}, sessionproto.CodeNoSession, ""},

		{"shell without shell", active(without(func(p *api.SessionPermissions) { p.Shell = false })),
			sessionproto.Open{Type: sessionproto.StreamShell, Session: sessionID}, sessionproto.CodePermission, "permission shell"},
		{"exec without shell", active(without(func(p *api.SessionPermissions) { p.Shell = false })),
			sessionproto.Open{Type: sessionproto.StreamExec, Session: sessionID, Command: []string{"true"}}, sessionproto.CodePermission, "permission shell"},
		{"sysinfo without system_info", active(without(func(p *api.SessionPermissions) { p.SystemInfo = false })),
			sessionproto.Open{Type: sessionproto.StreamSysInfo, Session: sessionID}, sessionproto.CodePermission, "permission system_info"},
		{"file_list without file_read", active(without(func(p *api.SessionPermissions) { p.FileRead = false })),
			sessionproto.Open{Type: sessionproto.StreamFileList, Session: sessionID, Path: dir}, sessionproto.CodePermission, "permission file_read"},
		{"file_get without file_read", active(without(func(p *api.SessionPermissions) { p.FileRead = false })),
			sessionproto.Open{Type: sessionproto.StreamFileGet, Session: sessionID, Path: file}, sessionproto.CodePermission, "permission file_read"},
		{"file_put without file_write", active(without(func(p *api.SessionPermissions) { p.FileWrite = false })),
			sessionproto.Open{Type: sessionproto.StreamFilePut, Session: sessionID, Path: filepath.Join(dir, "new"), SHA256: sum}, sessionproto.CodePermission, "permission file_write"},
		{"tunnel without tunnel", active(without(func(p *api.SessionPermissions) { p.Tunnel = false })),
			sessionproto.Open{Type: sessionproto.StreamTunnel, Session: sessionID, Port: 22}, sessionproto.CodePermission, "permission tunnel"},
		{"file_read does not grant file_put", active(api.SessionPermissions{FileRead: true}),
			sessionproto.Open{Type: sessionproto.StreamFilePut, Session: sessionID, Path: filepath.Join(dir, "new"), SHA256: sum}, sessionproto.CodePermission, "permission file_write"},
		{"screen permissions grant no shell", active(api.SessionPermissions{ScreenView: true, ScreenControl: true}),
			sessionproto.Open{Type: sessionproto.StreamShell, Session: sessionID}, sessionproto.CodePermission, "permission shell"},

		{"shell revoked by the appliance", revokedByAppliance, sessionproto.Open{Type: sessionproto.StreamShell, Session: sessionID}, sessionproto.CodeRevoked, ""},
		{"shell revoked here", revokedHere, sessionproto.Open{Type: sessionproto.StreamShell, Session: sessionID}, sessionproto.CodeRevoked, ""},
		{"exec revoked", revokedHere, sessionproto.Open{Type: sessionproto.StreamExec, Session: sessionID, Command: []string{"true"}}, sessionproto.CodeRevoked, ""},
		{"file_put revoked", revokedHere, sessionproto.Open{Type: sessionproto.StreamFilePut, Session: sessionID, Path: filepath.Join(dir, "new"), SHA256: sum}, sessionproto.CodeRevoked, ""},
		{"tunnel revoked", revokedHere, sessionproto.Open{Type: sessionproto.StreamTunnel, Session: sessionID, Port: 22}, sessionproto.CodeRevoked, ""},

		{"unknown stream type", active(allowAll), sessionproto.Open{Type: "screen", Session: sessionID}, sessionproto.CodeBadRequest, "screen"},
		{"control stream", active(allowAll), sessionproto.Open{Type: sessionproto.StreamControl, Session: sessionID}, sessionproto.CodeBadRequest, ""},
		{"exec without a command", active(allowAll), sessionproto.Open{Type: sessionproto.StreamExec, Session: sessionID}, sessionproto.CodeBadRequest, "command"},
		{"exec of a missing command", active(allowAll), sessionproto.Open{Type: sessionproto.StreamExec, Session: sessionID, Command: []string{"no-such-command-jumpgate"}}, sessionproto.CodeNotFound, "no-such-command-jumpgate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := newManager(t, Config{Kind: agentproto.KindJumpClient}, nil)
			tt.setup(m)
			p := serve(t, m, tt.open)
			o := p.opened()
			assert.False(t, o.OK)
			assert.Equal(t, tt.code, o.Code, o.Error)
			assert.Contains(t, o.Error, tt.msg)
			p.wait()
		})
	}
}

func TestServe_ViewingWhileRevoked(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(file, []byte("x"), 0o644))
	tests := []struct {
		name string
		open sessionproto.Open
	}{
		{"sysinfo", sessionproto.Open{Type: sessionproto.StreamSysInfo, Session: sessionID}},
		{"file_list", sessionproto.Open{Type: sessionproto.StreamFileList, Session: sessionID, Path: dir}},
		{"file_get", sessionproto.Open{Type: sessionproto.StreamFileGet, Session: sessionID, Path: file}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := newManager(t, Config{}, &allowAll)
			require.NoError(t, m.SetControl(sessionID, true, "enduser"))
			serve(t, m, tt.open).mustOpen()
		})
	}
}

func TestServe_NilOpen(t *testing.T) {
	m, _ := newManager(t, Config{}, &allowAll)
	appliance, agent := muxPair(t)
	c, err := appliance.OpenStream()
	require.NoError(t, err)
	st, err := agent.AcceptStream()
	require.NoError(t, err)
	go m.Serve(context.Background(), st, nil)
	p := &peer{t: t, conn: c}
	assert.Equal(t, sessionproto.CodeBadRequest, p.opened().Code)
}

func TestManager_Table(t *testing.T) {
	m, rec := newManager(t, Config{}, nil)
	prompt := agentproto.SessionInfo{ID: 1, Status: api.SessionPrompting, Permissions: allowAll, Prompt: &agentproto.Prompt{Message: "let rep in?"}}
	m.Update(prompt)
	m.Update(activeSession(2, allowAll))
	m.Update(activeSession(3, allowAll))
	m.Update(agentproto.SessionInfo{ID: 3, Status: api.SessionEnded})

	got := m.Sessions()
	require.Len(t, got, 2)
	assert.Equal(t, int64(1), got[0].ID, "oldest first")
	assert.Equal(t, int64(2), got[1].ID)

	// A change keeps a session's place.
	m.Update(prompt)
	assert.Equal(t, int64(1), m.Sessions()[0].ID)

	assert.ErrorIs(t, m.Answer(2, true, "alice"), ErrNoSession, "active sessions are not prompting")
	assert.ErrorIs(t, m.Answer(9, true, "alice"), ErrNoSession)
	require.NoError(t, m.Answer(1, true, "alice"))
	assert.ErrorIs(t, m.SetControl(1, true, "alice"), ErrNoSession, "prompting sessions have no control to revoke")
	assert.ErrorIs(t, m.End(9, "alice", ""), ErrNoSession)

	msgs := rec.all()
	require.Len(t, msgs, 1)
	assert.Equal(t, agentproto.Control{Type: agentproto.MsgPromptAnswer, Answer: &agentproto.PromptAnswer{Session: 1, Accept: true, By: "alice"}}, msgs[0])
}

func TestManager_RevokeAndEndOutliveReset(t *testing.T) {
	m, rec := newManager(t, Config{}, &allowAll)
	require.NoError(t, m.SetControl(sessionID, true, "alice"))
	require.NoError(t, m.End(sessionID, "alice", "enough"))
	m.Update(activeSession(8, allowAll))
	require.NoError(t, m.SetControl(8, true, "bob"))

	m.Reset()
	assert.Empty(t, m.Sessions())
	before := len(rec.all())

	// The appliance re-sends both as if it had heard nothing.
	m.Update(activeSession(sessionID, allowAll))
	m.Update(activeSession(8, allowAll))

	got := m.Sessions()
	require.Len(t, got, 1, "the session ended here is not taken back")
	assert.Equal(t, int64(8), got[0].ID)
	assert.True(t, got[0].ControlRevoked, "the end user's revoke holds")

	msgs := rec.all()[before:]
	require.Len(t, msgs, 2)
	assert.Equal(t, agentproto.SessionControl{Session: sessionID, End: true, By: "alice", Reason: "enough"}, *msgs[0].SessionControl, "the end is repeated")
	assert.Equal(t, agentproto.SessionControl{Session: 8, Revoked: true, By: "bob"}, *msgs[1].SessionControl, "the revoke is repeated")

	// A stream of the revoked session still may not act.
	p := serve(t, m, sessionproto.Open{Type: sessionproto.StreamShell, Session: 8})
	assert.Equal(t, sessionproto.CodeRevoked, p.opened().Code)

	// Once the appliance reports the end, the session is forgotten for good.
	m.Update(agentproto.SessionInfo{ID: sessionID, Status: api.SessionEnded})
	m.Update(activeSession(sessionID, allowAll))
	assert.Len(t, m.Sessions(), 2)
}

func TestManager_SendFailsOffline(t *testing.T) {
	m, rec := newManager(t, Config{}, &allowAll)
	rec.fail = errors.New("offline")
	err := m.SetControl(sessionID, true, "alice")
	assert.ErrorIs(t, err, ErrNotSent)
	assert.True(t, m.Sessions()[0].ControlRevoked, "revoked here even though the appliance was not told")
	assert.ErrorIs(t, m.End(sessionID, "alice", ""), ErrNotSent)
	assert.Empty(t, m.Sessions(), "ended here even though the appliance was not told")
}

func TestManager_Subscribe(t *testing.T) {
	m, _ := newManager(t, Config{}, nil)
	ch, cancel := m.Subscribe()
	m.Update(activeSession(1, allowAll))
	got := <-ch
	assert.Equal(t, int64(1), got.ID)

	// A reader that falls behind gets the latest state of every session.
	for i := range subscriberBuffer * 3 {
		info := activeSession(int64(1+i%3), allowAll)
		info.Message = "change"
		if i >= subscriberBuffer*3-3 {
			info.Message = "latest"
		}
		m.Update(info)
	}
	latest := map[int64]string{}
	for len(ch) > 0 {
		info := <-ch
		latest[info.ID] = info.Message
	}
	assert.Equal(t, map[int64]string{1: "latest", 2: "latest", 3: "latest"}, latest)

	cancel()
	_, ok := <-ch
	assert.False(t, ok, "cancel closes the channel")
	cancel()

	ch2, _ := m.Subscribe()
	m.Close()
	var ends []int64
	for info := range ch2 {
		assert.Equal(t, api.SessionEnded, info.Status)
		ends = append(ends, info.ID)
	}
	assert.Equal(t, []int64{1, 2, 3}, ends, "Close ends the sessions, then every subscription")
}
