package session_test

import (
	"context"
	"testing"

	"github.com/astralcore/astral/internal/identity"
	"github.com/astralcore/astral/internal/policy"
	"github.com/astralcore/astral/internal/session"
)

// BenchmarkValidateWarm measures what every authenticated request pays: a
// Validate answered from the in-process cache, then the access decision for
// reading one's own profile. The target is at most 20 µs together.
func BenchmarkValidateWarm(b *testing.B) {
	f := newFixture(b)
	ctx := context.Background()
	u := f.user(b, identity.RoleTherapist)
	tok, _ := f.login(b, u, false)
	p := policy.New(f.db)
	if _, err := f.m.Validate(ctx, tok); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			s, err := f.m.Validate(ctx, tok)
			if err != nil {
				b.Fatal(err)
			}
			actor := identity.Actor{UserID: s.UserID, OrgID: s.OrgID, Role: s.Role}
			if _, err := p.Authorize(ctx, actor, identity.ActionReadProfile, identity.Subject{OrgID: s.OrgID, UserID: s.UserID, Role: s.Role}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// noCache never holds anything, so every Validate reads the store.
type noCache struct{}

func (noCache) Generation() uint64 { return 0 }
func (noCache) Get(context.Context, session.Hash) (session.Session, bool) {
	return session.Session{}, false
}
func (noCache) Put(context.Context, session.Hash, session.Session, uint64) {}
func (noCache) Invalidate(context.Context, ...session.Hash) error          { return nil }

// BenchmarkValidateCold measures a Validate that misses the cache and reads
// SQLite, for comparison.
func BenchmarkValidateCold(b *testing.B) {
	f := newFixture(b)
	ctx := context.Background()
	m := session.New(f.db, noCache{}, session.Options{Now: f.clk.Now})
	tok, _ := f.login(b, f.user(b, identity.RolePatient), false)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Validate(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}
