package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/i18n"
)

// localeCookie remembers a visitor's explicit language choice. It holds no
// personal data; signed-in users' settings will take precedence over it.
const localeCookie = "astral_lang"

// locale chooses the request's locale: the explicit choice in the cookie,
// else Accept-Language, else English.
func (h *Handler) locale(r *http.Request) i18n.Locale {
	var pref string
	if c, err := r.Cookie(localeCookie); err == nil {
		pref = c.Value
	}
	return h.opts.Catalog.Match(pref, r.Header.Get("Accept-Language"))
}

// SetLanguage handles POST /language from the switcher form in the layout,
// which works without JavaScript. It stores the choice and returns to the
// page the form was on.
func (h *Handler) SetLanguage(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return errs.Wrap(err, errs.Invalid, "web.SetLanguage")
	}
	loc, ok := h.opts.Catalog.Parse(r.PostForm.Get("lang"))
	if !ok {
		return errs.InvalidFields(errs.FieldError{Field: "lang", Message: "field.unsupported_language"})
	}
	http.SetCookie(w, &http.Cookie{
		Name:     localeCookie,
		Value:    string(loc),
		Path:     "/",
		MaxAge:   365 * 24 * 3600,
		HttpOnly: true,
		Secure:   h.opts.SecureCookies,
		SameSite: http.SameSiteLaxMode,
	})
	http.Redirect(w, r, localPath(r.PostForm.Get("return")), http.StatusSeeOther)
	return nil
}

// localPath returns p when it is a path on this site, else "/". It refuses
// scheme-relative ("//evil") and backslash tricks so the form cannot be used
// as an open redirect.
func localPath(p string) string {
	if p == "" || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\\r\n\t") {
		return "/"
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" {
		return "/"
	}
	return u.Path
}
