package session

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// Cache holds recently validated sessions by token hash, so that most
// requests need no database read. LocalCache is the in-process cache of a
// single instance; RedisCache puts a LocalCache in front of Redis and keeps
// several instances' caches in agreement.
//
// A cache never decides whether a session is valid: the Manager checks the
// deadlines of what Get returns and treats anything doubtful as a miss.
type Cache interface {
	// Generation returns a counter that changes whenever anything is
	// invalidated (on this instance or, for a shared cache, another). The
	// Manager reads it before a store lookup and passes it to Put.
	Generation() uint64
	// Get returns the session cached under h, if any.
	Get(ctx context.Context, h Hash) (Session, bool)
	// Put caches s under h, unless something was invalidated since gen was
	// read: a lookup that raced with a revocation must not bring the revoked
	// session back. Failures are not reported; a later Get misses.
	Put(ctx context.Context, h Hash, s Session, gen uint64)
	// Invalidate removes the entries for hs here and, for a shared cache,
	// on every instance, before it returns. A non-nil error means some
	// instance could not be told; the entries were still removed here.
	Invalidate(ctx context.Context, hs ...Hash) error
}

// Defaults for LocalCacheOptions.
const (
	DefaultCacheSize = 10000
	DefaultCacheTTL  = 30 * time.Second
)

// LocalCacheOptions tune NewLocalCache. The zero value is usable.
type LocalCacheOptions struct {
	// Size bounds the number of sessions kept; the least recently used go
	// first. 0 means DefaultCacheSize.
	Size int
	// TTL bounds how long an entry is trusted without a store read. It is
	// also how long a revocation can take to reach another instance that
	// shares no Redis. 0 means DefaultCacheTTL.
	TTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// LocalCache is a bounded LRU cache with a TTL, for one process. It is safe
// for concurrent use.
type LocalCache struct {
	size int
	ttl  time.Duration
	now  func() time.Time

	mu      sync.Mutex
	gen     uint64
	order   *list.List // of *localEntry, most recently used first
	entries map[Hash]*list.Element
}

type localEntry struct {
	hash    Hash
	s       Session
	expires time.Time
}

var _ Cache = (*LocalCache)(nil)

// NewLocalCache returns an empty cache.
func NewLocalCache(opts LocalCacheOptions) *LocalCache {
	c := &LocalCache{size: opts.Size, ttl: opts.TTL, now: opts.Now, order: list.New(), entries: map[Hash]*list.Element{}}
	if c.size <= 0 {
		c.size = DefaultCacheSize
	}
	if c.ttl <= 0 {
		c.ttl = DefaultCacheTTL
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c
}

// Generation implements Cache.
func (c *LocalCache) Generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// Get implements Cache. An entry older than the TTL is dropped.
func (c *LocalCache) Get(_ context.Context, h Hash) (Session, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[h]
	if !ok {
		return Session{}, false
	}
	e := el.Value.(*localEntry)
	if !c.now().Before(e.expires) {
		c.remove(el)
		return Session{}, false
	}
	c.order.MoveToFront(el)
	return e.s, true
}

// Put implements Cache.
func (c *LocalCache) Put(_ context.Context, h Hash, s Session, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen || s.RevokedAt != nil {
		return
	}
	expires := c.now().Add(c.ttl)
	if el, ok := c.entries[h]; ok {
		e := el.Value.(*localEntry)
		e.s, e.expires = s, expires
		c.order.MoveToFront(el)
		return
	}
	c.entries[h] = c.order.PushFront(&localEntry{hash: h, s: s, expires: expires})
	for c.order.Len() > c.size {
		c.remove(c.order.Back())
	}
}

// Invalidate implements Cache; for a local cache it never fails.
func (c *LocalCache) Invalidate(_ context.Context, hs ...Hash) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for _, h := range hs {
		if el, ok := c.entries[h]; ok {
			c.remove(el)
		}
	}
	return nil
}

// Flush empties the cache, as after a lost connection to the instances that
// would have announced revocations.
func (c *LocalCache) Flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.order.Init()
	clear(c.entries)
}

// Len returns the number of entries, expired ones included.
func (c *LocalCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

func (c *LocalCache) remove(el *list.Element) {
	delete(c.entries, el.Value.(*localEntry).hash)
	c.order.Remove(el)
}
