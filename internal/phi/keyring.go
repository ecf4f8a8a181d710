package phi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/astralcore/astral/internal/errs"
)

// Defaults of KeyringOptions.
const (
	DefaultCacheSize       = 4096
	DefaultCacheTTL        = 5 * time.Minute
	DefaultProviderTimeout = 3 * time.Second
)

// KeyringOptions tune a Keyring. The zero value is usable.
type KeyringOptions struct {
	// CacheSize bounds how many unwrapped keys are cached; 0 means
	// DefaultCacheSize.
	CacheSize int
	// CacheTTL bounds how long an unwrapped key stays cached; 0 means
	// DefaultCacheTTL. It is also how long another replica may still open
	// data after a Shred here, so keep it short.
	CacheTTL time.Duration
	// ProviderTimeout bounds every call to the key provider; 0 means
	// DefaultProviderTimeout.
	ProviderTimeout time.Duration
	// ProviderCheckInterval is how often, at most, the keyring confirms
	// that the provider is reachable and unsealed before using a cached
	// key; 0 means DefaultProviderCheckInterval. When the check fails, every
	// Seal, Open and BlindIndex fails with errs.Unavailable, cached keys
	// included: sealing Vault in an emergency stops access to PHI within
	// this interval, not after the cache's TTL.
	ProviderCheckInterval time.Duration
	// Now is the clock for cache expiry; nil means time.Now.
	Now func() time.Time
	// Logger receives integrity failures and key events (ids only); nil
	// discards.
	Logger *slog.Logger
}

// Keyring seals and opens PHI with envelope encryption: a data key (DEK) per
// patient and per practice, wrapped by the provider's key-encryption key
// (KEK) and kept in a KeyStore; unwrapped DEKs live in a bounded cache. The
// KEK never leaves the provider. A Keyring is safe for concurrent use.
//
// Error contract: every error is an *errs.Error. The provider unreachable,
// sealed or slower than ProviderTimeout is errs.Unavailable with message
// "error.keys_unavailable" (PHI endpoints answer 503; nothing is written).
// Also see ErrDecrypt, ErrFormat and ErrErased.
type Keyring struct {
	provider KeyProvider
	store    KeyStore
	cache    *keyCache
	timeout  time.Duration
	log      *slog.Logger

	mu      sync.Mutex
	flights map[string]*flight // loads under way, by slot or key id

	// Provider liveness: the last time the provider answered a Ping, and a
	// lock so that one caller at a time checks.
	checkEvery time.Duration
	now        func() time.Time
	lastOK     atomic.Int64 // unix nanoseconds
	checkMu    sync.Mutex
}

// DefaultProviderCheckInterval is how often a Keyring confirms its provider
// is still reachable before serving cached keys.
const DefaultProviderCheckInterval = 10 * time.Second

// live fails with errs.Unavailable when the provider has not been seen
// healthy within the check interval and does not answer a Ping now.
func (k *Keyring) live(ctx context.Context) error {
	if k.now().UnixNano()-k.lastOK.Load() < int64(k.checkEvery) {
		return nil
	}
	k.checkMu.Lock()
	defer k.checkMu.Unlock()
	if k.now().UnixNano()-k.lastOK.Load() < int64(k.checkEvery) {
		return nil // another caller just checked
	}
	_, err := callProvider(ctx, k, "phi.live", func(ctx context.Context) (struct{}, error) {
		return struct{}{}, k.provider.Ping(ctx)
	})
	if err != nil {
		return err
	}
	k.lastOK.Store(k.now().UnixNano())
	return nil
}

// flight is one load of a key that concurrent callers share.
type flight struct {
	done chan struct{}
	e    *cachedKey
	err  error
}

// NewKeyring returns a Keyring over provider and store.
func NewKeyring(provider KeyProvider, store KeyStore, opts KeyringOptions) *Keyring {
	if opts.CacheSize <= 0 {
		opts.CacheSize = DefaultCacheSize
	}
	if opts.CacheTTL <= 0 {
		opts.CacheTTL = DefaultCacheTTL
	}
	if opts.ProviderTimeout <= 0 {
		opts.ProviderTimeout = DefaultProviderTimeout
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.ProviderCheckInterval <= 0 {
		opts.ProviderCheckInterval = DefaultProviderCheckInterval
	}
	return &Keyring{
		checkEvery: opts.ProviderCheckInterval,
		now:        opts.Now,
		provider:   provider,
		store:      store,
		cache:      newKeyCache(opts.CacheSize, opts.CacheTTL, opts.Now),
		timeout:    opts.ProviderTimeout,
		log:        opts.Logger,
		flights:    map[string]*flight{},
	}
}

// DataKey makes sure owner has a live data key, creating one if needed, and
// returns its id. Concurrent callers, in this process or in other replicas,
// end up with the same key: the keystore's unique index lets one creator
// win, and the others read the winner's key. Sealing calls it implicitly.
func (k *Keyring) DataKey(ctx context.Context, owner Owner) (id string, err error) {
	defer errs.Op(&err, "phi.DataKey")
	if owner.OrgID == "" {
		return "", errs.Wrap(errors.New("phi: owner without org id"), errs.Internal, "phi.DataKey")
	}
	if err := k.live(ctx); err != nil {
		return "", err
	}
	e, err := k.ownerKey(ctx, ownerSlot{owner.OrgID, owner.PatientID, owner.kind()})
	if err != nil {
		return "", err
	}
	return e.idText, nil
}

// Seal encrypts plaintext for the row and column aad names, under owner's
// data key (created on first use). owner.OrgID must equal aad.OrgID. When
// the provider is unavailable it returns errs.Unavailable and the caller
// must write nothing.
func (k *Keyring) Seal(ctx context.Context, owner Owner, aad AAD, plaintext []byte) (_ []byte, err error) {
	defer errs.Op(&err, "phi.Seal")
	if err := aad.validate(); err != nil {
		return nil, errs.Wrap(err, errs.Internal, "phi.Seal")
	}
	if owner.OrgID != aad.OrgID {
		return nil, errs.Wrap(errors.New("phi: owner and associated data name different practices"), errs.Internal, "phi.Seal")
	}
	if err := k.live(ctx); err != nil {
		return nil, err
	}
	e, err := k.ownerKey(ctx, ownerSlot{owner.OrgID, owner.PatientID, owner.kind()})
	if err != nil {
		return nil, err
	}
	ct, err := seal(e.aead, e.id, owner.PatientID, aad, plaintext)
	return ct, errs.Wrap(err, errs.Internal, "phi.seal")
}

// SealText is Seal for a Text value.
func (k *Keyring) SealText(ctx context.Context, owner Owner, aad AAD, t Text) ([]byte, error) {
	return k.Seal(ctx, owner, aad, []byte(t.Reveal()))
}

// Open decrypts a ciphertext from Seal, with the aad it was sealed with. The
// key is the one the ciphertext names. A ciphertext that fails
// authentication is ErrDecrypt (and logged here as an integrity failure); an
// unknown format is ErrFormat; one whose key was shredded is ErrErased.
func (k *Keyring) Open(ctx context.Context, ciphertext []byte, aad AAD) (_ []byte, err error) {
	defer errs.Op(&err, "phi.Open")
	if err := aad.validate(); err != nil {
		return nil, errs.Wrap(err, errs.Internal, "phi.Open")
	}
	id, err := parseHeader(ciphertext)
	if errors.Is(err, ErrFormat) {
		return nil, formatErr()
	} else if err != nil {
		return nil, k.integrityFailure(ctx, "truncated", id, aad)
	}
	if err := k.live(ctx); err != nil {
		return nil, err
	}
	e, err := k.idKey(ctx, id)
	if errors.Is(err, ErrDecrypt) {
		return nil, k.integrityFailure(ctx, "unknown key", id, aad)
	} else if err != nil {
		return nil, err
	}
	if e.aead == nil || e.slot.org != aad.OrgID {
		return nil, k.integrityFailure(ctx, "key of another practice or kind", id, aad)
	}
	pt, err := open(e.aead, e.slot.patient, aad, ciphertext)
	if err != nil {
		return nil, k.integrityFailure(ctx, "authentication failed", id, aad)
	}
	return pt, nil
}

// OpenText is Open for a value sealed with SealText.
func (k *Keyring) OpenText(ctx context.Context, ciphertext []byte, aad AAD) (Text, error) {
	pt, err := k.Open(ctx, ciphertext, aad)
	if err != nil {
		return Text{}, err
	}
	return NewText(string(pt)), nil
}

// integrityFailure logs a ciphertext that failed to open, by ids only, and
// returns ErrDecrypt.
func (k *Keyring) integrityFailure(ctx context.Context, why string, id [keyIDSize]byte, aad AAD) error {
	k.log.ErrorContext(ctx, "phi: integrity failure: ciphertext did not open", "reason", why,
		"key_id", formatKeyID(id), "org_id", aad.OrgID, "table", aad.Table, "column", aad.Column, "row_id", aad.RowID)
	return decryptErr(fmt.Errorf("%w: %s", ErrDecrypt, why))
}

// BlindIndex returns the blind index of a normalized value (see
// NormalizeEmail and NormalizePhone) in a table's column: HMAC-SHA256 under
// the practice's index key, BlindIndexSize bytes. Equal values give equal
// indexes within one practice's column, and unrelated ones across columns or
// practices. The index key is a data key like any other, so a KEK rotation
// never changes index values. An empty value is errs.Invalid.
func (k *Keyring) BlindIndex(ctx context.Context, orgID, table, column, normalized string) (_ []byte, err error) {
	defer errs.Op(&err, "phi.BlindIndex")
	if orgID == "" || table == "" || column == "" {
		return nil, errs.Wrap(errors.New("phi: blind index needs org, table and column"), errs.Internal, "phi.BlindIndex")
	}
	if normalized == "" {
		return nil, errs.E(errs.Invalid, msgInvalidLookup)
	}
	if err := k.live(ctx); err != nil {
		return nil, err
	}
	slot := ownerSlot{org: orgID, kind: KindIndex}
	key := k.cache.indexKey(slot)
	if key == nil {
		if _, err := k.ownerKey(ctx, slot); err != nil {
			return nil, err
		}
		if key = k.cache.indexKey(slot); key == nil {
			// Evicted already (a shred raced, or the cache is tiny): load
			// a private copy that no eviction can zero under us.
			e, err := k.loadOwnerKey(ctx, slot, false)
			if err != nil {
				return nil, err
			}
			key = e.hmacKey
		}
	}
	defer clear(key)
	return blindIndex(key, table, column, normalized), nil
}

// Shred destroys owner's data key (crypto-shredding): every ciphertext
// sealed under it, in the database and in every backup of it, then opens to
// ErrErased. The keystore keeps a tombstone row, so the key's id is never
// reused. Shredding an owner without a key does nothing.
//
// A later Seal for the same owner creates a new key: erasure covers the data
// that existed, and whether the owner may have new data is the domain's
// decision. The domain stops writes for the owner before shredding.
//
// Other replicas may keep the key cached for up to their CacheTTL; this
// process forgets it at once. A practice's index key is not shredded here.
func (k *Keyring) Shred(ctx context.Context, owner Owner) (err error) {
	defer errs.Op(&err, "phi.Shred")
	if owner.OrgID == "" {
		return errs.Wrap(errors.New("phi: owner without org id"), errs.Internal, "phi.Shred")
	}
	slot := ownerSlot{owner.OrgID, owner.PatientID, owner.kind()}
	sk, err := k.store.DestroyKey(ctx, slot.org, slot.patient, slot.kind)
	if errs.Is(err, errs.NotFound) {
		k.cache.shred(slot, [keyIDSize]byte{})
		return nil
	} else if err != nil {
		return err
	}
	id, _ := parseKeyID(sk.ID)
	k.cache.shred(slot, id)
	k.log.InfoContext(ctx, "phi: data key destroyed", "key_id", sk.ID, "org_id", sk.OrgID, "kind", string(sk.Kind))
	return nil
}
