package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/reqctx"
	"github.com/astralcore/astral/internal/session"
)

// tokensPage is the data of the API tokens page.
type tokensPage struct {
	Page
	Form   *Form
	Tokens []tokenRow
	Scopes []string
	// NewSecret is shown once, right after creation.
	NewSecret string
}

type tokenRow struct {
	ID, Name, Scopes, Created, Expires, LastUsed string
	Revoked                                      bool
}

// Tokens serves GET /account/tokens: the person's personal API tokens.
func (h *Handler) Tokens(w http.ResponseWriter, r *http.Request) error {
	p, err := h.tokensPage(r)
	if err != nil {
		return err
	}
	return h.render(w, r, http.StatusOK, "tokens", p)
}

// CreateToken serves POST /account/tokens: a named token with scopes and an
// expiry (1 to 366 days). Its secret is shown once and never again.
func (h *Handler) CreateToken(w http.ResponseWriter, r *http.Request) error {
	info := reqctx.From(r.Context())
	if err := r.ParseForm(); err != nil {
		return errs.Wrap(err, errs.Invalid, "web.CreateToken")
	}
	p, err := h.tokensPage(r)
	if err != nil {
		return err
	}
	p.Form = newForm(r, "name", "days")
	days, derr := strconv.Atoi(strings.TrimSpace(r.PostForm.Get("days")))
	if derr != nil || days < 1 || days > 366 {
		err = errs.InvalidFields(errs.FieldError{Field: "days", Message: "field.out_of_range", Args: []any{1, 366}})
	} else {
		var secret string
		secret, _, err = h.opts.Sessions.CreateToken(r.Context(), info.OrgID, info.UserID,
			strings.TrimSpace(r.PostForm.Get("name")), r.PostForm["scope"], time.Now().AddDate(0, 0, days))
		if err == nil {
			p, err = h.tokensPage(r)
			if err != nil {
				return err
			}
			p.NewSecret = secret
			return h.render(w, r, http.StatusCreated, "tokens", p)
		}
	}
	if !p.Form.fail(h.opts.Catalog, p.Locale, err) {
		return err
	}
	return h.render(w, r, http.StatusUnprocessableEntity, "tokens", p)
}

// RevokeToken serves POST /account/tokens/{id}/revoke.
func (h *Handler) RevokeToken(w http.ResponseWriter, r *http.Request) error {
	info := reqctx.From(r.Context())
	if err := h.opts.Sessions.RevokeToken(r.Context(), info.OrgID, info.UserID, r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/account/tokens", http.StatusSeeOther)
	return nil
}

func (h *Handler) tokensPage(r *http.Request) (*tokensPage, error) {
	info := reqctx.From(r.Context())
	toks, err := h.opts.Sessions.ListTokens(r.Context(), info.OrgID, info.UserID)
	if err != nil {
		return nil, err
	}
	p := &tokensPage{Page: h.newPage(r, "tokens.title"), Form: newForm(r)}
	p.Form.Values["days"] = "90"
	for _, s := range session.Scopes() {
		p.Scopes = append(p.Scopes, string(s))
	}
	const day = "2006-01-02"
	for _, t := range toks {
		row := tokenRow{ID: t.ID, Name: t.Name, Created: t.CreatedAt.Format(day), Expires: t.ExpiresAt.Format(day), Revoked: t.RevokedAt != nil}
		var scopes []string
		for _, s := range t.Scopes {
			scopes = append(scopes, string(s))
		}
		row.Scopes = strings.Join(scopes, ", ")
		if t.LastUsedAt != nil {
			row.LastUsed = t.LastUsedAt.Format(day)
		}
		p.Tokens = append(p.Tokens, row)
	}
	return p, nil
}
