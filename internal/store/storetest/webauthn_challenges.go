package storetest

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/mfa"
	"github.com/astralcore/astral/internal/store"
)

// webAuthnSessionKey returns a 64-character session key made of c.
func webAuthnSessionKey(c byte) string { return strings.Repeat(string(c), 64) }

func testWebAuthnChallenges(t *testing.T, db *store.DB) {
	ctx := context.Background()
	base := time.Date(2030, 1, 2, 3, 4, 5, 123456000, time.UTC)
	a := mfa.WebAuthnChallenge{SessionKey: webAuthnSessionKey('a'), Ceremony: mfa.WebAuthnLogin,
		Data: []byte(`{"first":1}`), ExpiresAt: base}
	if err := db.PutWebAuthnChallenge(ctx, a); err != nil {
		t.Fatalf("PutWebAuthnChallenge: %v", err)
	}
	// A second Begin in the same session replaces the first.
	a.Data, a.ExpiresAt = []byte(`{"second":2}`), base.Add(time.Minute)
	if err := db.PutWebAuthnChallenge(ctx, a); err != nil {
		t.Fatalf("PutWebAuthnChallenge again: %v", err)
	}
	// Other ceremonies and other sessions have slots of their own.
	reg := mfa.WebAuthnChallenge{SessionKey: a.SessionKey, Ceremony: mfa.WebAuthnRegistration, Data: []byte(`{}`), ExpiresAt: base}
	other := mfa.WebAuthnChallenge{SessionKey: webAuthnSessionKey('b'), Ceremony: mfa.WebAuthnLogin, Data: []byte(`{}`), ExpiresAt: base.Add(-time.Hour)}
	for _, c := range []mfa.WebAuthnChallenge{reg, other} {
		if err := db.PutWebAuthnChallenge(ctx, c); err != nil {
			t.Fatalf("PutWebAuthnChallenge(%s): %v", c.Ceremony, err)
		}
	}

	_, err := db.TakeWebAuthnChallenge(ctx, webAuthnSessionKey('c'), mfa.WebAuthnLogin)
	wantKind(t, err, errs.NotFound)
	got, err := db.TakeWebAuthnChallenge(ctx, a.SessionKey, mfa.WebAuthnLogin)
	if err != nil {
		t.Fatalf("TakeWebAuthnChallenge: %v", err)
	}
	if diff := cmp.Diff(a, got); diff != "" {
		t.Errorf("TakeWebAuthnChallenge mismatch (-want +got):\n%s", diff)
	}
	_, err = db.TakeWebAuthnChallenge(ctx, a.SessionKey, mfa.WebAuthnLogin)
	wantKind(t, err, errs.NotFound) // single use

	// Expired challenges are swept; pending ones stay.
	n, err := db.DeleteExpiredWebAuthnChallenges(ctx, base.Add(-time.Minute))
	if err != nil || n != 1 {
		t.Fatalf("DeleteExpiredWebAuthnChallenges = %d, %v; want 1", n, err)
	}
	_, err = db.TakeWebAuthnChallenge(ctx, other.SessionKey, mfa.WebAuthnLogin)
	wantKind(t, err, errs.NotFound)
	if got, err := db.TakeWebAuthnChallenge(ctx, reg.SessionKey, mfa.WebAuthnRegistration); err != nil || string(got.Data) != "{}" {
		t.Errorf("TakeWebAuthnChallenge(registration) = %+v, %v", got, err)
	}

	for _, bad := range []mfa.WebAuthnChallenge{
		{SessionKey: webAuthnSessionKey('d'), Ceremony: "unknown", Data: []byte(`{}`), ExpiresAt: base},
		{SessionKey: "short", Ceremony: mfa.WebAuthnLogin, Data: []byte(`{}`), ExpiresAt: base},
	} {
		wantKind(t, db.PutWebAuthnChallenge(ctx, bad), errs.Invalid)
	}
}

// testWebAuthnChallengeTakenOnce races several Finish calls for one
// challenge: exactly one may get it.
func testWebAuthnChallengeTakenOnce(t *testing.T, db *store.DB) {
	ctx := context.Background()
	c := mfa.WebAuthnChallenge{SessionKey: webAuthnSessionKey('e'), Ceremony: mfa.WebAuthnDiscoverableLogin,
		Data: []byte(`{}`), ExpiresAt: time.Now().Add(time.Minute)}
	if err := db.PutWebAuthnChallenge(ctx, c); err != nil {
		t.Fatalf("PutWebAuthnChallenge: %v", err)
	}
	const racers = 8
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		got, lost int
	)
	for range racers {
		wg.Go(func() {
			_, err := db.TakeWebAuthnChallenge(ctx, c.SessionKey, c.Ceremony)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				got++
			case errs.Is(err, errs.NotFound):
				lost++
			default:
				t.Errorf("TakeWebAuthnChallenge: %v", err)
			}
		})
	}
	wg.Wait()
	if got != 1 || lost != racers-1 {
		t.Errorf("%d callers got the challenge and %d did not; want 1 and %d", got, lost, racers-1)
	}
}
