package web

import (
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/astralcore/astral/internal/audit"
	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/identity"
	"github.com/astralcore/astral/internal/mfa"
	"github.com/astralcore/astral/internal/phi"
	"github.com/astralcore/astral/internal/ratelimit"
	"github.com/astralcore/astral/internal/reqctx"
	"github.com/astralcore/astral/internal/session"
)

// StepUpWindow is how recent a full authentication must be for changes to a
// person's second factors (SECURITY.md §17).
const StepUpWindow = 5 * time.Minute

// mfaPage is the data of the second-factor pages.
type mfaPage struct {
	Page
	Form        *Form
	TOTP        bool
	BackupLeft  int
	Passkeys    int
	QR          template.HTML
	Secret      string
	BackupCodes []string
}

// MFAForm serves GET /login/mfa: the second step of signing in.
func (h *Handler) MFAForm(w http.ResponseWriter, r *http.Request) error {
	info := reqctx.From(r.Context())
	if info.MFA {
		http.Redirect(w, r, "/account", http.StatusSeeOther)
		return nil
	}
	f, err := h.opts.MFA.Factors(r.Context(), info.OrgID, info.UserID)
	if err != nil {
		return err
	}
	if !f.TOTP && f.BackupCodesLeft == 0 {
		http.Redirect(w, r, "/account/mfa", http.StatusSeeOther)
		return nil
	}
	p := mfaPage{Page: h.newPage(r, "mfa.verify_title"), Form: newForm(r), TOTP: f.TOTP, BackupLeft: f.BackupCodesLeft}
	p.Form.Values["next"] = localPath(r.URL.Query().Get("next"))
	return h.render(w, r, http.StatusOK, "mfa_verify", &p)
}

// MFAVerify serves POST /login/mfa: a TOTP code or a backup code. Success
// rotates the session token and marks it as having passed a second factor.
func (h *Handler) MFAVerify(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	info := reqctx.From(ctx)
	if err := r.ParseForm(); err != nil {
		return errs.Wrap(err, errs.Invalid, "web.MFAVerify")
	}
	p := mfaPage{Page: h.newPage(r, "mfa.verify_title"), Form: newForm(r, "next")}
	dec, lerr := ratelimit.AllowOrDeny(ctx, h.opts.Limiter, "mfa:"+info.UserID, ratelimit.MFAPerSession)
	if lerr != nil {
		h.opts.Logger.ErrorContext(ctx, "mfa rate limiter", "err", lerr.Error())
	}
	if !dec.Allowed {
		w.Header().Set("Retry-After", ratelimit.RetryAfterSeconds(dec.RetryAfter))
		p.Form.Message = p.T("error.rate_limited")
		return h.render(w, r, http.StatusTooManyRequests, "mfa_verify", &p)
	}
	code := strings.TrimSpace(r.PostForm.Get("code"))
	var err error
	if len(code) == 6 && strings.Trim(code, "0123456789") == "" {
		err = h.opts.MFA.VerifyTOTP(ctx, info.OrgID, info.UserID, code)
	} else {
		err = h.opts.MFA.VerifyBackupCode(ctx, info.OrgID, info.UserID, code)
	}
	h.recordAuth(r, "auth.mfa", err)
	if err != nil {
		if !p.Form.fail(h.opts.Catalog, p.Locale, err) {
			return err
		}
		return h.render(w, r, http.StatusUnauthorized, "mfa_verify", &p)
	}
	if err := h.rotate(w, r, func(s *session.Session) { s.MFAAt = time.Now() }); err != nil {
		return err
	}
	http.Redirect(w, r, localPath(r.PostForm.Get("next")), http.StatusSeeOther)
	return nil
}

// MFASettings serves GET /account/mfa: the person's second factors.
func (h *Handler) MFASettings(w http.ResponseWriter, r *http.Request) error {
	info := reqctx.From(r.Context())
	f, err := h.opts.MFA.Factors(r.Context(), info.OrgID, info.UserID)
	if err != nil {
		return err
	}
	p := mfaPage{Page: h.newPage(r, "mfa.settings_title"), Form: newForm(r), TOTP: f.TOTP, BackupLeft: f.BackupCodesLeft, Passkeys: f.WebAuthn}
	return h.render(w, r, http.StatusOK, "mfa_settings", &p)
}

// TOTPBegin serves POST /account/mfa/totp: it starts enrolling an
// authenticator app and shows its QR code and secret once.
func (h *Handler) TOTPBegin(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	info := reqctx.From(ctx)
	if err := h.requireFresh(r); err != nil {
		return err
	}
	enr, err := h.opts.MFA.BeginTOTP(ctx, info.OrgID, info.UserID, phi.NewText(h.p(r).T("app.name")))
	if err != nil {
		return err
	}
	qr, err := mfa.QRCodeSVG(enr.URI.Reveal(), h.p(r).T("mfa.qr_label"))
	if err != nil {
		return err
	}
	p := mfaPage{Page: h.newPage(r, "mfa.totp_title"), Form: newForm(r), QR: qr, Secret: groupSecret(enr.Secret.Reveal())}
	return h.render(w, r, http.StatusOK, "mfa_totp", &p)
}

// TOTPConfirm serves POST /account/mfa/totp/confirm: the first code from the
// app activates it; the session then counts as MFA-verified, and ten backup
// codes are shown once.
func (h *Handler) TOTPConfirm(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	info := reqctx.From(ctx)
	if err := r.ParseForm(); err != nil {
		return errs.Wrap(err, errs.Invalid, "web.TOTPConfirm")
	}
	if err := h.requireFresh(r); err != nil {
		return err
	}
	err := h.opts.MFA.ConfirmTOTP(ctx, info.OrgID, info.UserID, strings.TrimSpace(r.PostForm.Get("code")))
	h.recordAuth(r, "auth.mfa_enrol", err)
	if err != nil {
		p := mfaPage{Page: h.newPage(r, "mfa.totp_title"), Form: newForm(r)}
		if !p.Form.fail(h.opts.Catalog, p.Locale, err) || errs.Is(err, errs.NotFound) {
			return err
		}
		p.Form.Message = p.T("mfa.totp_try_again")
		return h.render(w, r, http.StatusUnprocessableEntity, "mfa_totp", &p)
	}
	codes, err := h.opts.MFA.RegenerateBackupCodes(ctx, info.OrgID, info.UserID)
	if err != nil {
		return err
	}
	// A new factor: sign out other sessions, mark this one verified.
	if _, err := h.opts.Sessions.RevokeUser(ctx, info.OrgID, info.UserID, info.SessionID, session.ReasonMFAChanged); err != nil {
		return err
	}
	if err := h.rotate(w, r, func(s *session.Session) { s.MFAAt = time.Now() }); err != nil {
		return err
	}
	actor, _ := identity.ActorFrom(ctx)
	h.notifySelf(r, actor, "mfa_changed", "notice.mfa_subject", "notice.mfa_body")
	p := mfaPage{Page: h.newPage(r, "mfa.codes_title"), Form: newForm(r)}
	for _, c := range codes {
		p.BackupCodes = append(p.BackupCodes, c.Reveal())
	}
	return h.render(w, r, http.StatusOK, "mfa_codes", &p)
}

// rotate gives the session a new token after change (login step, step-up),
// so a token seen before the change is worthless after it.
func (h *Handler) rotate(w http.ResponseWriter, r *http.Request, change func(*session.Session)) error {
	c, err := r.Cookie(SessionCookieName(h.opts.SecureCookies))
	if err != nil {
		return errs.E(errs.Unauthenticated, "")
	}
	token, s, err := h.opts.Sessions.Rotate(r.Context(), c.Value, change)
	if err != nil {
		return err
	}
	var expires time.Time
	if s.Remembered {
		expires = s.AbsoluteExpiry
	}
	h.setSessionCookie(w, token, expires)
	return nil
}

// requireFresh refuses changes to second factors unless the person fully
// authenticated within StepUpWindow.
func (h *Handler) requireFresh(r *http.Request) error {
	info := reqctx.From(r.Context())
	if info.AuthTime.IsZero() || time.Since(info.AuthTime) > StepUpWindow {
		return errs.E(errs.Forbidden, "error.reauth_required")
	}
	return nil
}

// recordAuth audits an authentication step; a failure to audit is logged
// (the step's own outcome stands).
func (h *Handler) recordAuth(r *http.Request, action string, stepErr error) {
	info := reqctx.From(r.Context())
	outcome := audit.Success
	if stepErr != nil {
		outcome = audit.Failure
	}
	ev := audit.Event{OrgID: info.OrgID, ActorID: info.UserID, ActorRole: info.Role, Action: action,
		Outcome: outcome, Purpose: audit.PurposeNormal, Category: audit.CategoryAuthentication,
		IP: info.ClientIP, UserAgent: audit.CleanUserAgent(info.UserAgent), RequestID: info.ID}
	if err := h.opts.Audit.Record(r.Context(), ev); err != nil {
		h.opts.Logger.ErrorContext(r.Context(), "audit of an authentication step", "action", action, "err", err.Error())
	}
}

func (h *Handler) p(r *http.Request) *Page {
	p := h.newPage(r, "app.name")
	return &p
}

// groupSecret spaces a base32 secret in groups of four for typing.
func groupSecret(s string) string {
	var b strings.Builder
	for i, c := range s {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	return b.String()
}
