package audit

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"

	"github.com/astralcore/astral/internal/errs"
)

// Reason says how a chain is broken.
type Reason string

// The reasons Verify reports.
const (
	// ReasonEdited: an entry's fields do not match its hash.
	ReasonEdited Reason = "edited"
	// ReasonDeleted: entries are missing (a gap in seq, or an entry whose
	// prev_hash matches no entry, as when the rest was renumbered).
	ReasonDeleted Reason = "deleted"
	// ReasonInserted: entries appear between two entries that were linked.
	ReasonInserted Reason = "inserted"
	// ReasonReordered: an entry links to one that comes after it.
	ReasonReordered Reason = "reordered"
	// ReasonTruncated: a checkpoint or the head names entries past the last.
	ReasonTruncated Reason = "truncated"
	// ReasonBadSignature: a checkpoint's signature does not verify.
	ReasonBadSignature Reason = "bad_signature"
	// ReasonUntrustedKey: a checkpoint is signed by a key not configured.
	ReasonUntrustedKey Reason = "untrusted_key"
	// ReasonCheckpointMismatch: a checkpoint (or the head) names a hash the
	// chain does not have at its seq.
	ReasonCheckpointMismatch Reason = "checkpoint_mismatch"
)

// Break is the first place a chain is broken.
type Break struct {
	Seq    int64 // the first seq that cannot be trusted
	Reason Reason
	Detail string // one line for an operator; holds seqs and key ids only
}

// Report is the result of verifying one practice's chain.
type Report struct {
	OrgID             string
	Entries           int64 // entries checked before any break
	FirstSeq, LastSeq int64 // of the entries checked; 0 when none
	Checkpoints       int   // checkpoints stored
	LastCheckpointSeq int64 // the newest checkpoint confirmed; 0 when none
	Broken            *Break
}

// OK reports whether the chain verified.
func (r Report) OK() bool { return r.Broken == nil }

// Verifier checks chains against a set of trusted checkpoint keys.
type Verifier struct {
	store Store
	keys  map[string]ed25519.PublicKey // by KeyID
}

// NewVerifier returns a verifier over s that trusts checkpoints signed by any
// of keys: the current signing key's public key, and any earlier ones.
func NewVerifier(s Store, keys ...ed25519.PublicKey) *Verifier {
	v := &Verifier{store: s, keys: map[string]ed25519.PublicKey{}}
	for _, k := range keys {
		if len(k) == ed25519.PublicKeySize {
			v.keys[KeyID(k)] = k
		}
	}
	return v
}

// VerifyAll verifies every practice the store knows, in org id order.
func (v *Verifier) VerifyAll(ctx context.Context) ([]Report, error) {
	orgs, err := v.store.AuditOrgIDs(ctx)
	if err != nil {
		return nil, err
	}
	reports := make([]Report, 0, len(orgs))
	for _, org := range orgs {
		r, err := v.Verify(ctx, org)
		if err != nil {
			return reports, err
		}
		reports = append(reports, r)
	}
	return reports, nil
}

// Verify walks orgID's chain in seq order and reports the first break: an
// edited, deleted, inserted or reordered entry, a checkpoint with a bad or
// untrusted signature or one that does not match the chain, or a chain
// shorter than its checkpoints and head say. A chain whose oldest entries
// were purged verifies from the checkpoint the purge kept.
//
// A broken chain is a Report with Broken set and a nil error; the error is
// for failures to read (an *errs.Error from the store), or a row so damaged
// it cannot be read at all.
func (v *Verifier) Verify(ctx context.Context, orgID string) (Report, error) {
	return v.verify(ctx, orgID, nil)
}

// verify is Verify, calling visit with each entry that checks out.
func (v *Verifier) verify(ctx context.Context, orgID string, visit func(Entry)) (rep Report, err error) {
	defer errs.Op(&err, "audit.Verify")
	rep.OrgID = orgID
	// Head and checkpoints first: entries appended meanwhile only add to
	// the end, so they can never make these look ahead of the chain.
	head, err := v.store.AuditHead(ctx, orgID)
	if err != nil {
		return rep, err
	}
	cps, err := v.store.AuditCheckpoints(ctx, orgID)
	if err != nil {
		return rep, err
	}
	rep.Checkpoints = len(cps)
	broken := func(seq int64, reason Reason, format string, args ...any) (Report, error) {
		rep.Broken = &Break{Seq: seq, Reason: reason, Detail: fmt.Sprintf(format, args...)}
		return rep, nil
	}

	var (
		prev     Entry // last entry checked
		ci       int   // next checkpoint to check
		anchor   *Checkpoint
		prevPage map[string]int64 // hash -> seq, of the previous page
	)
	for after := int64(0); ; {
		page, err := v.store.AuditEntries(ctx, Filter{OrgID: orgID, After: after, Limit: MaxLimit})
		if err != nil {
			return rep, err
		}
		inPage := make(map[string]int, len(page))
		for i, e := range page {
			inPage[string(e.Hash)] = i
		}
		for i, e := range page {
			// Checkpoints before this entry: in a purged prefix (the last
			// of them anchors the chain), or naming missing entries,
			// which the gap check below reports.
			for ; ci < len(cps) && cps[ci].Seq < e.Seq; ci++ {
				if b := v.checkSignature(orgID, cps[ci]); b != nil {
					return broken(b.Seq, b.Reason, "%s", b.Detail)
				}
				anchor = &cps[ci]
			}
			switch {
			case rep.Entries == 0 && e.Seq == 1:
				if !bytes.Equal(e.PrevHash, GenesisHash()) {
					return broken(1, ReasonEdited, "entry 1 does not start from the genesis hash")
				}
			case rep.Entries == 0:
				if anchor == nil {
					return broken(1, ReasonDeleted, "%s missing and no checkpoint anchors the rest", seqRange(1, e.Seq-1))
				}
				if anchor.Seq != e.Seq-1 {
					return broken(anchor.Seq+1, ReasonDeleted, "%s missing", seqRange(anchor.Seq+1, e.Seq-1))
				}
				if !bytes.Equal(e.PrevHash, anchor.Hash) {
					return broken(e.Seq, ReasonDeleted, "entry %d does not follow the checkpoint at seq %d", e.Seq, anchor.Seq)
				}
			case e.Seq != prev.Seq+1:
				return broken(prev.Seq+1, ReasonDeleted, "%s missing", seqRange(prev.Seq+1, e.Seq-1))
			case !bytes.Equal(e.PrevHash, prev.Hash):
				if j, ok := inPage[string(e.PrevHash)]; ok && j > i {
					return broken(e.Seq, ReasonReordered, "entry %d links to entry %d, which comes after it", e.Seq, page[j].Seq)
				}
				s, ok := prevPage[string(e.PrevHash)]
				if j, in := inPage[string(e.PrevHash)]; in && j < i {
					s, ok = page[j].Seq, true
				}
				if ok && s < prev.Seq {
					return broken(s+1, ReasonInserted, "entry %d links to entry %d, so %s not part of the chain", e.Seq, s, seqRange(s+1, e.Seq-1))
				}
				return broken(e.Seq, ReasonDeleted, "entry %d does not follow entry %d: entries were deleted, or its prev_hash edited", e.Seq, prev.Seq)
			}
			if !bytes.Equal(EntryHash(e), e.Hash) {
				return broken(e.Seq, ReasonEdited, "entry %d does not match its hash", e.Seq)
			}
			if ci < len(cps) && cps[ci].Seq == e.Seq {
				c := cps[ci]
				if b := v.checkSignature(orgID, c); b != nil {
					return broken(b.Seq, b.Reason, "%s", b.Detail)
				}
				if !bytes.Equal(c.Hash, e.Hash) {
					return broken(e.Seq, ReasonCheckpointMismatch, "the checkpoint at seq %d does not match entry %d", c.Seq, e.Seq)
				}
				rep.LastCheckpointSeq = c.Seq
				ci++
			}
			if e.Seq == head.Seq && !bytes.Equal(e.Hash, head.Hash) {
				return broken(e.Seq, ReasonCheckpointMismatch, "the chain head does not match entry %d", e.Seq)
			}
			if visit != nil {
				visit(e)
			}
			if rep.Entries == 0 {
				rep.FirstSeq = e.Seq
			}
			rep.Entries++
			rep.LastSeq = e.Seq
			prev = e
		}
		if len(page) < MaxLimit {
			break
		}
		after = page[len(page)-1].Seq
		prevPage = make(map[string]int64, len(page))
		for _, e := range page {
			prevPage[string(e.Hash)] = e.Seq
		}
	}

	// Checkpoints past the last entry mean the end of the chain was
	// deleted. So do checkpoints without any entry: a purge always leaves
	// at least its own entry after the checkpoint it keeps.
	for ; ci < len(cps); ci++ {
		c := cps[ci]
		if b := v.checkSignature(orgID, c); b != nil {
			return broken(b.Seq, b.Reason, "%s", b.Detail)
		}
		if rep.Entries > 0 {
			return broken(rep.LastSeq+1, ReasonTruncated, "the checkpoint at seq %d is past the last entry, %d", c.Seq, rep.LastSeq)
		}
		if ci == len(cps)-1 {
			return broken(c.Seq+1, ReasonTruncated, "no entries remain, but there are checkpoints up to seq %d", c.Seq)
		}
	}
	if head.Seq > rep.LastSeq {
		return broken(rep.LastSeq+1, ReasonTruncated, "the chain head is at seq %d but the last entry is %d", head.Seq, rep.LastSeq)
	}
	return rep, nil
}

// checkSignature checks that c is signed by a trusted key.
func (v *Verifier) checkSignature(orgID string, c Checkpoint) *Break {
	key, ok := v.keys[c.KeyID]
	if !ok {
		return &Break{Seq: c.Seq, Reason: ReasonUntrustedKey,
			Detail: fmt.Sprintf("the checkpoint at seq %d is signed by key %q, which is not trusted", c.Seq, c.KeyID)}
	}
	if !bytes.Equal(c.PublicKey, key) || !ed25519.Verify(key, CheckpointMessage(orgID, c.Seq, c.Hash, c.Time), c.Signature) {
		return &Break{Seq: c.Seq, Reason: ReasonBadSignature,
			Detail: fmt.Sprintf("the checkpoint at seq %d has a bad signature", c.Seq)}
	}
	return nil
}

// seqRange names entries from..to: "entry 5 is" or "entries 5 to 9 are".
func seqRange(from, to int64) string {
	if from == to {
		return fmt.Sprintf("entry %d is", from)
	}
	return fmt.Sprintf("entries %d to %d are", from, to)
}
