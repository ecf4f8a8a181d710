package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/identity"
)

const userColumns = `id, org_id, role, status, created_at, updated_at, version`

func scanUser(s scanner) (u identity.User, err error) {
	err = s.Scan(&u.ID, &u.OrgID, (*string)(&u.Role), (*string)(&u.Status),
		timeScanner{&u.CreatedAt}, timeScanner{&u.UpdatedAt}, &u.Version)
	return u, err
}

// CreateUser creates an active user with the given role in practice orgID,
// at version 1. A bad role or an unknown practice is errs.Invalid.
func (tx *Tx) CreateUser(ctx context.Context, orgID string, role identity.Role) (_ identity.User, err error) {
	defer errs.Op(&err, "store.CreateUser")
	if err := identity.ValidateNewUser(orgID, role); err != nil {
		return identity.User{}, err
	}
	id, err := newID()
	if err != nil {
		return identity.User{}, err
	}
	u := identity.User{ID: id, OrgID: orgID, Role: role, Status: identity.StatusActive,
		CreatedAt: tx.now, UpdatedAt: tx.now, Version: 1}
	_, err = tx.exec(ctx, `INSERT INTO users (`+userColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.OrgID, string(u.Role), string(u.Status), tx.d.timeArg(u.CreatedAt), tx.d.timeArg(u.UpdatedAt), u.Version)
	if err != nil {
		return identity.User{}, classify(err)
	}
	return u, nil
}

// CreateUser creates a user in its own transaction; see Tx.CreateUser.
func (db *DB) CreateUser(ctx context.Context, orgID string, role identity.Role) (identity.User, error) {
	return inTx1(ctx, db, func(tx *Tx) (identity.User, error) { return tx.CreateUser(ctx, orgID, role) })
}

// UserByID returns user id of practice orgID. A missing user, or one of
// another practice, is errs.NotFound.
func (tx *Tx) UserByID(ctx context.Context, orgID, id string) (identity.User, error) {
	return userByID(ctx, tx.conn, orgID, id)
}

// UserByID returns user id of practice orgID. A missing user, or one of
// another practice, is errs.NotFound.
func (db *DB) UserByID(ctx context.Context, orgID, id string) (identity.User, error) {
	return userByID(ctx, db.read(), orgID, id)
}

func userByID(ctx context.Context, c conn, orgID, id string) (_ identity.User, err error) {
	defer errs.Op(&err, "store.UserByID")
	u, err := scanUser(c.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE org_id = ? AND id = ?`, orgID, id))
	return u, classify(err)
}

// Users lists the users of one practice matching f, ordered by id. An
// invalid filter is errs.Invalid.
func (tx *Tx) Users(ctx context.Context, f identity.UserFilter) ([]identity.User, error) {
	return users(ctx, tx.conn, f)
}

// Users lists the users of one practice matching f, ordered by id. An
// invalid filter is errs.Invalid.
func (db *DB) Users(ctx context.Context, f identity.UserFilter) ([]identity.User, error) {
	return users(ctx, db.read(), f)
}

func users(ctx context.Context, c conn, f identity.UserFilter) (_ []identity.User, err error) {
	defer errs.Op(&err, "store.Users")
	if err := f.Validate(); err != nil {
		return nil, err
	}
	q, args := `SELECT `+userColumns+` FROM users WHERE org_id = ?`, []any{f.OrgID}
	if f.Role != nil {
		q, args = q+` AND role = ?`, append(args, string(*f.Role))
	}
	if f.Status != nil {
		q, args = q+` AND status = ?`, append(args, string(*f.Status))
	}
	q, args = page(q, args, f.After, f.Limit)
	return list(ctx, c, q, args, scanUser)
}

// UpdateUser applies upd to user id of practice orgID if the user is still at
// expectedVersion, and returns the updated user with its version increased
// by one. A missing user or one of another practice is errs.NotFound; a
// version other than expectedVersion is errs.Conflict ("error.stale_version")
// and changes nothing; an empty or bad update is errs.Invalid.
func (tx *Tx) UpdateUser(ctx context.Context, orgID, id string, expectedVersion int64, upd identity.UserUpdate) (_ identity.User, err error) {
	defer errs.Op(&err, "store.UpdateUser")
	if err := upd.Validate(); err != nil {
		return identity.User{}, err
	}
	q, args := `UPDATE users SET version = version + 1, updated_at = ?`, []any{tx.d.timeArg(tx.now)}
	if upd.Role != nil {
		q, args = q+`, role = ?`, append(args, string(*upd.Role))
	}
	if upd.Status != nil {
		q, args = q+`, status = ?`, append(args, string(*upd.Status))
	}
	q += ` WHERE org_id = ? AND id = ? AND version = ? RETURNING ` + userColumns
	u, err := scanUser(tx.queryRow(ctx, q, append(args, orgID, id, expectedVersion)...))
	if errors.Is(err, sql.ErrNoRows) {
		// Nothing matched: tell a missing user from a stale version.
		if _, err := userByID(ctx, tx.conn, orgID, id); err != nil {
			return identity.User{}, err
		}
		return identity.User{}, errs.E(errs.Conflict, "error.stale_version")
	}
	return u, classify(err)
}

// UpdateUser updates a user in its own transaction; see Tx.UpdateUser.
func (db *DB) UpdateUser(ctx context.Context, orgID, id string, expectedVersion int64, upd identity.UserUpdate) (identity.User, error) {
	return inTx1(ctx, db, func(tx *Tx) (identity.User, error) {
		return tx.UpdateUser(ctx, orgID, id, expectedVersion, upd)
	})
}

// memberForShare returns user id of practice orgID, locked against
// concurrent updates until the transaction ends, or nil if there is none.
func (tx *Tx) memberForShare(ctx context.Context, orgID, id string) (*identity.User, error) {
	u, err := scanUser(tx.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE org_id = ? AND id = ?`+tx.d.forShare, orgID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, classify(err)
	}
	return &u, nil
}
