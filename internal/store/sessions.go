package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/session"
)

var _ session.Store = (*DB)(nil)

// The session store takes its times from the session Manager's clock, not
// from the transaction's: every deadline of a session must follow one clock.

const sessionColumns = `id, org_id, user_id, role, created_at, last_seen_at, idle_timeout_ms, expires_at,
	auth_time, mfa_at, remembered, device_browser, device_os, place, revoked_at, revoke_reason`

func scanSession(s scanner) (out session.Session, err error) {
	var idleMS int64
	var mfaAt *time.Time
	err = s.Scan(&out.ID, &out.OrgID, &out.UserID, (*string)(&out.Role),
		timeScanner{&out.CreatedAt}, timeScanner{&out.LastSeenAt}, &idleMS, timeScanner{&out.AbsoluteExpiry},
		timeScanner{&out.AuthTime}, nullTimeScanner{&mfaAt}, &out.Remembered,
		&out.Device.Browser, &out.Device.OS, &out.Place, nullTimeScanner{&out.RevokedAt}, (*string)(&out.RevokeReason))
	out.IdleTimeout = time.Duration(idleMS) * time.Millisecond
	if mfaAt != nil {
		out.MFAAt = *mfaAt
	}
	return out, err
}

// sessionOptTime returns NULL for the zero time, else d.timeArg(t).
func sessionOptTime(d *dialect, t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return d.timeArg(t)
}

// CreateSession inserts a session under its token hash; see session.Store.
func (db *DB) CreateSession(ctx context.Context, s session.Session, hash session.Hash) (err error) {
	defer errs.Op(&err, "store.CreateSession")
	if s.RevokedAt != nil || !s.Role.Valid() || s.IdleTimeout < time.Millisecond {
		return errs.E(errs.Invalid, "")
	}
	return db.InTx(ctx, func(tx *Tx) error {
		d := tx.d
		_, err := tx.exec(ctx, `INSERT INTO sessions (`+sessionColumns+`, token_hash)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, '', ?)`,
			s.ID, s.OrgID, s.UserID, string(s.Role), d.timeArg(s.CreatedAt), d.timeArg(s.LastSeenAt),
			s.IdleTimeout.Milliseconds(), d.timeArg(s.AbsoluteExpiry), d.timeArg(s.AuthTime), sessionOptTime(d, s.MFAAt),
			s.Remembered, s.Device.Browser, s.Device.OS, s.Place, hash[:])
		return classify(err)
	})
}

// SessionByTokenHash returns the session with that token hash, ended ones
// included, or errs.NotFound.
func (db *DB) SessionByTokenHash(ctx context.Context, hash session.Hash) (_ session.Session, err error) {
	defer errs.Op(&err, "store.SessionByTokenHash")
	s, err := scanSession(db.read().queryRow(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE token_hash = ?`, hash[:]))
	return s, classify(err)
}

// RotateSession replaces a session's token hash; see session.Store.
func (db *DB) RotateSession(ctx context.Context, id string, oldHash, newHash session.Hash, authTime, mfaAt, lastSeen time.Time) (err error) {
	defer errs.Op(&err, "store.RotateSession")
	return db.InTx(ctx, func(tx *Tx) error {
		d := tx.d
		res, err := tx.exec(ctx, `UPDATE sessions SET token_hash = ?, auth_time = ?, mfa_at = ?, last_seen_at = ?
			WHERE id = ? AND token_hash = ? AND revoked_at IS NULL`,
			newHash[:], d.timeArg(authTime), sessionOptTime(d, mfaAt), d.timeArg(lastSeen), id, oldHash[:])
		return sessionOneRow(res, err)
	})
}

// TouchSession moves last_seen_at forward; see session.Store.
func (db *DB) TouchSession(ctx context.Context, id string, at time.Time) (err error) {
	defer errs.Op(&err, "store.TouchSession")
	return db.InTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `UPDATE sessions SET last_seen_at = ? WHERE id = ? AND revoked_at IS NULL AND last_seen_at < ?`,
			tx.d.timeArg(at), id, tx.d.timeArg(at))
		return classify(err)
	})
}

// RevokeSession revokes one session and returns its token hash; see
// session.Store.
func (db *DB) RevokeSession(ctx context.Context, orgID, userID, id string, reason session.Reason, at time.Time) (_ session.Hash, err error) {
	defer errs.Op(&err, "store.RevokeSession")
	return inTx1(ctx, db, func(tx *Tx) (session.Hash, error) {
		var b []byte
		err := tx.queryRow(ctx, `UPDATE sessions SET revoked_at = COALESCE(revoked_at, ?),
				revoke_reason = CASE WHEN revoked_at IS NULL THEN ? ELSE revoke_reason END
			WHERE org_id = ? AND user_id = ? AND id = ? RETURNING token_hash`,
			tx.d.timeArg(at), string(reason), orgID, userID, id).Scan(&b)
		if err != nil {
			return session.Hash{}, classify(err)
		}
		return sessionHash(b)
	})
}

// RevokeUserSessions revokes every unrevoked session of a user but one;
// see session.Store.
func (db *DB) RevokeUserSessions(ctx context.Context, orgID, userID, exceptID string, reason session.Reason, at time.Time) (_ []session.Hash, err error) {
	defer errs.Op(&err, "store.RevokeUserSessions")
	return inTx1(ctx, db, func(tx *Tx) ([]session.Hash, error) {
		bs, err := list(ctx, tx.conn, `UPDATE sessions SET revoked_at = ?, revoke_reason = ?
			WHERE org_id = ? AND user_id = ? AND revoked_at IS NULL AND id <> ? RETURNING token_hash`,
			[]any{tx.d.timeArg(at), string(reason), orgID, userID, exceptID},
			func(s scanner) (b []byte, err error) { return b, s.Scan(&b) })
		if err != nil {
			return nil, err
		}
		hs := make([]session.Hash, 0, len(bs))
		for _, b := range bs {
			h, err := sessionHash(b)
			if err != nil {
				return nil, err
			}
			hs = append(hs, h)
		}
		return hs, nil
	})
}

// maxSessionsListed bounds Sessions; a person never has this many.
const maxSessionsListed = 1000

// Sessions lists a user's unrevoked sessions not past their absolute
// expiry, newest first; see session.Store.
func (db *DB) Sessions(ctx context.Context, orgID, userID string, now time.Time) (_ []session.Session, err error) {
	defer errs.Op(&err, "store.Sessions")
	return list(ctx, db.read(), `SELECT `+sessionColumns+` FROM sessions
		WHERE org_id = ? AND user_id = ? AND revoked_at IS NULL AND expires_at > ?
		ORDER BY created_at DESC, id DESC LIMIT ?`,
		[]any{orgID, userID, db.d.timeArg(now), maxSessionsListed}, scanSession)
}

// DeleteSessionsEndedBefore deletes sessions that ended before t; see
// session.Store.
func (db *DB) DeleteSessionsEndedBefore(ctx context.Context, t time.Time) (_ int64, err error) {
	defer errs.Op(&err, "store.DeleteSessionsEndedBefore")
	return inTx1(ctx, db, func(tx *Tx) (int64, error) {
		res, err := tx.exec(ctx, `DELETE FROM sessions WHERE expires_at < ? OR revoked_at < ?`,
			tx.d.timeArg(t), tx.d.timeArg(t))
		if err != nil {
			return 0, classify(err)
		}
		n, err := res.RowsAffected()
		return n, classify(err)
	})
}

// sessionHash turns a token_hash column into a session.Hash.
func sessionHash(b []byte) (session.Hash, error) {
	var h session.Hash
	if len(b) != len(h) {
		return h, errs.E(errs.Internal, "")
	}
	copy(h[:], b)
	return h, nil
}

// sessionOneRow classifies the result of an UPDATE that must change exactly
// one row: none is errs.NotFound.
func sessionOneRow(res sql.Result, err error) error {
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
}
