package store

import (
	"context"
	"strings"
	"time"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/mfa"
)

var _ mfa.WebAuthnStore = (*DB)(nil)

const webAuthnColumns = `id, org_id, user_id, rp_id, credential_id, public_key, sign_count, aaguid, transports,
	flags, attestation_type, attestation_format, nickname, clone_warning, created_at, last_used_at`

func scanWebAuthn(s scanner) (r mfa.WebAuthnRecord, err error) {
	var signCount, flags int64
	var transports string
	err = s.Scan(&r.ID, &r.OrgID, &r.UserID, &r.RPID, &r.CredentialID, &r.PublicKey, &signCount, &r.AAGUID, &transports,
		&flags, &r.AttestationType, &r.AttestationFormat, &r.Nickname, &r.CloneWarning,
		timeScanner{&r.CreatedAt}, nullTimeScanner{&r.LastUsedAt})
	// The schema's CHECKs keep both in range.
	r.SignCount, r.Flags = uint32(signCount), uint8(flags)
	r.Transports = splitTransports(transports)
	r.Synced = r.Flags&webAuthnFlagBackupEligible != 0
	return r, err
}

// webAuthnFlagBackupEligible is the BE bit of the authenticator data flags.
const webAuthnFlagBackupEligible = 1 << 3

func splitTransports(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

// CreateWebAuthnCredential stores a new credential with a new id and the
// transaction's time as CreatedAt; see mfa.WebAuthnStore. A credential id
// that is already registered (by anyone) is errs.Conflict; an unknown user
// or a value the schema refuses is errs.Invalid.
func (db *DB) CreateWebAuthnCredential(ctx context.Context, r mfa.WebAuthnRecord) (mfa.WebAuthnRecord, error) {
	return inTx1(ctx, db, func(tx *Tx) (_ mfa.WebAuthnRecord, err error) {
		defer errs.Op(&err, "store.CreateWebAuthnCredential")
		for _, t := range r.Transports {
			if t == "" || strings.Contains(t, ",") {
				return mfa.WebAuthnRecord{}, errs.InvalidFields(errs.FieldError{Field: "transports", Message: "field.invalid_format"})
			}
		}
		if r.ID, err = newID(); err != nil {
			return mfa.WebAuthnRecord{}, err
		}
		row := tx.queryRow(ctx, `INSERT INTO webauthn_credentials (`+webAuthnColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL) RETURNING `+webAuthnColumns,
			r.ID, r.OrgID, r.UserID, r.RPID, r.CredentialID, r.PublicKey, int64(r.SignCount), r.AAGUID,
			strings.Join(r.Transports, ","), int64(r.Flags), r.AttestationType, r.AttestationFormat, r.Nickname,
			false, tx.d.timeArg(tx.now))
		saved, err := scanWebAuthn(row)
		return saved, classify(err)
	})
}

// WebAuthnCredentials lists the credentials of user userID of practice
// orgID, oldest first; an empty slice when there are none.
func (db *DB) WebAuthnCredentials(ctx context.Context, orgID, userID string) (_ []mfa.WebAuthnRecord, err error) {
	defer errs.Op(&err, "store.WebAuthnCredentials")
	return list(ctx, db.read(), `SELECT `+webAuthnColumns+` FROM webauthn_credentials
		WHERE org_id = ? AND user_id = ? ORDER BY created_at, id`, []any{orgID, userID}, scanWebAuthn)
}

// WebAuthnCredentialByCredentialID returns the credential with the
// authenticator's id credentialID, of whichever practice; errs.NotFound if
// there is none.
func (db *DB) WebAuthnCredentialByCredentialID(ctx context.Context, credentialID []byte) (_ mfa.WebAuthnRecord, err error) {
	defer errs.Op(&err, "store.WebAuthnCredentialByCredentialID")
	r, err := scanWebAuthn(db.read().queryRow(ctx,
		`SELECT `+webAuthnColumns+` FROM webauthn_credentials WHERE credential_id = ?`, credentialID))
	return r, classify(err)
}

// UpdateWebAuthnCredentialUse records a login with credential id of
// practice orgID: the larger of the stored and the new signature counter,
// the new flags, the clone warning if use sets it (never clearing it), and
// the transaction's time as LastUsedAt. A missing credential, or one of
// another practice, is errs.NotFound.
func (db *DB) UpdateWebAuthnCredentialUse(ctx context.Context, orgID, id string, use mfa.WebAuthnUse) (mfa.WebAuthnRecord, error) {
	return inTx1(ctx, db, func(tx *Tx) (_ mfa.WebAuthnRecord, err error) {
		defer errs.Op(&err, "store.UpdateWebAuthnCredentialUse")
		count := int64(use.SignCount)
		r, err := scanWebAuthn(tx.queryRow(ctx, `UPDATE webauthn_credentials SET
			sign_count = CASE WHEN sign_count < ? THEN ? ELSE sign_count END,
			flags = ?, clone_warning = (clone_warning OR ?), last_used_at = ?
			WHERE org_id = ? AND id = ? RETURNING `+webAuthnColumns,
			count, count, int64(use.Flags), use.CloneWarning, tx.d.timeArg(tx.now), orgID, id))
		return r, classify(err)
	})
}

// RenameWebAuthnCredential sets the nickname of credential id of user
// userID of practice orgID; a missing credential, or another user's, is
// errs.NotFound. The caller validates the nickname; the schema refuses an
// empty one or one over 64 characters (errs.Invalid).
func (db *DB) RenameWebAuthnCredential(ctx context.Context, orgID, userID, id, nickname string) (mfa.WebAuthnRecord, error) {
	return inTx1(ctx, db, func(tx *Tx) (_ mfa.WebAuthnRecord, err error) {
		defer errs.Op(&err, "store.RenameWebAuthnCredential")
		r, err := scanWebAuthn(tx.queryRow(ctx, `UPDATE webauthn_credentials SET nickname = ?
			WHERE org_id = ? AND user_id = ? AND id = ? RETURNING `+webAuthnColumns, nickname, orgID, userID, id))
		return r, classify(err)
	})
}

// DeleteWebAuthnCredential deletes credential id of user userID of practice
// orgID; a missing credential, or another user's, is errs.NotFound.
func (db *DB) DeleteWebAuthnCredential(ctx context.Context, orgID, userID, id string) error {
	return db.InTx(ctx, func(tx *Tx) (err error) {
		defer errs.Op(&err, "store.DeleteWebAuthnCredential")
		res, err := tx.exec(ctx, `DELETE FROM webauthn_credentials WHERE org_id = ? AND user_id = ? AND id = ?`, orgID, userID, id)
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

// CountWebAuthnCredentials returns how many credentials user userID of
// practice orgID has.
func (db *DB) CountWebAuthnCredentials(ctx context.Context, orgID, userID string) (n int, err error) {
	defer errs.Op(&err, "store.CountWebAuthnCredentials")
	err = db.read().queryRow(ctx, `SELECT count(*) FROM webauthn_credentials WHERE org_id = ? AND user_id = ?`,
		orgID, userID).Scan(&n)
	return n, classify(err)
}

// PutWebAuthnChallenge stores a pending ceremony's challenge, replacing the
// session's earlier one for the same ceremony. An unknown ceremony or a
// malformed session key is errs.Invalid.
func (db *DB) PutWebAuthnChallenge(ctx context.Context, c mfa.WebAuthnChallenge) error {
	return db.InTx(ctx, func(tx *Tx) (err error) {
		defer errs.Op(&err, "store.PutWebAuthnChallenge")
		_, err = tx.exec(ctx, `INSERT INTO webauthn_challenges (session_key, ceremony, data, expires_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (session_key, ceremony) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at`,
			c.SessionKey, string(c.Ceremony), c.Data, tx.d.timeArg(truncateTime(c.ExpiresAt)))
		return classify(err)
	})
}

// TakeWebAuthnChallenge deletes the session's pending challenge for
// ceremony and returns it, expired or not. Of concurrent callers at most one
// gets it; the others, and any later caller, get errs.NotFound.
func (db *DB) TakeWebAuthnChallenge(ctx context.Context, sessionKey string, ceremony mfa.WebAuthnCeremony) (mfa.WebAuthnChallenge, error) {
	return inTx1(ctx, db, func(tx *Tx) (_ mfa.WebAuthnChallenge, err error) {
		defer errs.Op(&err, "store.TakeWebAuthnChallenge")
		c := mfa.WebAuthnChallenge{SessionKey: sessionKey, Ceremony: ceremony}
		err = tx.queryRow(ctx, `DELETE FROM webauthn_challenges WHERE session_key = ? AND ceremony = ? RETURNING data, expires_at`,
			sessionKey, string(ceremony)).Scan(&c.Data, timeScanner{&c.ExpiresAt})
		return c, classify(err)
	})
}

// DeleteExpiredWebAuthnChallenges deletes the challenges that had expired
// by t (expiry at or before t), abandoned ceremonies, and returns how many
// it deleted.
func (db *DB) DeleteExpiredWebAuthnChallenges(ctx context.Context, t time.Time) (int64, error) {
	return inTx1(ctx, db, func(tx *Tx) (_ int64, err error) {
		defer errs.Op(&err, "store.DeleteExpiredWebAuthnChallenges")
		res, err := tx.exec(ctx, `DELETE FROM webauthn_challenges WHERE expires_at <= ?`, tx.d.timeArg(truncateTime(t)))
		if err != nil {
			return 0, classify(err)
		}
		n, err := res.RowsAffected()
		return n, classify(err)
	})
}
