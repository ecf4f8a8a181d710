package phi

import (
	"context"
	"errors"

	"github.com/astralcore/astral/internal/errs"
)

// rewrapBatch is how many keys RewrapAll reads from the keystore at a time.
const rewrapBatch = 100

// KeyStatus counts the live wrapped keys per KEK version, for `astral keys
// status`.
func (k *Keyring) KeyStatus(ctx context.Context) (_ map[int]int, err error) {
	defer errs.Op(&err, "phi.KeyStatus")
	return k.store.LiveKeyVersions(ctx)
}

// RewrapAll rewraps every live key wrapped under a KEK version below the
// provider's latest, after a Rotate, and returns how many it rewrapped.
// progress, if not nil, is called after each key with the keys handled so
// far and the total found at the start.
//
// Each key is replaced with a compare-and-swap on its old version, so
// RewrapAll is idempotent and resumable: if it stops half-way (an error, a
// cancelled ctx, a killed process), running it again finishes the job. It is
// safe beside normal traffic and beside another RewrapAll: a key created,
// rewrapped or shredded meanwhile is skipped. Rewrapping never changes a
// data key, so no ciphertext and no cached key is affected.
func (k *Keyring) RewrapAll(ctx context.Context, progress func(done, total int)) (rewrapped int, err error) {
	defer errs.Op(&err, "phi.RewrapAll")
	st, err := callProvider(ctx, k, "phi.Status", k.provider.Status)
	if err != nil {
		return 0, err
	}
	counts, err := k.store.LiveKeyVersions(ctx)
	if err != nil {
		return 0, err
	}
	total := 0
	for v, n := range counts {
		if v < st.LatestVersion {
			total += n
		}
	}
	done, after := 0, ""
	for {
		batch, err := k.store.LiveKeysBelow(ctx, st.LatestVersion, after, rewrapBatch)
		if err != nil {
			return rewrapped, err
		}
		if len(batch) == 0 {
			return rewrapped, nil
		}
		for _, sk := range batch {
			if err := ctx.Err(); err != nil {
				return rewrapped, providerErr("phi.RewrapAll", err)
			}
			aad := wrapAAD(sk.ID, sk.OrgID, sk.PatientID, sk.Kind)
			w, err := callProvider(ctx, k, "phi.Rewrap", func(ctx context.Context) (WrappedKey, error) {
				return k.provider.Rewrap(ctx, sk.Wrapped, aad)
			})
			if err != nil {
				return rewrapped, err
			}
			err = k.store.RewrapKey(ctx, sk.ID, sk.Wrapped.Version, w)
			switch {
			case err == nil:
				rewrapped++
			case errs.Is(err, errs.Conflict), errs.Is(err, errs.NotFound):
				// Rewrapped or shredded by someone else meanwhile.
			default:
				return rewrapped, err
			}
			done++
			if progress != nil {
				progress(done, max(total, done))
			}
		}
		after = batch[len(batch)-1].ID
	}
}

// Retire stops the provider from unwrapping keys wrapped under KEK versions
// below version. It refuses, with errs.Conflict and message
// "error.key_version_in_use", while any live key still uses such a version:
// run RewrapAll first. Destroyed keys do not count.
func (k *Keyring) Retire(ctx context.Context, version int) (err error) {
	defer errs.Op(&err, "phi.Retire")
	if version < 1 {
		return errs.Wrap(errors.New("phi: KEK versions start at 1"), errs.Invalid, "phi.Retire")
	}
	counts, err := k.store.LiveKeyVersions(ctx)
	if err != nil {
		return err
	}
	inUse := 0
	for v, n := range counts {
		if v < version {
			inUse += n
		}
	}
	if inUse > 0 {
		return &errs.Error{Kind: errs.Conflict, Message: msgVersionInUse, Args: []any{inUse, version},
			Err: errors.New("phi: live keys still use older KEK versions")}
	}
	_, err = callProvider(ctx, k, "phi.SetMinDecryptionVersion", func(ctx context.Context) (struct{}, error) {
		return struct{}{}, k.provider.SetMinDecryptionVersion(ctx, version)
	})
	return err
}
