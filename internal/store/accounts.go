package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/identity"
)

var _ identity.AccountStore = (*DB)(nil)

// errTokenInvalid is the one answer for a token that is unknown, expired,
// used or revoked, so the answer tells an attacker nothing.
var errTokenInvalid = errs.E(errs.NotFound, "error.token_invalid")

// CreateSetupToken stores the hash of a new setup token.
func (db *DB) CreateSetupToken(ctx context.Context, tokenHash []byte, expiresAt time.Time) (err error) {
	defer errs.Op(&err, "store.CreateSetupToken")
	return db.InTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `INSERT INTO setup_tokens (token_hash, created_at, expires_at) VALUES (?, ?, ?)`,
			tokenHash, tx.d.timeArg(tx.now), tx.d.timeArg(expiresAt))
		return classify(err)
	})
}

// SetupToken returns the setup token with the given hash if it is unused
// and unexpired, else errTokenInvalid.
func (db *DB) SetupToken(ctx context.Context, tokenHash []byte) (_ identity.SetupToken, err error) {
	defer errs.Op(&err, "store.SetupToken")
	var t identity.SetupToken
	var orgID, adminID sql.NullString
	err = db.read().queryRow(ctx, `SELECT token_hash, created_at, expires_at, used_at, org_id, admin_id FROM setup_tokens WHERE token_hash = ?`, tokenHash).
		Scan(&t.TokenHash, timeScanner{&t.CreatedAt}, timeScanner{&t.ExpiresAt}, nullTimeScanner{&t.UsedAt}, &orgID, &adminID)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && (t.UsedAt != nil || !db.now().Before(t.ExpiresAt))) {
		return identity.SetupToken{}, errTokenInvalid
	}
	t.OrgID, t.AdminID = orgID.String, adminID.String
	return t, classify(err)
}

// RecordSetupProgress remembers the practice and admin a setup created.
func (db *DB) RecordSetupProgress(ctx context.Context, tokenHash []byte, orgID, adminID string) (err error) {
	defer errs.Op(&err, "store.RecordSetupProgress")
	return db.InTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `UPDATE setup_tokens SET org_id = ?, admin_id = ? WHERE token_hash = ? AND used_at IS NULL`, orgID, adminID, tokenHash)
		return classify(err)
	})
}

// UseSetupToken marks the token used; it fails if it was already used or
// has expired.
func (db *DB) UseSetupToken(ctx context.Context, tokenHash []byte) (err error) {
	defer errs.Op(&err, "store.UseSetupToken")
	return db.InTx(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `UPDATE setup_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?`,
			tx.d.timeArg(tx.now), tokenHash, tx.d.timeArg(tx.now))
		return oneRow(res, err)
	})
}

// HasOrganizations reports whether any practice exists.
func (db *DB) HasOrganizations(ctx context.Context) (_ bool, err error) {
	defer errs.Op(&err, "store.HasOrganizations")
	var n int
	err = db.read().queryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM organizations LIMIT 1) AS o`).Scan(&n)
	return n > 0, classify(err)
}

// SetPasswordHash stores (or replaces) a user's password hash.
func (db *DB) SetPasswordHash(ctx context.Context, orgID, userID, hash string) (err error) {
	defer errs.Op(&err, "store.SetPasswordHash")
	return db.InTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `INSERT INTO user_passwords (user_id, org_id, hash, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (user_id) DO UPDATE SET hash = excluded.hash, updated_at = excluded.updated_at`,
			userID, orgID, hash, tx.d.timeArg(tx.now))
		return classify(err)
	})
}

// PasswordHash returns a user's password hash, or errs.NotFound.
func (db *DB) PasswordHash(ctx context.Context, orgID, userID string) (_ string, err error) {
	defer errs.Op(&err, "store.PasswordHash")
	var h string
	err = db.read().queryRow(ctx, `SELECT hash FROM user_passwords WHERE org_id = ? AND user_id = ?`, orgID, userID).Scan(&h)
	return h, classify(err)
}

// CreateOneTimeToken stores a single-use token's hash.
func (db *DB) CreateOneTimeToken(ctx context.Context, t identity.OneTimeToken) (err error) {
	defer errs.Op(&err, "store.CreateOneTimeToken")
	return db.InTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `INSERT INTO one_time_tokens (token_hash, org_id, user_id, purpose, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
			t.TokenHash, t.OrgID, t.UserID, string(t.Purpose), tx.d.timeArg(tx.now), tx.d.timeArg(t.ExpiresAt))
		return classify(err)
	})
}

// UseOneTimeToken atomically marks a token of the given purpose used and
// returns it; unknown, expired, used or wrong-purpose tokens all give
// errTokenInvalid.
func (db *DB) UseOneTimeToken(ctx context.Context, tokenHash []byte, purpose identity.TokenPurpose) (identity.OneTimeToken, error) {
	return inTx1(ctx, db, func(tx *Tx) (_ identity.OneTimeToken, err error) {
		defer errs.Op(&err, "store.UseOneTimeToken")
		var t identity.OneTimeToken
		err = tx.queryRow(ctx, `UPDATE one_time_tokens SET used_at = ?
			WHERE token_hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?
			RETURNING token_hash, org_id, user_id, purpose, created_at, expires_at`,
			tx.d.timeArg(tx.now), tokenHash, string(purpose), tx.d.timeArg(tx.now)).
			Scan(&t.TokenHash, &t.OrgID, &t.UserID, (*string)(&t.Purpose), timeScanner{&t.CreatedAt}, timeScanner{&t.ExpiresAt})
		if errors.Is(err, sql.ErrNoRows) {
			return identity.OneTimeToken{}, errTokenInvalid
		}
		now := tx.now
		t.UsedAt = &now
		return t, classify(err)
	})
}

// oneRow turns an UPDATE that matched nothing into errTokenInvalid.
func oneRow(res sql.Result, err error) error {
	if err != nil {
		return classify(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return classify(err)
	}
	if n != 1 {
		return errTokenInvalid
	}
	return nil
}
