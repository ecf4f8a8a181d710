package storetest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/identity"
	"github.com/astralcore/astral/internal/session"
	"github.com/astralcore/astral/internal/store"
)

// RunSessions runs the contract suite of the session store (sessions and
// API tokens). newDB is as for Run.
func RunSessions(t *testing.T, newDB func(t *testing.T) *store.DB) {
	tests := []struct {
		name string
		fn   func(t *testing.T, db *store.DB)
	}{
		{"CreateAndRead", testSessionCreateRead},
		{"Rotate", testSessionRotate},
		{"Touch", testSessionTouch},
		{"Revoke", testSessionRevoke},
		{"RevokeUser", testSessionRevokeUser},
		{"ListAndDelete", testSessionListDelete},
		{"Schema", testSessionSchema},
		{"APITokens", testAPITokens},
		{"APITokenOwner", testAPITokenOwner},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, newDB(t))
		})
	}
}

// sessionT0 is the suite's clock: the store takes every session time from
// its caller, so the tests need no real clock.
var sessionT0 = time.Date(2031, 3, 4, 5, 6, 7, 123456000, time.UTC)

// NewHash returns a random token hash.
func NewHash(tb testing.TB) session.Hash {
	tb.Helper()
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return sha256.Sum256(b)
}

// SessionFor returns an unsaved session of u that started at t.
func SessionFor(tb testing.TB, u identity.User, t time.Time) session.Session {
	tb.Helper()
	return session.Session{
		ID: uuid.Must(uuid.NewV7()).String(), OrgID: u.OrgID, UserID: u.ID, Role: u.Role,
		CreatedAt: t, LastSeenAt: t, IdleTimeout: 15 * time.Minute, AbsoluteExpiry: t.Add(12 * time.Hour),
		AuthTime: t, Device: session.Device{Browser: "Firefox", OS: "Linux"}, Place: "192.0.2.0/24",
	}
}

// MustSession stores a session of u that started at t and returns it with
// its hash.
func MustSession(tb testing.TB, db *store.DB, u identity.User, t time.Time) (session.Session, session.Hash) {
	tb.Helper()
	s, h := SessionFor(tb, u, t), NewHash(tb)
	if err := db.CreateSession(context.Background(), s, h); err != nil {
		tb.Fatalf("CreateSession: %v", err)
	}
	return s, h
}

func mustSessionByHash(t *testing.T, db *store.DB, h session.Hash) session.Session {
	t.Helper()
	s, err := db.SessionByTokenHash(context.Background(), h)
	if err != nil {
		t.Fatalf("SessionByTokenHash: %v", err)
	}
	return s
}

func testSessionCreateRead(t *testing.T, db *store.DB) {
	ctx := context.Background()
	o := MustOrganization(t, db)
	u := MustUser(t, db, o.ID, identity.RolePatient)
	s := SessionFor(t, u, sessionT0)
	s.MFAAt, s.Remembered, s.IdleTimeout = sessionT0.Add(time.Second), true, 30*time.Minute+500*time.Millisecond
	h := NewHash(t)
	if err := db.CreateSession(ctx, s, h); err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	if diff := cmp.Diff(s, mustSessionByHash(t, db, h)); diff != "" {
		t.Errorf("SessionByTokenHash mismatch (-created +read):\n%s", diff)
	}
	// Without a second factor, MFAAt reads back as the zero time.
	s2, h2 := MustSession(t, db, u, sessionT0)
	if got := mustSessionByHash(t, db, h2); !got.MFAAt.IsZero() || got.ID != s2.ID {
		t.Errorf("session without MFA = %+v", got)
	}

	_, err := db.SessionByTokenHash(ctx, NewHash(t))
	wantKind(t, err, errs.NotFound)
	// The same hash twice is a conflict; an unknown user is invalid.
	wantKind(t, db.CreateSession(ctx, SessionFor(t, u, sessionT0), h), errs.Conflict)
	stranger := u
	stranger.ID = uuid.Must(uuid.NewV7()).String()
	wantKind(t, db.CreateSession(ctx, SessionFor(t, stranger, sessionT0), NewHash(t)), errs.Invalid)
	revoked := SessionFor(t, u, sessionT0)
	revoked.RevokedAt = &sessionT0
	wantKind(t, db.CreateSession(ctx, revoked, NewHash(t)), errs.Invalid)
}

func testSessionRotate(t *testing.T, db *store.DB) {
	ctx := context.Background()
	o := MustOrganization(t, db)
	u := MustUser(t, db, o.ID, identity.RoleTherapist)
	s, old := MustSession(t, db, u, sessionT0)
	next := NewHash(t)
	at := sessionT0.Add(5 * time.Minute)

	// A stale old hash changes nothing.
	wantKind(t, db.RotateSession(ctx, s.ID, NewHash(t), next, at, at, at), errs.NotFound)
	if err := db.RotateSession(ctx, s.ID, old, next, at, at, at); err != nil {
		t.Fatalf("RotateSession: %v", err)
	}
	_, err := db.SessionByTokenHash(ctx, old)
	wantKind(t, err, errs.NotFound)
	got := mustSessionByHash(t, db, next)
	if got.ID != s.ID || !got.AuthTime.Equal(at) || !got.MFAAt.Equal(at) || !got.LastSeenAt.Equal(at) {
		t.Errorf("after RotateSession = %+v", got)
	}
	// Rotating twice from the same old hash fails: one winner.
	wantKind(t, db.RotateSession(ctx, s.ID, old, NewHash(t), at, at, at), errs.NotFound)
	// A revoked session cannot be rotated.
	if _, err := db.RevokeSession(ctx, o.ID, u.ID, s.ID, session.ReasonLogout, at); err != nil {
		t.Fatal(err)
	}
	wantKind(t, db.RotateSession(ctx, s.ID, next, NewHash(t), at, time.Time{}, at), errs.NotFound)
}

func testSessionTouch(t *testing.T, db *store.DB) {
	ctx := context.Background()
	o := MustOrganization(t, db)
	u := MustUser(t, db, o.ID, identity.RoleStaff)
	s, h := MustSession(t, db, u, sessionT0)
	steps := []struct {
		at, want time.Time
	}{
		{sessionT0.Add(2 * time.Minute), sessionT0.Add(2 * time.Minute)},
		{sessionT0.Add(time.Minute), sessionT0.Add(2 * time.Minute)}, // never backwards
		{sessionT0.Add(3 * time.Minute), sessionT0.Add(3 * time.Minute)},
	}
	for _, st := range steps {
		if err := db.TouchSession(ctx, s.ID, st.at); err != nil {
			t.Fatalf("TouchSession: %v", err)
		}
		if got := mustSessionByHash(t, db, h).LastSeenAt; !got.Equal(st.want) {
			t.Errorf("after TouchSession(%v): LastSeenAt = %v, want %v", st.at, got, st.want)
		}
	}
	if _, err := db.RevokeSession(ctx, o.ID, u.ID, s.ID, session.ReasonAdmin, sessionT0.Add(4*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := db.TouchSession(ctx, s.ID, sessionT0.Add(5*time.Minute)); err != nil {
		t.Fatalf("TouchSession of a revoked session: %v", err)
	}
	if got := mustSessionByHash(t, db, h).LastSeenAt; !got.Equal(sessionT0.Add(3 * time.Minute)) {
		t.Errorf("a revoked session was touched: LastSeenAt = %v", got)
	}
}

func testSessionRevoke(t *testing.T, db *store.DB) {
	ctx := context.Background()
	o, other := MustOrganization(t, db), MustOrganization(t, db)
	u := MustUser(t, db, o.ID, identity.RolePatient)
	v := MustUser(t, db, o.ID, identity.RolePatient)
	s, h := MustSession(t, db, u, sessionT0)

	// Another person's or practice's ids find nothing.
	for _, ids := range [][2]string{{other.ID, u.ID}, {o.ID, v.ID}, {o.ID, u.ID + "x"}} {
		id := s.ID
		if ids[1] == u.ID+"x" {
			ids[1], id = u.ID, uuid.Must(uuid.NewV7()).String()
		}
		_, err := db.RevokeSession(ctx, ids[0], ids[1], id, session.ReasonAdmin, sessionT0)
		wantKind(t, err, errs.NotFound)
	}
	if got := mustSessionByHash(t, db, h); got.RevokedAt != nil {
		t.Fatalf("a refused revoke revoked: %+v", got)
	}

	at := sessionT0.Add(time.Minute)
	got, err := db.RevokeSession(ctx, o.ID, u.ID, s.ID, session.ReasonLogout, at)
	if err != nil || got != h {
		t.Fatalf("RevokeSession = %x, %v; want the session's hash", got, err)
	}
	// Again: not an error, the first time and reason stay.
	if got, err := db.RevokeSession(ctx, o.ID, u.ID, s.ID, session.ReasonAdmin, at.Add(time.Hour)); err != nil || got != h {
		t.Fatalf("second RevokeSession = %x, %v", got, err)
	}
	r := mustSessionByHash(t, db, h)
	if r.RevokedAt == nil || !r.RevokedAt.Equal(at) || r.RevokeReason != session.ReasonLogout {
		t.Errorf("revoked session = %+v, want revoked at %v for logout", r, at)
	}
}

func testSessionRevokeUser(t *testing.T, db *store.DB) {
	ctx := context.Background()
	o := MustOrganization(t, db)
	u := MustUser(t, db, o.ID, identity.RoleAdmin)
	v := MustUser(t, db, o.ID, identity.RoleAdmin)
	keep, keepH := MustSession(t, db, u, sessionT0)
	_, h1 := MustSession(t, db, u, sessionT0)
	_, h2 := MustSession(t, db, u, sessionT0)
	_, vh := MustSession(t, db, v, sessionT0)

	at := sessionT0.Add(time.Minute)
	hs, err := db.RevokeUserSessions(ctx, o.ID, u.ID, keep.ID, session.ReasonPasswordChanged, at)
	if err != nil {
		t.Fatalf("RevokeUserSessions: %v", err)
	}
	want := map[session.Hash]bool{h1: true, h2: true}
	if len(hs) != 2 || !want[hs[0]] || !want[hs[1]] || hs[0] == hs[1] {
		t.Errorf("RevokeUserSessions returned %d hashes, want the two others", len(hs))
	}
	for h, revoked := range map[session.Hash]bool{keepH: false, h1: true, h2: true, vh: false} {
		s := mustSessionByHash(t, db, h)
		if (s.RevokedAt != nil) != revoked || (revoked && s.RevokeReason != session.ReasonPasswordChanged) {
			t.Errorf("session %s: revoked %v (%q), want %v", s.ID, s.RevokedAt, s.RevokeReason, revoked)
		}
	}
	// Without an exception, the rest go too; revoked ones are not returned again.
	hs, err = db.RevokeUserSessions(ctx, o.ID, u.ID, "", session.ReasonDeactivated, at)
	if err != nil || len(hs) != 1 || hs[0] != keepH {
		t.Errorf("RevokeUserSessions(all) = %d hashes, %v; want the kept one", len(hs), err)
	}
	hs, err = db.RevokeUserSessions(ctx, o.ID, u.ID, "", session.ReasonDeactivated, at)
	if err != nil || len(hs) != 0 || hs == nil {
		t.Errorf("RevokeUserSessions(none left) = %v, %v; want an empty slice", hs, err)
	}
}

func testSessionListDelete(t *testing.T, db *store.DB) {
	ctx := context.Background()
	o := MustOrganization(t, db)
	u := MustUser(t, db, o.ID, identity.RoleTherapist)
	older, _ := MustSession(t, db, u, sessionT0)
	newer, _ := MustSession(t, db, u, sessionT0.Add(time.Hour))
	gone, _ := MustSession(t, db, u, sessionT0)
	early, _ := MustSession(t, db, u, sessionT0.Add(-11*time.Hour)) // absolute expiry at T0+1h
	MustSession(t, db, MustUser(t, db, o.ID, identity.RoleTherapist), sessionT0)
	if _, err := db.RevokeSession(ctx, o.ID, u.ID, gone.ID, session.ReasonRevoked, sessionT0); err != nil {
		t.Fatal(err)
	}

	ids := func(now time.Time) []string {
		t.Helper()
		ss, err := db.Sessions(ctx, o.ID, u.ID, now)
		if err != nil {
			t.Fatalf("Sessions: %v", err)
		}
		out := []string{}
		for _, s := range ss {
			out = append(out, s.ID)
		}
		return out
	}
	if diff := cmp.Diff([]string{newer.ID, older.ID, early.ID}, ids(sessionT0.Add(30*time.Minute))); diff != "" {
		t.Errorf("Sessions at T0+30m (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{newer.ID, older.ID}, ids(sessionT0.Add(time.Hour))); diff != "" {
		t.Errorf("Sessions at T0+1h (-want +got):\n%s", diff)
	}
	if got := ids(sessionT0.Add(24 * time.Hour)); len(got) != 0 {
		t.Errorf("Sessions a day later = %v, want none", got)
	}

	// Ended before T0+2h: the revoked one and the early one.
	n, err := db.DeleteSessionsEndedBefore(ctx, sessionT0.Add(2*time.Hour))
	if err != nil || n != 2 {
		t.Errorf("DeleteSessionsEndedBefore = %d, %v; want 2", n, err)
	}
	if diff := cmp.Diff([]string{newer.ID, older.ID}, ids(sessionT0)); diff != "" {
		t.Errorf("Sessions after delete (-want +got):\n%s", diff)
	}
}

// testSessionSchema shows the schema itself refuses what the Go code never
// sends: a hash of the wrong length (a raw token, say) and a revocation
// without a reason.
func testSessionSchema(t *testing.T, db *store.DB) {
	o := MustOrganization(t, db)
	u := MustUser(t, db, o.ID, identity.RolePatient)
	s, _ := MustSession(t, db, u, sessionT0)
	err := rawExec(db, `INSERT INTO sessions (id, token_hash, org_id, user_id, role, created_at, last_seen_at,
		idle_timeout_ms, expires_at, auth_time, remembered, device_browser, device_os, place, revoke_reason)
		SELECT 'raw', ?, org_id, user_id, role, created_at, last_seen_at, idle_timeout_ms, expires_at, auth_time,
		remembered, '', '', '', '' FROM sessions WHERE id = ?`, []byte("a-raw-token-is-not-a-hash"), s.ID)
	if err == nil {
		t.Error("schema accepted a token hash of the wrong length")
	}
	if err := rawExec(db, `UPDATE sessions SET revoked_at = last_seen_at WHERE id = ?`, s.ID); err == nil {
		t.Error("schema accepted a revocation without a reason")
	}
}
