package audit

import (
	"context"
	"fmt"
	"strconv"

	"github.com/astralcore/astral/internal/errs"
)

// PurgeResult says what Purge removed from one practice's chain.
type PurgeResult struct {
	OrgID   string
	Through int64 // the last seq removed, and the checkpoint kept; 0 when nothing was
	Entries int64 // entries removed
}

// Purge removes a practice's entries whose retention has passed, as far as
// the chain allows:
//
//  1. It verifies the whole chain and refuses to purge a broken one
//     (errs.Conflict, "error.audit_chain_broken"): that would destroy the
//     evidence.
//  2. It finds the longest prefix of the chain in which every entry has
//     expired (entry time plus its category's retention is not after now).
//     Categories mix in one chain, so one young entry stops the prefix:
//     nothing after it is purged, however old.
//  3. It cuts at the newest checkpoint within that prefix: entries up to
//     and including the checkpoint's seq go, with older checkpoints; that
//     checkpoint stays, and verify starts from it.
//  4. It records an "audit.purge" entry naming the range before deleting,
//     so no purge happens unlogged, and a second one with outcome failure if
//     the delete then fails.
//
// Nothing to purge is not an error: the result has Through 0 and nothing is
// recorded.
func (r *Recorder) Purge(ctx context.Context, orgID string) (res PurgeResult, err error) {
	defer errs.Op(&err, "audit.Purge")
	res.OrgID = orgID
	now := r.now()
	var expired int64 // last seq of the expired prefix
	prefix := true
	rep, err := r.verify.verify(ctx, orgID, func(e Entry) {
		ret, ok := r.opts.Retention[e.Category]
		if prefix && ok && !e.Time.Add(ret).After(now) {
			expired = e.Seq
		} else {
			prefix = false
		}
	})
	if err != nil {
		return res, err
	}
	if rep.Broken != nil {
		return res, &errs.Error{Kind: errs.Conflict, Message: "error.audit_chain_broken",
			Err: fmt.Errorf("chain broken at seq %d: %s", rep.Broken.Seq, rep.Broken.Reason)}
	}
	cps, err := r.store.AuditCheckpoints(ctx, orgID)
	if err != nil {
		return res, err
	}
	var cut *Checkpoint
	for i, c := range cps {
		if c.Seq >= rep.FirstSeq && c.Seq <= expired {
			cut = &cps[i]
		}
	}
	if cut == nil {
		return res, nil
	}
	ev := Event{
		OrgID: orgID, ActorID: "system", ActorRole: "system",
		Action: "audit.purge", ResourceType: "audit_entries",
		ResourceID: strconv.FormatInt(rep.FirstSeq, 10) + "-" + strconv.FormatInt(cut.Seq, 10),
		Outcome:    Success, Purpose: PurposeSystem, Category: CategoryAdministration,
		DataHash: HashData(CheckpointMessage(orgID, cut.Seq, cut.Hash, cut.Time)),
	}
	if err := r.Record(ctx, ev); err != nil {
		return res, err
	}
	n, err := r.store.PurgeAudit(ctx, orgID, cut.Seq)
	if err != nil {
		ev.Outcome = Failure
		_ = r.Record(ctx, ev) // best effort: the purge failed either way
		return res, err
	}
	res.Through, res.Entries = cut.Seq, n
	return res, nil
}
