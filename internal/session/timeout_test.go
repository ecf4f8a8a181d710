package session_test

import (
	"context"
	"testing"
	"time"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/identity"
	"github.com/astralcore/astral/internal/session"
)

// TestTimeouts is SECURITY.md's HIPAA automatic-logoff row on a fake clock:
// each step moves the clock to an offset from login and validates.
func TestTimeouts(t *testing.T) {
	type step struct {
		at     time.Duration // since login
		wantOK bool
	}
	every := func(from, to, by time.Duration) []step {
		var ss []step
		for d := from; d <= to; d += by {
			ss = append(ss, step{d, true})
		}
		return ss
	}
	tests := []struct {
		name     string
		role     identity.Role
		remember bool
		steps    []step
	}{
		{"staff idle 15m01s", identity.RoleTherapist, false, []step{{15*time.Minute + time.Second, false}}},
		{"staff ends exactly at 15m", identity.RoleAdmin, false, []step{{15 * time.Minute, false}}},
		{"staff still in at 14m59s", identity.RoleStaff, false, []step{{14*time.Minute + 59*time.Second, true}}},
		{"activity at 14m extends idle", identity.RoleTherapist, false, []step{
			{14 * time.Minute, true}, {28 * time.Minute, true}, {42 * time.Minute, true},
			{57*time.Minute + time.Second, false},
		}},
		{"absolute 12h regardless of activity", identity.RoleSupervisor, false,
			append(every(10*time.Minute, 11*time.Hour+50*time.Minute, 10*time.Minute), step{12 * time.Hour, false})},
		{"patient idle 30m", identity.RolePatient, false, []step{
			{29 * time.Minute, true}, {58 * time.Minute, true}, {88*time.Minute + time.Second, false},
		}},
		{"patient 30m01s", identity.RolePatient, false, []step{{30*time.Minute + time.Second, false}}},
		{"patient remembered 30 days", identity.RolePatient, true, []step{
			{12 * time.Hour, true}, {20 * 24 * time.Hour, true}, {30*24*time.Hour - time.Second, true},
			{30 * 24 * time.Hour, false},
		}},
		{"remembered ends at 30 days even with activity", identity.RolePatient, true,
			append(every(24*time.Hour, 29*24*time.Hour, 24*time.Hour), step{30*24*time.Hour + time.Second, false})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			ctx := context.Background()
			tok, s := f.login(t, f.user(t, tt.role), tt.remember)
			start := f.clk.Now()
			for _, st := range tt.steps {
				f.clk.Advance(start.Add(st.at).Sub(f.clk.Now()))
				got, err := f.m.Validate(ctx, tok)
				if !st.wantOK {
					wantUnauthenticated(t, "Validate at +"+st.at.String(), err)
					continue
				}
				if err != nil {
					t.Fatalf("Validate at +%v: %v", st.at, err)
				}
				if got.ID != s.ID || !got.LastSeenAt.Equal(f.clk.Now()) {
					t.Errorf("Validate at +%v = %+v, want session %s seen now", st.at, got, s.ID)
				}
				if exp := f.m.ExpiresAt(got); exp.After(s.AbsoluteExpiry) || !exp.After(f.clk.Now()) {
					t.Errorf("ExpiresAt at +%v = %v, want after now and not after %v", st.at, exp, s.AbsoluteExpiry)
				}
			}
		})
	}
}

func TestExpiresAt(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tok, s := f.login(t, f.user(t, identity.RoleTherapist), false)
	if got, want := f.m.ExpiresAt(s), f.clk.Now().Add(15*time.Minute); !got.Equal(want) {
		t.Errorf("ExpiresAt after login = %v, want %v", got, want)
	}
	// Near the absolute end, the absolute deadline wins: 51 × 14m = 11h54m.
	var got session.Session
	for range 51 {
		f.clk.Advance(14 * time.Minute)
		var err error
		if got, err = f.m.Validate(ctx, tok); err != nil {
			t.Fatalf("Validate: %v", err)
		}
	}
	if exp := f.m.ExpiresAt(got); !exp.Equal(s.AbsoluteExpiry) {
		t.Errorf("ExpiresAt 6 minutes before the end = %v, want the absolute expiry %v", exp, s.AbsoluteExpiry)
	}
}

func TestFreshAndMFA(t *testing.T) {
	t0 := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		s        session.Session
		now      time.Time
		within   time.Duration
		fresh    bool
		verified bool
	}{
		{"just logged in", session.Session{AuthTime: t0}, t0, 5 * time.Minute, true, false},
		{"5 minutes", session.Session{AuthTime: t0}, t0.Add(5 * time.Minute), 5 * time.Minute, true, false},
		{"5m01s", session.Session{AuthTime: t0}, t0.Add(5*time.Minute + time.Second), 5 * time.Minute, false, false},
		{"auth time in the future", session.Session{AuthTime: t0.Add(time.Minute)}, t0, 5 * time.Minute, false, false},
		{"never authenticated", session.Session{}, t0, time.Hour, false, false},
		{"with MFA", session.Session{AuthTime: t0, MFAAt: t0}, t0.Add(time.Hour), 5 * time.Minute, false, true},
	}
	for _, tt := range tests {
		if got := tt.s.Fresh(tt.now, tt.within); got != tt.fresh {
			t.Errorf("%s: Fresh = %v, want %v", tt.name, got, tt.fresh)
		}
		if got := tt.s.MFAVerified(); got != tt.verified {
			t.Errorf("%s: MFAVerified = %v, want %v", tt.name, got, tt.verified)
		}
	}
}

// TestRememberedNotFresh: a remembered session stays valid for weeks but is
// never fresh enough for PHI-sensitive actions without a new login.
func TestRememberedNotFresh(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tok, s := f.login(t, f.user(t, identity.RolePatient), true)
	if !s.Remembered || !s.Fresh(f.clk.Now(), 5*time.Minute) {
		t.Fatalf("new remembered session = %+v, want remembered and fresh", s)
	}
	f.clk.Advance(3 * 24 * time.Hour)
	got, err := f.m.Validate(ctx, tok)
	if err != nil {
		t.Fatalf("Validate after 3 days: %v", err)
	}
	if got.Fresh(f.clk.Now(), 5*time.Minute) {
		t.Error("a 3-day-old remembered session is Fresh")
	}
	// Re-authentication rotates the token and makes it fresh again.
	now := f.clk.Now()
	tok2, got, err := f.m.Rotate(ctx, tok, func(s *session.Session) { s.AuthTime = now })
	if err != nil || !got.Fresh(now, 5*time.Minute) || tok2 == tok {
		t.Errorf("Rotate after re-authentication = %+v, %v; want fresh with a new token", got, err)
	}
}

func TestCreateRefuses(t *testing.T) {
	f := newFixture(t)
	u := f.user(t, identity.RoleTherapist)
	for name, n := range map[string]session.NewSession{
		"no ids":           {Role: identity.RolePatient},
		"bad role":         {OrgID: u.OrgID, UserID: u.ID, Role: "root"},
		"remembered staff": {OrgID: u.OrgID, UserID: u.ID, Role: identity.RoleTherapist, Remember: true},
		"unknown user":     {OrgID: u.OrgID, UserID: "01900000-0000-7000-8000-000000000000", Role: identity.RolePatient},
		"other practice":   {OrgID: "nope", UserID: u.ID, Role: identity.RoleTherapist},
	} {
		if _, _, err := f.m.Create(context.Background(), n); !errs.Is(err, errs.Invalid) {
			t.Errorf("%s: Create = %v, want Invalid", name, err)
		}
	}
}
