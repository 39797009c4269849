package uitest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// defaultChromium is where Debian's chromium package puts its wrapper.
const defaultChromium = "/usr/bin/chromium"

// readyTimeout bounds the wait for body[data-ready="1"] after a navigation or
// a change in the page.
const readyTimeout = 45 * time.Second

// initScript runs in every document before the page's own scripts. It keeps
// the alert, confirm and prompt dialogs working (the dialog events are
// checked too) but also records a call in window.__xss, so a payload that
// runs is seen even if the dialog is missed.
const initScript = `(() => {
	for (const name of ["alert", "confirm", "prompt"]) {
		const orig = window[name];
		window[name] = function (...args) {
			window.__xss = (window.__xss || []).concat([name + ":" + String(args[0])]);
			return orig.apply(this, args);
		};
	}
})();`

// chromiumPath returns the browser to drive: $QMONIT_CHROMIUM, else
// /usr/bin/chromium. It skips the test when there is none, unless the
// caller cannot do without one (required) or CI=true (the CI installs
// Chromium, so a missing one is a broken CI), then it fails.
func chromiumPath(tb testing.TB, required bool) string {
	tb.Helper()
	p := os.Getenv("QMONIT_CHROMIUM")
	if p == "" {
		p = defaultChromium
	}
	if _, err := exec.LookPath(p); err != nil {
		msg := fmt.Sprintf("no chromium browser at %q (install Debian's chromium or set QMONIT_CHROMIUM): %v", p, err)
		if required || os.Getenv("CI") == "true" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	return p
}

// browser is one tab of a headless Chromium, with what the page reported
// recorded: uncaught exceptions, console errors, failed requests and
// JavaScript dialogs. Its methods are called by one goroutine (the test's);
// record runs on chromedp's reader goroutine, hence the lock.
type browser struct {
	ctx context.Context // the tab's chromedp context

	mu       sync.Mutex
	urls     map[network.RequestID]string // request URLs, to name failed loads
	problems []string                     // since the last takeProblems
	dialogs  []string                     // every dialog ever opened
	dismiss  sync.WaitGroup               // goroutines closing dialogs
}

// browserOptions sets up a browser.
type browserOptions struct {
	Width, Height int
	Required      bool // fail rather than skip without Chromium
	NoCache       bool // disable the HTTP cache (cold loads)
}

// newBrowser starts a headless Chromium with a private profile and a private
// TMPDIR (Chromium leaves org.chromium.Chromium.* directories there), both
// removed when the test ends, and opens one tab.
func newBrowser(tb testing.TB, o browserOptions) *browser {
	tb.Helper()
	exe := chromiumPath(tb, o.Required)
	// tb.TempDir is removed after the cleanup below has closed Chromium.
	dir := tb.TempDir()
	tmp := filepath.Join(dir, "tmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		tb.Fatalf("create chromium TMPDIR: %v", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox, // we run as root in CI containers
		chromedp.DisableGPU,
		chromedp.UserDataDir(filepath.Join(dir, "profile")),
		chromedp.Env("TMPDIR="+tmp),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.WindowSize(o.Width, o.Height),
	)
	// Not tb.Context(): it ends before the cleanups run, and its end would
	// kill Chromium before the graceful close below.
	actx, cancelAlloc := chromedp.NewExecAllocator(context.WithoutCancel(tb.Context()), opts...)
	b := &browser{urls: map[network.RequestID]string{}}
	ctx, cancelTab := chromedp.NewContext(actx, chromedp.WithListener(b.record))
	b.ctx = ctx
	tb.Cleanup(func() {
		// Close Chromium gracefully, so its child processes are gone
		// before its directories are removed.
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := chromedp.Cancel(cctx); err != nil {
			tb.Logf("close chromium: %v", err)
		}
		cancelTab()
		cancelAlloc() // waits for the browser process
		b.dismiss.Wait()
	})
	// The first Run starts Chromium and binds it to ctx.
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: initScript}); err != nil {
			return fmt.Errorf("add init script: %w", err)
		}
		if o.NoCache {
			if _, err := cdp.Call(ctx, t, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true}); err != nil {
				return fmt.Errorf("disable cache: %w", err)
			}
		}
		return nil
	}))
	if err != nil {
		tb.Fatalf("start chromium %q: %v", exe, err)
	}
	return b
}

// record notes one DevTools event. It runs on chromedp's reader goroutine,
// so it must not block or send commands: closing a dialog is done by a
// goroutine of its own.
func (b *browser) record(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		if ev.Request != nil {
			b.urls[ev.RequestID] = ev.Request.Method + " " + ev.Request.URL
		}
	case *network.EventResponseReceived:
		if ev.Response != nil && ev.Response.Status >= 400 {
			b.problems = append(b.problems, fmt.Sprintf("HTTP %d %s for %s", ev.Response.Status, ev.Response.StatusText, b.request(ev.RequestID, ev.Response.URL)))
		}
	case *network.EventLoadingFailed:
		// A request the page aborts itself (a superseded fetch, a
		// navigation away) is not a failure.
		if !ev.Canceled {
			b.problems = append(b.problems, fmt.Sprintf("request failed: %s: %s %s", b.request(ev.RequestID, "?"), ev.ErrorText, ev.BlockedReason))
		}
	case *runtime.EventExceptionThrown:
		b.problems = append(b.problems, "uncaught exception: "+exceptionText(ev.ExceptionDetails))
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			b.problems = append(b.problems, fmt.Sprintf("console.%s: %s", ev.Type, consoleArgs(ev.Args)))
		}
	case *log.EventEntryAdded:
		if ev.Entry != nil && ev.Entry.Level == log.EntryLevelError {
			b.problems = append(b.problems, fmt.Sprintf("browser log (%s): %s %s", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL))
		}
	case *page.EventJavascriptDialogOpening:
		msg := fmt.Sprintf("JavaScript %s dialog opened: %q on %s", ev.Type, ev.Message, ev.URL)
		b.problems = append(b.problems, msg)
		b.dialogs = append(b.dialogs, msg)
		b.dismiss.Go(func() {
			// A dialog blocks the page until it is closed.
			_, _ = chromedp.Call(b.ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		})
	}
}

func (b *browser) request(id network.RequestID, fallback string) string {
	if u, ok := b.urls[id]; ok {
		return u
	}
	return fallback
}

// takeProblems returns what went wrong since the last call and forgets it.
func (b *browser) takeProblems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := b.problems
	b.problems = nil
	return p
}

// dialogCount is the number of JavaScript dialogs ever opened in the tab.
func (b *browser) dialogCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.dialogs)
}

// checkNoProblems fails the test with every problem recorded since the last
// check.
func (b *browser) checkNoProblems(tb testing.TB, where string) {
	tb.Helper()
	for _, p := range b.takeProblems() {
		tb.Errorf("%s: %s", where, p)
	}
}

// open navigates to url and waits until the page says it is ready.
func (b *browser) open(tb testing.TB, url string) {
	tb.Helper()
	resp, err := chromedp.Run(b.ctx, chromedp.NavigateResponse(url))
	if err != nil {
		tb.Fatalf("navigate to %s: %v", url, err)
	}
	if resp != nil && resp.Status >= 400 {
		b.takeProblems() // the status says it all
		tb.Fatalf("GET %s: HTTP %d %s", url, resp.Status, resp.StatusText)
	}
	b.waitReady(tb, url)
}

// readyStateJS tells "ready" once body[data-ready="1"], "error: ..." once
// body[data-error] is set, "" before.
const readyStateJS = `document.body && (document.body.dataset.error !== undefined
	? "error: " + document.body.dataset.error
	: document.body.dataset.ready === "1" ? "ready" : "")`

// waitReady waits for body[data-ready="1"]; it fails the test at once when
// the page sets body[data-error] instead.
func (b *browser) waitReady(tb testing.TB, where string) {
	tb.Helper()
	b.expectReady(tb, where, readyStateJS, `body[data-ready="1"]`)
}

// expectReady polls state (a JavaScript expression like readyStateJS) and
// fails the test unless it reaches "ready" within readyTimeout.
func (b *browser) expectReady(tb testing.TB, where, state, what string) {
	tb.Helper()
	got, err := b.poll(state, readyTimeout)
	switch {
	case err != nil:
		b.checkNoProblems(tb, where)
		tb.Fatalf("%s: waiting for %s: %v", where, what, err)
	case got == "":
		last, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.body ? JSON.stringify(document.body.dataset) : "no body"`))
		b.checkNoProblems(tb, where)
		tb.Fatalf("%s: %s not reached within %v (body dataset %s)", where, what, readyTimeout, last)
	case got != "ready":
		b.checkNoProblems(tb, where)
		tb.Fatalf("%s: page reports body[data-error]: %s", where, got)
	}
}

// poll evaluates expr in the page every 25 ms until it is truthy or timeout
// passes, and returns its value as a string ("" on timeout). chromedp's
// Poll builds its predicate with new Function, which the UI's
// Content-Security-Policy (no 'unsafe-eval') forbids; a promise evaluated
// through the DevTools protocol is not subject to it.
func (b *browser) poll(expr string, timeout time.Duration) (string, error) {
	js := fmt.Sprintf(`new Promise(resolve => {
		const end = Date.now() + %d;
		const check = () => {
			let v = "";
			try { v = (%s) || ""; } catch (e) { v = ""; }
			if (v || Date.now() > end) resolve(String(v)); else setTimeout(check, 25);
		};
		check();
	})`, timeout.Milliseconds(), expr)
	ctx, cancel := context.WithTimeout(b.ctx, timeout+10*time.Second)
	defer cancel()
	awaitPromise := true
	return chromedp.Run(ctx, chromedp.Evaluate[string](js, func(p *runtime.EvaluateParams) { p.AwaitPromise = &awaitPromise }))
}

// eval evaluates a JavaScript expression in the page and decodes its JSON
// value into T.
func eval[T any](tb testing.TB, b *browser, expr string) T {
	tb.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		var zero T
		tb.Fatalf("evaluate %s: %v", abbrev(expr), err)
		return zero
	}
	return v
}

// evalJSON evaluates expr, which must return a JSON string, into T. It is
// for values with fields chromedp's decoder would not map (null, mixed).
func evalJSON[T any](tb testing.TB, b *browser, expr string) T {
	tb.Helper()
	s := eval[string](tb, b, "JSON.stringify("+expr+")")
	var v T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		tb.Fatalf("decode result of %s: %v: %s", abbrev(expr), err, abbrev(s))
	}
	return v
}

// screenshot writes a PNG of the whole page (beyond the viewport) to
// dir/name.png; dir "" does nothing.
func (b *browser) screenshot(tb testing.TB, dir, name string) {
	tb.Helper()
	if dir != "" {
		b.writePNG(tb, dir, name, chromedp.FullScreenshot(100)) // quality 100 is PNG
	}
}

// viewportShot writes a PNG of the viewport to dir/name.png.
func (b *browser) viewportShot(tb testing.TB, dir, name string) {
	tb.Helper()
	b.writePNG(tb, dir, name, chromedp.CaptureScreenshot())
}

func (b *browser) writePNG(tb testing.TB, dir, name string, shot chromedp.Action[[]byte]) {
	tb.Helper()
	png, err := chromedp.Run(b.ctx, shot)
	if err != nil {
		tb.Errorf("screenshot %s: %v", name, err)
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Errorf("screenshot dir: %v", err)
		return
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		tb.Errorf("write screenshot: %v", err)
		return
	}
	tb.Logf("screenshot %s (%d bytes)", path, len(png))
}

func exceptionText(d *runtime.ExceptionDetails) string {
	if d == nil {
		return "(no details)"
	}
	text := d.Text
	if d.Exception != nil && d.Exception.Description != "" {
		text = d.Exception.Description // has the message and the stack
	}
	return fmt.Sprintf("%s (%s:%d:%d)", text, d.URL, d.LineNumber+1, d.ColumnNumber+1)
}

func consoleArgs(args []*runtime.RemoteObject) string {
	parts := make([]string, 0, len(args))
	for _, a := range args {
		switch {
		case a == nil:
		case len(a.Value) > 0:
			parts = append(parts, string(a.Value))
		default:
			parts = append(parts, a.Description)
		}
	}
	return strings.Join(parts, " ")
}

func abbrev(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 120 {
		return s[:117] + "..."
	}
	return s
}
