package password

import (
	"context"
	"testing"
)

// The hashing benchmarks use DefaultParams, the production cost.

func BenchmarkHash(b *testing.B) {
	h := mustHasher(b, DefaultParams, 0)
	ctx := context.Background()
	for b.Loop() {
		if _, err := h.Hash(ctx, "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	h := mustHasher(b, DefaultParams, 0)
	stored := mustHash(b, h, "correct horse battery staple")
	ctx := context.Background()
	for b.Loop() {
		if ok, _, err := h.Verify(ctx, "correct horse battery staple", stored); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

// BenchmarkCommonLoad measures loading the bundled list, once per start-up
// in production, and reports its size.
func BenchmarkCommonLoad(b *testing.B) {
	var n int
	for b.Loop() {
		set, err := loadCommon(commonGz)
		if err != nil {
			b.Fatal(err)
		}
		n = len(set)
	}
	b.ReportMetric(float64(n), "entries")
	b.ReportMetric(float64(len(commonGz)), "gzip-bytes")
}

func BenchmarkCommonLookup(b *testing.B) {
	if _, err := CommonCount(); err != nil {
		b.Fatal(err)
	}
	words := []string{"Password", "correct horse battery staple", "1Q2W3E4R5T6Y", "Zq7#pLmWx2!v"}
	i := 0
	for b.Loop() {
		if _, err := isCommon(words[i%len(words)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
