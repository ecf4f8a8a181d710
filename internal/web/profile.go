package web

import (
	"net/http"
	"strconv"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/identity"
)

// profilePage is the data of the profile page.
type profilePage struct {
	Page
	Form   *Form
	Erased bool
	// RecordVersion is the profile's version, for optimistic locking (not
	// Version, which is the app's and compiled into the page).
	RecordVersion int64
	Saved         bool
}

// profileFields are the form's fields, in order.
var profileFields = []string{"legal_name", "preferred_name", "email", "phone", "birth_date"}

// Profile serves GET /account/profile: the person's own profile, decrypted
// for them (the read is audited). Data whose key was destroyed shows as
// erased, not as an error.
func (h *Handler) Profile(w http.ResponseWriter, r *http.Request) error {
	actor, _ := identity.ActorFrom(r.Context())
	prof, err := h.opts.Profiles.Profile(r.Context(), actor, actor.UserID)
	if err != nil {
		return err
	}
	p := profilePage{Page: h.newPage(r, "details.title"), Form: newForm(r), Erased: prof.Erased, RecordVersion: prof.Version, Saved: r.URL.Query().Get("saved") == "1"}
	p.Form.Values = map[string]string{
		"legal_name": prof.LegalName.Reveal(), "preferred_name": prof.PreferredName.Reveal(),
		"email": prof.Email.Reveal(), "phone": prof.Phone.Reveal(), "birth_date": prof.BirthDate.Reveal(),
	}
	return h.render(w, r, http.StatusOK, "profile", &p)
}

// SaveProfile serves POST /account/profile. The form carries the version it
// was loaded at, so a change made meanwhile elsewhere is not overwritten.
func (h *Handler) SaveProfile(w http.ResponseWriter, r *http.Request) error {
	actor, _ := identity.ActorFrom(r.Context())
	if err := r.ParseForm(); err != nil {
		return errs.Wrap(err, errs.Invalid, "web.SaveProfile")
	}
	p := profilePage{Page: h.newPage(r, "details.title"), Form: newForm(r, profileFields...)}
	version, verr := strconv.ParseInt(r.PostForm.Get("version"), 10, 64)
	if verr != nil || version < 0 {
		return errs.InvalidFields(errs.FieldError{Field: "version", Message: "field.invalid_format"})
	}
	p.RecordVersion = version
	v := func(name string) *string { s := r.PostForm.Get(name); return &s }
	_, err := h.opts.Profiles.SetProfile(r.Context(), actor, actor.UserID, version, identity.ProfileInput{
		LegalName: v("legal_name"), PreferredName: v("preferred_name"), Email: v("email"), Phone: v("phone"), BirthDate: v("birth_date"),
	})
	if err == nil {
		http.Redirect(w, r, "/account/profile?saved=1", http.StatusSeeOther)
		return nil
	}
	if !p.Form.fail(h.opts.Catalog, p.Locale, err) {
		return err
	}
	status := http.StatusUnprocessableEntity
	if errs.Is(err, errs.Conflict) {
		status = http.StatusConflict
	}
	return h.render(w, r, status, "profile", &p)
}
