package phi_test

import (
	"context"
	"testing"

	"github.com/astralcore/astral/internal/phi"
)

// BenchmarkSealOpen seals and opens a 1 KiB field under a cached key.
func BenchmarkSealOpen(b *testing.B) {
	e := newEnv(b, phi.KeyringOptions{})
	ctx := context.Background()
	aad := noteAAD("0190b4c0-3c1e-7000-8000-000000000001")
	pt := make([]byte, 1024)
	mustSeal(b, e.ring, alice, aad, "warm the cache")
	b.SetBytes(int64(len(pt)))
	b.ReportAllocs()
	for b.Loop() {
		ct, err := e.ring.Seal(ctx, alice, aad, pt)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := e.ring.Open(ctx, ct, aad); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSealOpenParallel is BenchmarkSealOpen on every CPU at once, with
// one patient per goroutine, to show cache lock contention.
func BenchmarkSealOpenParallel(b *testing.B) {
	e := newEnv(b, phi.KeyringOptions{})
	ctx := context.Background()
	aad := noteAAD("0190b4c0-3c1e-7000-8000-000000000001")
	mustSeal(b, e.ring, alice, aad, "warm the cache")
	b.SetBytes(1024)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		pt := make([]byte, 1024)
		for pb.Next() {
			ct, err := e.ring.Seal(ctx, alice, aad, pt)
			if err != nil {
				b.Error(err)
				return
			}
			if _, err := e.ring.Open(ctx, ct, aad); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkBlindIndex(b *testing.B) {
	e := newEnv(b, phi.KeyringOptions{})
	ctx := context.Background()
	email := phi.NormalizeEmail("Alice.Example@Example.org")
	if _, err := e.ring.BlindIndex(ctx, orgA, "users", "email", email); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.ring.BlindIndex(ctx, orgA, "users", "email", email); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDataKeyCached(b *testing.B) {
	e := newEnv(b, phi.KeyringOptions{})
	ctx := context.Background()
	if _, err := e.ring.DataKey(ctx, alice); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.ring.DataKey(ctx, alice); err != nil {
			b.Fatal(err)
		}
	}
}
