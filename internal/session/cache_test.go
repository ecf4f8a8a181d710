package session_test

import (
	"context"
	"crypto/sha256"
	"net/netip"
	"testing"
	"time"

	"github.com/astralcore/astral/internal/session"
)

func hashOf(s string) session.Hash { return sha256.Sum256([]byte(s)) }

func TestLocalCache(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	c := session.NewLocalCache(session.LocalCacheOptions{Size: 2, TTL: 30 * time.Second, Now: clk.Now})
	a, b, d := hashOf("a"), hashOf("b"), hashOf("d")
	put := func(h session.Hash, id string) { c.Put(ctx, h, session.Session{ID: id}, c.Generation()) }
	get := func(h session.Hash) string {
		s, ok := c.Get(ctx, h)
		if !ok {
			return ""
		}
		return s.ID
	}

	put(a, "A")
	put(b, "B")
	if get(a) != "A" { // a is now the most recently used
		t.Fatal("Get(a) missed")
	}
	put(d, "D") // evicts b, the least recently used
	if got := [3]string{get(a), get(b), get(d)}; got != [3]string{"A", "", "D"} {
		t.Errorf("after eviction = %q, want a and d kept", got)
	}

	// Entries expire after the TTL.
	clk.Advance(29 * time.Second)
	if get(a) != "A" {
		t.Error("entry gone before its TTL")
	}
	clk.Advance(time.Second)
	if get(a) != "" || c.Len() != 1 {
		t.Errorf("entry kept past its TTL (len %d)", c.Len())
	}

	// A Put that raced with an invalidation is refused.
	gen := c.Generation()
	if err := c.Invalidate(ctx, d); err != nil {
		t.Fatal(err)
	}
	c.Put(ctx, d, session.Session{ID: "D"}, gen)
	if get(d) != "" {
		t.Error("a stale Put brought an invalidated session back")
	}
	// Revoked sessions are never cached.
	now := clk.Now()
	c.Put(ctx, a, session.Session{ID: "A", RevokedAt: &now}, c.Generation())
	if get(a) != "" {
		t.Error("a revoked session was cached")
	}
	put(a, "A")
	c.Flush()
	if get(a) != "" || c.Len() != 0 {
		t.Error("Flush left entries")
	}
}

func TestParseDevice(t *testing.T) {
	tests := []struct {
		ua   string
		want session.Device
	}{
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
			session.Device{Browser: "Chrome", OS: "Windows"}},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87",
			session.Device{Browser: "Edge", OS: "Windows"}},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
			session.Device{Browser: "Safari", OS: "macOS"}},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
			session.Device{Browser: "Safari", OS: "iOS"}},
		{"Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1",
			session.Device{Browser: "Chrome", OS: "iOS"}},
		{"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.71 Mobile Safari/537.36",
			session.Device{Browser: "Chrome", OS: "Android"}},
		{"Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36",
			session.Device{Browser: "Samsung Internet", OS: "Android"}},
		{"Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
			session.Device{Browser: "Firefox", OS: "Linux"}},
		{"Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
			session.Device{Browser: "Chrome", OS: "ChromeOS"}},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 OPR/111.0.0.0",
			session.Device{Browser: "Opera", OS: "Windows"}},
		{"curl/8.8.0", session.Device{Browser: "curl"}},
		{"", session.Device{}},
		{"<script>alert(1)</script>", session.Device{}},
	}
	for _, tt := range tests {
		if got := session.ParseDevice(tt.ua); got != tt.want {
			t.Errorf("ParseDevice(%.40q) = %+v, want %+v", tt.ua, got, tt.want)
		}
	}
}

func TestPlaceOf(t *testing.T) {
	tests := map[string]string{
		"203.0.113.77":                  "203.0.113.0/24",
		"::ffff:203.0.113.77":           "203.0.113.0/24",
		"2001:db8:1234:5678::1":         "2001:db8:1234::/48",
		"fe80::1%eth0":                  "fe80::/48",
		"2001:db8:ffff:ffff:ffff::ffff": "2001:db8:ffff::/48",
	}
	for ip, want := range tests {
		if got := session.PlaceOf(netip.MustParseAddr(ip)); got != want {
			t.Errorf("PlaceOf(%s) = %q, want %q", ip, got, want)
		}
	}
	if got := session.PlaceOf(netip.Addr{}); got != "" {
		t.Errorf("PlaceOf(invalid) = %q, want empty", got)
	}
}
