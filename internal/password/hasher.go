package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"fmt"

	"golang.org/x/crypto/argon2"

	"github.com/astralcore/astral/internal/errs"
)

// DefaultMaxConcurrent is how many argon2id computations a Hasher runs at
// once unless told otherwise. With DefaultParams that bounds hashing memory
// at about 4 × 19 MiB however many logins arrive together.
const DefaultMaxConcurrent = 4

// Hasher hashes and verifies passwords with fixed parameters and a cap on
// concurrent computations. It is safe for concurrent use.
type Hasher struct {
	params Params
	sem    chan struct{} // one token per running computation
	dummy  string        // PHC string that Dummy verifies against

	// hook, when set by tests in this package, is called with hookWait
	// before a computation waits for a slot, hookEnter once it holds one and
	// hookLeave as it gives it back.
	hook func(event int)
}

// Events passed to Hasher.hook.
const (
	hookWait = iota
	hookEnter
	hookLeave
)

// NewHasher returns a Hasher that hashes with p and runs at most
// maxConcurrent argon2id computations at once; maxConcurrent <= 0 means
// DefaultMaxConcurrent. It returns an errs.Internal error if p fails
// Params.Validate.
func NewHasher(p Params, maxConcurrent int) (*Hasher, error) {
	if err := p.Validate(); err != nil {
		return nil, errs.Wrap(err, errs.Internal, "password.NewHasher")
	}
	if maxConcurrent <= 0 {
		maxConcurrent = DefaultMaxConcurrent
	}
	// The dummy key is fixed and arbitrary: no password is known to derive
	// it, and Dummy ignores the outcome anyway. Its salt and key have the
	// sizes Hash produces, so verifying it costs exactly what verifying a
	// current hash costs.
	salt := []byte("astral-dummy-slt")[:SaltLen]
	key := make([]byte, KeyLen)
	for i := range key {
		key[i] = byte(0xA5 ^ i)
	}
	return &Hasher{
		params: p,
		sem:    make(chan struct{}, maxConcurrent),
		dummy:  phc{params: p, salt: salt, key: key}.encode(),
	}, nil
}

// Params returns the parameters the Hasher hashes with.
func (h *Hasher) Params() Params { return h.params }

// Hash derives a new argon2id hash of password with a fresh 16-byte salt from
// crypto/rand and returns it as a PHC string. The password is used exactly
// as given: no trimming, folding or truncation.
//
// If ctx ends while waiting for a computation slot, Hash returns an
// errs.Unavailable error wrapping ctx.Err().
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", errs.Wrap(err, errs.Internal, "password.Hash")
	}
	key, err := h.derive(ctx, "password.Hash", password, salt, h.params, KeyLen)
	if err != nil {
		return "", err
	}
	return phc{params: h.params, salt: salt, key: key}.encode(), nil
}

// Verify reports whether password matches the PHC string stored, comparing
// in constant time. needsRehash is true when the password matches but the
// stored hash was made with other parameters or sizes than the Hasher's
// current ones; the caller should then store a fresh Hash.
//
// A wrong password gives ok == false and a nil error. A stored string that
// is not a valid argon2id PHC string gives an errs.Internal error wrapping
// ErrMalformedHash (the database holds something this code did not write).
// If ctx ends while waiting for a computation slot, Verify returns an
// errs.Unavailable error wrapping ctx.Err().
func (h *Hasher) Verify(ctx context.Context, password, stored string) (ok, needsRehash bool, err error) {
	const op = "password.Verify"
	hp, err := parsePHC(stored)
	if err != nil {
		return false, false, errs.Wrap(err, errs.Internal, op)
	}
	key, err := h.derive(ctx, op, password, hp.salt, hp.params, uint32(len(hp.key)))
	if err != nil {
		return false, false, err
	}
	if subtle.ConstantTimeCompare(key, hp.key) != 1 {
		return false, false, nil
	}
	stale := hp.params != h.params || len(hp.salt) != SaltLen || len(hp.key) != KeyLen
	return true, stale, nil
}

// Dummy runs a full verification of password against a fixed hash made with
// the Hasher's current parameters and discards the outcome. Call it when a
// login names an unknown user, so that the answer takes as long as for a
// known user with a wrong password. It returns an error only when ctx ends
// while waiting for a slot (errs.Unavailable), like Verify.
func (h *Hasher) Dummy(ctx context.Context, password string) error {
	_, _, err := h.Verify(ctx, password, h.dummy)
	return err
}

// derive runs argon2id once it holds a computation slot.
func (h *Hasher) derive(ctx context.Context, op, password string, salt []byte, p Params, keyLen uint32) ([]byte, error) {
	if err := h.acquire(ctx); err != nil {
		return nil, errs.Wrap(err, errs.Unavailable, op)
	}
	defer h.release()
	return argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, keyLen), nil
}

// acquire takes a computation slot, or fails once ctx ends. An ended ctx
// fails even when a slot is free, so a request that is already gone never
// starts a computation.
func (h *Hasher) acquire(ctx context.Context) error {
	if h.hook != nil {
		h.hook(hookWait)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("waiting for an argon2id slot: %w", err)
	}
	select {
	case h.sem <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("waiting for an argon2id slot: %w", ctx.Err())
	}
	if h.hook != nil {
		h.hook(hookEnter)
	}
	return nil
}

func (h *Hasher) release() {
	if h.hook != nil {
		h.hook(hookLeave)
	}
	<-h.sem
}
