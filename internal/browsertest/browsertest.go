// Package browsertest drives a real headless Chromium from Go tests.
//
// Start launches one browser per test (or per TestMain) and closes it when
// the test ends. Audit loads a page in a fresh tab and reports what a person
// or a screen reader would trip over: axe-core WCAG 2.2 AA violations, console
// errors, uncaught exceptions and Content-Security-Policy violations. Run,
// NewTab and Do are for tests that click and type through a flow.
//
// Every browser call has a deadline (Timeout), so a hung browser fails the
// test instead of hanging the run. Chromium and axe-core are found through
// package testenv: without them the test is skipped, or fails under
// ASTRAL_TEST_STRICT=1.
package browsertest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/astralcore/astral/internal/testenv"
)

// Timeout bounds each browser call: starting the browser, opening a tab, one
// Run, Do or Audit. It is generous because a busy CI machine running the race
// detector is slow, and short enough that a hang does not eat the CI budget.
const Timeout = 30 * time.Second

// Browser is a running headless Chromium. Tabs opened from it share its
// process but not their pages; each Audit, Run and Screenshot gets a new tab.
type Browser struct {
	ctx context.Context // chromedp browser context; parent of every tab
}

// Start launches headless Chromium for tb and closes it on tb.Cleanup. It
// skips (or fails, in strict mode) when no Chromium is available, and fails
// the test when the browser does not start within Timeout.
func Start(tb testing.TB) *Browser {
	tb.Helper()
	path := testenv.Chromium(tb)

	// No UserDataDir option: chromedp then passes a fresh temporary
	// --user-data-dir and removes it (with retries, for the crash handler
	// that can outlive the browser) once the process has exited.
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox, // CI runs as root, where the sandbox cannot start
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-dev-shm-usage", true), // containers have a tiny /dev/shm
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints"),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.WindowSize(1280, 800),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelBrowser := chromedp.NewContext(allocCtx)

	// The first Run starts the process, which lives as long as the context
	// of that call, so it cannot carry a deadline. A watchdog cancels it
	// instead when the start hangs.
	if err := watch(ctx, cancelBrowser, func() error { return chromedp.Do(ctx) }); err != nil {
		cancelBrowser()
		cancelAlloc()
		tb.Fatalf("browsertest: starting %s: %v", path, err)
	}
	tb.Cleanup(func() {
		// Canceling kills the process and waits until it has exited and
		// its profile directory is gone.
		cancelBrowser()
		cancelAlloc()
	})
	return &Browser{ctx: ctx}
}

// watch runs start, canceling its context with cancel when it takes longer
// than Timeout. start must use a context that cancel ends.
func watch(ctx context.Context, cancel context.CancelFunc, start func() error) error {
	timer := time.AfterFunc(Timeout, cancel)
	err := start()
	if !timer.Stop() {
		return fmt.Errorf("no answer within %v: %w", Timeout, context.DeadlineExceeded)
	}
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("%w (%v)", err, ctx.Err())
	}
	return err
}

// newTab opens a fresh tab and returns its context and a func that closes it.
func (b *Browser) newTab(tb testing.TB) (context.Context, context.CancelFunc) {
	tb.Helper()
	tab, cancel := chromedp.NewContext(b.ctx)
	// As in Start: the tab lives as long as the context of its first call.
	if err := watch(tab, cancel, func() error { return chromedp.Do(tab) }); err != nil {
		cancel()
		tb.Fatalf("browsertest: opening a tab: %v", err)
	}
	return tab, cancel
}

// NewTab opens a fresh tab for a custom flow and closes it on tb.Cleanup.
// The returned context carries no deadline; run steps with b.Do, or derive
// a context.WithTimeout from it for each chromedp call.
func (b *Browser) NewTab(tb testing.TB) context.Context {
	tb.Helper()
	tab, cancel := b.newTab(tb)
	tb.Cleanup(cancel)
	return tab
}

// Do runs actions in order in tab (from NewTab) within Timeout and fails the
// test on the first error.
func (b *Browser) Do(tb testing.TB, tab context.Context, actions ...chromedp.Action[chromedp.Void]) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(tab, Timeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tb.Fatalf("browsertest: %v", err)
	}
}

// Run runs actions in order in a fresh tab within Timeout, fails the test on
// the first error, and closes the tab.
func (b *Browser) Run(tb testing.TB, actions ...chromedp.Action[chromedp.Void]) {
	tb.Helper()
	tab, cancel := b.newTab(tb)
	defer cancel()
	b.Do(tb, tab, actions...)
}

// Screenshot loads url in a fresh tab and writes a full-page PNG to path,
// creating its directory. It is for looking at pages while developing.
func (b *Browser) Screenshot(tb testing.TB, url, path string) {
	tb.Helper()
	tab, cancel := b.newTab(tb)
	defer cancel()
	ctx, cancelCall := context.WithTimeout(tab, Timeout)
	defer cancelCall()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		tb.Fatalf("browsertest: loading %s: %v", url, err)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		tb.Fatalf("browsertest: screenshot of %s: %v", url, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.Fatalf("browsertest: %v", err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		tb.Fatalf("browsertest: %v", err)
	}
}
