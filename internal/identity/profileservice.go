package identity

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/astralcore/astral/internal/audit"
	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/phi"
	"github.com/astralcore/astral/internal/reqctx"
)

// Auditor records audit events durably; audit.Recorder implements it.
// Record returns nil only once the entry is committed.
type Auditor interface {
	Record(ctx context.Context, ev audit.Event) error
}

// UserReader reads users; the store implements it.
type UserReader interface {
	UserByID(ctx context.Context, orgID, id string) (User, error)
}

// ProfileService reads and writes people's profiles. Every call follows the
// PHI rule: check access, write the audit entry (no entry, no data), then
// encrypt or decrypt.
type ProfileService struct {
	users  UserReader
	store  ProfileStore
	keys   *phi.Keyring
	authz  Authorizer
	audit  Auditor
	now    func() time.Time
	logger *slog.Logger
}

// NewProfileService wires the service. now may be nil (time.Now).
func NewProfileService(users UserReader, store ProfileStore, keys *phi.Keyring, authz Authorizer, auditor Auditor, now func() time.Time, logger *slog.Logger) *ProfileService {
	if now == nil {
		now = time.Now
	}
	return &ProfileService{users: users, store: store, keys: keys, authz: authz, audit: auditor, now: now, logger: logger}
}

// profileTable is the table name bound into every profile ciphertext.
const profileTable = "user_profiles"

// profileField ties a column to its place in the input, the profile and the
// sealed record, so that adding a field is one line here.
type profileField struct {
	column string
	input  func(*ProfileInput) *string
	opened func(*Profile) *phi.Text
	sealed func(*SealedProfile) *[]byte
}

var profileFields = []profileField{
	{"legal_name", func(in *ProfileInput) *string { return in.LegalName }, func(p *Profile) *phi.Text { return &p.LegalName }, func(s *SealedProfile) *[]byte { return &s.LegalName }},
	{"preferred_name", func(in *ProfileInput) *string { return in.PreferredName }, func(p *Profile) *phi.Text { return &p.PreferredName }, func(s *SealedProfile) *[]byte { return &s.PreferredName }},
	{"email", func(in *ProfileInput) *string { return in.Email }, func(p *Profile) *phi.Text { return &p.Email }, func(s *SealedProfile) *[]byte { return &s.Email }},
	{"phone", func(in *ProfileInput) *string { return in.Phone }, func(p *Profile) *phi.Text { return &p.Phone }, func(s *SealedProfile) *[]byte { return &s.Phone }},
	{"birth_date", func(in *ProfileInput) *string { return in.BirthDate }, func(p *Profile) *phi.Text { return &p.BirthDate }, func(s *SealedProfile) *[]byte { return &s.BirthDate }},
}

// Profile returns the profile of user userID for actor. A user the actor may
// not see is errs.NotFound (the denial is audited); a user without a saved
// profile gives an empty profile at version 0. If the audit entry cannot be
// written the read fails with errs.Unavailable and nothing is decrypted; a
// key provider that is down is errs.Unavailable too.
func (s *ProfileService) Profile(ctx context.Context, actor Actor, userID string) (_ Profile, err error) {
	defer errs.Op(&err, "identity.Profile")
	subject, err := s.authorize(ctx, actor, ActionReadProfile, userID)
	if err != nil {
		return Profile{}, err
	}
	sealed, err := s.store.ProfileByUserID(ctx, subject.OrgID, subject.UserID)
	if errs.Is(err, errs.NotFound) {
		sealed, err = SealedProfile{UserID: subject.UserID, OrgID: subject.OrgID}, nil
	}
	if err != nil {
		return Profile{}, err
	}
	fields := make([]string, 0, len(profileFields))
	for _, f := range profileFields {
		if *f.sealed(&sealed) != nil {
			fields = append(fields, profileTable+"."+f.column)
		}
	}
	ev := s.event(ctx, actor, "profile.read", subject, audit.Success, fields, sealedHash(&sealed))
	if err := s.audit.Record(ctx, ev); err != nil {
		return Profile{}, err
	}
	p := Profile{UserID: sealed.UserID, OrgID: sealed.OrgID, UpdatedAt: sealed.UpdatedAt, Version: sealed.Version}
	for _, f := range profileFields {
		ct := *f.sealed(&sealed)
		if ct == nil {
			continue
		}
		t, err := s.keys.OpenText(ctx, ct, phi.AAD{OrgID: sealed.OrgID, Table: profileTable, Column: f.column, RowID: sealed.UserID})
		if errors.Is(err, phi.ErrErased) {
			return Profile{UserID: sealed.UserID, OrgID: sealed.OrgID, Erased: true, UpdatedAt: sealed.UpdatedAt, Version: sealed.Version}, nil
		}
		if err != nil {
			return Profile{}, err
		}
		*f.opened(&p) = t
	}
	return p, nil
}

// SetProfile applies in to the profile of user userID if it is still at
// expectedVersion (0 for a person without a profile) and returns the new
// profile. Invalid input is errs.Invalid with every field problem; a stale
// version or an email another person of the practice uses is errs.Conflict.
// The change is sealed and audited before it is stored: if the audit entry
// or the key provider fails, nothing is written.
func (s *ProfileService) SetProfile(ctx context.Context, actor Actor, userID string, expectedVersion int64, in ProfileInput) (_ Profile, err error) {
	defer errs.Op(&err, "identity.SetProfile")
	if err := in.Validate(s.now()); err != nil {
		return Profile{}, err
	}
	subject, err := s.authorize(ctx, actor, ActionWriteProfile, userID)
	if err != nil {
		return Profile{}, err
	}
	current, err := s.store.ProfileByUserID(ctx, subject.OrgID, subject.UserID)
	switch {
	case errs.Is(err, errs.NotFound):
		current = SealedProfile{UserID: subject.UserID, OrgID: subject.OrgID}
	case err != nil:
		return Profile{}, err
	}
	if current.Version != expectedVersion {
		return Profile{}, errs.E(errs.Conflict, "error.stale_version")
	}
	next := current
	owner := phi.Owner{OrgID: subject.OrgID, PatientID: subject.UserID}
	var changed []string
	for _, f := range profileFields {
		v := f.input(&in)
		if v == nil {
			continue
		}
		changed = append(changed, profileTable+"."+f.column)
		value := normalizeField(f.column, *v)
		if value == "" {
			*f.sealed(&next) = nil
			continue
		}
		ct, err := s.keys.SealText(ctx, owner, phi.AAD{OrgID: subject.OrgID, Table: profileTable, Column: f.column, RowID: subject.UserID}, phi.NewText(value))
		if err != nil {
			return Profile{}, err
		}
		*f.sealed(&next) = ct
	}
	if next.EmailIndex, err = s.index(ctx, subject.OrgID, "email", in.Email, current.EmailIndex, phi.NormalizeEmail); err != nil {
		return Profile{}, err
	}
	if next.PhoneIndex, err = s.index(ctx, subject.OrgID, "phone", in.Phone, current.PhoneIndex, phi.NormalizePhone); err != nil {
		return Profile{}, err
	}
	// Audit first: if the entry cannot be written, nothing is stored.
	if err := s.audit.Record(ctx, s.event(ctx, actor, "profile.update", subject, audit.Success, changed, sealedHash(&next))); err != nil {
		return Profile{}, err
	}
	saved, err := s.store.PutProfile(ctx, next, expectedVersion)
	if err != nil {
		// The attempt is on record as a success; record that it failed.
		if aerr := s.audit.Record(ctx, s.event(ctx, actor, "profile.update", subject, audit.Failure, changed, "")); aerr != nil {
			s.logger.ErrorContext(ctx, "audit of a failed profile update", "err", aerr.Error())
		}
		return Profile{}, err
	}
	p := Profile{UserID: saved.UserID, OrgID: saved.OrgID, UpdatedAt: saved.UpdatedAt, Version: saved.Version}
	for _, f := range profileFields {
		if v := f.input(&in); v != nil {
			*f.opened(&p) = phi.NewText(normalizeField(f.column, *v))
		}
	}
	return p, nil
}

// UserIDsByEmail returns the users of practice orgID whose profile email is
// email, by its blind index: no profile is decrypted. It is for sign-in and
// invitations, which run before there is an actor.
func (s *ProfileService) UserIDsByEmail(ctx context.Context, orgID, email string) (_ []string, err error) {
	defer errs.Op(&err, "identity.UserIDsByEmail")
	idx, err := s.keys.BlindIndex(ctx, orgID, profileTable, "email", phi.NormalizeEmail(email))
	if err != nil {
		return nil, err
	}
	return s.store.UserIDsByEmailIndex(ctx, orgID, idx)
}

// authorize loads the subject and asks the authorizer. Denials are audited
// (category security) and returned as they are.
func (s *ProfileService) authorize(ctx context.Context, actor Actor, action Action, userID string) (Subject, error) {
	u, err := s.users.UserByID(ctx, actor.OrgID, userID)
	if errs.Is(err, errs.NotFound) {
		s.recordDenial(ctx, actor, action, Subject{OrgID: actor.OrgID, UserID: userID}, "no_such_user")
		return Subject{}, err
	}
	if err != nil {
		return Subject{}, err
	}
	subject := Subject{OrgID: u.OrgID, UserID: u.ID, Role: u.Role}
	dec, err := s.authz.Authorize(ctx, actor, action, subject)
	if err != nil || !dec.Allowed {
		s.recordDenial(ctx, actor, action, subject, dec.Reason)
		if err == nil {
			err = errs.E(errs.Forbidden, "")
		}
		return Subject{}, err
	}
	return subject, nil
}

func (s *ProfileService) recordDenial(ctx context.Context, actor Actor, action Action, subject Subject, reason string) {
	if actor.OrgID == "" || actor.UserID == "" {
		return // nobody to attribute it to; the request was unauthenticated
	}
	ev := s.event(ctx, actor, string(action), subject, audit.Denied, nil, "")
	ev.Category = audit.CategorySecurity
	if err := s.audit.Record(ctx, ev); err != nil {
		s.logger.ErrorContext(ctx, "audit of an access denial", "action", string(action), "reason", reason, "err", err.Error())
	}
}

// event builds an audit event for an action on subject's profile, with the
// request's address, agent and id.
func (s *ProfileService) event(ctx context.Context, actor Actor, action string, subject Subject, outcome audit.Outcome, fields []string, dataHash string) audit.Event {
	info := reqctx.From(ctx)
	ev := audit.Event{
		OrgID: actor.OrgID, ActorID: actor.UserID, ActorRole: string(actor.Role),
		Action: action, ResourceType: "profile", ResourceID: subject.UserID,
		Outcome: outcome, Purpose: audit.PurposeNormal, Category: audit.CategoryHealth,
		IP: info.ClientIP, UserAgent: audit.CleanUserAgent(info.UserAgent), RequestID: info.ID,
		Fields: fields, DataHash: dataHash,
	}
	if subject.Role == RolePatient {
		ev.PatientID = subject.UserID
	}
	return ev
}

// index returns the blind index for a changed field, or the current one.
func (s *ProfileService) index(ctx context.Context, orgID, column string, v *string, current []byte, normalize func(string) string) ([]byte, error) {
	if v == nil {
		return current, nil
	}
	n := normalize(*v)
	if n == "" {
		return nil, nil
	}
	return s.keys.BlindIndex(ctx, orgID, profileTable, column, n)
}

// normalizeField trims input; emails are also lower-cased, so the stored
// value and its blind index agree.
func normalizeField(column, v string) string {
	v = strings.TrimSpace(v)
	if column == "email" {
		return phi.NormalizeEmail(v)
	}
	return v
}

// sealedHash commits the audit entry to what was stored: a hash of the
// ciphertexts, which reveals nothing of the plaintext (a hash of a short
// plaintext such as a birth date could be guessed).
func sealedHash(p *SealedProfile) string {
	h := sha256.New()
	for _, f := range profileFields {
		ct := *f.sealed(p)
		h.Write([]byte{byte(len(ct) >> 8), byte(len(ct))})
		h.Write(ct)
	}
	if bytes.Equal(h.Sum(nil), emptyHash) {
		return ""
	}
	return hex.EncodeToString(h.Sum(nil))
}

var emptyHash = func() []byte {
	h := sha256.New()
	for range profileFields {
		h.Write([]byte{0, 0})
	}
	return h.Sum(nil)
}()
