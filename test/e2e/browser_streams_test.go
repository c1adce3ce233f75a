package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/sessionproto"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
)

// streamClient calls the browser's stream endpoints of one appliance with
// a bearer token or a browser session's cookie.
type streamClient struct {
	t      *testing.T
	s      *appliancetest.Server
	hc     *http.Client
	token  string
	cookie string
	origin string
}

func newStreamClient(t *testing.T, s *appliancetest.Server, token string) *streamClient {
	return &streamClient{t: t, s: s, hc: s.HTTPClient(t), token: token}
}

// cookieClient signs in as username with password and uses the browser
// session's cookie, from the appliance's own origin.
func cookieClient(t *testing.T, s *appliancetest.Server, username, password string) *streamClient {
	t.Helper()
	c := &streamClient{t: t, s: s, hc: s.HTTPClient(t), origin: s.URL}
	body, _ := json.Marshal(map[string]string{"username": username, "password": password})
	req, _ := http.NewRequest(http.MethodPost, s.URL+api.PathAuthLogin, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", s.URL)
	resp, err := c.hc.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	for _, ck := range resp.Cookies() {
		if ck.Name == api.SessionCookieName {
			c.cookie = ck.Name + "=" + ck.Value
		}
	}
	require.NotEmpty(t, c.cookie)
	return c
}

func (c *streamClient) header() http.Header {
	h := http.Header{}
	if c.token != "" {
		h.Set("Authorization", "Bearer "+c.token)
	}
	if c.cookie != "" {
		h.Set("Cookie", c.cookie)
	}
	if c.origin != "" {
		h.Set("Origin", c.origin)
	}
	return h
}

func (c *streamClient) do(method string, sid int64, tail string, q url.Values, body []byte) (*http.Response, []byte) {
	c.t.Helper()
	u := fmt.Sprintf("%s/api/v1/sessions/%d/%s", c.s.URL, sid, tail)
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	require.NoError(c.t, err)
	req.Header = c.header()
	resp, err := c.hc.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	return resp, b
}

// shell dials the terminal WebSocket; on a refused upgrade it returns the
// HTTP answer's status.
func (c *streamClient) shell(sid int64) (*websocket.Conn, int) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	u := strings.Replace(c.s.URL, "https://", "wss://", 1) + fmt.Sprintf("/api/v1/sessions/%d/shell?cols=100&rows=30", sid)
	ws, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPClient: c.hc, HTTPHeader: c.header(),
		Subprotocols: []string{sessionproto.TerminalSubprotocol}})
	if err != nil {
		require.NotNil(c.t, resp, "dial: %v", err)
		return nil, resp.StatusCode
	}
	return ws, http.StatusSwitchingProtocols
}

// readUntil reads the terminal until its output holds want; it returns
// every text message seen.
func readUntil(t *testing.T, ws *websocket.Conn, want string) []sessionproto.TerminalMessage {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out strings.Builder
	var msgs []sessionproto.TerminalMessage
	for !strings.Contains(out.String(), want) {
		typ, p, err := ws.Read(ctx)
		require.NoError(t, err, "reading for %q; got %q", want, out.String())
		if typ == websocket.MessageBinary {
			out.Write(p)
			continue
		}
		var m sessionproto.TerminalMessage
		require.NoError(t, json.Unmarshal(p, &m))
		msgs = append(msgs, m)
	}
	return msgs
}

func startSession(t *testing.T, c *api.Client, itemType string, itemID int64) *api.Session {
	t.Helper()
	var s api.Session
	_, err := c.Do(context.Background(), http.MethodPost, api.PathSessions, nil, &api.SessionRequest{ItemType: itemType, ItemID: itemID, Mode: api.ModeUnattended}, &s)
	require.NoError(t, err)
	require.Equal(t, api.SessionActive, s.Status)
	return &s
}

// TestBrowserStreams_JumpClient drives the browser's stream endpoints on a
// real Jump Client: system info, an upload checked by SHA-256, a listing,
// the download with its trailer, a wrong hash refused, and a terminal with
// a resize, then the refusals: a non-participant, a session without the
// shell permission, a cross-origin upgrade with the cookie, and a deleted
// token cutting an open terminal.
func TestBrowserStreams_JumpClient(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	s := w.s
	sess := startSession(t, s.Admin, api.ItemJumpClient, w.client.ID)
	c := newStreamClient(t, s, s.AdminToken)

	resp, b := c.do(http.MethodGet, sess.ID, "sysinfo", nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", b)
	var si sessionproto.SysInfo
	require.NoError(t, json.Unmarshal(b, &si))
	assert.NotEmpty(t, si.Hostname)
	assert.NotEmpty(t, si.AgentVersion)

	payload := make([]byte, 2<<20+5)
	for i := range payload {
		payload[i] = byte(i*13 + i/7)
	}
	h := sha256.Sum256(payload)
	sum := hex.EncodeToString(h[:])
	remote := filepath.Join(w.e.home, "from-browser.bin")
	resp, b = c.do(http.MethodPut, sess.ID, "files/content", url.Values{"path": {remote}, "sha256": {sum}}, payload)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", b)
	var done sessionproto.Done
	require.NoError(t, json.Unmarshal(b, &done))
	assert.Equal(t, sum, done.SHA256)
	assert.Equal(t, int64(len(payload)), done.Size)
	got, err := os.ReadFile(remote)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(payload, got), "the endpoint has the exact bytes")

	t.Run("an existing file is kept without overwrite, and a wrong hash is refused", func(t *testing.T) {
		resp, b := c.do(http.MethodPut, sess.ID, "files/content", url.Values{"path": {remote}, "sha256": {sum}}, payload)
		assert.Equal(t, http.StatusConflict, resp.StatusCode, "%s", b)
		other := filepath.Join(w.e.home, "wrong-hash.bin")
		resp, b = c.do(http.MethodPut, sess.ID, "files/content", url.Values{"path": {other}, "sha256": {strings.Repeat("ab", 32)}}, payload)
		assert.Equal(t, http.StatusConflict, resp.StatusCode, "%s", b)
		assert.Contains(t, string(b), "SHA-256")
		assert.NoFileExists(t, other)
	})

	resp, b = c.do(http.MethodGet, sess.ID, "files", url.Values{"path": {w.e.home}}, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", b)
	var list sessionproto.FileList
	require.NoError(t, json.Unmarshal(b, &list))
	var names []string
	for _, e := range list.Entries {
		names = append(names, e.Name)
	}
	assert.Contains(t, names, "from-browser.bin")
	resp, b = c.do(http.MethodGet, sess.ID, "files", nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, "without a path, the session user's home: %s", b)
	require.NoError(t, json.Unmarshal(b, &list))
	assert.True(t, filepath.IsAbs(list.Path), "the session user's home, absolute: %q", list.Path)

	resp, b = c.do(http.MethodGet, sess.ID, "files/content", url.Values{"path": {remote}}, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", b)
	assert.True(t, bytes.Equal(payload, b), "the download is the file")
	assert.Equal(t, sum, resp.Trailer.Get(sessionproto.HeaderSHA256), "the endpoint's SHA-256 in the trailer")
	assert.Equal(t, fmt.Sprint(len(payload)), resp.Header.Get(sessionproto.HeaderSize))
	assert.Contains(t, resp.Header.Get("Content-Disposition"), "from-browser.bin")
	resp, _ = c.do(http.MethodGet, sess.ID, "files/content", url.Values{"path": {filepath.Join(w.e.home, "nope")}}, nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)

	ws, code := c.shell(sess.ID)
	require.Equal(t, http.StatusSwitchingProtocols, code)
	require.NoError(t, ws.Write(ctx, websocket.MessageText, []byte(`{"type":"resize","cols":123,"rows":45}`)))
	require.NoError(t, ws.Write(ctx, websocket.MessageBinary, []byte("stty size; echo browser-says-$((6*7))\n")))
	readUntil(t, ws, "browser-says-42")
	require.NoError(t, ws.Write(ctx, websocket.MessageBinary, []byte("exit 7\n")))
	var exit *sessionproto.TerminalMessage
	rctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	for exit == nil {
		typ, p, err := ws.Read(rctx)
		require.NoError(t, err)
		var m sessionproto.TerminalMessage
		if typ == websocket.MessageText && json.Unmarshal(p, &m) == nil && m.Type == sessionproto.TerminalExit {
			exit = &m
		}
	}
	assert.Equal(t, 7, exit.Code)
	ws.CloseNow()

	acts, _ := auditOf(t, s, sess.ID)
	assert.Contains(t, acts, "session.file_transferred")
	assert.Contains(t, acts, "session.stream_opened")

	t.Run("a non-participant is refused", func(t *testing.T) {
		other, _ := s.NewUser(t, true)
		oc := newStreamClient(t, s, tokenFor(t, s, other.ID))
		resp, b := oc.do(http.MethodGet, sess.ID, "sysinfo", nil, nil)
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, "%s", b)
		assert.Contains(t, string(b), "not a participant")
		_, code := oc.shell(sess.ID)
		assert.Equal(t, http.StatusForbidden, code)
		resp, _ = oc.do(http.MethodGet, sess.ID, "files/content", url.Values{"path": {remote}}, nil)
		assert.Equal(t, http.StatusForbidden, resp.StatusCode)
		// A user who may not see the session learns nothing of it.
		stranger, _ := s.NewUser(t, false)
		sc := newStreamClient(t, s, tokenFor(t, s, stranger.ID))
		resp, _ = sc.do(http.MethodGet, sess.ID, "sysinfo", nil, nil)
		assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	})

	t.Run("a cross-origin upgrade with the cookie is refused", func(t *testing.T) {
		cc := cookieClient(t, s, "admin", s.AdminPassword)
		cc.origin = "https://evil.example"
		_, code := cc.shell(sess.ID)
		assert.Equal(t, http.StatusForbidden, code)
		// And a cross-site upload (CrossOriginProtection).
		planted := filepath.Join(w.e.home, "cross-site.bin")
		resp, b := cc.do(http.MethodPut, sess.ID, "files/content", url.Values{"path": {planted}, "sha256": {sum}}, payload)
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, "%s", b)
		assert.NoFileExists(t, planted)
		cc.origin = s.URL
		ws, code := cc.shell(sess.ID)
		require.Equal(t, http.StatusSwitchingProtocols, code, "from the appliance's own origin it works")
		require.NoError(t, ws.Write(ctx, websocket.MessageBinary, []byte("echo cookie-$((2+3))\n")))
		readUntil(t, ws, "cookie-5")
		ws.CloseNow()
	})

	t.Run("deleting the token cuts its open terminal", func(t *testing.T) {
		tok, err := s.Admin.CreateAPIToken(ctx, &api.APIToken{Name: "browser-cut", UserID: 1})
		require.NoError(t, err)
		tc := newStreamClient(t, s, tok.Token)
		ws, code := tc.shell(sess.ID)
		require.Equal(t, http.StatusSwitchingProtocols, code)
		require.NoError(t, ws.Write(ctx, websocket.MessageBinary, []byte("echo before-cut\n")))
		readUntil(t, ws, "before-cut")
		_, err = s.Admin.Do(ctx, http.MethodDelete, fmt.Sprintf("api-tokens/%d", tok.ID), nil, nil, nil)
		require.NoError(t, err)
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		var ended *sessionproto.TerminalMessage
		for {
			typ, p, err := ws.Read(rctx)
			if err != nil {
				require.NotErrorIs(t, err, context.DeadlineExceeded, "the terminal stays open after its token was deleted")
				break
			}
			var m sessionproto.TerminalMessage
			if typ == websocket.MessageText && json.Unmarshal(p, &m) == nil && m.Type == sessionproto.TerminalEnded {
				ended = &m
			}
		}
		require.NotNil(t, ended, "the browser is told why")
		assert.Equal(t, api.EndTokenRevoked, ended.EndReason)
		got, err := s.Admin.GetSession(ctx, sess.ID)
		require.NoError(t, err)
		assert.Equal(t, api.SessionActive, got.Status, "the session goes on for its other channels")
	})

	t.Run("signing out cuts the browser session's open terminal", func(t *testing.T) {
		cc := cookieClient(t, s, "admin", s.AdminPassword)
		ws, code := cc.shell(sess.ID)
		require.Equal(t, http.StatusSwitchingProtocols, code)
		require.NoError(t, ws.Write(ctx, websocket.MessageBinary, []byte("echo before-logout\n")))
		readUntil(t, ws, "before-logout")
		req, _ := http.NewRequest(http.MethodPost, s.URL+api.PathAuthLogout, nil)
		req.Header = cc.header()
		resp, err := cc.hc.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Less(t, resp.StatusCode, 300, "logout")
		start := time.Now()
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		var ended *sessionproto.TerminalMessage
		for {
			typ, p, err := ws.Read(rctx)
			if err != nil {
				require.NotErrorIs(t, err, context.DeadlineExceeded, "the terminal stays open after its browser session ended")
				break
			}
			var m sessionproto.TerminalMessage
			if typ == websocket.MessageText && json.Unmarshal(p, &m) == nil && m.Type == sessionproto.TerminalEnded {
				ended = &m
			}
		}
		require.NotNil(t, ended)
		assert.Equal(t, api.EndBrowserSessionEnded, ended.EndReason)
		assert.Less(t, time.Since(start), 2*time.Second, "within about a second")
	})

	t.Run("a session without the shell permission refuses a terminal", func(t *testing.T) {
		sp, err := s.Admin.CreateSessionPolicy(ctx, &api.SessionPolicy{DisplayName: "No shell", CodeName: "no-shell",
			Permissions: api.SessionPermissions{SystemInfo: true, FileRead: true}})
		require.NoError(t, err)
		_, err = s.Admin.PatchJumpClient(ctx, w.client.ID, map[string]any{"unattended_session_policy_id": sp.ID})
		require.NoError(t, err)
		limited := startSession(t, s.Admin, api.ItemJumpClient, w.client.ID)
		if limited.ID == sess.ID {
			t.Fatal("joined the first session instead of starting one")
		}
		_, code := c.shell(limited.ID)
		assert.Equal(t, http.StatusForbidden, code)
		resp, b := c.do(http.MethodPut, limited.ID, "files/content", url.Values{"path": {filepath.Join(w.e.home, "x")}, "sha256": {sum}}, payload)
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, "%s", b)
		assert.Contains(t, string(b), "file_write")
		assert.Contains(t, string(b), "the session policy does not allow", "the appliance refuses, before the endpoint is asked")
		resp, _ = c.do(http.MethodGet, limited.ID, "sysinfo", nil, nil)
		assert.Equal(t, http.StatusOK, resp.StatusCode, "what the policy grants still works")
		_, evs := auditOf(t, s, limited.ID)
		var refused []string
		for _, e := range evs {
			if e.Action == "session.stream_refused" {
				assert.Nil(t, e.Details["by"], "refused by the appliance, not by the endpoint: %v", e.Details)
				refused = append(refused, fmt.Sprint(e.Details["type"]))
			}
		}
		assert.ElementsMatch(t, []string{sessionproto.StreamShell, sessionproto.StreamFilePut}, refused)
	})
}

// TestBrowserStreams_TunnelJumpCarriesTunnelsOnly: a Protocol Tunnel Jump's
// session refuses the browser's shell, files and system info, whatever
// its policy grants.
func TestBrowserStreams_TunnelJumpCarriesTunnelsOnly(t *testing.T) {
	w := newJumpointWorld(t, 1, "127.0.0.1", []api.TunnelDefinition{{RemotePort: 9}})
	sess := startSession(t, w.s.Admin, api.ItemProtocolTunnelJump, w.item.ID)
	c := newStreamClient(t, w.s, w.s.AdminToken)
	_, code := c.shell(sess.ID)
	assert.Equal(t, http.StatusForbidden, code)
	for _, tail := range []string{"sysinfo", "files"} {
		resp, b := c.do(http.MethodGet, sess.ID, tail, nil, nil)
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, "%s: %s", tail, b)
		assert.Contains(t, string(b), "tunnel streams only")
	}
}
