package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/agent/agenttest"
	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
)

// agentCmd runs the installed agent's end-user commands on the endpoint.
func (w *world) agentCmd(args ...string) (string, int) {
	return w.e.run(filepath.Join(w.dir, "jumpgate-agent"), append(args, "--dir", w.dir)...)
}

func (w *world) promptingSession(t *testing.T) api.Session {
	t.Helper()
	var got api.Session
	eventually(t, 20*time.Second, "a session waits for consent", func() (bool, string) {
		for _, s := range sessionsOf(t, w.s, api.ItemJumpClient, w.client.ID) {
			if s.Status == api.SessionPrompting {
				got = s
				return true, ""
			}
		}
		return false, "none prompting"
	})
	return got
}

func (w *world) consentPolicy(t *testing.T, p *api.SessionPolicy) {
	t.Helper()
	ctx := context.Background()
	p.CodeName, p.DisplayName = "consent", "Consent"
	p.PromptCustomer = api.PromptAlways
	p.Permissions = api.SessionPermissions{Shell: true, FileRead: true, SystemInfo: true}
	sp, err := w.s.Admin.CreateSessionPolicy(ctx, p)
	require.NoError(t, err)
	_, err = w.s.Admin.PatchJumpClient(ctx, w.client.ID, map[string]any{"attended_session_policy_id": sp.ID, "unattended_session_policy_id": sp.ID})
	require.NoError(t, err)
}

// TestSession_Consent asks the end user: the representative's command
// waits, the end user accepts on the endpoint with `jumpgate-agent
// consent`, the command runs. Then revoking control blocks new commands
// and giving it back allows them; the end user ends a session; and a
// rejected prompt refuses the session.
func TestSession_Consent(t *testing.T) {
	w := newWorld(t)
	w.consentPolicy(t, &api.SessionPolicy{})

	cmd, out, errb := w.admin.start("shell", w.clientRef())
	s := w.promptingSession(t)
	list, code := w.agentCmd("consent", "list")
	require.Equal(t, 0, code, list)
	assert.Contains(t, list, strconv.FormatInt(s.ID, 10))
	eventually(t, 10*time.Second, "the CLI says it waits", func() (bool, string) {
		return strings.Contains(errb.String(), "waiting for the end user"), errb.String()
	})
	res, code := w.agentCmd("consent", "accept", strconv.FormatInt(s.ID, 10))
	require.Equal(t, 0, code, res)
	eventually(t, 20*time.Second, "the session is active", func() (bool, string) {
		got, err := w.s.Admin.GetSession(context.Background(), s.ID)
		require.NoError(t, err)
		return got.Status == api.SessionActive, got.Status
	})

	eventually(t, 20*time.Second, "the shell is open", func() (bool, string) {
		acts, _ := auditOf(t, w.s, s.ID)
		return slices.Contains(acts, "session.stream_opened"), fmt.Sprint(acts)
	})

	// The end user revokes control: new commands are refused; then gives
	// it back.
	res, code = w.agentCmd("sessions", "revoke", strconv.FormatInt(s.ID, 10))
	require.Equal(t, 0, code, res)
	eventually(t, 10*time.Second, "control revoked", func() (bool, string) {
		got, _ := w.s.Admin.GetSession(context.Background(), s.ID)
		return got.ControlRevoked, ""
	})
	_, errOut, code := w.admin.jg("", "run", "--session", strconv.FormatInt(s.ID, 10), "--", "true")
	assert.NotEqual(t, 0, code)
	assert.Contains(t, errOut, "control_revoked")
	res, code = w.agentCmd("sessions", "restore", strconv.FormatInt(s.ID, 10))
	require.Equal(t, 0, code, res)
	eventually(t, 10*time.Second, "control back", func() (bool, string) {
		o, e, c := w.admin.jg("", "run", "--session", strconv.FormatInt(s.ID, 10), "--", "echo", "back-in-control")
		return c == 0 && strings.Contains(o, "back-in-control"), o + e
	})

	// The end user ends the session: the representative's shell stops.
	res, code = w.agentCmd("sessions", "end", strconv.FormatInt(s.ID, 10))
	require.Equal(t, 0, code, res)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		assert.Error(t, err, "the shell command fails when the end user ends the session: %s %s", out.String(), errb.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("the shell did not stop: %s", errb.String())
	}
	got, err := w.s.Admin.GetSession(context.Background(), s.ID)
	require.NoError(t, err)
	assert.Equal(t, api.EndEndUser, got.EndReason)
	acts, _ := auditOf(t, w.s, s.ID)
	assert.Equal(t, []string{"session.requested", "session.prompted", "session.accepted", "session.started", "session.stream_opened",
		"session.control_revoked", "session.stream_refused", "session.control_restored"}, acts[:8])
	assert.Equal(t, "session.ended", acts[len(acts)-1])

	// A rejected prompt refuses the session.
	w.admin.start("run", w.clientRef(), "--", "true")
	s = w.promptingSession(t)
	res, code = w.agentCmd("consent", "reject", strconv.FormatInt(s.ID, 10))
	require.Equal(t, 0, code, res)
	eventually(t, 10*time.Second, "refused", func() (bool, string) {
		got, _ := w.s.Admin.GetSession(context.Background(), s.ID)
		return got.Status == api.SessionRefused && got.RefusedReason == api.RefusedConsentRejected, got.Status + " " + got.RefusedReason
	})
}

// TestSession_ConsentTimeout lets a prompt time out: with on_timeout deny
// the session is refused, with accept it starts. A policy minute is 6 s
// here, so the 10 s minimum timeout lasts 1 s.
func TestSession_ConsentTimeout(t *testing.T) {
	w := newWorld(t, appliancetest.WithSessionMinute(6*time.Second))
	w.consentPolicy(t, &api.SessionPolicy{PromptTimeoutSeconds: 10, OnTimeout: "deny"})
	_, errOut, code := w.admin.jg("", "run", w.clientRef(), "--", "true")
	assert.NotEqual(t, 0, code)
	assert.Contains(t, errOut, api.RefusedConsentTimedOut)
	ss := sessionsOf(t, w.s, api.ItemJumpClient, w.client.ID)
	require.NotEmpty(t, ss)
	assert.Equal(t, api.SessionRefused, ss[0].Status)
	assert.Equal(t, api.RefusedConsentTimedOut, ss[0].RefusedReason)
	acts, _ := auditOf(t, w.s, ss[0].ID)
	assert.Contains(t, acts, "session.prompt_timed_out")

	sp, err := w.s.Admin.CreateSessionPolicy(context.Background(), &api.SessionPolicy{CodeName: "lenient", DisplayName: "Lenient",
		PromptCustomer: api.PromptAlways, PromptTimeoutSeconds: 10, OnTimeout: "accept", Permissions: api.SessionPermissions{Shell: true}})
	require.NoError(t, err)
	_, err = w.s.Admin.PatchJumpClient(context.Background(), w.client.ID, map[string]any{"attended_session_policy_id": sp.ID, "unattended_session_policy_id": sp.ID})
	require.NoError(t, err)
	out, errOut, code := w.admin.jg("", "run", w.clientRef(), "--", "echo", "accepted-by-timeout")
	require.Equal(t, 0, code, "%s %s", out, errOut)
	assert.Contains(t, out, "accepted-by-timeout")
}

// TestSession_TimeLimit ends a session at max_session_minutes, warning the
// representative first. A policy minute is 3 s here.
func TestSession_TimeLimit(t *testing.T) {
	w := newWorld(t, appliancetest.WithSessionMinute(3*time.Second))
	sp, err := w.s.Admin.CreateSessionPolicy(context.Background(), &api.SessionPolicy{CodeName: "short", DisplayName: "Short",
		MaxSessionMinutes: 2, Permissions: api.SessionPermissions{Shell: true}})
	require.NoError(t, err)
	_, err = w.s.Admin.PatchJumpClient(context.Background(), w.client.ID, map[string]any{"attended_session_policy_id": sp.ID, "unattended_session_policy_id": sp.ID})
	require.NoError(t, err)
	start := time.Now()
	out, errOut, code := w.admin.jg("", "run", w.clientRef(), "--", "sleep", "60")
	assert.NotEqual(t, 0, code, "%s %s", out, errOut)
	assert.Less(t, time.Since(start), 40*time.Second, "the session ended at its limit, not when the command did")
	assert.Contains(t, errOut, "1 minute", "the representative was warned")
	assert.Contains(t, errOut, "maximum duration")
	ss := sessionsOf(t, w.s, api.ItemJumpClient, w.client.ID)
	require.NotEmpty(t, ss)
	assert.Equal(t, api.EndMaxDuration, ss[0].EndReason)
	acts, _ := auditOf(t, w.s, ss[0].ID)
	assert.Contains(t, acts, "session.warning")
}

// TestSession_AccessCode: a representative makes a one-time code, the end
// user joins with the customer client (no install), the representative
// works in that session; the code cannot be used twice, nor after 5
// minutes.
func TestSession_AccessCode(t *testing.T) {
	var skew atomic.Int64
	s := newAppliance(t, agenttest.AgentDir(t, "e2e-1"),
		appliancetest.WithSessionClock(func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }))
	r := newRep(t, s, s.AdminToken)
	agent := agenttest.Build(t, "e2e-1")
	e := newEndpoint(t)

	out, errOut, code := r.jg("", "codes", "create", "-o", "json")
	require.Equal(t, 0, code, "%s %s", out, errOut)
	var ac api.AccessCode
	require.NoError(t, json.Unmarshal([]byte(out), &ac), out)
	require.NotEmpty(t, ac.Code)
	assert.Contains(t, ac.JoinCommand, ac.Code)

	join := exec.Command(agent, "join", ac.Code, "--name", "Bob", "--url", s.URL, "--ca-cert", s.CAFile)
	join.Env, join.Dir = e.env, e.home
	joinOut := &syncBuffer{}
	join.Stdout, join.Stderr = joinOut, joinOut
	stdin, err := join.StdinPipe()
	require.NoError(t, err)
	require.NoError(t, join.Start())
	t.Cleanup(func() { _ = join.Process.Kill(); _ = join.Wait() })

	var sid int64
	eventually(t, 20*time.Second, "the code is used", func() (bool, string) {
		got, err := s.Admin.GetAccessCode(context.Background(), ac.ID)
		require.NoError(t, err)
		if got.SessionID != nil {
			sid = *got.SessionID
		}
		return got.Status == api.CodeUsed && sid != 0, got.Status + " " + joinOut.String()
	})
	out, errOut, code = r.jg("", "run", "--session", strconv.FormatInt(sid, 10), "--", "echo", "hi-bob")
	require.Equal(t, 0, code, "%s %s", out, errOut)
	assert.Contains(t, out, "hi-bob")
	sess, err := s.Admin.GetSession(context.Background(), sid)
	require.NoError(t, err)
	assert.Equal(t, api.ModeAccessCode, sess.Mode)
	assert.Equal(t, "Bob", sess.CustomerName)

	// Used once: refused.
	again := exec.Command(agent, "join", ac.Code, "--name", "Eve", "--url", s.URL, "--ca-cert", s.CAFile)
	again.Env = e.env
	againOut, err := again.CombinedOutput()
	assert.Error(t, err)
	assert.Contains(t, string(againOut), "not valid")

	// The end user ends the session from the customer client.
	_, _ = fmt.Fprintln(stdin, "e")
	eventually(t, 20*time.Second, "ended by the customer", func() (bool, string) {
		got, _ := s.Admin.GetSession(context.Background(), sid)
		return got.Status == api.SessionEnded, got.Status
	})

	// An expired code: 6 minutes later on the appliance's clock.
	out, _, code = r.jg("", "codes", "create", "-o", "json")
	require.Equal(t, 0, code)
	require.NoError(t, json.Unmarshal([]byte(out), &ac))
	skew.Store(int64(6 * time.Minute))
	late := exec.Command(agent, "join", ac.Code, "--name", "Late", "--url", s.URL, "--ca-cert", s.CAFile)
	late.Env = e.env
	lateOut, err := late.CombinedOutput()
	assert.Error(t, err)
	assert.Contains(t, string(lateOut), "not valid")
	l, err := s.Admin.ListAuditEvents(context.Background(), &api.ListOptions{Filters: map[string]string{"action": "access_code.refused"}})
	require.NoError(t, err)
	var reasons []string
	for _, ev := range l.Items {
		reasons = append(reasons, fmt.Sprint(ev.Details["reason"]))
	}
	assert.Contains(t, reasons, "the access code was already used")
	assert.Contains(t, reasons, "the access code expired")
}

// TestSession_ClientTunnelNotificationsFeedback: a Jump Client as the far
// end of a tunnel to its own localhost; the Jump Policy's start and end
// notifications reach its webhook; recordings_disabled turns recording off;
// the end-of-session rating is stored and audited.
func TestSession_ClientTunnelNotificationsFeedback(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	var events []string
	var mu sync.Mutex
	hook := newHTTPServer(t, http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		var n struct {
			Event   string      `json:"event"`
			Session api.Session `json:"session"`
		}
		_ = json.NewDecoder(r.Body).Decode(&n)
		mu.Lock()
		events = append(events, fmt.Sprintf("%s %d", n.Event, n.Session.ID))
		mu.Unlock()
	}))
	jp, err := w.s.Admin.CreateJumpPolicy(ctx, &api.JumpPolicy{CodeName: "notify", DisplayName: "Notify", SessionStartNotification: true,
		SessionEndNotification: true, NotificationWebhookURL: hook, RecordingsDisabled: true})
	require.NoError(t, err)
	_, err = w.s.Admin.PatchJumpClient(ctx, w.client.ID, map[string]any{"jump_policy_id": jp.ID})
	require.NoError(t, err)

	web := newHTTPServer(t, http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) { fmt.Fprint(rw, "on the endpoint") }))
	_, webPort, _ := net.SplitHostPort(strings.TrimPrefix(web, "http://"))
	addrs, _ := openTunnel(t, w.admin, "-L", "0:"+webPort, w.clientRef())
	port, _ := strconv.Atoi(webPort)
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := hc.Get("http://" + addrs[port] + "/")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "on the endpoint", string(body))

	ss := sessionsOf(t, w.s, api.ItemJumpClient, w.client.ID)
	require.Len(t, ss, 1)
	sid := ss[0].ID
	assert.False(t, ss[0].Recording, "recordings_disabled")
	out, errOut, code := w.admin.jg("", "sessions", "end", strconv.FormatInt(sid, 10))
	require.Equal(t, 0, code, "%s %s", out, errOut)
	out, errOut, code = w.admin.jg("", "sessions", "feedback", strconv.FormatInt(sid, 10), "--rating", "4", "--comment", "quick fix")
	require.Equal(t, 0, code, "%s %s", out, errOut)
	got, err := w.s.Admin.GetSession(ctx, sid)
	require.NoError(t, err)
	require.NotNil(t, got.Rating)
	assert.Equal(t, 4, *got.Rating)
	assert.Equal(t, "quick fix", got.Feedback)
	assert.Empty(t, got.Recordings, "nothing is recorded under recordings_disabled")
	acts, _ := auditOf(t, w.s, sid)
	assert.Contains(t, acts, "session.tunnel_opened")
	assert.Contains(t, acts, "session.feedback")
	eventually(t, 20*time.Second, "start and end notifications", func() (bool, string) {
		mu.Lock()
		defer mu.Unlock()
		want := []string{fmt.Sprintf("session.started %d", sid), fmt.Sprintf("session.ended %d", sid)}
		return fmt.Sprint(events) == fmt.Sprint(want), fmt.Sprint(events)
	})
}

// TestSession_HeadlessAutomaticBehavior: a client installed with
// --headless cannot be asked, so a session that needs consent gets the
// public portal's automatic behaviour: reject by default, accept when the
// portal says so.
func TestSession_HeadlessAutomaticBehavior(t *testing.T) {
	s := newAppliance(t, agenttest.AgentDir(t, "e2e-1"))
	ctx := context.Background()
	in := installerFor(t, s, &api.JumpClientInstaller{})
	file := download(t, s, binPath(in))
	e := newEndpoint(t)
	e.started(file, filepath.Join(e.home, "jc"), "--headless")
	c := onlineClient(t, s, in.InstallerID, false)
	eventually(t, 10*time.Second, "the client reports headless", func() (bool, string) {
		got, err := s.Admin.GetJumpClient(ctx, c.ID)
		require.NoError(t, err)
		return got.Headless, fmt.Sprint(got.Headless)
	})
	r := newRep(t, s, s.AdminToken)
	ref := fmt.Sprintf("client:%d", c.ID)
	_, errOut, code := r.jg("", "run", "--mode", "consent", ref, "--", "true")
	assert.NotEqual(t, 0, code)
	assert.Contains(t, errOut, api.RefusedConsentRejected)

	_, err := s.Admin.CreatePublicPortal(ctx, &api.PublicPortal{Hostname: "support.example.com", DisplayName: "Support", Default: true,
		AutomaticBehavior: api.AutomaticAccept})
	require.NoError(t, err)
	out, errOut, code := r.jg("", "run", "--mode", "consent", ref, "--", "echo", "auto-accepted")
	require.Equal(t, 0, code, "%s %s", out, errOut)
	assert.Contains(t, out, "auto-accepted")
	ss := sessionsOf(t, s, api.ItemJumpClient, c.ID)
	acts, evs := auditOf(t, s, ss[0].ID)
	assert.Contains(t, acts, "session.accepted")
	for _, ev := range evs {
		if ev.Action == "session.accepted" {
			assert.Contains(t, fmt.Sprint(ev.Details["by"]), "automatic")
		}
	}
}
