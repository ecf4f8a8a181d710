package identity

// List sizes. A zero Limit in a filter means DefaultLimit.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// OrganizationFilter selects organizations, ordered by id.
type OrganizationFilter struct {
	Limit int    // 0 means DefaultLimit; at most MaxLimit
	After string // keyset cursor: return ids greater than this one
}

// UserFilter selects users of one practice, ordered by id. Nil pointer fields
// are not filtered on.
type UserFilter struct {
	OrgID  string // required
	Role   *Role
	Status *Status
	Limit  int    // 0 means DefaultLimit; at most MaxLimit
	After  string // keyset cursor: return ids greater than this one
}

// UserUpdate changes a user. Nil fields are left as they are; at least one
// field must be set.
type UserUpdate struct {
	Role   *Role
	Status *Status
}

// CareRelationshipFilter selects care relationships of one practice, ordered
// by id. Nil pointer fields are not filtered on.
type CareRelationshipFilter struct {
	OrgID       string // required
	TherapistID *string
	PatientID   *string
	Active      *bool // true: only ongoing; false: only ended
	Limit       int
	After       string
}

// SupervisionFilter selects supervisions of one practice, ordered by id. Nil
// pointer fields are not filtered on.
type SupervisionFilter struct {
	OrgID        string // required
	SupervisorID *string
	TherapistID  *string
	Active       *bool
	Limit        int
	After        string
}

// EffectiveLimit returns the number of rows a filter with the given Limit
// asks for. Validate has already rejected values outside 0..MaxLimit.
func EffectiveLimit(limit int) int {
	if limit <= 0 {
		return DefaultLimit
	}
	return limit
}
