package phi

import (
	"context"
	"time"
)

// KeyKind says what a data key protects.
type KeyKind string

// The kinds of data key. Each owner has at most one live key of each kind.
const (
	KindPatient  KeyKind = "patient"  // one patient's PHI
	KindPractice KeyKind = "practice" // a practice's own PHI, not tied to a patient
	KindIndex    KeyKind = "index"    // a practice's blind-index HMAC key
)

// Valid reports whether k is one of the kinds above.
func (k KeyKind) Valid() bool { return k == KindPatient || k == KindPractice || k == KindIndex }

// Owner is whom a data key belongs to: a patient of a practice, or, with an
// empty PatientID, the practice itself.
type Owner struct {
	OrgID     string
	PatientID string // "" for the practice's own key
}

// kind returns KindPatient or KindPractice.
func (o Owner) kind() KeyKind {
	if o.PatientID == "" {
		return KindPractice
	}
	return KindPatient
}

// StoredKey is a row of the keystore: a wrapped data key and whom it
// belongs to. The plaintext key never reaches the keystore.
type StoredKey struct {
	ID          string // UUID text; also in every ciphertext sealed under the key
	OrgID       string
	PatientID   string // "" unless Kind is KindPatient
	Kind        KeyKind
	Wrapped     WrappedKey // empty once destroyed
	CreatedAt   time.Time
	RewrappedAt *time.Time // nil until first rewrapped
	DestroyedAt *time.Time // nil while live
}

// KeyStore keeps wrapped data keys, in a database of its own: a backup of
// the data must not hold the keys, or destroying a key would not erase the
// data in that backup. Implemented by *store.KeyDB.
//
// Error contract: errors are *errs.Error values. A missing key is
// errs.NotFound; invalid input (an unknown kind, a patient id on a practice
// key, an empty wrapped key) is errs.Invalid; anything else is the store's
// classification, typically errs.Internal or errs.Unavailable.
type KeyStore interface {
	// CreateKey stores k as a live key, setting CreatedAt, and returns it.
	// It is errs.Conflict when k's owner already has a live key of k's kind
	// (a concurrent creator won; read that key with LiveKey) or k.ID is
	// taken, live or destroyed.
	CreateKey(ctx context.Context, k StoredKey) (StoredKey, error)
	// LiveKey returns the owner's live key of the kind, or errs.NotFound.
	// patientID is "" for practice and index keys.
	LiveKey(ctx context.Context, orgID, patientID string, kind KeyKind) (StoredKey, error)
	// KeyByID returns the key with the given id, live or destroyed (with
	// DestroyedAt set and an empty Wrapped), or errs.NotFound.
	KeyByID(ctx context.Context, id string) (StoredKey, error)
	// RewrapKey replaces a live key's wrapped form if the key is still
	// wrapped under oldVersion: a compare-and-swap, so concurrent rewraps
	// and shreds are safe. It is errs.NotFound when no key has the id, and
	// errs.Conflict when the key is destroyed or no longer at oldVersion.
	RewrapKey(ctx context.Context, id string, oldVersion int, wrapped WrappedKey) error
	// DestroyKey destroys the owner's live key of the kind: it erases the
	// wrapped bytes and sets DestroyedAt, keeping the row so the id is never
	// used again. It returns the destroyed key, or errs.NotFound when the
	// owner has no live key of that kind.
	DestroyKey(ctx context.Context, orgID, patientID string, kind KeyKind) (StoredKey, error)
	// LiveKeysBelow lists up to limit (1–1000) live keys wrapped under a
	// KEK version below version, with ids above afterID, ordered by id.
	LiveKeysBelow(ctx context.Context, version int, afterID string, limit int) ([]StoredKey, error)
	// LiveKeyVersions counts the live keys per KEK version.
	LiveKeyVersions(ctx context.Context) (map[int]int, error)
}

// wrapAAD is the associated data a key's wrapping is bound to: its id and
// owner, so a wrapped key copied into another row fails to unwrap.
func wrapAAD(id, orgID, patientID string, kind KeyKind) []byte {
	b := make([]byte, 0, 64+len(id)+len(orgID)+len(patientID))
	b = append(b, "astral.dek.v1"...)
	for _, s := range [...]string{id, orgID, patientID, string(kind)} {
		b = appendField(b, s)
	}
	return b
}
