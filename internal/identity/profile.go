package identity

import (
	"context"
	"net/mail"
	"strings"
	"time"
	"unicode"

	"github.com/astralcore/astral/internal/phi"
)

// Profile is a person's demographic PHI, opened for an authorised reader.
// Its fields print as "[phi]" everywhere unless revealed. Erased is true
// when the person's data key was destroyed (crypto-shredding): the fields
// are then empty and the UI shows the data as erased.
type Profile struct {
	UserID        string
	OrgID         string
	LegalName     phi.Text
	PreferredName phi.Text
	Email         phi.Text
	Phone         phi.Text
	BirthDate     phi.Text // YYYY-MM-DD
	Erased        bool
	UpdatedAt     time.Time
	Version       int64 // 0 when no profile was saved yet
}

// ProfileInput changes a profile. Nil fields stay as they are; an empty
// string clears the field.
type ProfileInput struct {
	LegalName     *string
	PreferredName *string
	Email         *string
	Phone         *string
	BirthDate     *string
}

// SealedProfile is a profile as stored: every PHI field is a ciphertext
// (nil when empty) bound to its practice, table, column and user, and email
// and phone carry keyed blind indexes for exact-match lookup.
type SealedProfile struct {
	UserID        string
	OrgID         string
	LegalName     []byte
	PreferredName []byte
	Email         []byte
	Phone         []byte
	BirthDate     []byte
	EmailIndex    []byte
	PhoneIndex    []byte
	UpdatedAt     time.Time
	Version       int64
}

// ProfileStore stores sealed profiles.
//
// ProfileByUserID returns errs.NotFound when the user has no profile yet.
// PutProfile creates the profile when expectedVersion is 0 and otherwise
// replaces it if it is still at expectedVersion, returning it with its new
// version and time; a stale version is errs.Conflict ("error.stale_version"),
// an email index already used by another person of the practice is
// errs.Conflict with a field problem on "email". UserIDsByEmailIndex returns
// the users of a practice whose email has that blind index.
type ProfileStore interface {
	ProfileByUserID(ctx context.Context, orgID, userID string) (SealedProfile, error)
	PutProfile(ctx context.Context, p SealedProfile, expectedVersion int64) (SealedProfile, error)
	UserIDsByEmailIndex(ctx context.Context, orgID string, index []byte) ([]string, error)
}

// Limits of profile fields.
const (
	MaxNameLength  = 200
	MaxEmailLength = 254
)

// Validate checks the fields that are set and reports every problem at once.
func (in ProfileInput) Validate(now time.Time) error {
	var fe fieldErrors
	checkName := func(field string, v *string) {
		if v == nil {
			return
		}
		if len([]rune(*v)) > MaxNameLength {
			fe.add(field, msgTooLong, MaxNameLength)
		} else if strings.IndexFunc(*v, unicode.IsControl) >= 0 {
			fe.add(field, "field.invalid_format")
		}
	}
	checkName("legal_name", in.LegalName)
	checkName("preferred_name", in.PreferredName)
	if in.Email != nil && *in.Email != "" {
		e := strings.TrimSpace(*in.Email)
		a, err := mail.ParseAddress(e)
		switch {
		case len(e) > MaxEmailLength:
			fe.add("email", msgTooLong, MaxEmailLength)
		case err != nil || a.Address != e || a.Name != "" || !strings.Contains(e[strings.LastIndexByte(e, '@'):], "."):
			fe.add("email", "field.invalid_email")
		}
	}
	if in.Phone != nil && *in.Phone != "" {
		digits := phi.NormalizePhone(*in.Phone)
		n := len(strings.TrimPrefix(digits, "+"))
		if n < 6 || n > 15 || strings.Trim(*in.Phone, "+0123456789 ()-./") != "" {
			fe.add("phone", "field.invalid_phone")
		}
	}
	if in.BirthDate != nil && *in.BirthDate != "" {
		d, err := time.Parse(time.DateOnly, *in.BirthDate)
		switch {
		case err != nil:
			fe.add("birth_date", "field.invalid_date")
		case d.After(now) || d.Year() < 1900:
			fe.add("birth_date", "field.date_out_of_range")
		}
	}
	return fe.err()
}
