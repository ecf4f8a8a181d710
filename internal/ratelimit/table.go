package ratelimit

import (
	"crypto/sha256"
	"sync"
)

// digest is a stored key: the first 128 bits of its SHA-256. Hashing keeps
// identifiers such as e-mail addresses out of memory and Redis, gives every
// entry the same small size, and spreads keys evenly over shards.
type digest [16]byte

func hashKey(key string) digest {
	sum := sha256.Sum256([]byte(key))
	return digest(sum[:16])
}

// shardCount splits a table so that concurrent requests on different keys
// rarely wait for one another.
const shardCount = 64

// evictSample is how many entries a full shard looks at to pick a victim,
// as Redis approximates LRU: enough to avoid bad choices, O(1) per insert.
const evictSample = 8

// table is a sharded map from key digest to state with bounded size. A
// shard that is full when a new key arrives first drops every dead entry
// (one that no longer affects any answer, such as an idle limiter key). If
// that frees less than an eighth of it, it also drops live entries, the
// weakest of a few sampled each time, until an eighth is free. So a full
// scan happens at most once per perShard/8 inserts, and a flood of new keys
// pushes out the least constrained keys, never a throttled one before them.
// Forgetting a live entry loosens that key's limit, so the bound should sit
// well above the number of keys active in one window.
type table[V any] struct {
	shards   [shardCount]tableShard[V]
	perShard int
	// live reports whether v still affects an answer at now.
	live func(v V, now int64) bool
	// weaker reports whether a is a better eviction victim than b.
	weaker func(a, b V) bool
}

type tableShard[V any] struct {
	mu sync.Mutex
	m  map[digest]V
}

// newTable returns a table holding at most max(maxKeys, shardCount) entries.
func newTable[V any](maxKeys int, live func(V, int64) bool, weaker func(a, b V) bool) *table[V] {
	t := &table[V]{perShard: max(maxKeys/shardCount, 1), live: live, weaker: weaker}
	for i := range t.shards {
		t.shards[i].m = make(map[digest]V)
	}
	return t
}

// shard returns the shard that holds d; the caller locks it.
func (t *table[V]) shard(d digest) *tableShard[V] {
	return &t.shards[int(d[0])%shardCount]
}

// put stores v under d in s, which the caller has locked, making room first
// when d is new and s is full.
func (t *table[V]) put(s *tableShard[V], d digest, v V, now int64) {
	if _, ok := s.m[d]; !ok && len(s.m) >= t.perShard {
		for k, old := range s.m {
			if !t.live(old, now) {
				delete(s.m, k)
			}
		}
		for target := t.perShard - max(t.perShard/8, 1); len(s.m) > target; {
			t.evict(s)
		}
	}
	s.m[d] = v
}

// evict removes the weakest of a few entries of s. Map iteration starts at
// a random place, so the sample differs from call to call.
func (t *table[V]) evict(s *tableShard[V]) {
	var (
		victim digest
		weak   V
		found  bool
		seen   int
	)
	for k, v := range s.m {
		if !found || t.weaker(v, weak) {
			victim, weak, found = k, v, true
		}
		if seen++; seen == evictSample {
			break
		}
	}
	if found {
		delete(s.m, victim)
	}
}

// len returns the number of entries, live or not yet swept.
func (t *table[V]) len() int {
	n := 0
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.Lock()
		n += len(s.m)
		s.mu.Unlock()
	}
	return n
}
