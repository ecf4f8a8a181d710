package session

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Defaults for RedisCacheOptions.
const (
	DefaultRedisPrefix    = "astral:session:"
	DefaultRedisTTL       = 5 * time.Minute
	DefaultTombstoneTTL   = 2 * time.Minute
	DefaultAckTimeout     = 2 * time.Second
	DefaultRedisPingEvery = 15 * time.Second
)

// RedisCacheOptions tune NewRedisCache. The zero value is usable.
type RedisCacheOptions struct {
	// Prefix starts every key and channel name; "" means
	// DefaultRedisPrefix. Instances that serve one deployment share it.
	Prefix string
	// Local tunes the in-process layer in front of Redis.
	Local LocalCacheOptions
	// TTL is how long a session stays in Redis without being used.
	TTL time.Duration
	// TombstoneTTL is how long a revoked hash stays marked in Redis, so
	// that a lookup that raced with the revocation cannot put it back. It
	// must outlast any store read.
	TombstoneTTL time.Duration
	// AckTimeout bounds how long Invalidate waits for every instance to
	// confirm that it has dropped the revoked sessions.
	AckTimeout time.Duration
	// PingEvery is how often an idle subscription is checked.
	PingEvery time.Duration
	// Logger receives connection trouble; nil discards.
	Logger *slog.Logger
	// NoWait returns the cache at once instead of waiting for the
	// subscription. Until it is confirmed the cache is not Healthy and
	// serves nothing from its in-process layer, so every lookup goes to
	// Redis (and fails closed while Redis is down). A server uses it to
	// start, and report itself not ready, while Redis is unreachable.
	NoWait bool
}

// RedisCache is a LocalCache in front of Redis, shared by every instance of
// a deployment. Sessions are kept in Redis by token hash; a revocation
// marks the hash revoked in Redis and is announced on a channel that every
// instance subscribes to, and Invalidate returns only once every subscribed
// instance has confirmed that it dropped the session from its local layer.
//
// While an instance's subscription is down it ignores its local layer (it
// could miss announcements), and it empties that layer when it subscribes
// again.
type RedisCache struct {
	rdb   *redis.Client
	local *LocalCache
	opts  RedisCacheOptions
	log   *slog.Logger

	revokedCh, ackCh string
	healthy          atomic.Bool

	mu      sync.Mutex
	waiters map[string]*ackWaiter

	cancel context.CancelFunc
	done   chan struct{}
	psMu   sync.Mutex
	ps     *redis.PubSub // the current subscription; Close closes it to end a blocked read
	closed bool
}

type ackWaiter struct {
	got, need int // need is -1 until PUBLISH has answered
	done      chan struct{}
}

var _ Cache = (*RedisCache)(nil)

// tombstone is the value of a revoked hash's key.
const tombstone = "revoked"

// putScript stores a session unless its key holds the tombstone.
var putScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[3] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`)

// NewRedisCache subscribes to the revocation channel and returns the cache
// once the subscription is confirmed. It fails if Redis does not answer
// before ctx ends. Close stops it.
func NewRedisCache(ctx context.Context, rdb *redis.Client, opts RedisCacheOptions) (*RedisCache, error) {
	if opts.Prefix == "" {
		opts.Prefix = DefaultRedisPrefix
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&opts.TTL, DefaultRedisTTL)
	def(&opts.TombstoneTTL, DefaultTombstoneTTL)
	def(&opts.AckTimeout, DefaultAckTimeout)
	def(&opts.PingEvery, DefaultRedisPingEvery)
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	c := &RedisCache{
		rdb: rdb, local: NewLocalCache(opts.Local), opts: opts, log: opts.Logger,
		revokedCh: opts.Prefix + "revoked", ackCh: opts.Prefix + "acks",
		waiters: map[string]*ackWaiter{}, done: make(chan struct{}),
	}
	runCtx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	ready := make(chan struct{})
	go c.run(runCtx, ready)
	if opts.NoWait {
		return c, nil
	}
	select {
	case <-ready:
		return c, nil
	case <-ctx.Done():
		c.Close()
		return nil, fmt.Errorf("session: redis subscription not confirmed: %w", ctx.Err())
	}
}

// Close stops listening for revocations. The cache must not be used after.
func (c *RedisCache) Close() {
	c.cancel()
	c.psMu.Lock()
	c.closed = true
	if c.ps != nil {
		// A blocked read does not watch its context; closing the
		// connection ends it.
		_ = c.ps.Close()
	}
	c.psMu.Unlock()
	<-c.done
}

// Healthy reports whether the revocation subscription is up, for
// readiness probes.
func (c *RedisCache) Healthy() bool { return c.healthy.Load() }

func (c *RedisCache) key(h Hash) string { return c.opts.Prefix + "s:" + h.String() }

// Generation implements Cache. It changes on local invalidations and on
// announcements from other instances.
func (c *RedisCache) Generation() uint64 { return c.local.Generation() }

// Get implements Cache: the local layer first (while subscribed), then
// Redis. A Redis failure is a miss.
func (c *RedisCache) Get(ctx context.Context, h Hash) (Session, bool) {
	healthy := c.healthy.Load()
	if healthy {
		if s, ok := c.local.Get(ctx, h); ok {
			return s, true
		}
	}
	gen := c.local.Generation()
	v, err := c.rdb.Get(ctx, c.key(h)).Result()
	if err != nil {
		if !errors.Is(err, redis.Nil) {
			c.log.DebugContext(ctx, "session: redis get failed", "err", err)
		}
		return Session{}, false
	}
	if v == tombstone {
		return Session{}, false
	}
	var s Session
	if err := json.Unmarshal([]byte(v), &s); err != nil || s.ID == "" || s.RevokedAt != nil {
		return Session{}, false
	}
	if healthy {
		c.local.Put(ctx, h, s, gen)
	}
	return s, true
}

// Put implements Cache. It writes Redis unless the hash is marked revoked
// there, then the local layer.
func (c *RedisCache) Put(ctx context.Context, h Hash, s Session, gen uint64) {
	if gen != c.local.Generation() || s.RevokedAt != nil {
		return
	}
	b, err := json.Marshal(s)
	if err != nil {
		return
	}
	stored, err := putScript.Run(ctx, c.rdb, []string{c.key(h)}, b, c.opts.TTL.Milliseconds(), tombstone).Int()
	if err != nil {
		c.log.DebugContext(ctx, "session: redis put failed", "err", err)
		return
	}
	if stored != 1 { // revoked meanwhile
		return
	}
	if c.healthy.Load() {
		c.local.Put(ctx, h, s, gen)
	}
}

// Invalidate implements Cache: it drops hs locally, marks them revoked in
// Redis, announces them, and waits until every subscribed instance (this
// one included) confirms, or AckTimeout passes, which is an error.
func (c *RedisCache) Invalidate(ctx context.Context, hs ...Hash) error {
	_ = c.local.Invalidate(ctx, hs...)
	if len(hs) == 0 {
		return nil
	}
	pipe := c.rdb.Pipeline()
	for _, h := range hs {
		pipe.Set(ctx, c.key(h), tombstone, c.opts.TombstoneTTL)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("session: marking revoked sessions in redis: %w", err)
	}

	nonce := make([]byte, 16)
	_, _ = rand.Read(nonce)
	id := hex.EncodeToString(nonce)
	w := &ackWaiter{need: -1, done: make(chan struct{})}
	c.mu.Lock()
	c.waiters[id] = w
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.waiters, id)
		c.mu.Unlock()
	}()

	parts := make([]string, len(hs))
	for i, h := range hs {
		parts[i] = h.String()
	}
	n, err := c.rdb.Publish(ctx, c.revokedCh, id+" "+strings.Join(parts, ",")).Result()
	if err != nil {
		return fmt.Errorf("session: announcing revoked sessions: %w", err)
	}
	c.mu.Lock()
	w.need = int(n)
	if w.got >= w.need {
		close(w.done)
	}
	c.mu.Unlock()

	t := time.NewTimer(c.opts.AckTimeout)
	defer t.Stop()
	select {
	case <-w.done:
		return nil
	case <-t.C:
		return errors.New("session: not every instance confirmed a revocation in time")
	case <-ctx.Done():
		return ctx.Err()
	}
}
