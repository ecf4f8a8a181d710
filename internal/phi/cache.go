package phi

import (
	"container/list"
	"crypto/cipher"
	"sync"
	"time"
)

// ownerSlot identifies an owner's key of one kind.
type ownerSlot struct {
	org, patient string
	kind         KeyKind
}

// cachedKey is an unwrapped data key. Data keys keep only their AEAD (the
// plaintext is zeroed as soon as the AEAD is built); index keys keep the
// plaintext HMAC key, zeroed on eviction.
type cachedKey struct {
	id      [keyIDSize]byte
	idText  string
	slot    ownerSlot
	aead    cipher.AEAD // nil for index keys
	hmacKey []byte      // nil for data keys
	expires time.Time
	elem    *list.Element
}

// keyCache is a bounded LRU of unwrapped keys whose entries also expire after
// a TTL. It is safe for concurrent use.
type keyCache struct {
	mu      sync.Mutex
	size    int
	ttl     time.Duration
	now     func() time.Time
	lru     *list.List // front = most recently used
	byID    map[[keyIDSize]byte]*cachedKey
	byOwner map[ownerSlot]*cachedKey
	// epoch counts shreds. A loader notes it before reading the keystore
	// and caches its key only if no shred happened meanwhile, so a key
	// destroyed while it was being loaded never enters the cache.
	epoch uint64
}

func newKeyCache(size int, ttl time.Duration, now func() time.Time) *keyCache {
	return &keyCache{
		size: size, ttl: ttl, now: now, lru: list.New(),
		byID: map[[keyIDSize]byte]*cachedKey{}, byOwner: map[ownerSlot]*cachedKey{},
	}
}

// getByOwner returns the owner's cached key, or nil.
func (c *keyCache) getByOwner(s ownerSlot) *cachedKey {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.touch(c.byOwner[s])
}

// getByID returns the cached key with the id, or nil.
func (c *keyCache) getByID(id [keyIDSize]byte) *cachedKey {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.touch(c.byID[id])
}

// indexKey returns a copy of the owner's cached HMAC key, which the caller
// zeroes after use, or nil. A copy, because eviction zeroes the original.
func (c *keyCache) indexKey(s ownerSlot) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.touch(c.byOwner[s]); e != nil {
		return append([]byte(nil), e.hmacKey...)
	}
	return nil
}

// touch returns e if it has not expired, marking it recently used; an
// expired e is evicted. c.mu is held.
func (c *keyCache) touch(e *cachedKey) *cachedKey {
	if e == nil {
		return nil
	}
	if !c.now().Before(e.expires) {
		c.remove(e)
		return nil
	}
	c.lru.MoveToFront(e.elem)
	return e
}

// currentEpoch returns the shred count, for put.
func (c *keyCache) currentEpoch() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.epoch
}

// put caches e unless a shred happened since epoch, evicting the least
// recently used keys beyond the size bound.
func (c *keyCache) put(e *cachedKey, epoch uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if epoch != c.epoch {
		return
	}
	if old := c.byID[e.id]; old != nil {
		c.remove(old)
	}
	if old := c.byOwner[e.slot]; old != nil {
		c.remove(old)
	}
	e.expires = c.now().Add(c.ttl)
	e.elem = c.lru.PushFront(e)
	c.byID[e.id] = e
	c.byOwner[e.slot] = e
	for c.lru.Len() > c.size {
		c.remove(c.lru.Back().Value.(*cachedKey))
	}
}

// shred evicts the owner's key and the key with the id, and starts a new
// epoch so that loads already under way do not cache them again.
func (c *keyCache) shred(s ownerSlot, id [keyIDSize]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	if e := c.byOwner[s]; e != nil {
		c.remove(e)
	}
	if e := c.byID[id]; e != nil {
		c.remove(e)
	}
}

// remove drops e and zeroes its key bytes, best effort: the AES key schedule
// inside an AEAD cannot be reached, and the garbage collector may have
// copied bytes before. c.mu is held.
func (c *keyCache) remove(e *cachedKey) {
	c.lru.Remove(e.elem)
	if c.byID[e.id] == e {
		delete(c.byID, e.id)
	}
	if c.byOwner[e.slot] == e {
		delete(c.byOwner, e.slot)
	}
	// Readers copy hmacKey under c.mu; the AEAD stays usable by any Seal
	// already holding e.
	clear(e.hmacKey)
}
