package identity

import "context"

// Store is the storage the identity domain needs. internal/store implements
// it; *store.DB runs each call in its own transaction.
//
// Error contract, for every method: a missing row, or a row that belongs to
// another practice than orgID, is errs.NotFound (never a nil error with a zero
// value); bad input, including references to users of another practice, is
// errs.Invalid with field problems; a duplicate (slug, active relationship,
// second primary therapist) or a stale version is errs.Conflict; anything
// else is errs.Internal. Lists return an empty slice, not NotFound.
type Store interface {
	CreateOrganization(ctx context.Context, name, slug string) (Organization, error)
	OrganizationByID(ctx context.Context, id string) (Organization, error)
	OrganizationBySlug(ctx context.Context, slug string) (Organization, error)
	Organizations(ctx context.Context, filter OrganizationFilter) ([]Organization, error)

	CreateUser(ctx context.Context, orgID string, role Role) (User, error)
	UserByID(ctx context.Context, orgID, id string) (User, error)
	Users(ctx context.Context, filter UserFilter) ([]User, error)
	// UpdateUser applies upd if the user's version is still expectedVersion;
	// otherwise it returns errs.Conflict and changes nothing.
	UpdateUser(ctx context.Context, orgID, id string, expectedVersion int64, upd UserUpdate) (User, error)

	// StartCareRelationship links an active therapist or supervisor to an
	// active patient; see ValidateCareTeam for the field problems.
	StartCareRelationship(ctx context.Context, orgID, therapistID, patientID string, primary bool) (CareRelationship, error)
	// EndCareRelationship ends an active relationship; ending one that has
	// already ended is errs.Conflict.
	EndCareRelationship(ctx context.Context, orgID, id string) (CareRelationship, error)
	CareRelationships(ctx context.Context, filter CareRelationshipFilter) ([]CareRelationship, error)
	// IsOnCareTeam reports whether clinicianID has an active care
	// relationship with patientID. Unknown ids give false, not an error.
	IsOnCareTeam(ctx context.Context, orgID, clinicianID, patientID string) (bool, error)

	// StartSupervision links an active supervisor to an active therapist or
	// supervisor; see ValidateSupervision for the field problems.
	StartSupervision(ctx context.Context, orgID, supervisorID, therapistID string) (Supervision, error)
	// EndSupervision ends an active supervision; ending one that has already
	// ended is errs.Conflict.
	EndSupervision(ctx context.Context, orgID, id string) (Supervision, error)
	Supervisions(ctx context.Context, filter SupervisionFilter) ([]Supervision, error)
	// Supervises reports whether supervisorID actively supervises
	// therapistID. Unknown ids give false, not an error.
	Supervises(ctx context.Context, orgID, supervisorID, therapistID string) (bool, error)
}
