package password

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/identity"
)

// Length limits, counted in runes (Unicode code points) of the password
// exactly as given.
const (
	MinLengthPatient = 8  // NIST 800-63B and ASVS 6.2.1 floor
	MinLengthStaff   = 12 // everyone who can reach other people's data
	MaxLength        = 128
	minPartLen       = 3 // shorter name parts and context words are ignored
)

// DefaultContext returns the words specific to this service that no password
// may contain (ASVS 6.2.11): the app name and "therapy". PolicyFor uses them;
// a deployment may append its practice names. Each call returns a new slice.
func DefaultContext() []string { return []string{"astral", "therapy"} }

// Translation keys for the field problems Check reports, all on the field
// "password". The text lives with the translations.
const (
	MsgTooShort = "field.password_too_short" // args: minimum characters
	MsgTooLong  = "field.password_too_long"  // args: maximum characters
	MsgCommon   = "field.password_common"
	MsgPersonal = "field.password_personal"
	MsgContext  = "field.password_context"
)

// Field is the name of the input field Check reports problems on.
const Field = "password"

// Policy is what Check enforces.
type Policy struct {
	// MinLength is the least number of runes. Values below
	// MinLengthPatient are raised to it.
	MinLength int
	// MaxLength is the most number of runes. Zero or values above the
	// package's MaxLength mean MaxLength.
	MaxLength int
	// Context lists words of this service that a password may not contain,
	// compared case-insensitively; words shorter than 3 runes are ignored.
	Context []string
}

// MinLength returns the minimum password length for role: 8 for patients,
// 12 for every staff role. An unknown role gets the staff minimum, so a
// mistake errs on the strict side.
func MinLength(role identity.Role) int {
	if role == identity.RolePatient {
		return MinLengthPatient
	}
	return MinLengthStaff
}

// PolicyFor returns the policy for a user with role: its minimum length, the
// maximum length and DefaultContext().
func PolicyFor(role identity.Role) Policy {
	return Policy{MinLength: MinLength(role), MaxLength: MaxLength, Context: DefaultContext()}
}

// Check reports whether password is acceptable under p for a user whose
// personal data (name parts, e-mail addresses, username) are given in
// personal. It returns nil, or an errs.Invalid error with one field problem
// on "password" giving the first reason found, in this order: too short,
// too long, a common password (any case), a personal part of at least 3
// characters, a context word. There are no composition rules.
//
// If the bundled list cannot be loaded, Check fails closed with an
// errs.Internal error. No error holds the password or personal data.
func Check(password string, p Policy, personal ...string) error {
	lo, hi := max(p.MinLength, MinLengthPatient), p.MaxLength
	if hi <= 0 || hi > MaxLength {
		hi = MaxLength
	}
	n := utf8.RuneCountInString(password)
	switch {
	case n < lo:
		return invalid(MsgTooShort, lo)
	case n > hi:
		return invalid(MsgTooLong, hi)
	}
	common, err := isCommon(password)
	if err != nil {
		return errs.Wrap(err, errs.Internal, "password.Check")
	}
	if common {
		return invalid(MsgCommon)
	}
	lower := strings.ToLower(password)
	if containsAny(lower, personalParts(personal)) {
		return invalid(MsgPersonal)
	}
	if containsAny(lower, p.Context) {
		return invalid(MsgContext)
	}
	return nil
}

func invalid(msg string, args ...any) error {
	return errs.InvalidFields(errs.FieldError{Field: Field, Message: msg, Args: args})
}

// personalParts splits personal data into the parts a password may not
// contain: for an e-mail address its whole local part and the pieces of it,
// for anything else its pieces between non-alphanumeric characters.
func personalParts(personal []string) []string {
	var parts []string
	for _, s := range personal {
		if at := strings.LastIndexByte(s, '@'); at >= 0 {
			s = s[:at]
			parts = append(parts, s)
		}
		parts = append(parts, strings.FieldsFunc(s, func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r)
		})...)
	}
	return parts
}

// containsAny reports whether lower holds any word of at least minPartLen
// runes, ignoring case.
func containsAny(lower string, words []string) bool {
	for _, w := range words {
		if utf8.RuneCountInString(w) >= minPartLen && strings.Contains(lower, strings.ToLower(w)) {
			return true
		}
	}
	return false
}
