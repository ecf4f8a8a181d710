package web

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/identity"
	"github.com/astralcore/astral/internal/ratelimit"
	"github.com/astralcore/astral/internal/reqctx"
	"github.com/astralcore/astral/internal/session"
)

// formPage is the data of a page with a form.
type formPage struct {
	Page
	Form        *Form
	AskPractice bool
}

var errTokenInvalid = errs.E(errs.NotFound, "error.token_invalid")

// SetupLink serves GET /setup/{token}, the link printed at first start: it
// moves the token into a cookie and leaves the URL that holds it.
func (h *Handler) SetupLink(w http.ResponseWriter, r *http.Request) error {
	token := r.PathValue("token")
	if err := h.opts.Accounts.CheckSetupToken(r.Context(), token); err != nil {
		return err
	}
	h.setFlowCookie(w, "/setup", token)
	http.Redirect(w, r, "/setup", http.StatusSeeOther)
	return nil
}

// SetupForm serves GET /setup.
func (h *Handler) SetupForm(w http.ResponseWriter, r *http.Request) error {
	if err := h.opts.Accounts.CheckSetupToken(r.Context(), flowToken(r)); err != nil {
		return errTokenInvalid
	}
	p := formPage{Page: h.newPage(r, "setup.title"), Form: newForm(r)}
	return h.render(w, r, http.StatusOK, "setup", &p)
}

// Setup serves POST /setup: it creates the practice and its first admin and
// signs the admin in.
func (h *Handler) Setup(w http.ResponseWriter, r *http.Request) error {
	token := flowToken(r)
	if err := r.ParseForm(); err != nil {
		return errs.Wrap(err, errs.Invalid, "web.Setup")
	}
	p := formPage{Page: h.newPage(r, "setup.title"), Form: newForm(r, "practice_name", "practice_slug", "admin_name", "admin_email")}
	in := identity.SetupInput{
		PracticeName: r.PostForm.Get("practice_name"), PracticeSlug: r.PostForm.Get("practice_slug"),
		AdminName: r.PostForm.Get("admin_name"), AdminEmail: r.PostForm.Get("admin_email"),
	}
	var err error
	if in.Password, err = confirmedPassword(r); err == nil {
		var actor identity.Actor
		actor, err = h.opts.Accounts.CompleteSetup(r.Context(), token, in)
		if err == nil {
			h.clearFlowCookie(w, "/setup")
			return h.startSession(w, r, actor, false, "/account")
		}
	}
	if errs.Is(err, errs.NotFound) {
		return err // the token is used or expired
	}
	renameFields(err, map[string]string{"slug": "practice_slug", "name": "practice_name"})
	if !p.Form.fail(h.opts.Catalog, p.Locale, err) {
		return err
	}
	return h.render(w, r, http.StatusUnprocessableEntity, "setup", &p)
}

// LoginForm serves GET /login.
func (h *Handler) LoginForm(w http.ResponseWriter, r *http.Request) error {
	if reqctx.From(r.Context()).SignedIn() {
		http.Redirect(w, r, "/account", http.StatusSeeOther)
		return nil
	}
	ask, err := h.askPractice(r)
	if err != nil {
		return err
	}
	p := formPage{Page: h.newPage(r, "login.title"), Form: newForm(r), AskPractice: ask}
	p.Form.Values["next"] = localPath(r.URL.Query().Get("next"))
	return h.render(w, r, http.StatusOK, "login", &p)
}

// Login serves POST /login. Per-IP limits apply before any password is
// hashed; every failure shows the same message.
func (h *Handler) Login(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return errs.Wrap(err, errs.Invalid, "web.Login")
	}
	ask, err := h.askPractice(r)
	if err != nil {
		return err
	}
	p := formPage{Page: h.newPage(r, "login.title"), Form: newForm(r, "practice", "email", "next"), AskPractice: ask}
	ctx := r.Context()
	dec, lerr := ratelimit.AllowOrDeny(ctx, h.opts.Limiter, ratelimit.IPKey("login-ip", reqctx.From(ctx).ClientIP), ratelimit.LoginPerIP)
	if lerr != nil {
		h.opts.Logger.ErrorContext(ctx, "login rate limiter", "err", lerr.Error())
	}
	if !dec.Allowed {
		w.Header().Set("Retry-After", ratelimit.RetryAfterSeconds(dec.RetryAfter))
		p.Form.Message = p.T("error.rate_limited")
		return h.render(w, r, http.StatusTooManyRequests, "login", &p)
	}
	orgID, err := h.loginOrg(r, ask)
	var res identity.LoginResult
	if err == nil {
		res, err = h.opts.Accounts.Authenticate(ctx, h.opts.Throttle, orgID, r.PostForm.Get("email"), r.PostForm.Get("password"))
	}
	if err != nil {
		if !p.Form.fail(h.opts.Catalog, p.Locale, err) {
			return err
		}
		return h.render(w, r, http.StatusUnauthorized, "login", &p)
	}
	actor := identity.Actor{UserID: res.User.ID, OrgID: res.User.OrgID, Role: res.User.Role}
	if res.PriorFailures >= 3 {
		// Someone may have tried the password: tell the owner.
		h.notifySelf(r, actor, "login_after_failures", "notice.login_failures_subject", "notice.login_failures_body", res.PriorFailures)
	}
	// "Keep me signed in" is for patients only; other roles ignore it.
	remember := r.PostForm.Get("remember") == "1" && actor.Role == identity.RolePatient
	return h.startSessionWith(w, r, actor, session.NewSession{Remember: remember}, localPath(r.PostForm.Get("next")))
}

// Logout serves POST /logout: the server session ends, the cookie goes, and
// the browser is told to drop what it cached of the signed-in pages.
func (h *Handler) Logout(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(SessionCookieName(h.opts.SecureCookies)); err == nil && c.Value != "" {
		if err := h.opts.Sessions.Logout(r.Context(), c.Value); err != nil {
			return err
		}
	}
	h.clearSessionCookie(w)
	w.Header().Set("Clear-Site-Data", `"cache", "cookies", "storage"`)
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

// accountPage is the data of the account page.
type accountPage struct {
	Page
	Role     string
	RoleName string
	MFA      bool
}

// Account serves GET /account, the signed-in person's own page.
func (h *Handler) Account(w http.ResponseWriter, r *http.Request) error {
	info := reqctx.From(r.Context())
	p := accountPage{Page: h.newPage(r, "account.title"), Role: info.Role, MFA: info.MFA}
	p.RoleName = p.T("role." + info.Role)
	return h.render(w, r, http.StatusOK, "account", &p)
}

// startSession signs actor in: a new session (a new token: no fixation),
// its cookie, and a redirect to next.
func (h *Handler) startSession(w http.ResponseWriter, r *http.Request, actor identity.Actor, mfa bool, next string) error {
	return h.startSessionWith(w, r, actor, session.NewSession{MFA: mfa}, next)
}

// startSessionWith is startSession with options (a patient's "keep me
// signed in"); the ids, role and client come from actor and the request.
func (h *Handler) startSessionWith(w http.ResponseWriter, r *http.Request, actor identity.Actor, n session.NewSession, next string) error {
	info := reqctx.From(r.Context())
	n.OrgID, n.UserID, n.Role, n.IP, n.UserAgent = actor.OrgID, actor.UserID, actor.Role, info.ClientIP, info.UserAgent
	token, s, err := h.opts.Sessions.Create(r.Context(), n)
	if err != nil {
		return err
	}
	// A browser-session cookie, unless the patient chose to be remembered.
	var expires time.Time
	if s.Remembered {
		expires = s.AbsoluteExpiry
	}
	h.setSessionCookie(w, token, expires)
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// askPractice reports whether sign-in must ask which practice: only when
// the deployment serves more than one.
func (h *Handler) askPractice(r *http.Request) (bool, error) {
	orgs, err := h.opts.Orgs.Organizations(r.Context(), identity.OrganizationFilter{Limit: 2})
	return len(orgs) > 1, err
}

// loginOrg finds the practice to sign in to. An unknown practice gives the
// same answer as a wrong password.
func (h *Handler) loginOrg(r *http.Request, ask bool) (string, error) {
	if ask {
		org, err := h.opts.Orgs.OrganizationBySlug(r.Context(), strings.ToLower(strings.TrimSpace(r.PostForm.Get("practice"))))
		if err != nil {
			return "", errs.E(errs.Unauthenticated, "error.login_failed")
		}
		return org.ID, nil
	}
	orgs, err := h.opts.Orgs.Organizations(r.Context(), identity.OrganizationFilter{Limit: 1})
	if err != nil || len(orgs) == 0 {
		return "", errs.E(errs.Unauthenticated, "error.login_failed")
	}
	return orgs[0].ID, nil
}

// renameFields renames field problems so they match the form's inputs.
func renameFields(err error, names map[string]string) {
	var e *errs.Error
	if !errors.As(err, &e) {
		return
	}
	for i, f := range e.Fields {
		if n, ok := names[f.Field]; ok {
			e.Fields[i].Field = n
		}
	}
}

// notifySelf emails the person about their own account, in their language.
// A failure to send is logged; the action that caused it stands.
func (h *Handler) notifySelf(r *http.Request, actor identity.Actor, kind, subjectKey, bodyKey string, args ...any) {
	loc := h.locale(r)
	subject := h.opts.Catalog.T(loc, subjectKey)
	body := h.opts.Catalog.T(loc, bodyKey, args...)
	if err := h.opts.Accounts.NotifySelf(r.Context(), actor, kind, subject, body); err != nil {
		h.opts.Logger.WarnContext(r.Context(), "account notice not sent", "kind", kind, "err", err.Error())
	}
}
