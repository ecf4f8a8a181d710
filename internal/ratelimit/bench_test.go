package ratelimit_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/astralcore/astral/internal/ratelimit"
)

// benchKeys returns n distinct keys, built before the timer starts.
func benchKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = "login-ip:10.0." + strconv.Itoa(i>>8) + "." + strconv.Itoa(i&0xff)
	}
	return keys
}

func BenchmarkMemoryAllow(b *testing.B) {
	for _, n := range []int{1, 10_000} {
		b.Run(strconv.Itoa(n)+"keys", func(b *testing.B) {
			l := ratelimit.NewMemory()
			keys := benchKeys(n)
			limit := ratelimit.Limit{Rate: 1_000_000, Per: time.Second, Burst: 1000}
			ctx := context.Background()
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					if _, err := l.Allow(ctx, keys[i%n], limit); err != nil {
						b.Error(err)
						return
					}
					i++
				}
			})
		})
	}
}

func BenchmarkMemoryBackoffCheck(b *testing.B) {
	bo := ratelimit.NewMemoryBackoff()
	keys := benchKeys(10_000)
	ctx := context.Background()
	for i, k := range keys {
		if i%2 == 0 { // half the accounts have failures on record
			if err := bo.Fail(ctx, k); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := bo.Check(ctx, keys[i%len(keys)]); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}
