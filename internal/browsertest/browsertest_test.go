package browsertest_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/astralcore/astral/internal/browsertest"
)

// strictCSP is the policy the app serves; the self-test proves that the
// harness both works under it and reports what it blocks.
const strictCSP = "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

const goodPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Check in</title>

<script type="module" src="/app.js"></script>
</head>
<body>
<header><a href="#main">Skip to content</a></header>
<main id="main">
<h1>How are you today?</h1>
<form method="post" action="/check-in">
<label for="mood">Mood (1 to 10)</label>
<input id="mood" name="mood" type="number" min="1" max="10">
<button type="submit">Save</button>
</form>
<p id="status"></p>
</main>
</body>
</html>`

// goodScript proves that first-party module scripts run under the CSP.
const goodScript = `document.getElementById('status').textContent = 'Ready.';`

const badPage = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Bad</title></head>
<body>
<main>
<h1>Bad page</h1>
<img src="/pixel.png">
<form><input type="text" name="q"></form>
<p><font color="#767676">Grey text: passes AA (4.5:1), fails AAA (7:1).</font></p>
<script>document.title = 'inline ran';</script>
</main>
</body>
</html>`

// pixel is a 1×1 transparent PNG.
var pixel = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")

func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	page := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Security-Policy", strictCSP)
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write([]byte(body))
		}
	}
	mux.HandleFunc("GET /good", page(goodPage))
	mux.HandleFunc("GET /bad", page(badPage))
	mux.HandleFunc("GET /app.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		_, _ = w.Write([]byte(goodScript))
	})
	png := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(pixel)
	}
	mux.HandleFunc("GET /pixel.png", png)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestAudit(t *testing.T) {
	b := browsertest.Start(t)
	srv := newServer(t)

	t.Run("good page", func(t *testing.T) {
		res := b.Audit(t, srv.URL+"/good")
		if res.Status != http.StatusOK {
			t.Errorf("Status = %d, want 200", res.Status)
		}
		for _, p := range res.Problems() {
			t.Errorf("unexpected problem: %s", p)
		}
	})

	t.Run("bad page", func(t *testing.T) {
		res := b.Audit(t, srv.URL+"/bad")
		if res.Status != http.StatusOK {
			t.Errorf("Status = %d, want 200", res.Status)
		}
		var ids []string
		for _, v := range res.Violations {
			ids = append(ids, v.ID)
			if len(v.Nodes) == 0 {
				t.Errorf("violation %s has no nodes", v.ID)
			}
		}
		for _, want := range []string{"image-alt", "label", "color-contrast-enhanced"} {
			if !slices.Contains(ids, want) {
				t.Errorf("violations %v lack %q", ids, want)
			}
		}
		if len(res.CSPViolations) == 0 {
			t.Errorf("inline script under %q reported no CSP violation", strictCSP)
		}
		if !slices.ContainsFunc(res.CSPViolations, func(s string) bool { return strings.Contains(s, "script-src") }) {
			t.Errorf("CSPViolations = %q, want a script-src one", res.CSPViolations)
		}
		if got := len(res.Problems()); got < len(res.Violations)+len(res.CSPViolations) {
			t.Errorf("Problems() has %d lines, want at least %d", got, len(res.Violations)+len(res.CSPViolations))
		}
		t.Logf("bad page problems (expected):\n%s", strings.Join(res.Problems(), "\n"))
	})

	t.Run("console errors", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/":
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				_, _ = w.Write([]byte(`<!doctype html><html lang="en"><head><title>Errors</title>` +
					`<link rel="icon" href="data:,"><script src="/boom.js"></script></head>` +
					`<body><main><h1>Errors</h1></main></body></html>`))
			case "/boom.js":
				w.Header().Set("Content-Type", "text/javascript")
				_, _ = w.Write([]byte(`console.error('broken', 42); throw new Error('kaboom');`))
			default:
				http.NotFound(w, r)
			}
		}))
		defer srv.Close()
		res := b.Audit(t, srv.URL+"/")
		joined := strings.Join(res.ConsoleErrors, "\n")
		for _, want := range []string{"broken 42", "kaboom"} {
			if !strings.Contains(joined, want) {
				t.Errorf("ConsoleErrors = %q, want one containing %q", res.ConsoleErrors, want)
			}
		}
	})

	t.Run("status", func(t *testing.T) {
		res := b.Audit(t, srv.URL+"/missing")
		if res.Status != http.StatusNotFound {
			t.Errorf("Status = %d, want 404", res.Status)
		}
	})
}

func TestRunAndScreenshot(t *testing.T) {
	b := browsertest.Start(t)
	srv := newServer(t)

	// Run: the module script has set the status line.
	var status string
	b.Run(t,
		chromedp.Navigate(srv.URL+"/good"),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			var err error
			status, err = chromedp.Evaluate[string](`document.getElementById('status').textContent`)(ctx, tg)
			return err
		}),
	)
	if status != "Ready." {
		t.Errorf("status line = %q, want %q (module script did not run)", status, "Ready.")
	}

	// NewTab + Do: a custom flow keeps its tab across calls.
	tab := b.NewTab(t)
	b.Do(t, tab, chromedp.Navigate(srv.URL+"/good"))
	title, err := chromedp.Run(tab, chromedp.Title())
	if err != nil || title != "Check in" {
		t.Errorf("Title() = %q, %v; want %q", title, err, "Check in")
	}

	path := filepath.Join(t.TempDir(), "shots", "good.png")
	b.Screenshot(t, srv.URL+"/good", path)
	png, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("screenshot is not a PNG (%d bytes)", len(png))
	}
}
