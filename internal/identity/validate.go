package identity

import (
	"unicode/utf8"

	"github.com/astralcore/astral/internal/errs"
)

// Limits on input fields.
const (
	MaxOrganizationName = 200
	MinSlug             = 3
	MaxSlug             = 63
)

// Translation keys for field problems. They are keys only; the text lives
// with the translations.
const (
	msgRequired      = "field.required"
	msgTooLong       = "field.too_long"     // args: max characters
	msgInvalidSlug   = "field.invalid_slug" // args: min, max length
	msgInvalidChoice = "field.invalid_choice"
	msgOutOfRange    = "field.out_of_range" // args: min, max
	msgUnknown       = "field.unknown"      // no such user in this practice
	msgInvalidRole   = "field.invalid_role" // the user has the wrong role
	msgInactive      = "field.inactive"     // the user is deactivated
	msgSameUser      = "field.same_user"    // both sides are one user
)

// fieldErrors collects field problems and turns them into one Invalid error.
type fieldErrors []errs.FieldError

func (fe *fieldErrors) add(field, msg string, args ...any) {
	*fe = append(*fe, errs.FieldError{Field: field, Message: msg, Args: args})
}

func (fe fieldErrors) err() error {
	if len(fe) == 0 {
		return nil
	}
	return errs.InvalidFields(fe...)
}

// ValidSlug reports whether s is a valid organization slug: 3–63 characters
// of lowercase a-z, 0-9 and '-', starting and ending with a letter or digit
// (like a DNS label, so a slug can become a subdomain).
func ValidSlug(s string) bool {
	if len(s) < MinSlug || len(s) > MaxSlug || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// ValidateOrganization checks the input for a new organization. It returns an
// Invalid error listing every problem, or nil.
func ValidateOrganization(name, slug string) error {
	var fe fieldErrors
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		fe.add("name", msgRequired)
	case n > MaxOrganizationName:
		fe.add("name", msgTooLong, MaxOrganizationName)
	}
	switch {
	case slug == "":
		fe.add("slug", msgRequired)
	case !ValidSlug(slug):
		fe.add("slug", msgInvalidSlug, MinSlug, MaxSlug)
	}
	return fe.err()
}

// ValidateNewUser checks the input for a new user. It returns an Invalid
// error listing every problem, or nil.
func ValidateNewUser(orgID string, role Role) error {
	var fe fieldErrors
	if orgID == "" {
		fe.add("org_id", msgRequired)
	}
	if !role.Valid() {
		fe.add("role", msgInvalidChoice)
	}
	return fe.err()
}

// Validate checks the filter. It returns an Invalid error, or nil.
func (f OrganizationFilter) Validate() error {
	var fe fieldErrors
	checkLimit(&fe, f.Limit)
	return fe.err()
}

// Validate checks the filter. It returns an Invalid error, or nil.
func (f UserFilter) Validate() error {
	var fe fieldErrors
	if f.OrgID == "" {
		fe.add("org_id", msgRequired)
	}
	if f.Role != nil && !f.Role.Valid() {
		fe.add("role", msgInvalidChoice)
	}
	if f.Status != nil && !f.Status.Valid() {
		fe.add("status", msgInvalidChoice)
	}
	checkLimit(&fe, f.Limit)
	return fe.err()
}

// Validate checks the update. It returns an Invalid error, or nil.
func (u UserUpdate) Validate() error {
	var fe fieldErrors
	if u.Role == nil && u.Status == nil {
		fe.add("update", msgRequired)
	}
	if u.Role != nil && !u.Role.Valid() {
		fe.add("role", msgInvalidChoice)
	}
	if u.Status != nil && !u.Status.Valid() {
		fe.add("status", msgInvalidChoice)
	}
	return fe.err()
}

// Validate checks the filter. It returns an Invalid error, or nil.
func (f CareRelationshipFilter) Validate() error {
	var fe fieldErrors
	if f.OrgID == "" {
		fe.add("org_id", msgRequired)
	}
	checkLimit(&fe, f.Limit)
	return fe.err()
}

// Validate checks the filter. It returns an Invalid error, or nil.
func (f SupervisionFilter) Validate() error {
	var fe fieldErrors
	if f.OrgID == "" {
		fe.add("org_id", msgRequired)
	}
	checkLimit(&fe, f.Limit)
	return fe.err()
}

func checkLimit(fe *fieldErrors, limit int) {
	if limit < 0 || limit > MaxLimit {
		fe.add("limit", msgOutOfRange, 0, MaxLimit)
	}
}

// ValidateCareTeam checks that clinician may treat patient: the clinician
// must be an active therapist or supervisor and the patient an active
// patient. A nil user means no such user exists in the practice. Problems are
// reported on the fields therapist_id and patient_id.
func ValidateCareTeam(clinician, patient *User) error {
	var fe fieldErrors
	checkMember(&fe, "therapist_id", clinician, Role.Clinician)
	checkMember(&fe, "patient_id", patient, func(r Role) bool { return r == RolePatient })
	if len(fe) == 0 && clinician.ID == patient.ID {
		fe.add("patient_id", msgSameUser)
	}
	return fe.err()
}

// ValidateSupervision checks that supervisor may supervise therapist: the
// supervisor must be an active supervisor, the supervisee an active therapist
// or supervisor, and they must be different people. A nil user means no such
// user exists in the practice. Problems are reported on the fields
// supervisor_id and therapist_id.
func ValidateSupervision(supervisor, therapist *User) error {
	var fe fieldErrors
	checkMember(&fe, "supervisor_id", supervisor, func(r Role) bool { return r == RoleSupervisor })
	checkMember(&fe, "therapist_id", therapist, Role.Clinician)
	if len(fe) == 0 && supervisor.ID == therapist.ID {
		fe.add("therapist_id", msgSameUser)
	}
	return fe.err()
}

func checkMember(fe *fieldErrors, field string, u *User, roleOK func(Role) bool) {
	switch {
	case u == nil:
		fe.add(field, msgUnknown)
	case !roleOK(u.Role):
		fe.add(field, msgInvalidRole)
	case u.Status != StatusActive:
		fe.add(field, msgInactive)
	}
}
