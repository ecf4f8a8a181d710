// Package identity holds the practices (organizations), the people who work or
// are treated in them (users) and the relationships that decide who may see
// whom: care relationships between clinicians and patients, and supervisions
// between supervisors and therapists.
//
// The package declares the Store it needs; internal/store implements it over
// SQLite and PostgreSQL. Nothing here talks to a database.
package identity

import "time"

// Role is what a user is in a practice. Permissions follow from the role and,
// on top of it, from care relationships and supervisions.
type Role string

// The roles a user can have.
const (
	RolePatient    Role = "patient"
	RoleTherapist  Role = "therapist"
	RoleSupervisor Role = "supervisor"
	RoleStaff      Role = "staff" // front desk, billing
	RoleAdmin      Role = "admin" // manages people and settings, reads no clinical content
)

// Roles returns every role, in a stable order.
func Roles() []Role {
	return []Role{RolePatient, RoleTherapist, RoleSupervisor, RoleStaff, RoleAdmin}
}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool {
	switch r {
	case RolePatient, RoleTherapist, RoleSupervisor, RoleStaff, RoleAdmin:
		return true
	}
	return false
}

// Clinician reports whether a user with role r may treat patients. A
// supervisor can also be a treating clinician.
func (r Role) Clinician() bool { return r == RoleTherapist || r == RoleSupervisor }

// Status says whether a user may act in the practice.
type Status string

// The statuses a user can have.
const (
	StatusActive      Status = "active"
	StatusDeactivated Status = "deactivated"
)

// Valid reports whether s is a known status.
func (s Status) Valid() bool { return s == StatusActive || s == StatusDeactivated }

// Organization is a practice. Every user and every clinical row belongs to
// exactly one.
type Organization struct {
	ID        string
	Name      string
	Slug      string // lowercase [a-z0-9-], 3–63 characters, unique
	CreatedAt time.Time
	UpdatedAt time.Time
}

// User is a person's account in one practice.
//
// It deliberately has no e-mail, name or other personal field: those are PHI
// and arrive, envelope-encrypted with blind indexes for lookup, in a later
// change. Keep this struct free of personal data until then.
type User struct {
	ID        string
	OrgID     string
	Role      Role
	Status    Status
	CreatedAt time.Time
	UpdatedAt time.Time
	// Version increases by one on every update; UpdateUser takes the version
	// the caller last saw, so concurrent edits cannot overwrite each other.
	Version int64
}

// CareRelationship links a treating clinician (a therapist or supervisor) to a
// patient in the same practice. It is active while EndedAt is nil.
type CareRelationship struct {
	ID          string
	OrgID       string
	TherapistID string
	PatientID   string
	// Primary marks the patient's primary therapist; a patient has at most
	// one active primary relationship.
	Primary   bool
	StartedAt time.Time
	EndedAt   *time.Time
}

// Active reports whether the relationship has not ended.
func (c CareRelationship) Active() bool { return c.EndedAt == nil }

// Supervision links a supervisor to a therapist they supervise in the same
// practice. It is active while EndedAt is nil.
type Supervision struct {
	ID           string
	OrgID        string
	SupervisorID string
	TherapistID  string
	StartedAt    time.Time
	EndedAt      *time.Time
}

// Active reports whether the supervision has not ended.
func (s Supervision) Active() bool { return s.EndedAt == nil }
