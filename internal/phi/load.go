package phi

import (
	"context"
	"errors"
	"fmt"

	"github.com/astralcore/astral/internal/errs"
)

// ownerKey returns the owner's key from the cache, or loads or creates it.
func (k *Keyring) ownerKey(ctx context.Context, slot ownerSlot) (*cachedKey, error) {
	if e := k.cache.getByOwner(slot); e != nil {
		return e, nil
	}
	return k.share(ctx, "o\x00"+slot.org+"\x00"+slot.patient+"\x00"+string(slot.kind), func() (*cachedKey, error) {
		if e := k.cache.getByOwner(slot); e != nil {
			return e, nil
		}
		return k.loadOwnerKey(ctx, slot, true)
	})
}

// loadOwnerKey reads the owner's live key, creating it when there is none,
// unwraps it and, if cache is set, caches it.
func (k *Keyring) loadOwnerKey(ctx context.Context, slot ownerSlot, cache bool) (*cachedKey, error) {
	epoch := k.cache.currentEpoch()
	// A creator can lose the race and then find the winner's key already
	// shredded; a few rounds settle it.
	for range 3 {
		sk, err := k.store.LiveKey(ctx, slot.org, slot.patient, slot.kind)
		if errs.Is(err, errs.NotFound) {
			e, err := k.createKey(ctx, slot)
			if errs.Is(err, errs.Conflict) {
				continue // another creator won: read its key
			}
			if err == nil && cache {
				k.cache.put(e, epoch)
			}
			return e, err
		} else if err != nil {
			return nil, err
		}
		e, err := k.unwrap(ctx, sk)
		if err != nil {
			return nil, err
		}
		if cache {
			k.cache.put(e, epoch)
		}
		return e, nil
	}
	return nil, errs.Wrap(errors.New("phi: data key creation kept conflicting"), errs.Unavailable, "phi.loadOwnerKey")
}

// createKey makes, wraps and stores a new key for the owner. Nothing is
// stored unless the provider answered.
func (k *Keyring) createKey(ctx context.Context, slot ownerSlot) (*cachedKey, error) {
	id, err := newKeyID()
	if err != nil {
		return nil, errs.Wrap(err, errs.Internal, "phi.newKeyID")
	}
	aad := wrapAAD(id, slot.org, slot.patient, slot.kind)
	type generated struct {
		pt []byte
		w  WrappedKey
	}
	g, err := callProvider(ctx, k, "phi.GenerateDataKey", func(ctx context.Context) (generated, error) {
		pt, w, err := k.provider.GenerateDataKey(ctx, aad)
		return generated{pt, w}, err
	})
	if err != nil {
		return nil, err
	}
	defer clear(g.pt)
	sk, err := k.store.CreateKey(ctx, StoredKey{ID: id, OrgID: slot.org, PatientID: slot.patient, Kind: slot.kind, Wrapped: g.w})
	if err != nil {
		return nil, err
	}
	k.log.InfoContext(ctx, "phi: data key created", "key_id", sk.ID, "org_id", sk.OrgID, "kind", string(sk.Kind), "kek_version", sk.Wrapped.Version)
	return newCachedKey(sk, g.pt)
}

// idKey returns the key with the id from the cache, or loads it. A key the
// keystore does not have is ErrDecrypt; a destroyed one is ErrErased.
func (k *Keyring) idKey(ctx context.Context, id [keyIDSize]byte) (*cachedKey, error) {
	if e := k.cache.getByID(id); e != nil {
		return e, nil
	}
	idText := formatKeyID(id)
	return k.share(ctx, "i\x00"+idText, func() (*cachedKey, error) {
		if e := k.cache.getByID(id); e != nil {
			return e, nil
		}
		epoch := k.cache.currentEpoch()
		sk, err := k.store.KeyByID(ctx, idText)
		switch {
		case errs.Is(err, errs.NotFound):
			return nil, ErrDecrypt
		case err != nil:
			return nil, err
		case sk.DestroyedAt != nil:
			return nil, erasedErr()
		}
		e, err := k.unwrap(ctx, sk)
		if err != nil {
			return nil, err
		}
		k.cache.put(e, epoch)
		return e, nil
	})
}

// unwrap asks the provider for a stored key's plaintext.
func (k *Keyring) unwrap(ctx context.Context, sk StoredKey) (*cachedKey, error) {
	aad := wrapAAD(sk.ID, sk.OrgID, sk.PatientID, sk.Kind)
	pt, err := callProvider(ctx, k, "phi.Unwrap", func(ctx context.Context) ([]byte, error) {
		return k.provider.Unwrap(ctx, sk.Wrapped, aad)
	})
	if errors.Is(err, ErrUnwrap) {
		k.log.ErrorContext(ctx, "phi: integrity failure: wrapped data key did not unwrap", "key_id", sk.ID, "org_id", sk.OrgID)
	}
	if err != nil {
		return nil, err
	}
	defer clear(pt)
	return newCachedKey(sk, pt)
}

// newCachedKey builds a cache entry from a stored key and its plaintext,
// which the caller zeroes.
func newCachedKey(sk StoredKey, pt []byte) (*cachedKey, error) {
	id, ok := parseKeyID(sk.ID)
	if !ok {
		return nil, errs.Wrap(fmt.Errorf("phi: malformed key id in keystore"), errs.Internal, "phi.newCachedKey")
	}
	e := &cachedKey{id: id, idText: sk.ID, slot: ownerSlot{sk.OrgID, sk.PatientID, sk.Kind}}
	if sk.Kind == KindIndex {
		if len(pt) != dekSize {
			return nil, errs.Wrap(fmt.Errorf("phi: index key is %d bytes", len(pt)), errs.Internal, "phi.newCachedKey")
		}
		e.hmacKey = append([]byte(nil), pt...)
		return e, nil
	}
	aead, err := newAEAD(pt)
	if err != nil {
		return nil, errs.Wrap(err, errs.Internal, "phi.newCachedKey")
	}
	e.aead = aead
	return e, nil
}

// share runs load once for all concurrent callers with the same key. A
// caller whose ctx ends stops waiting.
func (k *Keyring) share(ctx context.Context, key string, load func() (*cachedKey, error)) (*cachedKey, error) {
	k.mu.Lock()
	if f, ok := k.flights[key]; ok {
		k.mu.Unlock()
		select {
		case <-f.done:
			return f.e, f.err
		case <-ctx.Done():
			return nil, providerErr("phi.load", ctx.Err())
		}
	}
	f := &flight{done: make(chan struct{})}
	k.flights[key] = f
	k.mu.Unlock()
	defer func() {
		k.mu.Lock()
		delete(k.flights, key)
		k.mu.Unlock()
		close(f.done)
	}()
	f.e, f.err = load()
	return f.e, f.err
}

// callProvider runs fn with the provider timeout. It returns when the
// timeout passes even if fn does not honour its context, so a hung provider
// cannot hang a request; such an fn finishes in the background and its
// result is dropped.
func callProvider[T any](ctx context.Context, k *Keyring, op string, fn func(ctx context.Context) (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, k.timeout)
	defer cancel()
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := fn(ctx)
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, providerErr(op, r.err)
	case <-ctx.Done():
		var zero T
		return zero, providerErr(op, ctx.Err())
	}
}

// providerErr classifies a key provider error: unreachable, sealed or too
// slow is errs.Unavailable with "error.keys_unavailable"; anything else (a
// retired KEK version, a wrapped key that fails authentication) is
// errs.Internal.
func providerErr(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrUnavailable), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return &errs.Error{Kind: errs.Unavailable, Message: msgUnavailable, Op: op, Err: err}
	}
	return errs.Wrap(err, errs.Internal, op)
}
