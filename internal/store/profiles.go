package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/identity"
)

var _ identity.ProfileStore = (*DB)(nil)

const profileColumns = `user_id, org_id, legal_name, preferred_name, email, phone, birth_date, email_index, phone_index, updated_at, version`

func scanProfile(s scanner) (p identity.SealedProfile, err error) {
	err = s.Scan(&p.UserID, &p.OrgID, &p.LegalName, &p.PreferredName, &p.Email, &p.Phone, &p.BirthDate,
		&p.EmailIndex, &p.PhoneIndex, timeScanner{&p.UpdatedAt}, &p.Version)
	return p, err
}

// ProfileByUserID returns the sealed profile of user userID in practice
// orgID, or errs.NotFound when none was saved.
func (db *DB) ProfileByUserID(ctx context.Context, orgID, userID string) (_ identity.SealedProfile, err error) {
	defer errs.Op(&err, "store.ProfileByUserID")
	p, err := scanProfile(db.read().queryRow(ctx,
		`SELECT `+profileColumns+` FROM user_profiles WHERE org_id = ? AND user_id = ?`, orgID, userID))
	return p, classify(err)
}

// PutProfile creates (expectedVersion 0) or replaces the sealed profile; see
// identity.ProfileStore for the error contract.
func (db *DB) PutProfile(ctx context.Context, p identity.SealedProfile, expectedVersion int64) (identity.SealedProfile, error) {
	return inTx1(ctx, db, func(tx *Tx) (_ identity.SealedProfile, err error) {
		defer errs.Op(&err, "store.PutProfile")
		args := []any{p.LegalName, p.PreferredName, p.Email, p.Phone, p.BirthDate, p.EmailIndex, p.PhoneIndex, tx.d.timeArg(tx.now)}
		var row *sql.Row
		if expectedVersion == 0 {
			row = tx.queryRow(ctx, `INSERT INTO user_profiles (legal_name, preferred_name, email, phone, birth_date, email_index, phone_index, updated_at, user_id, org_id, version)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1) RETURNING `+profileColumns, append(args, p.UserID, p.OrgID)...)
		} else {
			row = tx.queryRow(ctx, `UPDATE user_profiles SET legal_name = ?, preferred_name = ?, email = ?, phone = ?, birth_date = ?,
				email_index = ?, phone_index = ?, updated_at = ?, version = version + 1
				WHERE user_id = ? AND org_id = ? AND version = ? RETURNING `+profileColumns, append(args, p.UserID, p.OrgID, expectedVersion)...)
		}
		saved, err := scanProfile(row)
		switch {
		case err == nil:
			return saved, nil
		case errors.Is(err, sql.ErrNoRows):
			return identity.SealedProfile{}, errs.E(errs.Conflict, "error.stale_version")
		case kindOf(err) == errs.Conflict:
			return identity.SealedProfile{}, db.profileConflict(ctx, p, expectedVersion, err)
		}
		return identity.SealedProfile{}, classify(err)
	})
}

// profileConflict tells a profile created meanwhile (a stale version) from
// an email address that another person of the practice already uses. It
// reads outside the failed transaction, which PostgreSQL has aborted.
func (db *DB) profileConflict(ctx context.Context, p identity.SealedProfile, expectedVersion int64, cause error) error {
	if expectedVersion == 0 {
		var n int
		if err := db.read().queryRow(ctx, `SELECT count(*) FROM user_profiles WHERE user_id = ?`, p.UserID).Scan(&n); err == nil && n > 0 {
			return errs.E(errs.Conflict, "error.stale_version")
		}
	}
	return &errs.Error{Kind: errs.Conflict, Message: "error.invalid",
		Fields: []errs.FieldError{{Field: "email", Message: "field.taken"}}, Err: cause}
}

// UserIDsByEmailIndex returns the users of practice orgID whose profile email
// has blind index index.
func (db *DB) UserIDsByEmailIndex(ctx context.Context, orgID string, index []byte) (_ []string, err error) {
	defer errs.Op(&err, "store.UserIDsByEmailIndex")
	return list(ctx, db.read(), `SELECT user_id FROM user_profiles WHERE org_id = ? AND email_index = ? ORDER BY user_id`,
		[]any{orgID, index}, func(s scanner) (id string, err error) { return id, s.Scan(&id) })
}
