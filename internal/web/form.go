package web

import (
	"net/http"
	"strings"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/i18n"
)

// Form carries what a person typed and what is wrong with it back into the
// page, so nothing is lost on an error. Secret fields (passwords, codes) are
// never echoed: handlers do not put them in Values.
type Form struct {
	Values  map[string]string
	Errors  map[string]string // field → translated message
	Summary []FieldMessage    // the same problems, in order, for the summary
	Message string            // a form-wide message, such as a failed sign-in
}

// FieldMessage is one problem in the error summary.
type FieldMessage struct {
	Field   string
	Message string
}

// Value returns the submitted value of a field.
func (f *Form) Value(name string) string { return f.Values[name] }

// Error returns the translated problem with a field, or "".
func (f *Form) Error(name string) string { return f.Errors[name] }

// newForm keeps the named fields of a submitted form, trimmed of nothing:
// what the person typed comes back exactly.
func newForm(r *http.Request, fields ...string) *Form {
	f := &Form{Values: make(map[string]string, len(fields)), Errors: map[string]string{}}
	for _, name := range fields {
		f.Values[name] = r.PostFormValue(name)
	}
	return f
}

// fail records err in the form: field problems next to their fields (and
// in the summary), anything else as the form-wide message. It returns false
// for errors the page cannot show (internal, unavailable): the caller then
// returns err to the error page.
func (f *Form) fail(cat *i18n.Catalog, loc i18n.Locale, err error) bool {
	kind, msg, args, fields := errs.Public(err)
	switch kind {
	case errs.Internal, errs.Unavailable:
		return false
	}
	for _, fe := range fields {
		name := strings.ReplaceAll(fe.Field, ".", "_")
		m := cat.T(loc, fe.Message, fe.Args...)
		if _, dup := f.Errors[name]; !dup {
			f.Errors[name] = m
			f.Summary = append(f.Summary, FieldMessage{Field: name, Message: m})
		}
	}
	if len(fields) == 0 {
		f.Message = cat.T(loc, msg, args...)
	}
	return true
}

// confirmedPassword returns the form's new password, or a field problem on
// "password_confirm" when the two entries differ.
func confirmedPassword(r *http.Request) (string, error) {
	pw := r.PostForm.Get("password")
	if pw != r.PostForm.Get("password_confirm") {
		return "", errs.InvalidFields(errs.FieldError{Field: "password_confirm", Message: "field.password_mismatch"})
	}
	return pw, nil
}
