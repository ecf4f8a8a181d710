package web

import (
	"net/http"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/identity"
	"github.com/astralcore/astral/internal/ratelimit"
	"github.com/astralcore/astral/internal/reqctx"
	"github.com/astralcore/astral/internal/session"
)

// passwordPage is the data of the change, forgot and reset pages.
type passwordPage struct {
	Page
	Form        *Form
	AskPractice bool
	Sent        bool
	Changed     bool
}

// PasswordForm serves GET /account/password.
func (h *Handler) PasswordForm(w http.ResponseWriter, r *http.Request) error {
	p := passwordPage{Page: h.newPage(r, "password.change_title"), Form: newForm(r), Changed: r.URL.Query().Get("changed") == "1"}
	return h.render(w, r, http.StatusOK, "password_change", &p)
}

// ChangePassword serves POST /account/password: the current password, then
// the new one twice. Other sessions end; the person is told by email.
func (h *Handler) ChangePassword(w http.ResponseWriter, r *http.Request) error {
	actor, _ := identity.ActorFrom(r.Context())
	info := reqctx.From(r.Context())
	if err := r.ParseForm(); err != nil {
		return errs.Wrap(err, errs.Invalid, "web.ChangePassword")
	}
	p := passwordPage{Page: h.newPage(r, "password.change_title"), Form: newForm(r)}
	next, err := confirmedPassword(r)
	if err == nil {
		err = h.opts.Accounts.ChangePassword(r.Context(), actor, r.PostForm.Get("current_password"), next)
	}
	if err == nil {
		if _, err := h.opts.Sessions.RevokeUser(r.Context(), actor.OrgID, actor.UserID, info.SessionID, session.ReasonPasswordChanged); err != nil {
			return err
		}
		h.notifySelf(r, actor, "password_changed", "notice.password_subject", "notice.password_body")
		http.Redirect(w, r, "/account/password?changed=1", http.StatusSeeOther)
		return nil
	}
	if !p.Form.fail(h.opts.Catalog, p.Locale, err) {
		return err
	}
	return h.render(w, r, http.StatusUnprocessableEntity, "password_change", &p)
}

// ForgotForm serves GET /forgot.
func (h *Handler) ForgotForm(w http.ResponseWriter, r *http.Request) error {
	ask, err := h.askPractice(r)
	if err != nil {
		return err
	}
	p := passwordPage{Page: h.newPage(r, "password.forgot_title"), Form: newForm(r), AskPractice: ask}
	return h.render(w, r, http.StatusOK, "password_forgot", &p)
}

// Forgot serves POST /forgot. The answer is the same whether or not the
// address belongs to someone; per-IP limits apply first.
func (h *Handler) Forgot(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return errs.Wrap(err, errs.Invalid, "web.Forgot")
	}
	ask, err := h.askPractice(r)
	if err != nil {
		return err
	}
	p := passwordPage{Page: h.newPage(r, "password.forgot_title"), Form: newForm(r, "practice", "email"), AskPractice: ask}
	ctx := r.Context()
	dec, lerr := ratelimit.AllowOrDeny(ctx, h.opts.Limiter, ratelimit.IPKey("reset-ip", reqctx.From(ctx).ClientIP), ratelimit.ResetPerIP)
	if lerr != nil {
		h.opts.Logger.ErrorContext(ctx, "reset rate limiter", "err", lerr.Error())
	}
	if !dec.Allowed {
		w.Header().Set("Retry-After", ratelimit.RetryAfterSeconds(dec.RetryAfter))
		p.Form.Message = p.T("error.rate_limited")
		return h.render(w, r, http.StatusTooManyRequests, "password_forgot", &p)
	}
	if orgID, oerr := h.loginOrg(r, ask); oerr == nil {
		loc := h.locale(r)
		compose := func(link string) (string, string) {
			return h.opts.Catalog.T(loc, "password.mail_subject"), h.opts.Catalog.T(loc, "password.mail_body", link)
		}
		if err := h.opts.Accounts.RequestPasswordReset(ctx, orgID, r.PostForm.Get("email"), h.opts.PublicURL, compose); err != nil {
			// Say nothing different to the visitor; the operator sees it.
			h.opts.Logger.ErrorContext(ctx, "password reset email", "err", err.Error())
		}
	}
	p.Sent = true
	return h.render(w, r, http.StatusOK, "password_forgot", &p)
}

// ResetLink serves GET /reset/{token}: it keeps the token in a cookie and
// leaves the URL that holds it.
func (h *Handler) ResetLink(w http.ResponseWriter, r *http.Request) error {
	h.setFlowCookie(w, "/reset", r.PathValue("token"))
	http.Redirect(w, r, "/reset", http.StatusSeeOther)
	return nil
}

// ResetForm serves GET /reset.
func (h *Handler) ResetForm(w http.ResponseWriter, r *http.Request) error {
	if flowToken(r) == "" {
		return errTokenInvalid
	}
	p := passwordPage{Page: h.newPage(r, "password.reset_title"), Form: newForm(r)}
	return h.render(w, r, http.StatusOK, "password_reset", &p)
}

// Reset serves POST /reset: the new password, twice. Every session of the
// person ends; they are signed in at the first factor only (a reset never
// bypasses the second factor) and told by email.
func (h *Handler) Reset(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return errs.Wrap(err, errs.Invalid, "web.Reset")
	}
	p := passwordPage{Page: h.newPage(r, "password.reset_title"), Form: newForm(r)}
	next, err := confirmedPassword(r)
	if err != nil {
		p.Form.fail(h.opts.Catalog, p.Locale, err)
		return h.render(w, r, http.StatusUnprocessableEntity, "password_reset", &p)
	}
	actor, err := h.opts.Accounts.ResetPassword(r.Context(), flowToken(r), next)
	if err != nil {
		if errs.Is(err, errs.NotFound) || !p.Form.fail(h.opts.Catalog, p.Locale, err) {
			return err
		}
		return h.render(w, r, http.StatusUnprocessableEntity, "password_reset", &p)
	}
	h.clearFlowCookie(w, "/reset")
	if _, err := h.opts.Sessions.RevokeUser(r.Context(), actor.OrgID, actor.UserID, "", session.ReasonPasswordChanged); err != nil {
		return err
	}
	h.notifySelf(r, actor, "password_changed", "notice.password_subject", "notice.password_body")
	return h.startSession(w, r, actor, false, "/account")
}
