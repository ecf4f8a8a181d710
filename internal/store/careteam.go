package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/identity"
)

const careColumns = `id, org_id, therapist_id, patient_id, is_primary, started_at, ended_at`

func scanCare(s scanner) (c identity.CareRelationship, err error) {
	err = s.Scan(&c.ID, &c.OrgID, &c.TherapistID, &c.PatientID, &c.Primary,
		timeScanner{&c.StartedAt}, nullTimeScanner{&c.EndedAt})
	return c, err
}

// StartCareRelationship links clinician therapistID to patientID in practice
// orgID, as the patient's primary therapist if primary is set.
//
// The clinician must be an active therapist or supervisor and the patient an
// active patient of the same practice; otherwise the error is errs.Invalid
// with problems on therapist_id and patient_id (identity.ValidateCareTeam).
// An active relationship between the two already is errs.Conflict
// ("error.care_relationship_active"), and so is a second active primary
// therapist ("error.primary_therapist_exists"). The users are locked until
// the transaction ends, so their roles cannot change underneath the check.
func (tx *Tx) StartCareRelationship(ctx context.Context, orgID, therapistID, patientID string, primary bool) (_ identity.CareRelationship, err error) {
	defer errs.Op(&err, "store.StartCareRelationship")
	var zero identity.CareRelationship
	clinician, err := tx.memberForShare(ctx, orgID, therapistID)
	if err != nil {
		return zero, err
	}
	patient, err := tx.memberForShare(ctx, orgID, patientID)
	if err != nil {
		return zero, err
	}
	if err := identity.ValidateCareTeam(clinician, patient); err != nil {
		return zero, err
	}
	// Check first for a precise message. The unique indexes remain the
	// guarantee: a concurrent insert that slips past this check on
	// PostgreSQL still fails, as a plain Conflict.
	var pair, primaryTaken bool
	err = tx.queryRow(ctx, `SELECT
		EXISTS (SELECT 1 FROM care_relationships WHERE org_id = ? AND therapist_id = ? AND patient_id = ? AND ended_at IS NULL),
		EXISTS (SELECT 1 FROM care_relationships WHERE org_id = ? AND patient_id = ? AND is_primary = TRUE AND ended_at IS NULL)`,
		orgID, therapistID, patientID, orgID, patientID).Scan(&pair, &primaryTaken)
	switch {
	case err != nil:
		return zero, classify(err)
	case pair:
		return zero, errs.E(errs.Conflict, "error.care_relationship_active")
	case primary && primaryTaken:
		return zero, errs.E(errs.Conflict, "error.primary_therapist_exists")
	}
	id, err := newID()
	if err != nil {
		return zero, err
	}
	c := identity.CareRelationship{ID: id, OrgID: orgID, TherapistID: therapistID, PatientID: patientID,
		Primary: primary, StartedAt: tx.now}
	_, err = tx.exec(ctx, `INSERT INTO care_relationships (`+careColumns+`) VALUES (?, ?, ?, ?, ?, ?, NULL)`,
		c.ID, c.OrgID, c.TherapistID, c.PatientID, c.Primary, tx.d.timeArg(c.StartedAt))
	if err != nil {
		return zero, classify(err)
	}
	return c, nil
}

// StartCareRelationship starts a care relationship in its own transaction;
// see Tx.StartCareRelationship.
func (db *DB) StartCareRelationship(ctx context.Context, orgID, therapistID, patientID string, primary bool) (identity.CareRelationship, error) {
	return inTx1(ctx, db, func(tx *Tx) (identity.CareRelationship, error) {
		return tx.StartCareRelationship(ctx, orgID, therapistID, patientID, primary)
	})
}

// EndCareRelationship ends relationship id of practice orgID now and returns
// it. A missing relationship or one of another practice is errs.NotFound; one
// that has already ended is errs.Conflict ("error.already_ended").
func (tx *Tx) EndCareRelationship(ctx context.Context, orgID, id string) (_ identity.CareRelationship, err error) {
	defer errs.Op(&err, "store.EndCareRelationship")
	c, err := scanCare(tx.queryRow(ctx, `UPDATE care_relationships SET ended_at = ?
		WHERE org_id = ? AND id = ? AND ended_at IS NULL RETURNING `+careColumns,
		tx.d.timeArg(tx.now), orgID, id))
	if errors.Is(err, sql.ErrNoRows) {
		// Nothing matched: tell a missing relationship from an ended one.
		_, err := scanCare(tx.queryRow(ctx, `SELECT `+careColumns+` FROM care_relationships WHERE org_id = ? AND id = ?`, orgID, id))
		if err != nil {
			return identity.CareRelationship{}, classify(err)
		}
		return identity.CareRelationship{}, errs.E(errs.Conflict, "error.already_ended")
	}
	return c, classify(err)
}

// EndCareRelationship ends a care relationship in its own transaction; see
// Tx.EndCareRelationship.
func (db *DB) EndCareRelationship(ctx context.Context, orgID, id string) (identity.CareRelationship, error) {
	return inTx1(ctx, db, func(tx *Tx) (identity.CareRelationship, error) { return tx.EndCareRelationship(ctx, orgID, id) })
}

// CareRelationships lists the care relationships of one practice matching f,
// ordered by id. An invalid filter is errs.Invalid.
func (tx *Tx) CareRelationships(ctx context.Context, f identity.CareRelationshipFilter) ([]identity.CareRelationship, error) {
	return careRelationships(ctx, tx.conn, f)
}

// CareRelationships lists the care relationships of one practice matching f,
// ordered by id. An invalid filter is errs.Invalid.
func (db *DB) CareRelationships(ctx context.Context, f identity.CareRelationshipFilter) ([]identity.CareRelationship, error) {
	return careRelationships(ctx, db.read(), f)
}

func careRelationships(ctx context.Context, c conn, f identity.CareRelationshipFilter) (_ []identity.CareRelationship, err error) {
	defer errs.Op(&err, "store.CareRelationships")
	if err := f.Validate(); err != nil {
		return nil, err
	}
	q, args := `SELECT `+careColumns+` FROM care_relationships WHERE org_id = ?`, []any{f.OrgID}
	if f.TherapistID != nil {
		q, args = q+` AND therapist_id = ?`, append(args, *f.TherapistID)
	}
	if f.PatientID != nil {
		q, args = q+` AND patient_id = ?`, append(args, *f.PatientID)
	}
	q = q + activeClause(f.Active)
	q, args = page(q, args, f.After, f.Limit)
	return list(ctx, c, q, args, scanCare)
}

// activeClause filters on ended_at; nil filters nothing.
func activeClause(active *bool) string {
	switch {
	case active == nil:
		return ""
	case *active:
		return ` AND ended_at IS NULL`
	default:
		return ` AND ended_at IS NOT NULL`
	}
}

// IsOnCareTeam reports whether clinicianID has an active care relationship
// with patientID in practice orgID. It fails closed: the clinician must also
// still be an active therapist or supervisor, so a deactivated or re-roled
// account loses access even before its relationships are ended. Unknown ids
// give false.
func (tx *Tx) IsOnCareTeam(ctx context.Context, orgID, clinicianID, patientID string) (bool, error) {
	return isOnCareTeam(ctx, tx.conn, orgID, clinicianID, patientID)
}

// IsOnCareTeam reports whether clinicianID has an active care relationship
// with patientID; see Tx.IsOnCareTeam.
func (db *DB) IsOnCareTeam(ctx context.Context, orgID, clinicianID, patientID string) (bool, error) {
	return isOnCareTeam(ctx, db.read(), orgID, clinicianID, patientID)
}

func isOnCareTeam(ctx context.Context, c conn, orgID, clinicianID, patientID string) (ok bool, err error) {
	defer errs.Op(&err, "store.IsOnCareTeam")
	err = c.queryRow(ctx, `SELECT EXISTS (
		SELECT 1 FROM care_relationships cr
		JOIN users u ON u.org_id = cr.org_id AND u.id = cr.therapist_id
		WHERE cr.org_id = ? AND cr.therapist_id = ? AND cr.patient_id = ? AND cr.ended_at IS NULL
		AND u.status = 'active' AND u.role IN ('therapist', 'supervisor'))`,
		orgID, clinicianID, patientID).Scan(&ok)
	return ok, classify(err)
}
