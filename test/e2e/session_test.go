package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/appliance/appliancetest"
)

// sessionsOf lists the sessions on an item, newest first.
func sessionsOf(t *testing.T, s *appliancetest.Server, itemType string, itemID int64) []api.Session {
	t.Helper()
	var l api.List[api.Session]
	_, err := s.Admin.Do(context.Background(), http.MethodGet, "sessions", map[string][]string{
		"item_type": {itemType}, "item_id": {strconv.FormatInt(itemID, 10)}}, nil, &l)
	require.NoError(t, err)
	return l.Items
}

// auditOf returns the actions of a session's audit trail, oldest first.
func auditOf(t *testing.T, s *appliancetest.Server, sessionID int64) ([]string, []api.AuditEvent) {
	t.Helper()
	l, err := s.Admin.ListAuditEvents(context.Background(), &api.ListOptions{Limit: 500,
		Filters: map[string]string{"object_type": "session", "object_id": strconv.FormatInt(sessionID, 10)}})
	require.NoError(t, err)
	var acts []string
	for _, e := range l.Items {
		acts = append(acts, e.Action)
	}
	return acts, l.Items
}

// TestSession_Unattended drives a Jump Client through the CLI as a
// representative would: a command with its output and exit code, a shell
// fed from a pipe, files up and down, system information; then checks the
// recording plays in asciinema and the audit trail tells the whole story in
// order.
func TestSession_Unattended(t *testing.T) {
	w := newWorld(t)
	r := w.admin

	out, errOut, code := r.jg("", "run", w.clientRef(), "--", "sh", "-c", "echo hello from $(hostname); echo oops >&2; exit 3")
	assert.Equal(t, 3, code, "the remote exit code is the CLI's: %s %s", out, errOut)
	assert.Contains(t, out, "hello from")
	assert.Contains(t, errOut, "oops")

	out, errOut, code = r.jg("echo shell-says-$((6*7))\nexit 0\n", "shell", w.clientRef())
	require.Equal(t, 0, code, "shell: %s %s", out, errOut)
	assert.Contains(t, out, "shell-says-42")

	// Files: put, list, get back, compare.
	local := filepath.Join(t.TempDir(), "payload.bin")
	payload := make([]byte, 3<<20+17)
	for i := range payload {
		payload[i] = byte(i * 7)
	}
	require.NoError(t, os.WriteFile(local, payload, 0o640))
	remote := filepath.Join(w.e.home, "uploaded.bin")
	out, errOut, code = r.jg("", "files", "put", w.clientRef(), local, remote)
	require.Equal(t, 0, code, "files put: %s %s", out, errOut)
	got, err := os.ReadFile(remote)
	require.NoError(t, err)
	assert.Equal(t, payload, got, "the endpoint has the exact bytes")
	out, errOut, code = r.jg("", "files", "put", w.clientRef(), local, remote)
	assert.NotEqual(t, 0, code, "an existing file is not replaced without --overwrite: %s", out)
	assert.Contains(t, errOut, "exists")
	out, errOut, code = r.jg("", "files", "ls", w.clientRef(), w.e.home, "-o", "json")
	require.Equal(t, 0, code, "files ls: %s %s", out, errOut)
	assert.Contains(t, out, "uploaded.bin")
	back := filepath.Join(t.TempDir(), "back.bin")
	out, errOut, code = r.jg("", "files", "get", w.clientRef(), remote, back)
	require.Equal(t, 0, code, "files get: %s %s", out, errOut)
	got, err = os.ReadFile(back)
	require.NoError(t, err)
	assert.Equal(t, payload, got)

	out, errOut, code = r.jg("", "sysinfo", w.clientRef(), "-o", "json")
	require.Equal(t, 0, code, "sysinfo: %s %s", out, errOut)
	var si map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &si), out)
	assert.NotEmpty(t, si["hostname"])
	assert.NotEmpty(t, si["os"])

	ss := sessionsOf(t, w.s, api.ItemJumpClient, w.client.ID)
	require.GreaterOrEqual(t, len(ss), 5)
	for _, s := range ss {
		assert.Equal(t, api.SessionEnded, s.Status, "every CLI command ends its session (%d: %s)", s.ID, s.EndReason)
		assert.Equal(t, api.ModeUnattended, s.Mode)
	}

	// The shell's session has a recording that asciinema plays.
	var shellSession *api.Session
	for i := range ss {
		for _, rc := range ss[i].Recordings {
			if rc.Kind == api.RecordingShell && strings.Contains(rc.FileName, "shell") {
				shellSession = &ss[i]
			}
		}
	}
	require.NotNil(t, shellSession, "the shell was recorded")
	castFile := filepath.Join(t.TempDir(), "shell.cast")
	out, errOut, code = r.jg("", "recordings", "get", strconv.FormatInt(shellSession.ID, 10), "-o", castFile)
	require.Equal(t, 0, code, "recordings get: %s %s", out, errOut)
	cast, err := os.ReadFile(castFile)
	require.NoError(t, err)
	assert.Contains(t, string(cast), "shell-says-42")
	sum := sha256.Sum256(cast)
	assert.Equal(t, shellSession.Recordings[0].SHA256, hex.EncodeToString(sum[:]), "the file is the one the appliance hashed")
	if _, err := exec.LookPath("asciinema"); err == nil {
		play := exec.Command("asciinema", "play", "-s", "50", castFile)
		playOut, err := play.CombinedOutput()
		require.NoError(t, err, "asciinema play: %s", playOut)
		assert.Contains(t, string(playOut), "shell-says-42")
	} else {
		t.Log("asciinema is not installed; make test installs it (hack/install-test-deps.sh)")
	}

	// The file transfer session's audit trail, in order, with the file's
	// name, size and hash.
	var putSession int64
	for _, s := range ss {
		acts, evs := auditOf(t, w.s, s.ID)
		for _, e := range evs {
			if e.Action == "session.file_transferred" && e.Details["direction"] == "upload" {
				putSession = s.ID
				assert.Equal(t, remote, e.Details["path"])
				assert.EqualValues(t, len(payload), e.Details["size"])
				want := sha256.Sum256(payload)
				assert.Equal(t, hex.EncodeToString(want[:]), e.Details["sha256"])
				assert.Equal(t, []string{"session.requested", "session.started", "session.file_transfer_started",
					"session.file_transferred", "session.ended"}, acts)
			}
		}
	}
	assert.NotZero(t, putSession, "the upload is audited")
}

// TestSession_Refusals checks each refusal of the broker, as the
// representative sees it (one line, non-zero exit) and as the audit log
// records it.
func TestSession_Refusals(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	s := w.s

	// A user without any role does not even see the item.
	u, _ := s.NewUser(t, false)
	stranger := newRep(t, s, tokenFor(t, s, u.ID))
	_, errOut, code := stranger.jg("", "run", w.clientRef(), "--", "true")
	assert.NotEqual(t, 0, code)
	assert.Contains(t, errOut, "may not see it")

	// A user with view only is refused with no_access.
	gp, err := s.Admin.CreateGroupPolicy(ctx, &api.GroupPolicy{Name: "viewers", Members: []int64{u.ID},
		JumpGroups: []api.GroupPolicyJumpGroup{{JumpGroupID: w.group, Role: api.RoleView}}})
	require.NoError(t, err)
	_, errOut, code = stranger.jg("", "run", w.clientRef(), "--", "true")
	assert.NotEqual(t, 0, code)
	assert.Contains(t, errOut, api.RefusedNoAccess)
	_, err = s.Admin.PatchGroupPolicy(ctx, gp.ID, map[string]any{"jump_groups": []map[string]any{{"jump_group_id": w.group, "role": "start"}}})
	require.NoError(t, err)
	out, errOut, code := stranger.jg("", "run", w.clientRef(), "--", "echo", "member-ok")
	require.Equal(t, 0, code, "with start: %s %s", out, errOut)

	policy := func(p *api.JumpPolicy) int64 {
		t.Helper()
		p.DisplayName = p.CodeName
		jp, err := s.Admin.CreateJumpPolicy(ctx, p)
		require.NoError(t, err)
		_, err = s.Admin.PatchJumpClient(ctx, w.client.ID, map[string]any{"jump_policy_id": jp.ID})
		require.NoError(t, err)
		return jp.ID
	}
	refused := func(reason string, args ...string) string {
		t.Helper()
		_, errOut, code := w.admin.jg("", append(append([]string{"run"}, args...), w.clientRef(), "--", "true")...)
		assert.NotEqual(t, 0, code, "refused with %s", reason)
		assert.Contains(t, errOut, reason)
		assert.Equal(t, 1, strings.Count(strings.TrimSpace(errOut), "\n")+1, "one line: %q", errOut)
		return errOut
	}

	// Outside the schedule: a window that is never now.
	now := time.Now().UTC()
	day := strings.ToLower(now.Add(48 * time.Hour).Weekday().String())
	policy(&api.JumpPolicy{CodeName: "sched", ScheduleEnabled: true, Timezone: "UTC",
		Schedule: []api.ScheduleEntry{{Day: day, StartTime: "00:00", EndTime: "00:01"}}})
	refused(api.RefusedOutsideSchedule)

	// An expired policy.
	past := now.Add(-time.Hour)
	policy(&api.JumpPolicy{CodeName: "expired", ExpiresAt: &past})
	refused(api.RefusedPolicyExpired)

	// A missing ticket, then a ticket the webhook rejects, then one it
	// accepts.
	hook := newHook(t)
	policy(&api.JumpPolicy{CodeName: "ticket", TicketIDRequired: true, TicketIDWebhookURL: hook.url})
	refused(api.RefusedTicketRequired)
	refused(api.RefusedTicketRejected, "--ticket", "BAD-1")
	out, errOut, code = w.admin.jg("", "run", "--ticket", "OK-1", w.clientRef(), "--", "echo", "ticket-ok")
	require.Equal(t, 0, code, "%s %s", out, errOut)
	assert.Equal(t, "OK-1", hook.last().TicketID)

	// Approval: refused with a pending request, granted by an approver,
	// then allowed. The requester cannot approve their own request.
	approver, _ := s.NewUser(t, true)
	policy(&api.JumpPolicy{CodeName: "approval", ApprovalRequired: true, ApprovalUserIDs: []int64{approver.ID}})
	msg := refused(api.RefusedApprovalRequired)
	assert.Contains(t, msg, "approvals grant")
	var approvals api.List[api.Approval]
	_, err = s.Admin.Do(ctx, http.MethodGet, "approvals", map[string][]string{"status": {"pending"}}, nil, &approvals)
	require.NoError(t, err)
	require.Len(t, approvals.Items, 1)
	aid := strconv.FormatInt(approvals.Items[0].ID, 10)
	_, errOut, code = w.admin.jg("", "approvals", "grant", aid)
	assert.NotEqual(t, 0, code, "not an approver of this policy: %s", errOut)
	ar := newRep(t, s, tokenFor(t, s, approver.ID))
	out, errOut, code = ar.jg("", "approvals", "grant", aid, "--duration", "30m")
	require.Equal(t, 0, code, "%s %s", out, errOut)
	out, errOut, code = w.admin.jg("", "run", w.clientRef(), "--", "echo", "approved")
	require.Equal(t, 0, code, "%s %s", out, errOut)

	// Simultaneous jumps disallowed: another user's session holds the item.
	policy(&api.JumpPolicy{CodeName: "alone", SimultaneousJumps: api.SimultaneousDisallow})
	_, _, _ = stranger.start("shell", w.clientRef())
	eventually(t, 20*time.Second, "the other user's shell is up", func() (bool, string) {
		for _, ss := range sessionsOf(t, s, api.ItemJumpClient, w.client.ID) {
			if ss.Status == api.SessionActive && ss.UserID == u.ID {
				return true, ""
			}
		}
		return false, "no active session"
	})
	refused(api.RefusedSimultaneous)
	// With joining allowed (the default), a second representative joins
	// that session instead; end it for the checks below.
	for _, ss := range sessionsOf(t, s, api.ItemJumpClient, w.client.ID) {
		if ss.Status == api.SessionActive {
			out, errOut, code := w.admin.jg("", "sessions", "end", strconv.FormatInt(ss.ID, 10))
			require.Equal(t, 0, code, "%s %s", out, errOut)
		}
	}

	// Per-stream permission: a policy without file_write refuses an upload
	// at the stream, after the session started.
	_, err = s.Admin.PatchJumpClient(ctx, w.client.ID, map[string]any{"jump_policy_id": nil})
	require.NoError(t, err)
	sp, err := s.Admin.CreateSessionPolicy(ctx, &api.SessionPolicy{CodeName: "readonly", DisplayName: "Read only",
		Permissions: api.SessionPermissions{Shell: true, FileRead: true, SystemInfo: true}})
	require.NoError(t, err)
	_, err = s.Admin.PatchJumpClient(ctx, w.client.ID, map[string]any{"attended_session_policy_id": sp.ID, "unattended_session_policy_id": sp.ID})
	require.NoError(t, err)
	local := filepath.Join(t.TempDir(), "f.txt")
	require.NoError(t, os.WriteFile(local, []byte("x"), 0o600))
	_, errOut, code = w.admin.jg("", "files", "put", w.clientRef(), local, filepath.Join(w.e.home, "nope.txt"))
	assert.NotEqual(t, 0, code)
	assert.Contains(t, errOut, "permission_denied")
	assert.NoFileExists(t, filepath.Join(w.e.home, "nope.txt"))

	// The organisation-wide switch off blocks unattended sessions.
	_, err = s.Admin.PatchJumpClientSettings(ctx, map[string]any{"unattended_sessions_allowed": false})
	require.NoError(t, err)
	refused(api.RefusedUnattendedDisabled)

	// Every refusal is a refused session with its reason, audited.
	reasons := map[string]bool{}
	for _, ss := range sessionsOf(t, s, api.ItemJumpClient, w.client.ID) {
		if ss.Status == api.SessionRefused {
			reasons[ss.RefusedReason] = true
			acts, _ := auditOf(t, s, ss.ID)
			assert.Contains(t, acts, "session.refused")
		}
	}
	for _, want := range []string{api.RefusedNoAccess, api.RefusedOutsideSchedule, api.RefusedPolicyExpired, api.RefusedTicketRequired,
		api.RefusedTicketRejected, api.RefusedApprovalRequired, api.RefusedSimultaneous, api.RefusedUnattendedDisabled} {
		assert.True(t, reasons[want], "a refused session with reason %s", want)
	}
}

// ticketHook is a ticket system's webhook: tickets starting with OK pass.
type ticketHook struct {
	url   string
	mu    chan struct{}
	calls []struct{ TicketID string }
}

func newHook(t *testing.T) *ticketHook {
	h := &ticketHook{mu: make(chan struct{}, 1)}
	srv := newHTTPServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			TicketID string `json:"ticket_id"`
		}
		_ = json.NewDecoder(r.Body).Decode(&in)
		h.mu <- struct{}{}
		h.calls = append(h.calls, struct{ TicketID string }{in.TicketID})
		<-h.mu
		if strings.HasPrefix(in.TicketID, "OK") {
			fmt.Fprint(w, `{"valid": true}`)
			return
		}
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"message": "no open ticket %s"}`, in.TicketID)
	}))
	h.url = srv
	return h
}

func (h *ticketHook) last() struct{ TicketID string } {
	h.mu <- struct{}{}
	defer func() { <-h.mu }()
	if len(h.calls) == 0 {
		return struct{ TicketID string }{}
	}
	return h.calls[len(h.calls)-1]
}
