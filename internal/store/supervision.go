package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/identity"
)

const supervisionColumns = `id, org_id, supervisor_id, therapist_id, started_at, ended_at`

func scanSupervision(s scanner) (v identity.Supervision, err error) {
	err = s.Scan(&v.ID, &v.OrgID, &v.SupervisorID, &v.TherapistID,
		timeScanner{&v.StartedAt}, nullTimeScanner{&v.EndedAt})
	return v, err
}

// StartSupervision makes supervisorID the supervisor of therapistID in
// practice orgID. The supervisor must be an active supervisor and the
// supervisee an active therapist or supervisor, another person, of the same
// practice; otherwise the error is errs.Invalid with problems on
// supervisor_id and therapist_id (identity.ValidateSupervision). An active
// supervision of the pair already is errs.Conflict
// ("error.supervision_active").
func (tx *Tx) StartSupervision(ctx context.Context, orgID, supervisorID, therapistID string) (_ identity.Supervision, err error) {
	defer errs.Op(&err, "store.StartSupervision")
	var zero identity.Supervision
	supervisor, err := tx.memberForShare(ctx, orgID, supervisorID)
	if err != nil {
		return zero, err
	}
	therapist, err := tx.memberForShare(ctx, orgID, therapistID)
	if err != nil {
		return zero, err
	}
	if err := identity.ValidateSupervision(supervisor, therapist); err != nil {
		return zero, err
	}
	// Check first for a precise message; the unique index remains the
	// guarantee under concurrency.
	active, err := supervises(ctx, tx.conn, orgID, supervisorID, therapistID)
	if err != nil {
		return zero, err
	}
	if active {
		return zero, errs.E(errs.Conflict, "error.supervision_active")
	}
	id, err := newID()
	if err != nil {
		return zero, err
	}
	v := identity.Supervision{ID: id, OrgID: orgID, SupervisorID: supervisorID, TherapistID: therapistID, StartedAt: tx.now}
	_, err = tx.exec(ctx, `INSERT INTO supervisions (`+supervisionColumns+`) VALUES (?, ?, ?, ?, ?, NULL)`,
		v.ID, v.OrgID, v.SupervisorID, v.TherapistID, tx.d.timeArg(v.StartedAt))
	if err != nil {
		return zero, classify(err)
	}
	return v, nil
}

// StartSupervision starts a supervision in its own transaction; see
// Tx.StartSupervision.
func (db *DB) StartSupervision(ctx context.Context, orgID, supervisorID, therapistID string) (identity.Supervision, error) {
	return inTx1(ctx, db, func(tx *Tx) (identity.Supervision, error) {
		return tx.StartSupervision(ctx, orgID, supervisorID, therapistID)
	})
}

// EndSupervision ends supervision id of practice orgID now and returns it. A
// missing supervision or one of another practice is errs.NotFound; one that
// has already ended is errs.Conflict ("error.already_ended").
func (tx *Tx) EndSupervision(ctx context.Context, orgID, id string) (_ identity.Supervision, err error) {
	defer errs.Op(&err, "store.EndSupervision")
	v, err := scanSupervision(tx.queryRow(ctx, `UPDATE supervisions SET ended_at = ?
		WHERE org_id = ? AND id = ? AND ended_at IS NULL RETURNING `+supervisionColumns,
		tx.d.timeArg(tx.now), orgID, id))
	if errors.Is(err, sql.ErrNoRows) {
		_, err := scanSupervision(tx.queryRow(ctx, `SELECT `+supervisionColumns+` FROM supervisions WHERE org_id = ? AND id = ?`, orgID, id))
		if err != nil {
			return identity.Supervision{}, classify(err)
		}
		return identity.Supervision{}, errs.E(errs.Conflict, "error.already_ended")
	}
	return v, classify(err)
}

// EndSupervision ends a supervision in its own transaction; see
// Tx.EndSupervision.
func (db *DB) EndSupervision(ctx context.Context, orgID, id string) (identity.Supervision, error) {
	return inTx1(ctx, db, func(tx *Tx) (identity.Supervision, error) { return tx.EndSupervision(ctx, orgID, id) })
}

// Supervisions lists the supervisions of one practice matching f, ordered by
// id. An invalid filter is errs.Invalid.
func (tx *Tx) Supervisions(ctx context.Context, f identity.SupervisionFilter) ([]identity.Supervision, error) {
	return supervisions(ctx, tx.conn, f)
}

// Supervisions lists the supervisions of one practice matching f, ordered by
// id. An invalid filter is errs.Invalid.
func (db *DB) Supervisions(ctx context.Context, f identity.SupervisionFilter) ([]identity.Supervision, error) {
	return supervisions(ctx, db.read(), f)
}

func supervisions(ctx context.Context, c conn, f identity.SupervisionFilter) (_ []identity.Supervision, err error) {
	defer errs.Op(&err, "store.Supervisions")
	if err := f.Validate(); err != nil {
		return nil, err
	}
	q, args := `SELECT `+supervisionColumns+` FROM supervisions WHERE org_id = ?`, []any{f.OrgID}
	if f.SupervisorID != nil {
		q, args = q+` AND supervisor_id = ?`, append(args, *f.SupervisorID)
	}
	if f.TherapistID != nil {
		q, args = q+` AND therapist_id = ?`, append(args, *f.TherapistID)
	}
	q = q + activeClause(f.Active)
	q, args = page(q, args, f.After, f.Limit)
	return list(ctx, c, q, args, scanSupervision)
}

// Supervises reports whether supervisorID actively supervises therapistID in
// practice orgID. It fails closed: the supervisor must also still be an
// active supervisor. Unknown ids give false.
func (tx *Tx) Supervises(ctx context.Context, orgID, supervisorID, therapistID string) (bool, error) {
	return supervises(ctx, tx.conn, orgID, supervisorID, therapistID)
}

// Supervises reports whether supervisorID actively supervises therapistID;
// see Tx.Supervises.
func (db *DB) Supervises(ctx context.Context, orgID, supervisorID, therapistID string) (bool, error) {
	return supervises(ctx, db.read(), orgID, supervisorID, therapistID)
}

func supervises(ctx context.Context, c conn, orgID, supervisorID, therapistID string) (ok bool, err error) {
	defer errs.Op(&err, "store.Supervises")
	err = c.queryRow(ctx, `SELECT EXISTS (
		SELECT 1 FROM supervisions s
		JOIN users u ON u.org_id = s.org_id AND u.id = s.supervisor_id
		WHERE s.org_id = ? AND s.supervisor_id = ? AND s.therapist_id = ? AND s.ended_at IS NULL
		AND u.status = 'active' AND u.role = 'supervisor')`,
		orgID, supervisorID, therapistID).Scan(&ok)
	return ok, classify(err)
}
