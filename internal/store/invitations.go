package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/identity"
)

const invitationColumns = `id, org_id, role, email, email_index, token_hash, invited_by, created_at, expires_at, used_at, user_id, revoked_at`

func scanInvitation(s scanner) (inv identity.Invitation, err error) {
	var userID sql.NullString
	err = s.Scan(&inv.ID, &inv.OrgID, (*string)(&inv.Role), &inv.Email, &inv.EmailIndex, &inv.TokenHash, &inv.InvitedBy,
		timeScanner{&inv.CreatedAt}, timeScanner{&inv.ExpiresAt}, nullTimeScanner{&inv.UsedAt}, &userID, nullTimeScanner{&inv.RevokedAt})
	inv.UserID = userID.String
	return inv, err
}

// CreateInvitation stores a new invitation and returns it with its id (the
// given one, or a new UUIDv7) and creation time. A bad role is errs.Invalid;
// a duplicate id errs.Conflict.
func (db *DB) CreateInvitation(ctx context.Context, inv identity.Invitation) (identity.Invitation, error) {
	return inTx1(ctx, db, func(tx *Tx) (_ identity.Invitation, err error) {
		defer errs.Op(&err, "store.CreateInvitation")
		if !inv.Role.Valid() {
			return identity.Invitation{}, errs.InvalidFields(errs.FieldError{Field: "role", Message: "field.invalid_choice"})
		}
		if inv.ID == "" {
			// The caller may choose the id (it binds the sealed email to
			// the row); otherwise the store makes one.
			if inv.ID, err = newID(); err != nil {
				return identity.Invitation{}, err
			}
		}
		inv.CreatedAt = tx.now
		_, err = tx.exec(ctx, `INSERT INTO invitations (id, org_id, role, email, email_index, token_hash, invited_by, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, inv.ID, inv.OrgID, string(inv.Role), inv.Email, inv.EmailIndex, inv.TokenHash,
			inv.InvitedBy, tx.d.timeArg(inv.CreatedAt), tx.d.timeArg(inv.ExpiresAt))
		return inv, classify(err)
	})
}

// InvitationByToken returns the invitation with that token hash if it can
// still be accepted, else errTokenInvalid.
func (db *DB) InvitationByToken(ctx context.Context, tokenHash []byte) (_ identity.Invitation, err error) {
	defer errs.Op(&err, "store.InvitationByToken")
	inv, err := scanInvitation(db.read().queryRow(ctx, `SELECT `+invitationColumns+` FROM invitations WHERE token_hash = ?`, tokenHash))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && (inv.UsedAt != nil || inv.RevokedAt != nil || !db.now().Before(inv.ExpiresAt))) {
		return identity.Invitation{}, errTokenInvalid
	}
	return inv, classify(err)
}

// UseInvitation marks invitation id accepted by userID, once.
func (db *DB) UseInvitation(ctx context.Context, id, userID string) (err error) {
	defer errs.Op(&err, "store.UseInvitation")
	return db.InTx(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `UPDATE invitations SET used_at = ?, user_id = ?
			WHERE id = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?`,
			tx.d.timeArg(tx.now), userID, id, tx.d.timeArg(tx.now))
		return oneRow(res, err)
	})
}

// RevokeInvitation withdraws an open invitation of practice orgID.
func (db *DB) RevokeInvitation(ctx context.Context, orgID, id string) (err error) {
	defer errs.Op(&err, "store.RevokeInvitation")
	return db.InTx(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `UPDATE invitations SET revoked_at = ? WHERE org_id = ? AND id = ? AND used_at IS NULL AND revoked_at IS NULL`,
			tx.d.timeArg(tx.now), orgID, id)
		return oneRow(res, err)
	})
}

// Invitations lists a practice's invitations, newest first.
func (db *DB) Invitations(ctx context.Context, orgID string, limit int) (_ []identity.Invitation, err error) {
	defer errs.Op(&err, "store.Invitations")
	return list(ctx, db.read(), `SELECT `+invitationColumns+` FROM invitations WHERE org_id = ? ORDER BY created_at DESC, id DESC LIMIT ?`,
		[]any{orgID, identity.EffectiveLimit(limit)}, scanInvitation)
}
