package main

import (
	"context"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/astralcore/astral/internal/browsertest"
	"github.com/astralcore/astral/internal/config"
	"github.com/astralcore/astral/internal/server"
	"github.com/astralcore/astral/internal/web"
)

// samplePaths gives a concrete URL for web routes with path parameters. A new
// parameterised page without an entry here fails the test, so no page
// escapes the accessibility audit.
var samplePaths = map[string]string{
	"/static/{path...}": "", // assets, not pages
	"/setup/{token}":    "", // redirects to /setup; the flow is tested in setup_test.go
	"/invite/{token}":   "", // redirects to /invite; the flow is tested in setup_test.go
	"/reset/{token}":    "", // redirects to /reset; the flow is tested in setup_test.go
}

// wantStatus is the status a page answers an anonymous visitor with, when
// it is not 200.
var wantStatus = map[string]int{
	"/setup":                    404, // no setup token in the visitor's cookie
	"/invite":                   404, // no invitation token in the visitor's cookie
	"/reset":                    404, // no reset token in the visitor's cookie
	"/this-page-does-not-exist": 404,
}

// webPages lists a URL for every GET page in the route table.
func webPages(t *testing.T) []string {
	t.Helper()
	cfg, err := config.Load(func(k string) string {
		if k == "ASTRAL_DATA_DIR" {
			return t.TempDir()
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := openApp(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	srv, _, _, err := a.buildServer(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var pages []string
	for _, rt := range srv.Routes() {
		if rt.Surface != server.SurfaceWeb || rt.Method != "GET" {
			continue
		}
		p := strings.ReplaceAll(rt.Path, "{$}", "")
		if strings.Contains(p, "{") {
			sample, ok := samplePaths[rt.Path]
			if !ok {
				t.Errorf("route %s has no sample path for the browser audit", rt.Pattern())
			}
			if sample == "" {
				continue
			}
			p = sample
		}
		pages = append(pages, p)
	}
	if len(pages) == 0 {
		t.Fatal("no web pages found in the route table")
	}
	return pages
}

// TestPagesInBrowser loads every page, and the error page, in real headless
// Chromium and fails on any axe-core WCAG 2.2 A/AA violation, console error
// or CSP violation.
func TestPagesInBrowser(t *testing.T) {
	b := browsertest.Start(t)
	inst := startServer(t, nil)
	const notFound = "/this-page-does-not-exist"
	pages := append(webPages(t), notFound)
	for _, p := range pages {
		res := b.Audit(t, inst.URL+p)
		for _, problem := range res.Problems() {
			if wantStatus[p] == 404 && strings.Contains(problem, "status of 404") && strings.Contains(problem, p) {
				continue // a 404 page's own status, which Chromium logs
			}
			t.Errorf("%s: %s", p, problem)
		}
		want := 200
		if w, ok := wantStatus[p]; ok {
			want = w
		}
		if res.Status != want {
			t.Errorf("%s: status %d, want %d", p, res.Status, want)
		}
	}
	if dir := os.Getenv("ASTRAL_SCREENSHOTS"); dir != "" {
		b.Screenshot(t, inst.URL+"/", filepath.Join(dir, "home.png"))
	}
}

// TestLanguageSwitchWithoutJavaScript switches the language through the
// form with JavaScript disabled: every page must work without it.
func TestLanguageSwitchWithoutJavaScript(t *testing.T) {
	b := browsertest.Start(t)
	inst := startServer(t, nil)
	tab := b.NewTab(t)
	ctx, cancel := context.WithTimeout(tab, browsertest.Timeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatalf("disable JavaScript: %v", err)
	}
	b.Do(t, tab,
		chromedp.Navigate(inst.URL+"/"),
		chromedp.SetValue("#lang-select", "de"),
		chromedp.Click(".lang-switch button"),
		// Wait for the new page, not the old one still on screen.
		chromedp.WaitVisible(`html[lang="de"] footer`),
	)
	lang, err := chromedp.Run(ctx, chromedp.AttributeValue("html", "lang"))
	if err != nil {
		t.Fatal(err)
	}
	heading, err := chromedp.Run(ctx, chromedp.Text("h1"))
	if err != nil {
		t.Fatal(err)
	}
	if lang.Value != "de" || !strings.Contains(heading, "Geschichte") {
		t.Errorf("after switching: lang=%q h1=%q, want German", lang.Value, heading)
	}
}

// TestSignedInPagesInBrowser audits the pages a signed-in admin sees (with a
// second factor), in real Chromium with axe-core, and checks the idle
// warning: with a one-minute idle timeout it appears at once, and "Stay
// signed in" keeps the session and hides it.
func TestSignedInPagesInBrowser(t *testing.T) {
	b := browsertest.Start(t)
	dir := t.TempDir()
	inst := startServer(t, map[string]string{"ASTRAL_DATA_DIR": dir, "ASTRAL_SESSION_IDLE_STAFF": "1m"})
	admin := setupPractice(t, inst, dir)
	enrolTOTP(t, admin, inst)
	u, _ := url.Parse(inst.URL)
	var token string
	for _, c := range admin.Jar.Cookies(u) {
		if c.Name == web.SessionCookieName(false) {
			token = c.Value
		}
	}
	tab := b.NewTab(t)
	ctx, cancel := context.WithTimeout(tab, browsertest.Timeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{Name: web.SessionCookieName(false), Value: token, URL: inst.URL, HTTPOnly: ptrTo(true)}); err != nil {
		t.Fatalf("set cookie: %v", err)
	}
	for _, p := range []string{"/account", "/account/profile", "/account/mfa", "/account/sessions", "/account/tokens", "/admin/audit", "/admin/people"} {
		res := b.Audit(t, inst.URL+p)
		for _, problem := range res.Problems() {
			t.Errorf("%s: %s", p, problem)
		}
		if res.Status != 200 {
			t.Errorf("%s: status %d, want 200", p, res.Status)
		}
	}

	// The idle warning: shown at once with a one-minute idle timeout;
	// "Stay signed in" keeps the session and hides it.
	b.Do(t, tab, chromedp.Navigate(inst.URL+"/account"))
	hidden := func() string {
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string]("String(document.getElementById('session-warning').hidden)"))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	waitFor := func(want string) {
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if hidden() == want {
				return
			}
		}
		t.Fatalf("session warning hidden=%s, want %s", hidden(), want)
	}
	waitFor("false")
	expiry := func() string {
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string]("document.body.dataset.sessionExpires"))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	before := expiry()
	// Activity is written at most every tenth of the idle timeout (6 s
	// here); wait past that so "stay" visibly moves the deadline.
	time.Sleep(6500 * time.Millisecond)
	b.Do(t, tab, chromedp.Click("#session-extend"))
	waitFor("true")
	if after := expiry(); after <= before {
		t.Errorf("session deadline %s did not move past %s", after, before)
	}
	path, err := chromedp.Run(ctx, chromedp.Evaluate[string]("location.pathname"))
	if err != nil || path != "/account" {
		t.Errorf("after staying signed in: at %q (%v)", path, err)
	}
}

func ptrTo[T any](v T) *T { return &v }
