package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/internal/browsertest"
)

// consolePage signs the admin in to the console of w's appliance.
func consolePage(t *testing.T, w *world) *browsertest.Page {
	t.Helper()
	p := browsertest.New(t, browsertest.Options{BaseURL: w.s.URL, CAPEM: w.s.CAPEM})
	p.Open("/items")
	p.Fill("Username", "admin")
	p.Fill("Password", w.s.AdminPassword)
	p.Click("button", "Sign in")
	p.Find("heading", "Jump Items")
	return p
}

// terminalText is what the terminal shows (xterm.js's DOM renderer).
func terminalText(p *browsertest.Page) string {
	return browsertest.Eval[string](p, `(document.querySelector(".xterm-rows") || {}).innerText || ""`)
}

func waitTerminal(t *testing.T, p *browsertest.Page, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(terminalText(p), want) {
		if time.Now().After(deadline) {
			p.Screenshot("terminal-timeout")
			t.Fatalf("the terminal never showed %q; it shows:\n%s", want, terminalText(p))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// typeLine types a line into the terminal, with real input events.
func typeLine(t *testing.T, p *browsertest.Page, line string) {
	t.Helper()
	p.Fill("Terminal input", line)
	require.NoError(t, chromedp.Do(p.Context(), chromedp.KeyEvent("\r")))
}

// setFile puts a local file into the file input with the given id.
func setFile(t *testing.T, p *browsertest.Page, id, file string) {
	t.Helper()
	err := chromedp.Do(p.Context(), chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		r, err := chromedp.Call(ctx, runtime.Evaluate, runtime.EvaluateParams{Expression: fmt.Sprintf("document.getElementById(%q)", id)})
		if err != nil {
			return err
		}
		if r.Result == nil || r.Result.ObjectID == "" {
			return fmt.Errorf("no element #%s", id)
		}
		_, err = chromedp.Call(ctx, dom.SetFileInputFiles, dom.SetFileInputFilesParams{Files: []string{file}, ObjectID: r.Result.ObjectID})
		return err
	}))
	require.NoError(t, err)
}

// shas are the SHA-256 sums the Files tab shows, in order.
func shas(p *browsertest.Page) []string {
	return browsertest.Eval[[]string](p, `Array.from(document.querySelectorAll(".sha code"), (c) => c.textContent)`)
}

// TestConsole_SessionOnJumpClient: in Chromium, against a real appliance
// and a real Jump Client, the admin finds the client on the items page,
// starts an unattended session, types a command into the terminal and
// reads its output from the page, uploads a file and downloads it back
// with the same SHA-256, reads the system info and ends the session; then
// starts a consent session, which waits until the end user accepts it on
// the endpoint.
func TestConsole_SessionOnJumpClient(t *testing.T) {
	w := newWorld(t)
	p := consolePage(t, w)

	p.Fill("Search", w.client.Name)
	p.Click("link", w.client.Name)
	p.Find("heading", w.client.Name)
	p.WaitPath(fmt.Sprintf("/items/client/%d", w.client.ID))
	p.Screenshot("item")
	p.Click("button", "Start unattended session")
	p.WaitText("Active")
	heading := p.Text("heading", "")
	require.True(t, strings.HasPrefix(heading, "Session "), heading)
	sid, err := strconv.ParseInt(strings.Fields(heading)[1], 10, 64)
	require.NoError(t, err)
	p.WaitPath(fmt.Sprintf("/sessions/%d", sid))

	p.WaitText("Connected.")
	axe(t, p, "the session page")
	typeLine(t, p, "echo console-says-$((6*7))")
	waitTerminal(t, p, "console-says-42")
	typeLine(t, p, "stty size")
	p.Screenshot("terminal")

	// Files: upload a file, then download it back.
	payload := make([]byte, 1<<20+333)
	for i := range payload {
		payload[i] = byte(i*31 + i/97)
	}
	sum := sha256.Sum256(payload)
	want := hex.EncodeToString(sum[:])
	local := filepath.Join(t.TempDir(), "console-payload.bin")
	require.NoError(t, os.WriteFile(local, payload, 0o644))
	p.Click("tab", "Files")
	p.Find("heading", "Files")
	// Into the endpoint's test home, not the session user's real one.
	p.Fill("Folder on the endpoint", w.e.home)
	p.Click("button", "Open folder")
	p.Find("table", w.e.home)
	setFile(t, p, "files-upload", local)
	p.WaitText("done, SHA-256 checked by the endpoint")
	got, err := os.ReadFile(filepath.Join(w.e.home, "console-payload.bin"))
	require.NoError(t, err, "the file is in the folder shown on the endpoint")
	assert.Equal(t, payload, got)
	p.Click("button", "Download console-payload.bin")
	deadline := time.Now().Add(20 * time.Second)
	for len(shas(p)) < 2 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	assert.Equal(t, []string{want, want}, shas(p), "the upload's and the download's SHA-256 are the file's")
	p.Screenshot("files")

	p.Click("tab", "System info")
	p.Find("heading", "System info")
	p.WaitText("Agent")
	p.Screenshot("sysinfo")

	// The terminal kept its shell while other tabs showed.
	p.Click("tab", "Terminal")
	typeLine(t, p, "echo still-$((1+1))")
	waitTerminal(t, p, "still-2")

	p.Click("button", "End session")
	p.WaitText("Ended")
	s, err := w.s.Admin.GetSession(context.Background(), sid)
	require.NoError(t, err)
	assert.Equal(t, api.SessionEnded, s.Status)
	acts, _ := auditOf(t, w.s, sid)
	assert.Contains(t, acts, "session.file_transferred")
	p.Screenshot("ended")
	// The sessions list links to the session's page.
	p.Click("link", "Sessions")
	p.Find("heading", "Sessions")
	p.Find("link", w.client.Name)
	p.Screenshot("sessions")
	p.Back()
	p.Find("heading", heading)

	// A consent session waits for the end user, who accepts on the endpoint.
	p.Click("link", "Back to "+w.client.Name)
	p.Click("button", "Start session with consent")
	p.WaitText("Waiting for the end user to accept")
	p.WaitText("times out in")
	p.Screenshot("consent-waiting")
	pending := w.promptingSession(t)
	res, code := w.agentCmd("consent", "accept", strconv.FormatInt(pending.ID, 10))
	require.Equal(t, 0, code, res)
	p.WaitText("Active (consent)")
	p.WaitText("Connected.")
	typeLine(t, p, "echo accepted-$((3*3))")
	waitTerminal(t, p, "accepted-9")
	p.Screenshot("consent-active")
	p.Click("button", "End session")
	p.WaitText("Ended")
	assert.Empty(t, p.Errors(), "the pages logged errors (a CSP violation is one)")
}

// TestConsole_TunnelJumpShowsCommand: a Protocol Tunnel Jump's page shows
// the jumpgate tunnel command, since a browser cannot open local ports.
func TestConsole_TunnelJumpShowsCommand(t *testing.T) {
	jw := newJumpointWorld(t, 1, "127.0.0.1", []api.TunnelDefinition{{RemotePort: 5432}})
	w := &world{s: jw.s}
	p := consolePage(t, w)
	p.Click("link", jw.item.Name)
	p.Find("heading", jw.item.Name)
	p.WaitText(fmt.Sprintf("jumpgate tunnel tunnel:%d", jw.item.ID))
	p.Find("button", "Copy command")
	p.Screenshot("tunnel-jump")
	assert.Empty(t, p.Errors())
}

// TestConsole_ItemsLiveStatus: the items page shows a Jump Client going
// offline without a reload, from the live status stream, and has no
// serious accessibility violation; so do an item's and a session's pages.
func TestConsole_ItemsLiveStatus(t *testing.T) {
	w := newWorld(t)
	p := consolePage(t, w)
	p.WaitText("Status updates live.")
	row := func() string {
		return browsertest.Eval[string](p, `Array.from(document.querySelectorAll("tbody tr"), (r) => r.innerText).join("\n")`)
	}
	// waitRow waits until the items table shows want: "Status updates
	// live." can appear before the first page of rows is drawn.
	waitRow := func(want string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !strings.Contains(row(), want) {
			if time.Now().After(deadline) {
				p.Screenshot("live-timeout")
				t.Fatalf("the items page shows %q, not %q", row(), want)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	waitRow("online")
	axe(t, p, "/items")
	out, code := w.e.run(filepath.Join(w.dir, "init-script"), "stop")
	require.Equal(t, 0, code, out)
	waitRow("offline")
	p.Screenshot("items-offline")
	p.Click("link", w.client.Name)
	p.Find("button", "Start unattended session")
	axe(t, p, "the item page")

	// An administrator ends the admin's browser sessions: the live status
	// stream closes, and the items page goes to the sign-in page.
	p.Click("link", "Jump Items")
	p.WaitText("Status updates live.")
	start := time.Now()
	_, err := w.s.Admin.Do(context.Background(), "DELETE", "users/1/sessions", nil, nil, nil)
	require.NoError(t, err)
	p.Find("heading", "Sign in to Jumpgate")
	t.Logf("signed out on the page %v after the browser sessions ended", time.Since(start))
	assert.Empty(t, p.Errors())
}

// axe fails the test on serious and critical axe-core violations.
func axe(t *testing.T, p *browsertest.Page, page string) {
	t.Helper()
	path := os.Getenv("JUMPGATE_AXE")
	if path == "" {
		path = filepath.Join(moduleRoot(t), "web", "node_modules", "axe-core", "axe.min.js")
	}
	for _, v := range p.Axe(path) {
		t.Errorf("axe-core on %s: %s (%s): %s at %v", page, v.ID, v.Impact, v.Help, v.Nodes)
	}
}

// TestConsole_WaitingStates: a Jump Policy that requires a ticket shows
// its refusal with the Ticket ID field marked, and a valid ticket starts
// the session; one that requires approval shows the pending request, and
// once an approver grants it the session starts.
func TestConsole_WaitingStates(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	s := w.s
	p := consolePage(t, w)
	usePolicy := func(jp *api.JumpPolicy) {
		t.Helper()
		jp.DisplayName = jp.CodeName
		made, err := s.Admin.CreateJumpPolicy(ctx, jp)
		require.NoError(t, err)
		_, err = s.Admin.PatchJumpClient(ctx, w.client.ID, map[string]any{"jump_policy_id": made.ID})
		require.NoError(t, err)
	}

	hook := newHook(t)
	usePolicy(&api.JumpPolicy{CodeName: "tickets", TicketIDRequired: true, TicketIDWebhookURL: hook.url})
	p.Open(fmt.Sprintf("/items/client/%d", w.client.ID))
	p.Click("button", "Start unattended session")
	assert.Contains(t, p.Text("alert", ""), "ticket required")
	p.WaitText("Ticket ID is required by the Jump Policy")
	p.Screenshot("ticket-required")
	p.Fill("Ticket ID", "OK-7")
	p.Click("button", "Start unattended session")
	p.WaitText("Active (unattended)")
	assert.Equal(t, "OK-7", hook.last().TicketID)
	p.Click("button", "End session")
	p.WaitText("Ended")

	approver, _ := s.NewUser(t, true)
	usePolicy(&api.JumpPolicy{CodeName: "approval", ApprovalRequired: true, ApprovalUserIDs: []int64{approver.ID}})
	p.Open(fmt.Sprintf("/items/client/%d", w.client.ID))
	p.Click("button", "Start unattended session")
	p.WaitText("approval required")
	var pending api.List[api.Approval]
	_, err := s.Admin.Do(ctx, "GET", "approvals", map[string][]string{"status": {"pending"}}, nil, &pending)
	require.NoError(t, err)
	require.Len(t, pending.Items, 1)
	p.WaitText(fmt.Sprintf("Approval request %d is pending", pending.Items[0].ID))
	p.Screenshot("approval-pending")
	_, err = s.Client(t, tokenFor(t, s, approver.ID)).Do(ctx, "POST", fmt.Sprintf("approvals/%d/grant", pending.Items[0].ID), nil,
		map[string]any{"duration_minutes": 30}, nil)
	require.NoError(t, err)
	p.WaitText("The approval request was granted.")
	p.Click("button", "Start unattended session")
	p.WaitText("Active (unattended)")
	assert.Empty(t, p.Errors())
}
