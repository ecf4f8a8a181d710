package web

import (
	"net/http"
	"strconv"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/identity"
	"github.com/astralcore/astral/internal/session"
)

// peoplePage is the data of the people page.
type peoplePage struct {
	Page
	Form    *Form
	People  []personRow
	Roles   []roleOption
	Invited bool
}

type personRow struct {
	ID, Name, Role, Status, Created string
	RoleValue                       string
	Active, Erased, Self, CanManage bool
	Version                         int64
	Roles                           []roleOption
}

type roleOption struct {
	Value, Label string
	Selected     bool
}

// People serves GET /admin/people: the practice's people and the form to
// invite someone.
func (h *Handler) People(w http.ResponseWriter, r *http.Request) error {
	p, err := h.peoplePage(r, newForm(r))
	if err != nil {
		return err
	}
	p.Invited = r.URL.Query().Get("invited") == "1"
	return h.render(w, r, http.StatusOK, "people", p)
}

// Invite serves POST /admin/people/invite.
func (h *Handler) Invite(w http.ResponseWriter, r *http.Request) error {
	actor, _ := identity.ActorFrom(r.Context())
	if err := r.ParseForm(); err != nil {
		return errs.Wrap(err, errs.Invalid, "web.Invite")
	}
	form := newForm(r, "email", "role")
	loc := h.locale(r)
	compose := func(link string) (string, string) {
		return h.opts.Catalog.T(loc, "invite.mail_subject"), h.opts.Catalog.T(loc, "invite.mail_body", link)
	}
	err := h.opts.Accounts.Invite(r.Context(), actor, r.PostForm.Get("email"), identity.Role(r.PostForm.Get("role")), h.opts.PublicURL, compose)
	if err == nil {
		http.Redirect(w, r, "/admin/people?invited=1", http.StatusSeeOther)
		return nil
	}
	p, perr := h.peoplePage(r, form)
	if perr != nil {
		return perr
	}
	if errs.Is(err, errs.Forbidden) || !p.Form.fail(h.opts.Catalog, p.Locale, err) {
		return err
	}
	return h.render(w, r, http.StatusUnprocessableEntity, "people", p)
}

func (h *Handler) peoplePage(r *http.Request, form *Form) (*peoplePage, error) {
	actor, _ := identity.ActorFrom(r.Context())
	people, err := h.opts.Accounts.People(r.Context(), actor, 500)
	if err != nil {
		return nil, err
	}
	p := &peoplePage{Page: h.newPage(r, "members.title"), Form: form}
	for _, person := range people {
		row := personRow{
			ID: person.User.ID, Name: person.Name, Erased: person.Erased,
			Role: p.T("role." + string(person.User.Role)), Status: p.T("status." + string(person.User.Status)),
			RoleValue: string(person.User.Role), Active: person.User.Status == identity.StatusActive,
			Self: person.User.ID == actor.UserID, CanManage: actor.Role == identity.RoleAdmin,
			Created: person.User.CreatedAt.Format("2006-01-02"), Version: person.User.Version,
		}
		for _, role := range identity.Roles() {
			row.Roles = append(row.Roles, roleOption{Value: string(role), Label: p.T("role." + string(role)), Selected: role == person.User.Role})
		}
		p.People = append(p.People, row)
	}
	for _, role := range identity.Roles() {
		p.Roles = append(p.Roles, roleOption{Value: string(role), Label: p.T("role." + string(role)), Selected: form.Value("role") == string(role)})
	}
	return p, nil
}

// InviteLink serves GET /invite/{token}: it moves the token into a cookie
// and leaves the URL that holds it.
func (h *Handler) InviteLink(w http.ResponseWriter, r *http.Request) error {
	token := r.PathValue("token")
	if _, err := h.opts.Accounts.CheckInvitation(r.Context(), token); err != nil {
		return err
	}
	h.setFlowCookie(w, "/invite", token)
	http.Redirect(w, r, "/invite", http.StatusSeeOther)
	return nil
}

// acceptPage is the data of the accept-invitation page.
type acceptPage struct {
	Page
	Form     *Form
	RoleName string
	MinChars int
}

// AcceptForm serves GET /invite.
func (h *Handler) AcceptForm(w http.ResponseWriter, r *http.Request) error {
	role, err := h.opts.Accounts.CheckInvitation(r.Context(), flowToken(r))
	if err != nil {
		return errTokenInvalid
	}
	p := h.acceptPage(r, newForm(r), role)
	return h.render(w, r, http.StatusOK, "accept", p)
}

// Accept serves POST /invite: the invited person chooses a name and
// password, and is signed in.
func (h *Handler) Accept(w http.ResponseWriter, r *http.Request) error {
	token := flowToken(r)
	if err := r.ParseForm(); err != nil {
		return errs.Wrap(err, errs.Invalid, "web.Accept")
	}
	role, err := h.opts.Accounts.CheckInvitation(r.Context(), token)
	if err != nil {
		return errTokenInvalid
	}
	p := h.acceptPage(r, newForm(r, "name"), role)
	pw, err := confirmedPassword(r)
	if err == nil {
		var actor identity.Actor
		actor, err = h.opts.Accounts.AcceptInvitation(r.Context(), token, identity.AcceptInput{Name: r.PostForm.Get("name"), Password: pw})
		if err == nil {
			h.clearFlowCookie(w, "/invite")
			return h.startSession(w, r, actor, false, "/account")
		}
	}
	if errs.Is(err, errs.NotFound) || !p.Form.fail(h.opts.Catalog, p.Locale, err) {
		return err
	}
	return h.render(w, r, http.StatusUnprocessableEntity, "accept", p)
}

func (h *Handler) acceptPage(r *http.Request, form *Form, role identity.Role) *acceptPage {
	p := &acceptPage{Page: h.newPage(r, "invite.title"), Form: form, MinChars: 12}
	p.RoleName = p.T("role." + string(role))
	if role == identity.RolePatient {
		p.MinChars = 8
	}
	return p
}

// ChangePerson serves POST /admin/people/{id}: an admin deactivates,
// reactivates or changes the role of a person. Either change ends all the
// person's sessions at once, so the next request of theirs signs in anew.
func (h *Handler) ChangePerson(w http.ResponseWriter, r *http.Request) error {
	actor, _ := identity.ActorFrom(r.Context())
	if err := r.ParseForm(); err != nil {
		return errs.Wrap(err, errs.Invalid, "web.ChangePerson")
	}
	version, err := strconv.ParseInt(r.PostForm.Get("version"), 10, 64)
	if err != nil {
		return errs.InvalidFields(errs.FieldError{Field: "version", Message: "field.invalid_format"})
	}
	var ch identity.PersonChange
	reason := session.ReasonRoleChanged
	if v := r.PostForm.Get("status"); v != "" {
		st := identity.Status(v)
		ch.Status = &st
		reason = session.ReasonDeactivated
	}
	if v := r.PostForm.Get("role"); v != "" {
		role := identity.Role(v)
		ch.Role = &role
	}
	id := r.PathValue("id")
	if _, err := h.opts.Accounts.ChangePerson(r.Context(), actor, id, version, ch); err != nil {
		return err
	}
	if _, err := h.opts.Sessions.RevokeUser(r.Context(), actor.OrgID, id, "", reason); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/people", http.StatusSeeOther)
	return nil
}
