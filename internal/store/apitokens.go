package store

import (
	"context"
	"strings"
	"time"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/identity"
	"github.com/astralcore/astral/internal/session"
)

// Personal API tokens. Like sessions, they take their times from the
// session Manager's clock.

const apiTokenColumns = `t.id, t.org_id, t.user_id, t.name, t.scopes, t.created_at, t.expires_at, t.last_used_at, t.revoked_at`

// apiTokenSelect joins the owner so that Role and Active are read fresh.
const apiTokenSelect = `SELECT ` + apiTokenColumns + `, u.role, u.status
	FROM api_tokens t JOIN users u ON u.org_id = t.org_id AND u.id = t.user_id`

func scanAPIToken(s scanner) (t session.APIToken, err error) {
	var scopes string
	var status identity.Status
	err = s.Scan(&t.ID, &t.OrgID, &t.UserID, &t.Name, &scopes, timeScanner{&t.CreatedAt}, timeScanner{&t.ExpiresAt},
		nullTimeScanner{&t.LastUsedAt}, nullTimeScanner{&t.RevokedAt}, (*string)(&t.Role), (*string)(&status))
	for f := range strings.FieldsSeq(scopes) {
		t.Scopes = append(t.Scopes, session.Scope(f))
	}
	t.Active = status == identity.StatusActive
	return t, err
}

// CreateAPIToken inserts a token under its hash; see session.Store.
func (db *DB) CreateAPIToken(ctx context.Context, t session.APIToken, hash session.Hash) (err error) {
	defer errs.Op(&err, "store.CreateAPIToken")
	scopes := make([]string, len(t.Scopes))
	for i, s := range t.Scopes {
		if s == "" || strings.ContainsAny(string(s), " \t\n") {
			return errs.E(errs.Invalid, "")
		}
		scopes[i] = string(s)
	}
	if t.RevokedAt != nil || len(scopes) == 0 {
		return errs.E(errs.Invalid, "")
	}
	return db.InTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `INSERT INTO api_tokens
			(id, token_hash, org_id, user_id, name, scopes, created_at, expires_at, last_used_at, revoked_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)`,
			t.ID, hash[:], t.OrgID, t.UserID, t.Name, strings.Join(scopes, " "),
			tx.d.timeArg(t.CreatedAt), tx.d.timeArg(t.ExpiresAt))
		return classify(err)
	})
}

// APITokenByHash returns the token with that hash, ended ones included,
// with its user's current role and status, or errs.NotFound.
func (db *DB) APITokenByHash(ctx context.Context, hash session.Hash) (_ session.APIToken, err error) {
	defer errs.Op(&err, "store.APITokenByHash")
	t, err := scanAPIToken(db.read().queryRow(ctx, apiTokenSelect+` WHERE t.token_hash = ?`, hash[:]))
	return t, classify(err)
}

// TouchAPIToken records use of a token; see session.Store.
func (db *DB) TouchAPIToken(ctx context.Context, id string, at, before time.Time) (err error) {
	defer errs.Op(&err, "store.TouchAPIToken")
	return db.InTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `UPDATE api_tokens SET last_used_at = ?
			WHERE id = ? AND (last_used_at IS NULL OR last_used_at <= ?)`,
			tx.d.timeArg(at), id, tx.d.timeArg(before))
		return classify(err)
	})
}

// maxAPITokensListed bounds APITokens; a person never has this many.
const maxAPITokensListed = 1000

// APITokens lists a user's unrevoked tokens, newest first; see
// session.Store.
func (db *DB) APITokens(ctx context.Context, orgID, userID string) (_ []session.APIToken, err error) {
	defer errs.Op(&err, "store.APITokens")
	return list(ctx, db.read(), apiTokenSelect+` WHERE t.org_id = ? AND t.user_id = ? AND t.revoked_at IS NULL
		ORDER BY t.created_at DESC, t.id DESC LIMIT ?`, []any{orgID, userID, maxAPITokensListed}, scanAPIToken)
}

// RevokeAPIToken revokes one token; see session.Store.
func (db *DB) RevokeAPIToken(ctx context.Context, orgID, userID, id string, at time.Time) (err error) {
	defer errs.Op(&err, "store.RevokeAPIToken")
	return db.InTx(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?)
			WHERE org_id = ? AND user_id = ? AND id = ?`, tx.d.timeArg(at), orgID, userID, id)
		return sessionOneRow(res, err)
	})
}
