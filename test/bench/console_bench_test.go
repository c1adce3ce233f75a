package bench

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/coder/websocket"

	"github.com/jumpgate/jumpgate/api"
	"github.com/jumpgate/jumpgate/api/sessionproto"
	"github.com/jumpgate/jumpgate/internal/browsertest"
)

// floodBytes is the terminal flood of the console benchmark: 10 MB of
// output lines.
const floodBytes = 10_000_000

// floodCommand prints floodBytes in lines of 100, then a marker made by the
// shell (so the echo of the command line itself does not match).
const floodCommand = "head -c 10000000 /dev/zero | tr '\\0' x | fold -w 99; echo flood-$((40+2))-end"

// echoSamples is how many echoes are timed before and after the flood.
const echoSamples = 9

// TestBenchConsoleTerminal measures the console's terminal in Chromium
// against the same shell read by a plain WebSocket client in Go (the
// baseline, which renders nothing): the time a 10 MB output flood takes to
// reach the screen, and the input echo (a key press to its character on
// the screen, timed in the page) before and after the flood.
func TestBenchConsoleTerminal(t *testing.T) {
	if os.Getenv(envEnable) != "1" {
		t.Skipf("set %s=1 to run the console terminal benchmark (make bench)", envEnable)
	}
	w := newJumpgateWorld(t, newProcAccount())
	w.jumpClient()
	ctx := context.Background()
	start := func() int64 {
		var s api.Session
		if _, err := w.s.Admin.Do(ctx, http.MethodPost, api.PathSessions, nil, &api.SessionRequest{ItemType: api.ItemJumpClient, ItemID: w.client.ID, Mode: api.ModeUnattended}, &s); err != nil {
			t.Fatalf("start a session: %v", err)
		}
		return s.ID
	}

	// Baseline: the shell endpoint read by a Go WebSocket client.
	sid := start()
	u := strings.Replace(w.s.URL, "https://", "wss://", 1) + fmt.Sprintf("/api/v1/sessions/%d/shell?cols=120&rows=40", sid)
	ws, _, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPClient: w.s.HTTPClient(t),
		HTTPHeader: http.Header{"Authorization": {"Bearer " + w.s.AdminToken}}, Subprotocols: []string{sessionproto.TerminalSubprotocol}})
	if err != nil {
		t.Fatalf("dial the shell: %v", err)
	}
	defer ws.CloseNow()
	ws.SetReadLimit(-1)
	var seen strings.Builder
	readUntil := func(want string) {
		rctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		for !strings.Contains(seen.String(), want) {
			typ, p, err := ws.Read(rctx)
			if err != nil {
				t.Fatalf("reading for %q: %v", want, err)
			}
			if typ == websocket.MessageBinary {
				seen.Write(p)
			}
		}
		seen.Reset()
	}
	echoWS := func(i int) time.Duration {
		t0 := time.Now()
		if err := ws.Write(ctx, websocket.MessageBinary, fmt.Appendf(nil, "echo ws-%d-$((%d+1))\n", i, i)); err != nil {
			t.Fatal(err)
		}
		readUntil(fmt.Sprintf("ws-%d-%d", i, i+1))
		return time.Since(t0)
	}
	var wsBefore, wsAfter []time.Duration
	for i := range echoSamples {
		wsBefore = append(wsBefore, echoWS(i))
	}
	t0 := time.Now()
	if err := ws.Write(ctx, websocket.MessageBinary, []byte(floodCommand+"\n")); err != nil {
		t.Fatal(err)
	}
	readUntil("flood-42-end")
	wsFlood := time.Since(t0)
	for i := range echoSamples {
		wsAfter = append(wsAfter, echoWS(100+i))
	}
	ws.Close(websocket.StatusNormalClosure, "")

	// The console in Chromium.
	sid = start()
	p := browsertest.New(t, browsertest.Options{BaseURL: w.s.URL, CAPEM: w.s.CAPEM})
	p.Open(fmt.Sprintf("/sessions/%d", sid))
	p.Fill("Username", "admin")
	p.Fill("Password", w.s.AdminPassword)
	p.Click("button", "Sign in")
	p.WaitText("Connected.")
	// The page times each echo itself: from the Enter key's keydown to the
	// mutation that puts the expected text on the screen.
	browsertest.Eval[bool](p, `(() => {
		window.__expect = (text) => new Promise((resolve) => {
			let t0 = 0;
			const rows = document.querySelector(".xterm-rows");
			const down = (e) => { if (e.key === "Enter") t0 = performance.now(); };
			document.addEventListener("keydown", down, true);
			const check = () => {
				if (t0 && rows.innerText.includes(text)) {
					obs.disconnect();
					document.removeEventListener("keydown", down, true);
					resolve(performance.now() - t0);
				}
			};
			const obs = new MutationObserver(check);
			obs.observe(rows, { childList: true, subtree: true, characterData: true });
		});
		return true;
	})()`)
	typeLine := func(line string) {
		p.Fill("Terminal input", line)
		if err := chromedp.Do(p.Context(), chromedp.KeyEvent("\r")); err != nil {
			t.Fatal(err)
		}
	}
	echoPage := func(i int) time.Duration {
		want := fmt.Sprintf("pg-%d-%d", i, i+1)
		browsertest.Eval[bool](p, fmt.Sprintf(`(window.__pending = window.__expect(%q), true)`, want))
		typeLine(fmt.Sprintf("echo pg-%d-$((%d+1))", i, i))
		ms := browsertest.Eval[float64](p, `window.__pending`)
		return time.Duration(ms * float64(time.Millisecond))
	}
	var pgBefore, pgAfter []time.Duration
	for i := range echoSamples {
		pgBefore = append(pgBefore, echoPage(i))
	}
	browsertest.Eval[bool](p, `(window.__pending = window.__expect("flood-42-end"), true)`)
	typeLine(floodCommand)
	pgFlood := time.Duration(browsertest.Eval[float64](p, `window.__pending`) * float64(time.Millisecond))
	for i := range echoSamples {
		pgAfter = append(pgAfter, echoPage(100+i))
	}
	if errs := p.Errors(); len(errs) > 0 {
		t.Errorf("the page logged errors: %v", errs)
	}

	mb := float64(floodBytes) / 1e6
	t.Logf("console terminal, %d MB output flood and %d echoes before and after it (median):", floodBytes/1_000_000, echoSamples)
	t.Logf("  %-34s %10s %10s %12s %12s", "", "flood", "MB/s", "echo before", "echo after")
	t.Logf("  %-34s %10s %10.1f %12s %12s", "WebSocket client in Go (baseline)", wsFlood.Round(time.Millisecond), mb/wsFlood.Seconds(),
		median(wsBefore).Round(100*time.Microsecond), median(wsAfter).Round(100*time.Microsecond))
	t.Logf("  %-34s %10s %10.1f %12s %12s", "console in Chromium (xterm.js DOM)", pgFlood.Round(time.Millisecond), mb/pgFlood.Seconds(),
		median(pgBefore).Round(100*time.Microsecond), median(pgAfter).Round(100*time.Microsecond))
	t.Logf("  ratios console/baseline: flood %.2f, echo after the flood %.2f; console echo after/before %.2f (target: echo under 100 ms after the flood)",
		pgFlood.Seconds()/wsFlood.Seconds(), median(pgAfter).Seconds()/median(wsAfter).Seconds(), median(pgAfter).Seconds()/median(pgBefore).Seconds())
	if median(pgAfter) > 100*time.Millisecond {
		t.Errorf("the console's echo after the flood is %s, over the 100 ms target", median(pgAfter))
	}
}
