package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/mfa"
)

// The second factors' tables (migration 0005_mfa). Every method runs in its
// own transaction; see mfa.Store for the error contract. Secrets arrive
// sealed, hashed or HMACed: nothing here sees one in the clear.

var _ mfa.Store = (*DB)(nil)

const totpColumns = `id, org_id, user_id, secret, last_step, created_at, confirmed_at`

func scanTOTP(s scanner) (c mfa.TOTPCredential, err error) {
	err = s.Scan(&c.ID, &c.OrgID, &c.UserID, &c.Secret, &c.LastStep,
		timeScanner{&c.CreatedAt}, nullTimeScanner{&c.ConfirmedAt})
	return c, err
}

// PutPendingTOTP stores c as the user's pending enrolment, replacing an
// earlier pending one.
func (db *DB) PutPendingTOTP(ctx context.Context, c mfa.TOTPCredential) (mfa.TOTPCredential, error) {
	return inTx1(ctx, db, func(tx *Tx) (_ mfa.TOTPCredential, err error) {
		defer errs.Op(&err, "store.PutPendingTOTP")
		if _, err := tx.exec(ctx, `DELETE FROM totp_credentials WHERE org_id = ? AND user_id = ? AND confirmed_at IS NULL`,
			c.OrgID, c.UserID); err != nil {
			return mfa.TOTPCredential{}, classify(err)
		}
		c, err = scanTOTP(tx.queryRow(ctx, `INSERT INTO totp_credentials (`+totpColumns+`)
			VALUES (?, ?, ?, ?, 0, ?, NULL) RETURNING `+totpColumns,
			c.ID, c.OrgID, c.UserID, c.Secret, tx.d.timeArg(tx.now)))
		return c, classify(err)
	})
}

// PendingTOTP returns the user's pending enrolment.
func (db *DB) PendingTOTP(ctx context.Context, orgID, userID string) (_ mfa.TOTPCredential, err error) {
	defer errs.Op(&err, "store.PendingTOTP")
	c, err := scanTOTP(db.read().queryRow(ctx, `SELECT `+totpColumns+` FROM totp_credentials
		WHERE org_id = ? AND user_id = ? AND confirmed_at IS NULL`, orgID, userID))
	return c, classify(err)
}

// ActiveTOTP returns the user's active credential.
func (db *DB) ActiveTOTP(ctx context.Context, orgID, userID string) (_ mfa.TOTPCredential, err error) {
	defer errs.Op(&err, "store.ActiveTOTP")
	c, err := scanTOTP(db.read().queryRow(ctx, `SELECT `+totpColumns+` FROM totp_credentials
		WHERE org_id = ? AND user_id = ? AND confirmed_at IS NOT NULL`, orgID, userID))
	return c, classify(err)
}

// ActivateTOTP makes pending credential id the user's active one.
func (db *DB) ActivateTOTP(ctx context.Context, orgID, userID, id string, step int64) (mfa.TOTPCredential, error) {
	return inTx1(ctx, db, func(tx *Tx) (_ mfa.TOTPCredential, err error) {
		defer errs.Op(&err, "store.ActivateTOTP")
		// Delete the active one first: the unique index allows one.
		if _, err := tx.exec(ctx, `DELETE FROM totp_credentials WHERE org_id = ? AND user_id = ? AND confirmed_at IS NOT NULL`,
			orgID, userID); err != nil {
			return mfa.TOTPCredential{}, classify(err)
		}
		// If the pending row is gone, the error rolls the delete back.
		c, err := scanTOTP(tx.queryRow(ctx, `UPDATE totp_credentials SET confirmed_at = ?, last_step = ?
			WHERE org_id = ? AND user_id = ? AND id = ? AND confirmed_at IS NULL RETURNING `+totpColumns,
			tx.d.timeArg(tx.now), step, orgID, userID, id))
		return c, classify(err)
	})
}

// AdvanceTOTPStep records step as the last accepted step of active
// credential id if it is later than the stored one, in one conditional
// UPDATE, so of two requests with one code exactly one advances.
func (db *DB) AdvanceTOTPStep(ctx context.Context, orgID, userID, id string, step int64) error {
	return db.InTx(ctx, func(tx *Tx) (err error) {
		defer errs.Op(&err, "store.AdvanceTOTPStep")
		res, err := tx.exec(ctx, `UPDATE totp_credentials SET last_step = ?
			WHERE org_id = ? AND user_id = ? AND id = ? AND confirmed_at IS NOT NULL AND last_step < ?`,
			step, orgID, userID, id, step)
		if err != nil {
			return classify(err)
		}
		return tx.oneRowOr(ctx, res, `SELECT count(*) FROM totp_credentials
			WHERE org_id = ? AND user_id = ? AND id = ? AND confirmed_at IS NOT NULL`, orgID, userID, id)
	})
}

// DeleteTOTP deletes the user's active and pending credentials.
func (db *DB) DeleteTOTP(ctx context.Context, orgID, userID string) error {
	return db.InTx(ctx, func(tx *Tx) (err error) {
		defer errs.Op(&err, "store.DeleteTOTP")
		res, err := tx.exec(ctx, `DELETE FROM totp_credentials WHERE org_id = ? AND user_id = ?`, orgID, userID)
		if err != nil {
			return classify(err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return classify(err)
		}
		if n == 0 {
			return errs.E(errs.NotFound, "")
		}
		return nil
	})
}

// oneRowOr checks that res changed a row. If it changed none, existsQuery
// (a count) tells a missing row (errs.NotFound) from one whose condition
// no longer held, a lost race (errs.Conflict).
func (tx *Tx) oneRowOr(ctx context.Context, res sql.Result, existsQuery string, args ...any) error {
	n, err := res.RowsAffected()
	if err != nil {
		return classify(err)
	}
	if n == 1 {
		return nil
	}
	var exists int
	if err := tx.queryRow(ctx, existsQuery, args...).Scan(&exists); err != nil {
		return classify(err)
	}
	if exists == 0 {
		return errs.E(errs.NotFound, "")
	}
	return errs.E(errs.Conflict, "")
}

const backupColumns = `id, org_id, user_id, lookup, hash, created_at, used_at`

func scanBackupCode(s scanner) (c mfa.BackupCode, err error) {
	err = s.Scan(&c.ID, &c.OrgID, &c.UserID, &c.Lookup, &c.Hash, timeScanner{&c.CreatedAt}, nullTimeScanner{&c.UsedAt})
	return c, err
}

// ReplaceBackupCodes deletes every backup code of the user and stores codes.
func (db *DB) ReplaceBackupCodes(ctx context.Context, orgID, userID string, codes []mfa.BackupCode) error {
	return db.InTx(ctx, func(tx *Tx) (err error) {
		defer errs.Op(&err, "store.ReplaceBackupCodes")
		if _, err := tx.exec(ctx, `DELETE FROM backup_codes WHERE org_id = ? AND user_id = ?`, orgID, userID); err != nil {
			return classify(err)
		}
		for _, c := range codes {
			if c.OrgID != orgID || c.UserID != userID {
				return errs.Wrap(errors.New("backup code of another user"), errs.Internal, "store.ReplaceBackupCodes")
			}
			_, err := tx.exec(ctx, `INSERT INTO backup_codes (`+backupColumns+`) VALUES (?, ?, ?, ?, ?, ?, NULL)`,
				c.ID, orgID, userID, c.Lookup, c.Hash, tx.d.timeArg(tx.now))
			if err != nil {
				return classify(err)
			}
		}
		return nil
	})
}

// UnusedBackupCode returns the user's unused code with this lookup id.
func (db *DB) UnusedBackupCode(ctx context.Context, orgID, userID, lookup string) (_ mfa.BackupCode, err error) {
	defer errs.Op(&err, "store.UnusedBackupCode")
	c, err := scanBackupCode(db.read().queryRow(ctx, `SELECT `+backupColumns+` FROM backup_codes
		WHERE org_id = ? AND user_id = ? AND lookup = ? AND used_at IS NULL`, orgID, userID, lookup))
	return c, classify(err)
}

// UseBackupCode marks code id used, in one conditional UPDATE, so of
// concurrent uses exactly one succeeds.
func (db *DB) UseBackupCode(ctx context.Context, orgID, userID, id string) error {
	return db.InTx(ctx, func(tx *Tx) (err error) {
		defer errs.Op(&err, "store.UseBackupCode")
		res, err := tx.exec(ctx, `UPDATE backup_codes SET used_at = ?
			WHERE org_id = ? AND user_id = ? AND id = ? AND used_at IS NULL`, tx.d.timeArg(tx.now), orgID, userID, id)
		if err != nil {
			return classify(err)
		}
		return tx.oneRowOr(ctx, res, `SELECT count(*) FROM backup_codes WHERE org_id = ? AND user_id = ? AND id = ?`,
			orgID, userID, id)
	})
}

// CountBackupCodes returns how many unused codes the user has.
func (db *DB) CountBackupCodes(ctx context.Context, orgID, userID string) (n int, err error) {
	defer errs.Op(&err, "store.CountBackupCodes")
	err = db.read().queryRow(ctx, `SELECT count(*) FROM backup_codes WHERE org_id = ? AND user_id = ? AND used_at IS NULL`,
		orgID, userID).Scan(&n)
	return n, classify(err)
}

const emailCodeColumns = `id, org_id, user_id, code_hash, expires_at, attempts, created_at, used_at`

func scanEmailCode(s scanner) (c mfa.EmailCode, err error) {
	err = s.Scan(&c.ID, &c.OrgID, &c.UserID, &c.Hash, timeScanner{&c.ExpiresAt}, &c.Attempts,
		timeScanner{&c.CreatedAt}, nullTimeScanner{&c.UsedAt})
	return c, err
}

// PutEmailCode stores c as the user's e-mail code, replacing an earlier one.
func (db *DB) PutEmailCode(ctx context.Context, c mfa.EmailCode) (mfa.EmailCode, error) {
	return inTx1(ctx, db, func(tx *Tx) (_ mfa.EmailCode, err error) {
		defer errs.Op(&err, "store.PutEmailCode")
		if _, err := tx.exec(ctx, `DELETE FROM email_codes WHERE org_id = ? AND user_id = ?`, c.OrgID, c.UserID); err != nil {
			return mfa.EmailCode{}, classify(err)
		}
		c, err = scanEmailCode(tx.queryRow(ctx, `INSERT INTO email_codes (`+emailCodeColumns+`)
			VALUES (?, ?, ?, ?, ?, 0, ?, NULL) RETURNING `+emailCodeColumns,
			c.ID, c.OrgID, c.UserID, c.Hash, tx.d.timeArg(truncateTime(c.ExpiresAt)), tx.d.timeArg(tx.now)))
		return c, classify(err)
	})
}

// AttemptEmailCode counts one attempt at the user's unused e-mail code, in
// one conditional UPDATE, so concurrent attempts never exceed maxAttempts.
func (db *DB) AttemptEmailCode(ctx context.Context, orgID, userID string, maxAttempts int) (mfa.EmailCode, error) {
	return inTx1(ctx, db, func(tx *Tx) (_ mfa.EmailCode, err error) {
		defer errs.Op(&err, "store.AttemptEmailCode")
		c, err := scanEmailCode(tx.queryRow(ctx, `UPDATE email_codes SET attempts = attempts + 1
			WHERE org_id = ? AND user_id = ? AND used_at IS NULL AND attempts < ? RETURNING `+emailCodeColumns,
			orgID, userID, maxAttempts))
		return c, classify(err)
	})
}

// UseEmailCode marks e-mail code id used; of concurrent uses exactly one
// succeeds.
func (db *DB) UseEmailCode(ctx context.Context, orgID, userID, id string) error {
	return db.InTx(ctx, func(tx *Tx) (err error) {
		defer errs.Op(&err, "store.UseEmailCode")
		res, err := tx.exec(ctx, `UPDATE email_codes SET used_at = ?
			WHERE org_id = ? AND user_id = ? AND id = ? AND used_at IS NULL`, tx.d.timeArg(tx.now), orgID, userID, id)
		if err != nil {
			return classify(err)
		}
		return tx.oneRowOr(ctx, res, `SELECT count(*) FROM email_codes WHERE org_id = ? AND user_id = ? AND id = ?`,
			orgID, userID, id)
	})
}
