// Package web serves Astral Core's server-rendered HTML pages.
//
// Handlers parse input, call one domain method and render a template; they
// return an error, which Error renders as a friendly translated page. Pages
// work without JavaScript; first-party ES modules only add to them.
package web

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"

	"github.com/astralcore/astral/internal/i18n"
	"github.com/astralcore/astral/internal/identity"
	"github.com/astralcore/astral/internal/mfa"
	"github.com/astralcore/astral/internal/ratelimit"
	"github.com/astralcore/astral/internal/reqctx"
	"github.com/astralcore/astral/internal/session"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// Options configure the web handlers.
type Options struct {
	Catalog *i18n.Catalog
	Logger  *slog.Logger
	Version string
	// QuickExitURL is where the quick-exit button leads: a neutral site.
	QuickExitURL string
	// SecureCookies marks cookies Secure; true outside development.
	SecureCookies bool

	// Identity and sessions, for setup and sign-in.
	Orgs     OrgReader
	Accounts *identity.Accounts
	Sessions *session.Manager
	Throttle identity.LoginThrottle
	Limiter  ratelimit.Limiter
	MFA      *mfa.Service
	Audit    identity.Auditor
	AuditLog *identity.AuditLog
	Profiles *identity.ProfileService
	// PublicURL is where people reach the server, for links in email.
	PublicURL string
}

// OrgReader finds practices; the store implements it.
type OrgReader interface {
	Organizations(ctx context.Context, f identity.OrganizationFilter) ([]identity.Organization, error)
	OrganizationBySlug(ctx context.Context, slug string) (identity.Organization, error)
}

// Handler holds the parsed templates and what every page needs.
type Handler struct {
	opts   Options
	pages  map[i18n.Locale]map[string]*template.Template
	static *staticAssets
	bufs   sync.Pool
}

// pageNames are the page templates; each is parsed together with the layout.
var pageNames = []string{"home", "error", "setup", "login", "account", "mfa_verify", "mfa_settings", "mfa_totp", "mfa_codes", "audit_search", "access_log", "tokens", "profile", "people", "accept", "sessions", "password_change", "password_forgot", "password_reset"}

// New parses every template and indexes the static assets. It fails on any
// template error, so a broken template stops start-up, not a request.
func New(opts Options) (*Handler, error) {
	if opts.Catalog == nil || opts.Logger == nil {
		return nil, fmt.Errorf("web: Catalog and Logger are required")
	}
	if opts.QuickExitURL == "" {
		opts.QuickExitURL = DefaultQuickExitURL
	}
	st, err := newStaticAssets(staticFiles)
	if err != nil {
		return nil, err
	}
	h := &Handler{opts: opts, pages: make(map[i18n.Locale]map[string]*template.Template), static: st}
	h.bufs.New = func() any { return new(bytes.Buffer) }
	layout, err := fs.ReadFile(templateFiles, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	partials, err := fs.ReadFile(templateFiles, "templates/partials.html")
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	funcs := template.FuncMap{"static": st.url}
	for _, loc := range i18n.Locales() {
		h.pages[loc] = make(map[string]*template.Template)
		for _, name := range pageNames {
			src, err := fs.ReadFile(templateFiles, "templates/"+name+".html")
			if err != nil {
				return nil, fmt.Errorf("web: %w", err)
			}
			lsrc, err := h.compileStatic(loc, string(layout)+string(partials))
			if err != nil {
				return nil, err
			}
			psrc, err := h.compileStatic(loc, string(src))
			if err != nil {
				return nil, err
			}
			t := template.New("layout.html").Funcs(funcs)
			if _, err := t.Parse(lsrc); err != nil {
				return nil, fmt.Errorf("web: parse layout for %s: %w", name, err)
			}
			if _, err := t.New(name + ".html").Parse(psrc); err != nil {
				return nil, fmt.Errorf("web: parse %s: %w", name, err)
			}
			h.pages[loc][name] = t
		}
	}
	return h, nil
}

// staticAction matches template actions whose output depends only on the
// locale and start-up options: argument-free translations such as
// {{.T "nav.home"}}, static asset URLs such as {{static "app.css"}}, and
// {{.Locale}}, {{.QuickExitURL}} and {{.AppVersion}}. Page data must not
// define fields with those three names: they would be replaced, not read.
var staticAction = regexp.MustCompile(`\{\{\s*(?:\$?\.T\s+"([a-z0-9_.]+)"|static\s+"([a-zA-Z0-9_./-]+)"|\$?\.(Locale|QuickExitURL|AppVersion))\s*\}\}`)

// braceEscaper keeps substituted text from ever being read as an action.
var braceEscaper = strings.NewReplacer("{", "&#123;", "}", "&#125;")

// compileStatic replaces every static action in a template source with its
// HTML-escaped value for locale loc, so that most of a page is plain text at
// run time and costs no reflection. Actions that depend on the request stay
// actions. Each page is compiled once per locale at start-up.
func (h *Handler) compileStatic(loc i18n.Locale, src string) (string, error) {
	var firstErr error
	out := staticAction.ReplaceAllStringFunc(src, func(action string) string {
		m := staticAction.FindStringSubmatch(action)
		var v string
		switch {
		case m[1] != "":
			v = h.opts.Catalog.T(loc, m[1])
		case m[2] != "":
			u, err := h.static.url(m[2])
			if err != nil && firstErr == nil {
				firstErr = err
			}
			v = u
		case m[3] == "Locale":
			v = string(loc)
		case m[3] == "QuickExitURL":
			v = h.opts.QuickExitURL
		case m[3] == "AppVersion":
			v = h.opts.Version
		}
		return braceEscaper.Replace(html.EscapeString(v))
	})
	return out, firstErr
}

// DefaultQuickExitURL is a neutral weather page, the convention of domestic
// abuse and mental-health services' quick-exit buttons.
const DefaultQuickExitURL = "https://www.bbc.co.uk/weather"

// StaticFS returns the embedded static files, for tests.
func StaticFS() fs.FS {
	sub, _ := fs.Sub(staticFiles, "static")
	return sub
}

// Page is what every template sees. Embed it in page-specific data.
type Page struct {
	Locale       i18n.Locale
	Locales      []LocaleOption
	Title        string
	Nonce        string
	RequestID    string
	Path         string
	QuickExitURL string
	AppVersion   string
	SignedIn     bool
	// SessionExpires is the session's end in Unix milliseconds, for the
	// idle warning; 0 when not signed in.
	SessionExpires int64
	cat            *i18n.Catalog
}

// LocaleOption is one entry of the language switcher.
type LocaleOption struct {
	Code     i18n.Locale
	Name     string
	Selected bool
}

func (p *Page) locale() i18n.Locale { return p.Locale }

// T translates key into the page's locale.
func (p *Page) T(key string, args ...any) string { return p.cat.T(p.Locale, key, args...) }

// newPage fills the common page fields for request r.
func (h *Handler) newPage(r *http.Request, titleKey string) Page {
	info := reqctx.From(r.Context())
	loc := h.locale(r)
	p := Page{
		Locale:       loc,
		Nonce:        info.Nonce,
		RequestID:    info.ID,
		Path:         r.URL.Path,
		QuickExitURL: h.opts.QuickExitURL,
		AppVersion:   h.opts.Version,
		SignedIn:     info.SignedIn(),
		SessionExpires: func() int64 {
			if info.SessionExpires.IsZero() {
				return 0
			}
			return info.SessionExpires.UnixMilli()
		}(),
		cat: h.opts.Catalog,
	}
	for _, l := range i18n.Locales() {
		p.Locales = append(p.Locales, LocaleOption{Code: l, Name: h.opts.Catalog.Name(l), Selected: l == loc})
	}
	p.Title = p.T(titleKey)
	return p
}

// render executes page into a buffer first, so that a template failure
// becomes a clean 500 instead of half a page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, page string, data any) error {
	loc := i18n.English
	if p, ok := data.(interface{ locale() i18n.Locale }); ok {
		loc = p.locale()
	}
	t, ok := h.pages[loc][page]
	if !ok {
		return fmt.Errorf("web: no page %q", page)
	}
	buf := h.bufs.Get().(*bytes.Buffer)
	buf.Reset()
	defer h.bufs.Put(buf)
	if err := t.Execute(buf, data); err != nil {
		return fmt.Errorf("web: render %s: %w", page, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := buf.WriteTo(w)
	if err != nil {
		// The client went away; nothing more can be sent.
		h.opts.Logger.DebugContext(r.Context(), "write page", "page", page, "err", err)
	}
	return nil
}
