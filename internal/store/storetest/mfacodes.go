package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/mfa"
	"github.com/astralcore/astral/internal/store"
)

// backupCodes returns n stored-form backup codes for user with lookups
// "A0", "A1", …; the hashes are placeholders in PHC shape.
func backupCodes(t *testing.T, org, user string, n int) []mfa.BackupCode {
	t.Helper()
	out := make([]mfa.BackupCode, n)
	for i := range out {
		out[i] = mfa.BackupCode{ID: newUUID(t), OrgID: org, UserID: user, Lookup: fmt.Sprintf("A%d", i),
			Hash: fmt.Sprintf("$argon2id$v=19$m=8,t=1,p=1$c2FsdA$%d", i)}
	}
	return out
}

func wantBackupCount(t *testing.T, db *store.DB, org, user string, want int) {
	t.Helper()
	if n, err := db.CountBackupCodes(context.Background(), org, user); err != nil || n != want {
		t.Errorf("CountBackupCodes = %d, %v; want %d", n, err, want)
	}
}

func testBackupCodes(t *testing.T, db *store.DB) {
	ctx := context.Background()
	org, user := mfaUser(t, db)
	other, _ := mfaUser(t, db)
	wantBackupCount(t, db, org, user, 0)

	codes := backupCodes(t, org, user, 10)
	if err := db.ReplaceBackupCodes(ctx, org, user, codes); err != nil {
		t.Fatalf("ReplaceBackupCodes: %v", err)
	}
	wantBackupCount(t, db, org, user, 10)
	wantBackupCount(t, db, other, user, 0)

	got, err := db.UnusedBackupCode(ctx, org, user, "A3")
	if err != nil {
		t.Fatalf("UnusedBackupCode: %v", err)
	}
	if got.ID != codes[3].ID || got.Hash != codes[3].Hash || got.UsedAt != nil {
		t.Errorf("UnusedBackupCode = %+v, want %+v", got, codes[3])
	}
	wantRecent(t, "CreatedAt", got.CreatedAt)
	_, err = db.UnusedBackupCode(ctx, other, user, "A3")
	wantKind(t, err, errs.NotFound)
	wantKind(t, db.UseBackupCode(ctx, other, user, got.ID), errs.NotFound)

	if err := db.UseBackupCode(ctx, org, user, got.ID); err != nil {
		t.Fatalf("UseBackupCode: %v", err)
	}
	wantKind(t, db.UseBackupCode(ctx, org, user, got.ID), errs.Conflict)
	_, err = db.UnusedBackupCode(ctx, org, user, "A3")
	wantKind(t, err, errs.NotFound)
	wantBackupCount(t, db, org, user, 9)

	// Two codes with one lookup: refused, and the old set stays.
	dup := backupCodes(t, org, user, 2)
	dup[1].Lookup = dup[0].Lookup
	wantKind(t, db.ReplaceBackupCodes(ctx, org, user, dup), errs.Conflict)
	wantBackupCount(t, db, org, user, 9)

	// Regenerating replaces every code, used ones included.
	if err := db.ReplaceBackupCodes(ctx, org, user, backupCodes(t, org, user, 10)); err != nil {
		t.Fatalf("ReplaceBackupCodes again: %v", err)
	}
	wantBackupCount(t, db, org, user, 10)
	wantKind(t, db.UseBackupCode(ctx, org, user, codes[0].ID), errs.NotFound)
}

func testBackupCodeConcurrentUse(t *testing.T, db *store.DB) {
	ctx := context.Background()
	org, user := mfaUser(t, db)
	codes := backupCodes(t, org, user, 1)
	if err := db.ReplaceBackupCodes(ctx, org, user, codes); err != nil {
		t.Fatal(err)
	}
	if n := concurrently(t, 20, errs.Conflict, func() error {
		return db.UseBackupCode(ctx, org, user, codes[0].ID)
	}); n != 1 {
		t.Errorf("%d concurrent uses of one backup code succeeded, want 1", n)
	}
	wantBackupCount(t, db, org, user, 0)
}

func testEmailCodes(t *testing.T, db *store.DB) {
	ctx := context.Background()
	org, user := mfaUser(t, db)
	other, _ := mfaUser(t, db)
	_, err := db.AttemptEmailCode(ctx, org, user, 5)
	wantKind(t, err, errs.NotFound)

	expires := time.Date(2030, 1, 2, 3, 4, 5, 6789, time.UTC)
	first, err := db.PutEmailCode(ctx, mfa.EmailCode{ID: newUUID(t), OrgID: org, UserID: user, Hash: []byte("hmac-1"), ExpiresAt: expires})
	if err != nil {
		t.Fatalf("PutEmailCode: %v", err)
	}
	if first.Attempts != 0 || first.UsedAt != nil || !first.ExpiresAt.Equal(expires.Truncate(time.Microsecond)) {
		t.Errorf("PutEmailCode = %+v", first)
	}
	for want := 1; want <= 5; want++ {
		c, err := db.AttemptEmailCode(ctx, org, user, 5)
		if err != nil || c.Attempts != want || c.ID != first.ID || string(c.Hash) != "hmac-1" || !c.ExpiresAt.Equal(first.ExpiresAt) {
			t.Fatalf("attempt %d = %+v, %v", want, c, err)
		}
	}
	_, err = db.AttemptEmailCode(ctx, org, user, 5)
	wantKind(t, err, errs.NotFound)

	// A new code replaces the old one, with fresh attempts.
	second, err := db.PutEmailCode(ctx, mfa.EmailCode{ID: newUUID(t), OrgID: org, UserID: user, Hash: []byte("hmac-2"), ExpiresAt: expires})
	if err != nil {
		t.Fatal(err)
	}
	wantKind(t, db.UseEmailCode(ctx, org, user, first.ID), errs.NotFound)
	_, err = db.AttemptEmailCode(ctx, other, user, 5)
	wantKind(t, err, errs.NotFound)
	if c, err := db.AttemptEmailCode(ctx, org, user, 5); err != nil || c.ID != second.ID || c.Attempts != 1 {
		t.Errorf("AttemptEmailCode after replace = %+v, %v", c, err)
	}
	if err := db.UseEmailCode(ctx, org, user, second.ID); err != nil {
		t.Fatalf("UseEmailCode: %v", err)
	}
	wantKind(t, db.UseEmailCode(ctx, org, user, second.ID), errs.Conflict)
	_, err = db.AttemptEmailCode(ctx, org, user, 5)
	wantKind(t, err, errs.NotFound)

	_, err = db.PutEmailCode(ctx, mfa.EmailCode{ID: newUUID(t), OrgID: other, UserID: user, Hash: []byte("x"), ExpiresAt: expires})
	wantKind(t, err, errs.Invalid)
}

func testEmailCodeConcurrentAttempts(t *testing.T, db *store.DB) {
	ctx := context.Background()
	org, user := mfaUser(t, db)
	c, err := db.PutEmailCode(ctx, mfa.EmailCode{ID: newUUID(t), OrgID: org, UserID: user, Hash: []byte("h"), ExpiresAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if n := concurrently(t, 20, errs.NotFound, func() error {
		_, err := db.AttemptEmailCode(ctx, org, user, 5)
		return err
	}); n != 5 {
		t.Errorf("%d of 20 concurrent attempts counted, want exactly 5", n)
	}
	if n := concurrently(t, 20, errs.Conflict, func() error { return db.UseEmailCode(ctx, org, user, c.ID) }); n != 1 {
		t.Errorf("%d concurrent uses of one e-mail code succeeded, want 1", n)
	}
}

// testMFASchemaRules checks that the schema itself refuses what the Go code
// never writes.
func testMFASchemaRules(t *testing.T, db *store.DB) {
	org, user := mfaUser(t, db)
	activeTOTP(t, db, org, user)
	const ts = "2020-01-01T00:00:00.000000Z"
	tests := []struct {
		name  string
		query string
		args  []any
	}{
		{"second active TOTP", `INSERT INTO totp_credentials (id, org_id, user_id, secret, last_step, created_at, confirmed_at)
			VALUES (?, ?, ?, ?, 0, ` + tsExpr(db) + `, ` + tsExpr(db) + `)`, []any{newUUID(t), org, user, []byte("x"), ts, ts}},
		{"negative step", `INSERT INTO totp_credentials (id, org_id, user_id, secret, last_step, created_at)
			VALUES (?, ?, ?, ?, -1, ` + tsExpr(db) + `)`, []any{newUUID(t), org, user, []byte("x"), ts}},
		{"plaintext backup code", `INSERT INTO backup_codes (id, org_id, user_id, lookup, hash, created_at)
			VALUES (?, ?, ?, 'AB', 'ABCD-EFGH-JKMN-PQRS', ` + tsExpr(db) + `)`, []any{newUUID(t), org, user, ts}},
		{"long lookup", `INSERT INTO backup_codes (id, org_id, user_id, lookup, hash, created_at)
			VALUES (?, ?, ?, 'ABC', '$argon2id$v=19$x', ` + tsExpr(db) + `)`, []any{newUUID(t), org, user, ts}},
		{"negative attempts", `INSERT INTO email_codes (id, org_id, user_id, code_hash, expires_at, attempts, created_at)
			VALUES (?, ?, ?, ?, ` + tsExpr(db) + `, -1, ` + tsExpr(db) + `)`, []any{newUUID(t), org, user, []byte("h"), ts, ts}},
	}
	for _, tt := range tests {
		if err := rawExec(db, tt.query, tt.args...); err == nil {
			t.Errorf("%s: the schema accepted it", tt.name)
		}
	}
	// The controls: well-formed raw rows are accepted, so the refusals
	// above come from the rules and not from the test's SQL.
	controls := []struct {
		name  string
		query string
		args  []any
	}{
		{"pending TOTP", `INSERT INTO totp_credentials (id, org_id, user_id, secret, last_step, created_at)
			VALUES (?, ?, ?, ?, 0, ` + tsExpr(db) + `)`, []any{newUUID(t), org, user, []byte("x"), ts}},
		{"backup code", `INSERT INTO backup_codes (id, org_id, user_id, lookup, hash, created_at)
			VALUES (?, ?, ?, 'AB', '$argon2id$v=19$x', ` + tsExpr(db) + `)`, []any{newUUID(t), org, user, ts}},
		{"e-mail code", `INSERT INTO email_codes (id, org_id, user_id, code_hash, expires_at, attempts, created_at)
			VALUES (?, ?, ?, ?, ` + tsExpr(db) + `, 0, ` + tsExpr(db) + `)`, []any{newUUID(t), org, user, []byte("h"), ts, ts}},
	}
	for _, c := range controls {
		if err := rawExec(db, c.query, c.args...); err != nil {
			t.Errorf("well-formed %s row: %v", c.name, err)
		}
	}
	wantBackupCount(t, db, org, user, 1)
}

// tsExpr is a placeholder for a timestamp given as fixed-width text.
func tsExpr(db *store.DB) string {
	if db.Driver() == store.DriverPostgres {
		return "CAST(? AS timestamptz)"
	}
	return "?"
}
