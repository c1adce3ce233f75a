// Package browsertest drives Debian's headless Chromium from Go tests
// (chromedp), for the web console's tests and every later one that needs a
// real browser: the terminal, files, recordings.
//
// A test finds elements as a user does, by their accessible role and name
// (Chromium's own accessibility tree, Accessibility.queryAXTree), never by
// CSS class; it types with real input events; it waits by polling with a
// deadline, never by sleeping. Screenshots go to $JUMPGATE_SCREENSHOTS when
// set, else to the test's temporary directory.
//
// Chromium trusts exactly one server certificate besides the system's: the
// one the appliance under test presents, pinned by its SPKI hash
// (--ignore-certificate-errors-spki-list), after the test has verified it
// against the appliance's CA. Nothing accepts other invalid certificates.
package browsertest

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// Timeout bounds each wait for an element or a text.
var Timeout = 15 * time.Second

// Options configure New.
type Options struct {
	// BaseURL is the origin that Open's paths are relative to.
	BaseURL string
	// CAPEM is the CA that BaseURL's certificate must chain to; the
	// certificate is then pinned in the browser.
	CAPEM []byte
	// Dark emulates prefers-color-scheme: dark.
	Dark bool
}

// Page is one tab of a headless Chromium that ends with the test.
type Page struct {
	t    testing.TB
	ctx  context.Context
	base string

	mu     sync.Mutex
	errors []string
}

// Chromium returns the path of the browser: $JUMPGATE_CHROMIUM, else
// chromium on PATH. A test without one fails, naming the script that
// installs it.
func Chromium(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("JUMPGATE_CHROMIUM"); p != "" {
		return p
	}
	p, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("browsertest: chromium not found: run hack/install-test-deps.sh (it installs Debian's chromium and writes JUMPGATE_CHROMIUM to $HOME/.cache/jumpgate/env.sh), then source that file")
	}
	return p
}

// New starts a headless Chromium with one tab.
func New(t testing.TB, o Options) *Page {
	t.Helper()
	flags := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(Chromium(t)),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-webgl", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints"),
		chromedp.WindowSize(1280, 900),
	}
	if o.CAPEM != nil {
		pin, err := SPKIPin(o.BaseURL, o.CAPEM)
		if err != nil {
			t.Fatalf("browsertest: %v", err)
		}
		flags = append(flags, chromedp.Flag("ignore-certificate-errors-spki-list", pin))
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), flags...)
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() { cancel(); cancelAlloc() })
	p := &Page{t: t, ctx: ctx, base: strings.TrimRight(o.BaseURL, "/")}
	if err := chromedp.Do(ctx, chromedp.Func(func(context.Context, *chromedp.Target) error { return nil })); err != nil {
		t.Fatalf("browsertest: start chromium: %v", err)
	}
	go p.collect()
	if o.Dark {
		p.run(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}})
			return err
		}), "emulate dark mode")
	}
	return p
}

// SPKIPin returns the base64 SHA-256 of the public key of the certificate
// that the server at rawURL presents, once it is verified against caPEM:
// the value of Chromium's --ignore-certificate-errors-spki-list.
func SPKIPin(rawURL string, caPEM []byte) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return "", errors.New("no CA certificate in the PEM")
	}
	conn, err := tls.Dial("tcp", u.Host, &tls.Config{RootCAs: pool, ServerName: u.Hostname()})
	if err != nil {
		return "", fmt.Errorf("verify the server certificate of %s: %w", u.Host, err)
	}
	defer conn.Close()
	leaf := conn.ConnectionState().PeerCertificates[0]
	sum := sha256.Sum256(leaf.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:]), nil
}

// collect keeps the page's uncaught exceptions and its console and browser
// log errors (a Content-Security-Policy violation is one), except failed
// network requests, which a page may expect (a 401 while signed out).
func (p *Page) collect() {
	for m, err := range chromedp.Console(p.ctx) {
		if err != nil {
			return
		}
		if (m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException) && m.Source != "network" {
			p.mu.Lock()
			p.errors = append(p.errors, m.String())
			p.mu.Unlock()
		}
	}
}

// Errors returns the page's errors so far: exceptions, console.error calls
// and browser log errors such as CSP violations.
func (p *Page) Errors() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.errors...)
}

// Context is the tab's chromedp context, for actions this package lacks.
func (p *Page) Context() context.Context { return p.ctx }

func (p *Page) run(a chromedp.Action[chromedp.Void], what string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, Timeout)
	defer cancel()
	if err := chromedp.Do(ctx, a); err != nil {
		p.fail("%s: %v", what, err)
	}
}

// fail saves a screenshot and ends the test.
func (p *Page) fail(format string, args ...any) {
	p.t.Helper()
	msg := fmt.Sprintf(format, args...)
	if shot, err := p.screenshot("failure"); err == nil {
		msg += " (screenshot " + shot + ")"
	}
	p.t.Fatalf("browsertest: %s", msg)
}

// Open loads path (relative to BaseURL) and waits for the document to load.
func (p *Page) Open(path string) {
	p.t.Helper()
	p.run(chromedp.Navigate(p.base+path), "open "+path)
}

// Back goes back one history entry, as the browser's back button does.
func (p *Page) Back() {
	p.t.Helper()
	p.run(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`history.back(), true`))
		return err
	}), "go back")
}

// Path returns the current URL's path and query.
func (p *Page) Path() string {
	p.t.Helper()
	var loc string
	ctx, cancel := context.WithTimeout(p.ctx, Timeout)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname + location.search`))
	if err != nil {
		p.fail("read the location: %v", err)
	}
	return loc
}

// WaitPath waits until the current URL's path (without the query) is path.
func (p *Page) WaitPath(path string) {
	p.t.Helper()
	p.poll("the URL path "+path, func(ctx context.Context) (bool, error) {
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname`))
		return got == path, err
	})
}

// Eval evaluates a JavaScript expression and decodes its value into T.
func Eval[T any](p *Page, expr string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, Timeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		p.fail("evaluate %q: %v", expr, err)
	}
	return v
}

// poll calls check until it reports true, or fails the test at Timeout.
func (p *Page) poll(what string, check func(ctx context.Context) (bool, error)) {
	p.t.Helper()
	deadline := time.Now().Add(Timeout)
	var last error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(p.ctx, 2*time.Second)
		ok, err := check(ctx)
		cancel()
		if ok {
			return
		}
		last = err
		select {
		case <-p.ctx.Done():
			p.fail("waiting for %s: %v", what, p.ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
	p.fail("no %s after %s (last error: %v)", what, Timeout, last)
}

// find returns the first element with the role and accessible name that
// is not ignored by assistive technology, or 0.
func find(ctx context.Context, role, name string) (cdp.BackendNodeID, error) {
	doc, err := chromedp.Call(ctx, runtime.Evaluate, runtime.EvaluateParams{Expression: "document"})
	if err != nil {
		return 0, err
	}
	if doc.Result == nil || doc.Result.ObjectID == "" {
		return 0, errors.New("no document")
	}
	res, err := chromedp.Call(ctx, accessibility.QueryAXTree, accessibility.QueryAXTreeParams{ObjectID: doc.Result.ObjectID, Role: role, AccessibleName: name})
	if err != nil {
		return 0, err
	}
	for _, n := range res.Nodes {
		if !n.Ignored && n.BackendDOMNodeID != 0 {
			return n.BackendDOMNodeID, nil
		}
	}
	return 0, nil
}

// Find waits for an element with the role and accessible name ("textbox"
// "Username", "button" "Sign in", "heading" "Jump Items", "alert" "")
// and returns its backend node id.
func (p *Page) Find(role, name string) cdp.BackendNodeID {
	p.t.Helper()
	var id cdp.BackendNodeID
	p.poll(fmt.Sprintf("%s %q", role, name), func(ctx context.Context) (bool, error) {
		var err error
		id, err = find(ctx, role, name)
		return id != 0, err
	})
	return id
}

// Has reports whether an element with the role and name is there now.
func (p *Page) Has(role, name string) bool {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, Timeout)
	defer cancel()
	id, err := find(ctx, role, name)
	if err != nil {
		p.fail("look for %s %q: %v", role, name, err)
	}
	return id != 0
}

// call runs a JavaScript function with the element as this.
func call[T any](ctx context.Context, id cdp.BackendNodeID, fn string) (T, error) {
	var zero T
	obj, err := chromedp.Call(ctx, dom.ResolveNode, dom.ResolveNodeParams{BackendNodeID: id})
	if err != nil {
		return zero, err
	}
	return chromedp.Run(ctx, chromedp.CallFunctionOn[T](fn, func(cp *runtime.CallFunctionOnParams) { cp.ObjectID = obj.Object.ObjectID }))
}

// Fill types value into the text box labelled label, replacing its
// content, with real key input.
func (p *Page) Fill(label, value string) {
	p.t.Helper()
	id := p.Find("textbox", label)
	p.run(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, dom.Focus, dom.FocusParams{BackendNodeID: id}); err != nil {
			return err
		}
		if _, err := call[bool](ctx, id, `function() { this.select(); return true; }`); err != nil {
			return err
		}
		if value == "" {
			_, err := chromedp.Run(ctx, chromedp.KeyEvent(kb.Backspace))
			return err
		}
		_, err := chromedp.Call(ctx, input.InsertText, input.InsertTextParams{Text: value})
		return err
	}), "fill "+label)
}

// Click clicks the middle of the element with the role and name, with the
// mouse.
func (p *Page) Click(role, name string) {
	p.t.Helper()
	id := p.Find(role, name)
	p.run(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, dom.ScrollIntoViewIfNeeded, dom.ScrollIntoViewIfNeededParams{BackendNodeID: id}); err != nil {
			return err
		}
		q, err := chromedp.Call(ctx, dom.GetContentQuads, dom.GetContentQuadsParams{BackendNodeID: id})
		if err != nil {
			return err
		}
		if len(q.Quads) == 0 || len(q.Quads[0]) < 8 {
			return errors.New("the element has no box")
		}
		b := q.Quads[0]
		_, err = chromedp.Run(ctx, chromedp.MouseClickXY((b[0]+b[4])/2, (b[1]+b[5])/2))
		return err
	}), fmt.Sprintf("click %s %q", role, name))
}

// Text waits for the element with the role and name and returns its
// visible text.
func (p *Page) Text(role, name string) string {
	p.t.Helper()
	id := p.Find(role, name)
	ctx, cancel := context.WithTimeout(p.ctx, Timeout)
	defer cancel()
	s, err := call[string](ctx, id, `function() { return this.innerText; }`)
	if err != nil {
		p.fail("read the text of %s %q: %v", role, name, err)
	}
	return s
}

// WaitText waits until the page's visible text contains text.
func (p *Page) WaitText(text string) {
	p.t.Helper()
	p.poll(fmt.Sprintf("text %q", text), func(ctx context.Context) (bool, error) {
		body, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
		return strings.Contains(body, text), err
	})
}

func (p *Page) screenshot(name string) (string, error) {
	dir := os.Getenv("JUMPGATE_SCREENSHOTS")
	if dir == "" {
		dir = p.t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(p.ctx, Timeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return "", err
	}
	safe := strings.NewReplacer("/", "_", " ", "_").Replace(p.t.Name() + "-" + name)
	path := filepath.Join(dir, safe+".png")
	return path, os.WriteFile(path, png, 0o644)
}

// Screenshot saves a PNG of the whole page and returns its path.
func (p *Page) Screenshot(name string) string {
	p.t.Helper()
	path, err := p.screenshot(name)
	if err != nil {
		p.t.Fatalf("browsertest: screenshot: %v", err)
	}
	return path
}

// Violation is one axe-core rule that the page breaks.
type Violation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// Axe runs axe-core (its axe.min.js at axePath) on the page and returns
// the violations of impact serious or critical.
func (p *Page) Axe(axePath string) []Violation {
	p.t.Helper()
	src, err := os.ReadFile(axePath)
	if err != nil {
		p.t.Fatalf("browsertest: read axe-core: %v (run make generate, which installs web/node_modules)", err)
	}
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	// Injected through the protocol, so the page's CSP does not apply.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](string(src)+"\n;true")); err != nil {
		p.fail("inject axe-core: %v", err)
	}
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](`axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify(
		r.violations.filter(v => v.impact === "serious" || v.impact === "critical")
		 .map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(" "))}))))`, chromedp.EvalAwaitPromise))
	if err != nil {
		p.fail("run axe-core: %v", err)
	}
	var v []Violation
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		p.fail("decode axe-core's result: %v", err)
	}
	return v
}
