package web

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/i18n"
)

func newTestHandler(t testing.TB) *Handler {
	t.Helper()
	h, err := New(Options{Catalog: i18n.MustLoad(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestEveryPageRendersInEveryLocale executes each page template with its
// real data type in each locale: a misspelt field, a missing template or a
// missing translation fails here instead of in front of a user.
func TestEveryPageRendersInEveryLocale(t *testing.T) {
	h := newTestHandler(t)
	if len(h.pages[i18n.English]) != len(pageNames) {
		t.Fatalf("parsed %d pages, want %d", len(h.pages[i18n.English]), len(pageNames))
	}
	pages := map[string]func(w http.ResponseWriter, r *http.Request) error{
		"home": h.Home,
		"error": func(w http.ResponseWriter, r *http.Request) error {
			h.Error(w, r, errs.InvalidFields(errs.FieldError{Field: "lang", Message: "field.required"}))
			return nil
		},
		"setup": func(w http.ResponseWriter, r *http.Request) error {
			p := formPage{Page: h.newPage(r, "setup.title"), Form: newForm(r, "practice_name")}
			p.Form.fail(h.opts.Catalog, p.Locale, errs.InvalidFields(
				errs.FieldError{Field: "practice_slug", Message: "field.invalid_slug", Args: []any{3, 63}},
				errs.FieldError{Field: "password", Message: "field.password_too_short", Args: []any{12}}))
			return h.render(w, r, http.StatusOK, "setup", &p)
		},
		"login": func(w http.ResponseWriter, r *http.Request) error {
			p := formPage{Page: h.newPage(r, "login.title"), Form: newForm(r), AskPractice: true}
			p.Form.fail(h.opts.Catalog, p.Locale, errs.E(errs.Unauthenticated, "error.login_failed"))
			return h.render(w, r, http.StatusOK, "login", &p)
		},
		"mfa_verify": func(w http.ResponseWriter, r *http.Request) error {
			p := mfaPage{Page: h.newPage(r, "mfa.verify_title"), Form: newForm(r), TOTP: true}
			p.Form.fail(h.opts.Catalog, p.Locale, errs.InvalidFields(errs.FieldError{Field: "code", Message: "field.code_invalid"}))
			return h.render(w, r, http.StatusOK, "mfa_verify", &p)
		},
		"mfa_settings": func(w http.ResponseWriter, r *http.Request) error {
			p := mfaPage{Page: h.newPage(r, "mfa.settings_title"), Form: newForm(r), BackupLeft: 3}
			return h.render(w, r, http.StatusOK, "mfa_settings", &p)
		},
		"mfa_totp": func(w http.ResponseWriter, r *http.Request) error {
			p := mfaPage{Page: h.newPage(r, "mfa.totp_title"), Form: newForm(r), QR: "<svg></svg>", Secret: "ABCD EFGH"}
			return h.render(w, r, http.StatusOK, "mfa_totp", &p)
		},
		"mfa_codes": func(w http.ResponseWriter, r *http.Request) error {
			p := mfaPage{Page: h.newPage(r, "mfa.codes_title"), Form: newForm(r), BackupCodes: []string{"ABCD-EFGH-JKMN-PQRS"}}
			return h.render(w, r, http.StatusOK, "mfa_codes", &p)
		},
		"audit_search": func(w http.ResponseWriter, r *http.Request) error {
			p := auditPage{Page: h.newPage(r, "auditlog.title"), Form: newForm(r), Searched: true, NextPage: "/admin/audit?after=1",
				Rows: []auditRow{{Seq: 1, Time: "2026-11-22 04:05:06 UTC", ActorID: "u1", ActorRole: "admin", Action: "auth.login", Outcome: "success", Purpose: "break_glass"}}}
			return h.render(w, r, http.StatusOK, "audit_search", &p)
		},
		"access_log": func(w http.ResponseWriter, r *http.Request) error {
			p := auditPage{Page: h.newPage(r, "accesslog.title"), Form: newForm(r), Searched: true,
				Rows: []auditRow{{Seq: 1, Time: "2026-11-22 04:05:06 UTC", ActorRole: "Therapist", Action: "viewed the profile"}}}
			return h.render(w, r, http.StatusOK, "access_log", &p)
		},
		"tokens": func(w http.ResponseWriter, r *http.Request) error {
			p := &tokensPage{Page: h.newPage(r, "tokens.title"), Form: newForm(r), Scopes: []string{"audit:read"}, NewSecret: "astral_pat_x",
				Tokens: []tokenRow{{ID: "1", Name: "export", Scopes: "audit:read", Created: "2026-11-22", Expires: "2027-02-20"}, {ID: "2", Name: "old", Revoked: true}}}
			return h.render(w, r, http.StatusOK, "tokens", p)
		},
		"profile": func(w http.ResponseWriter, r *http.Request) error {
			p := profilePage{Page: h.newPage(r, "details.title"), Form: newForm(r, "email"), Erased: true, Saved: true, RecordVersion: 2}
			p.Form.fail(h.opts.Catalog, p.Locale, errs.InvalidFields(errs.FieldError{Field: "email", Message: "field.invalid_email"}))
			return h.render(w, r, http.StatusOK, "profile", &p)
		},
		"people": func(w http.ResponseWriter, r *http.Request) error {
			p := &peoplePage{Page: h.newPage(r, "members.title"), Form: newForm(r, "email"), Invited: true,
				People: []personRow{{ID: "1", Name: "Ada", Role: "Administrator", Status: "Active", Created: "2026-11-22"}, {ID: "2", Erased: true}},
				Roles:  []roleOption{{Value: "therapist", Label: "Therapist", Selected: true}}}
			p.Form.fail(h.opts.Catalog, p.Locale, errs.InvalidFields(errs.FieldError{Field: "email", Message: "field.taken"}))
			return h.render(w, r, http.StatusOK, "people", p)
		},
		"accept": func(w http.ResponseWriter, r *http.Request) error {
			p := &acceptPage{Page: h.newPage(r, "invite.title"), Form: newForm(r, "name"), RoleName: "Therapist", MinChars: 12}
			return h.render(w, r, http.StatusOK, "accept", p)
		},
		"sessions": func(w http.ResponseWriter, r *http.Request) error {
			p := sessionsPage{Page: h.newPage(r, "sessions.title"), Sessions: []sessionRow{{ID: "1", Device: "Firefox · Linux", Place: "203.0.113.0/24", Current: true}, {ID: "2", Device: "Safari · iOS"}}}
			return h.render(w, r, http.StatusOK, "sessions", &p)
		},
		"password_change": func(w http.ResponseWriter, r *http.Request) error {
			p := passwordPage{Page: h.newPage(r, "password.change_title"), Form: newForm(r), Changed: true}
			p.Form.fail(h.opts.Catalog, p.Locale, errs.InvalidFields(errs.FieldError{Field: "current_password", Message: "field.password_wrong"}))
			return h.render(w, r, http.StatusOK, "password_change", &p)
		},
		"password_forgot": func(w http.ResponseWriter, r *http.Request) error {
			p := passwordPage{Page: h.newPage(r, "password.forgot_title"), Form: newForm(r), AskPractice: true}
			return h.render(w, r, http.StatusOK, "password_forgot", &p)
		},
		"password_reset": func(w http.ResponseWriter, r *http.Request) error {
			p := passwordPage{Page: h.newPage(r, "password.reset_title"), Form: newForm(r)}
			p.Form.fail(h.opts.Catalog, p.Locale, errs.InvalidFields(errs.FieldError{Field: "password", Message: "field.password_common"}))
			return h.render(w, r, http.StatusOK, "password_reset", &p)
		},
		"account": func(w http.ResponseWriter, r *http.Request) error {
			p := accountPage{Page: h.newPage(r, "account.title"), RoleName: "x", MFA: true}
			return h.render(w, r, http.StatusOK, "account", &p)
		},
	}
	for _, name := range pageNames {
		if pages[name] == nil {
			t.Errorf("page %q has no render test", name)
		}
	}
	for name, serve := range pages {
		for _, loc := range i18n.Locales() {
			t.Run(name+"/"+string(loc), func(t *testing.T) {
				r := httptest.NewRequest("GET", "/", nil)
				r.AddCookie(&http.Cookie{Name: localeCookie, Value: string(loc)})
				rec := httptest.NewRecorder()
				if err := serve(rec, r); err != nil {
					t.Fatal(err)
				}
				b := rec.Body.String()
				if !strings.Contains(b, `<html lang="`+string(loc)+`">`) {
					t.Errorf("page is not marked as %s", loc)
				}
				for _, must := range []string{`href="#main"`, `id="main"`, `id="quick-exit"`, `action="/language"`, "<h1>"} {
					if !strings.Contains(b, must) {
						t.Errorf("page lacks %s", must)
					}
				}
				// A raw key in the output means a missing translation.
				for _, prefix := range []string{"nav.", "home.", "error.", "field.", "footer."} {
					if strings.Contains(b, ">"+prefix) || strings.Contains(b, "\""+prefix) {
						t.Errorf("untranslated key with prefix %q in output", prefix)
					}
				}
			})
		}
	}
}

func TestErrorPageStatusAndSafety(t *testing.T) {
	h := newTestHandler(t)
	for _, kind := range errs.Kinds() {
		rec := httptest.NewRecorder()
		h.Error(rec, httptest.NewRequest("GET", "/", nil), errs.Wrap(errors.New("sql: secret cause"), kind, "op"))
		if rec.Code != kind.HTTPStatus() {
			t.Errorf("%v: status %d, want %d", kind, rec.Code, kind.HTTPStatus())
		}
		if strings.Contains(rec.Body.String(), "secret cause") {
			t.Errorf("%v: cause leaked into the page", kind)
		}
	}
}

func TestSetLanguage(t *testing.T) {
	h := newTestHandler(t)
	post := func(form url.Values) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", "/language", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		if err := h.SetLanguage(rec, r); err != nil {
			h.Error(rec, r, err)
		}
		return rec
	}
	rec := post(url.Values{"lang": {"es"}, "return": {"/somewhere?x=1"}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/somewhere" {
		t.Errorf("switch: %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	c := rec.Result().Cookies()
	if len(c) != 1 || c[0].Value != "es" || !c[0].HttpOnly || c[0].SameSite != http.SameSiteLaxMode {
		t.Errorf("cookie = %+v", c)
	}
	rec = post(url.Values{"lang": {"klingon"}})
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "This language is not available.") {
		t.Errorf("unsupported language: %d", rec.Code)
	}
}

func TestLocalPathRefusesOpenRedirects(t *testing.T) {
	for in, want := range map[string]string{
		"/":                    "/",
		"/journal":             "/journal",
		"/a?b=c":               "/a",
		"":                     "/",
		"https://evil.example": "/",
		"//evil.example/x":     "/",
		"/\\evil.example":      "/",
		"javascript:alert(1)":  "/",
		"/ok\r\nSet-Cookie: x": "/",
	} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestStaticAssets(t *testing.T) {
	h := newTestHandler(t)
	u, err := h.static.url("app.css")
	if err != nil {
		t.Fatal(err)
	}
	get := func(target string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", target, nil)
		pattern := "/static/"
		r.SetPathValue("path", strings.TrimPrefix(strings.SplitN(target, "?", 2)[0], pattern))
		rec := httptest.NewRecorder()
		if err := h.ServeStatic(rec, r); err != nil {
			h.Error(rec, r, err)
		}
		return rec
	}
	rec := get(u)
	if rec.Code != 200 || !strings.Contains(rec.Header().Get("Cache-Control"), "immutable") || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/css") {
		t.Errorf("fingerprinted asset: %d %q %q", rec.Code, rec.Header().Get("Cache-Control"), rec.Header().Get("Content-Type"))
	}
	if rec := get("/static/app.js"); rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/javascript") {
		t.Errorf("app.js: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	for _, bad := range []string{"/static/", "/static/../web.go", "/static/nope.css"} {
		if rec := get(bad); rec.Code != 404 {
			t.Errorf("%s: %d, want 404", bad, rec.Code)
		}
	}
	if _, err := h.static.url("missing.css"); err == nil {
		t.Error("url of a missing asset did not fail")
	}
}
