package session_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/identity"
	"github.com/astralcore/astral/internal/session"
	"github.com/astralcore/astral/internal/testenv"
)

// countingStore counts session lookups, to show when a Manager answered
// from its cache.
type countingStore struct {
	session.Store
	lookups atomic.Int64
}

func (s *countingStore) SessionByTokenHash(ctx context.Context, h session.Hash) (session.Session, error) {
	s.lookups.Add(1)
	return s.Store.SessionByTokenHash(ctx, h)
}

// redisPair is two instances sharing one store and one Redis, each with
// its own in-process layer, under a prefix of their own.
type redisPair struct {
	*fixture
	c1, c2 *session.RedisCache
	m1, m2 *session.Manager
	st2    *countingStore
	prefix string
	rdb    *redis.Client
}

func newRedisClient(t *testing.T) *redis.Client {
	t.Helper()
	opt, err := redis.ParseURL(testenv.RedisURL(t))
	if err != nil {
		t.Fatalf("parse %s: %v", testenv.EnvRedis, err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

func newRedisPair(t *testing.T, opts session.RedisCacheOptions) *redisPair {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	p := &redisPair{fixture: newFixture(t), prefix: "astral-test:" + hex.EncodeToString(b) + ":"}
	opts.Prefix, opts.Local.Now = p.prefix, p.clk.Now
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	newCache := func() *session.RedisCache {
		c, err := session.NewRedisCache(ctx, newRedisClient(t), opts)
		if err != nil {
			t.Fatalf("NewRedisCache: %v", err)
		}
		t.Cleanup(c.Close)
		return c
	}
	p.c1, p.c2 = newCache(), newCache()
	p.rdb = newRedisClient(t)
	p.st2 = &countingStore{Store: p.db}
	p.m1 = session.New(p.db, p.c1, session.Options{Now: p.clk.Now})
	p.m2 = session.New(p.st2, p.c2, session.Options{Now: p.clk.Now})
	return p
}

// warm validates tok on the second instance until it answers from its
// cache, and fails if it does not.
func (p *redisPair) warm(t *testing.T, tok string) {
	t.Helper()
	ctx := context.Background()
	if _, err := p.m2.Validate(ctx, tok); err != nil {
		t.Fatalf("Validate on instance 2: %v", err)
	}
	n := p.st2.lookups.Load()
	if _, err := p.m2.Validate(ctx, tok); err != nil {
		t.Fatalf("Validate on instance 2: %v", err)
	}
	if p.st2.lookups.Load() != n {
		t.Fatal("instance 2 read the store for a warm session; the test would prove nothing")
	}
}

func TestRedisCrossInstance(t *testing.T) {
	p := newRedisPair(t, session.RedisCacheOptions{})
	ctx := context.Background()
	if !p.c1.Healthy() || !p.c2.Healthy() {
		t.Fatal("caches not subscribed")
	}
	u := p.user(t, identity.RoleTherapist)
	create := func() (string, session.Session) {
		tok, s, err := p.m1.Create(ctx, session.NewSession{OrgID: u.OrgID, UserID: u.ID, Role: u.Role})
		if err != nil {
			t.Fatal(err)
		}
		return tok, s
	}

	// Created on 1, found by 2 without a store read (via Redis).
	tok, s := create()
	before := p.st2.lookups.Load()
	if got, err := p.m2.Validate(ctx, tok); err != nil || got.ID != s.ID || p.st2.lookups.Load() != before {
		t.Fatalf("Validate on 2 = %+v, %v; want it from Redis", got, err)
	}

	t.Run("revoke on one, refused by the other on the very next Validate", func(t *testing.T) {
		tok, s := create()
		p.warm(t, tok)
		if err := p.m1.Revoke(ctx, u.OrgID, u.ID, s.ID, session.ReasonAdmin); err != nil {
			t.Fatalf("Revoke: %v", err)
		}
		_, err := p.m2.Validate(ctx, tok)
		wantUnauthenticated(t, "Validate on 2 after Revoke on 1", err)
	})
	t.Run("rotate on one kills the old token on the other", func(t *testing.T) {
		tok, _ := create()
		p.warm(t, tok)
		now := p.clk.Now()
		tok2, _, err := p.m1.Rotate(ctx, tok, func(s *session.Session) { s.MFAAt = now })
		if err != nil {
			t.Fatalf("Rotate: %v", err)
		}
		_, err = p.m2.Validate(ctx, tok)
		wantUnauthenticated(t, "old token on 2 after Rotate on 1", err)
		if got, err := p.m2.Validate(ctx, tok2); err != nil || !got.MFAVerified() {
			t.Errorf("new token on 2 = %+v, %v", got, err)
		}
	})
	t.Run("RevokeUser on the other and logout", func(t *testing.T) {
		tokA, _ := create()
		tokB, _ := create()
		p.warm(t, tokA)
		if _, err := p.m1.Validate(ctx, tokB); err != nil {
			t.Fatal(err)
		}
		if _, err := p.m2.RevokeUser(ctx, u.OrgID, u.ID, "", session.ReasonDeactivated); err != nil {
			t.Fatalf("RevokeUser: %v", err)
		}
		for _, m := range []*session.Manager{p.m1, p.m2} {
			for _, tok := range []string{tokA, tokB} {
				_, err := m.Validate(ctx, tok)
				wantUnauthenticated(t, "Validate after RevokeUser", err)
			}
		}
		tokC, _ := create()
		p.warm(t, tokC)
		if err := p.m1.Logout(ctx, tokC); err != nil {
			t.Fatal(err)
		}
		_, err := p.m2.Validate(ctx, tokC)
		wantUnauthenticated(t, "Validate on 2 after Logout on 1", err)
	})
	_ = s
}

// TestRedisConcurrentRevoke: instance 2 validates from many goroutines while
// instance 1 revokes; nothing that starts after Revoke returns succeeds.
func TestRedisConcurrentRevoke(t *testing.T) {
	p := newRedisPair(t, session.RedisCacheOptions{})
	ctx := context.Background()
	u := p.user(t, identity.RolePatient)
	tok, s, err := p.m1.Create(ctx, session.NewSession{OrgID: u.OrgID, UserID: u.ID, Role: u.Role})
	if err != nil {
		t.Fatal(err)
	}
	p.warm(t, tok)
	var revoked atomic.Bool
	var after, late atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for n := 0; n < 100; {
				done := revoked.Load()
				_, err := p.m2.Validate(ctx, tok)
				if err != nil && !errs.Is(err, errs.Unauthenticated) {
					t.Errorf("Validate: %v", err)
					return
				}
				if done {
					n++
					after.Add(1)
					if err == nil {
						late.Add(1)
					}
				}
			}
		})
	}
	if err := p.m1.Revoke(ctx, u.OrgID, u.ID, s.ID, session.ReasonAdmin); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	revoked.Store(true)
	wg.Wait()
	if late.Load() != 0 || after.Load() == 0 {
		t.Errorf("%d of %d validations after Revoke succeeded, want none", late.Load(), after.Load())
	}
}

// TestRedisTombstone: a lookup that read the store before a revocation
// cannot put the session back, in Redis or locally, on any instance.
func TestRedisTombstone(t *testing.T) {
	p := newRedisPair(t, session.RedisCacheOptions{})
	ctx := context.Background()
	h := hashOf("raced")
	s := session.Session{ID: "s1", Role: identity.RolePatient}
	gen := p.c2.Generation()
	if err := p.c1.Invalidate(ctx, h); err != nil {
		t.Fatalf("Invalidate: %v", err)
	}
	p.c2.Put(ctx, h, s, gen)               // the racing lookup
	p.c2.Put(ctx, h, s, p.c2.Generation()) // even with a current generation, Redis refuses
	for i, c := range []*session.RedisCache{p.c1, p.c2} {
		if _, ok := c.Get(ctx, h); ok {
			t.Errorf("instance %d has the revoked session back", i+1)
		}
	}
	if v, err := p.rdb.Get(ctx, p.prefix+"s:"+h.String()).Result(); err != nil || v != "revoked" {
		t.Errorf("Redis holds %q, %v; want the tombstone", v, err)
	}
}

// TestRedisUnconfirmed: an instance that hears the announcement but never
// confirms makes Invalidate (and so Revoke) report Unavailable.
func TestRedisUnconfirmed(t *testing.T) {
	p := newRedisPair(t, session.RedisCacheOptions{AckTimeout: 200 * time.Millisecond})
	ctx := context.Background()
	mute := p.rdb.Subscribe(ctx, p.prefix+"revoked")
	defer func() { _ = mute.Close() }()
	if _, err := mute.Receive(ctx); err != nil { // the subscription's confirmation
		t.Fatal(err)
	}
	u := p.user(t, identity.RoleStaff)
	_, s, err := p.m1.Create(ctx, session.NewSession{OrgID: u.OrgID, UserID: u.ID, Role: u.Role})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.m1.Revoke(ctx, u.OrgID, u.ID, s.ID, session.ReasonAdmin); !errs.Is(err, errs.Unavailable) {
		t.Errorf("Revoke with a silent instance = %v, want Unavailable", err)
	}
	// The revocation itself is stored.
	if list, err := p.m1.List(ctx, u.OrgID, u.ID); err != nil || len(list) != 0 {
		t.Errorf("List = %+v, %v; want the session gone", list, err)
	}
}
