package mfa_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	cdpwebauthn "github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/astralcore/astral/internal/browsertest"
	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/identity"
	"github.com/astralcore/astral/internal/mfa"
	"github.com/astralcore/astral/internal/phi"
	"github.com/astralcore/astral/internal/store/storetest"
	"github.com/astralcore/astral/internal/testenv"
)

// waBrowserPage is a page with a passkey registration form and a
// passwordless login button, as the lead's templates will render them.
const waBrowserPage = `<!doctype html><html lang="en"><head><title>Passkeys</title>
<link rel="icon" href="data:,"><script type="module" src="/passkey.js"></script></head><body><main>
<h1>Passkeys</h1>
<p id="done">%s</p>
<form id="register" hidden data-passkey="register" data-passkey-options="/register/options"
  data-passkey-finish="/register/finish" data-passkey-status="register-status"
  data-passkey-msg-failed="Registration failed.">
  <label for="nickname">Name</label> <input id="nickname" name="nickname">
  <button type="submit">Add a passkey</button>
</form>
<p id="register-status" role="status"></p>
<button id="login" type="button" hidden data-passkey="login" data-passkey-options="/login/options"
  data-passkey-finish="/login/finish" data-passkey-status="login-status"
  data-passkey-msg-failed="Sign-in failed.">Sign in with a passkey</button>
<p id="login-status" role="status"></p>
<p id="or" hidden data-passkey-show>or use your password</p>
</main></body></html>`

// waBrowserServer serves the page, passkey.js and the four ceremony
// endpoints for one fixed session and user, the way handlers will.
func waBrowserServer(t *testing.T, l net.Listener, wa *mfa.WebAuthn, user mfa.WebAuthnUser) {
	t.Helper()
	js, err := os.ReadFile(filepath.Join(testenv.ModuleRoot(t), "internal", "web", "static", "passkey.js"))
	if err != nil {
		t.Fatal(err)
	}
	const session = "browser-session"
	problem := func(w http.ResponseWriter, err error) {
		_, msg, _, _ := errs.Public(err)
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(errs.KindOf(err).HTTPStatus())
		_ = json.NewEncoder(w).Encode(map[string]string{"title": msg, "detail": "server says: " + msg})
	}
	answer := func(w http.ResponseWriter, body []byte, err error) {
		if err != nil {
			problem(w, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(body)
	}
	var finish struct {
		Credential json.RawMessage `json:"credential"`
		Nickname   string          `json:"nickname"`
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = fmt.Fprintf(w, waBrowserPage, r.URL.Query().Get("done"))
	})
	mux.HandleFunc("GET /passkey.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		_, _ = w.Write(js)
	})
	mux.HandleFunc("POST /register/options", func(w http.ResponseWriter, r *http.Request) {
		opts, err := wa.BeginPasskeyRegistration(r.Context(), session, user)
		answer(w, opts, err)
	})
	mux.HandleFunc("POST /register/finish", func(w http.ResponseWriter, r *http.Request) {
		if err := json.NewDecoder(r.Body).Decode(&finish); err != nil {
			problem(w, errs.E(errs.Invalid, "error.invalid"))
			return
		}
		_, err := wa.FinishRegistration(r.Context(), session, user, finish.Credential, finish.Nickname)
		answer(w, []byte(`{"redirect":"/?done=registered"}`), err)
	})
	mux.HandleFunc("POST /login/options", func(w http.ResponseWriter, r *http.Request) {
		opts, err := wa.BeginDiscoverableLogin(r.Context(), session)
		answer(w, opts, err)
	})
	mux.HandleFunc("POST /login/finish", func(w http.ResponseWriter, r *http.Request) {
		if err := json.NewDecoder(r.Body).Decode(&finish); err != nil {
			problem(w, errs.E(errs.Invalid, "error.invalid"))
			return
		}
		userID, _, err := wa.FinishDiscoverableLogin(r.Context(), session, finish.Credential)
		answer(w, []byte(`{"redirect":"/?done=`+userID+`"}`), err)
	})
	srv := httptest.NewUnstartedServer(mux)
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
}

// waEval evaluates expr in tab.
func waEval[T any](t *testing.T, tab context.Context, expr string, opts ...chromedp.EvaluateOption) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, browsertest.Timeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, opts...))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waWaitText polls until the element id's text contains want: the page
// navigates on success, which a chromedp.Poll would not survive.
func waWaitText(t *testing.T, tab context.Context, id, want string) {
	t.Helper()
	expr := `(document.getElementById(` + fmt.Sprintf("%q", id) + `) || {}).textContent || ""`
	deadline := time.Now().Add(browsertest.Timeout)
	var got string
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(tab, 2*time.Second)
		got, _ = chromedp.Run(ctx, chromedp.Evaluate[string](expr)) // errors while navigating
		cancel()
		if strings.Contains(got, want) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("#%s = %q, want it to contain %q", id, got, want)
}

// TestWebAuthnBrowser registers a passkey and logs in with it through
// passkey.js in headless Chromium, with Chromium's virtual authenticator
// doing the cryptography: once with the browser's own JSON conversions, and
// once with passkey.js's base64url fallback for browsers without them.
func TestWebAuthnBrowser(t *testing.T) {
	b := browsertest.Start(t)
	for _, tt := range []struct{ name, script string }{
		{"native JSON", ""},
		{"fallback", `delete PublicKeyCredential.parseCreationOptionsFromJSON;
			delete PublicKeyCredential.parseRequestOptionsFromJSON;
			delete PublicKeyCredential.prototype.toJSON;`},
	} {
		t.Run(tt.name, func(t *testing.T) { testWebAuthnBrowser(t, b, tt.script) })
	}
}

func testWebAuthnBrowser(t *testing.T, b *browsertest.Browser, script string) {
	db := storetest.NewSQLite(t)
	org := storetest.MustOrganization(t, db)
	u := storetest.MustUser(t, db, org.ID, identity.RoleTherapist)
	user := mfa.WebAuthnUser{ID: u.ID, OrgID: org.ID, Name: phi.NewText(waCanary)}

	// WebAuthn wants a domain as RP ID, so the relying party is
	// localhost on the port the server listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	origin := fmt.Sprintf("http://localhost:%d", l.Addr().(*net.TCPAddr).Port)
	wa, err := mfa.NewWebAuthn(mfa.WebAuthnConfig{RPID: "localhost", RPName: "Astral Core", Origins: []string{origin}},
		db, time.Now, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	waBrowserServer(t, l, wa, user)

	tab := b.NewTab(t)
	b.Do(t, tab, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if script != "" {
			_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument,
				page.AddScriptToEvaluateOnNewDocumentParams{Source: script})
			if err != nil {
				return err
			}
		}
		if _, err := chromedp.Call(ctx, cdpwebauthn.Enable, cdpwebauthn.EnableParams{}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, cdpwebauthn.AddVirtualAuthenticator, cdpwebauthn.AddVirtualAuthenticatorParams{
			Options: &cdpwebauthn.VirtualAuthenticatorOptions{
				Protocol: cdpwebauthn.AuthenticatorProtocolCtap2, Ctap2version: cdpwebauthn.Ctap2versionCtap21,
				Transport: cdpwebauthn.AuthenticatorTransportUsb, HasResidentKey: true, HasUserVerification: true,
				IsUserVerified: true, AutomaticPresenceSimulation: true,
			},
		})
		return err
	}), chromedp.Navigate(origin+"/"))

	// With WebAuthn, the hidden controls appear.
	if hidden := waEval[bool](t, tab, `document.getElementById('register').hidden || document.getElementById('or').hidden`); hidden {
		t.Fatal("passkey controls stay hidden in a browser with WebAuthn")
	}
	b.Do(t, tab, chromedp.SendKeys("#nickname", "Work laptop"), chromedp.Click("#register button"))
	waWaitText(t, tab, "done", "registered")
	list, err := wa.WebAuthnCredentials(context.Background(), org.ID, u.ID)
	if err != nil || len(list) != 1 || list[0].Nickname != "Work laptop" {
		t.Fatalf("WebAuthnCredentials = %+v, %v; want the passkey named Work laptop", list, err)
	}

	// Passwordless login with it, then a second registration of the same
	// authenticator, which the browser refuses (excludeCredentials).
	b.Do(t, tab, chromedp.Click("#login"))
	waWaitText(t, tab, "done", u.ID)
	b.Do(t, tab, chromedp.SendKeys("#nickname", "Again"), chromedp.Click("#register button"))
	waWaitText(t, tab, "register-status", "Registration failed.")
	if list, err := wa.WebAuthnCredentials(context.Background(), org.ID, u.ID); err != nil || len(list) != 1 || list[0].LastUsedAt == nil {
		t.Errorf("WebAuthnCredentials = %+v, %v; want one passkey, used", list, err)
	}
}

// TestWebAuthnBrowserUnsupported: without WebAuthn, passkey.js leaves the
// passkey controls hidden.
func TestWebAuthnBrowserUnsupported(t *testing.T) {
	b := browsertest.Start(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	waBrowserServer(t, l, nil, mfa.WebAuthnUser{})
	tab := b.NewTab(t)
	b.Do(t, tab, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument,
			page.AddScriptToEvaluateOnNewDocumentParams{Source: `delete window.PublicKeyCredential;`})
		return err
	}), chromedp.Navigate(fmt.Sprintf("http://localhost:%d/", l.Addr().(*net.TCPAddr).Port)))
	// The module has run once the document has finished loading.
	waEval[bool](t, tab, `new Promise((done) => document.readyState === "complete" ? done(true) : addEventListener("load", () => done(true)))`, chromedp.EvalAwaitPromise)
	if shown := waEval[bool](t, tab, `['register', 'login', 'or'].some((id) => !document.getElementById(id).hidden)`); shown {
		t.Error("passkey controls shown in a browser without WebAuthn")
	}
}
