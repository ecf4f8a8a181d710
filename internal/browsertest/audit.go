package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/astralcore/astral/internal/testenv"
)

// Result is what Audit found on one page.
type Result struct {
	Violations    []Violation // axe-core WCAG 2.2 A/AA rule failures
	ConsoleErrors []string    // console.error/assert, uncaught exceptions, browser log errors
	CSPViolations []string    // Content-Security-Policy violations, one per blocked resource
	Status        int         // HTTP status of the main document
}

// Violation is one failed axe-core rule and the elements that fail it.
type Violation struct {
	ID      string   // rule id, e.g. "image-alt"
	Impact  string   // "minor", "moderate", "serious" or "critical"
	Help    string   // one-line description of the rule
	HelpURL string   // Deque's page explaining the rule and the fix
	Nodes   []string // "CSS target: <html snippet>", snippet truncated
}

// Problems returns one readable line per problem, for t.Errorf. It is empty
// when the page is clean. The status is not a problem: tests assert it.
func (r Result) Problems() []string {
	var out []string
	for _, v := range r.Violations {
		out = append(out, fmt.Sprintf("a11y %s (%s): %s [%s] at %s",
			v.ID, v.Impact, v.Help, v.HelpURL, strings.Join(v.Nodes, "; ")))
	}
	for _, c := range r.CSPViolations {
		out = append(out, "csp: "+c)
	}
	for _, e := range r.ConsoleErrors {
		out = append(out, "console: "+e)
	}
	return out
}

// axeRun runs the WCAG 2.x A/AA rules, plus the AAA enhanced-contrast rule
// (7:1 for body text, Astral Core's target), and returns a compact projection of
// the violations, so Go decodes only what Result keeps.
const axeRun = `axe.run(document, {
	runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']},
	rules: {'color-contrast-enhanced': {enabled: true}},
	resultTypes: ['violations'],
}).then(r => r.violations.map(v => ({
	id: v.id, impact: v.impact || '', help: v.help, helpUrl: v.helpUrl,
	nodes: v.nodes.map(n => ({
		target: n.target.map(t => Array.isArray(t) ? t.join(' >>> ') : String(t)).join(', '),
		html: n.html,
	})),
})))`

// cspBinding is the DevTools binding through which the page reports CSP
// violations. Bindings and scripts added through DevTools are not subject to
// the page's CSP, so they see the violations the CSP causes.
const cspBinding = "__astralReportCSP"

// cspListener is installed before any page script runs, in every frame.
const cspListener = `document.addEventListener('securitypolicyviolation', e => {
	const where = e.sourceFile ? ' at ' + e.sourceFile + ':' + e.lineNumber : '';
	const what = e.blockedURI || 'inline';
	const report = globalThis.` + cspBinding + `;
	if (typeof report === 'function') {
		report(e.effectiveDirective + ' blocked ' + what + where + ' (' + e.disposition + ')');
	}
}, true);`

// maxSnippet bounds the HTML quoted per failing element.
const maxSnippet = 200

// Audit loads url in a fresh tab, waits for the load event and reports the
// page's accessibility violations, console errors and CSP violations. It
// fails the test when the page cannot be loaded or audited at all; the
// problems it finds are returned for the test to judge (see Problems).
func (b *Browser) Audit(tb testing.TB, url string) Result {
	tb.Helper()
	axeSrc, err := os.ReadFile(testenv.Axe(tb))
	if err != nil {
		tb.Fatalf("browsertest: reading axe-core: %v", err)
	}

	tab, cancel := b.newTab(tb)
	defer cancel()
	ctx, cancelCall := context.WithTimeout(tab, Timeout)
	defer cancelCall()

	var col collector
	if err := chromedp.Listen(tab, col.event); err != nil {
		tb.Fatalf("browsertest: listening to the tab: %v", err)
	}
	if _, err := chromedp.Call(ctx, runtime.AddBinding, runtime.AddBindingParams{Name: cspBinding}); err != nil {
		tb.Fatalf("browsertest: adding the CSP binding: %v", err)
	}
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument,
		page.AddScriptToEvaluateOnNewDocumentParams{Source: cspListener}); err != nil {
		tb.Fatalf("browsertest: installing the CSP listener: %v", err)
	}

	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(url))
	if err != nil {
		tb.Fatalf("browsertest: loading %s: %v", url, err)
	}

	// Runtime.evaluate is not subject to the page's CSP, so axe runs even on
	// pages whose script-src forbids it.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](string(axeSrc))); err != nil {
		tb.Fatalf("browsertest: injecting axe-core into %s: %v", url, err)
	}
	type axeNode struct{ Target, HTML string }
	type axeViolation struct {
		ID, Impact, Help string
		HelpURL          string `json:"helpUrl"`
		Nodes            []axeNode
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](axeRun, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.Fatalf("browsertest: running axe-core on %s: %v", url, err)
	}
	var found []axeViolation
	if err := json.Unmarshal(raw, &found); err != nil {
		tb.Fatalf("browsertest: decoding axe-core result: %v", err)
	}

	// Let tasks already queued (such as violation events) run, so their
	// reports reach the collector before this call's answer does.
	settle := `new Promise(r => setTimeout(r, 50))`
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](settle, chromedp.EvalAwaitPromise)); err != nil {
		tb.Fatalf("browsertest: waiting for %s to settle: %v", url, err)
	}

	res := Result{Status: int(resp.Status)}
	for _, v := range found {
		var nodes []string
		for _, n := range v.Nodes {
			nodes = append(nodes, n.Target+": "+truncate(n.HTML, maxSnippet))
		}
		res.Violations = append(res.Violations, Violation{
			ID: v.ID, Impact: v.Impact, Help: v.Help, HelpURL: v.HelpURL, Nodes: nodes,
		})
	}
	res.ConsoleErrors, res.CSPViolations = col.results()
	return res
}

// collector gathers console errors and CSP reports from tab events. Its
// event method runs on chromedp's reader goroutine, hence the lock.
type collector struct {
	mu      sync.Mutex
	console []string
	csp     []string
}

func (c *collector) results() (console, csp []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.console...), append([]string(nil), c.csp...)
}

func (c *collector) event(ev any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch ev := ev.(type) {
	case *runtime.EventBindingCalled:
		if ev.Name == cspBinding {
			c.csp = append(c.csp, ev.Payload)
		}
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			c.console = append(c.console, "console."+string(ev.Type)+": "+argsText(ev.Args)+stackPlace(ev.StackTrace))
		}
	case *runtime.EventExceptionThrown:
		c.console = append(c.console, "uncaught: "+exceptionText(ev.ExceptionDetails))
	case *log.EventEntryAdded:
		e := ev.Entry
		if e == nil || e.Level != log.EntryLevelError {
			return
		}
		// The browser also logs each CSP violation; the listener reports
		// those already, with the directive, so do not count them twice.
		if e.Source == log.EntrySourceSecurity && strings.Contains(e.Text, "Content Security Policy") {
			return
		}
		// Chromium fetches /favicon.ico on its own after the load event,
		// so whether its 404 arrives in time is luck. Ignore it rather
		// than make every audit flaky; pages name their icon with <link>.
		if e.Source == log.EntrySourceNetwork && isDefaultFavicon(e.URL) {
			return
		}
		s := string(e.Source) + ": " + e.Text
		if e.URL != "" && !strings.Contains(e.Text, e.URL) {
			s += " (" + e.URL + ")"
		}
		c.console = append(c.console, s)
	}
}

func isDefaultFavicon(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && u.Path == "/favicon.ico"
}

// argsText renders console arguments roughly as DevTools shows them.
func argsText(args []*runtime.RemoteObject) string {
	parts := make([]string, 0, len(args))
	for _, a := range args {
		var s string
		switch {
		case a.Type == runtime.RemoteObjectTypeString && len(a.Value) > 0:
			if err := json.Unmarshal(a.Value, &s); err != nil {
				s = string(a.Value)
			}
		case a.Description != "":
			s = a.Description
		case len(a.Value) > 0:
			s = string(a.Value)
		case a.UnserializableValue != "":
			s = string(a.UnserializableValue)
		default:
			s = string(a.Type)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

func exceptionText(d *runtime.ExceptionDetails) string {
	if d == nil {
		return "exception"
	}
	s := d.Text
	if d.Exception != nil && d.Exception.Description != "" {
		// The description holds the message and the stack; keep the message.
		s += " " + strings.SplitN(d.Exception.Description, "\n", 2)[0]
	}
	if d.URL != "" {
		s += fmt.Sprintf(" at %s:%d", d.URL, d.LineNumber+1)
	}
	return s + stackPlace(d.StackTrace)
}

// stackPlace names the top frame of st, or is empty.
func stackPlace(st *runtime.StackTrace) string {
	if st == nil || len(st.CallFrames) == 0 {
		return ""
	}
	f := st.CallFrames[0]
	return fmt.Sprintf(" (%s:%d)", f.URL, f.LineNumber+1)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Cut on a rune boundary.
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
