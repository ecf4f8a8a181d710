// Package audit is Astral Core's tamper-evident audit log: who did what to
// which record, when, from where, and whether it was allowed.
//
// Entries form one hash chain per practice (org): each entry's hash covers
// the previous entry's hash and a canonical encoding of the entry, so editing,
// deleting, inserting or reordering entries breaks the chain. Every
// CheckpointEvery entries or CheckpointInterval, the chain head is signed
// with Ed25519 (a checkpoint), so the chain can be checked against a key the
// database does not hold, and old entries can be purged while the rest stays
// verifiable.
//
// Entries never hold PHI: the Event type has room only for ids, names of
// fields, a hash of the data and request metadata. Recorder.Record is fail
// closed: it returns nil only once the entry is durably committed, and the
// caller (a PHI read or write) must fail on any error.
package audit

import (
	"context"
	"net/netip"
	"time"
)

// Outcome says how the audited action ended.
type Outcome string

// The outcomes.
const (
	Success Outcome = "success"
	Denied  Outcome = "denied"  // refused by access control
	Failure Outcome = "failure" // allowed, but failed
)

// Purpose says why the actor acted.
type Purpose string

// The purposes.
const (
	PurposeNormal     Purpose = "normal"
	PurposeBreakGlass Purpose = "break_glass" // emergency access; reviewed afterwards
	PurposeSystem     Purpose = "system"      // the platform itself: jobs, purges
)

// Category is the GDPR category of the data an action touched. It decides how
// long the entry is kept (see Options.Retention).
type Category string

// The categories.
const (
	CategoryHealth         Category = "health"
	CategoryAuthentication Category = "authentication"
	CategoryAdministration Category = "administration"
	CategoryPayment        Category = "payment"
	CategorySecurity       Category = "security"
)

// Categories lists every category.
func Categories() []Category {
	return []Category{CategoryHealth, CategoryAuthentication, CategoryAdministration, CategoryPayment, CategorySecurity}
}

// Event is what a domain function reports: the input to Recorder.Record.
//
// It deliberately has no free-text field. Identify records by id, name the
// fields touched, and pass the data only as a hash (HashData): never a value.
type Event struct {
	OrgID     string // practice; required
	ActorID   string // user id, or "system"; required
	ActorRole string // e.g. "therapist", "system"; required, [a-z_]

	Action       string // dotted name, e.g. "patient.read", "auth.login"; required
	ResourceType string // e.g. "note"; required when ResourceID is set
	ResourceID   string // optional
	PatientID    string // the patient whose record this is; optional

	Outcome  Outcome  // required
	Purpose  Purpose  // required
	Category Category // required

	IP        netip.Addr // client address; the zero Addr when unknown
	UserAgent string     // at most 512 bytes, no control characters (see CleanUserAgent)
	RequestID string     // optional

	Fields   []string // names of the fields read or written, e.g. "note.body"
	DataHash string   // HashData of the data, or ""
}

// Entry is one committed link of a practice's chain.
type Entry struct {
	OrgID string
	Seq   int64     // 1, 2, 3, ... per org, without gaps
	Time  time.Time // UTC, microsecond precision

	ActorID, ActorRole       string
	Action                   string
	ResourceType, ResourceID string
	PatientID                string

	Outcome  Outcome
	Purpose  Purpose
	Category Category

	IP        string // netip.Addr.String(), or "" when unknown
	UserAgent string
	RequestID string

	Fields   []string
	DataHash string

	PrevHash []byte // Hash of entry Seq-1; GenesisHash for Seq 1
	Hash     []byte // SHA-256(PrevHash || canonical encoding); see EntryHash
}

// Checkpoint is a signed statement that a practice's chain had Hash at Seq.
type Checkpoint struct {
	OrgID     string
	Seq       int64
	Hash      []byte // the Hash of entry Seq
	Time      time.Time
	KeyID     string // KeyID(PublicKey)
	PublicKey []byte // Ed25519 public key; verify trusts it only if configured
	Signature []byte // Ed25519 over CheckpointMessage
}

// Head is the end of one practice's chain, as the store keeps it. The store
// locks it for the length of an append transaction.
type Head struct {
	OrgID string
	Seq   int64  // last entry; 0 when the chain is empty
	Hash  []byte // Hash of entry Seq; GenesisHash when empty
	// The last checkpoint: its seq (0 for none) and when it was made.
	CheckpointSeq int64
	CheckpointAt  time.Time
}

// Append is what one append transaction writes.
type Append struct {
	Entries     []Entry      // in seq order per org
	Checkpoints []Checkpoint // at most one per org
	Heads       []Head       // the new heads, one per org locked
}

// Filter selects entries for search. OrgID is required; nil pointers mean
// "any". Results are in seq order, after seq After.
type Filter struct {
	OrgID     string
	ActorID   *string
	PatientID *string // "who accessed my record"
	Action    *string
	From, To  *time.Time // From <= Time < To
	After     int64      // keyset pagination: only seq > After
	Limit     int        // 0 means DefaultLimit; at most MaxLimit
}

// Limits of Filter.Limit.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// Store keeps the audit log. *store.DB implements it; every error it returns
// is an *errs.Error.
type Store interface {
	// AppendAudit runs one transaction. It locks the heads of orgIDs
	// (sorted, distinct; an unknown org gets an empty head), passes them to
	// build in that order, and writes what build returns. build may run more
	// than once when the transaction is retried, so it must only compute. An
	// error from build is returned unchanged and nothing is written; nil
	// means everything is durably committed.
	AppendAudit(ctx context.Context, orgIDs []string, build func(heads []Head) (Append, error)) error
	// AuditEntries lists the entries f selects in seq order; an invalid
	// filter is errs.Invalid. It never validates what it reads, so a
	// tampered row comes back as stored.
	AuditEntries(ctx context.Context, f Filter) ([]Entry, error)
	// AuditCheckpoints lists an org's checkpoints in seq order.
	AuditCheckpoints(ctx context.Context, orgID string) ([]Checkpoint, error)
	// AuditHead returns an org's head; an org without one gets an empty
	// head (Seq 0), not errs.NotFound.
	AuditHead(ctx context.Context, orgID string) (Head, error)
	// AuditOrgIDs lists, sorted, every org that has a chain or exists as a
	// practice.
	AuditOrgIDs(ctx context.Context) ([]string, error)
	// PurgeAudit deletes an org's entries with seq <= throughSeq and its
	// checkpoints with seq < throughSeq, in one transaction, keeping the
	// checkpoint at throughSeq as the anchor the remaining chain starts
	// from. It returns the number of entries deleted. Without a checkpoint at
	// throughSeq it is errs.Invalid and deletes nothing.
	PurgeAudit(ctx context.Context, orgID string, throughSeq int64) (int64, error)
}
