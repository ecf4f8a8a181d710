package ratelimit_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/astralcore/astral/internal/ratelimit"
)

func TestRetryAfterSeconds(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{-time.Second, "0"},
		{0, "0"},
		{time.Nanosecond, "1"},
		{time.Second, "1"},
		{time.Second + time.Millisecond, "2"},
		{3 * time.Second, "3"},
		{15 * time.Minute, "900"},
	}
	for _, tt := range tests {
		if got := ratelimit.RetryAfterSeconds(tt.d); got != tt.want {
			t.Errorf("RetryAfterSeconds(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestIPKey(t *testing.T) {
	tests := []struct {
		addr netip.Addr
		want string
	}{
		{netip.MustParseAddr("203.0.113.9"), "login-ip:203.0.113.9"},
		{netip.MustParseAddr("::ffff:203.0.113.9"), "login-ip:203.0.113.9"},
		{netip.MustParseAddr("2001:db8:1:2:3:4:5:6"), "login-ip:2001:db8:1:2::/64"},
		{netip.MustParseAddr("2001:db8:1:2:ffff::1"), "login-ip:2001:db8:1:2::/64"},
		{netip.MustParseAddr("fe80::1%eth0"), "login-ip:fe80::/64"},
		{netip.Addr{}, "login-ip:invalid"},
	}
	for _, tt := range tests {
		if got := ratelimit.IPKey("login-ip", tt.addr); got != tt.want {
			t.Errorf("IPKey(%v) = %q, want %q", tt.addr, got, tt.want)
		}
	}
}

func TestLimitValidate(t *testing.T) {
	tests := []struct {
		limit ratelimit.Limit
		ok    bool
	}{
		{ratelimit.Limit{Rate: 1, Per: time.Second, Burst: 1}, true},
		{ratelimit.Limit{Rate: 1_000_000, Per: time.Second, Burst: 1}, true},
		{ratelimit.Limit{}, false},
		{ratelimit.Limit{Rate: 0, Per: time.Second, Burst: 1}, false},
		{ratelimit.Limit{Rate: 1, Per: 0, Burst: 1}, false},
		{ratelimit.Limit{Rate: 1, Per: time.Second, Burst: 0}, false},
		{ratelimit.Limit{Rate: 2_000_000, Per: time.Second, Burst: 1}, false},     // interval < 1 µs
		{ratelimit.Limit{Rate: 1, Per: 24 * time.Hour, Burst: 1 << 20}, false},    // window ~2900 years
		{ratelimit.Limit{Rate: 1, Per: 24 * time.Hour, Burst: 10 * 365}, true},    // window 10 years
		{ratelimit.Limit{Rate: 1, Per: 24 * time.Hour, Burst: 10*365 + 1}, false}, // just over
	}
	for _, tt := range tests {
		if err := tt.limit.Validate(); (err == nil) != tt.ok {
			t.Errorf("%+v.Validate() = %v, want ok=%v", tt.limit, err, tt.ok)
		}
	}
}

func TestDefaultsAreValid(t *testing.T) {
	limits := map[string]ratelimit.Limit{
		"LoginPerIP":      ratelimit.LoginPerIP,
		"RegisterPerIP":   ratelimit.RegisterPerIP,
		"MFAPerSession":   ratelimit.MFAPerSession,
		"ResetPerIP":      ratelimit.ResetPerIP,
		"ResetPerAccount": ratelimit.ResetPerAccount,
		"ExportPerUser":   ratelimit.ExportPerUser,
		"UploadPerUser":   ratelimit.UploadPerUser,
		"SearchPerUser":   ratelimit.SearchPerUser,
	}
	for name, l := range limits {
		if err := l.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := ratelimit.DefaultBackoff.Validate(); err != nil {
		t.Errorf("DefaultBackoff: %v", err)
	}
}

func TestBackoffPolicyWait(t *testing.T) {
	p := ratelimit.DefaultBackoff
	tests := []struct {
		failures int
		want     time.Duration
	}{
		{0, 0}, {5, 0}, {6, time.Second}, {7, 2 * time.Second}, {15, 512 * time.Second},
		{16, 15 * time.Minute}, {100, 15 * time.Minute}, {1 << 30, 15 * time.Minute},
	}
	for _, tt := range tests {
		if got := p.Wait(tt.failures); got != tt.want {
			t.Errorf("Wait(%d) = %v, want %v", tt.failures, got, tt.want)
		}
	}
}
